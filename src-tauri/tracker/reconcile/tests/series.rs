//! Series: the sum of their episodes.

use super::*;

// ---------------------------------------------------------------------------
// Series (tvdb 500, Sonarr series 9, Jellyfin series item JFS)
// ---------------------------------------------------------------------------

pub(super) const TVDB: i64 = 500;
pub(super) const SERIES: i64 = 9;
pub(super) const JFS: &str = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";

/// A series request for `seasons` and its Sonarr series.
pub(super) fn tv(seasons: &[i32], s: SonarrSeries) -> Snapshot {
    snap().req(seerr_tv(5, TVDB, seasons)).series(s)
}

/// Queue items and grab history for `episode_ids` all in one download.
pub(super) fn grab_eps(
    mut s: Snapshot,
    download_id: &str,
    episode_ids: &[i64],
    history_id: i64,
) -> Snapshot {
    for (k, e) in episode_ids.iter().enumerate() {
        s = s
            .sq(ep_queue(download_id, SERIES, *e, "downloading"))
            .sh(for_ep(
                grabbed(history_id + k as i64, download_id, SERIES, t(1)),
                *e,
            ));
    }
    s
}

/// Import history for `episode_ids` (path `ep_path(id)`).
pub(super) fn import_eps(
    mut s: Snapshot,
    download_id: &str,
    episode_ids: &[i64],
    history_id: i64,
) -> Snapshot {
    for (k, e) in episode_ids.iter().enumerate() {
        s = s.sh(for_ep(
            imported(
                history_id + k as i64,
                download_id,
                SERIES,
                &ep_path(*e),
                t(30),
            ),
            *e,
        ));
    }
    s
}

/// The Jellyfin series item and playable episodes `(season, number)`.
pub(super) fn jf_eps(mut s: Snapshot, eps: &[(i32, i32)]) -> Snapshot {
    s = s.jf(jf_series(JFS, TVDB));
    for (season, n) in eps {
        s = s.jf(jf_ep(JFS, *season, *n));
    }
    s
}

pub(super) fn ids(range: std::ops::RangeInclusive<i64>) -> Vec<i64> {
    range.collect()
}

pub(super) fn episode_events(out: &Reconciled) -> Vec<(i32, i32)> {
    let mut v: Vec<_> = out
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::EpisodeAvailable { season, number, .. } => Some((*season, *number)),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

pub(super) fn counts(recs: &Records, seerr_id: i64, now: DateTime<Utc>) -> EpisodeCounts {
    episode_counts(rec(recs, seerr_id), now).expect("a series has episode counts")
}

#[test]
pub(super) fn series_season_pack() {
    let eps = ids(101..=110);
    let s0 = || series(SERIES, TVDB, aired_eps(101, 1, 10));
    let mut recs = Records::new();

    step(&mut recs, &tv(&[1], s0()), t(0));
    assert_eq!(
        phase(&recs, 5),
        Phase::Approved,
        "no wanted episode grabbed → APPROVED"
    );
    assert_eq!(
        rec(&recs, 5).episodes.len(),
        10,
        "one EpisodeRecord per episode of the requested seasons"
    );

    let pack =
        |p: f64| grab_eps(tv(&[1], s0()), &dl(50), &eps, 1000).torrent(downloading(&qh(50), p));
    step(&mut recs, &pack(0.5), t(1));
    assert_eq!(
        phase(&recs, 5),
        Phase::Downloading,
        "a season pack grabs every episode at once"
    );
    assert_eq!(rec(&recs, 5).progress, Some(0.5), "the pack's progress");
    assert!(
        rec(&recs, 5).episodes.iter().all(|e| e
            .download_id
            .as_deref()
            .is_some_and(|d| d.eq_ignore_ascii_case(&dl(50)))),
        "every episode carries the pack's download id"
    );
    let c = counts(&recs, 5, t(1));
    assert_eq!((c.total, c.aired, c.grabbed), (10, 10, 10));

    let done = grab_eps(tv(&[1], s0()), &dl(50), &eps, 1000).torrent(seeding(&qh(50)));
    step(&mut recs, &done, t(2));
    assert_eq!(
        phase(&recs, 5),
        Phase::DownloadDone,
        "pack complete → DOWNLOAD_DONE"
    );
    assert!(
        reason(&recs, 5).contains(reasons::WAIT_SONARR_IMPORT),
        "no message: waiting for Sonarr to import: {:?}",
        reason(&recs, 5)
    );

    let imported = || {
        import_eps(tv(&[1], eps_with_files(s0(), &eps)), &dl(50), &eps, 2000)
            .torrent(seeding(&qh(50)))
    };
    step(&mut recs, &imported(), t(3));
    assert_eq!(
        phase(&recs, 5),
        Phase::Importing,
        "all imported, Jellyfin does not show them → IMPORTING"
    );
    assert_eq!(counts(&recs, 5, t(3)).imported, 10);

    let all: Vec<_> = (1..=10).map(|n| (1, n)).collect();
    let out = step(&mut recs, &jf_eps(imported(), &all), t(4));
    assert_eq!(
        phase(&recs, 5),
        Phase::Available,
        "every wanted episode playable → AVAILABLE"
    );
    assert_eq!(
        episode_events(&out),
        all,
        "one EpisodeAvailable per episode that became available"
    );
    assert_eq!(counts(&recs, 5, t(4)).available, 10);
}

#[test]
pub(super) fn a_re_requested_series_never_inherits_episodes_jellyfin_had_before_the_request() {
    // The user deleted a broken season in Sonarr and requested it again;
    // Jellyfin has not scanned since, so it still lists the old episodes
    // (created before the request, at t(-60)).
    let eps = ids(101..=103);
    let old_items = |mut s: Snapshot| {
        s = s.jf(jf_series(JFS, TVDB));
        for n in 1..=3 {
            s = s.jf(JellyfinItem {
                date_created: Some(days(-10)),
                files: Vec::new(),
                ..jf_ep(JFS, 1, n)
            });
        }
        s
    };
    let mut recs = Records::new();
    let out = step(
        &mut recs,
        &old_items(tv(&[1], series(SERIES, TVDB, aired_eps(101, 1, 3)))),
        t(0),
    );
    assert_eq!(
        phase(&recs, 5),
        Phase::Approved,
        "Jellyfin's leftover episodes are not this request's"
    );
    assert!(
        episode_events(&out).is_empty(),
        "no episode became available"
    );

    // Sonarr imported this request's files: the items count now (Jellyfin
    // keeps a replaced file's item when the path is the same).
    let imported = import_eps(
        tv(
            &[1],
            eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 3)), &eps),
        ),
        &dl(50),
        &eps,
        2000,
    );
    let out = step(&mut recs, &old_items(imported), t(5));
    assert_eq!(phase(&recs, 5), Phase::Available);
    assert_eq!(episode_events(&out), vec![(1, 1), (1, 2), (1, 3)]);
}

#[test]
pub(super) fn series_per_episode_grabs_grabbing_counts() {
    let s0 = || series(SERIES, TVDB, aired_eps(101, 1, 12));
    let mut recs = Records::new();
    let mut s = tv(&[1], s0());
    for e in 101..=103 {
        s = grab_eps(s, &dl(e as u32), &[e], e * 10).torrent(downloading(&qh(e as u32), 0.2));
    }
    let out = step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 5),
        Phase::Grabbing,
        "some but not all wanted episodes grabbed → GRABBING"
    );
    assert!(
        reason(&recs, 5).contains("3/12"),
        "the reason counts the grabs: {:?}",
        reason(&recs, 5)
    );
    assert_eq!(phase_changes(&out), vec![(None, Phase::Grabbing)]);
    let c = counts(&recs, 5, t(0));
    assert_eq!((c.aired, c.grabbed), (12, 3));

    let mut s = tv(&[1], s0());
    for e in 101..=112 {
        let p = if e <= 106 { 1.0 } else { 0.3 };
        s = grab_eps(s, &dl(e as u32), &[e], e * 10).torrent(if p >= 1.0 {
            seeding(&qh(e as u32))
        } else {
            downloading(&qh(e as u32), p)
        });
    }
    step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 5),
        Phase::Downloading,
        "all grabbed → the phase of the least advanced wanted episode"
    );
    let c = counts(&recs, 5, t(1));
    assert_eq!(
        (c.grabbed, c.downloaded),
        (12, 6),
        "grabbed 12/12, downloaded 6/12"
    );
}

#[test]
pub(super) fn season_pack_progress_counts_once() {
    // Both packs downloading: pack A (2 episodes) at 20 %, pack B (6 episodes) at 60 %.
    // Per torrent: (0.2 + 0.6) / 2 = 0.4; per episode it would be 0.5.
    let mut eps = aired_eps(101, 1, 2);
    eps.extend(aired_eps(201, 2, 6));
    let s = grab_eps(
        tv(&[1, 2], series(SERIES, TVDB, eps.clone())),
        &dl(71),
        &[101, 102],
        1000,
    );
    let s = grab_eps(s, &dl(72), &ids(201..=206), 2000)
        .torrent(downloading(&qh(71), 0.2))
        .torrent(downloading(&qh(72), 0.6));
    let mut recs = Records::new();
    step(&mut recs, &s, t(0));
    let p = rec(&recs, 5)
        .progress
        .expect("a downloading series has progress");
    assert!(
        (p - 0.4).abs() < 1e-9,
        "a season pack's bytes count once, not once per episode (got {p})"
    );

    // Season 1: 2 episodes in pack A (50 %); season 2: 6 episodes in pack B (100 %).
    let mut eps = aired_eps(101, 1, 2);
    eps.extend(aired_eps(201, 2, 6));
    let s = grab_eps(
        tv(&[1, 2], series(SERIES, TVDB, eps)),
        &dl(71),
        &[101, 102],
        1000,
    );
    let s = grab_eps(s, &dl(72), &ids(201..=206), 2000)
        .torrent(downloading(&qh(71), 0.5))
        .torrent(seeding(&qh(72)));
    let mut recs = Records::new();
    step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 5),
        Phase::Downloading,
        "least advanced episode is downloading"
    );
    let p = rec(&recs, 5)
        .progress
        .expect("a downloading series has progress");
    assert!(
        (p - 0.75).abs() < 1e-9,
        "two packs of equal size at 50 % and 100 % → 0.75: a pack counts once, not per episode (got {p})"
    );
}

#[test]
pub(super) fn airing_series_unaired_not_missing() {
    let mut eps = aired_eps(101, 1, 6);
    eps.push(ep(107, 1, 7, Some(days(7))));
    eps.push(ep(108, 1, 8, Some(days(14))));
    eps.push(ep(109, 1, 9, Some(days(21))));
    eps.push(ep(110, 1, 10, None));
    let aired = ids(101..=106);
    let s = import_eps(
        tv(&[1], eps_with_files(series(SERIES, TVDB, eps), &aired)),
        &dl(50),
        &aired,
        100,
    );
    let s = jf_eps(s, &(1..=6).map(|n| (1, n)).collect::<Vec<_>>());
    let mut recs = Records::new();
    step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 5),
        Phase::Available,
        "unaired episodes (future or no air date) do not block AVAILABLE"
    );
    let c = counts(&recs, 5, t(0));
    assert_eq!(
        (c.total, c.aired, c.available),
        (10, 6, 6),
        "unaired episodes count in total, not in aired"
    );
    assert!(!rec(&recs, 5).attention, "unaired episodes are not missing");
    assert_eq!(
        rec(&recs, 5).episodes.len(),
        10,
        "unaired episodes are followed"
    );
}

#[test]
pub(super) fn available_series_stays_available_and_reports_new_episodes() {
    let mut eps = aired_eps(101, 1, 2);
    eps.push(ep(103, 1, 3, Some(days(7))));
    let s0 = || series(SERIES, TVDB, eps.clone());
    let aired = [101, 102];
    let avail = |s: Snapshot, n: i32| jf_eps(s, &(1..=n).map(|k| (1, k)).collect::<Vec<_>>());
    let mut recs = Records::new();
    let s = avail(
        import_eps(tv(&[1], eps_with_files(s0(), &aired)), &dl(50), &aired, 100),
        2,
    );
    step(&mut recs, &s, t(0));
    assert_eq!(phase(&recs, 5), Phase::Available);

    // A week later episode 3 airs; not grabbed yet.
    let now = days(8);
    let s = avail(tv(&[1], eps_with_files(s0(), &aired)), 2);
    let out = step(&mut recs, &s, now);
    assert_eq!(
        phase(&recs, 5),
        Phase::Available,
        "once AVAILABLE, a request stays AVAILABLE"
    );
    assert!(
        phase_changes(&out).is_empty(),
        "no step back: {:#?}",
        out.changes
    );
    assert_eq!(
        counts(&recs, 5, now).aired,
        3,
        "the newly aired episode is followed in the counts"
    );

    // Grabbed and downloading.
    let s = grab_eps(
        avail(tv(&[1], eps_with_files(s0(), &aired)), 2),
        &dl(53),
        &[103],
        300,
    )
    .torrent(downloading(&qh(53), 0.5));
    let out = step(&mut recs, &s, now + TimeDelta::hours(1));
    assert_eq!(phase(&recs, 5), Phase::Available);
    assert!(phase_changes(&out).is_empty());

    // Imported and in Jellyfin.
    let all = [101, 102, 103];
    let s = avail(
        import_eps(tv(&[1], eps_with_files(s0(), &all)), &dl(53), &[103], 400),
        3,
    )
    .torrent(seeding(&qh(53)));
    let later = now + TimeDelta::hours(2);
    let out = step(&mut recs, &s, later);
    assert_eq!(phase(&recs, 5), Phase::Available);
    assert_eq!(
        episode_events(&out),
        vec![(1, 3)],
        "the new episode becoming watchable is an episode-level event"
    );
    assert!(phase_changes(&out).is_empty(), "not a phase change");
    assert_eq!(counts(&recs, 5, later).available, 3);
}

#[test]
pub(super) fn episode_failure_fails_series_until_regrab() {
    let s0 = || series(SERIES, TVDB, aired_eps(101, 1, 3));
    let base = |failed: bool| {
        let mut s = tv(&[1], s0());
        s = grab_eps(s, &dl(81), &[101], 10).torrent(downloading(&qh(81), 0.5));
        s = grab_eps(s, &dl(83), &[103], 30).torrent(downloading(&qh(83), 0.5));
        if failed {
            s.sq(failed_q(
                ep_queue(&dl(82), SERIES, 102, "failed"),
                "Download failed: not enough disk space",
            ))
        } else {
            grab_eps(s, &dl(82), &[102], 20).torrent(downloading(&qh(82), 0.5))
        }
    };
    let mut recs = Records::new();
    step(&mut recs, &base(false), t(0));
    assert_eq!(phase(&recs, 5), Phase::Downloading);

    step(&mut recs, &base(true), t(1));
    assert_eq!(
        phase(&recs, 5),
        Phase::Failed,
        "a FAILED episode makes the series FAILED"
    );
    assert!(
        reason(&recs, 5).contains("not enough disk space"),
        "with the *arr's message: {:?}",
        reason(&recs, 5)
    );
    assert!(rec(&recs, 5).attention);

    let regrab = grab_eps(base(true), &dl(84), &[102], 40).torrent(downloading(&qh(84), 0.1));
    // The failed item leaves the queue when the new release is grabbed.
    let mut regrab = regrab;
    ok_mut(&mut regrab.sonarr[0].data)
        .queue
        .retain(|q| q.download_id.as_deref() != Some(dl(82).as_str()));
    step(&mut recs, &regrab, t(2));
    assert_eq!(
        phase(&recs, 5),
        Phase::Downloading,
        "…until that episode is grabbed again"
    );
}

#[test]
pub(super) fn nothing_aired_is_approved_with_reason() {
    let eps = vec![
        ep(101, 1, 1, Some(days(3))),
        ep(102, 1, 2, Some(days(10))),
        ep(103, 1, 3, None),
    ];
    let mut recs = Records::new();
    step(&mut recs, &tv(&[1], series(SERIES, TVDB, eps)), t(0));
    assert_eq!(
        phase(&recs, 5),
        Phase::Approved,
        "no aired episode at all → APPROVED"
    );
    assert!(
        reason(&recs, 5).contains(reasons::NOTHING_AIRED),
        "the reason says nothing aired yet: {:?}",
        reason(&recs, 5)
    );
    let c = counts(&recs, 5, t(0));
    assert_eq!((c.total, c.aired), (3, 0));
}

#[test]
pub(super) fn only_requested_seasons_and_monitored_episodes_are_wanted() {
    let mut eps = aired_eps(101, 1, 3);
    eps[2].monitored = false;
    eps.extend(aired_eps(201, 2, 4));
    let s = import_eps(
        tv(&[1], eps_with_files(series(SERIES, TVDB, eps), &[101, 102])),
        &dl(1),
        &[101, 102],
        10,
    );
    let s = jf_eps(s, &[(1, 1), (1, 2)]);
    let mut recs = Records::new();
    step(&mut recs, &s, t(0));
    assert!(
        rec(&recs, 5).episodes.iter().all(|e| e.season == 1),
        "episodes of the requested seasons only"
    );
    assert_eq!(
        phase(&recs, 5),
        Phase::Available,
        "wanted = monitored and aired episodes of the requested seasons"
    );
}

#[test]
pub(super) fn multi_episode_file_covers_its_range() {
    let eps = ids(101..=102);
    let s = import_eps(
        tv(
            &[1],
            eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 2)), &eps),
        ),
        &dl(1),
        &eps,
        10,
    );
    let mut recs = Records::new();
    step(&mut recs, &s, t(0));
    let mut double = jf_ep(JFS, 1, 1);
    double.episode_end = Some(2);
    let s = s.jf(jf_series(JFS, TVDB)).jf(double);
    let out = step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 5),
        Phase::Available,
        "one Jellyfin file covering 1x01-1x02 makes both available"
    );
    assert_eq!(episode_events(&out), vec![(1, 1), (1, 2)]);
}

#[test]
pub(super) fn virtual_jellyfin_episodes_are_not_available() {
    let eps = ids(101..=102);
    let s = import_eps(
        tv(
            &[1],
            eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 2)), &eps),
        ),
        &dl(1),
        &eps,
        10,
    );
    let s = s
        .jf(jf_series(JFS, TVDB))
        .jf(virtual_item(jf_ep(JFS, 1, 1)))
        .jf(virtual_item(jf_ep(JFS, 1, 2)));
    let mut recs = Records::new();
    let out = step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 5),
        Phase::Importing,
        "virtual episodes are not playable"
    );
    assert!(
        episode_events(&out).is_empty(),
        "no EpisodeAvailable for a virtual episode"
    );
}

#[test]
pub(super) fn anime_series_waits_for_shoko_per_episode() {
    let eps = ids(101..=102);
    let mut sr = eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 2)), &eps);
    sr.is_anime = true;
    let base = || import_eps(tv(&[1], sr.clone()), &dl(1), &eps, 10);
    let mut recs = Records::new();
    step(&mut recs, &base(), t(0));
    let w = wants(&recs);
    for e in &eps {
        assert!(
            w.shoko_paths.contains(&ep_path(*e)),
            "each imported anime episode is wanted from Shoko: {w:?}"
        );
    }
    let matched = || ShokoMatch::Matched {
        anidb_ids: vec![ANIDB],
        file_id: None,
    };
    let s = base()
        .shoko(&ep_path(101), matched())
        .shoko(&ep_path(102), ShokoMatch::NotSeen);
    step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 5),
        Phase::AnimeMatching,
        "anime series with Shoko → ANIME_MATCHING"
    );

    // Shokofin's series item carries the AniDB id, not the Tvdb id.
    let jf_s = JellyfinItem {
        anidb_id: Some(ANIDB),
        ..jf_item(JFS, JellyfinKind::Series)
    };
    let s = base()
        .shoko(&ep_path(101), matched())
        .shoko(&ep_path(102), matched())
        .jf(jf_s)
        .jf(jf_ep(JFS, 1, 1))
        .jf(jf_ep(JFS, 1, 2));
    step(&mut recs, &s, t(2));
    assert_eq!(
        phase(&recs, 5),
        Phase::Available,
        "Shoko matched, Jellyfin playable → AVAILABLE"
    );
}

#[test]
pub(super) fn a_finished_series_follows_its_jellyfin_item_added_again() {
    let eps = ids(101..=102);
    let sr = eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 2)), &eps);
    let in_jellyfin = |s: Snapshot, id: &str| {
        s.jf(jf_series(id, TVDB))
            .jf(jf_ep(id, 1, 1))
            .jf(jf_ep(id, 1, 2))
    };
    let mut recs = Records::new();
    let first = in_jellyfin(import_eps(tv(&[1], sr.clone()), &dl(1), &eps, 10), JFS);
    for k in 0..3 {
        step(&mut recs, &first, t(k));
    }
    assert_eq!(phase(&recs, 5), Phase::Available);
    assert_eq!(rec(&recs, 5).jellyfin_id.as_deref(), Some(JFS));
    let out = step(&mut recs, &in_jellyfin(tv(&[1], sr.clone()), JFS), t(5));
    assert!(
        out.changed.is_empty() && out.changes.is_empty(),
        "nothing new: {out:?}"
    );
    // The series was removed from the library and scanned in again: same
    // Tvdb id, a new item id.
    let again = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5f";
    step(&mut recs, &in_jellyfin(tv(&[1], sr.clone()), again), t(10));
    assert_eq!(
        rec(&recs, 5).jellyfin_id.as_deref(),
        Some(again),
        "the record links to the item Jellyfin has now"
    );
    assert_eq!(phase(&recs, 5), Phase::Available);
}

#[test]
pub(super) fn a_finished_anime_series_keeps_an_anidb_id_shoko_adds_later() {
    let eps = ids(101..=102);
    let mut sr = eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 2)), &eps);
    sr.is_anime = true;
    let with = |s: Snapshot, anidb_ids: Vec<i64>| {
        let jf_s = JellyfinItem {
            anidb_id: Some(ANIDB),
            ..jf_item(JFS, JellyfinKind::Series)
        };
        let mut s = s.jf(jf_s).jf(jf_ep(JFS, 1, 1)).jf(jf_ep(JFS, 1, 2));
        for e in &eps {
            let m = ShokoMatch::Matched {
                anidb_ids: anidb_ids.clone(),
                file_id: None,
            };
            s = s.shoko(&ep_path(*e), m);
        }
        s
    };
    let mut recs = Records::new();
    let first = with(
        import_eps(tv(&[1], sr.clone()), &dl(1), &eps, 10),
        vec![ANIDB],
    );
    for k in 0..3 {
        step(&mut recs, &first, t(k));
    }
    assert_eq!(phase(&recs, 5), Phase::Available);
    assert_eq!(rec(&recs, 5).anidb_ids, vec![ANIDB]);
    // Later sweeps: the import history has been read; Shoko says the same.
    let out = step(&mut recs, &with(tv(&[1], sr.clone()), vec![ANIDB]), t(5));
    assert!(
        out.changed.is_empty() && out.changes.is_empty(),
        "nothing new: {out:?}"
    );
    // Shoko now matches the files to a second AniDB entry as well.
    step(
        &mut recs,
        &with(tv(&[1], sr.clone()), vec![ANIDB, ANIDB + 1]),
        t(10),
    );
    assert_eq!(
        rec(&recs, 5).anidb_ids,
        vec![ANIDB, ANIDB + 1],
        "the finished series keeps the id Shoko added"
    );
    assert_eq!(phase(&recs, 5), Phase::Available);
}
