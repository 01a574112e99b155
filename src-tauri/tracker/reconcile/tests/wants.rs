//! What the clients are asked to read for the open requests.

use super::*;

// ---------------------------------------------------------------------------
// wants
// ---------------------------------------------------------------------------

/// A copy of `r` as another record.
pub(super) fn variant(r: &RequestRecord, id: i64, seerr_id: i64, tmdb: i64) -> RequestRecord {
    let mut v = r.clone();
    v.id = id;
    v.jellyseerr_request_id = seerr_id;
    v.tmdb_id = Some(tmdb);
    v
}

#[test]
pub(super) fn wants_lists_open_media() {
    let mut recs = Records::new();
    let s = film_downloading(0.3)
        .req(seerr_req(2, 200))
        .movie(with_file(movie(8, 200), "/movies/200.mkv"))
        .jf(jf_movie(200))
        .req(seerr_tv(5, TVDB, &[1]))
        .series(series(SERIES, TVDB, aired_eps(101, 1, 2)));
    step(&mut recs, &s, t(0));
    assert_eq!(phase(&recs, 1), Phase::Downloading);
    assert_eq!(phase(&recs, 2), Phase::Available);

    let base = rec(&recs, 1).clone();
    let mut deleted = variant(&base, 90, 3, 300);
    deleted.deleted = true;
    let mut anime_matching = variant(&base, 91, 4, 400);
    anime_matching.is_anime = true;
    anime_matching.phase = Phase::AnimeMatching;
    anime_matching.imported_path = Some(ANIME_PATH.into());
    let mut plain_importing = variant(&base, 92, 6, 600);
    plain_importing.phase = Phase::Importing;
    plain_importing.imported_path = Some(FILM_PATH.into());
    for r in [deleted, anime_matching, plain_importing] {
        recs.insert(r.id, r);
    }

    let w = wants(&recs);
    let mut tmdb = w.movie_tmdb_ids.clone();
    tmdb.sort();
    tmdb.dedup();
    assert_eq!(
        tmdb,
        vec![TMDB, 400, 600],
        "tmdb ids of open film records only (not AVAILABLE, not deleted)"
    );
    assert_eq!(
        w.series_tvdb_ids,
        vec![TVDB],
        "tvdb ids of open series records"
    );
    assert_eq!(
        w.shoko_paths,
        vec![ANIME_PATH.to_string()],
        "Shoko paths of anime records in IMPORTING/ANIME_MATCHING only"
    );
    assert!(w.downloading, "a DOWNLOADING record wants qBittorrent");

    let idle: Records = recs
        .into_iter()
        .filter(|(_, r)| r.phase != Phase::Downloading)
        .collect();
    assert!(
        !wants(&idle).downloading,
        "nothing DOWNLOADING: qBittorrent not needed"
    );
}

#[test]
pub(super) fn wants_of_nothing_is_nothing() {
    assert_eq!(
        wants(&Records::new()),
        Wants::default(),
        "no records, no wants"
    );
}

#[test]
pub(super) fn is_open_follows_phase_and_deletion() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.3), t(0));
    let mut r = rec(&recs, 1).clone();
    assert!(is_open(&r), "a DOWNLOADING record is open");
    r.phase = Phase::Failed;
    assert!(is_open(&r), "FAILED is not a dead end: still followed");
    r.phase = Phase::Available;
    assert!(!is_open(&r), "AVAILABLE is finished");
    r.phase = Phase::Downloading;
    r.deleted = true;
    assert!(!is_open(&r), "deleted records are not followed");
}

#[test]
pub(super) fn failed_service_is_no_evidence_for_series() {
    let s0 = || series(SERIES, TVDB, aired_eps(101, 1, 4));
    let mut s = tv(&[1], s0());
    for e in 101..=102 {
        s = grab_eps(s, &dl(e as u32), &[e], e * 10).torrent(downloading(&qh(e as u32), 0.4));
    }
    let mut recs = Records::new();
    step(&mut recs, &s, t(0));
    assert_eq!(phase(&recs, 5), Phase::Grabbing);
    let before = rec(&recs, 5).clone();
    for which in ["sonarr", "qbittorrent", "jellyfin", "jellyseerr"] {
        let mut f = s.clone();
        match which {
            "sonarr" => f.sonarr[0].data = Source::Failed,
            "qbittorrent" => f.qbittorrent = Source::Failed,
            "jellyfin" => f.jellyfin = Source::Failed,
            _ => f.jellyseerr = Source::Failed,
        }
        for cycle in 0..3 {
            let out = step(&mut recs, &f, t(1 + cycle));
            let why = format!("{which} failed while GRABBING (cycle {cycle})");
            assert_kept(&before, rec(&recs, 5), &why);
            assert_no_phase_or_reason_events(&out, &why);
            assert_eq!(rec(&recs, 5).episodes.len(), 4, "{why}: episodes kept");
        }
    }
    // Sonarr answers but its queue is empty: no evidence either.
    let mut empty = s.clone();
    ok_mut(&mut empty.sonarr[0].data).queue.clear();
    ok_mut(&mut empty.sonarr[0].data).history.clear();
    step(&mut recs, &empty, t(10));
    assert_eq!(
        phase(&recs, 5),
        Phase::Grabbing,
        "queue items vanishing is no evidence"
    );
}

#[test]
pub(super) fn a_series_seen_for_the_first_time_brings_no_episode_news() {
    let aired = [101, 102];
    let s = jf_eps(
        import_eps(
            tv(
                &[1],
                eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 2)), &aired),
            ),
            &dl(50),
            &aired,
            100,
        ),
        &[(1, 1), (1, 2)],
    );
    let mut recs = Records::new();
    let out = step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 5),
        Phase::Available,
        "already there: AVAILABLE at once"
    );
    assert!(
        episode_events(&out).is_empty(),
        "episodes watchable before the request was known are no news: {:#?}",
        out.changes
    );
}
