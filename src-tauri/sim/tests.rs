//! Specifications of the sim, checked over real HTTP with reqwest.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use reqwest::{Client, StatusCode};
use serde_json::Value;

use super::*;

const GB: u64 = 1_000_000_000;

fn h(n: u32) -> String {
    format!("{n:040x}")
}

fn client() -> Client {
    crate::services::install_tls_provider();
    Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client builds")
}

async fn get_json(req: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let r = req.send().await.expect("request is answered");
    let status = r.status();
    let body = r.text().await.expect("body is readable");
    (
        status,
        serde_json::from_str(&body).unwrap_or(Value::String(body)),
    )
}

struct Api {
    stack: SimStack,
    http: Client,
}

impl Api {
    async fn start() -> Self {
        Api {
            stack: SimStack::start().await.expect("sim starts"),
            http: client(),
        }
    }
    fn world(&self) -> SimWorld {
        self.stack.world()
    }
    async fn seerr(&self, path: &str) -> (StatusCode, Value) {
        let url = format!("{}/api/v1{path}", self.stack.urls().jellyseerr);
        get_json(
            self.http
                .get(url)
                .header("X-Api-Key", SIM_JELLYSEERR_API_KEY),
        )
        .await
    }
    async fn radarr(&self, path: &str) -> (StatusCode, Value) {
        let url = format!("{}/api/v3{path}", self.stack.urls().radarr);
        get_json(self.http.get(url).header("X-Api-Key", SIM_RADARR_API_KEY)).await
    }
    async fn sonarr(&self, path: &str) -> (StatusCode, Value) {
        let url = format!("{}/api/v3{path}", self.stack.urls().sonarr);
        get_json(self.http.get(url).header("X-Api-Key", SIM_SONARR_API_KEY)).await
    }
    async fn jellyfin(&self, path: &str) -> (StatusCode, Value) {
        let url = format!("{}{path}", self.stack.urls().jellyfin);
        let auth = format!("MediaBrowser Client=\"tests\", Token=\"{SIM_JELLYFIN_API_KEY}\"");
        get_json(self.http.get(url).header("Authorization", auth)).await
    }
    async fn shoko_key(&self) -> String {
        let url = format!("{}/api/auth", self.stack.urls().shoko);
        let body = serde_json::json!({"user": SIM_SHOKO_USERNAME, "pass": SIM_SHOKO_PASSWORD, "device": "tests"});
        let (status, v) = get_json(self.http.post(url).json(&body)).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "Shoko login with the sim password succeeds"
        );
        v["apikey"]
            .as_str()
            .expect("apikey is a string")
            .to_string()
    }
    async fn shoko(&self, path: &str) -> (StatusCode, Value) {
        let key = self.shoko_key().await;
        let url = format!("{}{path}", self.stack.urls().shoko);
        get_json(self.http.get(url).header("apikey", key)).await
    }
    async fn qb_login(&self, password: &str) -> (StatusCode, String, Option<String>) {
        let url = format!("{}/api/v2/auth/login", self.stack.urls().qbittorrent);
        let r = self
            .http
            .post(url)
            .form(&[
                ("username", SIM_QBITTORRENT_USERNAME),
                ("password", password),
            ])
            .send()
            .await
            .expect("login is answered");
        let status = r.status();
        let cookie = r
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .map(str::to_string);
        (status, r.text().await.unwrap_or_default(), cookie)
    }
    async fn qb(&self, cookie: &str, path: &str) -> (StatusCode, Value) {
        let url = format!("{}/api/v2{path}", self.stack.urls().qbittorrent);
        get_json(self.http.get(url).header("Cookie", cookie)).await
    }
}

/// Sleeps into the next wall-clock second: Seerr keeps whole seconds, so
/// only then does a change carry a later `updatedAt`.
async fn next_second() {
    let nanos = u64::from(Utc::now().timestamp_subsec_nanos().min(999_999_999));
    tokio::time::sleep(Duration::from_nanos(1_000_000_000 - nanos + 5_000_000)).await;
}

fn assert_no_nulls(v: &Value, at: &str) {
    match v {
        Value::Null => panic!("Radarr/Sonarr omit null fields, but {at} is null"),
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| assert_no_nulls(x, &format!("{at}[{i}]"))),
        Value::Object(o) => o
            .iter()
            .for_each(|(k, x)| assert_no_nulls(x, &format!("{at}.{k}"))),
        _ => {}
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

// ----- traps -----

#[tokio::test]
async fn radarr_queue_page_size_defaults_to_ten() {
    let api = Api::start().await;
    let w = api.world();
    for i in 0..12u32 {
        w.add_movie(100 + u64::from(i), &format!("Film {i}"), 2020, false);
        w.grab_movie(
            100 + u64::from(i),
            &h(i + 1),
            &format!("Film.{i}.2020.1080p.WEB-DL-GRP"),
            GB,
        )
        .unwrap();
    }
    let (status, q) = api.radarr("/queue").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        q["pageSize"], 10,
        "the queue pages by 10 unless asked otherwise"
    );
    assert_eq!(
        q["records"].as_array().unwrap().len(),
        10,
        "only one page of 10 records is sent by default"
    );
    assert_eq!(
        q["totalRecords"], 12,
        "totalRecords counts every queued item"
    );
    let (_, q) = api.radarr("/queue?pageSize=50").await;
    assert_eq!(
        q["records"].as_array().unwrap().len(),
        12,
        "pageSize=50 returns every record"
    );
    let (_, q) = api.radarr("/queue?page=2").await;
    assert_eq!(
        q["records"].as_array().unwrap().len(),
        2,
        "page 2 holds the rest"
    );
    api.stack.shutdown().await;
}

#[tokio::test]
async fn arr_payloads_omit_null_fields_and_use_fixture_shapes() {
    let api = Api::start().await;
    let w = api.world();
    w.add_movie(603, "The Matrix", 1999, false);
    w.grab_movie(603, &h(7), "The.Matrix.1999.2160p.UHD.BluRay-GRP", 20 * GB)
        .unwrap();
    let (_, q) = api.radarr("/queue").await;
    let rec = &q["records"][0];
    assert_no_nulls(&q, "queue");
    assert!(
        rec.get("timeleft").is_none(),
        "no speed yet: timeleft is omitted, not null"
    );
    assert_eq!(
        rec["downloadId"],
        h(7).to_uppercase(),
        "downloadId is the upper-case hash"
    );
    assert_eq!(rec["protocol"], "torrent");
    assert!(
        rec["size"].is_number() && rec["sizeleft"].is_number(),
        "size and sizeleft are numbers"
    );
    assert_eq!(rec["trackedDownloadState"], "downloading");
    w.set_progress(&h(7), 0.5, 10_000_000).unwrap();
    let (_, q) = api.radarr("/queue").await;
    let rec = &q["records"][0];
    assert_eq!(
        rec["timeleft"], "00:16:40",
        "timeleft is hh:mm:ss (10 GB left at 10 MB/s)"
    );
    assert_eq!(rec["sizeleft"].as_f64(), Some(10e9));
    let (_, hist) = api.radarr("/history").await;
    assert_no_nulls(&hist, "history");
    let grabbed = &hist["records"][0];
    assert_eq!(grabbed["eventType"], "grabbed");
    assert_eq!(
        grabbed["data"]["torrentInfoHash"],
        h(7),
        "data is a string map"
    );
    assert_eq!(grabbed["data"]["protocol"], "2");
    let (_, movies) = api.radarr("/movie?tmdbId=603").await;
    assert_eq!(
        movies.as_array().unwrap().len(),
        1,
        "movie?tmdbId= is an array of one"
    );
    assert_no_nulls(&movies, "movie");
    let (_, none) = api.radarr("/movie?tmdbId=1").await;
    assert_eq!(
        none,
        serde_json::json!([]),
        "an unknown tmdbId gives an empty array, not 404"
    );
    let (status, _) = get_json(
        api.http
            .get(format!("{}/api/v3/queue", api.stack.urls().radarr)),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the *arr answers a missing key with 401"
    );
    api.stack.shutdown().await;
}

#[tokio::test]
async fn seerr_rejects_unknown_parameters_and_bad_enums_with_400() {
    let api = Api::start().await;
    let (status, v) = api.seerr("/request?take=10&foo=1").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an unknown query parameter is rejected"
    );
    assert_eq!(v["message"], "Unknown query parameter 'foo'");
    assert!(v["errors"].is_array(), "the validator lists its errors");
    let (status, _) = api.seerr("/request?filter=everything").await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an enum value outside the spec is rejected"
    );
    let (status, _) = api.seerr("/request?take=ten").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "take must be a number");
    let (status, v) = api
        .seerr("/request?filter=all&sort=modified&take=50&skip=0&mediaType=all")
        .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the documented parameters are accepted: {v}"
    );
    let url = format!("{}/api/v1/request", api.stack.urls().jellyseerr);
    let (status, v) = get_json(api.http.get(&url).header("X-Api-Key", "wrong")).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "Seerr answers a wrong key with 403"
    );
    assert_eq!(
        v["error"],
        "You do not have permission to access this endpoint"
    );
    let (status, v) = get_json(
        api.http
            .get(format!("{}/api/v1/status", api.stack.urls().jellyseerr)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "status is public");
    assert_eq!(v["version"], "2.7.3");
    api.stack.shutdown().await;
}

#[tokio::test]
async fn seerr_lists_requests_sorted_filtered_and_paged() {
    let api = Api::start().await;
    let w = api.world();
    let mut ids = Vec::new();
    for i in 0..12u64 {
        w.add_movie(500 + i, &format!("Film {i}"), 2021, false);
        ids.push(w.request_movie(500 + i, "alice").unwrap());
    }
    next_second().await;
    w.approve(ids[0]).unwrap();
    let (_, v) = api.seerr("/request").await;
    assert_eq!(v["pageInfo"]["pageSize"], 10, "take defaults to 10");
    assert_eq!(v["pageInfo"]["results"], 12);
    assert_eq!(v["pageInfo"]["pages"], 2);
    assert_eq!(v["results"].as_array().unwrap().len(), 10);
    assert_eq!(
        v["results"][0]["id"], ids[11],
        "sort=added orders by id, newest first"
    );
    let (_, v) = api.seerr("/request?sort=modified&take=1").await;
    assert_eq!(
        v["results"][0]["id"], ids[0],
        "sort=modified puts the last updated request first"
    );
    assert_eq!(v["results"][0]["status"], request_status::APPROVED);
    assert_eq!(v["results"][0]["media"]["status"], media_status::PROCESSING);
    let (_, v) = api.seerr("/request?filter=pending&take=50").await;
    assert_eq!(
        v["pageInfo"]["results"], 11,
        "filter=pending leaves the approved request out"
    );
    let r = &v["results"][0];
    assert_eq!(r["requestedBy"]["displayName"], "alice");
    assert_eq!(r["type"], "movie");
    assert!(r["media"]["tmdbId"].is_number());
    w.delete_request(ids[1]).unwrap();
    let (_, v) = api.seerr("/request?take=50").await;
    assert_eq!(
        v["pageInfo"]["results"], 11,
        "a deleted request leaves the list"
    );
    api.stack.shutdown().await;
}

#[tokio::test]
async fn jellyfin_ignores_unknown_filters_and_returns_provider_ids_only_when_asked() {
    let api = Api::start().await;
    let w = api.world();
    for (tmdb, title) in [(1u64, "One"), (2, "Two"), (3, "Three")] {
        w.add_movie(tmdb, title, 2020, false);
        w.jellyfin_add_movie(tmdb).unwrap();
    }
    let (_, v) = api
        .jellyfin("/Items?recursive=true&includeItemTypes=Movie&AnyProviderIdEquals=tmdb.2")
        .await;
    assert_eq!(
        v["TotalRecordCount"], 3,
        "an unknown filter is ignored: the whole library comes back"
    );
    assert!(
        v["Items"][0].get("ProviderIds").is_none(),
        "ProviderIds only come when fields asks"
    );
    let (_, v) = api
        .jellyfin(
            "/Items?recursive=true&includeItemTypes=Movie&fields=ProviderIds,Path,MediaSources",
        )
        .await;
    let item = &v["Items"][0];
    assert!(
        item["ProviderIds"]["Tmdb"].is_string(),
        "provider ids are strings"
    );
    assert_eq!(item["LocationType"], "FileSystem");
    assert!(
        item["Id"].as_str().unwrap().len() == 32,
        "ids are 32 hex characters"
    );
    assert!(item["MediaSources"]
        .as_array()
        .is_some_and(|m| !m.is_empty()));
    let (status, _) = get_json(
        api.http
            .get(format!("{}/Items", api.stack.urls().jellyfin))
            .header("X-Emby-Token", SIM_JELLYFIN_API_KEY),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "only the MediaBrowser Authorization header is accepted"
    );
    let (status, v) = get_json(
        api.http
            .get(format!("{}/System/Info/Public", api.stack.urls().jellyfin)),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "public info is anonymous");
    assert_eq!(v["Version"], "10.11.11");
    api.stack.shutdown().await;
}

#[tokio::test]
async fn qbittorrent_sessions_expire_into_403() {
    let api = Api::start().await;
    let w = api.world();
    w.set_qb_session_timeout(Duration::from_millis(300));
    let (status, body, cookie) = api.qb_login(SIM_QBITTORRENT_PASSWORD).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "Ok."),
        "login answers 200 Ok."
    );
    let cookie = cookie.expect("login sets a cookie");
    assert!(
        cookie.starts_with("SID="),
        "qBittorrent 4.5 names the cookie SID"
    );
    let (status, v) = api.qb(&cookie, "/app/version").await;
    assert_eq!(
        (status, v),
        (StatusCode::OK, Value::String("v4.5.2".into()))
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, _) = api.qb(&cookie, "/torrents/info").await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "an idle session expires and then every call gets 403"
    );
    let (status, _) = api.qb("SID=nothing", "/app/webapiVersion").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "an unknown cookie gets 403");
    api.stack.shutdown().await;
}

#[tokio::test]
async fn qbittorrent_bans_after_five_failed_logins() {
    let api = Api::start().await;
    for i in 0..5 {
        let (status, body, cookie) = api.qb_login("wrong").await;
        assert_eq!(
            (status, body.as_str()),
            (StatusCode::OK, "Fails."),
            "failure {i} is 200 Fails."
        );
        assert!(cookie.is_none(), "a failed login sets no cookie");
    }
    let (status, body, _) = api.qb_login(SIM_QBITTORRENT_PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "after five failures even the right password is banned"
    );
    assert!(body.contains("banned"), "the ban says so: {body}");
    api.world().qb_reset_ban();
    let (_, body, _) = api.qb_login(SIM_QBITTORRENT_PASSWORD).await;
    assert_eq!(body, "Ok.", "lifting the ban allows logins again");
    api.stack.shutdown().await;
}

#[tokio::test]
async fn qbittorrent_maindata_sends_full_then_delta_then_removal() {
    let api = Api::start().await;
    let w = api.world();
    w.add_movie(10, "A", 2020, false);
    w.add_movie(11, "B", 2020, false);
    w.grab_movie(10, &h(10), "A.2020.1080p-GRP", GB).unwrap();
    w.grab_movie(11, &h(11), "B.2020.1080p-GRP", GB).unwrap();
    let (_, _, cookie) = api.qb_login(SIM_QBITTORRENT_PASSWORD).await;
    let cookie = cookie.unwrap();
    let (_, full) = api.qb(&cookie, "/sync/maindata?rid=0").await;
    assert_eq!(full["full_update"], true, "rid 0 gives a full snapshot");
    let t = &full["torrents"][h(10)];
    assert!(
        t.get("hash").is_none(),
        "maindata torrents carry no hash field"
    );
    assert_eq!(t["eta"], 8_640_000, "unknown eta is 8640000");
    assert_eq!(t["progress"], 0.0);
    let rid = full["rid"].as_u64().unwrap();
    w.set_progress(&h(10), 0.5, 1_000_000).unwrap();
    let (_, delta) = api.qb(&cookie, &format!("/sync/maindata?rid={rid}")).await;
    assert!(
        delta.get("full_update").is_none(),
        "a delta has no full_update key"
    );
    let changed = delta["torrents"].as_object().unwrap();
    assert_eq!(changed.len(), 1, "only the changed torrent is sent");
    let keys = changed[&h(10)].as_object().unwrap();
    assert!(
        keys.contains_key("progress") && !keys.contains_key("name"),
        "only changed keys are sent: {keys:?}"
    );
    let rid = delta["rid"].as_u64().unwrap();
    w.remove_torrent(&h(11)).unwrap();
    let (_, delta) = api.qb(&cookie, &format!("/sync/maindata?rid={rid}")).await;
    assert_eq!(
        delta["torrents_removed"],
        serde_json::json!([h(11)]),
        "removed torrents are listed"
    );
    let (_, again) = api.qb(&cookie, "/sync/maindata?rid=999").await;
    assert_eq!(
        again["full_update"], true,
        "an unknown rid gives a full snapshot"
    );
    let (_, info) = api
        .qb(
            &cookie,
            &format!("/torrents/info?hashes={}|{}", h(10).to_uppercase(), h(11)),
        )
        .await;
    assert_eq!(
        info.as_array().unwrap().len(),
        1,
        "hashes= matches case-insensitively and skips removed torrents"
    );
    assert_eq!(info[0]["hash"], h(10));
    api.stack.shutdown().await;
}

#[tokio::test]
async fn sonarr_season_pack_has_one_queue_record_per_episode() {
    let api = Api::start().await;
    let w = api.world();
    w.add_series(
        73255,
        1408,
        "House",
        2004,
        false,
        &[(1, 12, date(2004, 11, 16))],
    );
    let eps: Vec<(u32, u32)> = (1..=12).map(|e| (1, e)).collect();
    w.grab_episodes(
        73255,
        &eps,
        &h(64),
        "House.S01.1080p.BluRay.x264-SHORTBREHD",
        40 * GB,
    )
    .unwrap();
    let (_, q) = api.sonarr("/queue?pageSize=100").await;
    let records = q["records"].as_array().unwrap();
    assert_eq!(records.len(), 12, "one record per episode of the pack");
    assert!(records
        .iter()
        .all(|r| r["downloadId"] == h(64).to_uppercase() && r["size"] == 40 * GB));
    assert_no_nulls(&q, "sonarr queue");
    let (_, hist) = api.sonarr("/history?pageSize=100&eventType=1").await;
    assert_eq!(hist["totalRecords"], 12, "one grabbed record per episode");
    assert_eq!(hist["records"][0]["data"]["releaseType"], "SeasonPack");
    let (status, v) = api.sonarr("/episode").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(v["message"], "seriesId or episodeIds must be provided");
    api.stack.shutdown().await;
}

// ----- failure modes -----

#[tokio::test]
async fn failure_modes_answer_as_described_and_requests_are_counted() {
    let api = Api::start().await;
    let w = api.world();
    let url = format!("{}/api/v3/system/status", api.stack.urls().radarr);
    let send = || {
        api.http
            .get(&url)
            .header("X-Api-Key", SIM_RADARR_API_KEY)
            .send()
    };
    assert_eq!(send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(
        w.requests_served(Service::Radarr),
        1,
        "the counter counts served requests"
    );

    w.set_mode(Service::Radarr, FailureMode::Status500);
    assert_eq!(
        send().await.unwrap().status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );

    w.set_mode(Service::Radarr, FailureMode::Html200);
    let r = send().await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::OK,
        "the HTML error page comes with status 200"
    );
    assert!(r.text().await.unwrap().contains("<html>"));

    w.set_mode(Service::Radarr, FailureMode::Malformed);
    let body = send().await.unwrap().text().await.unwrap();
    assert!(
        serde_json::from_str::<Value>(&body).is_err(),
        "malformed mode sends broken JSON"
    );

    w.set_mode(Service::Radarr, FailureMode::Unauthorized);
    assert_eq!(
        send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED,
        "the *arr says 401"
    );

    w.set_mode(Service::Radarr, FailureMode::Hang);
    let hung = api
        .http
        .get(&url)
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(
        hung.is_err_and(|e| e.is_timeout()),
        "a hung service never answers"
    );

    w.set_mode(Service::Radarr, FailureMode::Refused);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let refused = client().get(&url).send().await;
    assert!(
        refused.is_err_and(|e| e.is_connect()),
        "a refused service closes its port"
    );

    w.set_mode(Service::Radarr, FailureMode::Up);
    let mut back = false;
    for _ in 0..40 {
        if client()
            .get(&url)
            .header("X-Api-Key", SIM_RADARR_API_KEY)
            .send()
            .await
            .is_ok_and(|r| r.status() == StatusCode::OK)
        {
            back = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(back, "the service comes back on the same port");
    assert!(w.requests_served(Service::Radarr) >= 7);
    assert_eq!(
        w.requests_served(Service::Sonarr),
        0,
        "counters are per service"
    );

    w.set_mode(Service::Jellyseerr, FailureMode::Unauthorized);
    let (status, _) = api.seerr("/auth/me").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "Seerr rejects with 403");
    w.set_mode(Service::Qbittorrent, FailureMode::Unauthorized);
    let (_, body, _) = api.qb_login(SIM_QBITTORRENT_PASSWORD).await;
    assert_eq!(body, "Fails.", "qBittorrent rejects the login with Fails.");
    w.set_mode(Service::Shoko, FailureMode::Unauthorized);
    let r = api
        .http
        .post(format!("{}/api/auth", api.stack.urls().shoko))
        .json(&serde_json::json!({"user": SIM_SHOKO_USERNAME, "pass": SIM_SHOKO_PASSWORD, "device": "t"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "Shoko rejects with 401"
    );
    w.set_mode(Service::Jellyfin, FailureMode::Unauthorized);
    let (status, _) = api.jellyfin("/System/Info").await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "Jellyfin rejects with 401"
    );
    api.stack.shutdown().await;
}

// ----- the four flows -----

#[tokio::test]
async fn film_flow_from_request_to_jellyfin() {
    let api = Api::start().await;
    let w = api.world();
    w.add_movie(693134, "Dune: Part Two", 2024, false);
    let id = w.request_movie(693134, "alice").unwrap();
    let (_, v) = api.seerr(&format!("/request/{id}")).await;
    assert_eq!(v["status"], request_status::PENDING);
    assert_eq!(v["media"]["status"], media_status::PENDING);
    w.approve(id).unwrap();
    let hash = h(0xd1);
    w.grab_movie(
        693134,
        &hash,
        "Dune.Part.Two.2024.2160p.WEB-DL-FLUX",
        8 * GB,
    )
    .unwrap();
    w.set_progress(&hash, 1.0, 0).unwrap();
    w.import_blocked(&hash, "Not an upgrade for existing movie file.")
        .unwrap();
    let (_, q) = api.radarr("/queue").await;
    let rec = &q["records"][0];
    assert_eq!(rec["status"], "completed");
    assert_eq!(rec["trackedDownloadStatus"], "warning");
    assert_eq!(rec["trackedDownloadState"], "importBlocked");
    assert_eq!(
        rec["statusMessages"][0]["messages"][0],
        "Not an upgrade for existing movie file."
    );
    let paths = w.import(&hash).unwrap();
    assert_eq!(
        paths[0],
        "/media/movies/Dune: Part Two (2024)/Dune.Part.Two.2024.2160p.WEB-DL-FLUX.mkv"
    );
    let (_, q) = api.radarr("/queue").await;
    assert_eq!(q["totalRecords"], 0, "an imported item leaves the queue");
    let (_, hist) = api
        .radarr(&format!(
            "/history?downloadId={}&eventType=3",
            hash.to_uppercase()
        ))
        .await;
    assert_eq!(hist["records"][0]["eventType"], "downloadFolderImported");
    assert_eq!(hist["records"][0]["data"]["importedPath"], paths[0]);
    let (_, since) = api.radarr("/history/since?date=2000-01-01T00:00:00Z").await;
    let events: Vec<&str> = since
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["eventType"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        ["grabbed", "downloadFolderImported"],
        "history/since is ascending"
    );
    let (_, m) = api.radarr("/movie?tmdbId=693134").await;
    assert_eq!(m[0]["hasFile"], true);
    let item = w.jellyfin_add_movie(693134).unwrap();
    let (_, v) = api.seerr(&format!("/request/{id}")).await;
    assert_eq!(
        v["status"],
        request_status::COMPLETED,
        "Jellyfin availability completes an approved request"
    );
    assert_eq!(v["media"]["jellyfinMediaId"], item);
    let (_, j) = api
        .jellyfin(&format!("/Items?ids={item}&fields=ProviderIds,Path"))
        .await;
    assert_eq!(j["Items"][0]["ProviderIds"]["Tmdb"], "693134");
    assert_eq!(j["Items"][0]["Path"], paths[0]);
    api.stack.shutdown().await;
}

#[tokio::test]
async fn series_flow_with_pack_single_grabs_and_unaired_episodes() {
    let api = Api::start().await;
    let w = api.world();
    let today = Utc::now().date_naive();
    w.add_series(
        371980,
        95396,
        "Severance",
        2022,
        false,
        &[
            (1, 3, date(2022, 2, 18)),
            (2, 4, today - chrono::Duration::weeks(1)),
        ],
    );
    let id = w.request_series(95396, &[1, 2], "bob").unwrap();
    w.approve(id).unwrap();
    w.grab_episodes(
        371980,
        &[(1, 1), (1, 2), (1, 3)],
        &h(1),
        "Severance.S01.1080p-NTb",
        6 * GB,
    )
    .unwrap();
    w.grab_episodes(
        371980,
        &[(2, 1)],
        &h(2),
        "Severance.S02E01.1080p-NTb",
        2 * GB,
    )
    .unwrap();
    let (_, q) = api.sonarr("/queue").await;
    assert_eq!(q["totalRecords"], 4, "three pack records and one single");
    w.import(&h(1)).unwrap();
    w.import(&h(2)).unwrap();
    let (_, series) = api.sonarr("/series?tvdbId=371980").await;
    let sid = series[0]["id"].as_u64().unwrap();
    assert_eq!(series[0]["seriesType"], "standard");
    assert_eq!(
        series[0]["status"], "continuing",
        "a series with future air dates is continuing"
    );
    let (_, eps) = api.sonarr(&format!("/episode?seriesId={sid}")).await;
    let eps = eps.as_array().unwrap();
    assert_eq!(eps.len(), 7);
    let s2e4 = eps
        .iter()
        .find(|e| e["seasonNumber"] == 2 && e["episodeNumber"] == 4)
        .unwrap();
    let air = NaiveDate::parse_from_str(s2e4["airDate"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert!(air > today, "S02E04 airs in the future");
    assert_eq!(eps.iter().filter(|e| e["hasFile"] == true).count(), 4);
    let (_, files) = api.sonarr(&format!("/episodefile?seriesId={sid}")).await;
    assert_eq!(files.as_array().unwrap().len(), 4);
    assert_eq!(
        files[0]["relativePath"],
        "Season 01/Severance - S01E01 - Episode 1.mkv"
    );
    let (_, hist) = api
        .sonarr(&format!(
            "/history?pageSize=50&downloadId={}",
            h(1).to_uppercase()
        ))
        .await;
    assert_eq!(
        hist["totalRecords"], 6,
        "a pack writes one grabbed and one imported record per episode"
    );
    w.jellyfin_add_episodes(371980, &[(1, 1), (1, 2), (1, 3), (2, 1)])
        .unwrap();
    w.jellyfin_add_virtual_episode(371980, 2, 4).unwrap();
    let (_, tv) = api.seerr("/tv/95396").await;
    assert_eq!(tv["externalIds"]["tvdbId"], 371980);
    assert_eq!(
        tv["mediaInfo"]["status"],
        media_status::PARTIALLY_AVAILABLE,
        "S02 is only partly there"
    );
    let (_, items) = api
        .jellyfin("/Items?recursive=true&includeItemTypes=Series&fields=ProviderIds")
        .await;
    let series_id = items["Items"][0]["Id"].as_str().unwrap().to_string();
    assert_eq!(items["Items"][0]["ProviderIds"]["Tvdb"], "371980");
    let (_, all) = api.jellyfin(&format!("/Shows/{series_id}/Episodes")).await;
    assert_eq!(
        all["TotalRecordCount"], 5,
        "virtual episodes are included by default"
    );
    let (_, real) = api
        .jellyfin(&format!("/Shows/{series_id}/Episodes?isMissing=false"))
        .await;
    assert_eq!(
        real["TotalRecordCount"], 4,
        "isMissing=false drops virtual episodes"
    );
    api.stack.shutdown().await;
}

#[tokio::test]
async fn anime_film_flow_through_shoko() {
    let api = Api::start().await;
    let w = api.world();
    w.add_movie(916224, "Suzume", 2022, true);
    let id = w.request_movie(916224, "carol").unwrap();
    w.approve(id).unwrap();
    let (_, details) = api.seerr("/movie/916224").await;
    assert!(
        details["keywords"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["id"] == 210024),
        "anime keyword 210024"
    );
    let (_, m) = api.radarr("/movie?tmdbId=916224").await;
    assert_eq!(m[0]["tags"], serde_json::json!([1]));
    let (_, tags) = api.radarr("/tag").await;
    assert_eq!(tags[0]["label"], "anime");
    w.grab_movie(916224, &h(3), "Suzume.2022.1080p.BluRay-BAD", 9 * GB)
        .unwrap();
    w.download_failed(&h(3), "qBittorrent is reporting an error")
        .unwrap();
    let (_, q) = api.radarr("/queue").await;
    assert_eq!(q["records"][0]["trackedDownloadState"], "failedPending");
    w.grab_movie(916224, &h(4), "Suzume.2022.1080p.BluRay-GOOD", 6 * GB)
        .unwrap();
    let (_, q) = api.radarr("/queue").await;
    assert_eq!(
        q["totalRecords"], 1,
        "the re-grab replaces the failed download"
    );
    assert_eq!(q["records"][0]["downloadId"], h(4).to_uppercase());
    let (_, failed) = api.radarr("/history?eventType=4").await;
    assert_eq!(
        failed["records"][0]["data"]["message"],
        "qBittorrent is reporting an error"
    );
    let paths = w.import(&h(4)).unwrap();
    let tail = "/Suzume (2022)/Suzume.2022.1080p.BluRay-GOOD.mkv";
    assert!(paths[0].ends_with(tail));
    let (_, files) = api
        .shoko(&format!("/api/v3/File/PathEndsWith?path={tail}&limit=5"))
        .await;
    assert_eq!(
        files,
        serde_json::json!([]),
        "NotSeen: Shoko has no such file yet"
    );
    w.shoko_set(tail, ShokoState::Unrecognized).unwrap();
    let backslashes = tail.replace('/', "\\").to_uppercase();
    let (_, files) = api
        .shoko(&format!("/api/v3/File/PathEndsWith?path={backslashes}"))
        .await;
    assert_eq!(
        files[0]["SeriesIDs"],
        serde_json::json!([]),
        "Unrecognized: no cross-references; \\ and case are accepted"
    );
    assert_eq!(
        files[0]["Locations"][0]["RelativePath"],
        "Suzume (2022)/Suzume.2022.1080p.BluRay-GOOD.mkv"
    );
    w.shoko_set(tail, ShokoState::ImportLimbo { anidb_id: 16991 })
        .unwrap();
    let (_, files) = api
        .shoko(&format!("/api/v3/File/PathEndsWith?path={tail}"))
        .await;
    assert!(
        files[0]["SeriesIDs"][0]["SeriesID"]["ID"].is_null(),
        "ImportLimbo: Shoko ids are null"
    );
    assert_eq!(files[0]["SeriesIDs"][0]["SeriesID"]["AniDB"], 16991);
    w.shoko_set(tail, ShokoState::Matched { anidb_id: 16991 })
        .unwrap();
    let (_, files) = api
        .shoko(&format!(
            "/api/v3/File/PathEndsWith?path={tail}&includeXRefs=true&include=XRefs"
        ))
        .await;
    let xref = &files[0]["SeriesIDs"][0];
    assert!(
        xref["SeriesID"]["ID"].is_number() && xref["EpisodeIDs"][0]["ID"].is_number(),
        "Matched: ids set"
    );
    assert_eq!(
        xref["SeriesID"]["TMDB"]["Movie"],
        serde_json::json!([916224])
    );
    let item = w.jellyfin_add_movie(916224).unwrap();
    let (_, j) = api
        .jellyfin(&format!("/Items?ids={item}&fields=ProviderIds"))
        .await;
    let ids = j["Items"][0]["ProviderIds"].as_object().unwrap();
    assert_eq!(ids["AniDB"], "16991");
    assert!(!ids.contains_key("Tmdb"), "Shokofin items carry no Tmdb id");
    let (_, r) = api.seerr(&format!("/request/{id}")).await;
    assert!(
        r["media"]["jellyfinMediaId"].is_null(),
        "Jellyseerr 2.7 does not match Shokofin items"
    );
    api.stack.shutdown().await;
}

#[tokio::test]
async fn anime_series_flow_through_shoko() {
    let api = Api::start().await;
    let w = api.world();
    let today = Utc::now().date_naive();
    w.add_series(
        424536,
        209867,
        "Frieren",
        2023,
        true,
        &[(1, 6, today - chrono::Duration::weeks(3))],
    );
    let id = w.request_series(209867, &[1], "dave").unwrap();
    w.approve(id).unwrap();
    let (_, tv) = api.seerr("/tv/209867").await;
    assert!(tv["keywords"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["id"] == 210024));
    let (_, s) = api.sonarr("/series?tvdbId=424536").await;
    assert_eq!(s[0]["seriesType"], "anime");
    w.grab_episodes(
        424536,
        &[(1, 1)],
        &h(0xf1),
        "[SubsPlease] Frieren - 01 (1080p)",
        GB,
    )
    .unwrap();
    w.grab_episodes(
        424536,
        &[(1, 2)],
        &h(0xf2),
        "[SubsPlease] Frieren - 02 (1080p)",
        GB,
    )
    .unwrap();
    w.import(&h(0xf1)).unwrap();
    w.shoko_set_download(&h(0xf1), ShokoState::Matched { anidb_id: 17617 })
        .unwrap();
    let (_, files) = api
        .shoko("/api/v3/File/PathEndsWith?path=/Season 01/Frieren - S01E01 - Episode 1.mkv")
        .await;
    assert_eq!(
        files.as_array().unwrap().len(),
        1,
        "Shoko finds the episode by path tail"
    );
    assert_eq!(files[0]["SeriesIDs"][0]["SeriesID"]["AniDB"], 17617);
    let (status, series) = api.shoko("/api/v3/TMDB/Show/209867/Shoko/Series").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(series[0]["IDs"]["AniDB"], 17617);
    w.jellyfin_add_episodes(424536, &[(1, 1)]).unwrap();
    let (_, items) = api
        .jellyfin("/Items?recursive=true&includeItemTypes=Episode&fields=ProviderIds,Path")
        .await;
    let ep = &items["Items"][0];
    assert!(
        ep["ProviderIds"]["Shoko File"].is_string(),
        "Shokofin episodes carry Shoko ids"
    );
    assert!(ep["ProviderIds"].get("Tvdb").is_none(), "and no Tvdb id");
    let (_, eps) = api
        .sonarr(&format!("/episode?seriesId={}", s[0]["id"]))
        .await;
    assert_eq!(
        eps[0]["absoluteEpisodeNumber"], 1,
        "anime episodes carry absolute numbers"
    );
    let unaired = eps.as_array().unwrap().iter().filter(|e| {
        NaiveDate::parse_from_str(e["airDate"].as_str().unwrap(), "%Y-%m-%d").unwrap() > today
    });
    assert_eq!(unaired.count(), 2, "episodes 5 and 6 have not aired");
    api.stack.shutdown().await;
}

// ----- timeline, bulk, config -----

#[tokio::test]
async fn demo_timeline_plays_all_four_flows_to_the_end() {
    let api = Api::start().await;
    let w = api.world();
    demo_world(w.clone()).await;
    let timeline = demo_timeline();
    let secs = timeline.duration().as_secs();
    assert!(
        (90..=150).contains(&secs),
        "the demo lasts about two minutes, not {secs} s"
    );
    run_timeline(w.clone(), timeline, 1_000.0)
        .await
        .expect("every demo step applies");
    assert_eq!(
        w.mode(Service::Radarr),
        FailureMode::Up,
        "Radarr is back at the end"
    );
    let (_, v) = api.seerr("/request?take=50&filter=completed").await;
    assert!(
        v["pageInfo"]["results"].as_u64().unwrap() >= 4,
        "the regular film and series complete: {v}"
    );
    let (_, items) = api
        .jellyfin("/Items?recursive=true&includeItemTypes=Movie,Series&fields=ProviderIds")
        .await;
    let names: Vec<&str> = items["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Name"].as_str().unwrap())
        .collect();
    for title in ["Dune: Part Two", "Severance", "Suzume", "Frieren"] {
        assert!(
            names.contains(&title),
            "{title} ends up in Jellyfin: {names:?}"
        );
    }
    let (_, q) = api.radarr("/queue").await;
    assert_eq!(q["totalRecords"], 0, "nothing is left in Radarr's queue");
    api.stack.shutdown().await;
}

#[tokio::test]
async fn populate_builds_a_consistent_bulk_world() {
    let api = Api::start().await;
    let w = api.world();
    let started = std::time::Instant::now();
    w.populate(1000, 42).unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "populating 1000 requests is quick"
    );
    let (_, v) = api.seerr("/request?take=1").await;
    assert_eq!(v["pageInfo"]["results"], 1000);
    let (_, active) = api.seerr("/request?take=1&filter=unavailable").await;
    let active = active["pageInfo"]["results"].as_u64().unwrap();
    assert!(
        (100..=300).contains(&active),
        "about 20 % are still in progress: {active}"
    );
    let hour_ago = chrono::Utc::now() - chrono::Duration::minutes(59);
    let (radarr, sonarr) = w.with(|w| (w.radarr_history.clone(), w.sonarr_history.clone()));
    assert!(
        !radarr.is_empty() && !sonarr.is_empty(),
        "both *arrs have history"
    );
    for list in [&radarr, &sonarr] {
        assert!(
            list.iter().all(|r| r.date < hour_ago),
            "a populated library's history is at least an hour old"
        );
        assert!(
            list.windows(2).all(|p| p[0].date < p[1].date),
            "history dates keep the order the events were made in"
        );
    }
    api.stack.shutdown().await;
}

#[tokio::test]
async fn config_and_env_point_a_client_at_the_sim() {
    let stack = SimStack::start_on(47_310)
        .await
        .expect("fixed ports are free");
    assert_eq!(stack.urls().jellyseerr, "http://127.0.0.1:47310");
    assert_eq!(stack.urls().jellyfin, "http://127.0.0.1:47315");
    let toml = config_toml(stack.urls());
    assert!(toml.contains("[qbittorrent]\nurl = \"http://127.0.0.1:47313\"\nusername = \"admin\""));
    assert!(toml.contains("[shoko]\nurl = \"http://127.0.0.1:47314\"\nusername = \"admin\""));
    let env = sim_env();
    assert_eq!(env.len(), 6);
    assert!(env.contains(&("STATUS_TRACKER_RADARR_API_KEY", SIM_RADARR_API_KEY)));
    stack.shutdown().await;
}

#[tokio::test]
async fn seerr_keeps_whole_seconds_and_orders_ties_by_neither_id_direction() {
    let api = Api::start().await;
    let w = api.world();
    w.add_movie(600, "Film 0", 2021, false);
    let first = w.request_movie(600, "alice").unwrap();
    let mut ids = vec![first];
    w.seerr_in_second_of(first, || {
        for i in 1..12u64 {
            w.add_movie(600 + i, &format!("Film {i}"), 2021, false);
            ids.push(w.request_movie(600 + i, "alice").unwrap());
        }
    })
    .unwrap();
    let (_, all) = api.seerr("/request?sort=modified&take=50").await;
    let rows = all["results"].as_array().unwrap();
    for r in rows {
        for key in ["createdAt", "updatedAt"] {
            let t = r[key].as_str().unwrap();
            assert!(t.ends_with(".000Z"), "Seerr dates are whole seconds: {t}");
        }
        assert!(r["media"]["updatedAt"].as_str().unwrap().ends_with(".000Z"));
    }
    let order: Vec<u64> = rows.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    let mut ascending = order.clone();
    ascending.sort_unstable();
    let mut descending = ascending.clone();
    descending.reverse();
    assert!(
        order != ascending && order != descending,
        "requests that tie on updatedAt come in no id order: {order:?}"
    );
    let mut paged = Vec::new();
    for skip in [0, 5, 10] {
        let (_, v) = api
            .seerr(&format!("/request?sort=modified&take=5&skip={skip}"))
            .await;
        paged.extend(
            v["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_u64().unwrap()),
        );
    }
    assert_eq!(paged, order, "the tie order is the same on every page");
    let (_, asc) = api
        .seerr("/request?sort=modified&sortDirection=asc&take=50")
        .await;
    let asc: Vec<u64> = asc["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_u64().unwrap())
        .collect();
    assert_eq!(asc, order, "ties do not follow the sort direction");
    api.stack.shutdown().await;
}

#[tokio::test]
async fn seerr_changes_within_one_second_share_updated_at() {
    let api = Api::start().await;
    let w = api.world();
    let mut ids = Vec::new();
    for i in 0..4u64 {
        w.add_movie(700 + i, &format!("Film {i}"), 2021, false);
        ids.push(w.request_movie(700 + i, "alice").unwrap());
    }
    let updated = |v: &Value| v["updatedAt"].as_str().unwrap().to_string();
    assert_eq!(
        w.bulk_approve(&[ids[0], 9_999]),
        Err(SimError::UnknownRequest(9_999))
    );
    let (_, v) = api.seerr(&format!("/request/{}", ids[0])).await;
    assert_eq!(
        v["status"],
        request_status::PENDING,
        "a failed bulk approve changes nothing"
    );

    next_second().await;
    w.bulk_approve(&ids[..3]).unwrap();
    let mut stamps = Vec::new();
    for id in &ids[..3] {
        let (_, v) = api.seerr(&format!("/request/{id}")).await;
        assert_eq!(v["status"], request_status::APPROVED);
        stamps.push(updated(&v));
    }
    assert!(
        stamps.iter().all(|s| *s == stamps[0]),
        "a bulk approve is one second: {stamps:?}"
    );

    let (_, before) = api.seerr(&format!("/request/{}", ids[0])).await;
    next_second().await;
    w.seerr_in_second_of(ids[0], || w.decline(ids[0]))
        .unwrap()
        .unwrap();
    let (_, after) = api.seerr(&format!("/request/{}", ids[0])).await;
    assert_eq!(after["status"], request_status::DECLINED);
    assert_eq!(
        updated(&after),
        updated(&before),
        "a change in the same second keeps updatedAt"
    );
    w.decline(ids[1]).unwrap();
    let (_, v) = api.seerr(&format!("/request/{}", ids[1])).await;
    assert_ne!(
        updated(&v),
        updated(&before),
        "outside the hold, the clock runs"
    );

    w.approve_then_fail_same_second(ids[3]).unwrap();
    let (_, v) = api.seerr(&format!("/request/{}", ids[3])).await;
    assert_eq!(v["status"], request_status::FAILED);
    assert_eq!(v["media"]["status"], media_status::PROCESSING);
    assert_eq!(
        w.seerr_in_second_of(9_999, || ()),
        Err(SimError::UnknownRequest(9_999))
    );
    api.stack.shutdown().await;
}

#[tokio::test]
async fn jellyfin_ids_follow_paths_and_seerr_learns_of_deletions_on_its_own_sync() {
    let api = Api::start().await;
    let w = api.world();
    let tmdb = 693134;
    w.add_movie(tmdb, "Dune: Part Two", 2024, false);
    w.add_movie(1, "Other", 2020, false);
    let other = w.jellyfin_add_movie(1).unwrap();
    let old_request = w.request_movie(tmdb, "alice").unwrap();
    w.approve(old_request).unwrap();
    w.grab_movie(tmdb, &h(1), "Dune.Part.Two.2024.1080p-A", 8 * GB)
        .unwrap();
    w.import(&h(1)).unwrap();
    let first = w.jellyfin_add_movie(tmdb).unwrap();
    let fields = "fields=ProviderIds,Path,DateCreated";
    let (_, v) = api.jellyfin(&format!("/Items?ids={first}&{fields}")).await;
    let first_item = v["Items"][0].clone();
    assert!(first_item["DateCreated"].is_string());

    // An upgrade under another name: a new item, the old one gone.
    w.grab_movie(tmdb, &h(2), "Dune.Part.Two.2024.2160p-B", 9 * GB)
        .unwrap();
    let paths = w.import(&h(2)).unwrap();
    let second = w.jellyfin_replace_movie(tmdb).unwrap();
    assert_ne!(second, first, "a replaced file is a new item");
    let (_, v) = api
        .jellyfin(&format!("/Items?ids={first},{second},{other}&{fields}"))
        .await;
    let got: Vec<&str> = v["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Id"].as_str().unwrap())
        .collect();
    assert_eq!(
        got,
        [second.as_str(), other.as_str()],
        "asked order, gone ids left out"
    );
    assert_eq!(v["TotalRecordCount"], 2);
    let new_item = &v["Items"][0];
    assert_eq!(new_item["ProviderIds"], first_item["ProviderIds"]);
    assert_eq!(new_item["Path"], paths[0]);
    assert!(new_item["DateCreated"].as_str() > first_item["DateCreated"].as_str());
    let dashed = format!(
        "{}-{}-{}-{}-{}",
        &second[..8],
        &second[8..12],
        &second[12..16],
        &second[16..20],
        &second[20..]
    );
    let (_, v) = api.jellyfin(&format!("/Items?ids={dashed}")).await;
    assert_eq!(v["Items"][0]["Id"], second, "a dashed GUID is the same id");
    let (_, v) = api
        .jellyfin(&format!("/Items?ids={second}&includeItemTypes=Episode"))
        .await;
    assert_eq!(
        v["TotalRecordCount"], 0,
        "ids combine with the other filters"
    );
    let (_, v) = api.jellyfin("/Items?ids=not-a-guid&recursive=true").await;
    assert_eq!(
        v["TotalRecordCount"], 2,
        "ids that are not GUIDs are dropped, leaving no filter"
    );
    let (_, m) = api.seerr(&format!("/movie/{tmdb}")).await;
    assert_eq!(m["mediaInfo"]["jellyfinMediaId"], second.as_str());

    assert_eq!(
        w.jellyfin_touch_movie(tmdb).unwrap(),
        second,
        "same path, same id"
    );
    assert_eq!(w.jellyfin_touch_movie(2), Err(SimError::UnknownMovie(2)));

    // Deleted in Radarr and Jellyfin: Seerr does not know until its sync.
    w.delete_movie_file(tmdb, "Manual").unwrap();
    w.jellyfin_remove_movie(tmdb).unwrap();
    let (_, v) = api.jellyfin(&format!("/Items?ids={second}")).await;
    assert_eq!(v["TotalRecordCount"], 0);
    assert_eq!(
        w.jellyfin_touch_movie(tmdb),
        Err(SimError::NotInJellyfin(tmdb))
    );
    let (_, m) = api.seerr(&format!("/movie/{tmdb}")).await;
    assert_eq!(m["mediaInfo"]["status"], media_status::AVAILABLE);
    assert_eq!(m["mediaInfo"]["jellyfinMediaId"], second.as_str());
    w.seerr_availability_sync();
    let (_, m) = api.seerr(&format!("/movie/{tmdb}")).await;
    assert_eq!(m["mediaInfo"]["status"], media_status::DELETED);
    assert!(m["mediaInfo"]["jellyfinMediaId"].is_null());
    let (_, v) = api.seerr(&format!("/request/{old_request}")).await;
    assert_eq!(v["status"], request_status::COMPLETED);

    // Requested again: a new request; DELETED stays until it is approved.
    let again = w.request_movie(tmdb, "bob").unwrap();
    assert_ne!(again, old_request);
    assert_eq!(w.newest_request(tmdb, false), Some(again));
    let (_, v) = api.seerr(&format!("/request/{again}")).await;
    assert_eq!(v["media"]["status"], media_status::DELETED);
    w.approve(again).unwrap();
    let (_, v) = api.seerr(&format!("/request/{again}")).await;
    assert_eq!(v["media"]["status"], media_status::PROCESSING);
    let third = w.jellyfin_add_movie(tmdb).unwrap();
    assert!(third != first && third != second);
    let (_, v) = api.seerr(&format!("/request/{again}")).await;
    assert_eq!(v["status"], request_status::COMPLETED);
    assert_eq!(v["media"]["jellyfinMediaId"], third.as_str());
    api.stack.shutdown().await;
}

#[tokio::test]
async fn jellyfin_pages_recursive_episode_reads() {
    let api = Api::start().await;
    let w = api.world();
    w.add_series(
        81189,
        1396,
        "Breaking Bad",
        2008,
        false,
        &[(1, 7, date(2008, 1, 20))],
    );
    let all: Vec<(u32, u32)> = (1..=7).map(|n| (1, n)).collect();
    w.jellyfin_add_episodes(81189, &all).unwrap();
    let mut seen = Vec::new();
    for start in [0, 3, 6] {
        let (_, v) = api
            .jellyfin(&format!(
                "/Items?recursive=true&includeItemTypes=Episode&fields=DateCreated\
                 &sortBy=DateCreated&sortOrder=Descending&startIndex={start}&limit=3"
            ))
            .await;
        assert_eq!(v["TotalRecordCount"], 7);
        assert_eq!(v["StartIndex"], start);
        for i in v["Items"].as_array().unwrap() {
            assert_eq!(i["Type"], "Episode");
            assert!(i["DateCreated"].is_string());
            seen.push(i["Id"].as_str().unwrap().to_string());
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 7, "three pages hold every episode once");
    api.stack.shutdown().await;
}

#[tokio::test]
async fn radarr_queue_says_importing_until_the_import_ends() {
    let api = Api::start().await;
    let w = api.world();
    w.add_movie(129, "Spirited Away", 2001, true);
    w.grab_movie(129, &h(3), "Spirited.Away.2001.1080p", 6 * GB)
        .unwrap();
    w.start_import(&h(3)).unwrap();
    let (_, q) = api.radarr("/queue").await;
    let rec = &q["records"][0];
    assert_eq!(rec["status"], "completed");
    assert_eq!(rec["trackedDownloadStatus"], "ok");
    assert_eq!(rec["trackedDownloadState"], "importing");
    assert_eq!(rec["sizeleft"], 0);
    let (_, m) = api.radarr("/movie?tmdbId=129").await;
    assert_eq!(m[0]["hasFile"], false, "no file before the import ends");
    w.import(&h(3)).unwrap();
    let (_, q) = api.radarr("/queue").await;
    assert_eq!(q["totalRecords"], 0);
    api.stack.shutdown().await;
}
