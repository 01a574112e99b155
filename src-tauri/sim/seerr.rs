//! Jellyseerr 2.7.3 (`/api/v1`): status, auth/me, the request list, the
//! movie/tv details that carry titles, keywords and `mediaInfo`, and the
//! admin's approve, decline and retry of a request.
//!
//! Like the real server, every request is checked against the OpenAPI
//! document: unknown query parameters and enum values outside the spec get
//! 400 `{"message","errors"}`. A missing or wrong `X-Api-Key` gets 403.
//! `createdAt`/`updatedAt` are whole seconds, so `sort=modified` has ties,
//! returned in an order that follows neither the id nor the direction.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::server::{json_ok, json_response, text};
use super::world::{media_status, request_status, MediaRef, Request, SeerrMedia, User, World};
use super::{ArrInstance, FailureMode, Service, SimWorld, SIM_JELLYSEERR_API_KEY};

/// TMDB's "anime" keyword, which Seerr uses to route anime.
pub(crate) const ANIME_KEYWORD_ID: u64 = 210024;

type Q = Query<Vec<(String, String)>>;

pub(crate) fn router(world: SimWorld) -> Router {
    Router::new()
        .route("/api/v1/status", get(status))
        .route("/api/v1/auth/me", get(me))
        .route("/api/v1/request", get(list_requests))
        .route("/api/v1/request/{id}", get(one_request))
        .route("/api/v1/request/{id}/{action}", post(act_on_request))
        .route("/api/v1/movie/{tmdb_id}", get(movie_details))
        .route("/api/v1/tv/{tmdb_id}", get(tv_details))
        .route("/imageproxy/{kind}/{*rest}", get(image_proxy))
        .fallback(not_found)
        .with_state(world)
}

/// Seerr's date format: milliseconds and `Z`, always `.000` (the database
/// keeps whole seconds; see [`World::seerr_time`]).
fn date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S.000Z").to_string()
}

/// The order in which the database returns requests that tie on the sort
/// key. Seerr orders `sort=modified` by `updatedAt` alone, and SQLite gives
/// ties in no documented order; the sim uses a fixed scramble of the id:
/// stable from one page to the next, but neither ascending nor descending,
/// so a client cannot lean on it.
fn tie_order(id: u64) -> u64 {
    id.wrapping_mul(0x9e37_79b9_7f4a_7c15).rotate_left(29)
}

fn forbidden() -> Response {
    json_response(
        StatusCode::FORBIDDEN,
        &json!({"status": 403, "error": "You do not have permission to access this endpoint"}),
    )
}

fn authorized(world: &SimWorld, headers: &HeaderMap) -> bool {
    world.mode(Service::Jellyseerr) != FailureMode::Unauthorized
        && headers
            .get("x-api-key")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|k| k == SIM_JELLYSEERR_API_KEY)
}

fn bad_request(message: String, path: &str, error: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({"message": message, "errors": [{"path": path, "message": error}]}),
    )
}

/// The validator's answer to a query that is not in the spec.
fn validate(query: &[(String, String)], allowed: &[(&str, Spec)]) -> Result<(), Box<Response>> {
    for (k, v) in query {
        let Some((_, spec)) = allowed.iter().find(|(name, _)| name == k) else {
            let msg = format!("Unknown query parameter '{k}'");
            return Err(Box::new(bad_request(
                msg.clone(),
                &format!(".query.{k}"),
                &msg,
            )));
        };
        match spec {
            Spec::Number => {
                if v.parse::<f64>().is_err() {
                    return Err(Box::new(bad_request(
                        format!("request/query/{k} must be number"),
                        &format!(".query.{k}"),
                        "must be number",
                    )));
                }
            }
            Spec::Enum(values) => {
                if !values.contains(&v.as_str()) {
                    let err = format!(
                        "must be equal to one of the allowed values: {}",
                        values.join(", ")
                    );
                    return Err(Box::new(bad_request(
                        format!("request/query/{k} {err}"),
                        &format!(".query.{k}"),
                        &err,
                    )));
                }
            }
            Spec::Text => {}
        }
    }
    Ok(())
}

enum Spec {
    Number,
    Enum(&'static [&'static str]),
    Text,
}

const FILTERS: &[&str] = &[
    "all",
    "approved",
    "available",
    "pending",
    "processing",
    "unavailable",
    "failed",
    "deleted",
    "completed",
];

async fn not_found() -> Response {
    json_response(StatusCode::NOT_FOUND, &json!({"message": "Not Found"}))
}

async fn status() -> Response {
    json_ok(&json!({
        "version": "2.7.3",
        "commitTag": "v2.7.3",
        "updateAvailable": false,
        "commitsBehind": 0,
        "restartRequired": false
    }))
}

async fn me(State(world): State<SimWorld>, headers: HeaderMap) -> Response {
    if !authorized(&world, &headers) {
        return forbidden();
    }
    world.with(|w| match w.users.get(&1) {
        Some(u) => json_ok(&user_json(w, u)),
        None => forbidden(),
    })
}

async fn list_requests(
    State(world): State<SimWorld>,
    headers: HeaderMap,
    Query(query): Q,
) -> Response {
    if !authorized(&world, &headers) {
        return forbidden();
    }
    let allowed = [
        ("take", Spec::Number),
        ("skip", Spec::Number),
        ("filter", Spec::Enum(FILTERS)),
        ("sort", Spec::Enum(&["added", "modified"])),
        ("sortDirection", Spec::Enum(&["asc", "desc"])),
        ("requestedBy", Spec::Number),
        ("mediaType", Spec::Enum(&["movie", "tv", "all"])),
    ];
    if let Err(r) = validate(&query, &allowed) {
        return *r;
    }
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let take = get("take")
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(10.0)
        .max(0.0) as usize;
    let skip = get("skip")
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        .max(0.0) as usize;
    let filter = get("filter").unwrap_or("all");
    let sort = get("sort").unwrap_or("added");
    let ascending = get("sortDirection") == Some("asc");
    let requested_by = get("requestedBy")
        .and_then(|v| v.parse::<f64>().ok())
        .map(|v| v as u64);
    let media_type = get("mediaType").unwrap_or("all");
    world.with(|w| {
        let mut rows: Vec<&Request> = w
            .requests
            .values()
            .filter(|r| {
                // A 4K request is filtered on `status4k`.
                let ms = w
                    .media_of(r.media)
                    .map(|m| m.status_of(r.is_4k))
                    .unwrap_or(media_status::UNKNOWN);
                matches_filter(filter, r.status, ms)
                    && requested_by.is_none_or(|u| r.requested_by == u)
                    && match media_type {
                        "movie" => matches!(r.media, MediaRef::Movie { .. }),
                        "tv" => matches!(r.media, MediaRef::Tv { .. }),
                        _ => true,
                    }
            })
            .collect();
        let direction = |o: std::cmp::Ordering| if ascending { o } else { o.reverse() };
        match sort {
            "modified" => rows.sort_by(|a, b| {
                direction(a.updated.cmp(&b.updated))
                    .then_with(|| tie_order(a.id).cmp(&tie_order(b.id)))
            }),
            _ => rows.sort_by(|a, b| direction(a.id.cmp(&b.id))),
        }
        let total = rows.len();
        let results: Vec<Value> = rows
            .into_iter()
            .skip(skip)
            .take(take)
            .map(|r| {
                let mut v = request_json(w, r);
                if let Some(o) = v.as_object_mut() {
                    o.insert("canRemove".into(), json!(true));
                }
                v
            })
            .collect();
        let pages = if take == 0 { 0 } else { total.div_ceil(take) };
        let page = skip.checked_div(take).map_or(1, |p| p + 1);
        json_ok(&json!({
            "pageInfo": {"pages": pages, "pageSize": take, "results": total, "page": page},
            "results": results
        }))
    })
}

/// The v2.6+ mapping of `filter` to request and media status (docs/services.md,
/// "Jellyseerr (Seerr) › The request list").
fn matches_filter(filter: &str, status: u8, media: u8) -> bool {
    use media_status as m;
    use request_status as r;
    match filter {
        "approved" => status == r::APPROVED,
        "processing" => {
            status == r::APPROVED
                && [
                    m::UNKNOWN,
                    m::PENDING,
                    m::PROCESSING,
                    m::PARTIALLY_AVAILABLE,
                ]
                .contains(&media)
        }
        "pending" => status == r::PENDING,
        "unavailable" => [r::PENDING, r::APPROVED].contains(&status) && media != m::AVAILABLE,
        "failed" => status == r::FAILED,
        "available" => status == r::COMPLETED && media == m::AVAILABLE,
        "completed" => status == r::COMPLETED,
        "deleted" => status == r::COMPLETED && media == m::DELETED,
        _ => media != 6,
    }
}

async fn one_request(
    State(world): State<SimWorld>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&world, &headers) {
        return forbidden();
    }
    let Ok(id) = id.parse::<u64>() else {
        return bad_request(
            "request/params/requestId must be number".into(),
            ".params.requestId",
            "must be number",
        );
    };
    world.with(|w| match w.requests.get(&id) {
        Some(r) => json_ok(&request_json(w, r)),
        None => json_response(
            StatusCode::NOT_FOUND,
            &json!({"message": "Request not found."}),
        ),
    })
}

/// `POST /api/v1/request/{id}/approve`, `.../decline` and `.../retry`
/// (`server/routes/request.ts`): 200 with the request as saved, its
/// `status` the new one but its `media` as loaded before the save (Seerr's
/// subscriber updates the media row separately). Approve and decline set
/// `modifiedBy` to the admin, retry only the status (APPROVED). A save that
/// changes nothing runs nothing. Afterwards, as Seerr's subscriber does:
/// the media status ([`World::seerr_update_parent`]) and, for an approved
/// request, the hand-off to Radarr/Sonarr ([`World::seerr_hand_off`]),
/// which fails, making the request FAILED, unless that *arr answers (up or
/// slow). Any other action is a 400 from the OpenAPI validator; an unknown
/// or non-numeric id is 404 `{"message":"Request not found."}`.
async fn act_on_request(
    State(world): State<SimWorld>,
    headers: HeaderMap,
    Path((id, action)): Path<(String, String)>,
    Query(query): Q,
) -> Response {
    if !authorized(&world, &headers) {
        return forbidden();
    }
    let (status, modified_by) = match action.as_str() {
        "approve" => (request_status::APPROVED, Some(1)),
        "decline" => (request_status::DECLINED, Some(1)),
        "retry" => (request_status::APPROVED, None),
        _ => {
            let error = "must be equal to one of the allowed values: approve, decline";
            return bad_request(
                format!("request/params/status {error}"),
                ".params.status",
                error,
            );
        }
    };
    if let Err(r) = validate(&query, &[]) {
        return *r;
    }
    let not_found = || {
        json_response(
            StatusCode::NOT_FOUND,
            &json!({"message": "Request not found."}),
        )
    };
    let Ok(id) = id.parse::<u64>() else {
        return not_found();
    };
    let reachable = |service, instance| {
        matches!(
            world.instance_mode(service, instance),
            FailureMode::Up | FailureMode::Slow(_)
        )
    };
    let now = Utc::now();
    world.with(|w| {
        let Some(before) = w.requests.get(&id).map(|r| request_json(w, r)) else {
            return not_found();
        };
        let Ok(changed) = w.seerr_save_status(id, status, modified_by, now) else {
            return not_found();
        };
        let mut body = match w.requests.get(&id) {
            Some(r) => request_json(w, r),
            None => return not_found(),
        };
        if let (Some(o), Some(media)) = (body.as_object_mut(), before.get("media")) {
            o.insert("media".into(), media.clone());
        }
        if changed {
            w.seerr_update_parent(id, now);
            // A 4K request goes to the 4K server, whose outage fails it.
            let (media, is_4k) = match w.requests.get(&id) {
                Some(r) => (Some(r.media), r.is_4k),
                None => (None, false),
            };
            let instance = ArrInstance::of_request(is_4k);
            let arr_up = match media {
                Some(MediaRef::Tv { .. }) => reachable(Service::Sonarr, instance),
                _ => reachable(Service::Radarr, instance),
            };
            w.seerr_hand_off(id, arr_up, now);
        }
        json_ok(&body)
    })
}

/// `GET /imageproxy/{tmdb|tvdb}/...` (2.6.0 and later; no credential): the
/// image TMDB has at that path. Seerr answers 400 to another type (so the
/// pre-2.6 form `/imageproxy/t/p/...` fails), 403 to a path that names a host, and 500
/// when the image cannot be had (TMDB unreachable, no such file), not 404.
async fn image_proxy(
    State(world): State<SimWorld>,
    Path((kind, rest)): Path<(String, String)>,
) -> Response {
    if kind != "tmdb" && kind != "tvdb" {
        return text(StatusCode::BAD_REQUEST, "Unsupported image type");
    }
    if rest.starts_with('/') || rest.contains("://") {
        return text(StatusCode::FORBIDDEN, "Invalid URL for image proxy");
    }
    let seed = rest
        .strip_prefix("t/p/")
        .and_then(|r| r.split_once('/'))
        .and_then(|(_size, file)| file.strip_prefix("sim-poster-"))
        .and_then(|f| f.strip_suffix(".jpg"))
        .and_then(|f| {
            let (tmdb, season) = f.split_once("-s").unwrap_or((f, "0"));
            Some((tmdb.parse::<u64>().ok()?, season.parse::<u64>().ok()?))
        });
    let known = seed.filter(|(tmdb, _)| {
        world.with(|w| {
            !w.tmdb_unreachable
                && (w.movies.values().any(|m| m.tmdb_id == *tmdb)
                    || w.series.values().any(|s| s.tmdb_id == *tmdb))
        })
    });
    match known {
        Some((tmdb, season)) => super::posters::png_response(tmdb * 100 + season),
        None => text(StatusCode::INTERNAL_SERVER_ERROR, ""),
    }
}

async fn movie_details(
    State(world): State<SimWorld>,
    headers: HeaderMap,
    Path(tmdb_id): Path<String>,
    Query(query): Q,
) -> Response {
    if !authorized(&world, &headers) {
        return forbidden();
    }
    if let Err(r) = validate(&query, &[("language", Spec::Text)]) {
        return *r;
    }
    let Ok(tmdb_id) = tmdb_id.parse::<u64>() else {
        return bad_request(
            "request/params/movieId must be number".into(),
            ".params.movieId",
            "must be number",
        );
    };
    world.with(|w| {
        let Some(m) = w.movies.get(&tmdb_id) else {
            return json_response(StatusCode::NOT_FOUND, &json!({"message": "Unable to retrieve movie."}));
        };
        let mut v = json!({
            "id": m.tmdb_id,
            "imdbId": m.imdb_id,
            "adult": false,
            "backdropPath": format!("/sim-backdrop-{}.jpg", m.tmdb_id),
            "posterPath": format!("/sim-poster-{}.jpg", m.tmdb_id),
            "originalLanguage": if m.anime { "ja" } else { "en" },
            "originalTitle": m.title,
            "overview": format!("{} ({}), a simulated film.", m.title, m.year),
            "releaseDate": format!("{}-06-15", m.year),
            "status": "Released",
            "title": m.title,
            "keywords": keywords(m.anime),
            "externalIds": {"imdbId": m.imdb_id, "facebookId": null, "instagramId": null, "twitterId": null},
        });
        let media = MediaRef::Movie { tmdb_id };
        if let (Some(o), Some(info)) = (v.as_object_mut(), media_info(w, media)) {
            o.insert("mediaInfo".into(), info);
        }
        json_ok(&v)
    })
}

async fn tv_details(
    State(world): State<SimWorld>,
    headers: HeaderMap,
    Path(tmdb_id): Path<String>,
    Query(query): Q,
) -> Response {
    if !authorized(&world, &headers) {
        return forbidden();
    }
    if let Err(r) = validate(&query, &[("language", Spec::Text)]) {
        return *r;
    }
    let Ok(tmdb_id) = tmdb_id.parse::<u64>() else {
        return bad_request(
            "request/params/tvId must be number".into(),
            ".params.tvId",
            "must be number",
        );
    };
    world.with(|w| {
        let Some(s) = w.series_by_tmdb(tmdb_id) else {
            return json_response(StatusCode::NOT_FOUND, &json!({"message": "Unable to retrieve series."}));
        };
        let today = Utc::now().date_naive();
        let seasons: Vec<Value> = s
            .seasons
            .iter()
            .map(|def| {
                let eps: Vec<_> = s.episodes.iter().filter(|e| e.season == def.number).collect();
                let air = eps.iter().filter_map(|e| e.air_date).min();
                json!({
                    "id": s.tmdb_id * 100 + u64::from(def.number),
                    "airDate": air.map(|d| d.to_string()),
                    "episodeCount": eps.len(),
                    "name": if def.number == 0 { "Specials".to_string() } else { format!("Season {}", def.number) },
                    "overview": "",
                    "posterPath": format!("/sim-poster-{}-s{}.jpg", s.tmdb_id, def.number),
                    "seasonNumber": def.number,
                })
            })
            .collect();
        let first = s.episodes.iter().filter_map(|e| e.air_date).min();
        let last = s.episodes.iter().filter_map(|e| e.air_date).filter(|d| *d <= today).max();
        let airing = s.is_airing(today);
        let mut v = json!({
            "id": s.tmdb_id,
            "backdropPath": format!("/sim-backdrop-{}.jpg", s.tmdb_id),
            "posterPath": format!("/sim-poster-{}.jpg", s.tmdb_id),
            "firstAirDate": first.map(|d| d.to_string()),
            "lastAirDate": last.map(|d| d.to_string()),
            "inProduction": airing,
            "name": s.title,
            "originalName": s.title,
            "originalLanguage": if s.anime { "ja" } else { "en" },
            "overview": format!("{} ({}), a simulated series.", s.title, s.year),
            "numberOfSeasons": s.seasons.iter().filter(|d| d.number > 0).count(),
            "numberOfEpisodes": s.episodes.iter().filter(|e| e.season > 0).count(),
            "seasons": seasons,
            "status": if airing { "Returning Series" } else { "Ended" },
            "type": "Scripted",
            "keywords": keywords(s.anime),
            "externalIds": {"imdbId": s.imdb_id, "tvdbId": s.tvdb_id, "facebookId": null, "instagramId": null, "twitterId": null},
        });
        let media = MediaRef::Tv { tmdb_id };
        if let (Some(o), Some(info)) = (v.as_object_mut(), media_info(w, media)) {
            o.insert("mediaInfo".into(), info);
        }
        json_ok(&v)
    })
}

fn keywords(anime: bool) -> Value {
    if anime {
        json!([{"id": ANIME_KEYWORD_ID, "name": "anime"}, {"id": 6075, "name": "sport"}])
    } else {
        json!([{"id": 9882, "name": "space"}])
    }
}

/// `mediaInfo` of the details endpoints: the media row with its requests and
/// seasons, absent while Seerr has no row for the media.
fn media_info(w: &World, media: MediaRef) -> Option<Value> {
    let m = w.media_of(media)?;
    let has_requests = w.requests.values().any(|r| r.media == media);
    if !has_requests && m.status == media_status::UNKNOWN {
        return None;
    }
    let mut v = media_json(w, media, m);
    let requests: Vec<Value> = w
        .requests
        .values()
        .filter(|r| r.media == media)
        .map(|r| request_json(w, r))
        .collect();
    let seasons: Vec<Value> = m
        .seasons
        .iter()
        .map(|(n, (id, st))| {
            let st4k = m
                .seasons_4k
                .get(n)
                .copied()
                .unwrap_or(media_status::UNKNOWN);
            json!({"id": id, "seasonNumber": n, "status": st, "status4k": st4k,
                   "createdAt": date(m.created), "updatedAt": date(m.updated)})
        })
        .collect();
    if let Some(o) = v.as_object_mut() {
        o.insert("requests".into(), json!(requests));
        o.insert("issues".into(), json!([]));
        o.insert("seasons".into(), json!(seasons));
    }
    Some(v)
}

/// What one *arr instance knows of a media, as Seerr keeps it: the *arr's
/// id of the item (`externalServiceId`), its slug (`externalServiceSlug`)
/// and its web URL (`serviceUrl`, built by `Media.setServiceUrl` as
/// `<server url>/movie/<slug>` for Radarr, `<server url>/series/<slug>` for
/// Sonarr; the URL only when Seerr has the server, so the 4K one only in a
/// stack with the 4K instances).
struct ArrSide {
    external: Option<u64>,
    slug: String,
    url: Option<String>,
}

fn arr_side(w: &World, media: MediaRef, instance: ArrInstance) -> ArrSide {
    let base = |service: Service| {
        w.urls
            .as_ref()
            .map(|u| u.of_instance(service, instance).map(str::to_string))
            .unwrap_or_else(|| Some(String::new()))
    };
    match media {
        MediaRef::Movie { tmdb_id } => {
            let slug = tmdb_id.to_string();
            ArrSide {
                external: w.radarr_movie(instance, tmdb_id).map(|x| x.radarr_id),
                url: base(Service::Radarr).map(|b| format!("{b}/movie/{slug}")),
                slug,
            }
        }
        MediaRef::Tv { tmdb_id } => {
            let s = w.series_by_tmdb(tmdb_id);
            let slug = s.map(|s| slugify(&s.title)).unwrap_or_default();
            ArrSide {
                external: s
                    .and_then(|s| w.sonarr_series(instance, s.tvdb_id))
                    .map(|s| s.sonarr_id),
                url: base(Service::Sonarr).map(|b| format!("{b}/series/{slug}")),
                slug,
            }
        }
    }
}

/// The `media` object of a request (relations not loaded, as in the list).
/// The HD and the 4K side each follow Seerr's rule: once the media is
/// handed to that side's *arr (its status PROCESSING or later, as
/// `sendToRadarr`/`sendToSonarr` save it after the *arr added the title),
/// `serviceId`/`serviceId4k` name the server, `externalServiceId(4k)` and
/// `externalServiceSlug(4k)` the item, `serviceUrl(4k)` its page; before,
/// they are null (the URL absent). `jellyfinMediaId(4k)` is set by Seerr's
/// Jellyfin scan ([`World::seerr_sees_jellyfin_movie`]).
fn media_json(w: &World, media: MediaRef, m: &SeerrMedia) -> Value {
    let (media_type, tmdb_id, tvdb_id) = match media {
        MediaRef::Movie { tmdb_id } => ("movie", tmdb_id, None),
        MediaRef::Tv { tmdb_id } => ("tv", tmdb_id, w.series_by_tmdb(tmdb_id).map(|s| s.tvdb_id)),
    };
    let hd = arr_side(w, media, ArrInstance::Hd);
    let in_arr = m.status >= media_status::PROCESSING;
    let uhd = arr_side(w, media, ArrInstance::FourK);
    let in_arr_4k = m.status_4k >= media_status::PROCESSING && uhd.external.is_some();
    let mut v = json!({
        "downloadStatus": [],
        "downloadStatus4k": [],
        "id": m.id,
        "mediaType": media_type,
        "tmdbId": tmdb_id,
        "tvdbId": tvdb_id,
        "imdbId": null,
        "status": m.status,
        "status4k": m.status_4k,
        "createdAt": date(m.created),
        "updatedAt": date(m.updated),
        "lastSeasonChange": date(m.created),
        "mediaAddedAt": date(m.created),
        "serviceId": if in_arr { Some(ArrInstance::Hd.seerr_server_id()) } else { None },
        "serviceId4k": if in_arr_4k { Some(ArrInstance::FourK.seerr_server_id()) } else { None },
        "externalServiceId": if in_arr { hd.external } else { None },
        "externalServiceId4k": if in_arr_4k { uhd.external } else { None },
        "externalServiceSlug": if in_arr { Some(hd.slug) } else { None },
        "externalServiceSlug4k": if in_arr_4k { Some(uhd.slug) } else { None },
        "ratingKey": null,
        "ratingKey4k": null,
        "jellyfinMediaId": m.jellyfin_id,
        "jellyfinMediaId4k": m.jellyfin_id_4k,
    });
    if let Some(o) = v.as_object_mut() {
        if let (true, Some(url)) = (in_arr, hd.url) {
            o.insert("serviceUrl".into(), json!(url));
        }
        if let (true, Some(url)) = (in_arr_4k, uhd.url) {
            o.insert("serviceUrl4k".into(), json!(url));
        }
        let deep_link = |id: &str, urls: &super::SimUrls| {
            format!(
                "{}/web/index.html#!/details?id={id}&context=home&serverId={}",
                urls.jellyfin, w.server_id
            )
        };
        if let (Some(id), Some(urls)) = (&m.jellyfin_id, &w.urls) {
            o.insert("mediaUrl".into(), json!(deep_link(id, urls)));
        }
        if let (Some(id), Some(urls)) = (&m.jellyfin_id_4k, &w.urls) {
            o.insert("mediaUrl4k".into(), json!(deep_link(id, urls)));
        }
    }
    v
}

fn slugify(title: &str) -> String {
    title
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-")
}

/// One `MediaRequest`, shaped like `scenepeek-post-request-movie-response.json`.
fn request_json(w: &World, r: &Request) -> Value {
    let user = |id: u64| {
        w.users
            .get(&id)
            .map(|u| user_json(w, u))
            .unwrap_or(Value::Null)
    };
    let mut v = json!({
        "id": r.id,
        "status": r.status,
        "createdAt": date(r.created),
        "updatedAt": date(r.updated),
        "type": match r.media { MediaRef::Movie { .. } => "movie", MediaRef::Tv { .. } => "tv" },
        "is4k": r.is_4k,
        "serverId": r.server_id,
        "profileId": null,
        "rootFolder": null,
        "languageProfileId": null,
        "tags": null,
        "isAutoRequest": false,
        "requestedBy": user(r.requested_by),
        "modifiedBy": r.modified_by.map(user).unwrap_or(Value::Null),
    });
    if let (Some(o), Some(m)) = (v.as_object_mut(), w.media_of(r.media)) {
        o.insert("media".into(), media_json(w, r.media, m));
        if let MediaRef::Tv { tmdb_id } = r.media {
            let seasons: Vec<Value> = r
                .seasons
                .iter()
                .map(|s| {
                    json!({"id": s.id, "seasonNumber": s.number, "status": s.status,
                           "createdAt": date(r.created), "updatedAt": date(r.updated)})
                })
                .collect();
            o.insert("seasons".into(), json!(seasons));
            let count = w
                .series_by_tmdb(tmdb_id)
                .map(|s| s.seasons.iter().filter(|d| d.number > 0).count())
                .unwrap_or(0);
            o.insert("seasonCount".into(), json!(count));
        }
    }
    v
}

fn user_json(w: &World, u: &User) -> Value {
    let count = w
        .requests
        .values()
        .filter(|r| r.requested_by == u.id)
        .count();
    json!({
        "permissions": u.permissions,
        "warnings": [],
        "id": u.id,
        "email": u.email,
        "plexUsername": null,
        "jellyfinUsername": u.jellyfin_username,
        "username": u.username,
        "recoveryLinkExpirationDate": null,
        "userType": u.user_type,
        "plexId": null,
        "jellyfinUserId": null,
        "avatar": format!("/avatarproxy/{}", u.id),
        "avatarETag": null,
        "avatarVersion": null,
        "movieQuotaLimit": null,
        "movieQuotaDays": null,
        "tvQuotaLimit": null,
        "tvQuotaDays": null,
        "createdAt": date(u.created),
        "updatedAt": date(u.created),
        "requestCount": count,
        "displayName": u.display_name(),
    })
}
