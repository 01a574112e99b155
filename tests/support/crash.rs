//! Shared by the kill -9 tests of the headless poller (tests/crash_safety.rs)
//! and of the desktop app (tests/desktop.rs): how many rounds, the story the
//! simulated stack plays meanwhile, and what a store must satisfy after any
//! crash: a sound database, and for each request a gap-free chain of phase
//! changes ending at its stored phase, with no change recorded twice and at
//! most one notification of the phase it reached (besides the one of a new
//! pending request, when the app saw it waiting for approval).

#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use status_tracker_lib::sim::SimWorld;
use status_tracker_lib::store::Store;

/// `STATUS_TRACKER_KILL_LOOPS` rounds, else `default` (100 for the long run).
pub fn kill_loops(default: usize) -> usize {
    std::env::var("STATUS_TRACKER_KILL_LOOPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Plays film after film through every phase, a step every `step`, until
/// `stop`; every seventh film fails instead of being imported. TMDB ids
/// start after `first_tmdb`.
pub async fn story(w: SimWorld, stop: Arc<AtomicBool>, step: Duration, first_tmdb: u64) {
    let pause = || tokio::time::sleep(step);
    let mut tmdb = first_tmdb;
    while !stop.load(Ordering::Relaxed) {
        tmdb += 1;
        let h = format!("{tmdb:040x}");
        w.add_movie(tmdb, &format!("Film {tmdb}"), 2024, false);
        let Ok(id) = w.request_movie(tmdb, "alice") else {
            continue;
        };
        pause().await;
        let _ = w.approve(id);
        pause().await;
        let _ = w.grab_movie(tmdb, &h, &format!("Film.{tmdb}.1080p"), 1_000_000_000);
        for p in [0.2, 0.5, 0.8] {
            pause().await;
            let _ = w.set_progress(&h, p, 1_000_000);
        }
        pause().await;
        if tmdb.is_multiple_of(7) {
            let _ = w.download_failed(&h, "stalled with no connections");
            continue;
        }
        let _ = w.complete_download(&h);
        pause().await;
        let _ = w.import(&h);
        pause().await;
        let _ = w.jellyfin_add_movie(tmdb);
    }
}

/// What one check saw.
pub struct Checked {
    /// Phase changes over all requests.
    pub changes: usize,
    /// Requests in the store.
    pub requests: usize,
    /// Notifications recorded over all requests.
    pub notifications: i64,
}

/// The notifications recorded for a request: `(kind, how many)`, by kind.
fn notification_kinds(data: &Path, request_id: i64) -> Vec<(String, i64)> {
    let conn = rusqlite::Connection::open_with_flags(
        data.join(status_tracker_lib::store::DB_FILE),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT kind, COUNT(*) FROM notifications WHERE request_id = ?1 \
             GROUP BY kind ORDER BY kind",
        )
        .unwrap();
    stmt.query_map([request_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Checks every invariant; panics naming the round and the request.
pub fn check_store(data: &Path, round: usize) -> Checked {
    let store = Store::open_in(data).expect("the store opens after kill -9");
    assert_eq!(
        store.integrity_check().unwrap(),
        "ok",
        "round {round}: PRAGMA integrity_check after kill -9"
    );
    let records = store.load_records().unwrap();
    let mut changes = 0;
    let mut notifications = 0;
    for r in records.values() {
        let tl: Vec<_> = store
            .timeline(r.id)
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == "phase_change")
            .collect();
        changes += tl.len();
        let last = tl.last().unwrap_or_else(|| {
            panic!(
                "round {round}: request {} has its first phase in the timeline",
                r.id
            )
        });
        assert_eq!(
            last.to,
            Some(r.phase),
            "round {round}: request {}'s stored phase is its timeline's last change",
            r.id
        );
        for pair in tl.windows(2) {
            assert_eq!(
                pair[1].from, pair[0].to,
                "round {round}: request {}: no phase change lost (each starts where the last ended): {tl:?}",
                r.id
            );
            assert!(
                (pair[0].from, pair[0].to) != (pair[1].from, pair[1].to),
                "round {round}: request {}: no phase change recorded twice: {tl:?}",
                r.id
            );
        }
        let n = store.notification_count(r.id).unwrap();
        let kinds = notification_kinds(data, r.id);
        let phases = kinds
            .iter()
            .filter(|(kind, _)| kind != "pending")
            .map(|(_, count)| count)
            .sum::<i64>();
        assert!(
            kinds.iter().all(|(_, count)| *count == 1) && phases <= 1,
            "round {round}: request {} reached one notifying phase (and may have been seen \
             pending first): at most one notification of each, recorded {kinds:?}",
            r.id
        );
        notifications += n;
    }
    Checked {
        changes,
        requests: records.len(),
        notifications,
    }
}
