//! A film from request to AVAILABLE, and the reasons, attention and failures on the way.

use super::*;

// ---------------------------------------------------------------------------
// Film flow
// ---------------------------------------------------------------------------

#[test]
pub(super) fn film_flow_phases_in_order() {
    let mut recs = Records::new();
    let pending = snap()
        .req(with_status(seerr_req(1, TMDB), SeerrRequestStatus::Pending))
        .movie(movie(MOVIE, TMDB));

    let out = step(&mut recs, &pending, t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Requested,
        "Jellyseerr pending → REQUESTED"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(None, Phase::Requested)],
        "first sighting is a PhaseChanged with from: None"
    );

    let out = step(&mut recs, &film_approved(), t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Approved,
        "approved, nothing grabbed → APPROVED"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(Some(Phase::Requested), Phase::Approved)]
    );
    assert!(
        evidence_of(&out, Phase::Approved).contains("Jellyseerr"),
        "the evidence names the service that said so"
    );

    let out = step(&mut recs, &film_downloading(0.3), t(2));
    assert_eq!(phase(&recs, 1), Phase::Downloading, "grab → DOWNLOADING");
    assert_eq!(
        phase_changes(&out),
        vec![(Some(Phase::Approved), Phase::Downloading)]
    );
    assert!(
        evidence_of(&out, Phase::Downloading).contains("Radarr"),
        "the grab's evidence names Radarr"
    );
    let r = rec(&recs, 1);
    assert_eq!(r.progress, Some(0.3), "progress is the torrent's progress");
    assert_eq!(r.eta_secs, Some(321), "eta comes from the torrent");
    assert_eq!(
        r.download_speed,
        Some(5_000_000),
        "speed comes from the torrent"
    );
    assert!(
        r.download_ids
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&dl(1))),
        "the grabbed download id is remembered"
    );
    assert_eq!(r.arr_id, Some(MOVIE), "the Radarr movie id is remembered");

    let out = step(&mut recs, &film_done(), t(3));
    assert_eq!(
        phase(&recs, 1),
        Phase::DownloadDone,
        "torrent complete → DOWNLOAD_DONE"
    );
    assert_eq!(
        reason(&recs, 1),
        reasons::WAIT_RADARR_IMPORT,
        "no message: waiting for Radarr"
    );
    let ev = evidence_of(&out, Phase::DownloadDone);
    assert!(
        ev.contains("qBittorrent") || ev.contains("Radarr"),
        "completion evidence names the service (qBittorrent or Radarr): {ev:?}"
    );

    let out = step(&mut recs, &film_imported(), t(4));
    assert_eq!(
        phase(&recs, 1),
        Phase::Importing,
        "imported, Jellyfin configured → IMPORTING"
    );
    assert_eq!(
        reason(&recs, 1),
        reasons::WAIT_JELLYFIN,
        "IMPORTING waits for Jellyfin"
    );
    let ev = evidence_of(&out, Phase::Importing);
    assert!(
        ev.contains("Radarr"),
        "import evidence names Radarr: {ev:?}"
    );
    assert_eq!(
        rec(&recs, 1).imported_path.as_deref(),
        Some(FILM_PATH),
        "the imported path is remembered"
    );

    let out = step(&mut recs, &film_available(), t(5));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "playable Jellyfin movie → AVAILABLE"
    );
    let ev = evidence_of(&out, Phase::Available);
    assert!(
        ev.contains("Jellyfin"),
        "availability evidence names Jellyfin: {ev:?}"
    );
    let r = rec(&recs, 1);
    assert!(!r.attention, "an available film needs no attention");
    assert!(!is_open(r), "an AVAILABLE record is finished");
}

#[test]
pub(super) fn film_phase_changes_carry_time_and_update_phase_since() {
    let mut recs = Records::new();
    step(&mut recs, &film_approved(), t(0));
    let out = step(&mut recs, &film_downloading(0.1), t(9));
    match out.changes.as_slice() {
        [Change::PhaseChanged { request_id, at, .. }] => {
            assert_eq!(
                *request_id,
                rec(&recs, 1).id,
                "events name the local record id"
            );
            assert_eq!(*at, t(9), "events carry the reconcile time");
        }
        other => panic!("expected one PhaseChanged, got {other:#?}"),
    }
    assert_eq!(
        rec(&recs, 1).phase_since,
        t(9),
        "phase_since is when the phase began"
    );
}

#[test]
pub(super) fn film_skips_grabbing() {
    let mut recs = Records::new();
    let mut seen = vec![];
    step(&mut recs, &film_approved(), t(0));
    // A grab in the history only (no queue item yet) is already a grab.
    let grab = film_approved()
        .rh(grabbed(1, &dl(1), MOVIE, t(1)))
        .torrent(downloading(&qh(1), 0.0));
    let out = step(&mut recs, &grab, t(1));
    seen.extend(phase_changes(&out));
    assert_eq!(
        phase(&recs, 1),
        Phase::Downloading,
        "films go APPROVED → DOWNLOADING directly"
    );
    for cycle in 2..5 {
        let out = step(&mut recs, &film_downloading(0.1 * cycle as f64), t(cycle));
        seen.extend(phase_changes(&out));
    }
    assert!(
        seen.iter().all(|(_, to)| *to != Phase::Grabbing),
        "films skip GRABBING: {seen:?}"
    );
}

#[test]
pub(super) fn approved_with_queue_grab_in_first_cycle_is_downloading() {
    let mut recs = Records::new();
    let out = step(&mut recs, &film_downloading(0.5), t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Downloading,
        "a queue item with a download id is a grab"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(None, Phase::Downloading)],
        "first sighting is one PhaseChanged from None to the phase the evidence shows"
    );
}

#[test]
pub(super) fn completed_seerr_request_with_nothing_else_is_approved() {
    let mut recs = Records::new();
    let s = snap()
        .req(with_status(
            seerr_req(1, TMDB),
            SeerrRequestStatus::Completed,
        ))
        .movie(movie(MOVIE, TMDB));
    step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Approved,
        "Approved (or Completed) with nothing else → APPROVED"
    );
}

#[test]
pub(super) fn record_copies_request_fields() {
    let mut recs = Records::new();
    step(&mut recs, &film_approved(), t(0));
    let r = rec(&recs, 1);
    assert_eq!(r.media_type, MediaType::Movie);
    assert_eq!(r.tmdb_id, Some(TMDB));
    assert_eq!(r.title, "Film 100", "title from Jellyseerr");
    assert_eq!(r.year, Some(2024));
    assert_eq!(r.requested_by, "alice");
    assert_eq!(
        r.requested_at,
        t(-60),
        "requested_at is the request's creation time"
    );
    assert!(!r.deleted);
    assert_eq!(
        episode_counts(r, t(0)),
        None,
        "films have no episode counts"
    );
}

#[test]
pub(super) fn phases_never_move_backwards() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.5), t(0));
    step(&mut recs, &film_done(), t(1));
    assert_eq!(phase(&recs, 1), Phase::DownloadDone);

    // qBittorrent rechecks: the torrent shows 0.99 again.
    let recheck = film_approved()
        .rq(queue(&dl(1), MOVIE, "downloading"))
        .torrent(downloading(&qh(1), 0.99));
    let out = step(&mut recs, &recheck, t(2));
    assert_eq!(
        phase(&recs, 1),
        Phase::DownloadDone,
        "phases never move backwards"
    );
    assert!(
        phase_changes(&out).is_empty(),
        "no phase change backwards: {:?}",
        out.changes
    );

    step(&mut recs, &film_imported(), t(3));
    assert_eq!(phase(&recs, 1), Phase::Importing);
    let out = step(&mut recs, &recheck, t(4));
    assert_eq!(
        phase(&recs, 1),
        Phase::Importing,
        "IMPORTING never goes back to DOWNLOADING"
    );
    assert!(phase_changes(&out).is_empty());

    step(&mut recs, &film_available(), t(5));
    let out = step(&mut recs, &recheck, t(6));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "AVAILABLE stays AVAILABLE"
    );
    assert!(phase_changes(&out).is_empty());
}

#[test]
pub(super) fn without_jellyfin_imported_film_is_available() {
    let mut recs = Records::new();
    let mut s = film_downloading(0.5);
    s.jellyfin = Source::NotConfigured;
    step(&mut recs, &s, t(0));
    let mut s = film_imported();
    s.jellyfin = Source::NotConfigured;
    step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "without Jellyfin the *arr's imported file is the best evidence of AVAILABLE"
    );
}

// ---------------------------------------------------------------------------
// Reasons, attention, failures
// ---------------------------------------------------------------------------

#[test]
pub(super) fn import_blocked_reason_is_verbatim() {
    let msg = "No files found are eligible for import in /downloads/Film.100.2024.2160p";
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.9), t(0));
    let s = film_approved()
        .rq(blocked(queue(&dl(1), MOVIE, "importBlocked"), msg))
        .torrent(seeding(&qh(1)));
    step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::DownloadDone,
        "a blocked import is not FAILED: it is DOWNLOAD_DONE with the *arr's message"
    );
    assert!(
        reason(&recs, 1).contains(msg),
        "the *arr's message is the reason, verbatim: {:?}",
        reason(&recs, 1)
    );
    assert!(
        rec(&recs, 1).attention,
        "an *arr warning message needs attention"
    );

    // importPending with a message is shown the same way.
    let msg2 = "Not an upgrade for existing movie file. Existing quality: WEBDL-2160p";
    let mut q = blocked(queue(&dl(1), MOVIE, "importPending"), msg2);
    q.tracked_state = Some("importPending".into());
    let out = step(
        &mut recs,
        &film_approved().rq(q).torrent(seeding(&qh(1))),
        t(2),
    );
    assert_eq!(phase(&recs, 1), Phase::DownloadDone);
    assert!(
        reason(&recs, 1).contains(msg2),
        "importPending messages are the reason, verbatim"
    );
    assert!(
        out.changes.iter().any(|c| matches!(c, Change::ReasonChanged { phase: Phase::DownloadDone, reason: Some(r), .. } if r.contains(msg2))),
        "a reason change within a phase is a ReasonChanged event: {:#?}",
        out.changes
    );
}

#[test]
pub(super) fn queue_failed_is_failed_with_message() {
    let msg = "qBittorrent is reporting an error";
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let s = film_approved()
        .rq(failed_q(queue(&dl(1), MOVIE, "failedPending"), msg))
        .torrent(downloading(&qh(1), 0.4));
    let out = step(&mut recs, &s, t(1));
    let r = rec(&recs, 1);
    assert_eq!(r.phase, Phase::Failed, "queue failedPending → FAILED");
    assert!(
        r.reason.as_deref().unwrap_or("").contains(msg),
        "FAILED carries the message verbatim: {:?}",
        r.reason
    );
    assert!(r.attention, "FAILED needs attention");
    assert!(
        r.failed_download_id
            .as_deref()
            .is_some_and(|d| d.eq_ignore_ascii_case(&dl(1))),
        "failed_download_id remembers the failed download"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(Some(Phase::Downloading), Phase::Failed)]
    );
}

#[test]
pub(super) fn history_download_failed_is_failed_with_message() {
    let msg = "Download wasn't grabbed by client: tracker unreachable";
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let mut h = hist(3, HistoryKind::DownloadFailed, &dl(1), MOVIE, t(5));
    h.message = Some(msg.into());
    let s = film_approved().rh(h).torrent(downloading(&qh(1), 0.4));
    step(&mut recs, &s, t(6));
    assert_eq!(
        phase(&recs, 1),
        Phase::Failed,
        "history DownloadFailed for the current download → FAILED"
    );
    assert!(
        reason(&recs, 1).contains(msg),
        "with the message verbatim: {:?}",
        reason(&recs, 1)
    );
}

#[test]
pub(super) fn a_failure_and_the_regrab_read_in_one_cycle_is_downloading() {
    // Radarr fails a download (by itself, or a blocklist from the app) and
    // grabs another within seconds: one history read carries both.
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let mut failed = hist(3, HistoryKind::DownloadFailed, &dl(1), MOVIE, t(5));
    failed.message = Some("Manually marked as failed".into());
    let s = film_approved()
        .rh(failed)
        .rh(grabbed(4, &dl(2), MOVIE, t(5)))
        .rq(queue(&dl(2), MOVIE, "downloading"))
        .torrent(downloading(&qh(2), 0.05));
    let out = step(&mut recs, &s, t(6));
    let r = rec(&recs, 1);
    assert_eq!(r.phase, Phase::Downloading, "{:?}", r.reason);
    assert!(phase_changes(&out).is_empty(), "no FAILED on the way");
    assert_eq!(r.download_ids.last(), Some(&dl(2)));
    assert_eq!(r.progress, Some(0.05), "the new download's progress");

    // A failure after the regrab is still a failure.
    let mut failed_again = hist(5, HistoryKind::DownloadFailed, &dl(2), MOVIE, t(7));
    failed_again.message = Some("Manually marked as failed".into());
    step(&mut recs, &film_approved().rh(failed_again), t(8));
    assert_eq!(phase(&recs, 1), Phase::Failed);
}

#[test]
pub(super) fn two_grabs_in_one_cycle_are_read_oldest_first() {
    // Radarr lists its history newest first; the record's newest download is
    // the later grab, whatever the order of the listing.
    let mut recs = Records::new();
    let s = film_approved()
        .rh(grabbed(5, &dl(2), MOVIE, t(3)))
        .rh(grabbed(4, &dl(1), MOVIE, t(1)))
        .torrent(downloading(&qh(1), 0.9))
        .torrent(downloading(&qh(2), 0.2));
    step(&mut recs, &s, t(4));
    let r = rec(&recs, 1);
    assert_eq!(r.download_ids.last(), Some(&dl(2)), "{:?}", r.download_ids);
    assert_eq!(r.progress, Some(0.2), "progress is the newer download's");
}

#[test]
pub(super) fn failed_then_regrabbed_moves_on() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let failed = film_approved().rq(failed_q(
        queue(&dl(1), MOVIE, "failed"),
        "The download is stalled with no connections",
    ));
    step(&mut recs, &failed, t(1));
    assert_eq!(phase(&recs, 1), Phase::Failed);

    // Evidence from the failed download never moves the request on again.
    let old = film_approved().torrent(downloading(&qh(1), 0.6));
    step(&mut recs, &old, t(2));
    assert_eq!(
        phase(&recs, 1),
        Phase::Failed,
        "the failed download is no evidence of progress"
    );

    // Radarr grabs another release.
    let regrab = film_approved()
        .rh(grabbed(4, &dl(2), MOVIE, t(3)))
        .rq(queue(&dl(2), MOVIE, "downloading"))
        .torrent(downloading(&qh(2), 0.1));
    let out = step(&mut recs, &regrab, t(3));
    let r = rec(&recs, 1);
    assert_eq!(
        r.phase,
        Phase::Downloading,
        "FAILED is not a dead end: a new grab moves on"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(Some(Phase::Failed), Phase::Downloading)],
        "the timeline shows it"
    );
    assert_eq!(r.progress, Some(0.1), "progress is the new torrent's");
    assert!(
        r.failed_download_id
            .as_deref()
            .is_some_and(|d| d.eq_ignore_ascii_case(&dl(1))),
        "failed_download_id remembers the failed one"
    );
    assert!(
        r.download_ids
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&dl(2))),
        "the new download id is recorded"
    );
    assert!(!r.attention, "the new download needs no attention");
}

#[test]
pub(super) fn declined_is_failed_with_reason() {
    let mut recs = Records::new();
    let s = snap().req(with_status(seerr_req(1, TMDB), SeerrRequestStatus::Pending));
    step(&mut recs, &s, t(0));
    let s = snap().req(with_status(
        seerr_req(1, TMDB),
        SeerrRequestStatus::Declined,
    ));
    let out = step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Failed,
        "Jellyseerr declined → FAILED"
    );
    assert_eq!(reason(&recs, 1), reasons::DECLINED);
    assert!(rec(&recs, 1).attention, "FAILED needs attention");
    assert!(evidence_of(&out, Phase::Failed).contains("Jellyseerr"));
}

#[test]
pub(super) fn seerr_failed_is_failed_with_reason() {
    let mut recs = Records::new();
    let s = snap()
        .req(with_status(seerr_req(1, TMDB), SeerrRequestStatus::Failed))
        .movie(movie(MOVIE, TMDB));
    step(&mut recs, &s, t(0));
    assert_eq!(phase(&recs, 1), Phase::Failed, "Jellyseerr failed → FAILED");
    assert_eq!(reason(&recs, 1), reasons::SEERR_FAILED);
}

#[test]
pub(super) fn seerr_failed_with_arr_activity_follows_the_arr() {
    let mut recs = Records::new();
    let mut s = film_downloading(0.3);
    ok_mut(&mut s.jellyseerr).requests[0].status = SeerrRequestStatus::Failed;
    step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Downloading,
        "Seerr Failed is FAILED unless the *arr shows activity for the media"
    );
}

#[test]
pub(super) fn seerr_failed_overridden_by_jellyfin() {
    let mut recs = Records::new();
    let failed = |s: Snapshot| {
        let mut s = s;
        ok_mut(&mut s.jellyseerr).requests[0].status = SeerrRequestStatus::Failed;
        s
    };
    step(&mut recs, &failed(film_approved()), t(0));
    assert_eq!(phase(&recs, 1), Phase::Failed);
    let out = step(&mut recs, &failed(film_available()), t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "Seerr keeps a FAILED request FAILED after its media is available: Jellyfin's evidence overrides it"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(Some(Phase::Failed), Phase::Available)]
    );
    assert!(
        !rec(&recs, 1).attention,
        "an available request needs no attention"
    );
}

#[test]
pub(super) fn stalled_is_said_and_paused_raises_attention() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let with = |state| {
        film_approved()
            .rq(queue(&dl(1), MOVIE, "downloading"))
            .torrent(torrent(&qh(1), 0.4, state))
    };
    let out = step(&mut recs, &with(TorrentState::Stalled), t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Downloading,
        "stalled keeps DOWNLOADING"
    );
    assert_eq!(reason(&recs, 1), reasons::STALLED);
    assert!(
        !rec(&recs, 1).attention,
        "a torrent just stalled needs no attention yet (tests/stuck.rs: after an hour)"
    );
    assert!(
        out.changes
            .iter()
            .any(|c| matches!(c, Change::ReasonChanged { .. })),
        "the reason change is an event: {:#?}",
        out.changes
    );

    step(&mut recs, &with(TorrentState::StoppedDownload), t(2));
    assert_eq!(
        phase(&recs, 1),
        Phase::Downloading,
        "paused keeps DOWNLOADING"
    );
    assert_eq!(reason(&recs, 1), reasons::PAUSED);
    assert!(rec(&recs, 1).attention, "a stopped torrent needs attention");

    step(&mut recs, &with(TorrentState::Downloading), t(3));
    assert_ne!(
        reason(&recs, 1),
        reasons::PAUSED,
        "the reason follows the torrent when it resumes"
    );
    assert!(
        !rec(&recs, 1).attention,
        "a resumed download needs no attention"
    );
}

#[test]
pub(super) fn torrent_error_and_missing_files_fail() {
    for (state, why) in [
        (TorrentState::Error, reasons::TORRENT_ERROR),
        (TorrentState::MissingFiles, reasons::MISSING_FILES),
    ] {
        let mut recs = Records::new();
        step(&mut recs, &film_downloading(0.4), t(0));
        let s = film_approved()
            .rq(queue(&dl(1), MOVIE, "downloading"))
            .torrent(torrent(&qh(1), 0.4, state.clone()));
        step(&mut recs, &s, t(1));
        assert_eq!(phase(&recs, 1), Phase::Failed, "torrent {state:?} → FAILED");
        assert_eq!(reason(&recs, 1), why);
        assert!(rec(&recs, 1).attention);
    }
}

#[test]
pub(super) fn torrent_removed_keeps_phase() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    // qBittorrent answers with a complete listing that lacks the torrent.
    let s = film_approved().rq(queue(&dl(1), MOVIE, "downloading"));
    let out = step(&mut recs, &s, t(1));
    let r = rec(&recs, 1);
    assert_eq!(
        r.phase,
        Phase::Downloading,
        "removal is not a failure: phase kept"
    );
    assert_eq!(
        r.reason.as_deref(),
        Some(reasons::REMOVED_QBIT),
        "the reason says what disappeared"
    );
    assert!(r.attention, "something removed upstream needs attention");
    assert!(
        out.changes.iter().any(|c| matches!(c, Change::ReasonChanged { reason: Some(x), .. } if x == reasons::REMOVED_QBIT)),
        "the removal is on the timeline: {:#?}",
        out.changes
    );

    // A failed qBittorrent call is no such evidence.
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let mut s = film_approved().rq(queue(&dl(1), MOVIE, "downloading"));
    s.qbittorrent = Source::Failed;
    step(&mut recs, &s, t(1));
    assert_ne!(
        reason(&recs, 1),
        reasons::REMOVED_QBIT,
        "a failed call is not a removal"
    );
}

#[test]
pub(super) fn held_release_is_approved_with_reason() {
    let mut recs = Records::new();
    let mut q = queue("", MOVIE, "");
    q.download_id = None;
    q.tracked_state = None;
    q.tracked_status = None;
    q.status = "delay".into();
    step(&mut recs, &film_approved().rq(q), t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Approved,
        "a pending release (no download id) is no grab"
    );
    assert_eq!(reason(&recs, 1), reasons::HELD, "the delay is the reason");
}

#[test]
pub(super) fn unmonitored_movie_is_approved_with_reason() {
    let mut recs = Records::new();
    let mut m = movie(MOVIE, TMDB);
    m.monitored = false;
    step(&mut recs, &snap().req(seerr_req(1, TMDB)).movie(m), t(0));
    assert_eq!(phase(&recs, 1), Phase::Approved);
    assert_eq!(
        reason(&recs, 1),
        reasons::NOT_MONITORED_RADARR,
        "APPROVED says why when the *arr tells"
    );
}
