//! What a store must satisfy after any crash: a sound database, and for each
//! request a gap-free chain of phase changes ending at its stored phase, with
//! no change recorded twice and at most one notification.

#![allow(dead_code)]

use std::path::Path;

use status_tracker_lib::store::Store;

/// What one check saw.
pub struct Checked {
    /// Phase changes over all requests.
    pub changes: usize,
    /// Requests in the store.
    pub requests: usize,
    /// Notifications recorded over all requests.
    pub notifications: i64,
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
        assert!(
            n <= 1,
            "round {round}: request {} reached one notifying phase and has {n} notifications recorded",
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
