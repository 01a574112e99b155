//! Jellyfin 10.11.11 (PascalCase, nulls omitted): public and private system
//! info, `/Items` and `/Shows/{id}/Episodes`.
//!
//! Only `Authorization: MediaBrowser Token="..."` (or `?ApiKey=`) is accepted.
//! Unknown query parameters are ignored, so `AnyProviderIdEquals` returns the
//! whole library. `ProviderIds`, `Path`, `DateCreated` and `MediaSources` come
//! only when `fields` asks for them. Episodes include virtual placeholders
//! unless `isMissing=false`. `ids=a,b,c` returns those of the items that
//! still exist (an item's Id comes from its path: a replaced file is a new
//! item), combined with the other filters, across the whole library.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

use super::server::{case_insensitive, flag, json_ok, param, text};
use super::world::{file_name, video_width, JfItem, JfKind, World};
use super::{FailureMode, Service, SimWorld, SIM_JELLYFIN_API_KEY};

type Q = Query<Vec<(String, String)>>;

pub(crate) fn router(world: SimWorld) -> Router {
    let inner = Router::new()
        .route("/system/info/public", get(public_info))
        .route("/system/info", get(info))
        .route("/items", get(items))
        .route("/items/{id}", get(item_by_id))
        .route("/shows/{id}/episodes", get(episodes))
        .route("/items/{id}/images/{kind}", get(item_image))
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

/// Reads `Token="..."` from an `Authorization: MediaBrowser ...` header.
fn header_token(headers: &HeaderMap) -> Option<String> {
    let value = headers.get("authorization")?.to_str().ok()?;
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("MediaBrowser") {
        return None;
    }
    rest.split(',')
        .filter_map(|part| part.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("Token"))
        .map(|(_, v)| v.trim().trim_matches('"').to_string())
}

fn authorized(world: &SimWorld, headers: &HeaderMap, q: &[(String, String)]) -> bool {
    if world.mode(Service::Jellyfin) == FailureMode::Unauthorized {
        return false;
    }
    let token = header_token(headers).or_else(|| param(q, "ApiKey").map(str::to_string));
    token.as_deref() == Some(SIM_JELLYFIN_API_KEY)
}

fn public_fields(w: &World) -> Map<String, Value> {
    let mut o = Map::new();
    let base = w
        .urls
        .as_ref()
        .map(|u| u.jellyfin.clone())
        .unwrap_or_default();
    o.insert("LocalAddress".into(), json!(base));
    o.insert("ServerName".into(), json!("sim-jellyfin"));
    o.insert("Version".into(), json!("10.11.11"));
    o.insert("ProductName".into(), json!("Jellyfin Server"));
    o.insert("Id".into(), json!(w.server_id));
    o.insert("StartupWizardCompleted".into(), json!(true));
    o
}

async fn public_info(State(world): State<SimWorld>) -> Response {
    world.with(|w| json_ok(&Value::Object(public_fields(w))))
}

async fn info(State(world): State<SimWorld>, headers: HeaderMap, Query(q): Q) -> Response {
    if !authorized(&world, &headers, &q) {
        return unauthorized();
    }
    world.with(|w| {
        let mut o = public_fields(w);
        o.insert("OperatingSystemDisplayName".into(), json!("Linux"));
        o.insert("HasPendingRestart".into(), json!(false));
        o.insert("IsShuttingDown".into(), json!(false));
        o.insert("SupportsLibraryMonitor".into(), json!(true));
        o.insert("WebSocketPortNumber".into(), json!(8096));
        o.insert("CanSelfRestart".into(), json!(true));
        o.insert("CanLaunchWebBrowser".into(), json!(false));
        o.insert("HasUpdateAvailable".into(), json!(false));
        o.insert("SystemArchitecture".into(), json!("X64"));
        json_ok(&Value::Object(o))
    })
}

/// Jellyfin's date format: seven fraction digits and `Z`.
fn date(t: DateTime<Utc>) -> String {
    // chrono has no 7-digit fraction specifier: write the ticks by hand.
    format!(
        "{}.{:07}Z",
        t.format("%Y-%m-%dT%H:%M:%S"),
        t.timestamp_subsec_nanos() / 100
    )
}

fn comma_list(q: &[(String, String)], name: &str) -> Vec<String> {
    super::server::params(q, name)
        .iter()
        .flat_map(|v| v.split(','))
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .collect()
}

/// The `ids` filter: item ids in "N" (32 hex) or "D" (dashed) form, comma
/// separated or repeated. ASP.NET's comma-delimited binder drops values that
/// are not GUIDs, so when none parses there is no filter at all.
fn id_list(q: &[(String, String)]) -> Vec<String> {
    comma_list(q, "ids")
        .into_iter()
        .map(|v| v.replace('-', ""))
        .filter(|v| v.len() == 32 && v.chars().all(|c| c.is_ascii_hexdigit()))
        .collect()
}

/// One `BaseItemDto`; the optional fields only when `fields` lists them.
fn item_json(w: &World, item: &JfItem, fields: &[String]) -> Value {
    let wants = |f: &str| fields.iter().any(|x| x.eq_ignore_ascii_case(f));
    let mut o = Map::new();
    o.insert("Name".into(), json!(item.name));
    o.insert("ServerId".into(), json!(w.server_id));
    o.insert("Id".into(), json!(item.id));
    if wants("DateCreated") {
        o.insert("DateCreated".into(), json!(date(item.created)));
    }
    if wants("Path") {
        if let Some(p) = &item.path {
            o.insert("Path".into(), json!(p));
        }
    }
    if let Some(y) = item.year {
        o.insert("ProductionYear".into(), json!(y));
    }
    if let Some(i) = item.index {
        o.insert("IndexNumber".into(), json!(i));
    }
    if let Some(s) = item.season {
        o.insert("ParentIndexNumber".into(), json!(s));
    }
    o.insert("IsFolder".into(), json!(item.kind == JfKind::Series));
    o.insert("Type".into(), json!(item.kind.name()));
    if let Some(n) = &item.series_name {
        o.insert("SeriesName".into(), json!(n));
    }
    if let Some(id) = &item.series_id {
        o.insert("SeriesId".into(), json!(id));
    }
    if wants("ProviderIds") {
        o.insert("ProviderIds".into(), json!(item.provider_ids));
    }
    o.insert(
        "LocationType".into(),
        json!(if item.virtual_item {
            "Virtual"
        } else {
            "FileSystem"
        }),
    );
    o.insert(
        "MediaType".into(),
        json!(if item.kind == JfKind::Series {
            "Unknown"
        } else {
            "Video"
        }),
    );
    if wants("MediaSources") && item.kind != JfKind::Series {
        let sources = match (&item.path, item.virtual_item) {
            (Some(path), false) => media_sources(item, path),
            _ => Vec::new(),
        };
        o.insert("MediaSources".into(), Value::Array(sources));
    }
    Value::Object(o)
}

/// The `MediaSources` of a playable item (`BaseItem.GetMediaSources`): one
/// per version, each with the Id and Path of its own file, the item's own
/// version first, then the others by video width, widest first. A single
/// file is named as the item; merged versions by the part of their file
/// name after the shared prefix (`Dune (2021) - 2160p` → `2160p`). Each
/// source carries its video stream (`Type` Video, `Width`, `Height`), which
/// Seerr reads to tell 4K from HD.
fn media_sources(item: &JfItem, path: &str) -> Vec<Value> {
    let own = (item.id.as_str(), path, item.size.unwrap_or(0));
    let mut others: Vec<(&str, &str, u64)> = item
        .versions
        .iter()
        .map(|v| (v.id.as_str(), v.path.as_str(), v.size))
        .collect();
    others.sort_by_key(|(_, p, _)| std::cmp::Reverse(video_width(p)));
    let merged = !others.is_empty();
    std::iter::once(own)
        .chain(others)
        .map(|(id, path, size)| {
            let name = if merged {
                version_label(path)
            } else {
                item.name.clone()
            };
            let width = video_width(path);
            json!({
                "Protocol": "File",
                "Id": id,
                "Path": path,
                "Type": "Default",
                "Container": "mkv",
                "Size": size,
                "Name": name,
                "IsRemote": false,
                "SupportsTranscoding": true,
                "SupportsDirectStream": true,
                "SupportsDirectPlay": true,
                "VideoType": "VideoFile",
                "MediaStreams": [{
                    "Codec": if width > 2000 { "hevc" } else { "h264" },
                    "Type": "Video",
                    "Index": 0,
                    "IsDefault": true,
                    "Width": width,
                    "Height": width * 9 / 16,
                }],
            })
        })
        .collect()
}

/// A merged version's source name: its file name without the extension,
/// after `<folder> - ` when it starts so (`GetMediaSourceName`).
fn version_label(path: &str) -> String {
    let name = file_name(path);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let folder = path.rsplit(['/', '\\']).nth(1).unwrap_or_default();
    stem.strip_prefix(folder)
        .map(|rest| rest.trim_start_matches([' ', '-', '_', '.']))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(stem)
        .to_string()
}

fn result(items: Vec<Value>, total: usize, start: usize) -> Response {
    json_ok(&json!({"Items": items, "TotalRecordCount": total, "StartIndex": start}))
}

/// Sorts by `sortBy` (DateCreated, SortName/Name, ProductionYear) and pages by
/// `startIndex`/`limit`.
fn sort_and_page(w: &World, mut list: Vec<&JfItem>, q: &[(String, String)]) -> Response {
    let sort_by = comma_list(q, "sortBy");
    match sort_by.first().map(String::as_str) {
        Some("datecreated") => list.sort_by_key(|i| i.created),
        Some("productionyear") => list.sort_by_key(|i| i.year),
        Some("sortname") | Some("name") => list.sort_by_key(|i| i.name.to_lowercase()),
        _ => {}
    }
    let descending =
        param(q, "sortOrder").is_some_and(|o| o.to_ascii_lowercase().starts_with("desc"));
    if descending {
        list.reverse();
    }
    let total = list.len();
    let start = param(q, "startIndex")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let limit = param(q, "limit").and_then(|v| v.parse::<usize>().ok());
    let fields = comma_list(q, "fields");
    let page = list
        .into_iter()
        .skip(start)
        .take(limit.unwrap_or(usize::MAX))
        .map(|i| item_json(w, i, &fields))
        .collect();
    result(page, total, start)
}

async fn items(State(world): State<SimWorld>, headers: HeaderMap, Query(q): Q) -> Response {
    if !authorized(&world, &headers, &q) {
        return unauthorized();
    }
    let ids = id_list(&q);
    let include = comma_list(&q, "includeItemTypes");
    let exclude = comma_list(&q, "excludeItemTypes");
    let recursive = flag(&q, "recursive") == Some(true);
    let parent = param(&q, "parentId").map(str::to_ascii_lowercase);
    let has_tmdb = flag(&q, "hasTmdbId");
    let has_tvdb = flag(&q, "hasTvdbId");
    let is_missing = flag(&q, "isMissing");
    let location_types = comma_list(&q, "locationTypes");
    let exclude_locations = comma_list(&q, "excludeLocationTypes");
    let search = param(&q, "searchTerm").map(str::to_lowercase);
    let years: Vec<i32> = comma_list(&q, "years")
        .iter()
        .filter_map(|y| y.parse().ok())
        .collect();
    world.with(|w| {
        let has =
            |i: &JfItem, key: &str| i.provider_ids.keys().any(|k| k.eq_ignore_ascii_case(key));
        let mut list: Vec<&JfItem> = w
            .jellyfin
            .iter()
            .filter(|i| ids.is_empty() || ids.contains(&i.id))
            .filter(|i| match &parent {
                Some(p) => i.series_id.as_deref() == Some(p.as_str()),
                // Without recursion only the top level shows (no episodes).
                None => recursive || !ids.is_empty() || i.kind != JfKind::Episode,
            })
            .filter(|i| {
                include.is_empty()
                    || include
                        .iter()
                        .any(|t| t.eq_ignore_ascii_case(i.kind.name()))
            })
            .filter(|i| {
                !exclude
                    .iter()
                    .any(|t| t.eq_ignore_ascii_case(i.kind.name()))
            })
            .filter(|i| has_tmdb.is_none_or(|want| has(i, "Tmdb") == want))
            .filter(|i| has_tvdb.is_none_or(|want| has(i, "Tvdb") == want))
            .filter(|i| is_missing.is_none_or(|want| i.virtual_item == want))
            .filter(|i| {
                let lt = if i.virtual_item {
                    "virtual"
                } else {
                    "filesystem"
                };
                (location_types.is_empty() || location_types.iter().any(|t| t == lt))
                    && !exclude_locations.iter().any(|t| t == lt)
            })
            .filter(|i| {
                search
                    .as_ref()
                    .is_none_or(|s| i.name.to_lowercase().contains(s))
            })
            .filter(|i| years.is_empty() || i.year.is_some_and(|y| years.contains(&y)))
            .collect();
        // Without `sortBy`, several ids come back in the order they were
        // asked for (`Folder.GetItems`, `SortItemsByRequest`); ids of items
        // that no longer exist are left out silently.
        if ids.len() > 1 && comma_list(&q, "sortBy").is_empty() {
            list.sort_by_key(|i| ids.iter().position(|x| *x == i.id));
        }
        sort_and_page(w, list, &q)
    })
}

/// `GET /Items/{id}` needs a user context: with an API key and no `userId`
/// Jellyfin answers 404.
async fn item_by_id(
    State(world): State<SimWorld>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    if !authorized(&world, &headers, &q) {
        return unauthorized();
    }
    if param(&q, "userId").is_none() {
        return not_found().await;
    }
    let fields = comma_list(&q, "fields");
    world.with(
        |w| match w.jellyfin.iter().find(|i| i.id.eq_ignore_ascii_case(&id)) {
            Some(i) => json_ok(&item_json(w, i, &fields)),
            None => text(StatusCode::NOT_FOUND, ""),
        },
    )
}

/// `GET /Items/{id}/Images/Primary` (anonymous): the item's poster; 404
/// for an unknown item or another image type. Movies and series draw the
/// TMDB poster's picture (Jellyfin fetches its art from TMDB too).
async fn item_image(
    State(world): State<SimWorld>,
    Path((id, kind)): Path<(String, String)>,
) -> Response {
    if kind != "primary" {
        return text(StatusCode::NOT_FOUND, "");
    }
    let seed = world.with(|w| {
        let item = w
            .jellyfin
            .iter()
            .find(|i| i.id.eq_ignore_ascii_case(&id) && i.kind != JfKind::Episode)?;
        let tmdb = item
            .provider_ids
            .get("Tmdb")
            .and_then(|t| t.parse::<u64>().ok())?;
        Some(tmdb * 100)
    });
    match seed {
        Some(seed) => super::posters::png_response(seed),
        None => text(StatusCode::NOT_FOUND, ""),
    }
}

async fn episodes(
    State(world): State<SimWorld>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Q,
) -> Response {
    if !authorized(&world, &headers, &q) {
        return unauthorized();
    }
    let series_id = id.to_ascii_lowercase();
    let season = param(&q, "season").and_then(|v| v.parse::<u32>().ok());
    let is_missing = flag(&q, "isMissing");
    world.with(|w| {
        if !w
            .jellyfin
            .iter()
            .any(|i| i.kind == JfKind::Series && i.id == series_id)
        {
            return text(StatusCode::NOT_FOUND, "Series not found");
        }
        let mut list: Vec<&JfItem> = w
            .jellyfin
            .iter()
            .filter(|i| {
                i.kind == JfKind::Episode && i.series_id.as_deref() == Some(series_id.as_str())
            })
            .filter(|i| season.is_none_or(|s| i.season == Some(s)))
            .filter(|i| is_missing.is_none_or(|want| i.virtual_item == want))
            .collect();
        list.sort_by_key(|i| (i.season, i.index));
        sort_and_page(w, list, &q)
    })
}
