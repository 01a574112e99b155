//! Stuck by duration (issue 18): each situation needs attention only once it
//! has lasted past its threshold, on the app's clock (passed in, never
//! read); an outage of a service it depends on and a stretch the app did not
//! watch (a suspend) stop the clock; the evidence moving on clears it.

use super::outages::fail_source;
use super::*;

/// One cycle with a clock: `since_last` since the previous cycle, of which
/// `unwatched` was not seen pass.
fn tick(
    recs: &mut Records,
    snap: &Snapshot,
    now: DateTime<Utc>,
    since_last: TimeDelta,
    unwatched: TimeDelta,
    rules: &AttentionRules,
) -> Reconciled {
    let clock = Clock {
        now,
        since_last,
        unwatched,
    };
    let out = reconcile_at(recs, snap, &clock, rules);
    for r in &out.changed {
        recs.insert(r.id, r.clone());
    }
    out
}

/// Cycles every `every` minutes from `from` to `to` (inclusive), all of
/// them watched, with the default thresholds.
fn run(recs: &mut Records, snap: &Snapshot, from: i64, to: i64, every: i64) -> Reconciled {
    let mut out = Reconciled::default();
    let mut m = from;
    while m <= to {
        let out_now = tick(
            recs,
            snap,
            t(m),
            TimeDelta::minutes(every),
            TimeDelta::zero(),
            &AttentionRules::default(),
        );
        out.changes.extend(out_now.changes);
        m += every;
    }
    out
}

fn shown(recs: &Records, id: i64, now: DateTime<Utc>) -> String {
    shown_reason(rec(recs, id), now)
        .map(|r| r.into_owned())
        .unwrap_or_default()
}

fn attention(recs: &Records, id: i64) -> bool {
    rec(recs, id).attention
}

/// The timeline lines a cycle wrote with their text.
fn reason_lines(out: &Reconciled) -> Vec<String> {
    out.changes
        .iter()
        .filter_map(|c| match c {
            Change::ReasonChanged {
                reason: Some(r), ..
            } => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn stalled() -> Snapshot {
    film_approved()
        .rq(queue(&dl(1), MOVIE, "downloading"))
        .rh(grabbed(1, &dl(1), MOVIE, t(1)))
        .torrent(torrent(&qh(1), 0.4, TorrentState::Stalled))
}

#[test]
fn a_stalled_torrent_needs_attention_only_after_an_hour_and_says_for_how_long() {
    let mut recs = Records::new();
    run(&mut recs, &film_downloading(0.4), 0, 0, 1);
    let out = run(&mut recs, &stalled(), 1, 1, 1);
    assert_eq!(reason(&recs, 1), reasons::STALLED);
    assert!(
        !attention(&recs, 1),
        "a torrent stalled a moment ago needs no attention yet"
    );
    assert!(reason_lines(&out).contains(&reasons::STALLED.to_string()));

    let out = run(&mut recs, &stalled(), 2, 60, 1);
    assert!(!attention(&recs, 1), "59 min stalled: not yet");
    assert!(reason_lines(&out).is_empty(), "{:?}", reason_lines(&out));
    let out = run(&mut recs, &stalled(), 61, 61, 1);
    assert!(attention(&recs, 1), "stalled for 1 h: attention");
    assert_eq!(
        reason_lines(&out),
        ["stalled for 1 h in qBittorrent: no connection to peers"],
        "becoming stuck is one line on the timeline"
    );
    assert_eq!(phase(&recs, 1), Phase::Downloading, "the phase stays");
    let out = run(&mut recs, &stalled(), 62, 71, 1);
    assert!(reason_lines(&out).is_empty(), "stuck is said once");
    assert_eq!(
        shown(&recs, 1, t(71)),
        "stalled for 1 h 10 min in qBittorrent: no connection to peers",
        "the reason shown says how long, as it grows"
    );
    assert_eq!(
        reason(&recs, 1),
        reasons::STALLED,
        "the stored reason stays the torrent's"
    );

    // It downloads again: the attention goes by itself.
    run(&mut recs, &film_downloading(0.5), 72, 72, 1);
    assert!(!attention(&recs, 1), "a moving download needs no attention");
    assert_eq!(rec(&recs, 1).watch, None);
    assert_ne!(shown(&recs, 1, t(72)), reasons::STALLED);

    // Stalled again: a new clock, from zero.
    run(&mut recs, &stalled(), 73, 120, 1);
    assert!(!attention(&recs, 1), "a second stall counts from its start");
    run(&mut recs, &stalled(), 121, 133, 1);
    assert!(attention(&recs, 1), "and is stuck an hour later");
}

#[test]
fn a_qbittorrent_outage_or_a_suspend_stops_the_stall_clock() {
    let rules = AttentionRules::default();
    let min = TimeDelta::minutes;
    let mut recs = Records::new();
    run(&mut recs, &film_downloading(0.4), 0, 0, 1);
    run(&mut recs, &stalled(), 10, 10, 10);
    // 20..=50: qBittorrent does not answer (40 minutes).
    let down = fail_source(stalled(), "qbittorrent");
    for m in [20, 30, 40, 50] {
        tick(&mut recs, &down, t(m), min(10), min(0), &rules);
    }
    tick(&mut recs, &stalled(), t(60), min(10), min(0), &rules);
    assert!(
        !attention(&recs, 1),
        "50 min of wall time, 10 of them watched: not stalled for an hour"
    );
    assert_eq!(
        shown(&recs, 1, t(60)),
        reasons::STALLED,
        "nothing stuck to say yet"
    );
    // The machine sleeps 9 hours: the first cycle after says 9 h unwatched.
    tick(
        &mut recs,
        &stalled(),
        t(60 + 9 * 60),
        min(9 * 60),
        min(9 * 60 - 1),
        &rules,
    );
    assert!(
        !attention(&recs, 1),
        "a suspend is not 9 hours of stall ({})",
        shown(&recs, 1, t(600))
    );
    // Seen stalled so far: 10 min before the outage, 1 min of the night.
    assert_eq!(
        shown(&recs, 1, t(600)),
        reasons::STALLED,
        "11 min counted: nothing stuck to say"
    );
    for m in (610..=640).step_by(10) {
        tick(&mut recs, &stalled(), t(m), min(10), min(0), &rules);
    }
    assert!(!attention(&recs, 1), "51 min counted");
    tick(&mut recs, &stalled(), t(650), min(10), min(0), &rules);
    assert!(attention(&recs, 1), "61 min counted");
    assert_eq!(
        shown(&recs, 1, t(650)),
        "stalled for 1 h 1 min in qBittorrent: no connection to peers"
    );
}

#[test]
fn approved_and_not_in_radarr_after_ten_minutes_names_radarr() {
    let mut recs = Records::new();
    let approved = snap().req(seerr_req(1, TMDB));
    run(&mut recs, &approved, 0, 9, 1);
    assert_eq!(phase(&recs, 1), Phase::Approved);
    assert_eq!(reason(&recs, 1), reasons::NOT_IN_RADARR);
    assert!(!attention(&recs, 1), "9 min: Jellyseerr may still send it");
    let out = run(&mut recs, &approved, 10, 12, 1);
    assert!(attention(&recs, 1));
    assert_eq!(
        reason_lines(&out),
        ["not in Radarr 10 min after approval: Jellyseerr may have failed to send it"]
    );
    assert_eq!(
        shown(&recs, 1, t(12)),
        "not in Radarr 12 min after approval: Jellyseerr may have failed to send it"
    );
    // Sent by hand: Radarr has it, searching; the attention goes.
    run(&mut recs, &film_approved(), 13, 13, 1);
    assert!(!attention(&recs, 1));
    assert_eq!(
        rec(&recs, 1).watch.map(|w| w.kind),
        Some(StuckKind::NoRelease)
    );
}

#[test]
fn no_release_for_a_day_counts_from_the_later_of_approval_and_radarrs_added_date() {
    let mut recs = Records::new();
    // Approved an hour before (Jellyseerr's updatedAt t(-60)), added to
    // Radarr half an hour before the app's first look.
    let mut m = movie(MOVIE, TMDB);
    m.added = Some(t(-30));
    let searching = snap().req(seerr_req(1, TMDB)).movie(m.clone());
    run(&mut recs, &searching, 0, 0, 1);
    assert_eq!(phase(&recs, 1), Phase::Approved);
    assert_eq!(rec(&recs, 1).watch.map(|w| w.since), Some(t(-30)));
    run(&mut recs, &searching, 60, 24 * 60 - 31, 60);
    assert!(!attention(&recs, 1), "23 h 59 min: not yet");
    let out = run(&mut recs, &searching, 24 * 60 - 30, 24 * 60 - 30, 60);
    assert!(attention(&recs, 1), "a day of searching without a release");
    assert_eq!(reason_lines(&out), ["no release found by Radarr in 24 h"]);
    assert_eq!(
        shown(&recs, 1, t(25 * 60 - 30)),
        "no release found by Radarr in 25 h"
    );

    // Not monitored, or not released yet: nothing to wait for, no clock.
    let mut recs = Records::new();
    let mut unmonitored = m.clone();
    unmonitored.monitored = false;
    run(
        &mut recs,
        &snap().req(seerr_req(1, TMDB)).movie(unmonitored),
        0,
        3 * 24 * 60,
        12 * 60,
    );
    assert_eq!(rec(&recs, 1).watch, None);
    let mut unreleased = m;
    unreleased.is_available = false;
    let mut recs = Records::new();
    run(
        &mut recs,
        &snap().req(seerr_req(1, TMDB)).movie(unreleased),
        0,
        3 * 24 * 60,
        12 * 60,
    );
    assert_eq!(rec(&recs, 1).watch, None);
    assert!(
        !shown(&recs, 1, t(3 * 24 * 60)).contains("no release"),
        "not released yet is not a missing release"
    );
}

#[test]
fn a_download_not_imported_for_an_hour_needs_attention_with_the_users_threshold() {
    let mut recs = Records::new();
    run(&mut recs, &film_downloading(0.9), 0, 0, 1);
    run(&mut recs, &film_done(), 1, 1, 1);
    assert_eq!(phase(&recs, 1), Phase::DownloadDone);
    run(&mut recs, &film_done(), 2, 60, 1);
    assert!(!attention(&recs, 1), "59 min after the download: not yet");
    run(&mut recs, &film_done(), 61, 61, 1);
    assert!(attention(&recs, 1));
    assert_eq!(
        shown(&recs, 1, t(61)),
        "downloaded 1 h ago and not imported by Radarr"
    );
    // Imported: attention goes with the new phase.
    run(&mut recs, &film_imported(), 62, 62, 1);
    assert!(!attention(&recs, 1));

    // A user who wants to hear of it after 5 minutes.
    let rules = AttentionRules {
        not_imported_minutes: 5,
        ..AttentionRules::default()
    };
    let mut recs = Records::new();
    let min = TimeDelta::minutes;
    tick(
        &mut recs,
        &film_downloading(0.9),
        t(0),
        min(0),
        min(0),
        &rules,
    );
    tick(&mut recs, &film_done(), t(1), min(1), min(0), &rules);
    tick(&mut recs, &film_done(), t(5), min(4), min(0), &rules);
    assert!(!attention(&recs, 1));
    tick(&mut recs, &film_done(), t(6), min(1), min(0), &rules);
    assert!(attention(&recs, 1), "5 min, as the user set it");
}

#[test]
fn the_clock_is_kept_with_the_record_across_a_restart() {
    // The app ran at t(1) and saw the stall; it is started again at t(75):
    // a fresh clock (nothing known of the time between) and the stored
    // records. The stall was seen at both ends: 1 h 14 min.
    let mut recs = Records::new();
    run(&mut recs, &film_downloading(0.4), 0, 0, 1);
    run(&mut recs, &stalled(), 1, 1, 1);
    let stored: Records = serde_json::from_str::<Vec<RequestRecord>>(
        &serde_json::to_string(&recs.values().collect::<Vec<_>>()).unwrap(),
    )
    .unwrap()
    .into_iter()
    .map(|r| (r.id, r))
    .collect();
    let mut recs = stored;
    let out = reconcile(&recs, &stalled(), t(75));
    for r in &out.changed {
        recs.insert(r.id, r.clone());
    }
    assert!(attention(&recs, 1));
    assert_eq!(
        shown(&recs, 1, t(75)),
        "stalled for 1 h 14 min in qBittorrent: no connection to peers"
    );
}

#[test]
fn durations_read_as_people_say_them() {
    let d = |m: i64| human_duration(TimeDelta::minutes(m));
    assert_eq!(d(0), "0 min");
    assert_eq!(d(12), "12 min");
    assert_eq!(d(60), "1 h");
    assert_eq!(d(70), "1 h 10 min");
    assert_eq!(d(25 * 60 + 5), "25 h");
    assert_eq!(d(3 * 24 * 60 + 100), "3 days");
}

/// Downloading by qBittorrent's word at 0 B/s, at `progress`.
fn idle(progress: f64) -> Snapshot {
    let mut torrent = downloading(&qh(1), progress);
    torrent.dlspeed = 0;
    torrent.eta_secs = None;
    film_approved()
        .rq(queue(&dl(1), MOVIE, "downloading"))
        .rh(grabbed(1, &dl(1), MOVIE, t(1)))
        .torrent(torrent)
}

#[test]
fn no_progress_at_zero_bytes_a_second_is_a_stall_that_progress_starts_again() {
    let mut recs = Records::new();
    run(&mut recs, &film_downloading(0.4), 0, 0, 1);
    run(&mut recs, &idle(0.4), 1, 60, 1);
    assert!(!attention(&recs, 1), "59 min at 0 B/s: not yet");
    // A few bytes arrive at minute 61: the clock starts again.
    run(&mut recs, &idle(0.41), 61, 61, 1);
    run(&mut recs, &idle(0.41), 62, 120, 1);
    assert!(
        !attention(&recs, 1),
        "progress at minute 61 started the clock again"
    );
    run(&mut recs, &idle(0.41), 121, 121, 1);
    assert!(attention(&recs, 1), "an hour without progress");
    assert_eq!(
        shown(&recs, 1, t(121)),
        "stalled for 1 h in qBittorrent: no progress at 0 B/s"
    );
    // Progress again: no longer stuck, and the attention goes.
    run(&mut recs, &idle(0.42), 122, 122, 1);
    assert!(!attention(&recs, 1));
    assert_eq!(phase(&recs, 1), Phase::Downloading);
}

#[test]
fn a_series_with_aired_episodes_and_no_grab_for_a_day_has_no_release_and_one_not_aired_does_not() {
    const TVDB_ID: i64 = 81189;
    let aired =
        snap()
            .req(seerr_tv(5, TVDB_ID, &[1]))
            .series(series(70, TVDB_ID, aired_eps(700, 1, 3)));
    let mut recs = Records::new();
    run(&mut recs, &aired, 0, 0, 60);
    assert_eq!(phase(&recs, 5), Phase::Approved);
    // Jellyseerr's approval (updatedAt) was an hour before the first look.
    run(&mut recs, &aired, 60, 23 * 60 - 1, 60);
    assert!(!attention(&recs, 5), "not a day yet");
    let out = run(&mut recs, &aired, 23 * 60, 23 * 60, 60);
    assert!(attention(&recs, 5), "a day since the approval");
    assert_eq!(reason_lines(&out), ["no release found by Sonarr in 24 h"]);

    // Nothing aired yet: waiting is normal, however long.
    let future: Vec<SonarrEpisode> = (1..=3)
        .map(|k| ep(800 + i64::from(k), 1, k, Some(days(30))))
        .collect();
    let unaired =
        snap()
            .req(seerr_tv(6, TVDB_ID + 1, &[1]))
            .series(series(71, TVDB_ID + 1, future));
    let mut recs = Records::new();
    run(&mut recs, &unaired, 0, 3 * 24 * 60, 12 * 60);
    assert_eq!(rec(&recs, 6).watch, None, "{:?}", rec(&recs, 6).reason);
    assert!(!attention(&recs, 6));
}
