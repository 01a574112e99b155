//! Unit tests of the Jellyfin client against small fake servers.

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

const SERIES: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const OTHER_SERIES: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

fn library() -> Vec<Value> {
    vec![
        json!({"Id": "11111111111111111111111111111111", "Name": "Dune", "Type": "Movie",
               "ProviderIds": {"tmdb": "438631", "Imdb": "tt1160419"}, "LocationType": "FileSystem",
               "Path": "/movies/Dune.mkv", "MediaSources": [{"Id": "x"}]}),
        json!({"Id": "22222222222222222222222222222222", "Name": "Placeholder", "Type": "Movie",
               "ProviderIds": {"Tmdb": "1"}, "LocationType": "Virtual"}),
        json!({"Id": SERIES, "Name": "Frieren", "Type": "Series",
               "ProviderIds": {"AniDB": "17617", "Shoko Series": "5"}, "Path": "/anime/Frieren"}),
        json!({"Id": OTHER_SERIES, "Name": "House", "Type": "Series", "ProviderIds": {"Tvdb": "73255"},
               "Path": "/tv/House"}),
        json!({"Id": "33333333333333333333333333333333", "Name": "E1", "Type": "Episode", "SeriesId": SERIES,
               "IndexNumber": 1, "ParentIndexNumber": 1, "Path": "/anime/Frieren/e1.mkv", "LocationType": "FileSystem"}),
        json!({"Id": "44444444444444444444444444444444", "Name": "Pilot", "Type": "Episode", "SeriesId": OTHER_SERIES,
               "IndexNumber": 1, "ParentIndexNumber": 1, "Path": "/tv/House/e1.mkv"}),
        json!({"Id": "55555555555555555555555555555555", "Name": "E2-3", "Type": "Episode", "SeriesId": SERIES,
               "IndexNumber": 2, "IndexNumberEnd": 3, "ParentIndexNumber": 1, "LocationType": "Virtual"}),
        json!({"Id": "66666666666666666666666666666666", "Name": "Movies", "Type": "CollectionFolder"}),
    ]
}

struct Fake {
    calls: Mutex<Vec<String>>,
    added: Mutex<Vec<Value>>,
}

/// A Jellyfin that ignores every filter and answers with the whole library.
fn router(fake: Arc<Fake>) -> Router {
    Router::new()
        .route(
            "/System/Info/Public",
            get(|| async { Json(json!({"Version": "10.11.11", "Id": "server1"})) }),
        )
        .route(
            "/Items",
            get(
                |State(f): State<Arc<Fake>>,
                 h: AxumHeaders,
                 Query(q): Query<Map<String, String>>| async move {
                    let auth = h
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    if !auth.starts_with("MediaBrowser Token=\"k3y\", Client=\"StatusTracker\"") {
                        return (axum::http::StatusCode::UNAUTHORIZED, "").into_response();
                    }
                    f.calls
                        .lock()
                        .unwrap()
                        .push(format!("items sortBy={:?}", q.get("sortBy")));
                    let mut all: Vec<Value> = f.added.lock().unwrap().clone();
                    all.extend(library());
                    let start: usize = q.get("startIndex").map_or(0, |s| s.parse().unwrap());
                    let total = all.len();
                    let items: Vec<Value> = all.into_iter().skip(start).collect();
                    Json(json!({"Items": items, "TotalRecordCount": total, "StartIndex": start}))
                        .into_response()
                },
            ),
        )
        .route(
            "/Shows/{id}/Episodes",
            get(
                |State(f): State<Arc<Fake>>, Path(id): Path<String>| async move {
                    f.calls.lock().unwrap().push(format!("episodes {id}"));
                    Json(json!({"Items": library(), "TotalRecordCount": 8}))
                },
            ),
        )
        .with_state(fake)
}

#[tokio::test]
async fn a_whole_library_answer_is_not_trusted() {
    let fake = Arc::new(Fake {
        calls: Mutex::new(vec![]),
        added: Mutex::new(vec![]),
    });
    let url = serve(router(fake.clone())).await;
    let stats = stats();
    let mut c =
        JellyfinClient::new(&config("jellyfin", &url), Secret::new("k3y"), stats.clone()).unwrap();
    let wants = Wants {
        jellyfin_series_ids: vec![SERIES.to_string()],
        ..Wants::default()
    };
    let data = c.fetch(&wants, false).await.unwrap();
    assert_eq!(data.server_id.as_deref(), Some("server1"));
    let by_id = |id: &str| data.items.iter().find(|i| i.id == id);

    let dune = by_id("11111111111111111111111111111111").unwrap();
    assert_eq!(
        dune.tmdb_id,
        Some(438_631),
        "provider keys are case-insensitive, values parsed"
    );
    assert!(dune.playable);
    assert!(
        !by_id("22222222222222222222222222222222").unwrap().playable,
        "Virtual is never playable"
    );
    let frieren = by_id(SERIES).unwrap();
    assert_eq!(
        (frieren.kind, frieren.anidb_id, frieren.tmdb_id),
        (JellyfinKind::Series, Some(17617), None)
    );
    assert!(
        by_id("66666666666666666666666666666666").is_none(),
        "folders are not indexed"
    );
    assert!(
        by_id("44444444444444444444444444444444").is_none(),
        "an episode of another series, though returned for {SERIES}, is dropped"
    );
    let e1 = by_id("33333333333333333333333333333333").unwrap();
    assert_eq!(
        (e1.season, e1.episode, e1.playable),
        (Some(1), Some(1), true)
    );
    let e23 = by_id("55555555555555555555555555555555").unwrap();
    assert_eq!(
        (e23.episode, e23.episode_end, e23.playable),
        (Some(2), Some(3), false)
    );
    assert_eq!(
        stats.requests(),
        3,
        "public info + index page + episodes of one series"
    );

    // Steady: one feed page; a new episode of the wanted series is merged.
    fake.added.lock().unwrap().push(
        json!({"Id": "77777777777777777777777777777777", "Name": "E4",
        "Type": "Episode", "SeriesId": SERIES, "IndexNumber": 4, "ParentIndexNumber": 1,
        "Path": "/anime/Frieren/e4.mkv"}),
    );
    let before = stats.requests();
    let steady = c.fetch(&wants, false).await.unwrap();
    assert_eq!(
        stats.requests() - before,
        1,
        "one DateCreated page, stopped at known items"
    );
    assert!(steady
        .items
        .iter()
        .any(|i| i.id == "77777777777777777777777777777777" && i.playable));
    assert_eq!(
        fake.calls.lock().unwrap().last().unwrap(),
        "items sortBy=Some(\"DateCreated\")"
    );
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized() {
    let fake = Arc::new(Fake {
        calls: Mutex::new(vec![]),
        added: Mutex::new(vec![]),
    });
    let url = serve(router(fake)).await;
    let mut c =
        JellyfinClient::new(&config("jellyfin", &url), Secret::new("wrong-key"), stats()).unwrap();
    let err = c.fetch(&Wants::default(), false).await.unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unauthorized);
    assert_eq!(err.message, "wrong API key (Jellyfin answered 401)");
    assert!(
        !format!("{err:?}{c:?}").contains("wrong-key"),
        "the key never prints"
    );
}

#[test]
fn ids_are_normalized_to_lower_case_n_form() {
    assert_eq!(
        normalize_id("6C5E2F0A-1B2C-4D5E-8F90-A1B2C3D4E5F6"),
        "6c5e2f0a1b2c4d5e8f90a1b2c3d4e5f6"
    );
}

/// A Jellyfin that applies `ids`, `includeItemTypes`, the DateCreated
/// order and paging, over a library the test changes.
#[derive(Default)]
struct Lib {
    items: Mutex<Vec<Value>>,
    calls: Mutex<Vec<String>>,
}

fn filtering_router(lib: Arc<Lib>) -> Router {
    Router::new()
        .route(
            "/System/Info/Public",
            get(|| async { Json(json!({"Version": "10.11.11", "Id": "server1"})) }),
        )
        .route(
            "/Items",
            get(
                |State(l): State<Arc<Lib>>, Query(q): Query<Map<String, String>>| async move {
                    l.calls.lock().unwrap().push(format!(
                        "items ids={:?} sortBy={:?}",
                        q.get("ids"),
                        q.get("sortBy")
                    ));
                    let mut all: Vec<Value> = l.items.lock().unwrap().clone();
                    if let Some(ids) = q.get("ids") {
                        let ids: Vec<&str> = ids.split(',').collect();
                        all.retain(|i| ids.contains(&i["Id"].as_str().unwrap()));
                    }
                    if let Some(types) = q.get("includeItemTypes") {
                        let types: Vec<&str> = types.split(',').collect();
                        all.retain(|i| types.contains(&i["Type"].as_str().unwrap()));
                    }
                    if q.get("sortBy").map(String::as_str) == Some("DateCreated") {
                        all.sort_by(|a, b| {
                            b["DateCreated"].as_str().cmp(&a["DateCreated"].as_str())
                        });
                    }
                    let start: usize = q.get("startIndex").map_or(0, |s| s.parse().unwrap());
                    let limit: usize = q.get("limit").map_or(usize::MAX, |s| s.parse().unwrap());
                    let total = all.len();
                    let items: Vec<Value> = all.into_iter().skip(start).take(limit).collect();
                    Json(json!({"Items": items, "TotalRecordCount": total, "StartIndex": start}))
                },
            ),
        )
        .with_state(lib)
}

fn movie(id: char, tmdb: i64, created: &str, path: Option<&str>) -> Value {
    let mut m = json!({"Id": id.to_string().repeat(32), "Name": format!("Film {tmdb}"), "Type": "Movie",
                       "ProviderIds": {"Tmdb": tmdb.to_string()}, "LocationType": "FileSystem",
                       "DateCreated": created});
    if let Some(p) = path {
        m["Path"] = json!(p);
        m["MediaSources"] = json!([{"Id": "x", "Path": p}]);
    }
    m
}

async fn lib_client(lib: &Arc<Lib>) -> (JellyfinClient, Arc<HttpStats>) {
    let url = serve(filtering_router(lib.clone())).await;
    let stats = stats();
    let c =
        JellyfinClient::new(&config("jellyfin", &url), Secret::new("k3y"), stats.clone()).unwrap();
    (c, stats)
}

#[tokio::test]
async fn a_cached_item_is_read_again_before_an_open_request_may_take_it() {
    let lib = Arc::new(Lib::default());
    *lib.items.lock().unwrap() = vec![
        movie('a', 10, "2026-01-01T00:00:00.0000000Z", Some("/m/Ten.mkv")),
        movie(
            'b',
            20,
            "2026-01-02T00:00:00.0000000Z",
            Some("/m/Twenty.mkv"),
        ),
    ];
    let (mut c, stats) = lib_client(&lib).await;
    c.fetch(&Wants::default(), false).await.unwrap();

    // The user deletes film 10 in Jellyfin, and requests it again.
    lib.items.lock().unwrap().remove(0);
    let wants = Wants {
        movie_tmdb_ids: vec![10],
        ..Wants::default()
    };
    let before = stats.requests();
    let data = c.fetch(&wants, false).await.unwrap();
    assert!(
        data.items.iter().all(|i| i.tmdb_id != Some(10)),
        "a deleted item is not handed to an open request: {:?}",
        data.items
    );
    assert_eq!(
        stats.requests() - before,
        2,
        "the feed page and one Items?ids= batch"
    );
    let last = lib.calls.lock().unwrap().last().cloned().unwrap();
    assert!(last.contains(&"a".repeat(32)), "{last}");

    // Nothing open holds a cached item: no confirmation.
    let before = stats.requests();
    let data = c.fetch(&Wants::default(), false).await.unwrap();
    assert_eq!(stats.requests() - before, 1);
    assert!(data.items.iter().any(|i| i.tmdb_id == Some(20)));
}

#[tokio::test]
async fn the_feed_brings_new_data_of_an_item_it_has_seen() {
    let lib = Arc::new(Lib::default());
    // A placeholder without a file, then the file (same Id: same path).
    *lib.items.lock().unwrap() = vec![
        movie('a', 10, "2026-01-01T00:00:00.0000000Z", Some("/m/Ten.mkv")),
        movie('c', 30, "2026-01-03T00:00:00.0000000Z", None),
    ];
    let (mut c, _stats) = lib_client(&lib).await;
    let data = c.fetch(&Wants::default(), false).await.unwrap();
    let thirty = |d: &JellyfinData| d.items.iter().find(|i| i.tmdb_id == Some(30)).cloned();
    assert!(!thirty(&data).unwrap().playable);
    assert_eq!(
        thirty(&data).unwrap().date_created,
        Some("2026-01-03T00:00:00Z".parse().unwrap())
    );

    lib.items.lock().unwrap()[1] = movie(
        'c',
        30,
        "2026-01-03T00:00:00.0000000Z",
        Some("/m/Thirty.mkv"),
    );
    let data = c.fetch(&Wants::default(), false).await.unwrap();
    assert!(
        thirty(&data).unwrap().playable,
        "the item the feed lists again, with its file, is taken as it is now"
    );
}

#[tokio::test]
async fn more_new_items_than_the_feed_reads_mean_the_whole_index() {
    let lib = Arc::new(Lib::default());
    *lib.items.lock().unwrap() = vec![movie(
        'a',
        10,
        "2026-01-01T00:00:00.0000000Z",
        Some("/m/Ten.mkv"),
    )];
    let (mut c, _stats) = lib_client(&lib).await;
    c.fetch(&Wants::default(), false).await.unwrap();
    // A big import: more new items than FEED_MAX_PAGES pages.
    let n = FEED_PAGE * FEED_MAX_PAGES + 10;
    lib.items.lock().unwrap().extend((0..n).map(|i| {
        json!({"Id": format!("{:032x}", 0xf000_0000_u64 + i as u64), "Name": "x", "Type": "Movie",
               "ProviderIds": {"Tmdb": (1000 + i).to_string()}, "Path": "/m/x.mkv",
               "DateCreated": format!("2026-02-01T00:00:{:02}.{:07}Z", i / 1_000_000 % 60, i)})
    }));
    let data = c.fetch(&Wants::default(), false).await.unwrap();
    assert_eq!(
        data.items
            .iter()
            .filter(|i| i.kind == JellyfinKind::Movie)
            .count(),
        n + 1,
        "no new item is hidden until the sweep"
    );
}

#[test]
fn shokofin_items_carry_their_shoko_file_ids() {
    // `Shoko File` holds the id as a string, as every ProviderIds value.
    let item: ItemWire = serde_json::from_value(json!({
        "Id": "cccccccccccccccccccccccccccccccc", "Name": "Frieren", "Type": "Episode",
        "ProviderIds": {"Shoko File": "123", "Shoko Episode": "9", "AniDB": "271000"},
        "LocationType": "FileSystem", "Path": "/vfs/Frieren/S01E01 [Shokofin].mkv"
    }))
    .unwrap();
    assert_eq!(item.into_item().shoko_file_ids, vec![123]);
    let plain: ItemWire = serde_json::from_value(json!({
        "Id": "dddddddddddddddddddddddddddddddd", "Name": "Dune", "Type": "Movie",
        "ProviderIds": {"Tmdb": "438631"}
    }))
    .unwrap();
    assert!(plain.into_item().shoko_file_ids.is_empty());
}
