//! Specifications of the sim's acting routes (issue 16), over real HTTP:
//! Seerr's approve/decline/retry and hand-off, the *arr search commands,
//! the GET filters a client acting needs and the acting log. The queue
//! DELETE, the autopilot and the demo's loops are in `blocklist_tests.rs`,
//! which shares the helpers here.

use std::time::Duration;

use chrono::NaiveDate;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

use super::*;

pub(super) const GB: u64 = 1_000_000_000;
pub(super) const DUNE: u64 = 693_134;
pub(super) const ARRIVAL: u64 = 329_865;
pub(super) const SEVERANCE_TVDB: u64 = 371_980;
pub(super) const SEVERANCE_TMDB: u64 = 95_396;

pub(super) fn h(n: u32) -> String {
    format!("{n:040x}")
}

pub(super) fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
}

/// An answer: status, headers, body as JSON (or as a string when it is not).
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) headers: reqwest::header::HeaderMap,
    pub(super) text: String,
    pub(super) json: Value,
}

pub(super) struct Api {
    pub(super) stack: SimStack,
    pub(super) http: Client,
}

impl Api {
    pub(super) async fn start() -> Self {
        crate::services::install_tls_provider();
        Api {
            stack: SimStack::start().await.expect("sim starts"),
            http: Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .expect("client builds"),
        }
    }

    pub(super) fn world(&self) -> SimWorld {
        self.stack.world()
    }

    pub(super) fn url(&self, service: Service, path: &str) -> String {
        format!("{}{path}", self.stack.urls().of(service))
    }

    pub(super) fn key(service: Service) -> &'static str {
        match service {
            Service::Jellyseerr => SIM_JELLYSEERR_API_KEY,
            Service::Sonarr => SIM_SONARR_API_KEY,
            _ => SIM_RADARR_API_KEY,
        }
    }

    /// A request with the service's API key; a body is sent as JSON.
    pub(super) async fn call(
        &self,
        service: Service,
        method: Method,
        path: &str,
        body: Option<&str>,
    ) -> Answer {
        let mut req = self
            .http
            .request(method, self.url(service, path))
            .header("X-Api-Key", Self::key(service));
        if let Some(b) = body {
            req = req
                .header("Content-Type", "application/json")
                .body(b.to_string());
        }
        answer(req).await
    }

    pub(super) async fn get(&self, service: Service, path: &str) -> Value {
        let a = self.call(service, Method::GET, path, None).await;
        assert_eq!(a.status, StatusCode::OK, "GET {path}: {}", a.text);
        a.json
    }

    /// Switches a service back up and waits until its port answers again
    /// (a refused service binds its port anew).
    pub(super) async fn back_up(&self, service: Service) {
        self.world().set_mode(service, FailureMode::Up);
        for _ in 0..50 {
            if self
                .http
                .get(self.url(service, "/ping"))
                .send()
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{service:?} does not come back up");
    }

    pub(super) async fn command(&self, service: Service, body: &str) -> Answer {
        self.call(service, Method::POST, "/api/v3/command", Some(body))
            .await
    }

    pub(super) async fn qb_torrents(&self, query: &str) -> Value {
        let login = self
            .http
            .post(self.url(Service::Qbittorrent, "/api/v2/auth/login"))
            .form(&[
                ("username", SIM_QBITTORRENT_USERNAME),
                ("password", SIM_QBITTORRENT_PASSWORD),
            ])
            .send()
            .await
            .expect("login is answered");
        let cookie = login
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|c| c.split(';').next())
            .expect("a session cookie")
            .to_string();
        let url = self.url(
            Service::Qbittorrent,
            &format!("/api/v2/torrents/info{query}"),
        );
        answer(self.http.get(url).header("Cookie", cookie))
            .await
            .json
    }
}

pub(super) async fn answer(req: reqwest::RequestBuilder) -> Answer {
    let r = req.send().await.expect("request is answered");
    let status = r.status();
    let headers = r.headers().clone();
    let text = r.text().await.expect("body is readable");
    let json = serde_json::from_str(&text).unwrap_or(Value::String(text.clone()));
    Answer {
        status,
        headers,
        text,
        json,
    }
}

pub(super) fn titles(records: &Value) -> Vec<String> {
    records
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["sourceTitle"].as_str().or(r["title"].as_str()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

pub(super) fn events(history: &Value) -> Vec<String> {
    history
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["eventType"].as_str())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// A world with Dune (requested, PENDING) and Severance season 1 (nine
/// aired episodes, requested, PENDING). Returns the two request ids.
pub(super) fn film_and_series(w: &SimWorld) -> (u64, u64) {
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    w.add_series(
        SEVERANCE_TVDB,
        SEVERANCE_TMDB,
        "Severance",
        2022,
        false,
        &[(1, 9, date(2022, 2, 18))],
    );
    let film = w.request_movie(DUNE, "alice").expect("Dune is known");
    let series = w
        .request_series(SEVERANCE_TMDB, &[1], "bob")
        .expect("Severance is known");
    (film, series)
}

// ----- Jellyseerr -----

#[tokio::test]
async fn seerr_approve_answers_the_saved_request_then_hands_it_to_the_arr() {
    let api = Api::start().await;
    let w = api.world();
    let (film, series) = film_and_series(&w);
    let path = format!("/api/v1/request/{film}/approve");
    let a = api
        .call(Service::Jellyseerr, Method::POST, &path, None)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json["id"], film);
    assert_eq!(a.json["status"], request_status::APPROVED);
    assert_eq!(
        a.json["modifiedBy"]["id"], 1,
        "the API key acts as the admin"
    );
    assert_eq!(
        a.json["media"]["status"],
        media_status::PENDING,
        "the answer carries the media as loaded before the save"
    );
    let v = api
        .get(Service::Jellyseerr, &format!("/api/v1/request/{film}"))
        .await;
    assert_eq!(v["status"], request_status::APPROVED);
    assert_eq!(v["media"]["status"], media_status::PROCESSING);
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    assert_eq!(q["totalRecords"], 1, "Radarr searched and grabbed: {q}");
    let release = q["records"][0]["title"].as_str().unwrap_or("").to_string();
    assert!(release.starts_with("Dune.Part.Two.2024."), "{release}");
    let hist = api
        .get(Service::Radarr, "/api/v3/history?eventType=1")
        .await;
    assert_eq!(hist["records"][0]["sourceTitle"], release.as_str());
    assert_eq!(
        hist["records"][0]["data"]["releaseSource"],
        "UserInvokedSearch"
    );
    let hash = q["records"][0]["downloadId"]
        .as_str()
        .unwrap_or("")
        .to_lowercase();
    let t = api.qb_torrents(&format!("?hashes={hash}")).await;
    assert_eq!(
        t[0]["name"],
        release.as_str(),
        "the torrent is in qBittorrent"
    );

    let path = format!("/api/v1/request/{series}/approve");
    let a = api
        .call(Service::Jellyseerr, Method::POST, &path, None)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json["seasons"][0]["status"], request_status::APPROVED);
    let q = api.get(Service::Sonarr, "/api/v3/queue/details").await;
    let records = q.as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(records, 9, "Sonarr grabbed the season as one pack: {q}");
    let packs: std::collections::BTreeSet<&str> = q
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["downloadId"].as_str())
        .collect();
    assert_eq!(packs.len(), 1, "one download for the nine episodes");
    assert!(
        titles(&q).iter().all(|t| t.starts_with("Severance.S01.")),
        "{q}"
    );

    // (Compared with the film's own last save: the series was approved
    // in a second of its own when the machine is slow.)
    let before = api
        .get(Service::Jellyseerr, &format!("/api/v1/request/{film}"))
        .await;
    let again = api
        .call(
            Service::Jellyseerr,
            Method::POST,
            &format!("/api/v1/request/{film}/approve"),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(
        again.json["updatedAt"], before["updatedAt"],
        "approving an approved request saves nothing"
    );
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    assert_eq!(q["totalRecords"], 1, "and sends nothing to Radarr again");
    api.stack.shutdown().await;
}

#[tokio::test]
async fn seerr_approve_with_the_arr_down_fails_the_request_right_after_the_200() {
    let api = Api::start().await;
    let w = api.world();
    let (film, series) = film_and_series(&w);
    w.set_mode(Service::Radarr, FailureMode::Refused);
    let path = format!("/api/v1/request/{film}/approve");
    let a = api
        .call(Service::Jellyseerr, Method::POST, &path, None)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(
        a.json["status"],
        request_status::APPROVED,
        "the 200 comes before the hand-off"
    );
    let v = api
        .get(Service::Jellyseerr, &format!("/api/v1/request/{film}"))
        .await;
    assert_eq!(v["status"], request_status::FAILED);
    assert_eq!(
        v["updatedAt"], a.json["updatedAt"],
        "the failure lands in the approval's second"
    );
    assert_eq!(v["media"]["status"], media_status::PROCESSING);
    api.back_up(Service::Radarr).await;
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    assert_eq!(q["totalRecords"], 0, "nothing was grabbed");

    w.set_mode(Service::Sonarr, FailureMode::Status500);
    let path = format!("/api/v1/request/{series}/approve");
    api.call(Service::Jellyseerr, Method::POST, &path, None)
        .await;
    let v = api
        .get(Service::Jellyseerr, &format!("/api/v1/request/{series}"))
        .await;
    assert_eq!(
        v["status"],
        request_status::FAILED,
        "Sonarr answering 500 fails it too"
    );
    w.set_mode(Service::Sonarr, FailureMode::Up);

    let path = format!("/api/v1/request/{film}/retry");
    let a = api
        .call(Service::Jellyseerr, Method::POST, &path, None)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json["status"], request_status::APPROVED);
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    assert_eq!(q["totalRecords"], 1, "a retry hands the film over again");
    api.stack.shutdown().await;
}

#[tokio::test]
async fn seerr_decline_errors_and_the_hand_off_switch() {
    let api = Api::start().await;
    let w = api.world();
    let (film, series) = film_and_series(&w);
    let path = format!("/api/v1/request/{film}/decline");
    let a = api
        .call(Service::Jellyseerr, Method::POST, &path, None)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json["status"], request_status::DECLINED);
    let v = api
        .get(Service::Jellyseerr, &format!("/api/v1/request/{film}"))
        .await;
    assert_eq!(v["media"]["status"], media_status::UNKNOWN);
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    assert_eq!(q["totalRecords"], 0, "a decline sends nothing");

    for path in [
        "/api/v1/request/9999/approve",
        "/api/v1/request/abc/decline",
    ] {
        let a = api
            .call(Service::Jellyseerr, Method::POST, path, None)
            .await;
        assert_eq!(a.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(a.json, json!({"message": "Request not found."}));
    }
    let a = api
        .call(
            Service::Jellyseerr,
            Method::POST,
            &format!("/api/v1/request/{film}/pending"),
            None,
        )
        .await;
    assert_eq!(
        a.status,
        StatusCode::BAD_REQUEST,
        "the spec allows approve and decline only"
    );
    assert_eq!(a.json["errors"][0]["path"], ".params.status");
    let anonymous = answer(api.http.post(api.url(
        Service::Jellyseerr,
        &format!("/api/v1/request/{film}/approve"),
    )))
    .await;
    assert_eq!(anonymous.status, StatusCode::FORBIDDEN);

    w.set_search_grabs(false);
    let path = format!("/api/v1/request/{series}/approve");
    let a = api
        .call(Service::Jellyseerr, Method::POST, &path, None)
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let v = api
        .get(Service::Jellyseerr, &format!("/api/v1/request/{series}"))
        .await;
    assert_eq!(v["status"], request_status::APPROVED, "the hand-off worked");
    let q = api.get(Service::Sonarr, "/api/v3/queue").await;
    assert_eq!(q["totalRecords"], 0, "but the search found nothing");

    w.set_search_grabs(true);
    w.add_movie(ARRIVAL, "Arrival", 2016, false);
    let id = w.request_movie(ARRIVAL, "carol").expect("Arrival is known");
    w.approve(id).expect("the request exists");
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    assert_eq!(
        q["totalRecords"], 0,
        "SimWorld::approve is the story step alone: no hand-off"
    );
    api.stack.shutdown().await;
}

// ----- *arr commands -----

#[tokio::test]
async fn arr_command_statuses_follow_the_real_controller() {
    let api = Api::start().await;
    let w = api.world();
    film_and_series(&w);
    let no_type = answer(
        api.http
            .post(api.url(Service::Radarr, "/api/v3/command"))
            .header("X-Api-Key", SIM_RADARR_API_KEY)
            .body(r#"{"name":"MoviesSearch","movieIds":[1]}"#),
    )
    .await;
    assert_eq!(no_type.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(no_type.json["status"], 415);
    assert_eq!(no_type.json["title"], "Unsupported Media Type");
    assert!(no_type.headers["content-type"]
        .to_str()
        .unwrap_or("")
        .starts_with("application/problem+json"));

    let blank = api.command(Service::Radarr, r#"{"name":"  "}"#).await;
    assert_eq!(blank.status, StatusCode::BAD_REQUEST);
    assert_eq!(blank.json[0]["propertyName"], "Name");
    assert_eq!(blank.json[0]["errorCode"], "NotEmptyValidator");
    assert_eq!(blank.json[0]["errorMessage"], "'Name' must not be empty.");
    let missing = api.command(Service::Radarr, r#"{"movieIds":[1]}"#).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        missing.json.as_array().map(Vec::len),
        Some(2),
        "no name fails NotNull and NotEmpty: {}",
        missing.text
    );
    let empty = api.command(Service::Radarr, "").await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);

    let unknown = api
        .command(Service::Radarr, r#"{"name":"EpisodeSearch"}"#)
        .await;
    assert_eq!(unknown.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        unknown.json["message"],
        "Sequence contains no matching element"
    );
    let typed = api
        .command(Service::Radarr, r#"{"name":"MoviesSearch","movieIds":"7"}"#)
        .await;
    assert_eq!(typed.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        typed.json["message"],
        "The JSON value could not be converted to System.Collections.Generic.List`1[System.Int32]. \
         Path: $.movieIds | LineNumber: 0 | BytePositionInLine: 37."
    );
    let element = api
        .command(
            Service::Sonarr,
            r#"{"name":"EpisodeSearch","episodeIds":[1,"x"]}"#,
        )
        .await;
    assert_eq!(element.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        element.json["message"]
            .as_str()
            .unwrap_or("")
            .contains("System.Int32. Path: $.episodeIds[1]"),
        "{}",
        element.text
    );

    let ok = api
        .command(
            Service::Radarr,
            r#"{"name":"moviessearch","movieIds":[4242]}"#,
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.text);
    assert_eq!(
        ok.json["name"], "MoviesSearch",
        "the type's name, not the client's casing"
    );
    assert_eq!(ok.json["commandName"], "Movies Search");
    assert_eq!(ok.json["status"], "queued");
    assert_eq!(ok.json["trigger"], "manual");
    assert_eq!(ok.json["body"]["movieIds"], json!([4242]));
    assert_eq!(ok.json["body"]["isTypeExclusive"], false);
    let id = ok.json["id"].as_u64().unwrap_or(0);
    let location = ok.headers["location"].to_str().unwrap_or("");
    assert!(
        location.ends_with(&format!("/api/v3/command/{id}")),
        "{location}"
    );
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    assert_eq!(
        q["totalRecords"], 0,
        "an unknown movie id queues and finds nothing"
    );

    let sonarr = api
        .command(
            Service::Sonarr,
            r#"{"name":"SeriesSearch","seriesId":9999}"#,
        )
        .await;
    assert_eq!(sonarr.status, StatusCode::CREATED);
    assert!(
        sonarr.json["body"].get("isTypeExclusive").is_none(),
        "Sonarr's Command has no isTypeExclusive"
    );
    let unauthorized = answer(
        api.http
            .post(api.url(Service::Sonarr, "/api/v3/command"))
            .header("Content-Type", "application/json")
            .body(r#"{"name":"SeriesSearch","seriesId":1}"#),
    )
    .await;
    assert_eq!(unauthorized.status, StatusCode::UNAUTHORIZED);
    api.stack.shutdown().await;
}

#[tokio::test]
async fn radarr_movies_search_grabs_what_is_wanted_only() {
    let api = Api::start().await;
    let w = api.world();
    film_and_series(&w);
    w.add_movie(ARRIVAL, "Arrival", 2016, false);
    let hash = h(1);
    w.grab_movie(
        ARRIVAL,
        &hash,
        "Arrival.2016.1080p.BluRay.x264-SPARKS",
        9 * GB,
    )
    .expect("Arrival is known");
    w.import(&hash).expect("the download exists");
    let movies = api.get(Service::Radarr, "/api/v3/movie").await;
    let ids: Vec<u64> = movies
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["id"].as_u64())
        .collect();
    let body = json!({"name": "MoviesSearch", "movieIds": ids}).to_string();
    assert_eq!(
        api.command(Service::Radarr, &body).await.status,
        StatusCode::CREATED
    );
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    assert_eq!(
        q["totalRecords"], 1,
        "Arrival has its file; Dune is grabbed: {q}"
    );
    api.command(Service::Radarr, &body).await;
    let q = api.get(Service::Radarr, "/api/v3/queue").await;
    assert_eq!(
        q["totalRecords"], 1,
        "a film in the queue is not grabbed twice"
    );
    api.stack.shutdown().await;
}

#[tokio::test]
async fn sonarr_searches_grab_packs_single_episodes_and_only_aired_ones() {
    let api = Api::start().await;
    let w = api.world();
    film_and_series(&w);
    let today = chrono::Utc::now().date_naive();
    w.add_series(
        424_536,
        209_867,
        "Frieren",
        2023,
        true,
        &[(1, 6, today - chrono::Duration::weeks(3))],
    );
    let series = api.get(Service::Sonarr, "/api/v3/series").await;
    let id_of = |title: &str| {
        series
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["title"] == title)
            .and_then(|s| s["id"].as_u64())
            .unwrap_or(0)
    };
    let (severance, frieren) = (id_of("Severance"), id_of("Frieren"));

    let eps = api
        .get(
            Service::Sonarr,
            &format!("/api/v3/episode?seriesId={severance}"),
        )
        .await;
    let first = eps[0]["id"].as_u64().unwrap_or(0);
    assert!(eps[0]["airDateUtc"].is_string() && eps[0]["hasFile"] == false);
    let a = api
        .command(
            Service::Sonarr,
            &json!({"name": "EpisodeSearch", "episodeIds": [first]}).to_string(),
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.json["commandName"], "Episode Search");
    let q = api
        .get(
            Service::Sonarr,
            &format!("/api/v3/queue?seriesIds={severance}"),
        )
        .await;
    assert_eq!(q["totalRecords"], 1);
    assert!(
        titles(&q["records"])[0].starts_with("Severance.S01E01."),
        "{q}"
    );

    let season = json!({"name": "SeasonSearch", "seriesId": severance, "seasonNumber": 1});
    api.command(Service::Sonarr, &season.to_string()).await;
    let q = api
        .get(
            Service::Sonarr,
            &format!("/api/v3/queue?seriesIds={severance}&pageSize=50"),
        )
        .await;
    assert_eq!(
        q["totalRecords"], 9,
        "episodes 2-9 come as single releases, episode 1 being in the queue: {q}"
    );

    let all = json!({"name": "SeriesSearch", "seriesId": frieren});
    api.command(Service::Sonarr, &all.to_string()).await;
    let q = api
        .get(
            Service::Sonarr,
            &format!("/api/v3/queue?seriesIds={frieren}&pageSize=50"),
        )
        .await;
    assert_eq!(
        q["totalRecords"], 4,
        "the four aired episodes of an airing season, one release each: {q}"
    );
    let other = api
        .get(
            Service::Sonarr,
            &format!("/api/v3/queue?seriesIds={}", severance + frieren),
        )
        .await;
    assert_eq!(
        other["totalRecords"], 0,
        "seriesIds filters the paged queue"
    );
    api.stack.shutdown().await;
}

// ----- the acting log and the filters -----

#[tokio::test]
async fn acts_log_records_every_call_but_gets_and_the_other_services() {
    let api = Api::start().await;
    let w = api.world();
    let (film, _) = film_and_series(&w);
    api.get(Service::Radarr, "/api/v3/queue").await;
    api.qb_torrents("").await;
    let path = format!("/api/v1/request/{film}/approve");
    api.call(Service::Jellyseerr, Method::POST, &path, None)
        .await;
    let body = r#"{"name":"MoviesSearch","movieIds":[1]}"#;
    api.command(Service::Radarr, body).await;
    api.call(
        Service::Sonarr,
        Method::DELETE,
        "/api/v3/queue/77?removeFromClient=true&blocklist=true",
        None,
    )
    .await;
    w.set_mode(Service::Radarr, FailureMode::Status500);
    api.command(Service::Radarr, body).await;
    let acts = w.acts();
    let seen: Vec<(Service, &str, &str, Option<&str>, u16)> = acts
        .iter()
        .map(|a| {
            (
                a.service,
                a.method.as_str(),
                a.path.as_str(),
                a.query.as_deref(),
                a.status,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (Service::Jellyseerr, "POST", path.as_str(), None, 200),
            (Service::Radarr, "POST", "/api/v3/command", None, 201),
            (
                Service::Sonarr,
                "DELETE",
                "/api/v3/queue/77",
                Some("removeFromClient=true&blocklist=true"),
                404
            ),
            (Service::Radarr, "POST", "/api/v3/command", None, 500),
        ]
    );
    assert_eq!(acts[1].body, body);
    assert_eq!(acts[1].content_type.as_deref(), Some("application/json"));
    assert_eq!(acts[0].body, "");
    w.clear_acts();
    assert!(w.acts().is_empty());
    api.stack.shutdown().await;
}

#[tokio::test]
async fn get_filters_a_client_acting_needs() {
    let api = Api::start().await;
    let w = api.world();
    film_and_series(&w);
    let series = api
        .get(
            Service::Sonarr,
            &format!("/api/v3/series?tvdbId={SEVERANCE_TVDB}"),
        )
        .await;
    assert_eq!(series.as_array().map(Vec::len), Some(1));
    assert_eq!(
        api.get(Service::Sonarr, "/api/v3/series?tvdbId=1").await,
        json!([])
    );
    let id = series[0]["id"].as_u64().unwrap_or(0);
    let eps = api
        .get(Service::Sonarr, &format!("/api/v3/episode?seriesId={id}"))
        .await;
    for field in ["hasFile", "monitored", "airDateUtc", "id", "seasonNumber"] {
        assert!(eps[0].get(field).is_some(), "episodes carry {field}");
    }
    let (a, b) = (h(0xa1), h(0xb2));
    w.grab_episodes(
        SEVERANCE_TVDB,
        &[(1, 1)],
        &a,
        "Severance.S01E01.1080p-NTb",
        GB,
    )
    .expect("Severance is known");
    w.grab_episodes(
        SEVERANCE_TVDB,
        &[(1, 2)],
        &b,
        "Severance.S01E02.1080p-NTb",
        GB,
    )
    .expect("Severance is known");
    let t = api
        .qb_torrents(&format!("?hashes={}|{}", a.to_uppercase(), b))
        .await;
    assert_eq!(t.as_array().map(Vec::len), Some(2), "hashes=a|b, any case");
    let hist = api
        .get(
            Service::Sonarr,
            &format!("/api/v3/history/series?seriesId={id}"),
        )
        .await;
    assert_eq!(events(&hist), ["grabbed", "grabbed"]);
    api.stack.shutdown().await;
}
