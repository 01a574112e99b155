//! Crash safety: the headless poller (`status-tracker watch`) is killed with
//! SIGKILL at random moments while the simulated stack plays films through
//! their phases, and restarted, `STATUS_TRACKER_KILL_LOOPS` times (default
//! 10; `STATUS_TRACKER_KILL_LOOPS=100` for the long run). After every kill
//! the database passes `PRAGMA integrity_check`, and every request's timeline
//! is a gap-free chain of phase changes ending at its stored phase: no change
//! lost, none duplicated.
//!
//! Notifications are recorded in the cycle's transaction and taken (marked
//! shown) before display; the store-level tests below prove "at most once",
//! across a crash between recording and showing too.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/crash.rs"]
mod crash;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use status_tracker_lib::sim::{self, SimStack};
use status_tracker_lib::store::{NewNotification, Store};
use status_tracker_lib::tracker::{Change, Phase};

fn spawn_watch(config: &std::path::Path, data: &std::path::Path) -> Child {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_status-tracker"));
    cmd.arg("--config")
        .arg(config)
        .arg("--data-dir")
        .arg(data)
        .args(["watch", "--json"])
        .env_remove("STATUS_TRACKER_CONFIG")
        .env_remove("STATUS_TRACKER_DATA_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in sim::sim_env() {
        cmd.env(k, v);
    }
    cmd.spawn().expect("the poller starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_never_corrupts_loses_or_duplicates() {
    let stack = SimStack::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    let data = dir.path().join("data");
    std::fs::write(
        &config,
        format!(
            "[poll]\ndownloading_secs = 1\nactive_secs = 1\njellyseerr_secs = 1\nidle_secs = 1\nsweep_secs = 2\n\n{}",
            sim::config_toml(stack.urls())
        ),
    )
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let player = tokio::spawn(crash::story(
        stack.world(),
        stop.clone(),
        Duration::from_millis(60),
        5000,
    ));
    let loops = crash::kill_loops(10);
    let mut changes = 0;
    for round in 0..loops {
        let mut child = spawn_watch(&config, &data);
        // Somewhere in the first cycles, or in the middle of a later one.
        tokio::time::sleep(Duration::from_millis(fastrand::u64(150..1500))).await;
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            use std::io::Read;
            let _ = child.stderr.take().map(|mut s| s.read_to_string(&mut err));
            panic!("round {round}: the poller ended by itself ({status}): {err}");
        }
        child.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
        child.wait().unwrap();
        changes = crash::check_store(&data, round).changes;
    }
    stop.store(true, Ordering::Relaxed);
    player.await.unwrap();
    // One last clean run: the poller starts after all those crashes and
    // everything still holds.
    let mut child = spawn_watch(&config, &data);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        child.try_wait().unwrap().is_none(),
        "the poller runs after {loops} crashes (no stale lock)"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    let final_changes = crash::check_store(&data, loops).changes;
    assert!(
        final_changes >= changes && final_changes > 10,
        "the crashes happened while phases changed: {final_changes} changes recorded"
    );
    eprintln!("{loops} kill -9 rounds, {final_changes} phase changes checked");
}

fn record(id: i64, phase: Phase) -> status_tracker_lib::tracker::RequestRecord {
    let now = Utc::now();
    status_tracker_lib::tracker::RequestRecord {
        jellyseerr_request_id: 100 + id,
        title: "Film".into(),
        ..status_tracker_lib::testkit::film(id, phase, now)
    }
}

fn available(store: &mut Store, id: i64) {
    let now = Utc::now();
    let rec = record(id, Phase::Available);
    let change = Change::PhaseChanged {
        request_id: id,
        from: Some(Phase::Importing),
        to: Phase::Available,
        evidence: "Jellyfin has the film".into(),
        at: now,
    };
    let n = NewNotification {
        request_id: id,
        kind: "available",
        summary: "Film is ready to watch".into(),
        body: "Requested by alice".into(),
    };
    store
        .commit_cycle_with(&[rec], &[change], &[], &[n], now)
        .unwrap();
}

#[test]
fn a_recorded_notification_is_taken_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    available(&mut store, 1);
    let first = store
        .take_pending_notifications(Utc::now(), TimeDelta::hours(1))
        .unwrap();
    assert_eq!(first.len(), 1, "the change's notification is pending once");
    let again = store
        .take_pending_notifications(Utc::now(), TimeDelta::hours(1))
        .unwrap();
    assert!(
        again.is_empty(),
        "a taken notification is never shown again"
    );
    assert_eq!(store.notification_count(1).unwrap(), 1);
}

#[test]
fn a_crash_between_recording_and_showing_shows_it_once_after_restart() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = Store::open_in(dir.path()).unwrap();
        available(&mut store, 1);
        // The process dies here: nothing was taken.
    }
    let mut store = Store::open_in(dir.path()).unwrap();
    let shown = store
        .take_pending_notifications(Utc::now(), TimeDelta::hours(1))
        .unwrap();
    assert_eq!(
        shown.len(),
        1,
        "the pending notification survives the crash"
    );
    drop(store);
    let mut store = Store::open_in(dir.path()).unwrap();
    assert!(
        store
            .take_pending_notifications(Utc::now(), TimeDelta::hours(1))
            .unwrap()
            .is_empty(),
        "once taken, a restart does not show it again"
    );
    assert_eq!(store.notification_count(1).unwrap(), 1, "recorded once");
}
