//! The one translation point from the core to what the UI receives: event
//! names and payload shapes live here and nowhere else.

use serde_json::Value;

pub use crate::contract::first_contact_text;
use crate::contract::MainWindowState;
use crate::poller::Poller;
use crate::store::{ServiceStatus, Store};
use crate::tracker::stats::Medians;
use crate::tracker::{Phase, Records};

/// Sent after every cycle that changed something, and on acknowledge/pause.
pub const EVENT_REQUESTS_CHANGED: &str = "requests-changed";
/// An action sent from a card or a notification came back: an
/// [`ActionJson`](crate::contract::ActionJson).
pub const EVENT_ACTION_DONE: &str = "action-done";

/// The main window's whole state.
pub fn list_payload(
    records: &Records,
    medians: &Medians,
    statuses: &[ServiceStatus],
    mode: RunMode,
    changed_ids: &[i64],
    first_contact: Option<(usize, usize)>,
    notice: Option<&str>,
) -> Value {
    let mut state = MainWindowState::new(
        records,
        medians,
        statuses,
        changed_ids,
        first_contact,
        notice,
    );
    state.paused = mode.paused;
    state.demo = mode.demo;
    serde_json::to_value(state).unwrap_or(Value::Null)
}

/// How the app runs: polling paused, on the demo stack.
#[derive(Debug, Clone, Copy, Default)]
pub struct RunMode {
    pub paused: bool,
    pub demo: bool,
}

/// Each phase's median from the store's timeline (for the ETA to
/// available); none when the timeline cannot be read.
pub fn medians(store: &Store) -> Medians {
    store.phase_medians().unwrap_or_default()
}

pub fn tracker_payload(
    t: &Poller,
    mode: RunMode,
    changed_ids: &[i64],
    notice: Option<&str>,
) -> Value {
    // The records are in memory; only the phase changes are read.
    let changes = t.store().phase_changes().unwrap_or_default();
    let medians = Medians::new(&crate::tracker::stats::timings(t.records(), &changes));
    list_payload(
        t.records(),
        &medians,
        &t.statuses(),
        mode,
        changed_ids,
        t.first_contact_progress(),
        notice,
    )
}

/// "2 downloading, 1 importing, 1 failed" for the tray.
pub fn tray_summary(records: &Records) -> (String, bool) {
    let mut counts = [0usize; 9];
    let mut attention = false;
    for r in records.values().filter(|r| !r.deleted) {
        if let Some(i) = Phase::ALL.iter().position(|p| *p == r.phase) {
            counts[i] += 1;
        }
        attention |= r.attention && !r.acknowledged;
    }
    let mut parts = Vec::new();
    for (i, p) in Phase::ALL.iter().enumerate() {
        if counts[i] == 0 || *p == Phase::Available {
            continue;
        }
        let name = p.as_str().to_lowercase().replace('_', " ");
        parts.push(format!("{} {name}", counts[i]));
    }
    if parts.is_empty() {
        ("Nothing in progress".to_string(), attention)
    } else {
        (parts.join(", "), attention)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_contact_progress_reaches_the_window_and_goes_when_done() {
        let p = list_payload(
            &Records::new(),
            &Medians::default(),
            &[],
            RunMode::default(),
            &[],
            Some((340, 1_000)),
            None,
        );
        assert_eq!(p["first_contact"]["read"], 340);
        assert_eq!(p["first_contact"]["listed"], 1_000);
        assert_eq!(
            p["first_contact"]["text"],
            "Reading your library: 340 of 1,000 requests"
        );
        let done = list_payload(
            &Records::new(),
            &Medians::default(),
            &[],
            RunMode::default(),
            &[],
            None,
            None,
        );
        assert!(done["first_contact"].is_null());
    }
}
