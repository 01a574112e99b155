//! Posters through the user's own services, over real HTTP against the
//! simulated stack: Jellyseerr's image proxy first, then Radarr/Sonarr's
//! media covers (API key), then Jellyfin's item images; only images pass.
//! The request keys come from a real `poll --once` into a real database.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::HashMap;

use common::Stack;
use status_tracker_lib::config;
use status_tracker_lib::secrets::Secret;
use status_tracker_lib::services::posters::{PosterKey, PosterSize, PosterSources};
use status_tracker_lib::services::HttpStats;
use status_tracker_lib::sim::{sim_env, FailureMode, Service};
use status_tracker_lib::store::Store;

const DUNE: u64 = 693134;
const HASH: &str = "40e9c82e2a69e6214e3afa1ea6bbd0e427518310";

fn sources(s: &Stack, env: &HashMap<String, String>) -> PosterSources {
    let cfg = config::load(&s.config).unwrap();
    PosterSources::new(
        &cfg,
        |name| {
            let var = status_tracker_lib::secrets::env_var_name(
                name,
                status_tracker_lib::secrets::secret_kind(name),
            );
            env.get(&var).map(|v| Secret::new(v.clone()))
        },
        HttpStats::new(),
    )
}

fn key(s: &Stack) -> PosterKey {
    let store = Store::open_in(&s.data_dir()).unwrap();
    let records = store.load_records().unwrap();
    let record = records.values().next().expect("one request tracked");
    PosterKey::of(record)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posters_come_from_seerr_then_radarr_then_jellyfin_and_only_images_pass() {
    let s = Stack::start().await;
    let w = s.world();
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    let id = w.request_movie(DUNE, "alice").unwrap();
    w.approve(id).unwrap();
    w.grab_movie(DUNE, HASH, "Dune.Part.Two.2024.2160p", 8_000_000_000)
        .unwrap();
    w.complete_download(HASH).unwrap();
    w.import(HASH).unwrap();
    w.jellyfin_add_movie(DUNE).unwrap();
    assert_eq!(s.poll().await.phase(id), "AVAILABLE");
    let key = key(&s);
    assert_eq!(key.poster_path.as_deref(), Some("/sim-poster-693134.jpg"));
    assert!(key.arr_id.is_some() && key.jellyfin_id.is_some(), "{key:?}");

    let env: HashMap<String, String> = sim_env()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let src = sources(&s, &env);
    let served = |svc| w.requests_served(svc);
    let before = [Service::Jellyseerr, Service::Radarr, Service::Jellyfin].map(served);
    let asked = |before: [u64; 3]| {
        [Service::Jellyseerr, Service::Radarr, Service::Jellyfin]
            .map(served)
            .iter()
            .zip(before)
            .map(|(now, then)| now - then)
            .collect::<Vec<_>>()
    };

    // Seerr's proxy (its status once for the version, then the image).
    let p = src.fetch(&key, PosterSize::List).await.unwrap();
    assert_eq!(p.mime, "image/png");
    assert!(p.bytes.starts_with(b"\x89PNG"));
    assert_eq!(asked(before), [2, 0, 0], "Seerr alone answered");

    // Seerr cannot reach TMDB (its proxy answers 500): Radarr's cover.
    w.set_tmdb_reachable(false);
    let before = [Service::Jellyseerr, Service::Radarr, Service::Jellyfin].map(served);
    let p = src.fetch(&key, PosterSize::Detail).await.unwrap();
    assert!(p.bytes.starts_with(b"\x89PNG"));
    assert_eq!(asked(before), [1, 1, 0], "Seerr failed, Radarr answered");

    // A wrong Radarr key as well: Jellyfin's image (anonymous).
    let mut wrong = env.clone();
    for (k, v) in wrong.iter_mut() {
        if k.contains("RADARR") {
            *v = "wrong".into();
        }
    }
    let src_wrong = sources(&s, &wrong);
    let before = [Service::Jellyseerr, Service::Radarr, Service::Jellyfin].map(served);
    let p = src_wrong.fetch(&key, PosterSize::List).await.unwrap();
    assert!(p.bytes.starts_with(b"\x89PNG"));
    assert_eq!(
        asked(before),
        [2, 1, 1],
        "Seerr (status, image) and Radarr (401) failed, Jellyfin answered"
    );

    // A proxy in front of Seerr answers an HTML page with 200: not an image,
    // so Radarr is asked.
    w.set_tmdb_reachable(true);
    w.set_mode(Service::Jellyseerr, FailureMode::Html200);
    let p = src.fetch(&key, PosterSize::List).await.unwrap();
    assert!(p.bytes.starts_with(b"\x89PNG"), "Radarr's image, not HTML");
    w.set_mode(Service::Jellyseerr, FailureMode::Up);

    // Nobody has it: the error says what each service answered.
    w.set_tmdb_reachable(false);
    w.jellyfin_remove_movie(DUNE).unwrap();
    let err = src_wrong.fetch(&key, PosterSize::List).await.unwrap_err();
    assert!(
        err.contains("Jellyseerr answered 500")
            && err.contains("401")
            && err.contains("Jellyfin answered 404"),
        "{err}"
    );
    s.sim.shutdown().await;
}

/// A 4K film's cover comes from the 4K Radarr that follows it (its ids are
/// its own: the HD Radarr's film of the same id is another film).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_4k_films_cover_comes_from_its_own_radarr() {
    use status_tracker_lib::sim::{sim_env_4k, ArrInstance};
    let s = Stack::start_4k().await;
    let w = s.world();
    w.add_movie_in(ArrInstance::FourK, DUNE, "Dune: Part Two", 2024, false);
    let id = w.request_movie_4k(DUNE, "dave").unwrap();
    w.approve_and_send(id).unwrap();
    s.poll().await;
    let key = key(&s);
    assert_eq!(key.instance.as_deref(), Some("radarr.4k"), "{key:?}");
    assert_eq!(
        key.cache_name(PosterSize::List).as_deref(),
        Some("tmdb-list-sim-poster-693134.jpg")
    );
    let env: HashMap<String, String> = sim_env_4k()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let src = sources(&s, &env);
    // Seerr cannot reach TMDB: the cover comes from a Radarr, the 4K one.
    w.set_tmdb_reachable(false);
    let served = |i| w.requests_served_in(Service::Radarr, i);
    let before = (served(ArrInstance::Hd), served(ArrInstance::FourK));
    let p = src.fetch(&key, PosterSize::Detail).await.unwrap();
    assert!(p.bytes.starts_with(b"\x89PNG"));
    assert_eq!(
        (
            served(ArrInstance::Hd) - before.0,
            served(ArrInstance::FourK) - before.1
        ),
        (0, 1),
        "asked the 4K Radarr only"
    );
    let arr_only = PosterKey {
        poster_path: None,
        ..key.clone()
    };
    assert_eq!(
        arr_only.cache_name(PosterSize::List),
        arr_only.arr_id.map(|id| format!("radarr.4k-{id}-list")),
        "cached apart from the HD Radarr's film of the same id"
    );
    s.sim.shutdown().await;
}
