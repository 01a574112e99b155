//! Anime films and Shoko's matching.

use super::*;

// ---------------------------------------------------------------------------
// Anime films and Shoko
// ---------------------------------------------------------------------------

pub(super) const ANIME_PATH: &str = "/anime-movies/Film 100 (2024)/Film.100.2024.1080p.mkv";
pub(super) const ANIDB: i64 = 4242;

pub(super) fn anime_film_approved() -> Snapshot {
    snap()
        .req(anime(seerr_req(1, TMDB)))
        .movie(movie(MOVIE, TMDB))
}

pub(super) fn anime_film_imported() -> Snapshot {
    snap()
        .req(anime(seerr_req(1, TMDB)))
        .movie(with_file(movie(MOVIE, TMDB), ANIME_PATH))
        .rh(imported(2, &dl(1), MOVIE, ANIME_PATH, t(20)))
        .torrent(seeding(&qh(1)))
}

pub(super) fn jf_anidb_movie(anidb: i64) -> JellyfinItem {
    JellyfinItem {
        anidb_id: Some(anidb),
        ..jf_item("aa00000000000000000000000000aa00", JellyfinKind::Movie)
    }
}

#[test]
pub(super) fn anime_film_through_shoko_states() {
    let mut recs = Records::new();
    step(
        &mut recs,
        &anime_film_approved()
            .rq(queue(&dl(1), MOVIE, "downloading"))
            .torrent(downloading(&qh(1), 0.5)),
        t(0),
    );
    assert_eq!(phase(&recs, 1), Phase::Downloading);

    // The import cycle: Shoko not asked about the file yet.
    step(&mut recs, &anime_film_imported(), t(1));
    assert!(
        matches!(phase(&recs, 1), Phase::Importing | Phase::AnimeMatching),
        "anime after import waits for Shoko, got {}",
        phase(&recs, 1)
    );
    assert_eq!(rec(&recs, 1).imported_path.as_deref(), Some(ANIME_PATH));
    assert!(
        wants(&recs).shoko_paths.iter().any(|p| p == ANIME_PATH),
        "the imported path is wanted from Shoko: {:?}",
        wants(&recs)
    );

    let steps = [
        (ShokoMatch::NotSeen, reasons::SHOKO_NOT_SEEN, false),
        (ShokoMatch::Unrecognized, reasons::SHOKO_UNRECOGNIZED, true),
        (ShokoMatch::ImportLimbo, reasons::SHOKO_LIMBO, false),
        (
            ShokoMatch::Matched {
                anidb_ids: vec![ANIDB],
                file_id: None,
            },
            reasons::SHOKO_MATCHED,
            false,
        ),
    ];
    for (i, (m, why, attention)) in steps.into_iter().enumerate() {
        let s = anime_film_imported().shoko(ANIME_PATH, m.clone());
        step(&mut recs, &s, t(2 + i as i64));
        assert_eq!(
            phase(&recs, 1),
            Phase::AnimeMatching,
            "anime with Shoko → ANIME_MATCHING ({m:?})"
        );
        assert_eq!(
            reason(&recs, 1),
            why,
            "the reason says where it waits ({m:?})"
        );
        assert_eq!(rec(&recs, 1).attention, attention, "attention for {m:?}");
    }

    // A Jellyfin item of another anime is not this one.
    let matched = || {
        anime_film_imported().shoko(
            ANIME_PATH,
            ShokoMatch::Matched {
                anidb_ids: vec![ANIDB],
                file_id: None,
            },
        )
    };
    step(&mut recs, &matched().jf(jf_anidb_movie(ANIDB + 1)), t(10));
    assert_eq!(
        phase(&recs, 1),
        Phase::AnimeMatching,
        "only the matched AniDB id counts"
    );
    step(
        &mut recs,
        &matched().jf(virtual_item(jf_anidb_movie(ANIDB))),
        t(11),
    );
    assert_eq!(
        phase(&recs, 1),
        Phase::AnimeMatching,
        "a virtual item is not playable"
    );

    let out = step(&mut recs, &matched().jf(jf_anidb_movie(ANIDB)), t(12));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "a playable Jellyfin item with the matched AniDB id (no Tmdb) → AVAILABLE"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(Some(Phase::AnimeMatching), Phase::Available)]
    );
}

#[test]
pub(super) fn radarr_anime_tag_makes_film_anime() {
    // The request has no anime flag; Radarr's tag does. The path comes from the movie file.
    let mut recs = Records::new();
    let mut m = with_file(movie(MOVIE, TMDB), ANIME_PATH);
    m.is_anime = true;
    let s = || snap().req(seerr_req(1, TMDB)).movie(m.clone());
    step(
        &mut recs,
        &s().rq(queue(&dl(1), MOVIE, "downloading"))
            .torrent(downloading(&qh(1), 0.5)),
        t(0),
    );
    step(&mut recs, &s().torrent(seeding(&qh(1))), t(1));
    step(
        &mut recs,
        &s().torrent(seeding(&qh(1)))
            .shoko(ANIME_PATH, ShokoMatch::ImportLimbo),
        t(2),
    );
    assert_eq!(
        phase(&recs, 1),
        Phase::AnimeMatching,
        "Radarr's anime tag selects the Shoko path"
    );
    assert_eq!(
        reason(&recs, 1),
        reasons::SHOKO_LIMBO,
        "Shoko is keyed by the movie's file path"
    );
    // The Shokofin item carries only the AniDB id Shoko matched.
    step(
        &mut recs,
        &s().torrent(seeding(&qh(1)))
            .shoko(
                ANIME_PATH,
                ShokoMatch::Matched {
                    anidb_ids: vec![ANIDB],
                    file_id: None,
                },
            )
            .jf(jf_anidb_movie(ANIDB)),
        t(3),
    );
    assert_eq!(phase(&recs, 1), Phase::Available);
}

#[test]
pub(super) fn anime_without_shoko_skips_matching() {
    let mut recs = Records::new();
    let no_shoko = |mut s: Snapshot| {
        s.shoko = Source::NotConfigured;
        s
    };
    let mut seen = vec![];
    let out = step(
        &mut recs,
        &no_shoko(
            anime_film_approved()
                .rq(queue(&dl(1), MOVIE, "downloading"))
                .torrent(downloading(&qh(1), 0.5)),
        ),
        t(0),
    );
    seen.extend(phase_changes(&out));
    let out = step(&mut recs, &no_shoko(anime_film_imported()), t(1));
    seen.extend(phase_changes(&out));
    assert_eq!(
        phase(&recs, 1),
        Phase::Importing,
        "without Shoko, anime goes to IMPORTING"
    );
    let out = step(&mut recs, &no_shoko(anime_film_imported()), t(2));
    seen.extend(phase_changes(&out));
    assert_eq!(phase(&recs, 1), Phase::Importing, "and waits for Jellyfin");
    let out = step(
        &mut recs,
        &no_shoko(anime_film_imported().jf(jf_movie(TMDB))),
        t(3),
    );
    seen.extend(phase_changes(&out));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "IMPORTING → AVAILABLE by Jellyfin"
    );
    assert!(
        seen.iter().all(|(_, to)| *to != Phase::AnimeMatching),
        "without Shoko, never ANIME_MATCHING: {seen:?}"
    );
}
