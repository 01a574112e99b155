//! Radarr and Sonarr (`/api/v3`): one router, two flavours.
//!
//! Shaped like `radarr/queue.ruddarr.json`, `radarr/history.ruddarr.json`,
//! `sonarr/queue-season-pack.homeassistant.json` and
//! `sonarr/episodes.ruddarr.json`: camelCase, enums as camelCase strings,
//! **null fields omitted**, `pageSize` defaulting to 10, and one Sonarr queue
//! record per episode of a season pack. They act too: search commands
//! (`commands.rs`), removing a download from the queue with or without a
//! blocklist (`queue.rs`), and the blocklist they keep (`history.rs`).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::Router;
use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Map, Value};

use super::server::{flag, json_ok, json_response, param, params, text};
use super::world::{
    arr_date, hex_id, ArrState, Download, Episode, HistoryEvent, HistoryRecord, MediaFile, Movie,
    QueueRemoval, Series, Target, World, DOWNLOADS, INDEXER,
};
use super::{
    ArrInstance, FailureMode, Service, SimWorld, SIM_RADARR_4K_API_KEY, SIM_RADARR_API_KEY,
    SIM_SONARR_4K_API_KEY, SIM_SONARR_API_KEY,
};
use crate::ArrApp;

mod commands;
mod history;
mod library;
mod queue;

use self::commands::*;
use self::history::*;
use self::library::*;
use self::queue::*;

pub(super) type Q = Query<Vec<(String, String)>>;

#[derive(Clone)]
pub(super) struct Arr {
    pub(super) world: SimWorld,
    pub(super) app: ArrApp,
    /// Which Radarr/Sonarr of the stack this server is: its library,
    /// queue, history, key and failure mode.
    pub(super) instance: ArrInstance,
}

impl Arr {
    pub(super) fn service(&self) -> Service {
        if self.app.is_sonarr() {
            Service::Sonarr
        } else {
            Service::Radarr
        }
    }

    /// `X-Api-Key`, `?apikey=` or `Authorization: Bearer` with this
    /// instance's own key; else 401.
    pub(super) fn authorized(&self, headers: &HeaderMap, query: &[(String, String)]) -> bool {
        if self.world.instance_mode(self.service(), self.instance) == FailureMode::Unauthorized {
            return false;
        }
        let key = match (self.app.is_sonarr(), self.instance) {
            (true, ArrInstance::Hd) => SIM_SONARR_API_KEY,
            (false, ArrInstance::Hd) => SIM_RADARR_API_KEY,
            (true, ArrInstance::FourK) => SIM_SONARR_4K_API_KEY,
            (false, ArrInstance::FourK) => SIM_RADARR_4K_API_KEY,
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

pub(super) fn unauthorized() -> Response {
    text(StatusCode::UNAUTHORIZED, "")
}

pub(super) fn not_found() -> Response {
    json_response(StatusCode::NOT_FOUND, &json!({"message": "NotFound"}))
}

pub(super) fn bad_request(message: &str) -> Response {
    json_response(StatusCode::BAD_REQUEST, &json!({"message": message}))
}

/// The router of one Radarr or Sonarr instance.
pub(crate) fn router(world: SimWorld, app: ArrApp, instance: ArrInstance) -> Router {
    let state = Arr {
        world,
        app,
        instance,
    };
    let common = Router::new()
        .route("/ping", get(ping))
        .route("/api/v3/system/status", get(system_status))
        .route("/api/v3/queue", get(queue))
        .route("/api/v3/queue/details", get(queue_details))
        .route("/api/v3/queue/{id}", delete(remove_queue_item))
        .route("/api/v3/command", post(post_command))
        .route("/api/v3/blocklist", get(blocklist))
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
            w.sonarr_series_all(arr.instance)
                .find(|s| s.sonarr_id == id)
                .map(|s| s.tvdb_id * 7 + 1)
        } else {
            w.radarr_movies(arr.instance)
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
