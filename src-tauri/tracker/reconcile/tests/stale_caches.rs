//! Stale caches: what a kept Jellyfin index or a queue item may and may not prove.

use super::*;

// ---------------------------------------------------------------------------
// Stale caches (issue 13): what a cached Jellyfin index or a queue item in
// the middle of an import must not make the tracker say.
// ---------------------------------------------------------------------------

#[test]
pub(super) fn an_anime_film_radarr_is_still_importing_is_importing_not_matching() {
    let mut recs = Records::new();
    let importing = anime_film_approved()
        .rq(queue(&dl(1), MOVIE, "importing"))
        .torrent(seeding(&qh(1)));
    step(&mut recs, &importing, t(10));
    assert_eq!(
        phase(&recs, 1),
        Phase::Importing,
        "a queue item in state importing is IMPORTING; ANIME_MATCHING needs the file imported: {}",
        reason(&recs, 1)
    );
    // The same cycle again (the queue item stays while Radarr imports).
    step(&mut recs, &importing, t(11));
    assert_eq!(phase(&recs, 1), Phase::Importing, "and stays so");
    step(&mut recs, &anime_film_imported(), t(12));
    assert_eq!(
        phase(&recs, 1),
        Phase::AnimeMatching,
        "once imported, Shoko's turn"
    );
}

/// A playable Jellyfin movie for `TMDB`, added at `at`, under its own id.
pub(super) fn jf_movie_at(id: &str, at: DateTime<Utc>) -> JellyfinItem {
    JellyfinItem {
        id: id.into(),
        date_created: Some(at),
        files: Vec::new(),
        ..jf_movie(TMDB)
    }
}

#[test]
pub(super) fn a_jellyfin_item_older_than_the_request_is_not_its_until_radarr_has_the_file() {
    // The user deleted the film in Radarr; Jellyfin still lists the old copy
    // (added long before this request, which is created at t(-60)).
    let old_copy = jf_movie_at("0123456789abcdef0123456789abcdef", t(-60 * 24 * 30));
    let mut recs = Records::new();
    let approved = snap()
        .req(seerr_req(1, TMDB))
        .movie(movie(MOVIE, TMDB))
        .jf(old_copy.clone());
    step(&mut recs, &approved, t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Approved,
        "a re-request never inherits an older copy's item: {}",
        reason(&recs, 1)
    );
    // Radarr imports this request's file (from a still-seeding torrent, the
    // file keeps its old creation time and Jellyfin its item).
    let imported = snap()
        .req(seerr_req(1, TMDB))
        .movie(with_file(movie(MOVIE, TMDB), FILM_PATH))
        .rh(imported(2, &dl(1), MOVIE, FILM_PATH, t(20)))
        .jf(old_copy);
    step(&mut recs, &imported, t(21));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "with Radarr's file for this request the item is evidence"
    );
}

#[test]
pub(super) fn a_jellyfin_item_added_after_the_request_is_evidence_at_once() {
    let mut recs = Records::new();
    let s = snap()
        .req(seerr_req(1, TMDB))
        .movie(movie(MOVIE, TMDB))
        .jf(jf_movie_at("0123456789abcdef0123456789abcdef", t(-30)));
    step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "an item newer than the request is the request's"
    );
}

#[test]
pub(super) fn a_finished_film_follows_its_replaced_item_and_notes_it_gone_once() {
    let mut recs = finished_film();
    let id = rec(&recs, 1).id;
    let old_id = rec(&recs, 1).jellyfin_id.clone();
    assert!(old_id.is_some());

    // An upgrade: a new file is a new item with a new id.
    let new_id = "fedcba9876543210fedcba9876543210";
    let mut replaced = film_available();
    Arc::make_mut(ok_mut(&mut replaced.jellyfin)).items =
        vec![Arc::new(jf_movie_at(new_id, t(50)))];
    let out = step(&mut recs, &replaced, t(51));
    assert_eq!(
        rec(&recs, 1).jellyfin_id.as_deref(),
        Some(new_id),
        "it follows the new item"
    );
    assert!(
        out.changes.is_empty(),
        "no news on the timeline: {:#?}",
        out.changes
    );
    assert_eq!(phase(&recs, 1), Phase::Available);

    // The item is deleted and nothing replaces it.
    let mut gone = film_available();
    Arc::make_mut(ok_mut(&mut gone.jellyfin)).items.clear();
    let out = step(&mut recs, &gone, t(60));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "it was true: it stays AVAILABLE"
    );
    assert_eq!(reason(&recs, 1), reasons::REMOVED_JELLYFIN);
    assert_eq!(
        out.changes,
        vec![Change::ReasonChanged {
            request_id: id,
            at: t(60),
            phase: Phase::Available,
            reason: Some(reasons::REMOVED_JELLYFIN.into()),
        }],
        "one line on its timeline"
    );
    let out = step(&mut recs, &gone, t(61));
    assert!(out.changes.is_empty(), "said once");

    // Jellyfin failing is no evidence of anything.
    let mut recs = finished_film();
    let mut down = film_available();
    down.jellyfin = Source::Failed;
    let out = step(&mut recs, &down, t(70));
    assert!(out.changes.is_empty() && rec(&recs, 1).reason.is_none());
}
