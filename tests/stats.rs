//! `status-tracker stats --json` on a store whose timeline is known to the
//! second: the figures are checked exactly (nearest-rank percentiles), and
//! so is the shape other tools read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{json, Value};
use status_tracker_lib::store::Store;
use status_tracker_lib::testkit::film;
use status_tracker_lib::tracker::{Change, MediaType, Phase};

fn t(min: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + Duration::minutes(min)
}

fn change(id: i64, min: i64, from: Option<Phase>, to: Phase) -> Change {
    Change::PhaseChanged {
        request_id: id,
        at: t(min),
        from,
        to,
        evidence: "e".into(),
    }
}

/// The request's phases at the given minutes, starting from first sight.
fn journey(id: i64, steps: &[(i64, Phase)]) -> Vec<Change> {
    let mut out = Vec::new();
    let mut from = None;
    for (min, to) in steps {
        out.push(change(id, *min, from, *to));
        from = Some(*to);
    }
    out
}

fn stats(dir: &std::path::Path) -> Value {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_status-tracker"))
        .arg("--data-dir")
        .arg(dir)
        .args(["stats", "--json"])
        .env_remove("STATUS_TRACKER_DATA_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn stats_json_gives_nearest_rank_percentiles_per_group_and_phase() {
    use Phase::*;
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open_in(dir.path()).unwrap();
    // Three films requested at minute 0, available after 60, 120 and 30
    // minutes; a series available after 90; a film first seen AVAILABLE
    // (adds nothing); a film still downloading.
    let mut records = Vec::new();
    let mut changes = Vec::new();
    for (id, available_at) in [(1, 60), (2, 120), (3, 30)] {
        records.push(film(id, Available, t(0)));
        changes.extend(journey(
            id,
            &[
                (1, Requested),
                (5, Approved),
                (10, Downloading),
                (available_at - 5, Importing),
                (available_at, Available),
            ],
        ));
    }
    let mut series = film(4, Available, t(0));
    series.media_type = MediaType::Tv;
    records.push(series);
    changes.extend(journey(
        4,
        &[(2, Approved), (30, Downloading), (90, Available)],
    ));
    records.push(film(5, Available, t(0)));
    changes.extend(journey(5, &[(3, Available)]));
    records.push(film(6, Downloading, t(0)));
    changes.extend(journey(6, &[(4, Approved), (20, Downloading)]));
    store.commit_cycle(&records, &changes, &[]).unwrap();
    drop(store);

    let s = stats(dir.path());
    assert_eq!(s["finished"], 4, "{s}");
    assert_eq!(
        s["request_to_available"],
        json!({"p50_secs": 3600, "p90_secs": 7200}),
        "30, 60, 90, 120 min: nearest rank"
    );
    assert_eq!(s["movie"]["finished"], 3);
    assert_eq!(
        s["movie"]["request_to_available"],
        json!({"p50_secs": 3600, "p90_secs": 7200})
    );
    assert_eq!(s["tv"]["finished"], 1);
    assert_eq!(s["tv"]["request_to_available"]["p50_secs"], 5400);
    // REQUESTED: three stints of 5 min, from createdAt.
    assert_eq!(
        s["phases"]["REQUESTED"],
        json!({"count": 3, "p50_secs": 300, "p90_secs": 300})
    );
    // APPROVED: 5, 5, 5 (films); 30 and 20 for the two first seen
    // APPROVED (their first phase runs from createdAt).
    assert_eq!(
        s["phases"]["APPROVED"],
        json!({"count": 5, "p50_secs": 300, "p90_secs": 1800})
    );
    assert_eq!(s["tv"]["phases"]["APPROVED"]["count"], 1);
    // DOWNLOADING: 45, 105, 15 (films) and 60 (series); the one still
    // downloading has not left it.
    assert_eq!(
        s["phases"]["DOWNLOADING"],
        json!({"count": 4, "p50_secs": 2700, "p90_secs": 6300})
    );
    assert!(s["phases"].get("AVAILABLE").is_none(), "never left");
    let mut keys: Vec<&String> = s.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(
        keys,
        ["finished", "movie", "phases", "request_to_available", "tv"]
    );
}

#[test]
fn stats_of_an_empty_store_are_zero_and_null() {
    let dir = tempfile::tempdir().unwrap();
    let s = stats(dir.path());
    assert_eq!(s["finished"], 0);
    assert_eq!(
        s["request_to_available"],
        json!({"p50_secs": null, "p90_secs": null})
    );
    assert_eq!(s["phases"], json!({}));
    assert_eq!(s["tv"]["finished"], 0);
}

/// A film taken through every phase, one poll per step, a second apart.
async fn finish_one(s: &common::Stack, tmdb: u64, hash: &str) {
    let w = s.world();
    w.add_movie(tmdb, "Arrival", 2016, false);
    let id = w.request_movie(tmdb, "alice").unwrap();
    s.poll().await;
    w.approve(id).unwrap();
    w.grab_movie(tmdb, hash, "Arrival.2016.1080p", 8_000_000_000)
        .unwrap();
    s.poll().await;
    w.complete_download(hash).unwrap();
    s.poll().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    w.import(hash).unwrap();
    s.poll().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    w.jellyfin_add_movie(tmdb).unwrap();
    assert_eq!(s.poll().await.phase(id), "AVAILABLE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_eta_to_available_is_the_downloads_eta_plus_the_medians_ahead() {
    let s = common::Stack::start().await;
    let w = s.world();
    finish_one(&s, 329865, "40e9c82e2a69e6214e3afa1ea6bbd0e427518310").await;
    // Another film downloading, with qBittorrent's ETA.
    w.add_movie(693134, "Dune: Part Two", 2024, false);
    let id = w.request_movie(693134, "bob").unwrap();
    w.approve(id).unwrap();
    w.grab_movie(
        693134,
        "ca4552774085f1b5db3c8e7d39dd220b0474fe4b",
        "Dune.2024",
        8_000_000_000,
    )
    .unwrap();
    w.set_progress("ca4552774085f1b5db3c8e7d39dd220b0474fe4b", 0.5, 10_000_000)
        .unwrap();
    let p = s.poll().await;
    let r = p.request(id);
    let eta = r["eta_secs"].as_i64().expect("qBittorrent's ETA");
    let stats = stats(&s.data_dir());
    let median = |phase: &str| {
        stats["movie"]["phases"][phase]["p50_secs"]
            .as_i64()
            .unwrap_or(0)
    };
    assert!(
        median("IMPORTING") >= 1,
        "the finished film's timeline: {stats}"
    );
    assert_eq!(
        r["eta_available_secs"].as_i64(),
        Some(eta + median("DOWNLOAD_DONE") + median("IMPORTING")),
        "{r}"
    );
    // A request that is not open has none.
    let done = p.0["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["phase"] == "AVAILABLE")
        .unwrap();
    assert!(done["eta_available_secs"].is_null(), "{done}");
}
