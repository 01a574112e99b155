//! Radarr and Sonarr (`/api/v3`): one router, two flavours.
//!
//! Shaped like `radarr/queue.ruddarr.json`, `radarr/history.ruddarr.json`,
//! `sonarr/queue-season-pack.homeassistant.json` and
//! `sonarr/episodes.ruddarr.json`: camelCase, enums as camelCase strings,
//! **null fields omitted**, `pageSize` defaulting to 10, and one Sonarr queue
//! record per episode of a season pack.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use super::server::{flag, json_ok, json_response, param, params, text};
use super::world::{
    arr_date, ArrState, Download, Episode, HistoryEvent, HistoryRecord, MediaFile, Movie, Series,
    Target, World, DOWNLOADS, INDEXER, MOVIES_ROOT, TV_ROOT,
};
use super::{FailureMode, Service, SimWorld, SIM_RADARR_API_KEY, SIM_SONARR_API_KEY};
use crate::ArrApp;

type Q = Query<Vec<(String, String)>>;

#[derive(Clone)]
struct Arr {
    world: SimWorld,
    app: ArrApp,
}

impl Arr {
    fn service(&self) -> Service {
        if self.app.is_sonarr() {
            Service::Sonarr
        } else {
            Service::Radarr
        }
    }

    /// `X-Api-Key`, `?apikey=` or `Authorization: Bearer`; else 401.
    fn authorized(&self, headers: &HeaderMap, query: &[(String, String)]) -> bool {
        if self.world.mode(self.service()) == FailureMode::Unauthorized {
            return false;
        }
        let key = if self.app.is_sonarr() {
            SIM_SONARR_API_KEY
        } else {
            SIM_RADARR_API_KEY
        };
        let header = headers.get("x-api-key").and_then(|v| v.to_str().ok());
        let bearer = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        match param(query, "apikey") {
            Some(q) => q == key,
            None => header.or(bearer) == Some(key),
        }
    }
}

fn unauthorized() -> Response {
    text(StatusCode::UNAUTHORIZED, "")
}

fn not_found() -> Response {
    json_response(StatusCode::NOT_FOUND, &json!({"message": "NotFound"}))
}

fn bad_request(message: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({"message": message}))
}

pub(crate) fn router(world: SimWorld, app: ArrApp) -> Router {
    let state = Arr { world, app };
    let common = Router::new()
        .route("/ping", get(ping))
        .route("/api/v3/system/status", get(system_status))
        .route("/api/v3/queue", get(queue))
        .route("/api/v3/queue/details", get(queue_details))
        .route("/api/v3/history", get(history))
        .route("/api/v3/history/since", get(history_since))
        .route("/api/v3/mediacover/{id}/{file}", get(media_cover))
        .route("/api/v3/tag", get(tags));
    let specific = if app.is_sonarr() {
        common
            .route("/api/v3/series", get(all_series))
            .route("/api/v3/series/{id}", get(one_series))
            .route("/api/v3/episode", get(episodes))
            .route("/api/v3/episodefile", get(episode_files))
            .route("/api/v3/history/series", get(history_of_media))
    } else {
        common
            .route("/api/v3/movie", get(all_movies))
            .route("/api/v3/movie/{id}", get(one_movie))
            .route("/api/v3/moviefile", get(movie_files))
            .route("/api/v3/history/movie", get(history_of_media))
    };
    specific.fallback(fallback).with_state(state)
}

async fn fallback() -> Response {
    not_found()
}

/// `GET /api/v3/mediacover/{movieId|seriesId}/{poster.jpg|poster-500.jpg|poster-250.jpg}`
/// (API key required): the cover the *arr keeps for that movie or series;
/// 404 for an unknown id or file. (Sonarr's art comes from TVDB, so it is
/// another picture than Seerr's TMDB poster.)
async fn media_cover(
    State(arr): State<Arr>,
    headers: HeaderMap,
    Path((id, file)): Path<(String, String)>,
    Query(q): Q,
) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    if !matches!(
        file.as_str(),
        "poster.jpg" | "poster-500.jpg" | "poster-250.jpg"
    ) {
        return not_found();
    }
    let seed = arr.world.with(|w| {
        if arr.app.is_sonarr() {
            w.series
                .values()
                .find(|s| s.sonarr_id == id)
                .map(|s| s.tvdb_id * 7 + 1)
        } else {
            w.movies
                .values()
                .find(|m| m.radarr_id == id)
                .map(|m| m.tmdb_id * 100)
        }
    });
    match seed {
        Some(seed) => super::posters::png_response(seed),
        None => not_found(),
    }
}

async fn ping() -> Response {
    json_ok(&json!({"status": "OK"}))
}

async fn system_status(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let (name, version, data) = if arr.app.is_sonarr() {
        ("Sonarr", "4.0.19.2979", "/config")
    } else {
        ("Radarr", "5.2.6.8376", "/config")
    };
    json_ok(&json!({
        "appData": data,
        "appName": name,
        "authentication": "forms",
        "branch": if arr.app.is_sonarr() { "main" } else { "master" },
        "buildTime": "2024-10-01T12:00:00Z",
        "databaseType": "sqLite",
        "databaseVersion": "3.45.3",
        "instanceName": name,
        "isAdmin": false,
        "isDebug": false,
        "isDocker": true,
        "isLinux": true,
        "isNetCore": true,
        "isOsx": false,
        "isProduction": true,
        "isUserInteractive": false,
        "isWindows": false,
        "migrationVersion": 233,
        "mode": "console",
        "osName": "debian",
        "osVersion": "12",
        "packageUpdateMechanism": "docker",
        "runtimeName": "netcore",
        "runtimeVersion": "6.0.25",
        "startTime": arr_date(Utc::now() - chrono::Duration::hours(5)),
        "startupPath": format!("/app/{}/bin", name.to_lowercase()),
        "urlBase": "",
        "version": version
    }))
}

// ----- queue -----

fn languages() -> Value {
    json!([{"id": 1, "name": "English"}])
}

fn quality(title: &str, app: ArrApp) -> Value {
    let (id, name, resolution) = if title.contains("2160p") {
        (18, "WEBDL-2160p", 2160)
    } else if title.contains("720p") {
        (5, "WEBDL-720p", 720)
    } else {
        (3, "WEBDL-1080p", 1080)
    };
    let mut q = json!({"id": id, "name": name, "source": if app.is_sonarr() { "web" } else { "webdl" }, "resolution": resolution});
    if !app.is_sonarr() {
        if let Some(o) = q.as_object_mut() {
            o.insert("modifier".into(), json!("none"));
        }
    }
    json!({"quality": q, "revision": {"version": 1, "real": 0, "isRepack": false}})
}

/// .NET `TimeSpan.ToString()`: `hh:mm:ss`, or `d.hh:mm:ss` past a day.
pub(crate) fn timespan(secs: u64) -> String {
    let (d, rem) = (secs / 86_400, secs % 86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    if d > 0 {
        format!("{d}.{h:02}:{m:02}:{s:02}")
    } else {
        format!("{h:02}:{m:02}:{s:02}")
    }
}

/// Radarr's `HashConverter.GetHashInt31` stand-in: a stable positive id.
fn hash_int31(s: &str) -> u64 {
    let mut h: u32 = 0x811c_9dc5;
    for b in s.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    u64::from(h & 0x7fff_ffff)
}

/// The queue `status` the *arr derives from a qBittorrent state (docs/services.md,
/// "qBittorrent › Torrent states"), and
/// the client message that goes with it.
fn client_status(state: &str) -> (&'static str, Option<&'static str>) {
    match state {
        "error" => ("warning", Some("qBittorrent is reporting an error")),
        "missingFiles" => ("warning", Some("The download is missing files")),
        "uploading" | "stalledUP" | "queuedUP" | "forcedUP" | "pausedUP" | "stoppedUP" => {
            ("completed", None)
        }
        "checkingUP" | "queuedDL" | "checkingDL" | "checkingResumeData" | "metaDL"
        | "forcedMetaDL" => ("queued", None),
        "pausedDL" | "stoppedDL" => ("paused", None),
        "stalledDL" => (
            "warning",
            Some("The download is stalled with no connections"),
        ),
        _ => ("downloading", None),
    }
}

/// Queue records for one download: one for a film, one per episode for a
/// series (same downloadId, title, size and sizeleft).
fn queue_records(
    w: &World,
    d: &Download,
    app: ArrApp,
    q: &[(String, String)],
    now: DateTime<Utc>,
) -> Vec<(Option<u64>, Value)> {
    let (mut status, client_msg) = client_status(&d.state);
    let mut tracked_status = "ok";
    let mut tracked_state = "downloading";
    let mut messages: Vec<Value> = Vec::new();
    let mut error_message = client_msg.map(str::to_string);
    match &d.arr {
        ArrState::ImportBlocked(msg) => {
            status = "completed";
            tracked_status = "warning";
            tracked_state = "importBlocked";
            messages.push(json!({"title": d.name, "messages": [msg]}));
        }
        ArrState::Failed(msg) => {
            status = "failed";
            tracked_status = "error";
            tracked_state = "failedPending";
            error_message = Some(msg.clone());
            messages.push(json!({"title": d.name, "messages": [msg]}));
        }
        ArrState::Importing => {
            status = "completed";
            tracked_state = "importing";
        }
        _ => {}
    }
    let sizeleft = d.amount_left();
    let timeleft = if d.is_complete() || status == "completed" {
        Some(0)
    } else if d.dlspeed > 0 && status == "downloading" {
        Some(sizeleft / d.dlspeed)
    } else {
        None
    };
    let mut base = Map::new();
    base.insert("languages".into(), languages());
    base.insert("quality".into(), quality(&d.name, app));
    base.insert("customFormats".into(), json!([]));
    base.insert("customFormatScore".into(), json!(0));
    base.insert("size".into(), json!(d.size));
    base.insert("title".into(), json!(d.name));
    base.insert("sizeleft".into(), json!(sizeleft));
    if let Some(t) = timeleft {
        base.insert("timeleft".into(), json!(timespan(t)));
        base.insert(
            "estimatedCompletionTime".into(),
            json!(arr_date(now + chrono::Duration::seconds(t as i64))),
        );
    }
    base.insert("added".into(), json!(arr_date(d.added)));
    base.insert("status".into(), json!(status));
    base.insert("trackedDownloadStatus".into(), json!(tracked_status));
    base.insert("trackedDownloadState".into(), json!(tracked_state));
    base.insert("statusMessages".into(), json!(messages));
    if let Some(m) = error_message {
        base.insert("errorMessage".into(), json!(m));
    }
    base.insert("downloadId".into(), json!(d.upper_hash()));
    base.insert("protocol".into(), json!("torrent"));
    base.insert("downloadClient".into(), json!("qBittorrent"));
    base.insert("downloadClientHasPostImportCategory".into(), json!(false));
    base.insert("indexer".into(), json!(INDEXER));
    base.insert(
        "outputPath".into(),
        json!(format!("{DOWNLOADS}/{}", d.name)),
    );
    let key = format!("trackedDownload-1-{}", d.upper_hash());
    match (&d.target, app) {
        (Target::Movie { tmdb_id }, ArrApp::Radarr) => {
            let Some(m) = w.movies.get(tmdb_id) else {
                return Vec::new();
            };
            let mut r = base;
            r.insert("movieId".into(), json!(m.radarr_id));
            if flag(q, "includeMovie") == Some(true) {
                r.insert("movie".into(), movie_json(m));
            }
            r.insert("id".into(), json!(hash_int31(&key)));
            vec![(timeleft, Value::Object(r))]
        }
        (Target::Episodes { tvdb_id, episodes }, ArrApp::Sonarr) => {
            let Some(s) = w.series.get(tvdb_id) else {
                return Vec::new();
            };
            episodes
                .iter()
                .filter_map(|(season, n)| s.episode(*season, *n))
                .map(|e| {
                    let mut r = base.clone();
                    r.insert("episodeHasFile".into(), json!(e.file.is_some()));
                    r.insert("seriesId".into(), json!(s.sonarr_id));
                    r.insert("episodeId".into(), json!(e.id));
                    r.insert("seasonNumber".into(), json!(e.season));
                    if flag(q, "includeSeries") == Some(true) {
                        r.insert("series".into(), series_json(s, now.date_naive()));
                    }
                    if flag(q, "includeEpisode") == Some(true) {
                        r.insert("episode".into(), episode_json(s, e, false));
                    }
                    r.insert("id".into(), json!(hash_int31(&format!("{key}-ep{}", e.id))));
                    (timeleft, Value::Object(r))
                })
                .collect()
        }
        _ => Vec::new(),
    }
}

fn all_queue_records(w: &World, app: ArrApp, q: &[(String, String)]) -> Vec<(Option<u64>, Value)> {
    let now = Utc::now();
    w.downloads
        .values()
        .filter(|d| d.in_client || matches!(d.arr, ArrState::Failed(_)))
        .filter(|d| {
            matches!(
                d.arr,
                ArrState::Tracking
                    | ArrState::ImportBlocked(_)
                    | ArrState::Failed(_)
                    | ArrState::Importing
            )
        })
        .flat_map(|d| queue_records(w, d, app, q, now))
        .collect()
}

struct Paging {
    page: usize,
    page_size: usize,
    sort_key: String,
    descending: bool,
}

fn paging(q: &[(String, String)], default_key: &str, default_desc: bool) -> Paging {
    let page = param(q, "page")
        .and_then(|v| v.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let page_size = param(q, "pageSize")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let sort_key = param(q, "sortKey").unwrap_or(default_key).to_string();
    let descending = match param(q, "sortDirection") {
        Some("descending") => true,
        Some("ascending") => false,
        _ => default_desc,
    };
    Paging {
        page,
        page_size,
        sort_key,
        descending,
    }
}

fn paged(p: &Paging, records: Vec<Value>) -> Response {
    let total = records.len();
    let page: Vec<Value> = records
        .into_iter()
        .skip(p.start())
        .take(p.page_size)
        .collect();
    paged_response(p, total, page)
}

impl Paging {
    fn start(&self) -> usize {
        (self.page - 1).saturating_mul(self.page_size)
    }
}

fn paged_response(p: &Paging, total: usize, page: Vec<Value>) -> Response {
    json_ok(&json!({
        "page": p.page,
        "pageSize": p.page_size,
        "sortKey": p.sort_key,
        "sortDirection": if p.descending { "descending" } else { "ascending" },
        "totalRecords": total,
        "records": page
    }))
}

async fn queue(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let p = paging(&q, "timeleft", false);
    let mut records = arr.world.with(|w| all_queue_records(w, arr.app, &q));
    let text_key = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    match p.sort_key.as_str() {
        "added" => records.sort_by_key(|(_, v)| text_key(v, "added")),
        "title" => records.sort_by_key(|(_, v)| text_key(v, "title")),
        "size" => records.sort_by_key(|(_, v)| v.get("size").and_then(Value::as_u64).unwrap_or(0)),
        _ => records.sort_by_key(|(t, v)| {
            (
                t.unwrap_or(u64::MAX),
                v.get("id").and_then(Value::as_u64).unwrap_or(0),
            )
        }),
    }
    if p.descending {
        records.reverse();
    }
    paged(&p, records.into_iter().map(|(_, v)| v).collect())
}

async fn queue_details(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let records: Vec<Value> = arr
        .world
        .with(|w| all_queue_records(w, arr.app, &q))
        .into_iter()
        .map(|(_, v)| v)
        .filter(|v| {
            let by = |key: &str, field: &str| {
                param(&q, key).is_none_or(|want| {
                    v.get(field)
                        .and_then(Value::as_u64)
                        .map(|x| x.to_string())
                        .as_deref()
                        == Some(want)
                })
            };
            by("movieId", "movieId") && by("seriesId", "seriesId")
        })
        .collect();
    json_ok(&Value::Array(records))
}

// ----- history -----

fn history_json(w: &World, r: &HistoryRecord, app: ArrApp, q: &[(String, String)]) -> Value {
    let mut o = Map::new();
    if app.is_sonarr() {
        if let Some(e) = r.episode_id {
            o.insert("episodeId".into(), json!(e));
        }
        o.insert("seriesId".into(), json!(r.media_id));
    } else {
        o.insert("movieId".into(), json!(r.media_id));
    }
    o.insert("sourceTitle".into(), json!(r.source_title));
    o.insert("languages".into(), languages());
    o.insert("quality".into(), quality(&r.source_title, app));
    o.insert("customFormats".into(), json!([]));
    o.insert("customFormatScore".into(), json!(0));
    o.insert("qualityCutoffNotMet".into(), json!(false));
    o.insert("date".into(), json!(arr_date(r.date)));
    if let Some(d) = &r.download_id {
        o.insert("downloadId".into(), json!(d));
    }
    o.insert("eventType".into(), json!(r.event.name(app)));
    o.insert("data".into(), json!(r.data));
    if app.is_sonarr() {
        let series = w.series.values().find(|s| s.sonarr_id == r.media_id);
        if flag(q, "includeSeries") == Some(true) {
            if let Some(s) = series {
                o.insert("series".into(), series_json(s, Utc::now().date_naive()));
            }
        }
        if flag(q, "includeEpisode") == Some(true) {
            if let Some((s, e)) = series.and_then(|s| {
                s.episodes
                    .iter()
                    .find(|e| Some(e.id) == r.episode_id)
                    .map(|e| (s, e))
            }) {
                o.insert("episode".into(), episode_json(s, e, false));
            }
        }
    } else if flag(q, "includeMovie") == Some(true) {
        if let Some(m) = w.movies.values().find(|m| m.radarr_id == r.media_id) {
            o.insert("movie".into(), movie_json(m));
        }
    }
    o.insert("id".into(), json!(r.id));
    Value::Object(o)
}

/// Accepts an event type as its integer or its camelCase name.
fn event_matches(event: HistoryEvent, app: ArrApp, wanted: &str) -> bool {
    wanted == event.number(app).to_string() || wanted.eq_ignore_ascii_case(event.name(app))
}

fn history_list(w: &World, app: ArrApp) -> &[HistoryRecord] {
    if app.is_sonarr() {
        &w.sonarr_history
    } else {
        &w.radarr_history
    }
}

async fn history(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let p = paging(&q, "date", true);
    let app = arr.app;
    let events = params(&q, "eventType");
    let media_ids: Vec<u64> = params(
        &q,
        if app.is_sonarr() {
            "seriesIds"
        } else {
            "movieIds"
        },
    )
    .iter()
    .filter_map(|v| v.parse().ok())
    .collect();
    let episode_id = param(&q, "episodeId").and_then(|v| v.parse::<u64>().ok());
    let download_id = param(&q, "downloadId");
    let records = arr.world.with(|w| {
        let mut rows: Vec<&HistoryRecord> = history_list(w, app)
            .iter()
            .filter(|r| events.is_empty() || events.iter().any(|e| event_matches(r.event, app, e)))
            .filter(|r| media_ids.is_empty() || media_ids.contains(&r.media_id))
            .filter(|r| episode_id.is_none() || r.episode_id == episode_id)
            .filter(|r| download_id.is_none() || r.download_id.as_deref() == download_id)
            .collect();
        rows.sort_by_key(|r| (r.date, r.id));
        if p.descending {
            rows.reverse();
        }
        let total = rows.len();
        let page = rows
            .into_iter()
            .skip(p.start())
            .take(p.page_size)
            .map(|r| history_json(w, r, app, &q))
            .collect::<Vec<_>>();
        (total, page)
    });
    paged_response(&p, records.0, records.1)
}

fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
                .ok()
                .map(|n| n.and_utc())
        })
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|n| n.and_utc())
        })
}

async fn history_since(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let Some(since) = param(&q, "date").and_then(parse_date) else {
        return bad_request("date is required");
    };
    let app = arr.app;
    let event = param(&q, "eventType");
    let records = arr.world.with(|w| {
        let mut rows: Vec<&HistoryRecord> = history_list(w, app)
            .iter()
            .filter(|r| r.date >= since)
            .filter(|r| event.is_none_or(|e| event_matches(r.event, app, e)))
            .collect();
        rows.sort_by_key(|r| (r.date, r.id));
        rows.into_iter()
            .map(|r| history_json(w, r, app, &q))
            .collect::<Vec<_>>()
    });
    json_ok(&Value::Array(records))
}

async fn history_of_media(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let app = arr.app;
    let key = if app.is_sonarr() {
        "seriesId"
    } else {
        "movieId"
    };
    let Some(id) = param(&q, key).and_then(|v| v.parse::<u64>().ok()) else {
        return bad_request(&format!("{key} is required"));
    };
    let season = param(&q, "seasonNumber").and_then(|v| v.parse::<u32>().ok());
    let event = param(&q, "eventType");
    let records = arr.world.with(|w| {
        let season_eps: Option<Vec<u64>> = season.map(|n| {
            w.series
                .values()
                .filter(|s| s.sonarr_id == id)
                .flat_map(|s| s.episodes.iter().filter(|e| e.season == n).map(|e| e.id))
                .collect()
        });
        let mut rows: Vec<&HistoryRecord> = history_list(w, app)
            .iter()
            .filter(|r| r.media_id == id)
            .filter(|r| event.is_none_or(|e| event_matches(r.event, app, e)))
            .filter(|r| {
                season_eps
                    .as_ref()
                    .is_none_or(|eps| r.episode_id.is_some_and(|e| eps.contains(&e)))
            })
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse((r.date, r.id)));
        rows.into_iter()
            .map(|r| history_json(w, r, app, &q))
            .collect::<Vec<_>>()
    });
    json_ok(&Value::Array(records))
}

async fn tags(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    json_ok(&json!([{"id": 1, "label": "anime"}, {"id": 2, "label": "family"}]))
}

// ----- Radarr library -----

fn file_json(
    f: &MediaFile,
    owner_key: &str,
    owner_id: u64,
    app: ArrApp,
    season: Option<u32>,
) -> Value {
    let mut o = Map::new();
    o.insert(owner_key.into(), json!(owner_id));
    if let Some(s) = season {
        o.insert("seasonNumber".into(), json!(s));
    }
    o.insert("relativePath".into(), json!(f.relative_path));
    o.insert("path".into(), json!(f.path));
    o.insert("size".into(), json!(f.size));
    o.insert("dateAdded".into(), json!(arr_date(f.date_added)));
    o.insert("sceneName".into(), json!(f.scene_name));
    o.insert("releaseGroup".into(), json!(f.release_group));
    o.insert("languages".into(), languages());
    o.insert("quality".into(), quality(&f.scene_name, app));
    o.insert("customFormats".into(), json!([]));
    o.insert("customFormatScore".into(), json!(0));
    o.insert("indexerFlags".into(), json!(0));
    if app.is_sonarr() {
        o.insert("releaseType".into(), json!("singleEpisode"));
    }
    o.insert("qualityCutoffNotMet".into(), json!(false));
    o.insert("id".into(), json!(f.id));
    Value::Object(o)
}

fn clean_title(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

fn movie_json(m: &Movie) -> Value {
    let size = m.file.as_ref().map(|f| f.size).unwrap_or(0);
    let mut o = Map::new();
    o.insert("title".into(), json!(m.title));
    o.insert("originalTitle".into(), json!(m.title));
    o.insert("sortTitle".into(), json!(m.title.to_lowercase()));
    o.insert("sizeOnDisk".into(), json!(size));
    o.insert("status".into(), json!("released"));
    o.insert(
        "overview".into(),
        json!(format!("{} ({}), a simulated film.", m.title, m.year)),
    );
    o.insert("images".into(), json!([]));
    o.insert("year".into(), json!(m.year));
    o.insert("path".into(), json!(m.path()));
    o.insert("qualityProfileId".into(), json!(1));
    o.insert("hasFile".into(), json!(m.file.is_some()));
    o.insert(
        "movieFileId".into(),
        json!(m.file.as_ref().map(|f| f.id).unwrap_or(0)),
    );
    o.insert("monitored".into(), json!(true));
    o.insert("minimumAvailability".into(), json!("released"));
    o.insert("isAvailable".into(), json!(true));
    o.insert("folderName".into(), json!(m.path()));
    o.insert("runtime".into(), json!(110));
    o.insert("cleanTitle".into(), json!(clean_title(&m.title)));
    o.insert("imdbId".into(), json!(m.imdb_id));
    o.insert("tmdbId".into(), json!(m.tmdb_id));
    o.insert("titleSlug".into(), json!(m.tmdb_id.to_string()));
    o.insert("rootFolderPath".into(), json!(MOVIES_ROOT));
    o.insert(
        "genres".into(),
        json!(if m.anime {
            vec!["Animation"]
        } else {
            vec!["Drama"]
        }),
    );
    o.insert(
        "tags".into(),
        json!(if m.anime { vec![1] } else { Vec::<u64>::new() }),
    );
    o.insert("added".into(), json!(arr_date(m.added)));
    if let Some(f) = &m.file {
        o.insert(
            "movieFile".into(),
            file_json(f, "movieId", m.radarr_id, ArrApp::Radarr, None),
        );
    }
    o.insert(
        "statistics".into(),
        json!({
            "movieFileCount": usize::from(m.file.is_some()),
            "sizeOnDisk": size,
            "releaseGroups": m.file.as_ref().map(|f| vec![f.release_group.clone()]).unwrap_or_default()
        }),
    );
    o.insert("id".into(), json!(m.radarr_id));
    Value::Object(o)
}

async fn all_movies(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let tmdb = param(&q, "tmdbId").and_then(|v| v.parse::<u64>().ok());
    let list = arr.world.with(|w| {
        let mut movies: Vec<&Movie> = w
            .movies
            .values()
            .filter(|m| tmdb.is_none_or(|t| m.tmdb_id == t))
            .collect();
        movies.sort_by_key(|m| m.radarr_id);
        movies.into_iter().map(movie_json).collect::<Vec<_>>()
    });
    json_ok(&Value::Array(list))
}

async fn one_movie(
    State(arr): State<Arr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    arr.world
        .with(|w| match w.movies.values().find(|m| m.radarr_id == id) {
            Some(m) => json_ok(&movie_json(m)),
            None => not_found(),
        })
}

async fn movie_files(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let ids: Vec<u64> = params(&q, "movieId")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let list = arr.world.with(|w| {
        w.movies
            .values()
            .filter(|m| ids.contains(&m.radarr_id))
            .filter_map(|m| {
                m.file
                    .as_ref()
                    .map(|f| file_json(f, "movieId", m.radarr_id, ArrApp::Radarr, None))
            })
            .collect::<Vec<_>>()
    });
    json_ok(&Value::Array(list))
}

// ----- Sonarr library -----

fn air_utc(d: NaiveDate) -> String {
    format!("{d}T20:00:00Z")
}

fn episode_json(s: &Series, e: &Episode, include_file: bool) -> Value {
    let mut o = Map::new();
    o.insert("seriesId".into(), json!(s.sonarr_id));
    o.insert("tvdbId".into(), json!(e.tvdb_id));
    o.insert(
        "episodeFileId".into(),
        json!(e.file.as_ref().map(|f| f.id).unwrap_or(0)),
    );
    if include_file {
        if let Some(f) = &e.file {
            o.insert(
                "episodeFile".into(),
                file_json(f, "seriesId", s.sonarr_id, ArrApp::Sonarr, Some(e.season)),
            );
        }
    }
    o.insert("seasonNumber".into(), json!(e.season));
    o.insert("episodeNumber".into(), json!(e.number));
    o.insert("title".into(), json!(e.title));
    if let Some(d) = e.air_date {
        o.insert("airDate".into(), json!(d.to_string()));
        o.insert("airDateUtc".into(), json!(air_utc(d)));
    }
    o.insert("runtime".into(), json!(24));
    o.insert("hasFile".into(), json!(e.file.is_some()));
    o.insert("monitored".into(), json!(e.monitored));
    if let Some(a) = e.absolute {
        o.insert("absoluteEpisodeNumber".into(), json!(a));
    }
    o.insert("unverifiedSceneNumbering".into(), json!(false));
    o.insert("grabbed".into(), json!(false));
    o.insert("id".into(), json!(e.id));
    Value::Object(o)
}

fn stats<'a>(eps: impl Iterator<Item = &'a Episode>, today: NaiveDate) -> Map<String, Value> {
    let eps: Vec<&Episode> = eps.collect();
    let files = eps.iter().filter(|e| e.file.is_some()).count();
    let counted = eps
        .iter()
        .filter(|e| e.file.is_some() || (e.monitored && e.air_date.is_some_and(|d| d <= today)))
        .count();
    let size: u64 = eps
        .iter()
        .filter_map(|e| e.file.as_ref().map(|f| f.size))
        .sum();
    let mut groups: Vec<String> = eps
        .iter()
        .filter_map(|e| e.file.as_ref().map(|f| f.release_group.clone()))
        .collect();
    groups.sort();
    groups.dedup();
    let mut o = Map::new();
    if let Some(next) = eps
        .iter()
        .filter_map(|e| e.air_date)
        .filter(|d| *d > today)
        .min()
    {
        o.insert("nextAiring".into(), json!(air_utc(next)));
    }
    if let Some(prev) = eps
        .iter()
        .filter_map(|e| e.air_date)
        .filter(|d| *d <= today)
        .max()
    {
        o.insert("previousAiring".into(), json!(air_utc(prev)));
    }
    o.insert("episodeFileCount".into(), json!(files));
    o.insert("episodeCount".into(), json!(counted));
    o.insert("totalEpisodeCount".into(), json!(eps.len()));
    o.insert("sizeOnDisk".into(), json!(size));
    o.insert("releaseGroups".into(), json!(groups));
    let pct = if counted == 0 {
        0.0
    } else {
        files as f64 * 100.0 / counted as f64
    };
    o.insert("percentOfEpisodes".into(), json!(pct));
    o
}

fn series_json(s: &Series, today: NaiveDate) -> Value {
    let airing = s.is_airing(today);
    let seasons: Vec<Value> = s
        .seasons
        .iter()
        .map(|def| {
            json!({
                "seasonNumber": def.number,
                "monitored": def.number > 0,
                "statistics": stats(s.episodes.iter().filter(|e| e.season == def.number), today)
            })
        })
        .collect();
    let mut series_stats = stats(s.episodes.iter().filter(|e| e.season > 0), today);
    series_stats.remove("nextAiring");
    series_stats.remove("previousAiring");
    series_stats.insert(
        "seasonCount".into(),
        json!(s.seasons.iter().filter(|d| d.number > 0).count()),
    );
    let mut o = Map::new();
    o.insert("title".into(), json!(s.title));
    o.insert("sortTitle".into(), json!(s.title.to_lowercase()));
    o.insert(
        "status".into(),
        json!(if airing { "continuing" } else { "ended" }),
    );
    o.insert("ended".into(), json!(!airing));
    o.insert(
        "overview".into(),
        json!(format!("{} ({}), a simulated series.", s.title, s.year)),
    );
    if let Some(next) = s
        .episodes
        .iter()
        .filter_map(|e| e.air_date)
        .filter(|d| *d > today)
        .min()
    {
        o.insert("nextAiring".into(), json!(air_utc(next)));
    }
    if let Some(prev) = s
        .episodes
        .iter()
        .filter_map(|e| e.air_date)
        .filter(|d| *d <= today)
        .max()
    {
        o.insert("previousAiring".into(), json!(air_utc(prev)));
    }
    o.insert(
        "network".into(),
        json!(if s.anime { "Tokyo MX" } else { "HBO" }),
    );
    o.insert("images".into(), json!([]));
    o.insert("seasons".into(), json!(seasons));
    o.insert("year".into(), json!(s.year));
    o.insert("path".into(), json!(s.path()));
    o.insert("qualityProfileId".into(), json!(1));
    o.insert("seasonFolder".into(), json!(true));
    o.insert("monitored".into(), json!(true));
    o.insert("monitorNewItems".into(), json!("all"));
    o.insert("useSceneNumbering".into(), json!(false));
    o.insert("runtime".into(), json!(24));
    o.insert("tvdbId".into(), json!(s.tvdb_id));
    o.insert("tvRageId".into(), json!(0));
    o.insert("tvMazeId".into(), json!(0));
    o.insert("tmdbId".into(), json!(s.tmdb_id));
    if let Some(first) = s.episodes.iter().filter_map(|e| e.air_date).min() {
        o.insert("firstAired".into(), json!(air_utc(first)));
    }
    o.insert(
        "seriesType".into(),
        json!(if s.anime { "anime" } else { "standard" }),
    );
    o.insert("cleanTitle".into(), json!(clean_title(&s.title)));
    o.insert("imdbId".into(), json!(s.imdb_id));
    o.insert("titleSlug".into(), json!(clean_title(&s.title)));
    o.insert("rootFolderPath".into(), json!(TV_ROOT));
    o.insert(
        "genres".into(),
        json!(if s.anime {
            vec!["Animation", "Anime"]
        } else {
            vec!["Drama"]
        }),
    );
    o.insert(
        "tags".into(),
        json!(if s.anime { vec![1] } else { Vec::<u64>::new() }),
    );
    o.insert("added".into(), json!(arr_date(s.added)));
    o.insert("statistics".into(), Value::Object(series_stats));
    o.insert("languageProfileId".into(), json!(1));
    o.insert("id".into(), json!(s.sonarr_id));
    Value::Object(o)
}

async fn all_series(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let tvdb = param(&q, "tvdbId").and_then(|v| v.parse::<u64>().ok());
    let today = Utc::now().date_naive();
    let list = arr.world.with(|w| {
        let mut all: Vec<&Series> = w
            .series
            .values()
            .filter(|s| tvdb.is_none_or(|t| s.tvdb_id == t))
            .collect();
        all.sort_by_key(|s| s.sonarr_id);
        all.into_iter()
            .map(|s| series_json(s, today))
            .collect::<Vec<_>>()
    });
    json_ok(&Value::Array(list))
}

async fn one_series(
    State(arr): State<Arr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let today = Utc::now().date_naive();
    arr.world
        .with(|w| match w.series.values().find(|s| s.sonarr_id == id) {
            Some(s) => json_ok(&series_json(s, today)),
            None => not_found(),
        })
}

async fn episodes(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let series_id = param(&q, "seriesId").and_then(|v| v.parse::<u64>().ok());
    let ids: Vec<u64> = params(&q, "episodeIds")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    let file_id = param(&q, "episodeFileId").and_then(|v| v.parse::<u64>().ok());
    if series_id.is_none() && ids.is_empty() && file_id.is_none() {
        return bad_request("seriesId or episodeIds must be provided");
    }
    let season = param(&q, "seasonNumber").and_then(|v| v.parse::<u32>().ok());
    let include_file = flag(&q, "includeEpisodeFile") == Some(true);
    let include_series = flag(&q, "includeSeries") == Some(true);
    let today = Utc::now().date_naive();
    let list = arr.world.with(|w| {
        let mut out = Vec::new();
        for s in w.series.values() {
            if series_id.is_some_and(|id| id != s.sonarr_id) {
                continue;
            }
            for e in &s.episodes {
                let wanted = season.is_none_or(|n| n == e.season)
                    && (ids.is_empty() || ids.contains(&e.id))
                    && file_id.is_none_or(|f| e.file.as_ref().is_some_and(|x| x.id == f));
                if wanted {
                    let mut v = episode_json(s, e, include_file);
                    if include_series {
                        if let Some(o) = v.as_object_mut() {
                            o.insert("series".into(), series_json(s, today));
                        }
                    }
                    out.push(v);
                }
            }
        }
        out
    });
    json_ok(&Value::Array(list))
}

async fn episode_files(State(arr): State<Arr>, headers: HeaderMap, Query(q): Q) -> Response {
    if !arr.authorized(&headers, &q) {
        return unauthorized();
    }
    let series_id = param(&q, "seriesId").and_then(|v| v.parse::<u64>().ok());
    let ids: Vec<u64> = params(&q, "episodeFileIds")
        .iter()
        .filter_map(|v| v.parse().ok())
        .collect();
    if series_id.is_none() && ids.is_empty() {
        return bad_request("seriesId or episodeFileIds must be provided");
    }
    let list = arr.world.with(|w| {
        let mut out = Vec::new();
        for s in w.series.values() {
            if series_id.is_some_and(|id| id != s.sonarr_id) {
                continue;
            }
            for e in &s.episodes {
                if let Some(f) = &e.file {
                    if ids.is_empty() || ids.contains(&f.id) {
                        out.push(file_json(
                            f,
                            "seriesId",
                            s.sonarr_id,
                            ArrApp::Sonarr,
                            Some(e.season),
                        ));
                    }
                }
            }
        }
        out
    });
    json_ok(&Value::Array(list))
}
