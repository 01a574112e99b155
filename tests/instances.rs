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
