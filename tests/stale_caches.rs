//! End-to-end scenarios where the tracker's caches and change cursors meet
//! the services' real quirks: Seerr's one-second `updatedAt`, Jellyfin items
//! that vanish or change Id when their file does, a re-request after the
//! copy was deleted, and an import the *arr is still running.
//!
//! Every poll is one `poll --once --json` process, as cron runs them. The
//! first one sweeps every listing; the later ones (within the 15-minute
//! sweep interval) read only the change feeds and the cached state, so each
//! story changes the world only after at least one poll: that is what puts
//! the caches to the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Phases, Poll, Stack};

const DUNE: u64 = 693134;
const SPIRITED_AWAY: u64 = 129;
const HASH_A: &str = "40e9c82e2a69e6214e3afa1ea6bbd0e427518310";
const HASH_B: &str = "ca4552774085f1b5db3c8e7d39dd220b0474fe4b";

/// The Jellyfin item a request is matched to, as the store holds it (the
/// CLI's JSON does not print it).
fn jellyfin_id(s: &Stack, seerr_id: u64) -> Option<String> {
    let store = status_tracker_lib::store::Store::open_in(&s.data_dir()).unwrap();
    let records = store.load_records().unwrap();
    records
        .values()
        .find(|r| u64::try_from(r.jellyseerr_request_id).ok() == Some(seerr_id))
        .and_then(|r| r.jellyfin_id.clone())
}

/// A film requested by alice, approved, downloaded, imported and shown by
/// Jellyfin. Returns the request id and the Jellyfin item id.
fn available_film(s: &Stack, release: &str) -> (u64, String) {
    let w = s.world();
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    let id = w.request_movie(DUNE, "alice").unwrap();
    w.approve(id).unwrap();
    w.grab_movie(DUNE, HASH_A, release, 8_000_000_000).unwrap();
    w.complete_download(HASH_A).unwrap();
    w.import(HASH_A).unwrap();
    let item = w.jellyfin_add_movie(DUNE).unwrap();
    (id, item)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_re_request_is_not_available_from_a_deleted_copy() {
    let s = Stack::start().await;
    let w = s.world();
    let (old, _) = available_film(&s, "Dune.Part.Two.2024.1080p.WEB-DL-BROKEN");
    // The sweep, then an incremental poll: the caches hold the old copy.
    assert_eq!(s.poll().await.phase(old), "AVAILABLE");
    assert_eq!(s.poll().await.phase(old), "AVAILABLE");

    // The copy is broken: the user deletes it in Radarr and in Jellyfin.
    w.delete_movie_file(DUNE, "Manual").unwrap();
    w.jellyfin_remove_movie(DUNE).unwrap();
    let mut old_reasons = Vec::new();
    let mut check_old = |p: &Poll, step: &str| {
        assert_eq!(
            p.phase(old),
            "AVAILABLE",
            "the old request was fulfilled, and stays AVAILABLE ({step})"
        );
        old_reasons.push(p.reason(old));
    };
    check_old(&s.poll().await, "after the deletion");

    // Seerr's availability sync marks the film deleted; it is requested again.
    w.seerr_availability_sync();
    let new = w.request_movie(DUNE, "bob").unwrap();
    assert_ne!(new, old, "a re-request is a new Seerr request");
    w.approve(new).unwrap();
    let mut seen = Phases::default();
    let p = s.poll().await;
    check_old(&p, "after the re-request");
    let phase = seen.see(&p, new);
    assert_ne!(
        phase,
        "AVAILABLE",
        "the re-request is not AVAILABLE from the deleted copy (cached Jellyfin item, \
         Radarr's old import): {}",
        p.request(new)
    );
    assert!(
        [
            "APPROVED",
            "GRABBING",
            "DOWNLOADING",
            "DOWNLOAD_DONE",
            "IMPORTING"
        ]
        .contains(&&*phase),
        "the re-request is approved and in the pipeline: {phase}"
    );

    // Radarr grabs, downloads and imports a new copy.
    w.grab_movie(
        DUNE,
        HASH_B,
        "Dune.Part.Two.2024.1080p.WEB-DL-GOOD",
        8_000_000_000,
    )
    .unwrap();
    w.set_progress(HASH_B, 0.3, 1_000_000).unwrap();
    let p = s.poll().await;
    check_old(&p, "while the new copy downloads");
    assert_ne!(
        seen.see(&p, new),
        "AVAILABLE",
        "not AVAILABLE while the new copy downloads"
    );
    w.complete_download(HASH_B).unwrap();
    let p = s.poll().await;
    check_old(&p, "once the new copy is downloaded");
    assert_ne!(
        seen.see(&p, new),
        "AVAILABLE",
        "not AVAILABLE while the new copy waits for its import"
    );
    w.import(HASH_B).unwrap();
    let p = s.poll().await;
    check_old(&p, "once the new copy is imported");
    assert_ne!(
        seen.see(&p, new),
        "AVAILABLE",
        "not AVAILABLE before Jellyfin shows the new copy"
    );

    // Jellyfin shows the new copy (a new item: its path is new).
    w.jellyfin_add_movie(DUNE).unwrap();
    let p = s.poll().await;
    seen.see(&p, new);
    assert_eq!(p.phase(new), "AVAILABLE", "the new copy in Jellyfin");
    assert_eq!(p.phase(old), "AVAILABLE");
    assert_eq!(
        seen.0,
        [
            "APPROVED",
            "DOWNLOADING",
            "DOWNLOAD_DONE",
            "IMPORTING",
            "AVAILABLE"
        ],
        "the re-request goes through the pipeline of its own copy"
    );
    // One line says it: Radarr's record of the deleted file comes first here
    // (a deletion in Jellyfin alone says "no longer in Jellyfin": see
    // tracker's `a_finished_film_follows_its_replaced_item_and_notes_it_gone_once`).
    assert!(
        old_reasons
            .iter()
            .any(|r| r.contains("no longer in Jellyfin") || r.contains("file was deleted")),
        "while its copy was gone, the old request said so: {old_reasons:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decline_in_the_cursors_own_second_is_seen() {
    let s = Stack::start().await;
    let w = s.world();
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    let id = w.request_movie(DUNE, "bob").unwrap();
    assert_eq!(s.poll().await.phase(id), "REQUESTED");
    // Declined within the second of the `updatedAt` the poll just read:
    // Seerr's `updatedAt` does not move.
    w.seerr_in_second_of(id, || w.decline(id)).unwrap().unwrap();
    let p = s.poll().await;
    assert_eq!(
        p.phase(id),
        "FAILED",
        "a change in the second the cursor stands on is re-read, not skipped as seen"
    );
    assert!(
        p.reason(id).contains("declin"),
        "the reason says it was declined: {}",
        p.reason(id)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_failing_in_its_own_second_is_seen() {
    let s = Stack::start().await;
    let w = s.world();
    // The poll reads the approval; Seerr's hand-off to Radarr fails within
    // the same second (the 200 comes before the hand-off).
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    let first = w.request_movie(DUNE, "bob").unwrap();
    w.approve(first).unwrap();
    assert_eq!(s.poll().await.phase(first), "APPROVED");
    w.seerr_in_second_of(first, || w.mark_failed(first))
        .unwrap()
        .unwrap();
    let p = s.poll().await;
    assert_eq!(
        p.phase(first),
        "FAILED",
        "a hand-off failing in the second of the approval the tracker saw is seen"
    );

    // The poll reads the request pending; approval and failure both land
    // in that same second.
    w.add_movie(SPIRITED_AWAY, "Spirited Away", 2001, false);
    let second = w.request_movie(SPIRITED_AWAY, "bob").unwrap();
    assert_eq!(s.poll().await.phase(second), "REQUESTED");
    w.seerr_in_second_of(second, || w.approve_then_fail_same_second(second))
        .unwrap()
        .unwrap();
    let p = s.poll().await;
    assert_eq!(
        p.phase(second),
        "FAILED",
        "approve-then-fail in the second the tracker read the request pending is seen"
    );
    assert_eq!(p.phase(first), "FAILED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bulk_approval_in_one_second_is_seen_whole() {
    let s = Stack::start().await;
    let w = s.world();
    // More than one page of 50.
    let ids: Vec<u64> = (0..60u64)
        .map(|i| {
            w.add_movie(20_000 + i, &format!("Film {i}"), 2020, false);
            w.request_movie(20_000 + i, "alice").unwrap()
        })
        .collect();
    let p = s.poll().await;
    assert!(ids.iter().all(|id| p.phase(*id) == "REQUESTED"));
    // The admin bulk-approves all sixty within the second of the newest
    // request the poll read.
    let newest = ids.iter().copied().max().unwrap();
    w.seerr_in_second_of(newest, || w.bulk_approve(&ids))
        .unwrap()
        .unwrap();
    let p = s.poll().await;
    let missed: Vec<u64> = ids
        .iter()
        .copied()
        .filter(|id| p.phase(*id) != "APPROVED")
        .collect();
    assert!(
        missed.is_empty(),
        "every request of a bulk approval is seen, in one poll ({} of 60 missed: {missed:?})",
        missed.len()
    );

    let steady = s.poll().await;
    let cost = steady.http_requests();
    eprintln!("steady poll after the bulk approval: {cost} HTTP requests");
    assert!(ids.iter().all(|id| steady.phase(*id) == "APPROVED"));
    // All sixty share the `updatedAt` the cursor stands on, so a correct
    // cursor re-reads that second: two Seerr pages of 50 each cycle, on top
    // of the other services' steady reads. 40 leaves room for those; it
    // still fails if the sixty are fetched one by one.
    assert!(
        cost <= 40,
        "a steady poll after a bulk approval stays cheap: {cost} HTTP requests"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anime_film_being_imported_is_importing_not_matching() {
    let s = Stack::start().await;
    let w = s.world();
    w.add_movie(SPIRITED_AWAY, "Spirited Away", 2001, true);
    let id = w.request_movie(SPIRITED_AWAY, "erin").unwrap();
    w.approve(id).unwrap();
    w.grab_movie(
        SPIRITED_AWAY,
        HASH_A,
        "Spirited.Away.2001.1080p",
        6_000_000_000,
    )
    .unwrap();
    w.complete_download(HASH_A).unwrap();
    assert_eq!(s.poll().await.phase(id), "DOWNLOAD_DONE");
    // Radarr's queue: completed, trackedDownloadState `importing`; no file
    // in the library yet, so there is nothing for Shoko to match.
    w.start_import(HASH_A).unwrap();
    let p = s.poll().await;
    assert_eq!(
        p.phase(id),
        "IMPORTING",
        "a file Radarr is still importing is not waiting for Shoko: {}",
        p.request(id)
    );
    w.import(HASH_A).unwrap();
    let p = s.poll().await;
    assert_eq!(
        p.phase(id),
        "ANIME_MATCHING",
        "imported, the anime file waits for Shoko"
    );
    assert_eq!(p.reason(id), "Shoko has not seen the file yet");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jellyfin_item_replaced_with_a_new_id_is_followed() {
    let s = Stack::start().await;
    let w = s.world();
    let (id, first) = available_film(&s, "Dune.Part.Two.2024.1080p.WEB-DL");
    let p = s.poll().await;
    assert_eq!(p.phase(id), "AVAILABLE");
    assert_eq!(
        jellyfin_id(&s, id).as_deref(),
        Some(first.as_str()),
        "the request is matched to the Jellyfin item"
    );
    assert_eq!(s.poll().await.phase(id), "AVAILABLE");

    // Radarr upgrades the file; its new name is a new path, so Jellyfin
    // drops the old item and shows a new one with a new Id.
    w.grab_movie(
        DUNE,
        HASH_B,
        "Dune.Part.Two.2024.2160p.REMUX",
        60_000_000_000,
    )
    .unwrap();
    w.complete_download(HASH_B).unwrap();
    w.import(HASH_B).unwrap();
    let second = w.jellyfin_replace_movie(DUNE).unwrap();
    assert_ne!(second, first);
    let mut followed = None;
    for _ in 0..2 {
        let p = s.poll().await;
        assert_eq!(
            p.phase(id),
            "AVAILABLE",
            "a replaced item is still the film in Jellyfin"
        );
        assert!(
            !p.reason(id).contains("no longer in Jellyfin"),
            "a replaced item is not a removed one: {}",
            p.reason(id)
        );
        followed = jellyfin_id(&s, id);
    }
    assert_eq!(
        followed.as_deref(),
        Some(second.as_str()),
        "the record follows the new item Id without waiting for a sweep (old Id {first})"
    );
}
