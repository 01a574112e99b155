//! Unit tests of the Jellyseerr client against small fake servers.

use super::*;
use crate::services::http::test_support::*;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap as AxumHeaders;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::HashMap as Map;
use std::sync::Mutex;

#[test]
fn the_post_response_fixture_is_a_request() {
    let wire: RequestWire = serde_json::from_str(&fixture(
        "jellyseerr/scenepeek-post-request-movie-response.json",
    ))
    .unwrap();
    let r = wire.into_request(None);
    assert_eq!(r.id, 479);
    assert_eq!(r.status, SeerrRequestStatus::Approved);
    assert_eq!(r.media_type, MediaType::Movie);
    assert_eq!(r.tmdb_id, Some(496_245));
    assert_eq!(r.tvdb_id, None, "null tvdbId is None");
    assert_eq!(r.media_status, SeerrMediaStatus::Processing);
    assert_eq!(r.requested_by, "ScenePeek");
    assert!(!r.is_4k);
    assert_eq!(r.jellyfin_media_id, None);
    assert_eq!(
        r.updated_at,
        "2025-06-23T10:22:43Z".parse::<DateTime<Utc>>().unwrap()
    );
}

#[test]
fn the_tv_fixture_requests_carry_seasons_and_statuses() {
    let v: Value =
        serde_json::from_str(&fixture("jellyseerr/scenepeek-tv-details-mediainfo.json")).unwrap();
    let reqs: Vec<RequestWire> =
        serde_json::from_value(v["mediaInfo"]["requests"].clone()).unwrap();
    let reqs: Vec<SeerrRequest> = reqs.into_iter().map(|r| r.into_request(None)).collect();
    let r580 = reqs.iter().find(|r| r.id == 580).unwrap();
    assert_eq!(r580.seasons, vec![5, 6, 7]);
    assert_eq!(r580.media_type, MediaType::Tv);
    assert_eq!(r580.tvdb_id, Some(254_834));
    let r593 = reqs.iter().find(|r| r.id == 593).unwrap();
    assert_eq!(r593.status, SeerrRequestStatus::Failed);
    assert_eq!(r593.seasons, vec![8, 9], "seasons sorted");
    assert_eq!(
        reqs.iter().find(|r| r.id == 594).unwrap().status,
        SeerrRequestStatus::Declined
    );
    assert_eq!(
        reqs.iter().find(|r| r.id == 630).unwrap().status,
        SeerrRequestStatus::Pending
    );
    assert_eq!(
        reqs.iter().find(|r| r.id == 626).unwrap().requested_by,
        "Admin"
    );
}

#[test]
fn details_give_title_year_poster_and_the_anime_keyword() {
    let info: DetailsWire = serde_json::from_value(json!({
        "name": "Frieren", "firstAirDate": "2023-09-29", "posterPath": "/p.jpg",
        "keywords": [{"id": 1, "name": "x"}, {"id": 210024, "name": "anime"}]
    }))
    .unwrap();
    assert_eq!(
        info.into_info(),
        TitleInfo {
            title: Some("Frieren".into()),
            year: Some(2023),
            poster_path: Some("/p.jpg".into()),
            is_anime: true
        }
    );
}

#[derive(Default)]
struct Fake {
    requests: Mutex<Vec<Value>>,
    calls: Mutex<Vec<String>>,
    /// The `Date` header to send (hyper's own clock otherwise).
    date: Mutex<Option<String>>,
    /// How long a title page takes.
    title_delay: Mutex<std::time::Duration>,
}

fn request(id: i64, tmdb: i64, updated: &str) -> Value {
    json!({"id": id, "status": 2, "type": "movie", "is4k": false,
           "createdAt": "2025-01-01T00:00:00.000Z", "updatedAt": updated,
           "media": {"tmdbId": tmdb, "tvdbId": null, "status": 3, "status4k": 1, "jellyfinMediaId": null},
           "requestedBy": {"displayName": "Ann"}, "seasons": []})
}

fn router(fake: Arc<Fake>) -> Router {
    Router::new()
        .route(
            "/api/v1/request",
            get(|State(f): State<Arc<Fake>>, h: AxumHeaders, Query(q): Query<Map<String, String>>| async move {
                if h.get("x-api-key").and_then(|v| v.to_str().ok()) != Some("good") {
                    return (axum::http::StatusCode::FORBIDDEN,
                        Json(json!({"status": 403, "error": "You do not have permission to access this endpoint"}))).into_response();
                }
                let allowed = ["take", "skip", "filter", "sort"];
                if q.keys().any(|k| !allowed.contains(&k.as_str())) {
                    return (axum::http::StatusCode::BAD_REQUEST, "Unknown query parameter").into_response();
                }
                f.calls.lock().unwrap().push(format!("request skip={} sort={}", q["skip"], q["sort"]));
                let mut all = f.requests.lock().unwrap().clone();
                if q["sort"] == "modified" {
                    all.sort_by(|a, b| b["updatedAt"].as_str().cmp(&a["updatedAt"].as_str()));
                } else {
                    all.sort_by_key(|r| -r["id"].as_i64().unwrap());
                }
                let take: usize = q["take"].parse().unwrap();
                let skip: usize = q["skip"].parse().unwrap();
                let total = all.len();
                let page: Vec<Value> = all.into_iter().skip(skip).take(take).collect();
                let mut resp = Json(json!({"pageInfo": {"pages": total.div_ceil(take), "pageSize": take, "results": total, "page": skip / take + 1},
                            "results": page})).into_response();
                if let Some(d) = f.date.lock().unwrap().clone() {
                    resp.headers_mut().insert("date", d.parse().unwrap());
                }
                resp
            }),
        )
        .route(
            "/api/v1/movie/{id}",
            get(|State(f): State<Arc<Fake>>, Path(id): Path<i64>| async move {
                let delay = *f.title_delay.lock().unwrap();
                tokio::time::sleep(delay).await;
                f.calls.lock().unwrap().push(format!("movie {id}"));
                Json(json!({"title": format!("Movie {id}"), "releaseDate": "2021-10-22", "posterPath": "/x.jpg", "keywords": []}))
            }),
        )
        .with_state(fake)
}

#[tokio::test]
async fn steady_cycles_read_only_what_changed_and_titles_once() {
    let fake = Arc::new(Fake {
        requests: Mutex::new(
            (1..=120)
                .map(|i| {
                    request(
                        i,
                        1000 + i,
                        &format!("2025-01-01T{:02}:{:02}:00.000Z", i / 60, i % 60),
                    )
                })
                .collect(),
        ),
        ..Fake::default()
    });
    let url = serve(router(fake.clone())).await;
    let stats = stats();
    let mut c = JellyseerrClient::new(
        &config("jellyseerr", &url),
        Secret::new("good"),
        stats.clone(),
    )
    .unwrap();
    let first = c.fetch(false).await.unwrap();
    assert!(first.complete, "the first read is a full listing");
    assert_eq!(first.requests.len(), 120);
    assert_eq!(first.requests[0].title.as_deref(), Some("Movie 1120"));
    assert_eq!(first.requests[0].year, Some(2021));
    assert_eq!(
        stats.requests(),
        3 + 120,
        "three pages and one title per new TMDB id"
    );

    fake.requests.lock().unwrap()[4] = request(5, 1005, "2025-02-01T00:00:00.000Z");
    let before = stats.requests();
    let steady = c.fetch(false).await.unwrap();
    assert!(!steady.complete);
    assert_eq!(
        steady.requests.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![5],
        "only the modified one"
    );
    assert_eq!(
        steady.requests[0].title.as_deref(),
        Some("Movie 1005"),
        "title from the cache"
    );
    assert_eq!(stats.requests() - before, 1, "one page, no title lookups");
    assert_eq!(
        fake.calls.lock().unwrap().last().unwrap(),
        "request skip=0 sort=modified"
    );
}

#[tokio::test]
async fn a_403_is_a_wrong_api_key() {
    let fake = Arc::new(Fake::default());
    let url = serve(router(fake)).await;
    let mut c = JellyseerrClient::new(
        &config("jellyseerr", &url),
        Secret::new("s3cr3t-key"),
        stats(),
    )
    .unwrap();
    let err = c.fetch(true).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
    assert_eq!(err.message, "wrong API key (Jellyseerr answered 403)");
    assert_eq!(err.service, "jellyseerr");
    assert!(
        !format!("{err:?} {c:?}").contains("s3cr3t"),
        "the key never prints"
    );
}

#[tokio::test]
async fn malformed_json_is_a_bad_response() {
    let url =
        serve(Router::new().route("/api/v1/request", get(|| async { "{\"pageInfo\": {" }))).await;
    let mut c =
        JellyseerrClient::new(&config("jellyseerr", &url), Secret::new("k"), stats()).unwrap();
    let err = c.fetch(true).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::BadResponse);
    assert!(
        err.message
            .starts_with("Jellyseerr sent something that is not JSON"),
        "{}",
        err.message
    );
}

/// `request(..)` with another status.
fn with_status(mut v: Value, status: i64) -> Value {
    v["status"] = json!(status);
    v
}

/// An HTTP date `secs` after `t`.
fn http_date(t: DateTime<Utc>, secs: i64) -> String {
    (t + chrono::TimeDelta::seconds(secs))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}

async fn client_for(fake: &Arc<Fake>) -> (JellyseerrClient, Arc<HttpStats>) {
    let url = serve(router(fake.clone())).await;
    let stats = stats();
    let c = JellyseerrClient::new(
        &config("jellyseerr", &url),
        Secret::new("good"),
        stats.clone(),
    )
    .unwrap();
    (c, stats)
}

const SECOND: &str = "2026-12-06T10:00:00.000Z";

fn second() -> DateTime<Utc> {
    SECOND.parse().unwrap()
}

#[tokio::test]
async fn a_change_in_the_cursors_own_second_is_seen() {
    // Seerr stamps whole seconds: the request was approved, seen, then
    // failed (Radarr refused it) in the same second.
    let fake = Arc::new(Fake::default());
    *fake.requests.lock().unwrap() = vec![
        request(1, 11, SECOND),
        request(2, 12, "2026-12-06T09:00:00.000Z"),
    ];
    *fake.date.lock().unwrap() = Some(http_date(second(), 0));
    let (mut c, stats) = client_for(&fake).await;
    c.fetch(false).await.unwrap();

    fake.requests.lock().unwrap()[0] = with_status(request(1, 11, SECOND), 4);
    let before = stats.requests();
    let next = c.fetch(false).await.unwrap();
    assert_eq!(
        next.requests
            .iter()
            .map(|r| (r.id, r.status))
            .collect::<Vec<_>>(),
        vec![(1, SeerrRequestStatus::Failed)],
        "a change with the cursor's own updatedAt is a change"
    );
    assert_eq!(stats.requests() - before, 1, "at no extra request");

    let again = c.fetch(false).await.unwrap();
    assert!(
        again.requests.is_empty(),
        "the same request, unchanged, is not news: {:?}",
        again.requests
    );
}

#[tokio::test]
async fn a_bulk_approval_in_one_second_is_seen_whole_and_the_second_closes() {
    let fake = Arc::new(Fake::default());
    *fake.requests.lock().unwrap() = (1..=60)
        .map(|i| with_status(request(i, 100 + i, "2026-12-06T09:00:00.000Z"), 1))
        .collect();
    *fake.date.lock().unwrap() = Some(http_date(second(), 0));
    let (mut c, stats) = client_for(&fake).await;
    c.fetch(false).await.unwrap();

    // 60 approvals in one second, more than a page; the tracker reads
    // while that second is still going on.
    *fake.requests.lock().unwrap() = (1..=60).map(|i| request(i, 100 + i, SECOND)).collect();
    let next = c.fetch(false).await.unwrap();
    assert_eq!(next.requests.len(), 60, "every approval of the second");
    assert!(next
        .requests
        .iter()
        .all(|r| r.status == SeerrRequestStatus::Approved));

    // One more approval lands in the same second, after the read.
    fake.requests.lock().unwrap()[59] = with_status(request(60, 160, SECOND), 3);
    let late = c.fetch(false).await.unwrap();
    assert_eq!(
        late.requests.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![60],
        "the open second is read again"
    );

    // Seerr's clock is now well past that second: it is closed, and a
    // steady cycle reads one page again.
    *fake.date.lock().unwrap() = Some(http_date(second(), 30));
    c.fetch(false).await.unwrap();
    let before = stats.requests();
    let steady = c.fetch(false).await.unwrap();
    assert!(steady.requests.is_empty());
    assert_eq!(
        stats.requests() - before,
        1,
        "a closed second is not read again"
    );
}

#[tokio::test]
async fn titles_read_past_the_budget_arrive_in_later_cycles_and_are_kept() {
    let fake = Arc::new(Fake::default());
    *fake.requests.lock().unwrap() = (1..=40)
        .map(|i| request(i, 1000 + i, "2026-12-06T09:00:00.000Z"))
        .collect();
    *fake.title_delay.lock().unwrap() = std::time::Duration::from_millis(40);
    let (mut c, _stats) = client_for(&fake).await;
    c.title_budget = std::time::Duration::from_millis(60);

    let first = c.fetch(false).await.unwrap();
    assert_eq!(
        first.requests.len(),
        40,
        "every request is reported at once"
    );
    let titled = first.requests.iter().filter(|r| r.title.is_some()).count();
    assert!(
        (1..40).contains(&titled),
        "some titles within the budget, not all: {titled}"
    );
    assert_eq!(c.progress(), (titled, 40));

    // What was read is kept between runs.
    let saved = serde_json::to_string(&c.saved()).unwrap();
    let (mut c, stats) = client_for(&fake).await;
    c.restore_state(&saved);
    c.title_budget = std::time::Duration::from_secs(30);
    let before = stats.requests();
    let next = c.fetch(false).await.unwrap();
    assert_eq!(
        stats.requests() - before,
        1 + (40 - titled) as u64,
        "one page, and only the titles not read before"
    );
    assert_eq!(
        next.requests.len(),
        40 - titled,
        "the requests whose title arrived are reported again"
    );
    assert!(next.requests.iter().all(|r| r.title.is_some()));
    assert_eq!(c.progress(), (40, 40));
    let steady = c.fetch(false).await.unwrap();
    assert!(steady.requests.is_empty(), "and then not again");
}
