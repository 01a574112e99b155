//! A credential is held in [`Secret`], whose Debug and Display print a
//! placeholder; every service client holding one (in a field or in a default
//! header) prints without it, so a `{:?}` in a log line or a panic message
//! cannot leak it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use status_tracker_lib::config::service_from_input;
use status_tracker_lib::secrets::Secret;
use status_tracker_lib::services::{
    HttpStats, JellyfinClient, JellyseerrClient, QbittorrentClient, RadarrClient, ShokoClient,
    SonarrClient,
};

const KEY: &str = "k3y-Never-Printed-0123456789abcdef";

fn assert_hidden(what: &str, printed: &str) {
    assert!(
        !printed.contains(KEY),
        "{what} prints the secret: {printed}"
    );
}

#[test]
fn a_secret_prints_a_placeholder_everywhere_it_can_be_printed() {
    let s = Secret::new(KEY);
    assert_eq!(format!("{s}"), "<redacted>");
    assert_eq!(format!("{s:?}"), "<redacted>");
    assert_eq!(format!("{s:#?}"), "<redacted>");
    assert_hidden("a Secret in an Option", &format!("{:?}", Some(&s)));
    assert_hidden("a Secret in a Vec", &format!("{:?}", vec![s.clone()]));
    assert_hidden("a Secret in a tuple", &format!("{:?}", ("key", &s)));
    assert_eq!(s.expose(), KEY, "only expose() gives the value");
}

#[test]
fn a_panic_message_formatting_a_secret_carries_the_placeholder() {
    let s = Secret::new(KEY);
    let caught = std::panic::catch_unwind(|| panic!("cannot use the key {s:?} ({s})"));
    let payload = caught.unwrap_err();
    let message = payload.downcast_ref::<String>().unwrap();
    assert_hidden("a panic message", message);
    assert!(message.contains("<redacted>"), "{message}");
}

#[test]
fn no_service_client_prints_its_credential() {
    let url = "http://127.0.0.1:9";
    let cfg = |name: &str, user: Option<&str>| service_from_input(name, url, user, None).unwrap();
    let key = || Secret::new(KEY);
    let stats = HttpStats::new;
    let printed = [
        (
            "jellyseerr",
            format!(
                "{:?}",
                JellyseerrClient::new(&cfg("jellyseerr", None), key(), stats()).unwrap()
            ),
        ),
        (
            "radarr",
            format!(
                "{:?}",
                RadarrClient::new(&cfg("radarr", None), key(), stats()).unwrap()
            ),
        ),
        (
            "sonarr",
            format!(
                "{:?}",
                SonarrClient::new(&cfg("sonarr", None), key(), stats()).unwrap()
            ),
        ),
        (
            "jellyfin",
            format!(
                "{:?}",
                JellyfinClient::new(&cfg("jellyfin", None), key(), stats()).unwrap()
            ),
        ),
        (
            "qbittorrent",
            format!(
                "{:?}",
                QbittorrentClient::new(&cfg("qbittorrent", Some("admin")), key(), stats()).unwrap()
            ),
        ),
        (
            "shoko",
            format!(
                "{:?}",
                ShokoClient::new(&cfg("shoko", Some("admin")), key(), stats()).unwrap()
            ),
        ),
    ];
    for (name, text) in &printed {
        assert!(text.len() > 20, "{name}'s client printed something: {text}");
        assert_hidden(&format!("the {name} client's Debug"), text);
    }
}
