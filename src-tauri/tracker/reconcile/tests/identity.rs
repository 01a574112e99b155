//! Matching a request to the media of each service, item identity, deletion upstream.

use super::*;

// ---------------------------------------------------------------------------
// Matching, identity, upstream deletion
// ---------------------------------------------------------------------------

#[test]
pub(super) fn already_available_goes_straight_to_available() {
    let mut recs = Records::new();
    let s = snap()
        .req(seerr_req(1, TMDB))
        .movie(with_file(movie(MOVIE, TMDB), FILM_PATH))
        .jf(jf_movie(TMDB));
    let out = step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "already there → AVAILABLE in the first cycle"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(None, Phase::Available)],
        "whatever phases it skipped, one first-sighting event"
    );
}

#[test]
pub(super) fn re_request_does_not_touch_old_record() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.5), t(0));
    step(&mut recs, &film_available(), t(1));
    let a_id = rec(&recs, 1).id;
    assert_eq!(phase(&recs, 1), Phase::Available);

    let old_req = with_status(seerr_req(1, TMDB), SeerrRequestStatus::Completed);
    // The file is deleted from the library (the record may note it; it stays AVAILABLE).
    let gone = snap().req(old_req.clone()).movie(movie(MOVIE, TMDB));
    step(&mut recs, &gone, t(100));
    assert_eq!(
        rec(&recs, 1).phase,
        Phase::Available,
        "finished records are frozen"
    );
    let a_before = rec(&recs, 1).clone();

    // A new request for the same film, then a new grab, download, import.
    let mut b = seerr_req(2, TMDB);
    b.created_at = t(150);
    b.updated_at = t(150);
    let base_b = || {
        snap()
            .req(old_req.clone())
            .req(b.clone())
            .movie(movie(MOVIE, TMDB))
    };
    let cycles = [
        base_b(),
        base_b()
            .rh(grabbed(10, &dl(2), MOVIE, t(201)))
            .rq(queue(&dl(2), MOVIE, "downloading"))
            .torrent(downloading(&qh(2), 0.2)),
        base_b()
            .rq(blocked(
                queue(&dl(2), MOVIE, "importBlocked"),
                "Movie title mismatch, automatic import is not possible. Manual Import required.",
            ))
            .torrent(seeding(&qh(2))),
    ];
    for (i, s) in cycles.iter().enumerate() {
        let out = step(&mut recs, s, t(200 + i as i64));
        assert!(
            out.changed.iter().all(|r| r.id != a_id),
            "old requests stay old: cycle {i} changed the finished record"
        );
        assert!(
            out.changes.iter().all(|c| c.request_id() != a_id),
            "no event of the new download lands on the old record (cycle {i})"
        );
    }
    assert_eq!(rec(&recs, 1), &a_before, "record A unchanged");
    let b_rec = rec(&recs, 2);
    assert_ne!(b_rec.id, a_id, "a re-request is a new record");
    assert_eq!(
        b_rec.phase,
        Phase::DownloadDone,
        "the new download moves the new request"
    );
    assert!(b_rec
        .download_ids
        .iter()
        .any(|d| d.eq_ignore_ascii_case(&dl(2))));
    assert!(
        !rec(&recs, 1)
            .download_ids
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&dl(2))),
        "the new download id never lands on the old record"
    );
}

#[test]
pub(super) fn deleted_in_jellyseerr_keeps_record() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    // A complete Jellyseerr sweep without the request.
    let s = snap()
        .movie(movie(MOVIE, TMDB))
        .rq(queue(&dl(1), MOVIE, "downloading"))
        .torrent(downloading(&qh(1), 0.4));
    let out = step(&mut recs, &s, t(1));
    let r = rec(&recs, 1);
    assert!(
        r.deleted,
        "a complete listing without the request is a deletion"
    );
    assert_eq!(
        r.reason.as_deref(),
        Some(reasons::DELETED),
        "the reason says it was deleted"
    );
    assert_eq!(r.phase, Phase::Downloading, "the phase is kept as history");
    assert!(!is_open(r), "a deleted record leaves the active views");
    assert!(!out.changes.is_empty(), "the deletion is on the timeline");
    assert!(
        !wants(&recs).movie_tmdb_ids.contains(&TMDB),
        "deleted records want nothing"
    );

    // Still deleted, nothing new to say, in the next sweep.
    let out = step(&mut recs, &s, t(2));
    assert!(rec(&recs, 1).deleted);
    assert_no_phase_or_reason_events(&out, "a deletion is reported once");
}

#[test]
pub(super) fn a_finished_request_deleted_in_jellyseerr_is_marked_deleted_too() {
    let mut recs = Records::new();
    step(&mut recs, &film_available(), t(0));
    assert_eq!(rec(&recs, 1).phase, Phase::Available);
    // A complete sweep without the request; Jellyfin still has the film.
    let mut s = film_available();
    ok_mut(&mut s.jellyseerr).requests.clear();
    let out = step(&mut recs, &s, t(1));
    let r = rec(&recs, 1);
    assert!(
        r.deleted,
        "a complete listing without the request is a deletion"
    );
    assert_eq!(r.reason.as_deref(), Some(reasons::DELETED));
    assert_eq!(r.phase, Phase::Available, "the phase is kept as history");
    assert!(!r.attention, "a finished record deleted needs no attention");
    assert!(!out.changes.is_empty(), "the deletion is on the timeline");
    let out = step(&mut recs, &s, t(2));
    assert_no_phase_or_reason_events(&out, "a deletion is reported once");
}

#[test]
pub(super) fn a_finished_films_deleted_file_is_on_its_timeline_once() {
    let mut recs = Records::new();
    step(&mut recs, &film_available(), t(0));
    let r = rec(&recs, 1).clone();
    assert_eq!(r.phase, Phase::Available);
    assert_eq!(r.arr_id, Some(MOVIE));
    // Later, Radarr deletes the file (the user removed it from the library).
    let s = film_available().rh(hist(9, HistoryKind::FileDeleted, &dl(1), MOVIE, t(40)));
    let out = step(&mut recs, &s, t(41));
    let r = rec(&recs, 1);
    assert_eq!(r.phase, Phase::Available, "a finished record is frozen");
    assert_eq!(r.reason.as_deref(), Some(reasons::FILE_DELETED));
    assert!(
        out.changes.iter().any(|c| matches!(c,
            Change::ReasonChanged { reason: Some(x), .. } if x == reasons::FILE_DELETED)),
        "the deletion is on the timeline: {:?}",
        out.changes
    );
    let out = step(&mut recs, &s, t(42));
    assert_no_phase_or_reason_events(&out, "said once");
}

#[test]
pub(super) fn partial_listing_is_not_deletion() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let before = rec(&recs, 1).clone();
    let s = snap()
        .partial()
        .movie(movie(MOVIE, TMDB))
        .rq(queue(&dl(1), MOVIE, "downloading"))
        .torrent(downloading(&qh(1), 0.4));
    let out = step(&mut recs, &s, t(1));
    assert!(
        !rec(&recs, 1).deleted,
        "absence from a partial listing means nothing"
    );
    assert_kept(&before, rec(&recs, 1), "partial Jellyseerr listing");
    assert!(
        out.changed.is_empty(),
        "nothing changed: {:#?}",
        out.changed
    );
}

#[test]
pub(super) fn hash_matching_is_case_insensitive() {
    let mut recs = Records::new();
    // Queue id upper-case (as the *arr stores it), history id lower-case, qB lower-case.
    let s = film_approved()
        .rq(queue(&dl(0xABCDEF), MOVIE, "downloading"))
        .rh(grabbed(1, &qh(0xABCDEF), MOVIE, t(0)))
        .torrent(downloading(&qh(0xABCDEF), 0.42));
    step(&mut recs, &s, t(0));
    let r = rec(&recs, 1);
    assert_eq!(r.phase, Phase::Downloading);
    assert_eq!(
        r.progress,
        Some(0.42),
        "download id ↔ torrent hash compare case-insensitively"
    );
    assert_ne!(
        r.reason.as_deref(),
        Some(reasons::REMOVED_QBIT),
        "the torrent was found"
    );
}

pub(super) fn hybrid(hash: &str, v1: &str, v2: &str, progress: f64) -> Torrent {
    Torrent {
        infohash_v1: Some(v1.into()),
        infohash_v2: Some(v2.into()),
        ..downloading(hash, progress)
    }
}

#[test]
pub(super) fn hybrid_torrent_matches_v2_prefix() {
    let v1 = "1111111111111111111111111111111111111111";
    let v2 = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
    // The *arr knows the truncated v2 id; qBittorrent's listing keys the torrent by v1.
    let id = v2[..40].to_ascii_uppercase();
    let mut recs = Records::new();
    let s = film_approved()
        .rq(queue(&id, MOVIE, "downloading"))
        .torrent(hybrid(v1, v1, v2, 0.66));
    step(&mut recs, &s, t(0));
    assert_eq!(
        rec(&recs, 1).progress,
        Some(0.66),
        "a download id matches the first 40 chars of infohash_v2"
    );
    assert_ne!(reason(&recs, 1), reasons::REMOVED_QBIT);
}

#[test]
pub(super) fn hybrid_torrent_matches_v1() {
    let v1 = "2222222222222222222222222222222222222222";
    let v2 = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
    // qB keys a hybrid torrent by its truncated v2 id; the *arr grabbed it by v1.
    let mut recs = Records::new();
    let s = film_approved()
        .rq(queue(&v1.to_ascii_uppercase(), MOVIE, "downloading"))
        .torrent(hybrid(&v2[..40], v1, v2, 0.25));
    step(&mut recs, &s, t(0));
    assert_eq!(
        rec(&recs, 1).progress,
        Some(0.25),
        "a download id matches infohash_v1"
    );
    assert_ne!(reason(&recs, 1), reasons::REMOVED_QBIT);
}

#[test]
pub(super) fn torrent_lookup_by_key_by_own_hash_and_by_alias() {
    let lower = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let v1 = "3333333333333333333333333333333333333333";
    let v2 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbcccccccccccccccccccccccc";
    let upper_key = "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD";
    let mut s = snap().torrent(downloading(lower, 0.1));
    let q = ok_mut(&mut s.qbittorrent);
    Arc::make_mut(&mut q.torrents).insert(v2[..40].to_string(), hybrid(&v2[..40], v1, v2, 0.2));
    // A key that is not the lower-case hash (not what the client writes, but
    // the lookup must not depend on it).
    Arc::make_mut(&mut q.torrents).insert(upper_key.to_string(), downloading(upper_key, 0.3));
    let ctx = Lookups::build(&s, t(0));
    let progress = |id: &str| ctx.torrent(id).map(|t| t.progress);
    assert_eq!(
        progress(&lower.to_ascii_uppercase()),
        Some(0.1),
        "by key, any case"
    );
    assert!(
        ctx.torrent_aliases.get().is_none(),
        "a hit by key builds no alias map"
    );
    assert_eq!(progress(&v1.to_ascii_uppercase()), Some(0.2), "by v1 alias");
    assert_eq!(progress(&v2[..40]), Some(0.2), "by own hash");
    assert_eq!(
        progress(upper_key),
        Some(0.3),
        "by own hash under another key"
    );
    assert_eq!(progress(&upper_key.to_ascii_lowercase()), Some(0.3));
    assert_eq!(progress("4444444444444444444444444444444444444444"), None);
    assert_eq!(progress(&"e".repeat(80)), None, "an over-long id is a miss");
}

#[test]
pub(super) fn virtual_jellyfin_item_is_not_available() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.5), t(0));
    let s = film_imported().jf(virtual_item(jf_movie(TMDB)));
    step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Importing,
        "a virtual or metadata-only Jellyfin item is not AVAILABLE"
    );
    // Not even as the very first sighting.
    let mut recs = Records::new();
    let s = snap()
        .req(seerr_req(1, TMDB))
        .jf(virtual_item(jf_movie(TMDB)))
        .movie(movie(MOVIE, TMDB));
    step(&mut recs, &s, t(0));
    assert_ne!(
        phase(&recs, 1),
        Phase::Available,
        "virtual item never makes anything AVAILABLE"
    );
}

#[test]
pub(super) fn other_films_jellyfin_item_is_not_available() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.5), t(0));
    step(&mut recs, &film_imported().jf(jf_movie(TMDB + 1)), t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Importing,
        "Jellyfin items match by Tmdb id"
    );
}

#[test]
pub(super) fn no_usenet_progress_from_queue() {
    // Without qBittorrent configured.
    let mut recs = Records::new();
    let mut q = queue(&dl(1), MOVIE, "downloading");
    q.size = 1000.0;
    q.sizeleft = 250.0;
    let mut s = film_approved().rq(q);
    s.qbittorrent = Source::NotConfigured;
    step(&mut recs, &s, t(0));
    let r = rec(&recs, 1);
    assert_eq!(r.phase, Phase::Downloading);
    assert_eq!(
        r.progress,
        Some(0.75),
        "without qBittorrent, progress is 1 - sizeleft/size"
    );
    assert_ne!(
        r.reason.as_deref(),
        Some(reasons::REMOVED_QBIT),
        "no qBittorrent, no removal"
    );

    // A Usenet download with qBittorrent configured.
    let mut recs = Records::new();
    let mut q = queue("SABnzbd_nzo_abc123", MOVIE, "downloading");
    q.protocol = Some("usenet".into());
    q.size = 2000.0;
    q.sizeleft = 1500.0;
    let s = film_approved().rq(q);
    step(&mut recs, &s, t(0));
    step(&mut recs, &s, t(1));
    let r = rec(&recs, 1);
    assert_eq!(r.phase, Phase::Downloading, "a Usenet grab is DOWNLOADING");
    assert_eq!(
        r.progress,
        Some(0.25),
        "Usenet progress comes from the queue"
    );
    assert_ne!(
        r.reason.as_deref(),
        Some(reasons::REMOVED_QBIT),
        "a Usenet download is never 'removed from qBittorrent'"
    );
    assert!(!r.attention);
}

#[test]
pub(super) fn nothing_changed_returns_nothing() {
    for s in [
        film_approved(),
        film_downloading(0.3),
        film_done(),
        film_imported(),
        film_available(),
    ] {
        let mut recs = Records::new();
        step(&mut recs, &film_downloading(0.3), t(0));
        step(&mut recs, &s, t(1));
        let out = reconcile(&recs, &s, t(1));
        assert!(
            out.changed.is_empty(),
            "same snapshot, same time: no changed records {:#?}",
            out.changed
        );
        assert!(
            out.changes.is_empty(),
            "same snapshot, same time: no events {:#?}",
            out.changes
        );
    }
}

#[test]
pub(super) fn new_ids_are_stable_and_increasing() {
    let mut recs = Records::new();
    step(&mut recs, &snap().req(seerr_req(10, 1000)), t(0));
    let first = rec(&recs, 10).id;
    assert!(first > 0, "local ids are positive");

    step(
        &mut recs,
        &snap().req(seerr_req(10, 1000)).req(seerr_req(20, 2000)),
        t(1),
    );
    assert_eq!(rec(&recs, 10).id, first, "a record keeps its id");
    assert_eq!(rec(&recs, 20).id, first + 1, "new records get max id + 1");

    // Records loaded with sparse ids: the next new one is max + 1.
    let mut sparse = Records::new();
    let mut r = rec(&recs, 10).clone();
    r.id = 41;
    sparse.insert(41, r);
    let s = snap()
        .req(seerr_req(10, 1000))
        .req(seerr_req(30, 3000))
        .req(seerr_req(31, 3100));
    step(&mut sparse, &s, t(2));
    assert_eq!(
        rec(&sparse, 10).id,
        41,
        "matched by jellyseerr_request_id, not by id"
    );
    let mut new_ids = vec![rec(&sparse, 30).id, rec(&sparse, 31).id];
    new_ids.sort();
    assert_eq!(new_ids, vec![42, 43], "new records get max id + 1, +2");
    assert_eq!(sparse.len(), 3, "no duplicate records");
}
