//! The per-cycle indexes and the buffers they reuse.

use super::*;

// ---------------------------------------------------------------------------
// Indexes and reused buffers (the per-cycle indexes normalise ids; one
// scratch record is refilled for every record evaluated)
// ---------------------------------------------------------------------------

/// A download id with hex letters in it (digits have no case).
pub(super) const HEXY: u32 = 0xABCD_EF12;

/// `s` with every other ASCII letter upper-cased.
pub(super) fn mixed_case(s: &str) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

pub(super) fn film_grabbed(download: &str) -> Snapshot {
    film_approved()
        .rq(queue(download, MOVIE, "downloading"))
        .rh(grabbed(1, download, MOVIE, t(1)))
}

#[test]
pub(super) fn a_torrent_is_found_whatever_the_case_of_its_hash() {
    let mixed = mixed_case(&qh(HEXY));
    assert!(
        mixed != qh(HEXY) && mixed != dl(HEXY),
        "test bug: the hash must be mixed-case"
    );
    let mut recs = Records::new();
    step(
        &mut recs,
        &film_grabbed(&dl(HEXY)).torrent(downloading(&mixed, 0.42)),
        t(2),
    );
    let r = rec(&recs, 1);
    assert_eq!(
        (r.phase, r.progress),
        (Phase::Downloading, Some(0.42)),
        "an upper-case *arr download id finds the mixed-case qBittorrent hash"
    );
}

#[test]
pub(super) fn a_torrent_is_found_by_its_v1_info_hash_in_any_case() {
    // qBittorrent keys a hybrid torrent by its (truncated) v2 hash; the *arr
    // knows the v1 hash.
    let mut t1 = downloading(&"7".repeat(40), 0.3);
    t1.infohash_v1 = Some(mixed_case(&qh(HEXY)));
    t1.infohash_v2 = Some("7".repeat(64));
    let mut recs = Records::new();
    step(&mut recs, &film_grabbed(&dl(HEXY)).torrent(t1), t(2));
    assert_eq!(
        rec(&recs, 1).progress,
        Some(0.3),
        "the v1 info hash finds the torrent, whatever its case"
    );
}

#[test]
pub(super) fn a_torrents_own_hash_wins_over_another_torrents_alias() {
    // Torrent B names A's hash (in upper case) as its v1 hash: A's own key
    // must not be taken over by B's alias, whichever comes first.
    let a = downloading(&qh(HEXY), 0.25);
    let mut b = seeding(&qh(HEXY + 1));
    b.infohash_v1 = Some(dl(HEXY));
    for _ in 0..8 {
        let mut recs = Records::new();
        step(
            &mut recs,
            &film_grabbed(&dl(HEXY))
                .torrent(a.clone())
                .torrent(b.clone()),
            t(2),
        );
        let r = rec(&recs, 1);
        assert_eq!(
            (r.phase, r.progress),
            (Phase::Downloading, Some(0.25)),
            "the torrent whose own hash is the download id is the download"
        );
    }
}

#[test]
pub(super) fn a_steady_cycle_over_mixed_records_changes_nothing() {
    // Films and series of different lengths, in an order where the reused
    // scratch record shrinks and grows between records.
    let jf_s = |n: i64| format!("{n:032x}");
    let mut s = film_available();
    let lengths = [(2_i64, 3_i32), (3, 1), (4, 5), (5, 2)];
    for (i, (req, n)) in lengths.iter().enumerate() {
        let tvdb = 700 + *req;
        let first = 1_000 * *req;
        let ids: Vec<i64> = (0..i64::from(*n)).map(|k| first + k).collect();
        s = s
            .req(seerr_tv(*req, tvdb, &[1]))
            .series(eps_with_files(
                series(50 + *req, tvdb, aired_eps(first, 1, *n)),
                &ids,
            ))
            .jf(jf_series(&jf_s(tvdb), tvdb));
        // Leave the last episode of every other series missing in Jellyfin.
        let shown = if i % 2 == 0 { *n } else { *n - 1 };
        for k in 1..=shown {
            s = s.jf(jf_ep(&jf_s(tvdb), 1, k));
        }
    }
    let mut recs = Records::new();
    for k in 0..4 {
        step(&mut recs, &s, t(10 + k));
    }
    let before = recs.clone();
    let out = reconcile(&recs, &s, t(30));
    assert!(
        out.changed.is_empty() && out.changes.is_empty(),
        "a cycle over the same snapshot changes nothing: {:#?}",
        out.changed
    );
    for (req, n) in lengths {
        let eps = &rec(&before, req).episodes;
        assert_eq!(
            eps.len(),
            n as usize,
            "request {req} keeps one episode record per Sonarr episode"
        );
        assert!(
            eps.iter().all(|e| e.arr_episode_id / 1_000 == req),
            "request {req} holds only its own episodes: {eps:#?}"
        );
    }
    assert_eq!(phase(&recs, 2), Phase::Available, "all shown: AVAILABLE");
    assert_ne!(phase(&recs, 3), Phase::Available, "one missing: not yet");
}

#[test]
pub(super) fn sonarr_episode_order_does_not_matter() {
    let ids = [101, 102, 103];
    let sorted = || eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 3)), &ids);
    let mut reversed = sorted();
    Arc::make_mut(&mut reversed.episodes).reverse();
    let with = |s: SonarrSeries| {
        snap()
            .req(seerr_tv(5, TVDB, &[1]))
            .series(s)
            .jf(jf_series(JFS, TVDB))
            .jf(jf_ep(JFS, 1, 2))
    };
    let mut recs = Records::new();
    step(&mut recs, &with(reversed.clone()), t(0));
    step(&mut recs, &with(reversed.clone()), t(1));
    let numbers: Vec<i32> = rec(&recs, 5).episodes.iter().map(|e| e.number).collect();
    assert_eq!(
        numbers,
        [1, 2, 3],
        "episode records are kept in episode order"
    );
    let out = reconcile(&recs, &with(sorted()), t(2));
    assert!(
        out.changed.is_empty() && out.changes.is_empty(),
        "the same episodes listed in another order change nothing: {:#?}",
        out.changed
    );
    let phases: Vec<Phase> = rec(&recs, 5).episodes.iter().map(|e| e.phase).collect();
    assert_eq!(
        phases,
        [Phase::Importing, Phase::Available, Phase::Importing],
        "each episode keeps its own phase"
    );
}
