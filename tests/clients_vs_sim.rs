//! Every client against the simulated services: connection tests, wrong
//! credentials, and the traps the simulator reproduces.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use status_tracker_lib::config::ServiceConfig;
use status_tracker_lib::secrets::Secret;
use status_tracker_lib::services::jellyfin::JellyfinClient;
use status_tracker_lib::services::jellyseerr::JellyseerrClient;
use status_tracker_lib::services::qbittorrent::QbittorrentClient;
use status_tracker_lib::services::radarr::RadarrClient;
use status_tracker_lib::services::shoko::ShokoClient;
use status_tracker_lib::services::sonarr::SonarrClient;
use status_tracker_lib::services::{ErrorKind, HttpStats};
use status_tracker_lib::sim::{self, FailureMode, Service, SimStack};
use status_tracker_lib::tracker::{TorrentState, Wants};

fn cfg(stack: &SimStack, svc: Service) -> ServiceConfig {
    let username =
        matches!(svc, Service::Qbittorrent | Service::Shoko).then(|| "admin".to_string());
    ServiceConfig {
        name: svc.name().to_string(),
        instance: None,
        is_4k: false,
        url: stack.urls().of(svc).parse().unwrap(),
        username,
        timeout: Duration::from_secs(2),
        ca_file: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_connects_and_a_wrong_secret_is_unauthorized() {
    let stack = SimStack::start().await.unwrap();
    let stats = HttpStats::new();
    let s = &stats;
    let key = |k: &str| Secret::new(k);
    macro_rules! check {
        ($client:ident, $svc:expr, $good:expr) => {{
            let mut c = $client::new(&cfg(&stack, $svc), key($good), s.clone()).unwrap();
            let info = c
                .test_connection()
                .await
                .unwrap_or_else(|e| panic!("{:?}: {e}", $svc));
            assert!(info.version.is_some(), "{:?} reports its version", $svc);
            let mut bad = $client::new(&cfg(&stack, $svc), key("wrong-secret"), s.clone()).unwrap();
            let err = bad
                .test_connection()
                .await
                .expect_err("a wrong secret fails");
            assert_eq!(
                err.kind,
                ErrorKind::Unauthorized,
                "{:?}: {}",
                $svc,
                err.message
            );
            assert!(
                !err.message.contains("wrong-secret"),
                "the secret is never echoed"
            );
        }};
    }
    check!(
        JellyseerrClient,
        Service::Jellyseerr,
        sim::SIM_JELLYSEERR_API_KEY
    );
    check!(RadarrClient, Service::Radarr, sim::SIM_RADARR_API_KEY);
    check!(SonarrClient, Service::Sonarr, sim::SIM_SONARR_API_KEY);
    check!(
        QbittorrentClient,
        Service::Qbittorrent,
        sim::SIM_QBITTORRENT_PASSWORD
    );
    check!(ShokoClient, Service::Shoko, sim::SIM_SHOKO_PASSWORD);
    check!(JellyfinClient, Service::Jellyfin, sim::SIM_JELLYFIN_API_KEY);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radarr_queue_is_read_past_the_default_page_of_ten() {
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    let mut wants = Wants::default();
    for i in 0..25u64 {
        let tmdb = 1000 + i;
        w.add_movie(tmdb, &format!("Film {i}"), 2020, false);
        let id = w.request_movie(tmdb, "alice").unwrap();
        w.approve(id).unwrap();
        w.grab_movie(
            tmdb,
            &format!("{:040x}", i + 1),
            &format!("Film.{i}.1080p"),
            1_000_000_000,
        )
        .unwrap();
        wants.movie_tmdb_ids.push(tmdb as i64);
    }
    let mut c = RadarrClient::new(
        &cfg(&stack, Service::Radarr),
        Secret::new(sim::SIM_RADARR_API_KEY),
        HttpStats::new(),
    )
    .unwrap();
    let data = c.fetch(&wants, true).await.unwrap();
    assert_eq!(data.queue.len(), 25, "the whole queue, not the first 10");
    assert_eq!(data.movies.len(), 25);
    assert!(data.queue.iter().all(|q| q
        .download_id
        .as_deref()
        .is_some_and(|d| d.len() == 40 && d == d.to_uppercase())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qbittorrent_session_expiry_is_renewed_with_one_login() {
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.add_movie(1, "Film", 2020, false);
    w.request_movie(1, "a").unwrap();
    w.grab_movie(
        1,
        "abcdefabcdefabcdefabcdefabcdefabcdefabcd",
        "Film.2020",
        1_000_000,
    )
    .unwrap();
    w.set_torrent_state("abcdefabcdefabcdefabcdefabcdefabcdefabcd", "pausedDL")
        .unwrap();
    w.set_qb_session_timeout(Duration::from_millis(300));
    let stats = HttpStats::new();
    let mut c = QbittorrentClient::new(
        &cfg(&stack, Service::Qbittorrent),
        Secret::new(sim::SIM_QBITTORRENT_PASSWORD),
        stats.clone(),
    )
    .unwrap();
    let first = c.fetch().await.unwrap();
    let t = first
        .torrents
        .get("abcdefabcdefabcdefabcdefabcdefabcdefabcd")
        .expect("the torrent is listed by lower-case hash");
    assert_eq!(
        t.state,
        TorrentState::StoppedDownload,
        "4.x pausedDL is a stopped download"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = stats.requests();
    let again = c.fetch().await.expect("an expired session is renewed");
    assert_eq!(again.torrents.len(), 1);
    assert_eq!(
        stats.requests() - before,
        3,
        "403, one login, one retry: {}",
        stats.requests() - before
    );
}

/// After leaving `Refused` the simulated server binds its port again in the
/// background: wait until it accepts connections.
async fn wait_listening(stack: &SimStack, svc: Service) {
    let url: url::Url = stack.urls().of(svc).parse().unwrap();
    let addr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{svc:?} never listened again");
}

async fn wait_refused(stack: &SimStack, svc: Service) {
    let url: url::Url = stack.urls().of(svc).parse().unwrap();
    let addr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&addr).await.is_err() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{svc:?} kept listening");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_failure_mode_is_a_clear_per_service_error() {
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    let mut c = RadarrClient::new(
        &cfg(&stack, Service::Radarr),
        Secret::new(sim::SIM_RADARR_API_KEY),
        HttpStats::new(),
    )
    .unwrap();
    for (mode, kind) in [
        (FailureMode::Refused, ErrorKind::Unreachable),
        (FailureMode::Status500, ErrorKind::ServerError),
        (FailureMode::Html200, ErrorKind::BadResponse),
        (FailureMode::Malformed, ErrorKind::BadResponse),
        (FailureMode::Hang, ErrorKind::Timeout),
        (FailureMode::Unauthorized, ErrorKind::Unauthorized),
    ] {
        w.set_mode(Service::Radarr, mode);
        if mode == FailureMode::Refused {
            wait_refused(&stack, Service::Radarr).await;
        } else {
            wait_listening(&stack, Service::Radarr).await;
        }
        let started = std::time::Instant::now();
        let err = c
            .fetch(&Wants::default(), true)
            .await
            .expect_err("a broken service fails the fetch");
        assert_eq!(err.kind, kind, "{mode:?}: {}", err.message);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{mode:?} never hangs past the timeout"
        );
        assert!(!err.message.is_empty());
    }
    w.set_mode(Service::Radarr, FailureMode::Up);
    wait_listening(&stack, Service::Radarr).await;
    assert!(
        c.fetch(&Wants::default(), true).await.is_ok(),
        "and it recovers"
    );
}
