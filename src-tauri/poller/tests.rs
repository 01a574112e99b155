use chrono::TimeZone;

use super::*;
use crate::tracker::{MediaType, Phase, Reconciled, RequestRecord};

fn rec(id: i64, phase: Phase, attention: bool) -> RequestRecord {
    let t = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().unwrap();
    RequestRecord {
        id,
        jellyseerr_request_id: id,
        media_type: MediaType::Movie,
        title: "Dune: Part Two".into(),
        year: Some(2024),
        poster_path: None,
        tmdb_id: Some(1),
        tvdb_id: None,
        is_anime: false,
        is_4k: false,
        requested_by: "alice".into(),
        requested_at: t,
        seasons: vec![],
        phase,
        reason: None,
        attention,
        acknowledged: false,
        progress: None,
        eta_secs: None,
        download_speed: None,
        updated_at: t,
        phase_since: t,
        deleted: false,
        arr_id: None,
        download_ids: vec![],
        failed_download_id: None,
        imported_path: None,
        anidb_ids: vec![],
        jellyfin_id: None,
        seerr_status: None,
        seerr_media_status: None,
        seerr_updated_at: None,
        episodes: vec![],
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
    let n = stuck_notifications(&prev, &out);
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].kind, "stuck");
    assert!(n[0].summary.contains("is stuck"));
}
