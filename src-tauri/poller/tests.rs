use super::*;
use crate::tracker::{MediaType, SeerrRequestStatus};

#[tokio::test]
async fn per_service_stats_match_what_each_server_saw_and_add_up_to_the_total() {
    use crate::sim::{config_toml, sim_env, Service, SimStack};
    let sim = SimStack::start().await.unwrap();
    sim.world().populate(20, 7).unwrap();
    for (k, v) in sim_env() {
        std::env::set_var(k, v);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let config = crate::config::parse(&config_toml(sim.urls()), &path).unwrap();
    let mut t = Poller::new(&config, Store::open_in(dir.path()).unwrap()).unwrap();

    let report = t.cycle(true).await.unwrap();
    let stats = t.service_stats();
    let names: Vec<&str> = stats.iter().map(|s| s.0).collect();
    assert_eq!(
        names,
        crate::ServiceId::ALL.map(crate::ServiceId::name),
        "every configured service has its figures, in pipeline order"
    );
    for service in Service::ALL {
        let (_, requests, bytes) = stats
            .iter()
            .find(|s| s.0 == service.name())
            .copied()
            .unwrap();
        assert_eq!(
            requests,
            sim.world().requests_served(service),
            "{} counts exactly the requests its server received",
            service.name()
        );
        assert!(
            requests == 0 || bytes > 0,
            "{} counts the bytes it received",
            service.name()
        );
    }
    let total = t.http_totals();
    assert!(total.0 > 0 && total.1 > 0, "the cycle reached the stack");
    assert_eq!(
        total,
        (report.http_requests, report.bytes_received),
        "the cycle report's totals are the sum of the services' figures"
    );
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fast_service_never_pushes_a_slow_one_back() {
    // qBittorrent due every second, the others every 3 s: over 8 s of due-only
    // cycles every service must have been polled again.
    let stack = crate::sim::SimStack::start().await.unwrap();
    for (k, v) in crate::sim::sim_env() {
        std::env::set_var(k, v);
    }
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "[poll]\ndownloading_secs = 1\nactive_secs = 3\njellyseerr_secs = 3\nidle_secs = 3\n\n{}",
        crate::sim::config_toml(stack.urls())
    );
    let config = crate::config::parse(&text, std::path::Path::new("t.toml")).unwrap();
    let mut t = Poller::new(&config, Store::open_in(dir.path()).unwrap()).unwrap();
    // Something downloading keeps qBittorrent on its fast cadence.
    let w = stack.world();
    w.add_movie(1, "Film", 2020, false);
    let id = w.request_movie(1, "a").unwrap();
    w.approve(id).unwrap();
    w.grab_movie(
        1,
        "abcdefabcdefabcdefabcdefabcdefabcdefabcd",
        "Film",
        1_000_000,
    )
    .unwrap();
    t.cycle(true).await.unwrap();
    let mut seen = std::collections::HashSet::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(8) {
        tokio::time::sleep_until(t.next_due().into()).await;
        for name in t.cycle(false).await.unwrap().polled {
            seen.insert(name);
        }
    }
    for name in ["jellyseerr", "radarr", "sonarr", "jellyfin", "shoko"] {
        assert!(seen.contains(name), "{name} was polled again: {seen:?}");
    }
}

#[test]
fn wants_gain_each_listed_media_once_and_never_a_declined_one() {
    let req = |id: i64, media_type: MediaType, tmdb: i64, status: SeerrRequestStatus| {
        crate::tracker::SeerrRequest {
            id,
            status,
            media_type,
            tmdb_id: Some(tmdb),
            tvdb_id: (media_type == MediaType::Tv).then_some(tmdb + 1000),
            media_status: crate::tracker::SeerrMediaStatus::Processing,
            jellyfin_media_id: None,
            requested_by: "alice".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
            seasons: vec![],
            is_4k: false,
            service_url: None,
            title: None,
            year: None,
            poster_path: None,
            is_anime: false,
        }
    };
    let mut wants = Wants {
        movie_tmdb_ids: vec![7],
        ..Wants::default()
    };
    let seerr = crate::tracker::SeerrData {
        requests: vec![
            req(1, MediaType::Movie, 7, SeerrRequestStatus::Approved),
            req(2, MediaType::Movie, 3, SeerrRequestStatus::Pending),
            req(3, MediaType::Movie, 3, SeerrRequestStatus::Approved),
            req(4, MediaType::Movie, 9, SeerrRequestStatus::Declined),
            req(5, MediaType::Tv, 5, SeerrRequestStatus::Approved),
            req(6, MediaType::Tv, 5, SeerrRequestStatus::Approved),
        ],
        complete: true,
    };
    extend_wants(&mut wants, &seerr);
    assert_eq!(wants.movie_tmdb_ids, vec![7, 3]);
    assert_eq!(wants.series_tvdb_ids, vec![1005]);
}

#[test]
fn a_service_not_polled_lends_its_last_data_to_the_cycle_and_gets_it_back() {
    let cfg = crate::services::http::test_support::config("radarr", "http://127.0.0.1:1");
    let mut slot: PolledService<(), Vec<i64>> =
        PolledService::new(crate::ServiceId::Radarr, Some(&cfg), |_, _| Ok(()));
    let at = Utc::now();
    let (fresh, outcome) = slot.take(Some(Ok(vec![1, 2, 3])));
    slot.record(&outcome, fresh, at, |d| d);
    for cycle in 0..3 {
        let (lent, outcome) = slot.take(None);
        assert!(
            matches!(&lent, Source::Ok(d) if *d == [1, 2, 3]),
            "cycle {cycle} without a poll sees the last data"
        );
        assert!(slot.record(&outcome, lent, at, |d| d).is_none());
    }
    let (failed, outcome) = slot.take(Some(Err(ServiceError::new(
        "radarr",
        ErrorKind::Unreachable,
        "down",
    ))));
    assert!(matches!(failed, Source::Failed));
    slot.record(&outcome, failed, at, |d| d);
    assert_eq!(
        slot.last.as_deref(),
        Some(&[1, 2, 3][..]),
        "a failed poll keeps the last data for the cycles after it"
    );
}
