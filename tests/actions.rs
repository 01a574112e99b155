//! Acting from the CLI (`approve`, `decline`, `search`, `blocklist`, `show`)
//! against the simulated stack, which answers as the real services do: each
//! call's method, path, query and body are checked in the simulator's log of
//! acting calls, and so are the refusals, the idempotence, the timeline and
//! what the next poll shows (an action sets no phase by itself).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Duration, Utc};
use common::Stack;
use serde_json::Value;
use status_tracker_lib::sim::{
    ActCall, FailureMode, Service, SIM_RADARR_API_KEY, SIM_SONARR_API_KEY,
};

const DUNE: u64 = 693134;
const HASH_A: &str = "40e9c82e2a69e6214e3afa1ea6bbd0e427518310";
const HASH_B: &str = "ca4552774085f1b5db3c8e7d39dd220b0474fe4b";

fn days_ago(n: i64) -> chrono::NaiveDate {
    (Utc::now() - Duration::days(n)).date_naive()
}

/// Runs a verb with `--json`: (exit code, the printed JSON).
async fn act(s: &Stack, verb: &str, id: u64) -> (i32, Value) {
    let out = s.cli(&[verb, &id.to_string(), "--json"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "{verb} --json prints JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

/// `show ID --json`.
async fn show(s: &Stack, id: u64) -> Value {
    let out = s.cli(&["show", &id.to_string(), "--json"]).await;
    assert!(out.status.success(), "show exits 0: {out:?}");
    serde_json::from_slice(&out.stdout).expect("show --json prints JSON")
}

/// The timeline's action lines.
fn actions_of(shown: &Value) -> Vec<String> {
    shown["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .filter(|e| e["event"] == "action")
        .map(|e| e["text"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// GET on a simulated *arr with its key.
async fn arr_get(url: &str, key: &str, path: &str) -> Value {
    status_tracker_lib::services::install_tls_provider();
    reqwest::Client::new()
        .get(format!("{url}/{path}"))
        .header("X-Api-Key", key)
        .send()
        .await
        .expect("the sim answers")
        .json()
        .await
        .expect("JSON")
}

fn one_call(calls: &[ActCall]) -> &ActCall {
    assert_eq!(calls.len(), 1, "exactly one acting call: {calls:#?}");
    &calls[0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn approve_sends_one_post_once_and_the_next_poll_shows_approved() {
    let s = Stack::start().await;
    let w = s.world();
    // Radarr finds no release: the request stays APPROVED after the hand-off.
    w.set_search_grabs(false);
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    let id = w.request_movie(DUNE, "alice").unwrap();
    let p = s.poll().await;
    assert_eq!(p.phase(id), "REQUESTED");
    assert_eq!(
        p.request(id)["actions"],
        serde_json::json!(["approve", "decline"])
    );

    let (code, json) = act(&s, "approve", id).await;
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["ok"], true);
    assert_eq!(json["sent"], true);
    assert_eq!(json["service"], "jellyseerr");
    assert_eq!(json["jellyseerr_request_id"], id);
    let calls = w.acts();
    let call = one_call(&calls);
    assert_eq!(call.service, Service::Jellyseerr);
    assert_eq!(call.method, "POST");
    assert_eq!(call.path, format!("/api/v1/request/{id}/approve"));
    assert_eq!(call.query, None);
    assert_eq!(call.body, "");
    assert_eq!(call.status, 200);

    // No phase from the action alone: the store still says REQUESTED ...
    let shown = show(&s, id).await;
    assert_eq!(shown["request"]["phase"], "REQUESTED");
    assert_eq!(actions_of(&shown), ["approved from Status Tracker"]);
    // ... until the next poll reads Jellyseerr.
    assert_eq!(s.poll().await.phase(id), "APPROVED");

    // Again: Jellyseerr already has it approved, nothing is sent.
    let (code, json) = act(&s, "approve", id).await;
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["sent"], false);
    assert!(
        json["message"]
            .as_str()
            .unwrap()
            .contains("already approved"),
        "{json}"
    );
    assert_eq!(w.acts().len(), 1, "the second approve sent nothing");
    assert_eq!(actions_of(&show(&s, id).await).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_request_is_refused_in_jellyseerrs_words() {
    let s = Stack::start().await;
    let out = s.cli(&["approve", "9999"]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Request not found."), "{stderr}");
    assert!(s.world().acts().is_empty(), "nothing was sent");
    let out = s.cli(&["approve", "not-a-number"]).await;
    assert_eq!(out.status.code(), Some(2), "a usage error");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hand_off_jellyseerr_cannot_make_shows_failed_at_the_next_poll() {
    let s = Stack::start().await;
    let w = s.world();
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    let id = w.request_movie(DUNE, "alice").unwrap();
    s.poll().await;
    w.set_mode(Service::Radarr, FailureMode::Refused);
    let (code, json) = act(&s, "approve", id).await;
    assert_eq!(code, 0, "Jellyseerr accepted the approval: {json}");
    assert_eq!(s.poll().await.phase(id), "FAILED");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decline_is_failed_with_a_reason_at_the_next_poll() {
    let s = Stack::start().await;
    let w = s.world();
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    let id = w.request_movie(DUNE, "alice").unwrap();
    s.poll().await;
    let (code, json) = act(&s, "decline", id).await;
    assert_eq!(code, 0, "{json}");
    let call = w.acts();
    assert_eq!(
        one_call(&call).path,
        format!("/api/v1/request/{id}/decline")
    );
    let p = s.poll().await;
    assert_eq!(p.phase(id), "FAILED");
    assert!(p.reason(id).contains("declin"), "{}", p.reason(id));
    assert_eq!(
        actions_of(&show(&s, id).await),
        ["declined from Status Tracker"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_asks_radarr_for_the_film_with_a_json_command() {
    let s = Stack::start().await;
    let w = s.world();
    w.set_search_grabs(false);
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    let id = w.request_movie(DUNE, "alice").unwrap();
    w.approve(id).unwrap();
    s.poll().await;
    let movies = arr_get(
        &s.sim.urls().radarr,
        SIM_RADARR_API_KEY,
        &format!("api/v3/movie?tmdbId={DUNE}"),
    )
    .await;
    let radarr_id = movies[0]["id"].as_i64().expect("Radarr has the film");

    let (code, json) = act(&s, "search", id).await;
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["service"], "radarr");
    let calls = w.acts();
    let call = one_call(&calls);
    assert_eq!(
        (call.service, call.method.as_str()),
        (Service::Radarr, "POST")
    );
    assert_eq!(call.path, "/api/v3/command");
    assert_eq!(call.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        serde_json::from_str::<Value>(&call.body).unwrap(),
        serde_json::json!({"name": "MoviesSearch", "movieIds": [radarr_id]})
    );
    assert_eq!(
        call.status, 201,
        "Radarr answers a command with 201 Created"
    );
    assert_eq!(
        actions_of(&show(&s, id).await),
        ["search sent to Radarr (search for the film)"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_is_refused_for_a_request_never_polled_or_a_film_radarr_has() {
    let s = Stack::start().await;
    let w = s.world();
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    let id = w.request_movie(DUNE, "alice").unwrap();
    let (code, json) = act(&s, "search", id).await;
    assert_eq!(code, 1);
    assert!(
        json["message"].as_str().unwrap().contains("poll --once"),
        "{json}"
    );

    w.approve(id).unwrap();
    w.grab_movie(DUNE, HASH_A, "Dune.Part.Two.2024.2160p", 8_000_000_000)
        .unwrap();
    w.complete_download(HASH_A).unwrap();
    w.import(HASH_A).unwrap();
    s.poll().await;
    let (code, json) = act(&s, "search", id).await;
    assert_eq!(code, 1);
    assert!(
        json["message"]
            .as_str()
            .unwrap()
            .contains("already has a file"),
        "{json}"
    );
    assert!(w.acts().is_empty(), "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_for_a_series_asks_for_whole_seasons_and_single_episodes() {
    let s = Stack::start().await;
    let w = s.world();
    w.set_search_grabs(false);
    // Season 1: three aired episodes, the first downloaded and imported.
    // Season 2: two aired, one to come. Season 3: not requested.
    w.add_series(
        81189,
        1396,
        "Breaking Bad",
        2008,
        false,
        &[
            (1, 3, days_ago(100)),
            (2, 3, days_ago(10)),
            (3, 2, days_ago(3)),
        ],
    );
    let id = w.request_series(1396, &[1, 2], "carol").unwrap();
    w.approve(id).unwrap();
    w.grab_episodes(81189, &[(1, 1)], HASH_A, "Breaking.Bad.S01E01", 1_000_000)
        .unwrap();
    w.complete_download(HASH_A).unwrap();
    w.import(HASH_A).unwrap();
    s.poll().await;

    let sonarr = &s.sim.urls().sonarr;
    let series = arr_get(sonarr, SIM_SONARR_API_KEY, "api/v3/series?tvdbId=81189").await;
    let series_id = series[0]["id"].as_i64().expect("Sonarr has the series");
    let episodes = arr_get(
        sonarr,
        SIM_SONARR_API_KEY,
        &format!("api/v3/episode?seriesId={series_id}"),
    )
    .await;
    let episode_id = |season: i64, number: i64| {
        episodes
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["seasonNumber"] == season && e["episodeNumber"] == number)
            .and_then(|e| e["id"].as_i64())
            .expect("the episode")
    };

    let (code, json) = act(&s, "search", id).await;
    assert_eq!(code, 0, "{json}");
    let bodies: Vec<Value> = w
        .acts()
        .iter()
        .map(|c| {
            assert_eq!(
                (c.service, c.method.as_str(), c.path.as_str()),
                (Service::Sonarr, "POST", "/api/v3/command")
            );
            assert_eq!(c.status, 201);
            serde_json::from_str(&c.body).unwrap()
        })
        .collect();
    assert_eq!(
        bodies,
        [
            serde_json::json!({"name": "SeasonSearch", "seriesId": series_id, "seasonNumber": 2}),
            serde_json::json!({"name": "EpisodeSearch", "episodeIds": [episode_id(1, 2), episode_id(1, 3)]}),
        ],
        "season 2 is all missing (a pack); season 1 only in part"
    );
}

/// A film whose download is stalled in qBittorrent, polled once.
async fn stalled_film(s: &Stack) -> u64 {
    let w = s.world();
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    let id = w.request_movie(DUNE, "alice").unwrap();
    w.approve(id).unwrap();
    w.grab_movie(DUNE, HASH_A, "Dune.Part.Two.2024.2160p.BAD", 8_000_000_000)
        .unwrap();
    w.set_progress(HASH_A, 0.23, 0).unwrap();
    w.set_torrent_state(HASH_A, "stalledDL").unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocklist_removes_the_stalled_download_and_radarr_grabs_another() {
    let s = Stack::start().await;
    let w = s.world();
    let id = stalled_film(&s).await;
    let p = s.poll().await;
    assert_eq!(p.phase(id), "DOWNLOADING");
    assert!(p.reason(id).contains("stalled"), "{}", p.reason(id));
    assert_eq!(
        p.request(id)["actions"],
        serde_json::json!(["search", "blocklist"])
    );
    let queue = arr_get(
        &s.sim.urls().radarr,
        SIM_RADARR_API_KEY,
        "api/v3/queue/details",
    )
    .await;
    let queue_id = queue[0]["id"].as_i64().expect("a queue record");

    let (code, json) = act(&s, "blocklist", id).await;
    assert_eq!(code, 0, "{json}");
    let calls = w.acts();
    let call = one_call(&calls);
    assert_eq!(
        (call.service, call.method.as_str()),
        (Service::Radarr, "DELETE")
    );
    assert_eq!(call.path, format!("/api/v3/queue/{queue_id}"));
    let query = call.query.clone().unwrap_or_default();
    assert!(query.contains("blocklist=true"), "{query}");
    assert!(!query.contains("skipRedownload=true"), "{query}");
    assert_eq!(call.status, 200);
    assert_eq!(
        w.blocklisted(Service::Radarr),
        ["Dune.Part.Two.2024.2160p.BAD"]
    );
    let timeline = actions_of(&show(&s, id).await);
    assert_eq!(timeline.len(), 1, "{timeline:?}");
    assert!(
        timeline[0].starts_with("release \"Dune.Part.Two.2024.2160p.BAD\"")
            && timeline[0].contains("blocklisted in Radarr"),
        "{timeline:?}"
    );

    // Radarr searched again by itself and grabbed another release: the
    // request follows the new download, no longer stalled.
    let p = s.poll().await;
    assert!(
        ["GRABBING", "DOWNLOADING"].contains(&p.phase(id).as_str()),
        "{}",
        p.phase(id)
    );
    assert!(!p.reason(id).contains("stalled"), "{}", p.reason(id));

    // Again: the new download is healthy, nothing is sent.
    let (code, json) = act(&s, "blocklist", id).await;
    assert_eq!(code, 1, "{json}");
    assert!(
        json["message"]
            .as_str()
            .unwrap()
            .contains("not errored, stalled or failed"),
        "{json}"
    );
    assert_eq!(w.acts().len(), 1, "the second blocklist sent nothing");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_download_still_queued_is_blocklisted_and_one_removed_is_explained() {
    let s = Stack::start().await;
    let w = s.world();
    w.set_search_grabs(false);
    let id = stalled_film(&s).await;
    s.poll().await;
    // Radarr failed it but has not removed it yet (failedPending): FAILED,
    // and blocklisting it is what the user can do.
    w.download_failed(HASH_A, "The download is stalled with no connections")
        .unwrap();
    let p = s.poll().await;
    assert_eq!(p.phase(id), "FAILED");
    assert_eq!(
        p.request(id)["actions"],
        serde_json::json!(["search", "blocklist"])
    );
    let (code, json) = act(&s, "blocklist", id).await;
    assert_eq!(code, 0, "{json}");
    assert_eq!(one_call(&w.acts()).method, "DELETE");
    w.clear_acts();

    // Another film: Radarr failed and removed the download by itself.
    let s = Stack::start().await;
    let w = s.world();
    w.set_search_grabs(false);
    let id = stalled_film(&s).await;
    s.poll().await;
    w.download_failed(HASH_A, "The download is stalled with no connections")
        .unwrap();
    w.remove_torrent(HASH_A).unwrap();
    s.poll().await;
    let out = s.cli(&["blocklist", &id.to_string()]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no download of it is in the queue"),
        "{stderr}"
    );
    assert!(stderr.contains("already marked"), "{stderr}");
    assert!(w.acts().is_empty(), "nothing was sent: {:?}", w.acts());
    // Radarr failed it; a new grab is what moves it on.
    w.grab_movie(DUNE, HASH_B, "Dune.Part.Two.2024.GOOD", 8_000_000_000)
        .unwrap();
    assert_eq!(s.poll().await.phase(id), "DOWNLOADING");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_prints_the_list_object_and_the_timeline_with_phases() {
    let s = Stack::start().await;
    let w = s.world();
    w.set_search_grabs(false);
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    let id = w.request_movie(DUNE, "alice").unwrap();
    s.poll().await;
    w.approve(id).unwrap();
    s.poll().await;
    let shown = show(&s, id).await;
    let list = s.cli(&["list", "--json"]).await;
    let list: Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(
        shown["request"], list["requests"][0],
        "the same object as list --json"
    );
    assert_eq!(shown["request"]["is_4k"], false);
    assert_eq!(
        shown["request"]["instance"], "radarr",
        "the instance that has the film"
    );
    let timeline = shown["timeline"].as_array().unwrap();
    let phases: Vec<(Value, Value)> = timeline
        .iter()
        .filter(|e| e["event"] == "phase")
        .map(|e| (e["from"].clone(), e["to"].clone()))
        .collect();
    assert_eq!(
        phases.last(),
        Some(&(Value::from("REQUESTED"), Value::from("APPROVED")))
    );
    for e in timeline {
        assert!(
            e["at"]
                .as_str()
                .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok()),
            "{e}"
        );
        assert!(e["text"].is_string(), "{e}");
    }
    let out = s.cli(&["show", "424242"]).await;
    assert_eq!(out.status.code(), Some(1), "an unknown id");
}
