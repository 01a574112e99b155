//! Which changes of a cycle become desktop notifications, and their words:
//! a request becoming AVAILABLE or FAILED (never on first sight: no burst of
//! old news), a series' new episodes (grouped per request and cycle), a
//! request stuck far longer than usual. Pure: the store records them with
//! the cycle that causes them, the desktop app shows them.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::model::{Change, Phase, Reconciled, Records, RequestRecord, StuckKind, Watch};
use super::reconcile::stuck_reason;

/// Which desktop notifications to show (`[notifications]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NotifyPrefs {
    /// A request became AVAILABLE.
    pub available: bool,
    /// A request became FAILED.
    pub failed: bool,
    /// A request became stuck (stalled, not imported, not in Radarr/Sonarr
    /// for longer than its `[attention]` threshold, or far longer than usual
    /// in its phase).
    pub stuck: bool,
    /// New episodes of an airing series became watchable.
    pub episodes: bool,
    /// A new request waits for approval (with Approve and Decline actions).
    #[serde(default = "yes")]
    pub pending: bool,
    /// Also when Radarr/Sonarr found no release for a day (this can last
    /// days): off unless asked for.
    #[serde(default)]
    pub no_release: bool,
}

fn yes() -> bool {
    true
}

impl Default for NotifyPrefs {
    fn default() -> Self {
        Self {
            available: true,
            failed: true,
            stuck: true,
            episodes: true,
            pending: true,
            no_release: false,
        }
    }
}

/// A notification to record with the cycle that causes it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct NewNotification {
    pub request_id: i64,
    /// available, failed, episodes, stuck, pending
    pub kind: &'static str,
    pub summary: String,
    pub body: String,
}

fn display_title(r: &RequestRecord) -> String {
    match r.year {
        Some(y) => format!("{} ({y})", r.title),
        None => r.title.clone(),
    }
}

/// The notifications a cycle's changes cause: a request becoming AVAILABLE or
/// FAILED (never on first sight: no burst of old news), and a series' new
/// episodes, grouped per request and cycle.
pub fn notifications_for(rec: &Reconciled, prefs: NotifyPrefs) -> Vec<NewNotification> {
    let by_id: HashMap<i64, &RequestRecord> = rec.changed.iter().map(|r| (r.id, r)).collect();
    let mut out = Vec::new();
    let mut episodes: BTreeMap<i64, Vec<String>> = Default::default();
    for change in &rec.changes {
        let Some(r) = by_id.get(&change.request_id()) else {
            continue;
        };
        match change {
            Change::PhaseChanged {
                from: Some(_),
                to: Phase::Available,
                ..
            } if prefs.available => out.push(NewNotification {
                request_id: r.id,
                kind: "available",
                summary: format!("{} is ready to watch", display_title(r)),
                body: format!("Requested by {}", r.requested_by),
            }),
            Change::PhaseChanged {
                from: Some(_),
                to: Phase::Failed,
                evidence,
                ..
            } if prefs.failed => out.push(NewNotification {
                request_id: r.id,
                kind: "failed",
                summary: format!("{} failed", display_title(r)),
                body: r.reason.clone().unwrap_or_else(|| evidence.clone()),
            }),
            Change::EpisodeAvailable { season, number, .. }
                if prefs.episodes && r.phase == Phase::Available =>
            {
                episodes
                    .entry(r.id)
                    .or_default()
                    .push(format!("S{season:02}E{number:02}"));
            }
            _ => {}
        }
    }
    for (id, eps) in episodes {
        if let Some(r) = by_id.get(&id) {
            let summary = if eps.len() == 1 {
                format!("{}: {} is ready to watch", r.title, eps[0])
            } else {
                format!("{}: {} new episodes are ready to watch", r.title, eps.len())
            };
            out.push(NewNotification {
                request_id: id,
                kind: "episodes",
                summary,
                body: eps.join(", "),
            });
        }
    }
    out
}

/// A request first seen waiting for approval (REQUESTED): the notification
/// offers Approve and Decline. None while first contact reads a library that
/// was there before the app (`first_contact`): no burst of old news.
pub fn pending_notifications(rec: &Reconciled, first_contact: bool) -> Vec<NewNotification> {
    if first_contact {
        return Vec::new();
    }
    let by_id: HashMap<i64, &RequestRecord> = rec.changed.iter().map(|r| (r.id, r)).collect();
    rec.changes
        .iter()
        .filter_map(|change| match change {
            Change::PhaseChanged {
                request_id,
                from: None,
                to: Phase::Requested,
                ..
            } => by_id.get(request_id),
            _ => None,
        })
        .filter(|r| !r.deleted)
        .map(|r| NewNotification {
            request_id: r.id,
            kind: "pending",
            summary: format!("{} was requested", display_title(r)),
            body: format!("{} asks for it: approve or decline", r.requested_by),
        })
        .collect()
}

/// A request that became stuck this cycle: its situation passed its
/// `[attention]` threshold (a stall, no import, not in Radarr/Sonarr; no
/// release only with `prefs.no_release`), or it started needing attention
/// without changing phase or reason (far longer than usual in its phase).
/// Once each time it becomes stuck.
pub fn stuck_notifications(
    prev: &Records,
    rec: &Reconciled,
    prefs: NotifyPrefs,
    now: DateTime<Utc>,
) -> Vec<NewNotification> {
    rec.changed
        .iter()
        .filter_map(|r| {
            let before = prev.get(&r.id)?;
            let stuck = |w: Option<Watch>| w.filter(|w| w.stuck);
            let body = match (stuck(r.watch), stuck(before.watch)) {
                (Some(w), None) => {
                    if w.kind == StuckKind::NoRelease && !prefs.no_release {
                        return None;
                    }
                    stuck_reason(r, &w, now)
                }
                (Some(_), Some(_)) => return None,
                (None, _) => {
                    let far_too_long = r.attention
                        && !before.attention
                        && before.phase == r.phase
                        && before.reason == r.reason
                        && r.phase != Phase::Failed;
                    if !far_too_long {
                        return None;
                    }
                    format!(
                        "{} since {}{}",
                        r.phase,
                        r.phase_since.format("%Y-%m-%d %H:%M UTC"),
                        r.reason
                            .as_deref()
                            .map(|x| format!(": {x}"))
                            .unwrap_or_default()
                    )
                }
            };
            Some(NewNotification {
                request_id: r.id,
                kind: "stuck",
                summary: format!("{} is stuck", display_title(r)),
                body,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;

    fn rec(id: i64, phase: Phase, attention: bool) -> RequestRecord {
        let t = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().unwrap();
        RequestRecord {
            attention,
            ..crate::testkit::film(id, phase, t)
        }
    }

    fn change(id: i64, from: Option<Phase>, to: Phase) -> Change {
        Change::PhaseChanged {
            request_id: id,
            at: Utc::now(),
            from,
            to,
            evidence: "e".into(),
        }
    }

    #[test]
    fn available_and_failed_notify_once_each_and_first_sightings_never() {
        let out = Reconciled {
            changed: vec![
                rec(1, Phase::Available, false),
                rec(2, Phase::Failed, true),
                rec(3, Phase::Available, false),
            ],
            changes: vec![
                change(1, Some(Phase::Importing), Phase::Available),
                change(2, Some(Phase::Downloading), Phase::Failed),
                change(3, None, Phase::Available),
            ],
        };
        let n = notifications_for(&out, NotifyPrefs::default());
        let kinds: Vec<(i64, &str)> = n.iter().map(|n| (n.request_id, n.kind)).collect();
        assert_eq!(
            kinds,
            [(1, "available"), (2, "failed")],
            "no news of a request seen for the first time"
        );
        assert_eq!(n[0].summary, "Dune: Part Two (2024) is ready to watch");
        let off = NotifyPrefs {
            available: false,
            failed: false,
            ..NotifyPrefs::default()
        };
        assert!(
            notifications_for(&out, off).is_empty(),
            "preferences are honoured"
        );
    }

    #[test]
    fn a_new_pending_request_notifies_but_not_at_first_contact() {
        let out = Reconciled {
            changed: vec![
                rec(1, Phase::Requested, false),
                rec(2, Phase::Requested, false),
                rec(3, Phase::Approved, false),
            ],
            changes: vec![
                change(1, None, Phase::Requested),
                // Seen before: no news.
                change(2, Some(Phase::Requested), Phase::Requested),
                change(3, None, Phase::Approved),
            ],
        };
        let n = pending_notifications(&out, false);
        let kinds: Vec<(i64, &str)> = n.iter().map(|n| (n.request_id, n.kind)).collect();
        assert_eq!(kinds, [(1, "pending")]);
        assert_eq!(n[0].summary, "Dune: Part Two (2024) was requested");
        assert!(
            pending_notifications(&out, true).is_empty(),
            "the pending requests of a library read for the first time are old news"
        );
    }

    #[test]
    fn new_episodes_are_grouped_per_request_and_cycle() {
        let out = Reconciled {
            changed: vec![rec(1, Phase::Available, false)],
            changes: (3..=5)
                .map(|n| Change::EpisodeAvailable {
                    request_id: 1,
                    at: Utc::now(),
                    season: 2,
                    number: n,
                })
                .collect(),
        };
        let n = notifications_for(&out, NotifyPrefs::default());
        assert_eq!(n.len(), 1, "one notification for the cycle's episodes");
        assert_eq!(n[0].body, "S02E03, S02E04, S02E05");
    }

    #[test]
    fn becoming_stuck_notifies_when_asked() {
        let mut prev = Records::new();
        prev.insert(1, rec(1, Phase::DownloadDone, false));
        let out = Reconciled {
            changed: vec![rec(1, Phase::DownloadDone, true)],
            changes: vec![],
        };
        let n = stuck_notifications(&prev, &out, NotifyPrefs::default(), Utc::now());
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].kind, "stuck");
        assert!(n[0].summary.contains("is stuck"));
    }

    /// A record whose situation `kind` began at `since`, stuck or not.
    fn watched(kind: StuckKind, since: chrono::DateTime<Utc>, stuck: bool) -> RequestRecord {
        RequestRecord {
            reason: Some(crate::tracker::reasons::STALLED.into()),
            watch: Some(Watch {
                kind,
                since,
                stuck,
                progress: None,
            }),
            attention: stuck,
            ..rec(1, Phase::Downloading, stuck)
        }
    }

    #[test]
    fn a_situation_passing_its_threshold_notifies_once_and_no_release_only_when_asked() {
        let t = Utc
            .with_ymd_and_hms(2026, 11, 1, 10, 0, 0)
            .single()
            .unwrap();
        let now = t + chrono::TimeDelta::minutes(70);
        let notify = |kind, before_stuck, prefs| {
            let mut prev = Records::new();
            prev.insert(1, watched(kind, t, before_stuck));
            let out = Reconciled {
                changed: vec![watched(kind, t, true)],
                changes: vec![],
            };
            stuck_notifications(&prev, &out, prefs, now)
        };
        let n = notify(StuckKind::Stalled, false, NotifyPrefs::default());
        assert_eq!(n.len(), 1, "stalled past its threshold notifies by default");
        assert_eq!(
            n[0].body,
            "stalled for 1 h 10 min in qBittorrent: no connection to peers"
        );
        assert!(
            notify(StuckKind::Stalled, true, NotifyPrefs::default()).is_empty(),
            "a request that stays stuck is not notified again"
        );
        assert!(
            notify(StuckKind::NoRelease, false, NotifyPrefs::default()).is_empty(),
            "no release: off by default"
        );
        let asked = NotifyPrefs {
            no_release: true,
            ..NotifyPrefs::default()
        };
        assert_eq!(notify(StuckKind::NoRelease, false, asked).len(), 1);
    }
}
