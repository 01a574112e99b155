//! The config file's tests: parsing, errors, writing back.
use super::*;

fn parse_str(s: &str) -> Result<Config, ConfigError> {
    parse(s, Path::new("/tmp/config.toml"))
}

#[test]
fn a_full_file_parses() {
    let c = parse_str(
        r#"
[poll]
idle_secs = 600
[jellyseerr]
url = "http://127.0.0.1:5055"
[radarr]
url = "http://127.0.0.1:7878"
timeout_secs = 5
[qbittorrent]
url = "http://127.0.0.1:8080"
username = "admin"
"#,
    )
    .unwrap();
    assert_eq!(c.poll.idle, Duration::from_secs(600));
    assert_eq!(c.poll.downloading, Duration::from_secs(5), "defaults stay");
    assert_eq!(c.radarr[0].timeout, Duration::from_secs(5));
    assert_eq!(c.jellyseerr.as_ref().unwrap().timeout, DEFAULT_TIMEOUT);
    assert_eq!(
        c.qbittorrent.as_ref().unwrap().username.as_deref(),
        Some("admin")
    );
    assert!(
        c.sonarr.is_empty(),
        "a missing section means the service is not used"
    );
    assert_eq!(
        c.services()
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["jellyseerr", "radarr", "qbittorrent"]
    );
}

#[test]
fn unknown_keys_are_refused_with_the_known_ones_named() {
    let e = parse_str("[radarr]\nurl = \"http://x\"\nurl_base = \"/r\"\n").unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, ConfigError::UnknownKey { .. }), "{msg}");
    assert!(
        msg.contains("radarr.url_base") && msg.contains("timeout_secs"),
        "{msg}"
    );
    let e = parse_str("[plex]\nurl = \"http://x\"\n").unwrap_err();
    assert!(matches!(e, ConfigError::UnknownKey { .. }), "{e}");
}

#[test]
fn secrets_in_the_file_are_refused_and_the_message_says_where_they_go() {
    for text in [
        "[radarr]\nurl = \"http://x\"\napi_key = \"abc\"\n",
        "[radarr]\nurl = \"http://x\"\napikey = \"abc\"\n",
        "[qbittorrent]\nurl = \"http://x\"\nusername = \"a\"\npassword = \"p\"\n",
        "[jellyfin]\nurl = \"http://x\"\ntoken = \"t\"\n",
        "[qbittorrent]\nurl = \"http://admin:pw@x:8080\"\nusername = \"a\"\n",
        "[radarr]\nurl = \"http://x:7878/?apikey=abc\"\n",
    ] {
        let e = parse_str(text).unwrap_err();
        let msg = e.to_string();
        assert!(
            matches!(e, ConfigError::SecretInFile { .. }),
            "{text}: {msg}"
        );
        assert!(
            msg.contains("keyring") && msg.contains("STATUS_TRACKER_"),
            "{msg}"
        );
        assert!(
            !msg.contains("abc") && !msg.contains("pw@"),
            "the secret is not echoed: {msg}"
        );
    }
}

#[test]
fn bad_urls_say_what_to_fix() {
    let e = parse_str("[radarr]\nurl = \"localhost:7878\"\n").unwrap_err();
    assert!(e.to_string().contains("radarr.url"), "{e}");
    let e = parse_str("[radarr]\nurl = \"not a url\"\n").unwrap_err();
    assert!(e.to_string().contains("http://192.168.1.10:7878"), "{e}");
    let e = parse_str("[radarr]\nurl = \"ftp://host\"\n").unwrap_err();
    assert!(e.to_string().contains("http or https"), "{e}");
}

#[test]
fn qbittorrent_needs_a_username_and_radarr_takes_none() {
    let e = parse_str("[qbittorrent]\nurl = \"http://x\"\n").unwrap_err();
    assert!(e.to_string().contains("qbittorrent.username"), "{e}");
    let e = parse_str("[radarr]\nurl = \"http://x\"\nusername = \"u\"\n").unwrap_err();
    assert!(e.to_string().contains("radarr.username"), "{e}");
}

#[test]
fn a_missing_ca_file_is_a_config_error() {
    let e = parse_str("[radarr]\nurl = \"https://x\"\nca_file = \"/nonexistent/ca.pem\"\n")
        .unwrap_err();
    assert!(e.to_string().contains("radarr.ca_file"), "{e}");
}

#[test]
fn a_config_written_reads_back_the_same() {
    let text = r#"
[poll]
idle_secs = 600
[notifications]
available = true
failed = false
stuck = true
episodes = false
[app]
log_level = "debug"
[jellyseerr]
url = "http://127.0.0.1:5055/"
[qbittorrent]
url = "https://qbt.example:8080/"
username = "ad\"min"
timeout_secs = 3
"#;
    let c = parse_str(text).unwrap();
    assert!(!c.notifications.failed && c.notifications.stuck);
    assert_eq!(c.log_level.as_deref(), Some("debug"));
    let again = parse_str(&to_toml(&c)).unwrap();
    assert_eq!(again, c, "to_toml and parse round-trip");
}

#[test]
fn saving_edits_the_users_file_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let text = r#"# My media stack. Keys in my order.

[jellyseerr]
url = "http://seerr.lan:5055/"   # the LAN name, not the IP

# Radarr lives on the NAS
[radarr]
timeout_secs = 10  # explicit default, kept
url = "http://nas.lan:7878/"

[poll]
idle_secs = 600    # quiet at night
"#;
    std::fs::write(&path, text).unwrap();
    let mut c = parse(text, &path).unwrap();
    // What the Settings window does: change a URL, add a service.
    c.radarr = vec![service_from_input("radarr", "http://nas.lan:7979", None, Some(10)).unwrap()];
    c.sonarr = vec![service_from_input("sonarr", "http://nas.lan:8989", None, None).unwrap()];
    save(&path, &c).unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    assert_eq!(parse(&saved, &path).unwrap(), c, "it says what was saved");
    for kept in [
        "# My media stack. Keys in my order.",
        "url = \"http://seerr.lan:5055/\"   # the LAN name, not the IP",
        "# Radarr lives on the NAS",
        "timeout_secs = 10  # explicit default, kept",
        "idle_secs = 600    # quiet at night",
    ] {
        assert!(saved.contains(kept), "{kept:?} kept in:\n{saved}");
    }
    let order = |k: &str| saved.find(k).unwrap();
    assert!(
        order("[jellyseerr]") < order("[radarr]") && order("[radarr]") < order("[poll]"),
        "the user's order: {saved}"
    );
    assert!(
        order("timeout_secs = 10") < order("url = \"http://nas.lan:7979/\""),
        "keys stay where they were; the changed URL in its place: {saved}"
    );
    assert!(
        saved.contains("[sonarr]\nurl = \"http://nas.lan:8989/\""),
        "{saved}"
    );

    // Removing a service removes its section, and nothing else.
    c.sonarr.clear();
    save(&path, &c).unwrap();
    let again = std::fs::read_to_string(&path).unwrap();
    assert!(
        !again.contains("[sonarr]") && again.contains("# quiet at night"),
        "{again}"
    );

    // A file that is not TOML any more is written anew (it could not
    // have been loaded, so nothing of it is lost that the app knew).
    std::fs::write(&path, "[radarr\nurl =").unwrap();
    save(&path, &c).unwrap();
    assert_eq!(
        parse(&std::fs::read_to_string(&path).unwrap(), &path).unwrap(),
        c
    );
}

#[test]
fn broken_toml_is_a_syntax_error() {
    let e = parse_str("[radarr\nurl = ").unwrap_err();
    assert!(matches!(e, ConfigError::Syntax { .. }), "{e}");
}

const TWO_RADARRS: &str = r#"
[jellyseerr]
url = "http://nas:5055"

# The HD one.
[[radarr]]
name = "hd"
url = "http://nas:7878"

[[radarr]]
name = "4k"
url = "http://nas:7879"
is_4k = true   # 4K requests

[sonarr]
url = "http://nas:8989"
is_4k = false
"#;

#[test]
fn radarr_and_sonarr_may_be_arrays_of_named_instances() {
    let c = parse_str(TWO_RADARRS).unwrap();
    let names: Vec<(&str, Option<&str>, bool)> = c
        .radarr
        .iter()
        .map(|s| (s.name.as_str(), s.instance.as_deref(), s.is_4k))
        .collect();
    assert_eq!(
        names,
        [
            ("radarr.hd", Some("hd"), false),
            ("radarr.4k", Some("4k"), true)
        ]
    );
    assert_eq!(c.radarr[1].url.as_str(), "http://nas:7879/");
    // The single table keeps its name, and may say is_4k.
    assert_eq!(c.sonarr.len(), 1);
    assert_eq!(
        (c.sonarr[0].name.as_str(), c.sonarr[0].instance.as_deref()),
        ("sonarr", None)
    );
    let c = parse_str("[radarr]\nurl = \"http://nas:7879\"\nis_4k = true\n").unwrap();
    assert!(c.radarr[0].is_4k, "is_4k on a single table is allowed");
    assert_eq!(
        c.service("radarr").map(|s| s.url.as_str()),
        Some("http://nas:7879/")
    );
}

#[test]
fn instance_names_are_required_unique_and_plain() {
    let err = |text: &str| parse_str(text).unwrap_err().to_string();
    let one = |name: &str| format!("[[radarr]]\nname = {name}\nurl = \"http://nas:7878\"\n");
    let e = err("[[radarr]]\nurl = \"http://nas:7878\"\n");
    assert!(
        e.contains("radarr[0].name") && e.contains("needs a name"),
        "{e}"
    );
    for bad in [
        "\"4K\"",
        "\"hd 2\"",
        "\"\"",
        &format!("\"{}\"", "a".repeat(33)),
    ] {
        let e = err(&one(bad));
        assert!(e.contains("is not a valid name"), "{bad}: {e}");
    }
    assert!(parse_str(&one(&format!("\"{}\"", "a".repeat(32)))).is_ok());
    assert!(parse_str(&one("\"anime_tv-2\"")).is_ok());
    let e = err(&format!("{}{}", one("\"hd\""), one("\"hd\"")));
    assert!(
        e.contains("radarr[1].name") && e.contains("named \"hd\""),
        "{e}"
    );
    let e = err("[radarr]\nname = \"hd\"\nurl = \"http://nas:7878\"\n");
    assert!(e.contains("radarr.name") && e.contains("[[radarr]]"), "{e}");
    let e = err("[[jellyfin]]\nname = \"a\"\nurl = \"http://nas:8096\"\n");
    assert!(e.contains("expected a [jellyfin] section"), "{e}");
    let e = err("[jellyfin]\nurl = \"http://nas:8096\"\nis_4k = true\n");
    assert!(e.contains("jellyfin.is_4k"), "{e}");
    let e = err("[[radarr]]\nname = \"hd\"\nurl = \"http://nas:7878\"\napi_key = \"x\"\n");
    assert!(
        e.contains("STATUS_TRACKER_RADARR_API_KEY") || e.contains("secret"),
        "{e}"
    );
}

#[test]
fn the_array_form_is_written_back_and_edited_in_place() {
    let c = parse_str(TWO_RADARRS).unwrap();
    let fresh = to_toml(&c);
    assert_eq!(parse_str(&fresh).unwrap(), c, "to_toml reads back: {fresh}");
    assert!(fresh.contains("[[radarr]]\nname = \"4k\""), "{fresh}");

    // An edit of the 4K instance keeps the file's comments.
    let mut changed = c.clone();
    changed.radarr[1].url = url::Url::parse("http://nas:17879").unwrap();
    let edited = edit_toml(TWO_RADARRS, &changed).unwrap();
    assert_eq!(parse_str(&edited).unwrap(), changed, "{edited}");
    assert!(edited.contains("# The HD one."), "{edited}");
    assert!(edited.contains("is_4k = true   # 4K requests"), "{edited}");

    // Removing an instance rewrites the array.
    let mut fewer = c.clone();
    assert!(fewer.remove_service("radarr.hd"));
    let edited = edit_toml(TWO_RADARRS, &fewer).unwrap();
    assert_eq!(parse_str(&edited).unwrap(), fewer, "{edited}");
}

#[test]
fn attention_thresholds_parse_with_their_defaults_and_are_written_back() {
    let c = parse_str("").unwrap();
    assert_eq!(
        c.attention,
        AttentionRules {
            not_in_arr_minutes: 10,
            no_release_hours: 24,
            stalled_minutes: 60,
            not_imported_minutes: 60,
        },
        "the contract's numbers are the defaults"
    );
    assert!(c.notifications.stuck && !c.notifications.no_release);

    let c = parse_str(
        "[attention]\nstalled_minutes = 90 # a slow tracker\nno_release_hours = 72\n\n\
         [notifications]\nno_release = true\n",
    )
    .unwrap();
    assert_eq!(c.attention.stalled_minutes, 90);
    assert_eq!(c.attention.no_release_hours, 72);
    assert_eq!(
        c.attention.not_in_arr_minutes, 10,
        "unnamed keys keep the default"
    );
    assert!(c.notifications.no_release);
    assert_eq!(parse_str(&to_toml(&c)).unwrap(), c, "to_toml round-trips");

    // The Settings window changes one threshold: the file keeps its comment.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let text = "[attention]\nstalled_minutes = 90 # a slow tracker\n";
    std::fs::write(&path, text).unwrap();
    let mut c = parse(text, &path).unwrap();
    c.attention.not_imported_minutes = 15;
    save(&path, &c).unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    assert!(
        saved.contains("stalled_minutes = 90 # a slow tracker"),
        "{saved}"
    );
    assert!(saved.contains("not_imported_minutes = 15"), "{saved}");
    assert_eq!(parse(&saved, &path).unwrap(), c);

    for bad in [
        "[attention]\nstalled_minutes = 0\n",
        "[attention]\nstalled_minutes = \"an hour\"\n",
        "[attention]\nno_release_hours = 9000\n",
        "[attention]\nstalled = 60\n",
    ] {
        let e = parse_str(bad).unwrap_err().to_string();
        assert!(
            e.contains("attention.stalled") || e.contains("attention.no_release_hours"),
            "{bad}: {e}"
        );
    }
    assert!(checked_attention(AttentionRules {
        stalled_minutes: 0,
        ..AttentionRules::default()
    })
    .unwrap_err()
    .contains("attention.stalled_minutes"));
}

#[test]
fn a_first_instance_beside_a_single_radarr_turns_the_kind_into_the_array_form() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let text = "[radarr]\nurl = \"http://nas.lan:7878/\"  # the HD one\n";
    std::fs::write(&path, text).unwrap();
    let mut c = parse(text, &path).unwrap();
    // A single table and a named instance are never written side by side.
    let uhd = service_from_input("radarr.4k", "http://nas.lan:7879", None, None).unwrap();
    assert!(
        !c.set_service(uhd.clone()),
        "refused while [radarr] is single"
    );
    assert_eq!(
        c.instances_from_single("radarr", "4k"),
        Some(("radarr".to_string(), "radarr.main".to_string())),
        "the single one becomes radarr.main (its credential must follow)"
    );
    assert_eq!(c.instances_from_single("radarr", "4k"), None, "once");
    assert!(c.set_service(ServiceConfig { is_4k: true, ..uhd }));
    save(&path, &c).unwrap();
    let saved = std::fs::read_to_string(&path).unwrap();
    let again = parse(&saved, &path).unwrap();
    assert_eq!(again, c, "{saved}");
    let names: Vec<(&str, bool)> = again
        .radarr
        .iter()
        .map(|s| (s.name.as_str(), s.is_4k))
        .collect();
    assert_eq!(
        names,
        [("radarr.main", false), ("radarr.4k", true)],
        "{saved}"
    );
    // Adding one named "main" names the old one "hd".
    let mut c = parse_str("[sonarr]\nurl = \"http://nas.lan:8989/\"\n").unwrap();
    assert_eq!(
        c.instances_from_single("sonarr", "main"),
        Some(("sonarr".to_string(), "sonarr.hd".to_string()))
    );
    // And a single one cannot come back beside instances.
    let single = service_from_input("sonarr", "http://nas.lan:8989", None, None).unwrap();
    assert!(!c.set_service(single));
    assert_eq!(c.instances_from_single("jellyfin", "x"), None);
}
