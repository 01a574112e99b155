//! Shoko Server 5.3.3 (API v3, PascalCase): auth, Init, User/Current,
//! `File/PathEndsWith` and the series lookups by AniDB and TMDB id.
//!
//! Shoko sees the *arr's files under `/mnt/anime/...`, so clients must match
//! by path tail. A file is NotSeen (absent), Unrecognized (`SeriesIDs` empty),
//! in ImportLimbo (Shoko `ID`s null) or Matched.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::server::{case_insensitive, flag, json_ok, json_response, param, text};
use super::world::{arr_date, FileOwner, ShokoFile, ShokoState, World};
use super::{FailureMode, Service, SimWorld, SIM_SHOKO_PASSWORD, SIM_SHOKO_USERNAME};

type Q = Query<Vec<(String, String)>>;

pub(crate) fn router(world: SimWorld) -> Router {
    let inner = Router::new()
        .route("/api/auth", post(auth))
        .route("/api/v3/init/version", get(version))
        .route("/api/v3/init/status", get(status))
        .route("/api/v3/user/current", get(current_user))
        .route("/api/v3/file/pathendswith", get(path_ends_with_query))
        .route(
            "/api/v3/file/pathendswith/{*path}",
            get(path_ends_with_path),
        )
        .route("/api/v3/file/{id}", get(file_by_id))
        .route("/api/v3/series/anidb/{id}/series", get(series_by_anidb))
        .route(
            "/api/v3/tmdb/movie/{id}/shoko/series",
            get(series_by_tmdb_movie),
        )
        .route(
            "/api/v3/tmdb/show/{id}/shoko/series",
            get(series_by_tmdb_show),
        )
        .fallback(not_found)
        .with_state(world);
    case_insensitive(inner)
}

async fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "")
}

fn unauthorized() -> Response {
    text(StatusCode::UNAUTHORIZED, "")
}

fn date(t: DateTime<Utc>) -> String {
    arr_date(t)
}

/// The `apikey` header (or query parameter) must hold a key from `/api/auth`.
fn authorized(world: &SimWorld, headers: &HeaderMap, query: &[(String, String)]) -> bool {
    if world.mode(Service::Shoko) == FailureMode::Unauthorized {
        return false;
    }
    let key = headers
        .get("apikey")
        .and_then(|v| v.to_str().ok())
        .or_else(|| param(query, "apikey"))
        .map(str::to_string);
    match key {
        Some(k) => world.with(|w| w.shoko_keys.values().any(|v| *v == k)),
        None => false,
    }
}

async fn auth(
    State(world): State<SimWorld>,
    body: Result<Json<Value>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Ok(Json(body)) = body else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"errors": {"": ["A non-empty request body is required."]}}),
        );
    };
    let field = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    let (user, pass, device) = (field("user"), field("pass"), field("device"));
    if world.mode(Service::Shoko) == FailureMode::Unauthorized
        || user != SIM_SHOKO_USERNAME
        || pass != SIM_SHOKO_PASSWORD
    {
        return unauthorized();
    }
    if device.is_empty() {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"errors": {"device": ["The device field is required."]}}),
        );
    }
    let key = world.with(|w| {
        let entry = (user.clone(), device.clone());
        if let Some(k) = w.shoko_keys.get(&entry) {
            return k.clone();
        }
        let k = super::world::hex_id(&mut w.rng, 36);
        w.shoko_keys.insert(entry, k.clone());
        k
    });
    json_ok(&json!({"apikey": key}))
}

async fn version() -> Response {
    json_ok(&json!({
        "Server": {
            "Version": "5.3.3.0",
            "Tag": "v5.3.3",
            "Commit": "5c0c4b1e0d8f3a9e7b6d2c1f0a9e8d7c6b5a4f3e",
            "ReleaseChannel": "Stable",
            "ReleaseDate": "2026-03-27T00:00:00Z"
        }
    }))
}

async fn status() -> Response {
    json_ok(&json!({"State": "Started", "StartupMessage": null, "Uptime": "05:12:43"}))
}

async fn current_user(State(world): State<SimWorld>, headers: HeaderMap, Query(q): Q) -> Response {
    if !authorized(&world, &headers, &q) {
        return unauthorized();
    }
    json_ok(&json!({"ID": 1, "Username": SIM_SHOKO_USERNAME, "IsAdmin": true}))
}

async fn path_ends_with_query(
    State(world): State<SimWorld>,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let path = param(&q, "path").unwrap_or("").to_string();
    path_ends_with(&world, &headers, &q, &path)
}

async fn path_ends_with_path(
    State(world): State<SimWorld>,
    headers: HeaderMap,
    Path(path): Path<String>,
    Query(q): Q,
) -> Response {
    path_ends_with(&world, &headers, &q, &format!("/{path}"))
}

fn path_ends_with(
    world: &SimWorld,
    headers: &HeaderMap,
    q: &[(String, String)],
    path: &str,
) -> Response {
    if !authorized(world, headers, q) {
        return unauthorized();
    }
    if path.is_empty() {
        return json_response(
            StatusCode::BAD_REQUEST,
            &json!({"errors": {"path": ["The path field is required."]}}),
        );
    }
    let tail = path.replace('\\', "/").to_lowercase();
    let limit = param(q, "limit")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let xrefs = include_xrefs(q);
    let absolute = param(q, "include").is_some_and(|v| {
        v.split(',')
            .any(|p| p.trim().eq_ignore_ascii_case("AbsolutePaths"))
    });
    let list = world.with(|w| {
        w.shoko_files
            .iter()
            .filter(|f| f.server_path.to_lowercase().ends_with(&tail))
            .take(limit.unwrap_or(usize::MAX))
            .map(|f| file_json(w, f, xrefs, absolute))
            .collect::<Vec<_>>()
    });
    json_ok(&Value::Array(list))
}

/// v5 `includeXRefs` (default true) or v6 `include=XRefs`.
fn include_xrefs(q: &[(String, String)]) -> bool {
    let v6 = param(q, "include")
        .is_some_and(|v| v.split(',').any(|p| p.trim().eq_ignore_ascii_case("XRefs")));
    v6 || flag(q, "includeXRefs").unwrap_or(true)
}

async fn file_by_id(
    State(world): State<SimWorld>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    if !authorized(&world, &headers, &q) {
        return unauthorized();
    }
    let Ok(id) = id.parse::<u64>() else {
        return not_found().await;
    };
    let xrefs = param(&q, "include").is_some_and(|v| v.to_lowercase().contains("xrefs"));
    world.with(|w| match w.shoko_files.iter().find(|f| f.id == id) {
        Some(f) => json_ok(&file_json(w, f, xrefs, false)),
        None => text(StatusCode::NOT_FOUND, ""),
    })
}

fn fake_hash(seed: &str, salt: u32, len: usize) -> String {
    let mut out = String::new();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ u64::from(salt);
    while out.len() < len {
        for b in seed.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        out.push_str(&format!("{h:016X}"));
    }
    out.truncate(len);
    out
}

/// A `File` of the v3 API (`API/v3/Models/Shoko/File.cs`, v5.3.3).
fn file_json(w: &World, f: &ShokoFile, xrefs: bool, absolute: bool) -> Value {
    let mut location = Map::new();
    location.insert("ID".into(), json!(f.id));
    location.insert("FileID".into(), json!(f.id));
    location.insert("ImportFolderID".into(), json!(1));
    location.insert("RelativePath".into(), json!(f.relative_path));
    if absolute {
        location.insert("AbsolutePath".into(), json!(f.server_path));
    }
    location.insert("IsAccessible".into(), json!(true));
    let mut o = Map::new();
    o.insert("ID".into(), json!(f.id));
    o.insert("Size".into(), json!(f.size));
    o.insert("IsVariation".into(), json!(false));
    o.insert("IsIgnored".into(), json!(false));
    o.insert(
        "Hashes".into(),
        json!({
            "ED2K": fake_hash(&f.server_path, 1, 32),
            "MD5": fake_hash(&f.server_path, 2, 32),
            "CRC32": fake_hash(&f.server_path, 3, 8),
            "SHA1": fake_hash(&f.server_path, 4, 40)
        }),
    );
    o.insert("Locations".into(), json!([Value::Object(location)]));
    o.insert("Resolution".into(), json!("1920x1080"));
    o.insert("Duration".into(), json!("00:23:40"));
    let imported = matches!(f.state, ShokoState::Matched { .. }).then(|| date(f.updated));
    o.insert("Imported".into(), json!(imported));
    o.insert("Created".into(), json!(date(f.created)));
    o.insert("Updated".into(), json!(date(f.updated)));
    if xrefs {
        o.insert("SeriesIDs".into(), series_ids(w, f));
    }
    Value::Object(o)
}

/// `SeriesIDs[]` (`FileCrossReference`): empty when unrecognized, Shoko ids
/// null in import limbo.
fn series_ids(w: &World, f: &ShokoFile) -> Value {
    let (anidb, matched) = match f.state {
        ShokoState::NotSeen | ShokoState::Unrecognized => return json!([]),
        ShokoState::ImportLimbo { anidb_id } => (anidb_id, false),
        ShokoState::Matched { anidb_id } => (anidb_id, true),
    };
    let (movies, shows) = tmdb_ids(w, f.owner);
    let series_id = if matched {
        w.shoko_series.get(&anidb).copied()
    } else {
        None
    };
    let episode_id = (matched && f.shoko_episode_id != 0).then_some(f.shoko_episode_id);
    json!([{
        "SeriesID": {"ID": series_id, "AniDB": anidb, "TMDB": {"Movie": movies, "Show": shows}},
        "EpisodeIDs": [{
            "ID": episode_id,
            "AniDB": f.anidb_episode_id,
            "TMDB": {"Episode": [], "Movie": movies, "Show": shows},
            "ReleaseGroup": null,
            "ED2K": fake_hash(&f.server_path, 1, 32),
            "FileSize": f.size,
            "Percentage": {"Start": 0, "End": 100, "Size": 100, "Group": 1},
            "Source": "AniDB"
        }]
    }])
}

fn tmdb_ids(w: &World, owner: FileOwner) -> (Vec<u64>, Vec<u64>) {
    match owner {
        FileOwner::Movie { tmdb_id } => (vec![tmdb_id], vec![]),
        FileOwner::Episode { tvdb_id, .. } => (
            vec![],
            w.series
                .get(&tvdb_id)
                .map(|s| vec![s.tmdb_id])
                .unwrap_or_default(),
        ),
    }
}

/// A v3 `Series` (the fields the tracker reads).
fn series_json(w: &World, anidb: u64) -> Option<Value> {
    let shoko_id = *w.shoko_series.get(&anidb)?;
    let files: Vec<&ShokoFile> = w
        .shoko_files
        .iter()
        .filter(|f| matches!(f.state, ShokoState::Matched { anidb_id } if anidb_id == anidb))
        .collect();
    let (mut movies, mut shows, mut name, mut tvdb) =
        (Vec::new(), Vec::new(), String::new(), Vec::new());
    for m in w.movies.values().filter(|m| m.anidb_id == Some(anidb)) {
        movies.push(m.tmdb_id);
        name = m.title.clone();
    }
    for s in w.series.values().filter(|s| s.anidb_id == Some(anidb)) {
        shows.push(s.tmdb_id);
        tvdb.push(s.tvdb_id);
        name = s.title.clone();
    }
    let created = files
        .iter()
        .map(|f| f.created)
        .min()
        .unwrap_or_else(Utc::now);
    let updated = files
        .iter()
        .map(|f| f.updated)
        .max()
        .unwrap_or_else(Utc::now);
    Some(json!({
        "IDs": {
            "ID": shoko_id,
            "ParentGroup": shoko_id,
            "TopLevelGroup": shoko_id,
            "AniDB": anidb,
            "TvDB": tvdb,
            "IMDB": [],
            "TMDB": {"Movie": movies, "Show": shows},
            "MAL": []
        },
        "Name": name,
        "Size": files.len(),
        "Created": date(created),
        "Updated": date(updated)
    }))
}

async fn series_by_anidb(
    State(world): State<SimWorld>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    if !authorized(&world, &headers, &q) {
        return unauthorized();
    }
    let Ok(anidb) = id.parse::<u64>() else {
        return text(StatusCode::NOT_FOUND, "");
    };
    world.with(|w| match series_json(w, anidb) {
        Some(v) => json_ok(&v),
        None => text(
            StatusCode::NOT_FOUND,
            "No Series entry for the given anidbID",
        ),
    })
}

async fn series_by_tmdb_movie(
    State(world): State<SimWorld>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    if !authorized(&world, &headers, &q) {
        return unauthorized();
    }
    let tmdb = id.parse::<u64>().ok();
    world.with(|w| {
        let anidb = tmdb.and_then(|t| w.movies.get(&t)).and_then(|m| m.anidb_id);
        match anidb.and_then(|a| series_json(w, a)) {
            Some(v) => json_ok(&json!([v])),
            None => text(
                StatusCode::NOT_FOUND,
                "A TMDB.Movie by the given `movieID` was not found.",
            ),
        }
    })
}

async fn series_by_tmdb_show(
    State(world): State<SimWorld>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    if !authorized(&world, &headers, &q) {
        return unauthorized();
    }
    let tmdb = id.parse::<u64>().ok();
    world.with(|w| {
        let anidb = tmdb
            .and_then(|t| w.series_by_tmdb(t))
            .and_then(|s| s.anidb_id);
        match anidb.and_then(|a| series_json(w, a)) {
            Some(v) => json_ok(&json!([v])),
            None => text(
                StatusCode::NOT_FOUND,
                "A TMDB.Show by the given `showID` was not found.",
            ),
        }
    })
}
