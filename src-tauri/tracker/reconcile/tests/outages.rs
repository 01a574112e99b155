//! A service that failed is no evidence: nothing moves backwards, to FAILED, or out.

use super::*;

// ---------------------------------------------------------------------------
// A failed call is no evidence
// ---------------------------------------------------------------------------

/// The film snapshots that put a fresh record in each phase.
pub(super) fn film_phase_snapshots() -> Vec<(Phase, Vec<Snapshot>)> {
    let pending = snap()
        .req(with_status(seerr_req(1, TMDB), SeerrRequestStatus::Pending))
        .movie(movie(MOVIE, TMDB));
    vec![
        (Phase::Requested, vec![pending]),
        (Phase::Approved, vec![film_approved()]),
        (Phase::Downloading, vec![film_downloading(0.4)]),
        (
            Phase::DownloadDone,
            vec![film_downloading(0.4), film_done()],
        ),
        (
            Phase::Importing,
            vec![film_downloading(0.4), film_imported()],
        ),
    ]
}

pub(super) fn fail_source(mut s: Snapshot, which: &str) -> Snapshot {
    match which {
        "jellyseerr" => s.jellyseerr = Source::Failed,
        "radarr" => s.radarr[0].data = Source::Failed,
        "qbittorrent" => s.qbittorrent = Source::Failed,
        "shoko" => s.shoko = Source::Failed,
        "jellyfin" => s.jellyfin = Source::Failed,
        "all" => {
            s.jellyseerr = Source::Failed;
            s.radarr[0].data = Source::Failed;
            s.sonarr[0].data = Source::Failed;
            s.qbittorrent = Source::Failed;
            s.shoko = Source::Failed;
            s.jellyfin = Source::Failed;
        }
        other => panic!("test bug: unknown service {other}"),
    }
    s
}

#[test]
pub(super) fn failed_service_is_no_evidence_in_every_phase() {
    for (want, path) in film_phase_snapshots() {
        for service in [
            "jellyseerr",
            "radarr",
            "qbittorrent",
            "shoko",
            "jellyfin",
            "all",
        ] {
            let mut recs = Records::new();
            for (i, s) in path.iter().enumerate() {
                step(&mut recs, s, t(i as i64));
            }
            assert_eq!(phase(&recs, 1), want, "test setup reaches {want}");
            let before = rec(&recs, 1).clone();
            let last = path.last().cloned().unwrap();
            for cycle in 0..3 {
                let s = fail_source(last.clone(), service);
                let out = step(&mut recs, &s, t(10 + cycle));
                let why = format!(
                    "{service} failed in {want} (cycle {cycle}): a failed call is no evidence"
                );
                assert_kept(&before, rec(&recs, 1), &why);
                assert_no_phase_or_reason_events(&out, &why);
            }
            // The service answers again with the same data: still nothing to say.
            let out = step(&mut recs, &last, t(20));
            let why = format!("{service} back in {want}");
            assert_kept(&before, rec(&recs, 1), &why);
            assert_no_phase_or_reason_events(&out, &why);
        }
    }
}

#[test]
pub(super) fn failed_service_never_makes_a_record_failed_or_new() {
    // Jellyseerr failing in the very first cycle creates nothing.
    let mut recs = Records::new();
    let out = step(
        &mut recs,
        &fail_source(film_downloading(0.2), "jellyseerr"),
        t(0),
    );
    assert!(
        out.changed.is_empty() && recs.is_empty(),
        "no Jellyseerr answer, no records"
    );

    // Everything but Jellyseerr failing: the request is known, nothing else.
    let mut s = film_approved();
    s.radarr[0].data = Source::Failed;
    s.qbittorrent = Source::Failed;
    s.jellyfin = Source::Failed;
    step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Approved,
        "only Jellyseerr answered: APPROVED"
    );
    assert!(
        !rec(&recs, 1).attention,
        "failed services raise no attention on a request"
    );
}

#[test]
pub(super) fn jellyfin_failed_is_not_jellyfin_missing() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.5), t(0));
    let s = fail_source(film_imported(), "jellyfin");
    step(&mut recs, &s, t(1));
    assert_ne!(
        phase(&recs, 1),
        Phase::Available,
        "a failed Jellyfin is no evidence: only NotConfigured lets the imported file count as AVAILABLE"
    );
}

#[test]
pub(super) fn queue_item_vanishing_is_not_evidence() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let before = rec(&recs, 1).clone();
    // Radarr answers, but its queue lost the item (its client call errored).
    let s = film_approved().torrent(downloading(&qh(1), 0.4));
    for cycle in 1..4 {
        let out = step(&mut recs, &s, t(cycle));
        assert_kept(
            &before,
            rec(&recs, 1),
            "a queue item disappearing is no evidence",
        );
        assert_no_phase_or_reason_events(&out, "queue item vanished");
    }

    // Same in DOWNLOAD_DONE with a blocked import.
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let s = film_approved()
        .rq(blocked(
            queue(&dl(1), MOVIE, "importBlocked"),
            "Movie title mismatch, automatic import is not possible. Manual Import required.",
        ))
        .torrent(seeding(&qh(1)));
    step(&mut recs, &s, t(1));
    assert_eq!(phase(&recs, 1), Phase::DownloadDone);
    let s = film_approved().torrent(seeding(&qh(1)));
    step(&mut recs, &s, t(2));
    assert_eq!(
        phase(&recs, 1),
        Phase::DownloadDone,
        "queue item vanished: phase kept"
    );
    assert!(
        !rec(&recs, 1).deleted,
        "a vanished queue item deletes nothing"
    );
}

#[test]
pub(super) fn recorded_download_follows_torrent_without_queue_item() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let s = film_approved().torrent(seeding(&qh(1)));
    step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::DownloadDone,
        "the remembered download id ties the completed torrent to the request"
    );
}
