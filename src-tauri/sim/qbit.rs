//! qBittorrent 4.5.2 WebUI API v2 (2.8.19).
//!
//! Login answers 200 `Ok.` with `Set-Cookie: SID=...` or 200 `Fails.`; after
//! five failures every request gets 403 (banned). Sessions expire after an idle
//! timeout; without a live session every other endpoint answers 403.
//! `sync/maindata` keeps a rid per session: rid 0 (or none) gives a full
//! snapshot and restarts the rid count at 1, an unknown rid a full snapshot,
//! the last rid a delta with only the changed keys.
//!
//! Checked against a real qbittorrent-nox 4.5.2 (`tests/real_qbittorrent.rs`,
//! captures in `tests/fixtures/qbittorrent/*.qbt452.json`): the field set of a
//! torrent, `completion_on: 0` before completion, the rid restart and the
//! cookie attributes follow those captures.

use std::collections::BTreeMap;
use std::time::Instant;

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};

use super::server::{json_ok, param, text};
use super::world::{hex_id, Download, QbSession, SyncSent, World, DOWNLOADS};
use super::{FailureMode, Service, SimWorld, SIM_QBITTORRENT_PASSWORD, SIM_QBITTORRENT_USERNAME};

type Q = Query<Vec<(String, String)>>;

/// Failed logins before the ban.
const MAX_FAILED_LOGINS: u32 = 5;
const BANNED: &str =
    "Your IP address has been banned after too many failed authentication attempts.";

pub(crate) fn router(world: SimWorld) -> Router {
    Router::new()
        .route("/api/v2/auth/login", post(login).get(method_not_allowed))
        .route("/api/v2/auth/logout", post(logout))
        .route("/api/v2/app/version", get(version).post(version))
        .route(
            "/api/v2/app/webapiVersion",
            get(webapi_version).post(webapi_version),
        )
        .route(
            "/api/v2/torrents/info",
            get(torrents_info).post(torrents_info),
        )
        .route("/api/v2/sync/maindata", get(maindata).post(maindata))
        .fallback(not_found)
        .with_state(world)
}

async fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "Not Found")
}

async fn method_not_allowed() -> Response {
    text(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}

fn forbidden() -> Response {
    text(StatusCode::FORBIDDEN, "Forbidden")
}

fn sid_of(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == "SID")
        .map(|(_, v)| v.to_string())
}

/// Why a request without a live session is refused (both are 403).
#[derive(Debug, Clone, Copy)]
enum Denied {
    Forbidden,
    Banned,
}

impl Denied {
    fn response(self) -> Response {
        match self {
            Denied::Forbidden => forbidden(),
            Denied::Banned => text(StatusCode::FORBIDDEN, BANNED),
        }
    }
}

/// The live session of this request, refreshed.
fn session(world: &SimWorld, headers: &HeaderMap) -> Result<String, Denied> {
    if world.mode(Service::Qbittorrent) == FailureMode::Unauthorized {
        return Err(Denied::Forbidden);
    }
    let sid = sid_of(headers);
    world.with(|w| {
        if w.qb_failed_logins >= MAX_FAILED_LOGINS {
            return Err(Denied::Banned);
        }
        let Some(sid) = sid else {
            return Err(Denied::Forbidden);
        };
        let timeout = w.qb_session_timeout;
        let now = Instant::now();
        match w.qb_sessions.get_mut(&sid) {
            Some(s) if now.duration_since(s.last_seen) <= timeout => {
                s.last_seen = now;
                Ok(sid)
            }
            Some(_) => {
                w.qb_sessions.remove(&sid);
                Err(Denied::Forbidden)
            }
            None => Err(Denied::Forbidden),
        }
    })
}

async fn login(
    State(world): State<SimWorld>,
    form: Result<Form<Vec<(String, String)>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let form = form.map(|Form(f)| f).unwrap_or_default();
    let user = param(&form, "username").unwrap_or("");
    let pass = param(&form, "password").unwrap_or("");
    let unauthorized_mode = world.mode(Service::Qbittorrent) == FailureMode::Unauthorized;
    let ok =
        user == SIM_QBITTORRENT_USERNAME && pass == SIM_QBITTORRENT_PASSWORD && !unauthorized_mode;
    world.with(|w| {
        if w.qb_failed_logins >= MAX_FAILED_LOGINS {
            return text(StatusCode::FORBIDDEN, BANNED);
        }
        if !ok {
            if !unauthorized_mode {
                w.qb_failed_logins += 1;
            }
            return text(StatusCode::OK, "Fails.");
        }
        w.qb_failed_logins = 0;
        let sid = hex_id(&mut w.rng, 32);
        w.qb_sessions.insert(
            sid.clone(),
            QbSession {
                last_seen: Instant::now(),
                sync: None,
                next_rid: 1,
            },
        );
        let mut r = text(StatusCode::OK, "Ok.");
        if let Ok(v) =
            HeaderValue::from_str(&format!("SID={sid}; HttpOnly; path=/; SameSite=Strict"))
        {
            r.headers_mut().insert(header::SET_COOKIE, v);
        }
        r
    })
}

async fn logout(State(world): State<SimWorld>, headers: HeaderMap) -> Response {
    match session(&world, &headers) {
        Ok(sid) => {
            world.with(|w| w.qb_sessions.remove(&sid));
            text(StatusCode::OK, "")
        }
        Err(d) => d.response(),
    }
}

async fn version(State(world): State<SimWorld>, headers: HeaderMap) -> Response {
    match session(&world, &headers) {
        Ok(_) => text(StatusCode::OK, "v4.5.2"),
        Err(d) => d.response(),
    }
}

async fn webapi_version(State(world): State<SimWorld>, headers: HeaderMap) -> Response {
    match session(&world, &headers) {
        Ok(_) => text(StatusCode::OK, "2.8.19"),
        Err(d) => d.response(),
    }
}

/// One torrent as `serialize_torrent.cpp` writes it (4.5 field set), without
/// the `hash` key (maindata keys torrents by hash).
fn torrent_fields(d: &Download) -> Map<String, Value> {
    let done = d.size - d.amount_left().min(d.size);
    let content_path = match d.target {
        super::world::Target::Movie { .. } => format!("{DOWNLOADS}/{}.mkv", d.name),
        super::world::Target::Episodes { ref episodes, .. } if episodes.len() == 1 => {
            format!("{DOWNLOADS}/{}.mkv", d.name)
        }
        _ => format!("{DOWNLOADS}/{}", d.name),
    };
    // 4.5 writes 0 before completion (5.x writes -1).
    let completion_on = d.completed.map(|t| t.timestamp()).unwrap_or(0);
    let last_activity = d.completed.unwrap_or(d.added).timestamp();
    // Real clocks tick `time_active`/`seeding_time` every second; here they
    // stay still so a delta carries only what the story changed.
    let active_secs = d
        .completed
        .map(|t| (t - d.added).num_seconds().max(0))
        .unwrap_or(0);
    let seeding_secs = 0;
    let mut o = Map::new();
    o.insert("added_on".into(), json!(d.added.timestamp()));
    o.insert("amount_left".into(), json!(d.amount_left()));
    o.insert("auto_tmm".into(), json!(false));
    o.insert(
        "availability".into(),
        json!(if d.is_complete() { -1.0 } else { d.progress }),
    );
    o.insert("category".into(), json!(d.category()));
    o.insert("completed".into(), json!(done));
    o.insert("completion_on".into(), json!(completion_on));
    o.insert("content_path".into(), json!(content_path));
    o.insert("dl_limit".into(), json!(0));
    o.insert("dlspeed".into(), json!(d.dlspeed));
    o.insert("download_path".into(), json!(""));
    o.insert("downloaded".into(), json!(done));
    o.insert("downloaded_session".into(), json!(done));
    o.insert("eta".into(), json!(d.eta()));
    o.insert("f_l_piece_prio".into(), json!(false));
    o.insert("force_start".into(), json!(false));
    o.insert("infohash_v1".into(), json!(d.hash));
    o.insert("infohash_v2".into(), json!(""));
    o.insert("last_activity".into(), json!(last_activity));
    o.insert(
        "magnet_uri".into(),
        json!(format!("magnet:?xt=urn:btih:{}", d.hash)),
    );
    o.insert("max_ratio".into(), json!(-1));
    o.insert("max_seeding_time".into(), json!(-1));
    o.insert("name".into(), json!(d.name));
    o.insert(
        "num_complete".into(),
        json!(if d.dlspeed > 0 { 40 } else { 0 }),
    );
    o.insert("num_incomplete".into(), json!(0));
    o.insert("num_leechs".into(), json!(0));
    o.insert(
        "num_seeds".into(),
        json!(if d.dlspeed > 0 { 12 } else { 0 }),
    );
    o.insert(
        "priority".into(),
        json!(if d.is_complete() { 0 } else { 1 }),
    );
    o.insert("progress".into(), json!(d.progress));
    o.insert("ratio".into(), json!(0));
    o.insert("ratio_limit".into(), json!(-2));
    o.insert("save_path".into(), json!(format!("{DOWNLOADS}/")));
    o.insert("seeding_time".into(), json!(seeding_secs));
    o.insert("seeding_time_limit".into(), json!(-2));
    o.insert("seen_complete".into(), json!(completion_on));
    o.insert("seq_dl".into(), json!(false));
    o.insert("size".into(), json!(d.size));
    o.insert("state".into(), json!(d.state));
    o.insert("super_seeding".into(), json!(false));
    o.insert("tags".into(), json!(""));
    o.insert("time_active".into(), json!(active_secs));
    o.insert("total_size".into(), json!(d.size));
    o.insert(
        "tracker".into(),
        json!("http://tracker.sim.invalid:6969/announce"),
    );
    o.insert("trackers_count".into(), json!(1));
    o.insert("up_limit".into(), json!(0));
    o.insert("uploaded".into(), json!(0));
    o.insert("uploaded_session".into(), json!(0));
    o.insert("upspeed".into(), json!(0));
    o
}

fn matches_filter(d: &Download, filter: &str) -> bool {
    let s = d.state.as_str();
    let paused = matches!(s, "pausedDL" | "pausedUP" | "stoppedDL" | "stoppedUP");
    let errored = matches!(s, "error" | "missingFiles");
    match filter {
        "downloading" => !d.is_complete() && !paused && !errored,
        "seeding" => matches!(
            s,
            "uploading" | "stalledUP" | "queuedUP" | "forcedUP" | "checkingUP"
        ),
        "completed" => d.is_complete(),
        "paused" => paused,
        "resumed" => !paused,
        "active" => d.dlspeed > 0,
        "inactive" => d.dlspeed == 0,
        "stalled" => matches!(s, "stalledDL" | "stalledUP"),
        "stalled_uploading" => s == "stalledUP",
        "stalled_downloading" => s == "stalledDL",
        "errored" => errored,
        // An unknown filter silently means all.
        _ => true,
    }
}

async fn torrents_info(State(world): State<SimWorld>, headers: HeaderMap, Query(q): Q) -> Response {
    if let Err(d) = session(&world, &headers) {
        return d.response();
    }
    let filter = param(&q, "filter").unwrap_or("all");
    let category = param(&q, "category");
    let hashes: Option<Vec<String>> = param(&q, "hashes")
        .filter(|h| *h != "all")
        .map(|h| h.split('|').map(str::to_lowercase).collect());
    let offset = param(&q, "offset")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let limit = param(&q, "limit")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|l| *l > 0);
    let list = world.with(|w| {
        let mut out: Vec<Value> = w
            .downloads
            .values()
            .filter(|d| d.in_client)
            .filter(|d| matches_filter(d, filter))
            .filter(|d| category.is_none_or(|c| c == d.category()))
            .filter(|d| hashes.as_ref().is_none_or(|hs| hs.contains(&d.hash)))
            .map(|d| {
                let mut o = torrent_fields(d);
                o.insert("hash".into(), json!(d.hash));
                Value::Object(o)
            })
            .collect();
        out.sort_by_key(|v| v.get("added_on").and_then(Value::as_i64).unwrap_or(0));
        out.into_iter()
            .skip(offset)
            .take(limit.unwrap_or(usize::MAX))
            .collect::<Vec<_>>()
    });
    json_ok(&Value::Array(list))
}

fn server_state(w: &World) -> Map<String, Value> {
    let speed: u64 = w
        .downloads
        .values()
        .filter(|d| d.in_client)
        .map(|d| d.dlspeed)
        .sum();
    let mut o = Map::new();
    o.insert("connection_status".into(), json!("connected"));
    o.insert("dht_nodes".into(), json!(370));
    o.insert("dl_info_speed".into(), json!(speed));
    o.insert("up_info_speed".into(), json!(0));
    o.insert("dl_rate_limit".into(), json!(0));
    o.insert("up_rate_limit".into(), json!(0));
    o.insert("free_space_on_disk".into(), json!(875_474_862_080_u64));
    o.insert("queueing".into(), json!(true));
    o.insert("refresh_interval".into(), json!(1500));
    o.insert("use_alt_speed_limits".into(), json!(false));
    o
}

fn changed_keys(old: &Map<String, Value>, new: &Map<String, Value>) -> Map<String, Value> {
    new.iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

async fn maindata(State(world): State<SimWorld>, headers: HeaderMap, Query(q): Q) -> Response {
    let sid = match session(&world, &headers) {
        Ok(sid) => sid,
        Err(d) => return d.response(),
    };
    let asked = param(&q, "rid")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(0);
    world.with(|w| {
        let torrents: BTreeMap<String, Map<String, Value>> = w
            .downloads
            .values()
            .filter(|d| d.in_client)
            .map(|d| (d.hash.clone(), torrent_fields(d)))
            .collect();
        let state = server_state(w);
        let Some(s) = w.qb_sessions.get_mut(&sid) else {
            return forbidden();
        };
        if asked == 0 {
            // qBittorrent restarts the count with a full update.
            s.next_rid = 1;
        }
        let rid = s.next_rid;
        s.next_rid = if s.next_rid >= 1_000_000 {
            1
        } else {
            s.next_rid + 1
        };
        let previous = s.sync.take().filter(|sent| asked != 0 && sent.rid == asked);
        let body = match &previous {
            Some(prev) => {
                let mut out = Map::new();
                out.insert("rid".into(), json!(rid));
                let mut changed = Map::new();
                for (hash, fields) in &torrents {
                    match prev.torrents.get(hash) {
                        None => {
                            changed.insert(hash.clone(), Value::Object(fields.clone()));
                        }
                        Some(old) => {
                            let diff = changed_keys(old, fields);
                            if !diff.is_empty() {
                                changed.insert(hash.clone(), Value::Object(diff));
                            }
                        }
                    }
                }
                if !changed.is_empty() {
                    out.insert("torrents".into(), Value::Object(changed));
                }
                let removed: Vec<&String> = prev
                    .torrents
                    .keys()
                    .filter(|h| !torrents.contains_key(*h))
                    .collect();
                if !removed.is_empty() {
                    out.insert("torrents_removed".into(), json!(removed));
                }
                let state_diff = changed_keys(&prev.server_state, &state);
                if !state_diff.is_empty() {
                    out.insert("server_state".into(), Value::Object(state_diff));
                }
                Value::Object(out)
            }
            None => json!({
                "rid": rid,
                "full_update": true,
                "torrents": torrents,
                "categories": {
                    "radarr": {"name": "radarr", "savePath": ""},
                    "tv-sonarr": {"name": "tv-sonarr", "savePath": ""}
                },
                "tags": [],
                "trackers": {},
                "server_state": state,
            }),
        };
        s.sync = Some(SyncSent {
            rid,
            torrents,
            server_state: state,
        });
        json_ok(&body)
    })
}
