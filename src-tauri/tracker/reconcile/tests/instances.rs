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
