//! Several Radarr instances: which one follows a request (4K or not,
//! Jellyseerr's serviceUrl, the first that has the film, and then the same
//! one for good), and a 4K request available only from its own file.

use super::*;

/// An HD Radarr at nas:7878 and a 4K one at nas:7879, each with its data.
fn two_radarrs(mut s: Snapshot, hd: RadarrData, uhd: RadarrData) -> Snapshot {
    let instance = |name: &str, is_4k, authority: &str, data| ArrInstance {
        name: name.to_string(),
        is_4k,
        authority: authority.to_string(),
        data: Source::Ok(data),
    };
    s.radarr = vec![
        instance("radarr.hd", false, "nas:7878", hd),
        instance("radarr.4k", true, "nas:7879", uhd),
    ];
    s
}

fn with_movie(id: i64) -> RadarrData {
    RadarrData {
        movies: vec![movie(id, TMDB)],
        ..RadarrData::default()
    }
}

fn four_k(mut r: SeerrRequest) -> SeerrRequest {
    r.is_4k = true;
    r
}

#[test]
fn a_4k_request_is_followed_only_in_a_4k_instance() {
    let mut recs = Records::new();
    let s = two_radarrs(
        snap()
            .req(seerr_req(1, TMDB))
            .req(four_k(seerr_req(2, TMDB))),
        with_movie(7),
        with_movie(70),
    );
    step(&mut recs, &s, t(0));
    assert_eq!(rec(&recs, 1).instance.as_deref(), Some("radarr.hd"));
    assert_eq!(rec(&recs, 1).arr_id, Some(7));
    assert_eq!(rec(&recs, 2).instance.as_deref(), Some("radarr.4k"));
    assert_eq!(rec(&recs, 2).arr_id, Some(70), "the 4K instance's own id");

    // No 4K instance at all: the 4K request is followed by none, and says why.
    let mut recs = Records::new();
    let s = snap()
        .req(four_k(with_status(
            seerr_req(2, TMDB),
            SeerrRequestStatus::Approved,
        )))
        .movie(movie(7, TMDB));
    step(&mut recs, &s, t(0));
    assert_eq!(rec(&recs, 2).instance, None);
    assert_eq!(reason(&recs, 2), reasons::NO_4K_RADARR);
}

#[test]
fn jellyseerrs_service_url_picks_among_instances_of_one_resolution() {
    let mut recs = Records::new();
    let mut s = two_radarrs(snap(), with_movie(7), RadarrData::default());
    // A second HD instance that also has the film: the serviceUrl names it.
    s.radarr.push(ArrInstance {
        name: "radarr.anime".into(),
        is_4k: false,
        authority: "anime.lan:7878".into(),
        data: Source::Ok(with_movie(17)),
    });
    let mut r = seerr_req(1, TMDB);
    r.service_url = Some("http://Anime.lan:7878/movie/100".into());
    let s = s.req(r);
    step(&mut recs, &s, t(0));
    assert_eq!(rec(&recs, 1).instance.as_deref(), Some("radarr.anime"));
    assert_eq!(rec(&recs, 1).arr_id, Some(17));

    // Without a serviceUrl: the first, in config order, that has the film.
    let mut recs = Records::new();
    let mut s = two_radarrs(snap(), RadarrData::default(), RadarrData::default());
    s.radarr.push(ArrInstance {
        name: "radarr.anime".into(),
        is_4k: false,
        authority: "anime.lan:7878".into(),
        data: Source::Ok(with_movie(17)),
    });
    step(&mut recs, &s.req(seerr_req(1, TMDB)), t(0));
    assert_eq!(rec(&recs, 1).instance.as_deref(), Some("radarr.anime"));
}

#[test]
fn a_request_stays_with_its_instance_when_that_one_is_down() {
    let mut recs = Records::new();
    let hd = RadarrData {
        queue: vec![queue(&dl(1), 7, "downloading")],
        history: vec![grabbed(1, &dl(1), 7, t(1))],
        ..with_movie(7)
    };
    let s = two_radarrs(snap().req(seerr_req(1, TMDB)), hd, with_movie(70))
        .torrent(downloading(&qh(1), 0.5));
    step(&mut recs, &s, t(2));
    assert_eq!(phase(&recs, 1), Phase::Downloading);
    let before = rec(&recs, 1).clone();
    // The HD instance is down; another HD-capable instance has the film.
    let mut down = two_radarrs(
        snap().req(seerr_req(1, TMDB)),
        RadarrData::default(),
        with_movie(70),
    )
    .torrent(downloading(&qh(1), 0.5));
    down.radarr[0].data = Source::Failed;
    down.radarr[1].is_4k = false;
    step(&mut recs, &down, t(3));
    let after = rec(&recs, 1);
    assert_eq!(after.instance.as_deref(), Some("radarr.hd"), "no switch");
    assert_eq!(after.arr_id, before.arr_id);
    assert_eq!(after.phase, Phase::Downloading);
}

#[test]
fn with_a_4k_radarr_each_request_is_available_only_from_its_own_file() {
    let hd_path = "/media/movies/Film 100 (2024)/Film.100.2024.1080p.mkv";
    let uhd_path = "/media/movies-4k/Film 100 (2024)/Film.100.2024.2160p.mkv";
    let hd = RadarrData {
        movies: vec![with_file(movie(7, TMDB), hd_path)],
        history: vec![imported(2, &dl(1), 7, hd_path, t(1))],
        ..RadarrData::default()
    };
    let uhd = RadarrData {
        movies: vec![with_file(movie(70, TMDB), uhd_path)],
        history: vec![imported(3, &dl(2), 70, uhd_path, t(1))],
        ..RadarrData::default()
    };
    let requests = |s: Snapshot| s.req(seerr_req(1, TMDB)).req(four_k(seerr_req(2, TMDB)));
    // Jellyfin has only the HD file (under another mount prefix).
    let mut hd_item = jf_movie(TMDB);
    hd_item.files = vec!["Film.100.2024.1080p.mkv".into()];
    let mut recs = Records::new();
    let s = two_radarrs(requests(snap()), hd.clone(), uhd.clone()).jf(hd_item.clone());
    step(&mut recs, &s, t(2));
    assert_eq!(phase(&recs, 1), Phase::Available);
    assert_eq!(
        phase(&recs, 2),
        Phase::Importing,
        "the HD copy does not make the 4K request available"
    );
    // The 4K version merged into the same item: both files on one item.
    let mut merged = hd_item;
    merged.files.push("Film.100.2024.2160p.mkv".into());
    let s = two_radarrs(requests(snap()), hd, uhd).jf(merged);
    step(&mut recs, &s, t(3));
    assert_eq!(phase(&recs, 2), Phase::Available);
}

/// A 4K series request with a 4K Sonarr: each episode is AVAILABLE only
/// when Jellyfin plays the file the 4K Sonarr imported (by name), not from
/// the HD copy's episodes; the HD request is available from its own.
#[test]
fn a_4k_series_is_available_episode_by_episode_from_its_own_files() {
    const TVDB_ID: i64 = 81189;
    let instance = |name: &str, is_4k, authority: &str, s: SonarrSeries| ArrInstance {
        name: name.to_string(),
        is_4k,
        authority: authority.to_string(),
        data: Source::Ok(SonarrData {
            series: vec![s],
            ..SonarrData::default()
        }),
    };
    // Both Sonarrs have both episodes' files (ids 701-702 HD, 901-902 4K).
    let hd = eps_with_files(series(70, TVDB_ID, aired_eps(701, 1, 2)), &[701, 702]);
    let uhd = eps_with_files(series(90, TVDB_ID, aired_eps(901, 1, 2)), &[901, 902]);
    let with_files = |mut i: JellyfinItem, file: &str| {
        i.files = vec![file.to_string()];
        i
    };
    let mut four_k_tv = seerr_tv(2, TVDB_ID, &[1]);
    four_k_tv.is_4k = true;
    let base = || {
        let mut s = snap()
            .req(seerr_tv(1, TVDB_ID, &[1]))
            .req(four_k_tv.clone())
            // The HD library: its series item and episodes.
            .jf(jf_series("aa01", TVDB_ID))
            .jf(with_files(jf_ep("aa01", 1, 1), "701.mkv"))
            .jf(with_files(jf_ep("aa01", 1, 2), "702.mkv"));
        s.sonarr = vec![
            instance("sonarr.hd", false, "nas:8989", hd.clone()),
            instance("sonarr.4k", true, "nas:8990", uhd.clone()),
        ];
        s
    };
    let mut recs = Records::new();
    step(&mut recs, &base(), t(0));
    assert_eq!(rec(&recs, 1).instance.as_deref(), Some("sonarr.hd"));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "the HD copy is the HD request's"
    );
    assert_eq!(rec(&recs, 2).instance.as_deref(), Some("sonarr.4k"));
    assert_ne!(
        phase(&recs, 2),
        Phase::Available,
        "the HD episodes do not make the 4K request available"
    );
    // The 4K library shows its first episode: that one is available.
    let one = base()
        .jf(jf_series("bb02", TVDB_ID))
        .jf(with_files(jf_ep("bb02", 1, 1), "901.mkv"));
    step(&mut recs, &one, t(1));
    let eps: Vec<Phase> = rec(&recs, 2).episodes.iter().map(|e| e.phase).collect();
    assert_eq!(eps[0], Phase::Available, "{eps:?}");
    assert_ne!(eps[1], Phase::Available, "{eps:?}");
    // And the second: the request is available.
    let both = one.jf(with_files(jf_ep("bb02", 1, 2), "902.mkv"));
    step(&mut recs, &both, t(2));
    assert_eq!(phase(&recs, 2), Phase::Available);
}

/// An anime film in 4K, shown by Shokofin (which names its files itself):
/// Shoko's id of the file the 4K Radarr imported stands in for the file
/// name. The HD copy's Shokofin item (another Shoko file) does not make the
/// 4K request available; the item of its own file does.
#[test]
fn a_4k_anime_film_is_available_from_the_shokofin_item_of_its_own_shoko_file() {
    const UHD_PATH: &str = "/anime-4k/Frieren (2023)/Frieren.2023.2160p.mkv";
    const ANIDB: i64 = 17617;
    let shokofin = |id: &str, shoko_file: i64| JellyfinItem {
        shoko_file_ids: vec![shoko_file],
        files: vec![format!("[Shokofin] Frieren {shoko_file}.mkv")],
        ..jf_item(id, JellyfinKind::Movie)
    };
    let mut uhd_movie = with_file(movie(70, TMDB), UHD_PATH);
    uhd_movie.is_anime = true;
    let mut film = RadarrData {
        movies: vec![uhd_movie],
        ..RadarrData::default()
    };
    film.history.push(imported(2, &dl(2), 70, UHD_PATH, t(20)));
    let base = |items: &[JellyfinItem]| {
        let mut s = two_radarrs(
            snap()
                .req(four_k(anime(seerr_req(1, TMDB))))
                .torrent(seeding(&qh(2)))
                .shoko(
                    UHD_PATH,
                    ShokoMatch::Matched {
                        anidb_ids: vec![ANIDB],
                        file_id: Some(77),
                    },
                ),
            RadarrData::default(),
            film.clone(),
        );
        for i in items {
            s = s.jf(i.clone());
        }
        s
    };
    let mut recs = Records::new();
    // Only the HD copy's item (Shoko file 55) is in Jellyfin.
    step(&mut recs, &base(&[shokofin("aa01", 55)]), t(30));
    assert_eq!(rec(&recs, 1).instance.as_deref(), Some("radarr.4k"));
    assert_ne!(phase(&recs, 1), Phase::Available, "not from the HD copy");
    step(
        &mut recs,
        &base(&[shokofin("aa01", 55), shokofin("bb02", 77)]),
        t(31),
    );
    assert_eq!(phase(&recs, 1), Phase::Available);
    assert_eq!(rec(&recs, 1).jellyfin_id.as_deref(), Some("bb02"));
}
