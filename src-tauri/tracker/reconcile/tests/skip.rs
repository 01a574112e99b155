//! The fast path: finished records skipped, and the proptest that holds the engine to its full evaluation.

use super::*;

// ---------------------------------------------------------------------------
// Finished films skip the copy only when nothing changes
// ---------------------------------------------------------------------------

/// Records after a film (request 1) settled AVAILABLE in `film_available()`.
pub(super) fn finished_film() -> Records {
    let mut recs = Records::new();
    for k in 0..3 {
        step(&mut recs, &film_available(), t(30 + k));
    }
    assert_eq!(phase(&recs, 1), Phase::Available, "the film is finished");
    let out = reconcile(&recs, &film_available(), t(40));
    assert!(
        out.changed.is_empty() && out.changes.is_empty(),
        "a finished film over the same snapshot changes nothing: {:#?}",
        out.changed
    );
    recs
}

/// `film_available()` with request 1 replaced by `edit(request 1)`.
pub(super) fn film_available_with(edit: impl FnOnce(&mut SeerrRequest)) -> Snapshot {
    let mut s = film_available();
    let seerr = ok_mut(&mut s.jellyseerr);
    let req = seerr
        .requests
        .iter_mut()
        .find(|r| r.id == 1)
        .expect("request 1 is in the snapshot");
    edit(req);
    s
}

/// An edit of a Jellyseerr request.
pub(super) type EditRequest = fn(&mut SeerrRequest);

#[test]
pub(super) fn a_finished_film_still_takes_jellyseerrs_word() {
    let recs = finished_film();
    let cases: [(&str, EditRequest); 7] = [
        ("a new title", |r| r.title = Some("Renamed".into())),
        ("a new year", |r| r.year = Some(1999)),
        ("a new poster", |r| {
            r.poster_path = Some("/other.jpg".into())
        }),
        ("a declined request", |r| {
            r.status = SeerrRequestStatus::Declined
        }),
        ("a new media status", |r| {
            r.media_status = SeerrMediaStatus::PartiallyAvailable
        }),
        ("a newer update time", |r| r.updated_at = t(50)),
        ("an anime flag", |r| r.is_anime = true),
    ];
    for (what, edit) in cases {
        let s = film_available_with(edit);
        let want = ok_mut(&mut s.clone().jellyseerr)
            .requests
            .iter()
            .find(|r| r.id == 1)
            .cloned()
            .expect("request 1 is in the snapshot");
        let out = reconcile(&recs, &s, t(41));
        let changed = out
            .changed
            .iter()
            .find(|r| r.jellyseerr_request_id == 1)
            .unwrap_or_else(|| panic!("{what} changes the finished film's record"));
        assert_eq!(
            changed.phase,
            Phase::Available,
            "{what}: the phase stays frozen"
        );
        assert_eq!(
            changed.seerr_status,
            Some(want.status),
            "{what}: the record holds Jellyseerr's status"
        );
        assert_eq!(
            changed.seerr_media_status,
            Some(want.media_status),
            "{what}: the record holds Jellyseerr's media status"
        );
        assert_eq!(
            changed.seerr_updated_at,
            Some(want.updated_at),
            "{what}: the record holds Jellyseerr's update time"
        );
        assert_eq!(
            Some(&changed.title),
            want.title.as_ref(),
            "{what}: the record holds the title"
        );
        assert_eq!(changed.year, want.year, "{what}: the record holds the year");
        assert_eq!(
            changed.poster_path, want.poster_path,
            "{what}: the record holds the poster"
        );
        assert_eq!(
            changed.is_anime, want.is_anime,
            "{what}: the record holds the anime flag"
        );
        assert_no_phase_or_reason_events(&out, what);
    }
}

#[test]
pub(super) fn a_finished_film_clears_stale_download_figures() {
    let mut recs = finished_film();
    let id = rec(&recs, 1).id;
    let r = recs.get_mut(&id).expect("the film's record");
    r.progress = Some(0.5);
    r.eta_secs = Some(60);
    r.download_speed = Some(1_000);
    let out = reconcile(&recs, &film_available(), t(41));
    let changed = out
        .changed
        .iter()
        .find(|r| r.id == id)
        .expect("stale download figures are a change");
    assert_eq!(
        (changed.progress, changed.eta_secs, changed.download_speed),
        (None, None, None),
        "a film that is not downloading shows no download figures"
    );
}

#[test]
pub(super) fn a_finished_film_without_a_jellyfin_id_takes_jellyseerrs() {
    let mut recs = finished_film();
    let id = rec(&recs, 1).id;
    recs.get_mut(&id).expect("the film's record").jellyfin_id = None;
    let jf_id = jf_movie(TMDB).id;
    let s = film_available_with(|r| r.jellyfin_media_id = Some(jf_id.clone()));
    let out = reconcile(&recs, &s, t(41));
    let changed = out
        .changed
        .iter()
        .find(|r| r.id == id)
        .expect("a Jellyfin id from Jellyseerr is a change");
    assert_eq!(
        changed.jellyfin_id,
        Some(jf_id),
        "the record takes Jellyseerr's Jellyfin id when it has none"
    );
}

#[test]
pub(super) fn a_newer_request_for_a_finished_film_is_still_seen() {
    let recs = finished_film();
    let mut newer = seerr_req(2, TMDB);
    newer.created_at = t(45);
    let out = reconcile(&recs, &film_available().req(newer), t(46));
    assert!(
        out.changed.iter().any(|r| r.jellyseerr_request_id == 2),
        "a newer request for the same film becomes a record: {:#?}",
        out.changed
    );
    assert!(
        out.changed.iter().all(|r| r.jellyseerr_request_id != 1),
        "the finished film itself is frozen: {:#?}",
        out.changed
    );
}

#[test]
pub(super) fn a_series_phase_change_counts_its_episodes_in_the_evidence() {
    let mut recs = Records::new();
    step(&mut recs, &snap().req(seerr_tv(5, TVDB, &[1])), t(0));
    let s = snap().req(seerr_tv(5, TVDB, &[1])).series(eps_with_files(
        series(SERIES, TVDB, aired_eps(101, 1, 2)),
        &[101, 102],
    ));
    let out = step(&mut recs, &s, t(1));
    assert_eq!(
        evidence_of(&out, Phase::Importing),
        "2 of 2 aired episodes at IMPORTING",
        "a series' phase change says how many aired episodes reached the phase"
    );
}

#[test]
pub(super) fn ids_equal_but_for_case_hash_alike() {
    for b in 0..=u8::MAX {
        let word = u64::from_le_bytes([b, b'Q', b'q', b'@', b'[', b'`', b'{', 0xc1]);
        let mut expected = word.to_le_bytes();
        expected.make_ascii_lowercase();
        assert_eq!(
            ascii_lower_word(word).to_le_bytes(),
            expected,
            "a word is lower-cased as its bytes are one by one (byte {b:#04x})"
        );
    }
    let ids = [
        dl(7),
        qh(7),
        mixed_case(&dl(7)),
        "SABnzbd_nzo_Ab".to_string(),
    ];
    for a in &ids {
        for b in &ids {
            if a.eq_ignore_ascii_case(b) {
                assert_eq!(
                    NoCase::new(a).hash,
                    NoCase::new(b).hash,
                    "ids equal but for case hash alike: {a} {b}"
                );
                assert_eq!(NoCase::new(a), NoCase::new(b), "and compare equal");
                assert!(
                    eq_ignore_ascii_case(a, b),
                    "{a} and {b} are equal but for case"
                );
            } else {
                assert_ne!(NoCase::new(a), NoCase::new(b), "other ids differ: {a} {b}");
                assert!(!eq_ignore_ascii_case(a, b), "{a} and {b} differ");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The fast path against the full evaluation (the same engine, shortcuts off)
// ---------------------------------------------------------------------------

/// Random snapshots over small pools of ids, so that requests, downloads,
/// episodes, files and library items keep meeting each other.
mod world {
    use super::*;

    pub const FILMS: [i64; 4] = [1, 2, 3, 4];
    pub const SERIES: [i64; 3] = [11, 12, 13];
    pub const DOWNLOADS: [u32; 6] = [1, 2, 3, 4, 5, 6];

    pub fn pick<T: Clone>(from: &[T]) -> T {
        from[fastrand::usize(..from.len())].clone()
    }

    fn chance(percent: u32) -> bool {
        fastrand::u32(..100) < percent
    }

    fn maybe<T>(percent: u32, v: impl FnOnce() -> T) -> Option<T> {
        chance(percent).then(v)
    }

    fn movie_id(tmdb: i64) -> i64 {
        tmdb + 500
    }

    fn series_id(tvdb: i64) -> i64 {
        tvdb + 500
    }

    fn episode_id(tvdb: i64, season: i32, number: i32) -> i64 {
        series_id(tvdb) * 100 + i64::from(season) * 10 + i64::from(number)
    }

    /// A download id as an *arr reports it: mostly upper-case torrent hashes.
    fn download_id() -> String {
        let n = pick(&DOWNLOADS);
        match fastrand::u32(..10) {
            0 => qh(n),
            1 => format!("SABnzbd_nzo_{n}"),
            _ => dl(n),
        }
    }

    fn path() -> String {
        format!("/media/file{}.mkv", fastrand::u32(1..=5))
    }

    fn text(from: &[&str]) -> String {
        pick(from).to_string()
    }

    /// Around `now`: mostly in the past, sometimes in the future.
    fn when(now: DateTime<Utc>) -> DateTime<Utc> {
        now - TimeDelta::minutes(pick(&[-600, -5, 0, 5, 90, 600, 3_000, 20_000]))
    }

    pub fn source<T>(data: impl FnOnce() -> T) -> Source<T> {
        match fastrand::u32(..20) {
            0 | 1 => Source::Failed,
            2 => Source::NotConfigured,
            _ => Source::Ok(data()),
        }
    }

    pub fn request(id: i64, now: DateTime<Utc>) -> SeerrRequest {
        let film = chance(55);
        let tvdb = pick(&SERIES);
        let created = when(now);
        SeerrRequest {
            id,
            status: SeerrRequestStatus::from_code(pick(&[1, 2, 2, 2, 3, 4, 5, 5, 9])),
            media_type: if film {
                MediaType::Movie
            } else {
                MediaType::Tv
            },
            tmdb_id: if film {
                maybe(95, || 0).map(|_| pick(&FILMS))
            } else {
                Some(tvdb + 100)
            },
            tvdb_id: (!film && chance(90)).then_some(tvdb),
            media_status: SeerrMediaStatus::from_code(pick(&[1, 2, 3, 3, 4, 5, 5, 6, 7, 9])),
            jellyfin_media_id: maybe(25, || 0).map(|_| {
                if film {
                    jf_id("film", pick(&FILMS))
                } else {
                    jf_id("series", tvdb)
                }
            }),
            requested_by: text(&["alice", "bob"]),
            created_at: created,
            updated_at: created + TimeDelta::minutes(fastrand::i64(0..100)),
            seasons: if film {
                vec![]
            } else {
                pick(&[vec![], vec![1], vec![1, 2], vec![2]])
            },
            is_4k: chance(10),
            service_url: None,
            title: maybe(85, || 0).map(|_| text(&["Alpha", "Beta", "Gamma"])),
            year: maybe(80, || 0).map(|_| fastrand::i32(1990..1993)),
            poster_path: maybe(70, || 0).map(|_| text(&["/p1.jpg", "/p2.jpg"])),
            is_anime: chance(25),
        }
    }

    pub fn seerr(now: DateTime<Utc>) -> SeerrData {
        SeerrData {
            requests: (1..=8)
                .filter(|_| chance(80))
                .map(|id| request(id, now))
                .collect(),
            complete: chance(70),
        }
    }

    pub fn queue_item(media_id: i64, episode_id: Option<i64>) -> ArrQueueItem {
        let size = pick(&[0.0, 8e9]);
        ArrQueueItem {
            download_id: maybe(85, || 0).map(|_| download_id()),
            media_id: maybe(95, || media_id),
            episode_id,
            title: text(&["Release.A", "Release.B"]),
            size,
            sizeleft: size * pick(&[0.0, 0.5, 1.0]),
            timeleft_secs: pick(&[None, Some(600), Some(-1)]),
            status: text(&[
                "queued",
                "paused",
                "downloading",
                "completed",
                "failed",
                "warning",
                "delay",
                "downloadClientUnavailable",
                "fallback",
            ]),
            tracked_status: pick(&[None, Some("ok"), Some("warning"), Some("error")])
                .map(str::to_string),
            tracked_state: pick(&[
                None,
                Some("downloading"),
                Some("importBlocked"),
                Some("importPending"),
                Some("importing"),
                Some("imported"),
                Some("failedPending"),
                Some("failed"),
                Some("ignored"),
            ])
            .map(str::to_string),
            messages: pick(&[&[][..], &["No files found"], &["", " "], &["one", "two"]])
                .iter()
                .map(|m| m.to_string())
                .collect(),
            error_message: maybe(20, || "client error".to_string()),
            protocol: Some("torrent".into()),
        }
    }

    pub fn history_event(
        media_id: i64,
        episode_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> ArrHistoryEvent {
        ArrHistoryEvent {
            id: fastrand::i64(1..=12),
            kind: pick(&[
                HistoryKind::Grabbed,
                HistoryKind::Grabbed,
                HistoryKind::Imported,
                HistoryKind::DownloadFailed,
                HistoryKind::Ignored,
                HistoryKind::FileDeleted,
                HistoryKind::Other,
            ]),
            date: when(now),
            download_id: maybe(85, || 0).map(|_| download_id()),
            media_id,
            episode_id,
            source_title: text(&["Release.A", "Release.B"]),
            message: maybe(50, || "it broke".to_string()),
            imported_path: maybe(60, || 0).map(|_| path()),
            size: pick(&[None, Some(8e9), Some(1e6)]),
        }
    }

    pub fn radarr(now: DateTime<Utc>) -> RadarrData {
        let movies: Vec<RadarrMovie> = FILMS
            .iter()
            .filter(|_| chance(75))
            .map(|&tmdb| {
                let has_file = chance(40);
                RadarrMovie {
                    id: movie_id(tmdb),
                    tmdb_id: tmdb,
                    title: format!("Film {tmdb}"),
                    has_file,
                    monitored: chance(85),
                    is_available: chance(80),
                    status: Some("released".into()),
                    is_anime: chance(15),
                    file_path: (has_file && chance(80)).then(path),
                    added: None,
                }
            })
            .collect();
        let queue = (0..fastrand::usize(0..6))
            .map(|_| queue_item(movie_id(pick(&FILMS)), None))
            .collect();
        let history = (0..fastrand::usize(0..8))
            .map(|_| history_event(movie_id(pick(&FILMS)), None, now))
            .collect();
        RadarrData {
            queue,
            history,
            movies,
        }
    }

    fn sonarr_episodes(tvdb: i64, now: DateTime<Utc>) -> Vec<SonarrEpisode> {
        let mut eps: Vec<SonarrEpisode> = [0, 1, 2]
            .iter()
            .flat_map(|&season| (1..=3).map(move |number| (season, number)))
            .filter(|_| chance(70))
            .map(|(season, number)| {
                let has_file = chance(40);
                SonarrEpisode {
                    id: episode_id(tvdb, season, number),
                    season,
                    number,
                    title: maybe(80, || format!("Episode {number}")),
                    air_date_utc: maybe(85, || 0).map(|_| when(now)),
                    monitored: chance(85),
                    has_file,
                    file_path: (has_file && chance(80)).then(path),
                }
            })
            .collect();
        if chance(15) {
            fastrand::shuffle(&mut eps);
        }
        if chance(5) {
            if let Some(e) = eps.first().cloned() {
                eps.push(e);
            }
        }
        eps
    }

    pub fn sonarr(now: DateTime<Utc>) -> SonarrData {
        let series: Vec<SonarrSeries> = SERIES
            .iter()
            .filter(|_| chance(75))
            .map(|&tvdb| SonarrSeries {
                id: series_id(tvdb),
                tvdb_id: tvdb,
                title: format!("Series {tvdb}"),
                is_anime: chance(15),
                added: None,
                episodes: sonarr_episodes(tvdb, now).into(),
            })
            .collect();
        let episode = || {
            let tvdb = pick(&SERIES);
            let (season, number) = (fastrand::i32(0..=2), fastrand::i32(1..=3));
            (series_id(tvdb), episode_id(tvdb, season, number))
        };
        let queue = (0..fastrand::usize(0..8))
            .map(|_| {
                let (s, e) = episode();
                queue_item(s, Some(e))
            })
            .collect();
        let history = (0..fastrand::usize(0..12))
            .map(|_| {
                let (s, e) = episode();
                history_event(s, maybe(90, || e), now)
            })
            .collect();
        SonarrData {
            queue,
            history,
            series,
        }
    }

    pub fn torrent_of(n: u32) -> Torrent {
        let hash = if chance(10) { dl(n) } else { qh(n) };
        let progress = pick(&[0.0, 0.3, 0.99, 1.0]);
        Torrent {
            infohash_v1: pick(&[Some(hash.clone()), None, Some(String::new())]),
            infohash_v2: maybe(10, || format!("{}{}", qh(pick(&DOWNLOADS)), "0".repeat(24))),
            name: format!("torrent {n}"),
            progress,
            state: pick(&[
                TorrentState::Downloading,
                TorrentState::Downloading,
                TorrentState::Stalled,
                TorrentState::StoppedDownload,
                TorrentState::Queued,
                TorrentState::FetchingMetadata,
                TorrentState::Moving,
                TorrentState::Completed,
                TorrentState::Completed,
                TorrentState::Error,
                TorrentState::MissingFiles,
                TorrentState::Unknown("new".into()),
            ]),
            dlspeed: pick(&[0, 5_000_000, -1]),
            eta_secs: pick(&[None, Some(60), Some(6_000)]),
            size: pick(&[0, 8_000_000_000]),
            amount_left: 0,
            hash,
        }
    }

    pub fn qbit() -> QbitData {
        let mut torrents = HashMap::new();
        for n in DOWNLOADS {
            if chance(70) {
                let t = torrent_of(n);
                torrents.insert(t.hash.to_ascii_lowercase(), t);
            }
        }
        QbitData {
            torrents: torrents.into(),
        }
    }

    pub fn shoko() -> ShokoData {
        let mut files = HashMap::new();
        for k in 1..=5 {
            if chance(60) {
                let m = match fastrand::u32(..5) {
                    0 => ShokoMatch::NotSeen,
                    1 => ShokoMatch::Unrecognized,
                    2 => ShokoMatch::ImportLimbo,
                    3 => ShokoMatch::Matched {
                        anidb_ids: vec![],
                        file_id: None,
                    },
                    _ => ShokoMatch::Matched {
                        anidb_ids: pick(&[vec![1], vec![2], vec![1, 2]]),
                        file_id: None,
                    },
                };
                files.insert(format!("/media/file{k}.mkv"), m);
            }
        }
        ShokoData { files }
    }

    /// One of three ids for a film's or a series' item: one in another
    /// form, two in Jellyfin's (32 hex digits), as after the library item
    /// was removed and added again.
    fn jf_id(kind: &str, n: i64) -> String {
        let tag: u128 = if kind == "film" { 0xf } else { 0x5 };
        match fastrand::u32(..3) {
            0 => format!("jf-{kind}-{n}"),
            v => format!("{:032x}", tag << 100 | u128::from(v) << 64 | n as u128),
        }
    }

    pub fn jf_item_of() -> JellyfinItem {
        let playable = chance(80);
        let anidb_id = maybe(20, || 0).map(|_| fastrand::i64(1..=2));
        match fastrand::u32(..3) {
            0 => {
                let tmdb = pick(&FILMS);
                JellyfinItem {
                    tmdb_id: maybe(85, || tmdb),
                    anidb_id,
                    playable,
                    ..jf_item(&jf_id("film", tmdb), JellyfinKind::Movie)
                }
            }
            1 => {
                let tvdb = pick(&SERIES);
                JellyfinItem {
                    tvdb_id: maybe(70, || tvdb),
                    tmdb_id: maybe(50, || tvdb + 100),
                    anidb_id,
                    playable: false,
                    ..jf_item(&jf_id("series", tvdb), JellyfinKind::Series)
                }
            }
            _ => {
                let tvdb = pick(&SERIES);
                let number = fastrand::i32(1..=3);
                JellyfinItem {
                    playable,
                    episode_end: maybe(15, || number + 1),
                    ..jf_ep(&jf_id("series", tvdb), fastrand::i32(0..=2), number)
                }
            }
        }
    }

    pub fn jellyfin() -> JellyfinData {
        JellyfinData {
            items: (0..fastrand::usize(0..12))
                .map(|_| Arc::new(jf_item_of()))
                .collect(),
            server_id: None,
        }
    }

    pub fn snapshot(now: DateTime<Utc>) -> Snapshot {
        Snapshot {
            jellyseerr: source(|| seerr(now)),
            radarr: vec![ArrInstance::single("radarr", source(|| radarr(now)))],
            sonarr: vec![ArrInstance::single("sonarr", source(|| sonarr(now)))],
            qbittorrent: source(qbit),
            shoko: source(shoko),
            jellyfin: source(|| Arc::new(jellyfin())),
        }
    }

    /// One change between two cycles, of the kind services make.
    pub fn edit(s: &mut Snapshot, now: DateTime<Utc>) {
        match fastrand::u32(..12) {
            // A whole service answers differently (or fails, or recovers).
            0 => s.jellyseerr = source(|| seerr(now)),
            1 => s.radarr[0].data = source(|| radarr(now)),
            2 => s.sonarr[0].data = source(|| sonarr(now)),
            3 => s.qbittorrent = source(qbit),
            4 => s.shoko = source(shoko),
            5 => s.jellyfin = source(|| Arc::new(jellyfin())),
            // Jellyseerr edits one request, adds or drops one.
            6 => {
                if let Source::Ok(d) = &mut s.jellyseerr {
                    if let Some(i) =
                        (!d.requests.is_empty()).then(|| fastrand::usize(..d.requests.len()))
                    {
                        let fresh = request(d.requests[i].id, now);
                        let r = &mut d.requests[i];
                        match fastrand::u32(..8) {
                            0 => r.title = fresh.title,
                            1 => r.year = fresh.year,
                            2 => r.poster_path = fresh.poster_path,
                            3 => r.status = fresh.status,
                            4 => r.media_status = fresh.media_status,
                            5 => r.updated_at = now,
                            6 => r.jellyfin_media_id = fresh.jellyfin_media_id,
                            _ => {
                                d.requests.remove(i);
                            }
                        }
                    } else {
                        d.requests.push(request(fastrand::i64(1..=10), now));
                    }
                }
            }
            // A torrent progresses, changes state, appears or is removed.
            7 => {
                if let Source::Ok(q) = &mut s.qbittorrent {
                    let n = pick(&DOWNLOADS);
                    let key = qh(n);
                    match (
                        Arc::make_mut(&mut q.torrents).get_mut(&key),
                        fastrand::u32(..3),
                    ) {
                        (Some(_), 0) => {
                            Arc::make_mut(&mut q.torrents).remove(&key);
                        }
                        (Some(t), _) => {
                            t.progress = (t.progress + 0.25).min(1.0);
                            if t.progress >= 1.0 {
                                t.state = TorrentState::Completed;
                            }
                        }
                        (None, _) => {
                            Arc::make_mut(&mut q.torrents).insert(key, torrent_of(n));
                        }
                    }
                }
            }
            // A queue item appears or goes.
            8 => {
                if let Source::Ok(r) = &mut s.radarr[0].data {
                    if r.queue.is_empty() || chance(50) {
                        r.queue.push(queue_item(movie_id(pick(&FILMS)), None));
                    } else {
                        r.queue.remove(fastrand::usize(..r.queue.len()));
                    }
                }
                if let Source::Ok(d) = &mut s.sonarr[0].data {
                    if !d.queue.is_empty() && chance(50) {
                        d.queue.remove(fastrand::usize(..d.queue.len()));
                    }
                }
            }
            // A history record arrives.
            9 => {
                if let Source::Ok(r) = &mut s.radarr[0].data {
                    r.history
                        .push(history_event(movie_id(pick(&FILMS)), None, now));
                }
            }
            // An episode gets its file or a new air date.
            10 => {
                if let Source::Ok(d) = &mut s.sonarr[0].data {
                    if let Some(series) = d.series.first_mut() {
                        for e in Arc::make_mut(&mut series.episodes)
                            .iter_mut()
                            .filter(|_| chance(40))
                        {
                            e.has_file = !e.has_file;
                            e.file_path = e.has_file.then(path);
                            e.air_date_utc = Some(when(now));
                        }
                    }
                }
            }
            // Jellyfin shows a new item.
            _ => {
                if let Source::Ok(j) = &mut s.jellyfin {
                    // A new allocation when the engine still holds this one.
                    Arc::make_mut(j).items.push(Arc::new(jf_item_of()));
                }
            }
        }
    }
}

/// Cycles in which the fast path had records to change, and cycles in
/// which it changed nothing (both must occur for the test to mean anything).
pub(super) static CHANGING_CYCLES: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);
pub(super) static STEADY_CYCLES: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);
pub(super) static SKIPPED_SETTLED: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// Runs twelve poll cycles from a seed: random snapshots, random edits
/// between cycles (or none: a steady cycle), the clock moving by minutes or
/// days, the user acknowledging records. Every cycle, the engine as the
/// poller runs it and the same engine with its shortcuts off
/// ([`reconcile_full`]: every listed record evaluated, every index built
/// anew) must return the same changed records and events.
pub(super) fn same_as_full_evaluation(seed: u64) -> Result<(), String> {
    use std::sync::atomic::Ordering::Relaxed;
    fastrand::seed(seed);
    let mut now = base();
    let mut s = world::snapshot(now);
    let mut recs = Records::new();
    // The engine as the poller runs it: one Reconciler, its Jellyfin index
    // kept while the snapshot shares the same data.
    let mut engine = Reconciler::default();
    for cycle in 0..12 {
        let fast = engine.reconcile(&recs, &s, now);
        let full = reconcile_full(&recs, &s, now);
        let ctx = Lookups::build(&s, now);
        let skipped = recs
            .values()
            .filter(|r| {
                let req = ctx.seerr.get(&r.jellyseerr_request_id).copied();
                !needs_eval(r, req, &ctx) && needs_full_eval(r, req, &ctx)
            })
            .count();
        SKIPPED_SETTLED.fetch_add(skipped, Relaxed);
        if fast != full {
            return Err(format!(
                "seed {seed}, cycle {cycle}: the engine must change exactly what the full \
                 evaluation changes\nrecords before: {recs:#?}\nsnapshot: {s:#?}\n\
                 engine: {fast:#?}\nfull evaluation: {full:#?}"
            ));
        }
        let counter = if fast.changed.is_empty() {
            &STEADY_CYCLES
        } else {
            &CHANGING_CYCLES
        };
        counter.fetch_add(1, Relaxed);
        for r in fast.changed {
            recs.insert(r.id, r);
        }
        if let Some(r) = recs.values_mut().find(|_| fastrand::u32(..5) == 0) {
            r.acknowledged = true;
        }
        now += TimeDelta::minutes(world::pick(&[1, 30, 180, 4_320]));
        if fastrand::bool() {
            for _ in 0..fastrand::u32(1..=3) {
                world::edit(&mut s, now);
            }
        }
    }
    Ok(())
}

#[test]
pub(super) fn fast_path_equals_full_evaluation() {
    use proptest::prelude::*;
    use std::sync::atomic::Ordering::Relaxed;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&any::<u64>(), |seed| {
            same_as_full_evaluation(seed).map_err(TestCaseError::fail)
        })
        .unwrap();
    let (changing, steady) = (CHANGING_CYCLES.load(Relaxed), STEADY_CYCLES.load(Relaxed));
    let skipped = SKIPPED_SETTLED.load(Relaxed);
    eprintln!(
        "fast_path_equals_full_evaluation: {changing} changing and {steady} steady cycles, \
         {skipped} listed finished records skipped as settled"
    );
    assert!(
        skipped > 500,
        "the generated cycles exercise the skip of settled records ({skipped})"
    );
    assert!(
        changing > 1_000 && steady > 1_000,
        "the generated cycles both change records and leave them alone \
         ({changing} changing, {steady} steady)"
    );
}

/// The Jellyfin index (positions, kept across cycles) answers every lookup
/// as plain maps of references built the obvious way do, duplicates included.
#[test]
pub(super) fn jellyfin_index_answers_as_plain_maps_do() {
    let ids = [
        "0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdee",
        "0123456789ABCDEF0123456789ABCDEF", // not Jellyfin's form: by string
        "jf-1",
        "jf-2",
        "",
    ];
    for seed in 0..300 {
        fastrand::seed(seed);
        let kinds = [
            JellyfinKind::Movie,
            JellyfinKind::Series,
            JellyfinKind::Episode,
            JellyfinKind::Other,
        ];
        let small = || fastrand::bool().then(|| fastrand::i64(1..=4));
        let items: Vec<JellyfinItem> = (0..fastrand::usize(0..40))
            .map(|_| JellyfinItem {
                tmdb_id: small(),
                tvdb_id: small(),
                anidb_id: small(),
                playable: fastrand::bool(),
                series_id: fastrand::bool().then(|| ids[fastrand::usize(..ids.len())].to_string()),
                ..jf_item(
                    ids[fastrand::usize(..ids.len())],
                    kinds[fastrand::usize(..kinds.len())],
                )
            })
            .collect();
        let data = JellyfinData {
            items: items.into_iter().map(Arc::new).collect(),
            server_id: None,
        };
        // The plain maps.
        let mut by_id: HashMap<&str, &JellyfinItem> = HashMap::new();
        let mut movie: HashMap<i64, &JellyfinItem> = HashMap::new();
        let mut tvdb: HashMap<i64, &JellyfinItem> = HashMap::new();
        let mut tmdb: HashMap<i64, &JellyfinItem> = HashMap::new();
        let mut anidb: HashMap<i64, Vec<&JellyfinItem>> = HashMap::new();
        let mut episodes: HashMap<&str, Vec<&JellyfinItem>> = HashMap::new();
        for it in &data.items {
            by_id.insert(&it.id, it);
            match it.kind {
                JellyfinKind::Movie => {
                    if let Some(t) = it.tmdb_id {
                        let e = movie.entry(t).or_insert(it);
                        if !e.playable && it.playable {
                            *e = it;
                        }
                    }
                }
                JellyfinKind::Series => {
                    if let Some(t) = it.tvdb_id {
                        tvdb.entry(t).or_insert(it);
                    }
                    if let Some(t) = it.tmdb_id {
                        tmdb.entry(t).or_insert(it);
                    }
                }
                JellyfinKind::Episode => {
                    if let Some(s) = &it.series_id {
                        episodes.entry(s).or_default().push(it);
                    }
                }
                JellyfinKind::Other => {}
            }
            if let (Some(a), JellyfinKind::Movie | JellyfinKind::Series) = (it.anidb_id, it.kind) {
                anidb.entry(a).or_default().push(it);
            }
        }
        let index = JellyfinIndex::build(&data);
        let jf = JellyfinView {
            data: &data,
            idx: IndexRef::Kept(&index),
        };
        let same = |a: Option<&JellyfinItem>, b: Option<&&JellyfinItem>| match (a, b) {
            (Some(a), Some(b)) => std::ptr::eq(a, *b),
            (None, None) => true,
            _ => false,
        };
        for id in ids
            .iter()
            .chain(&["nope", "0123456789abcdef0123456789abcdeg"])
        {
            assert!(
                same(jf.by_id(id), by_id.get(id)),
                "seed {seed}: by_id({id:?})"
            );
            let got: Vec<*const JellyfinItem> =
                jf.episodes_of(id).iter().map(std::ptr::from_ref).collect();
            let want: Vec<*const JellyfinItem> = episodes
                .get(id)
                .into_iter()
                .flatten()
                .map(|i| std::ptr::from_ref(*i))
                .collect();
            assert_eq!(got, want, "seed {seed}: episodes_of({id:?})");
        }
        for n in 0..=5 {
            assert!(
                same(jf.movie_by_tmdb(n), movie.get(&n)),
                "seed {seed}: movie {n}"
            );
            assert!(
                same(jf.series_by_tvdb(n), tvdb.get(&n)),
                "seed {seed}: tvdb {n}"
            );
            assert!(
                same(jf.series_by_tmdb(n), tmdb.get(&n)),
                "seed {seed}: tmdb {n}"
            );
            let got: Vec<*const JellyfinItem> = jf.by_anidb(n).map(std::ptr::from_ref).collect();
            let want: Vec<*const JellyfinItem> = anidb
                .get(&n)
                .into_iter()
                .flatten()
                .map(|i| std::ptr::from_ref(*i))
                .collect();
            assert_eq!(got, want, "seed {seed}: anidb {n}");
        }
    }
}

#[test]
pub(super) fn jellyseerr_listing_answers_as_a_plain_map_does() {
    for seed in 0..300 {
        fastrand::seed(seed);
        // Ids in any order, some listed twice with different contents.
        let requests: Vec<SeerrRequest> = (0..fastrand::usize(0..30))
            .map(|k| SeerrRequest {
                title: Some(format!("listed {k}")),
                ..seerr_req(fastrand::i64(1..=20), 100)
            })
            .collect();
        let map: HashMap<i64, &SeerrRequest> = requests.iter().map(|r| (r.id, r)).collect();
        let listing = Listing::new(&requests);
        assert_eq!(listing.len(), map.len(), "seed {seed}");
        // Walked in order of any ids (the records'), from any position.
        let mut next = fastrand::usize(0..5);
        let mut walk: Vec<i64> = (0..fastrand::usize(0..30))
            .map(|_| fastrand::i64(0..=21))
            .collect();
        if fastrand::bool() {
            walk.sort_unstable();
        }
        for id in walk {
            let want = map.get(&id).map(|r| r.title.clone());
            assert_eq!(
                listing.get(&id).map(|r| r.title.clone()),
                want,
                "seed {seed}, id {id}"
            );
            assert_eq!(
                listing.get_next(&mut next, id).map(|r| r.title.clone()),
                want,
                "seed {seed}, id {id}, walking"
            );
        }
        let mut listed: Vec<i64> = listing.values().map(|r| r.id).collect();
        let mut want: Vec<i64> = map.keys().copied().collect();
        listed.sort_unstable();
        want.sort_unstable();
        assert_eq!(listed, want, "seed {seed}");
    }
}

#[test]
pub(super) fn sonarr_episode_finder_answers_as_a_plain_map_does() {
    let now = Utc::now();
    for seed in 0..300 {
        fastrand::seed(seed);
        // Ids in increasing order (as Sonarr lists them) or not, some listed
        // twice with different contents.
        let mut ids: Vec<i64> = (1..=fastrand::i64(0..40)).collect();
        fastrand::shuffle(&mut ids);
        ids.truncate(fastrand::usize(0..=ids.len()));
        match fastrand::u8(0..3) {
            0 => ids.sort_unstable(),
            1 => {
                ids = ids
                    .iter()
                    .flat_map(|&id| std::iter::repeat_n(id, 1 + fastrand::usize(0..4) / 3 * 2))
                    .collect();
                if fastrand::bool() {
                    ids.sort_unstable();
                } else {
                    fastrand::shuffle(&mut ids);
                }
            }
            _ => {}
        }
        let episodes: Vec<SonarrEpisode> = ids
            .iter()
            .enumerate()
            .map(|(k, &id)| ep(id, 1, i32::try_from(k).unwrap_or(0), Some(now)))
            .collect();
        let map: HashMap<i64, &SonarrEpisode> = episodes.iter().map(|e| (e.id, e)).collect();
        let finder = EpisodeFinder::new(&episodes);
        let asks: Vec<i64> = if fastrand::bool() {
            ids.clone()
        } else {
            (0..fastrand::usize(0..40))
                .map(|_| fastrand::i64(0..45))
                .collect()
        };
        for id in asks {
            let found = finder.get(id).map(|e| (e.id, e.number));
            assert_eq!(
                found,
                map.get(&id).map(|e| (e.id, e.number)),
                "seed {seed}, id {id}"
            );
        }
    }
}
