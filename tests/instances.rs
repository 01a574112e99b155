//! Several Radarr and Sonarr instances (issue 17): an HD and a 4K one of
//! each, as the simulator runs them (own keys, libraries, queues and
//! histories; one qBittorrent and one Jellyfin), polled by the real CLI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Stack;
use status_tracker_lib::sim::{ArrInstance as Sim, FailureMode, Service};

const ARRIVAL: u64 = 329865;
const HASH_4K: &str = "0123456789abcdef0123456789abcdef01234567";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_instance_is_polled_with_its_own_secret_and_reported_apart() {
    let s = Stack::start_4k().await;
    let p = s.poll().await;
    for name in ["radarr.hd", "radarr.4k", "sonarr.hd", "sonarr.4k"] {
        assert_eq!(p.service(name)["ok"], true, "{name}: {}", p.service(name));
    }
    let out = s.cli(&["check", "--json"]).await;
    assert!(out.status.success(), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4k_request_is_followed_in_the_4k_radarr_and_not_available_from_the_hd_copy() {
    let s = Stack::start_4k().await;
    let w = s.world();
    // The HD copy is in Jellyfin and its request AVAILABLE.
    w.add_movie(ARRIVAL, "Arrival", 2016, false);
    let hd = w.request_movie(ARRIVAL, "alice").unwrap();
    w.approve(hd).unwrap();
    w.grab_movie(
        ARRIVAL,
        "40e9c82e2a69e6214e3afa1ea6bbd0e427518310",
        "Arrival.2016.1080p",
        8_000_000_000,
    )
    .unwrap();
    w.complete_download("40e9c82e2a69e6214e3afa1ea6bbd0e427518310")
        .unwrap();
    w.import("40e9c82e2a69e6214e3afa1ea6bbd0e427518310")
        .unwrap();
    w.jellyfin_add_movie(ARRIVAL).unwrap();
    let p = s.poll().await;
    assert_eq!(p.phase(hd), "AVAILABLE");
    assert_eq!(p.request(hd)["instance"], "radarr.hd");
    assert_eq!(p.request(hd)["is_4k"], false);

    // Now the 4K request: in the 4K Radarr, downloading there.
    w.add_movie_in(Sim::FourK, ARRIVAL, "Arrival", 2016, false);
    let uhd = w.request_movie_4k(ARRIVAL, "dave").unwrap();
    w.approve(uhd).unwrap();
    w.grab_movie_in(
        Sim::FourK,
        ARRIVAL,
        HASH_4K,
        "Arrival.2016.2160p.UHD",
        40_000_000_000,
    )
    .unwrap();
    let p = s.poll().await;
    assert_eq!(p.request(uhd)["is_4k"], true);
    assert_eq!(
        p.request(uhd)["instance"],
        "radarr.4k",
        "{}",
        p.request(uhd)
    );
    assert_eq!(
        p.phase(uhd),
        "DOWNLOADING",
        "the HD copy in Jellyfin does not make the 4K request available"
    );
    // Imported by the 4K Radarr: still not in Jellyfin, so not available.
    w.complete_download(HASH_4K).unwrap();
    w.import(HASH_4K).unwrap();
    let p = s.poll().await;
    assert_eq!(p.phase(uhd), "IMPORTING", "{}", p.request(uhd));
    // Jellyfin shows the 4K file (another library, another path prefix).
    w.jellyfin_add_movie_in(Sim::FourK, ARRIVAL).unwrap();
    let p = s.poll().await;
    assert_eq!(p.phase(uhd), "AVAILABLE", "{}", p.request(uhd));
    assert_eq!(p.phase(hd), "AVAILABLE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_of_the_4k_radarr_moves_nothing_the_hd_one_follows() {
    let s = Stack::start_4k().await;
    let w = s.world();
    w.add_movie(ARRIVAL, "Arrival", 2016, false);
    let hd = w.request_movie(ARRIVAL, "alice").unwrap();
    w.approve(hd).unwrap();
    w.add_movie_in(Sim::FourK, ARRIVAL, "Arrival", 2016, false);
    let uhd = w.request_movie_4k(ARRIVAL, "dave").unwrap();
    w.approve(uhd).unwrap();
    w.grab_movie_in(
        Sim::FourK,
        ARRIVAL,
        HASH_4K,
        "Arrival.2016.2160p.UHD",
        40_000_000_000,
    )
    .unwrap();
    let p = s.poll().await;
    assert_eq!(p.phase(uhd), "DOWNLOADING");
    w.set_instance_mode(Service::Radarr, Sim::FourK, FailureMode::Refused);
    w.grab_movie(
        ARRIVAL,
        "40e9c82e2a69e6214e3afa1ea6bbd0e427518310",
        "Arrival.2016.1080p",
        8_000_000_000,
    )
    .unwrap();
    let p = s.poll().await;
    assert_eq!(p.service("radarr.4k")["ok"], false);
    assert_eq!(p.service("radarr.hd")["ok"], true);
    assert_eq!(
        p.phase(hd),
        "DOWNLOADING",
        "the HD instance moves its request on: {} {}",
        p.request(hd),
        p.0["services"]
    );
    assert_eq!(
        p.phase(uhd),
        "DOWNLOADING",
        "the 4K request keeps its phase"
    );
}

/// `status-tracker demo --headless`, the story a newcomer first sees, has
/// the 4K instances: dave's 4K Arrival is followed in `radarr.4k` while the
/// HD Arrival is AVAILABLE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_follows_a_4k_request_in_its_4k_radarr() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let bin = env!("CARGO_BIN_EXE_status-tracker");
    let mut demo = tokio::process::Command::new(bin)
        .args(["demo", "--headless"])
        .env_remove("STATUS_TRACKER_CONFIG")
        .env_remove("STATUS_TRACKER_DATA_DIR")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(demo.stdout.take().unwrap()).lines();
    let first = tokio::time::timeout(std::time::Duration::from_secs(30), lines.next_line())
        .await
        .expect("the demo says where its data is")
        .unwrap()
        .unwrap_or_default();
    let data = first
        .split(", data in ")
        .nth(1)
        .and_then(|rest| rest.split(" (Ctrl-C").next())
        .unwrap_or_else(|| panic!("the demo's first line names its data dir: {first}"))
        .to_string();
    // A few cycles (the demo polls every 2 to 5 s).
    tokio::time::sleep(std::time::Duration::from_secs(12)).await;
    demo.kill().await.unwrap();
    let _ = demo.wait().await;
    let out = std::process::Command::new(bin)
        .args(["--data-dir", &data, "list", "--json", "--include-deleted"])
        .env_remove("STATUS_TRACKER_DATA_DIR")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let requests = listed["requests"]
        .as_array()
        .or(listed.as_array())
        .cloned()
        .unwrap_or_default();
    let arrival = |is_4k: bool| {
        requests
            .iter()
            .find(|r| r["title"] == "Arrival" && r["is_4k"] == is_4k)
            .unwrap_or_else(|| panic!("Arrival (4K: {is_4k}) in the demo: {listed}"))
            .clone()
    };
    let uhd = arrival(true);
    assert_eq!(uhd["instance"], "radarr.4k", "{uhd}");
    assert_ne!(uhd["phase"], "AVAILABLE", "not from the HD copy: {uhd}");
    assert_eq!(arrival(false)["phase"], "AVAILABLE");
    // The demo's own directory (config and store), made for this run.
    let _ = std::fs::remove_dir_all(&data);
}
