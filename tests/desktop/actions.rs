//! The notifications' actions, clicked over D-Bus as a notification server
//! does it: a new pending request offers Approve and Decline, and each sends
//! one call to Jellyseerr for its own request; a request that became
//! available offers "Open in Jellyfin"; a server without the "actions"
//! capability is sent none.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use status_tracker_lib::sim::{Service, SimStack};

use super::{wait_for, Desktop, HASH_OK};

const DUNE: u64 = 693134;
const ARRIVAL: u64 = 329865;
const INCEPTION: u64 = 27205;

/// `status-tracker show ID --json` on the app's data dir (None while the
/// store does not have the request).
fn show(desktop: &Desktop, id: u64) -> Option<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_status-tracker"))
        .env("STATUS_TRACKER_DATA_DIR", desktop.data())
        .args(["show", &id.to_string(), "--json"])
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| serde_json::from_slice(&out.stdout).expect("show --json prints JSON"))
}

/// The timeline's action lines of a request.
fn actions_of(shown: &Value) -> Vec<String> {
    shown["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .filter(|e| e["event"] == "action")
        .map(|e| e["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn phase_of(desktop: &Desktop, id: u64) -> Option<String> {
    show(desktop, id).and_then(|v| v["request"]["phase"].as_str().map(str::to_string))
}

/// The acting calls the simulated services received, as
/// `(service, method, path, query, status)`.
fn calls(stack: &SimStack) -> Vec<(Service, String, String, Option<String>, u16)> {
    stack
        .world()
        .acts()
        .into_iter()
        .map(|c| (c.service, c.method, c.path, c.query, c.status))
        .collect()
}

/// Waits until the app has run a cycle that stored request `id` (a
/// debug build's first window on a busy 2-core machine can take most of a
/// minute; it usually takes 3 s).
fn wait_for_first_cycle(desktop: &Desktop, id: u64) {
    wait_for(
        "the app's first cycle to store the library",
        Duration::from_secs(90),
        || show(desktop, id).is_some(),
    );
}

/// The app listens for a notification's actions once the server has
/// answered its Notify call: a user reads it before clicking.
fn as_a_user_reads_it() {
    std::thread::sleep(Duration::from_secs(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb and a D-Bus session: tools/desktop-test.sh"]
async fn a_new_pending_request_is_approved_or_declined_from_its_notification() {
    let (desktop, server) = Desktop::with_test_notifications(true);
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    // Radarr finds no release: an approved film stays APPROVED.
    w.set_search_grabs(false);
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    w.add_movie(ARRIVAL, "Arrival", 2016, false);
    w.add_movie(INCEPTION, "Inception", 2010, false);
    // Pending before the app first read the library: old news.
    let inception = w.request_movie(INCEPTION, "dave").unwrap();
    let _app = desktop.app(&stack);
    wait_for_first_cycle(&desktop, inception);

    let dune = w.request_movie(DUNE, "alice").unwrap();
    let arrival = w.request_movie(ARRIVAL, "bob").unwrap();
    let dune_note = server.wait_for(
        "Dune: Part Two (2024) was requested",
        Duration::from_secs(30),
    );
    let arrival_note = server.wait_for("Arrival (2016) was requested", Duration::from_secs(30));
    assert_eq!(
        dune_note.action_pairs(),
        [
            ("default", "Open"),
            ("approve", "Approve"),
            ("decline", "Decline")
        ],
        "a new pending request's notification offers Approve and Decline beside Open"
    );
    assert_eq!(arrival_note.actions, dune_note.actions);
    assert_eq!(dune_note.app_name, "Status Tracker");
    assert_eq!(dune_note.body, "alice asks for it: approve or decline");
    assert!(
        calls(&stack).is_empty(),
        "a notification alone sends nothing: {:?}",
        calls(&stack)
    );

    // Approve on Dune's notification, Decline on Arrival's.
    as_a_user_reads_it();
    server.invoke(dune_note.id, "approve").unwrap();
    wait_for(
        "the approval to reach Jellyseerr",
        Duration::from_secs(20),
        || !calls(&stack).is_empty(),
    );
    server.invoke(arrival_note.id, "decline").unwrap();
    wait_for(
        "the decline to reach Jellyseerr",
        Duration::from_secs(20),
        || calls(&stack).len() >= 2,
    );
    // Several cycles later, still one call per click.
    std::thread::sleep(Duration::from_secs(4));
    let post = |id: u64, verb: &str| {
        (
            Service::Jellyseerr,
            "POST".to_string(),
            format!("/api/v1/request/{id}/{verb}"),
            None,
            200,
        )
    };
    assert_eq!(
        calls(&stack),
        [post(dune, "approve"), post(arrival, "decline")],
        "each action sent exactly once, to its own request"
    );

    // The timeline says what was done, and the next poll what Jellyseerr made of it.
    wait_for("Dune APPROVED", Duration::from_secs(20), || {
        phase_of(&desktop, dune).as_deref() == Some("APPROVED")
    });
    wait_for("Arrival FAILED", Duration::from_secs(20), || {
        phase_of(&desktop, arrival).as_deref() == Some("FAILED")
    });
    assert_eq!(
        actions_of(&show(&desktop, dune).unwrap()),
        ["approved from Status Tracker"],
        "the approval is on Dune's timeline"
    );
    let arrival_shown = show(&desktop, arrival).unwrap();
    assert_eq!(actions_of(&arrival_shown), ["declined from Status Tracker"]);
    let reason = arrival_shown["request"]["reason"]
        .as_str()
        .unwrap_or_default();
    assert!(reason.contains("declin"), "declined: {reason}");

    // The request pending at first contact raised no notification.
    let summaries: Vec<String> = server.shown().into_iter().map(|n| n.summary).collect();
    assert!(
        !summaries.iter().any(|s| s.contains("Inception")),
        "no notification for a request already pending when the library was first read: {summaries:?}"
    );
    assert_eq!(phase_of(&desktop, inception).as_deref(), Some("REQUESTED"));
    // A notification acted on was closed by the server; clicking again is
    // impossible, so nothing more can be sent from it.
    assert!(
        server.invoke(dune_note.id, "approve").is_err(),
        "the server closed the notification after the click"
    );
    stack.shutdown().await;
}

/// A fake browser opener on PATH: it notes each URL in `opened`.
fn fake_opener(dir: &Path, opened: &Path) -> std::ffi::OsString {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let opener = bin.join("xdg-open");
    std::fs::write(
        &opener,
        format!("#!/bin/sh\necho \"$1\" >> '{}'\n", opened.display()),
    )
    .unwrap();
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb and a D-Bus session: tools/desktop-test.sh"]
async fn the_available_notification_opens_the_item_in_jellyfin() {
    let (desktop, server) = Desktop::with_test_notifications(true);
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    let dune = w.request_movie(DUNE, "alice").unwrap();
    w.approve(dune).unwrap();
    w.grab_movie(DUNE, HASH_OK, "Dune.Part.Two.2024.2160p", 8_000_000_000)
        .unwrap();
    let opened = desktop.dir.path().join("opened.txt");
    let path = fake_opener(desktop.dir.path(), &opened);
    let _app = desktop.app_with(&stack, &[("PATH", OsStr::new(&path))]);
    wait_for_first_cycle(&desktop, dune);

    w.complete_download(HASH_OK).unwrap();
    w.import(HASH_OK).unwrap();
    let item = w.jellyfin_add_movie(DUNE).unwrap();
    let note = server.wait_for(
        "Dune: Part Two (2024) is ready to watch",
        Duration::from_secs(30),
    );
    assert_eq!(
        note.action_pairs(),
        [("default", "Open"), ("open-jellyfin", "Open in Jellyfin")],
        "an available request's notification offers Open in Jellyfin"
    );
    as_a_user_reads_it();
    server.invoke(note.id, "open-jellyfin").unwrap();
    wait_for("the browser to open", Duration::from_secs(15), || {
        opened.exists()
    });
    std::thread::sleep(Duration::from_secs(1));
    let urls = std::fs::read_to_string(&opened).unwrap();
    let jellyfin = stack.urls().jellyfin.trim_end_matches('/').to_string();
    assert_eq!(
        urls.lines().collect::<Vec<_>>(),
        [format!("{jellyfin}/web/#/details?id={item}")],
        "the item's page on the configured Jellyfin, once"
    );
    assert!(calls(&stack).is_empty(), "opening a page acts on nothing");
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb and a D-Bus session: tools/desktop-test.sh"]
async fn a_notification_server_without_actions_is_sent_none() {
    let (desktop, server) = Desktop::with_test_notifications(false);
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    w.add_movie(INCEPTION, "Inception", 2010, false);
    let inception = w.request_movie(INCEPTION, "dave").unwrap();
    w.approve(inception).unwrap();
    let _app = desktop.app(&stack);
    wait_for_first_cycle(&desktop, inception);

    w.request_movie(DUNE, "alice").unwrap();
    let note = server.wait_for(
        "Dune: Part Two (2024) was requested",
        Duration::from_secs(30),
    );
    assert_eq!(
        note.actions,
        [],
        "no actions for a server that does not advertise the capability"
    );
    stack.shutdown().await;
}
