//! Specifications of taking a download out of an *arr queue (with and
//! without a blocklist, and the search again), of the autopilot that
//! carries what a search grabbed to Jellyfin, and of the demo's acting
//! loops, over real HTTP (helpers in `actions_tests.rs`).

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::actions_tests::{events, film_and_series, h, titles, Api, DUNE, GB, SEVERANCE_TVDB};
use super::*;

// ----- queue DELETE -----

#[tokio::test]
async fn radarr_queue_delete_with_blocklist_fails_blocklists_and_grabs_another() {
    let api = Api::start().await;
    let w = api.world();
    film_and_series(&w);
    let stuck = h(0xd1);
    let release = "Dune.Part.Two.2024.1080p.WEB-DL.DDP5.1.H.264-FLUX";
    w.grab_movie(DUNE, &stuck, release, 8 * GB)
        .expect("Dune is known");
    w.set_progress(&stuck, 0.3, 0).expect("the download exists");
    w.set_torrent_state(&stuck, "stalledDL")
        .expect("the download exists");
    let movie = api
        .get(Service::Radarr, &format!("/api/v3/movie?tmdbId={DUNE}"))
        .await;
    let movie_id = movie[0]["id"].as_u64().unwrap_or(0);
    assert_eq!(
        api.get(Service::Radarr, "/api/v3/movie?tmdbId=1").await,
        json!([]),
        "an unknown TMDB id is an empty array"
    );
    let q = api
        .get(
            Service::Radarr,
            &format!("/api/v3/queue?movieIds={movie_id}"),
        )
        .await;
    let queue_id = q["records"][0]["id"].as_u64().unwrap_or(0);
    assert_eq!(q["records"][0]["status"], "warning");

    let path = format!("/api/v3/queue/{queue_id}?blocklist=true");
    let a = api.call(Service::Radarr, Method::DELETE, &path, None).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.text, "", "a void action has no body");
    let t = api
        .qb_torrents(&format!("?hashes={}", stuck.to_uppercase()))
        .await;
    assert_eq!(t, json!([]), "removeFromClient defaults to true");
    let hist = api
        .get(
            Service::Radarr,
            &format!("/api/v3/history/movie?movieId={movie_id}"),
        )
        .await;
    assert_eq!(
        events(&hist),
        ["grabbed", "downloadFailed", "grabbed"],
        "{hist}"
    );
    assert_eq!(hist[1]["data"]["message"], "Manually marked as failed");
    assert_eq!(hist[1]["sourceTitle"], release);
    let new_title = hist[0]["sourceTitle"].as_str().unwrap_or("");
    assert_ne!(new_title, release, "the new release is another one");
    assert_eq!(hist[0]["data"]["releaseSource"], "Search");
    let block = api.get(Service::Radarr, "/api/v3/blocklist").await;
    assert_eq!(block["records"][0]["sourceTitle"], release);
    assert_eq!(block["records"][0]["message"], "Manually marked as failed");
    assert_eq!(block["records"][0]["movie"]["tmdbId"], DUNE);
    assert_eq!(w.blocklisted(Service::Radarr), [release]);
    let q = api
        .get(
            Service::Radarr,
            &format!("/api/v3/queue?movieIds={movie_id}"),
        )
        .await;
    assert_eq!(q["totalRecords"], 1);
    assert_eq!(q["records"][0]["title"], new_title);
    let new_hash = q["records"][0]["downloadId"]
        .as_str()
        .unwrap_or("")
        .to_lowercase();
    let both = api
        .qb_torrents(&format!("?hashes={new_hash}|{stuck}"))
        .await;
    assert_eq!(
        both.as_array().map(Vec::len),
        Some(1),
        "only the new torrent is left"
    );

    // Blocklisting the new one too makes the search pick a third release.
    let queue_id = q["records"][0]["id"].as_u64().unwrap_or(0);
    let path = format!("/api/v3/queue/{queue_id}?blocklist=true&removeFromClient=true");
    api.call(Service::Radarr, Method::DELETE, &path, None).await;
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    let third = q["records"][0]["title"].as_str().unwrap_or("");
    assert!(
        third != release && third != new_title && !third.is_empty(),
        "{third}"
    );
    api.stack.shutdown().await;
}

#[tokio::test]
async fn queue_delete_flags_unknown_ids_and_bad_ids() {
    let api = Api::start().await;
    let w = api.world();
    film_and_series(&w);
    let stuck = h(0xd2);
    w.grab_movie(DUNE, &stuck, "Dune.Part.Two.2024.720p.WEB-DL-EVO", 4 * GB)
        .expect("Dune is known");
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    let queue_id = q["records"][0]["id"].as_u64().unwrap_or(0);
    let path = format!("/api/v3/queue/{queue_id}?blocklist=true&skipRedownload=true");
    let a = api.call(Service::Radarr, Method::DELETE, &path, None).await;
    assert_eq!(a.status, StatusCode::OK);
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    assert_eq!(
        q["totalRecords"], 0,
        "skipRedownload: nothing new is grabbed"
    );

    let a = api
        .call(
            Service::Radarr,
            Method::DELETE,
            &format!("/api/v3/queue/{queue_id}"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert_eq!(a.json, json!({"message": "NotFound"}));
    let a = api
        .call(Service::Radarr, Method::DELETE, "/api/v3/queue/0", None)
        .await;
    assert_eq!(a.status, StatusCode::BAD_REQUEST);
    assert_eq!(a.json["message"], "BadRequest: 0 is not a valid ID");

    let kept = h(0xd3);
    w.grab_movie(DUNE, &kept, "Dune.Part.Two.2024.2160p.WEB-DL-NTb", 20 * GB)
        .expect("Dune is known");
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    let queue_id = q["records"][0]["id"].as_u64().unwrap_or(0);
    let path = format!("/api/v3/queue/{queue_id}?removeFromClient=false&blocklist=false");
    api.call(Service::Radarr, Method::DELETE, &path, None).await;
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    assert_eq!(q["totalRecords"], 0, "ignored: gone from the queue");
    let t = api.qb_torrents(&format!("?hashes={kept}")).await;
    assert_eq!(
        t.as_array().map(Vec::len),
        Some(1),
        "but kept in qBittorrent"
    );
    let hist = api
        .get(Service::Radarr, "/api/v3/history?eventType=downloadIgnored")
        .await;
    assert_eq!(hist["records"][0]["data"]["message"], "Manually ignored");

    let removed = h(0xd4);
    w.grab_movie(
        DUNE,
        &removed,
        "Dune.Part.Two.2024.1080p.BluRay.x264-SPARKS",
        9 * GB,
    )
    .expect("Dune is known");
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    let queue_id = q["records"][0]["id"].as_u64().unwrap_or(0);
    api.call(
        Service::Radarr,
        Method::DELETE,
        &format!("/api/v3/queue/{queue_id}"),
        None,
    )
    .await;
    let t = api.qb_torrents(&format!("?hashes={removed}")).await;
    assert_eq!(t, json!([]), "removed from the client");
    let hist = api
        .get(Service::Radarr, "/api/v3/history?pageSize=50")
        .await;
    let kinds = events(&hist["records"]);
    assert_eq!(
        kinds.iter().filter(|e| *e == "downloadIgnored").count(),
        1,
        "a plain removal writes no history: {kinds:?}"
    );
    assert_eq!(kinds.iter().filter(|e| *e == "downloadFailed").count(), 1);
    api.stack.shutdown().await;
}

#[tokio::test]
async fn sonarr_season_pack_delete_removes_the_whole_download_and_searches_the_season() {
    let api = Api::start().await;
    let w = api.world();
    film_and_series(&w);
    let pack = h(0x5e);
    let release = "Severance.S01.1080p.ATVP.WEB-DL.DDP5.1.H.264-NTb";
    let eps: Vec<(u32, u32)> = (1..=9).map(|e| (1, e)).collect();
    w.grab_episodes(SEVERANCE_TVDB, &eps, &pack, release, 21 * GB)
        .expect("Severance is known");
    let q = api.get(Service::Sonarr, "/api/v3/queue?pageSize=50").await;
    assert_eq!(q["totalRecords"], 9);
    let fifth = q["records"][4]["id"].as_u64().unwrap_or(0);
    let path = format!("/api/v3/queue/{fifth}?blocklist=true");
    let a = api.call(Service::Sonarr, Method::DELETE, &path, None).await;
    assert_eq!(a.status, StatusCode::OK);
    let q = api.get(Service::Sonarr, "/api/v3/queue/details").await;
    let left: std::collections::BTreeSet<String> = q
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["downloadId"].as_str().map(str::to_lowercase))
        .collect();
    assert!(
        !left.contains(&pack),
        "every record of the pack left the queue"
    );
    assert_eq!(left.len(), 1, "the season search grabbed one new pack: {q}");
    assert!(titles(&q)
        .iter()
        .all(|t| t != release && t.contains(".S01.")));
    let failed = api
        .get(
            Service::Sonarr,
            "/api/v3/history?eventType=downloadFailed&pageSize=50",
        )
        .await;
    assert_eq!(failed["totalRecords"], 9, "one downloadFailed per episode");
    assert_eq!(
        failed["records"][0]["data"]["message"],
        "Manually marked as failed"
    );
    assert!(
        failed["records"][0]["data"].get("indexer").is_none(),
        "Sonarr's failure record has no indexer"
    );
    let block = api.get(Service::Sonarr, "/api/v3/blocklist").await;
    assert_eq!(
        block["records"][0]["episodeIds"].as_array().map(Vec::len),
        Some(9)
    );
    assert_eq!(block["records"][0]["series"]["tvdbId"], SEVERANCE_TVDB);
    api.stack.shutdown().await;
}

// ----- the autopilot and the demo -----

#[tokio::test]
async fn autopilot_carries_a_searched_release_to_jellyfin_and_leaves_the_rest() {
    let api = Api::start().await;
    let w = api.world();
    let (film, _) = film_and_series(&w);
    let story = h(0x51);
    w.grab_episodes(
        SEVERANCE_TVDB,
        &[(1, 1)],
        &story,
        "Severance.S01E01-NTb",
        GB,
    )
    .expect("Severance is known");
    let path = format!("/api/v1/request/{film}/approve");
    api.call(Service::Jellyseerr, Method::POST, &path, None)
        .await;
    for _ in 0..20 {
        w.autopilot_tick();
    }
    let v = api
        .get(Service::Jellyseerr, &format!("/api/v1/request/{film}"))
        .await;
    assert_eq!(
        v["status"],
        request_status::COMPLETED,
        "downloaded, imported, in Jellyfin, and Seerr saw it"
    );
    let m = api
        .get(Service::Radarr, &format!("/api/v3/movie?tmdbId={DUNE}"))
        .await;
    assert_eq!(m[0]["hasFile"], true);
    let t = api.qb_torrents(&format!("?hashes={story}")).await;
    assert_eq!(
        t[0]["progress"], 0.0,
        "a story step's download is left alone"
    );
    api.stack.shutdown().await;
}

#[tokio::test]
async fn demo_world_offers_the_approve_blocklist_and_failed_loops() {
    let api = Api::start().await;
    let w = api.world();
    demo_world(w.clone()).await;
    let pending = api
        .get(
            Service::Jellyseerr,
            "/api/v1/request?filter=pending&take=20",
        )
        .await;
    assert_eq!(
        pending["pageInfo"]["results"], 2,
        "Oppenheimer and The Boys wait"
    );
    let failed = api
        .get(Service::Jellyseerr, "/api/v1/request?filter=failed&take=20")
        .await;
    assert_eq!(failed["pageInfo"]["results"], 1, "The Holdovers failed");

    let oppenheimer = w.newest_request(872_585, false).unwrap_or(0);
    let path = format!("/api/v1/request/{oppenheimer}/approve");
    api.call(Service::Jellyseerr, Method::POST, &path, None)
        .await;

    let q = api.get(Service::Sonarr, "/api/v3/queue?pageSize=50").await;
    assert_eq!(
        q["totalRecords"], 10,
        "Shōgun's stalled pack, one record per episode"
    );
    assert_eq!(q["records"][0]["status"], "warning");
    let stalled = q["records"][0]["downloadId"]
        .as_str()
        .unwrap_or("")
        .to_lowercase();
    let queue_id = q["records"][0]["id"].as_u64().unwrap_or(0);
    w.autopilot_tick();
    let t = api.qb_torrents(&format!("?hashes={stalled}")).await;
    assert_eq!(t[0]["state"], "stalledDL", "it stays stalled by itself");
    let path = format!("/api/v3/queue/{queue_id}?blocklist=true");
    api.call(Service::Sonarr, Method::DELETE, &path, None).await;
    for _ in 0..20 {
        w.autopilot_tick();
    }
    let shogun = w.newest_request(126_308, true).unwrap_or(0);
    for (id, title) in [(oppenheimer, "Oppenheimer"), (shogun, "Shōgun")] {
        let v = api
            .get(Service::Jellyseerr, &format!("/api/v1/request/{id}"))
            .await;
        assert_eq!(
            v["status"],
            request_status::COMPLETED,
            "{title} played out by itself"
        );
    }
    api.stack.shutdown().await;
}
