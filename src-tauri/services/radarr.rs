//! Radarr (API v3): the queue (whole, from `queue/details`), the history
//! feed, and the movies the tracker asks for, cached by TMDB id.
//!
//! Cost per steady cycle: one `queue/details` (the whole queue), one
//! `history/since`, plus one `movie/{id}` per movie touched by *new* history
//! events or new in the queue. The whole library (`GET /api/v3/movie`) and
//! the tags are read on the first fetch and on a sweep only.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::Utc;
use serde::Deserialize;

use super::arr::{self, ArrApp, HistoryCursor};
use super::http::Http;
use super::{HttpStats, ServiceError, ServiceInfo};
use crate::config::ServiceConfig;
use crate::secrets::Secret;
use crate::tracker::model::{RadarrData, RadarrMovie, Wants};

/// `MovieResource`, the fields the tracker uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MovieWire {
    pub id: i64,
    #[serde(default)]
    pub tmdb_id: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub has_file: Option<bool>,
    #[serde(default)]
    pub monitored: Option<bool>,
    #[serde(default)]
    pub is_available: Option<bool>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<i64>>,
    #[serde(default)]
    pub movie_file: Option<MovieFileWire>,
    /// ISO 8601; read leniently (a date it cannot read is no date).
    #[serde(default)]
    pub added: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MovieFileWire {
    #[serde(default)]
    pub path: Option<String>,
}

/// `TagResource`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TagWire {
    pub id: i64,
    #[serde(default)]
    pub label: Option<String>,
}

/// The ids of tags labelled "anime" (case-insensitive).
pub(crate) fn anime_tag_ids(tags: &[TagWire]) -> HashSet<i64> {
    tags.iter()
        .filter(|t| {
            t.label
                .as_deref()
                .is_some_and(|l| l.trim().eq_ignore_ascii_case("anime"))
        })
        .map(|t| t.id)
        .collect()
}

impl MovieWire {
    fn into_movie(self, anime_tags: &HashSet<i64>) -> Option<RadarrMovie> {
        let tmdb_id = self.tmdb_id.filter(|t| *t > 0)?;
        let has_file = self.has_file.unwrap_or(false);
        Some(RadarrMovie {
            id: self.id,
            tmdb_id,
            title: self.title.unwrap_or_default(),
            has_file,
            monitored: self.monitored.unwrap_or(false),
            is_available: self.is_available.unwrap_or(false),
            status: self.status,
            is_anime: self
                .tags
                .unwrap_or_default()
                .iter()
                .any(|t| anime_tags.contains(t)),
            file_path: self
                .movie_file
                .and_then(|f| f.path)
                .filter(|p| has_file && !p.is_empty()),
            added: self.added.as_deref().and_then(arr::parse_added),
        })
    }
}

/// A Radarr client with its caches.
#[derive(Debug)]
pub struct RadarrClient {
    http: Http,
    history: HistoryCursor,
    /// Movies by TMDB id.
    movies: HashMap<i64, RadarrMovie>,
    /// Radarr movie id → TMDB id.
    by_id: HashMap<i64, i64>,
    anime_tags: Option<HashSet<i64>>,
    library_loaded: bool,
    /// Wanted TMDB ids Radarr did not know when asked (asked again on sweep).
    absent: HashSet<i64>,
}

/// What a Radarr client keeps between runs.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedState {
    history: HistoryCursor,
    movies: Vec<RadarrMovie>,
    anime_tags: Option<Vec<i64>>,
    library_loaded: bool,
    /// Kept so that `poll --once` does not ask again, every run, for each
    /// wanted film Radarr does not have (cleared by the sweep, as in a
    /// long-running process).
    #[serde(default)]
    absent: Vec<i64>,
}

/// [`SavedState`], borrowed from the client.
#[derive(serde::Serialize)]
struct SavedRef<'a> {
    history: &'a HistoryCursor,
    movies: Vec<&'a RadarrMovie>,
    anime_tags: Option<Vec<i64>>,
    library_loaded: bool,
    absent: Vec<i64>,
}

impl RadarrClient {
    /// The caches and history cursor, to keep between runs.
    pub fn saved(&self) -> impl serde::Serialize + '_ {
        SavedRef {
            history: &self.history,
            movies: self.movies.values().collect(),
            anime_tags: self
                .anime_tags
                .as_ref()
                .map(|t| t.iter().copied().collect()),
            library_loaded: self.library_loaded,
            absent: self.absent.iter().copied().collect(),
        }
    }

    /// Restores what [`Self::saved`] kept; anything unreadable is ignored.
    pub fn restore_state(&mut self, json: &str) {
        if let Ok(s) = serde_json::from_str::<SavedState>(json) {
            self.history = s.history;
            self.by_id = s.movies.iter().map(|m| (m.id, m.tmdb_id)).collect();
            self.movies = s.movies.into_iter().map(|m| (m.tmdb_id, m)).collect();
            self.anime_tags = s.anime_tags.map(|t| t.into_iter().collect());
            self.library_loaded = s.library_loaded;
            self.absent = s.absent.into_iter().collect();
        }
    }

    /// The HTTP client with its credentials, for the calls that act
    /// (`services::acting`).
    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    /// Builds the client; nothing is sent yet.
    pub fn new(
        cfg: &ServiceConfig,
        api_key: Secret,
        stats: Arc<HttpStats>,
    ) -> Result<Self, ServiceError> {
        Ok(Self {
            http: arr::build_http(ArrApp::Radarr, cfg, &api_key, stats)?,
            history: HistoryCursor::default(),
            movies: HashMap::new(),
            by_id: HashMap::new(),
            anime_tags: None,
            library_loaded: false,
            absent: HashSet::new(),
        })
    }

    /// `GET /api/v3/system/status`: the key works; Radarr's version.
    pub async fn test_connection(&mut self) -> Result<ServiceInfo, ServiceError> {
        arr::test_connection(&self.http).await
    }

    /// The queue, the history since the last call, and the wanted movies.
    /// Caches change only when the whole call succeeds.
    pub async fn fetch(&mut self, wants: &Wants, sweep: bool) -> Result<RadarrData, ServiceError> {
        let queue = arr::fetch_queue(&self.http, ArrApp::Radarr).await?;
        let (history, next_cursor) = self
            .history
            .fetch(&self.http, ArrApp::Radarr, Utc::now())
            .await?;

        let anime_tags = match (&self.anime_tags, sweep) {
            (Some(tags), false) => tags.clone(),
            _ => {
                let tags: Vec<TagWire> = arr::get_json(&self.http, "api/v3/tag", &[]).await?;
                anime_tag_ids(&tags)
            }
        };

        let mut movies = self.movies.clone();
        let mut by_id = self.by_id.clone();
        let mut absent = self.absent.clone();
        if sweep || !self.library_loaded {
            let all: Vec<MovieWire> = arr::get_json(&self.http, "api/v3/movie", &[]).await?;
            movies.clear();
            by_id.clear();
            absent.clear();
            for m in all.into_iter().filter_map(|m| m.into_movie(&anime_tags)) {
                by_id.insert(m.id, m.tmdb_id);
                movies.insert(m.tmdb_id, m);
            }
            // The full listing is the answer for every wanted id it lacks.
            absent.extend(
                wants
                    .movie_tmdb_ids
                    .iter()
                    .filter(|t| !movies.contains_key(t)),
            );
        } else {
            // Refresh only the movies the change feeds touched.
            let mut touched: BTreeSet<i64> = history.iter().map(|e| e.media_id).collect();
            touched.extend(
                queue
                    .iter()
                    .filter_map(|q| q.media_id)
                    .filter(|id| !by_id.contains_key(id)),
            );
            touched.remove(&0);
            for id in touched {
                let wire: MovieWire =
                    arr::get_json(&self.http, &format!("api/v3/movie/{id}"), &[]).await?;
                if let Some(m) = wire.into_movie(&anime_tags) {
                    absent.remove(&m.tmdb_id);
                    by_id.insert(m.id, m.tmdb_id);
                    movies.insert(m.tmdb_id, m);
                }
            }
        }

        // Wanted since the last full listing and never seen: ask once (again
        // on the next sweep).
        for tmdb in &wants.movie_tmdb_ids {
            if movies.contains_key(tmdb) || absent.contains(tmdb) {
                continue;
            }
            let found: Vec<MovieWire> =
                arr::get_json(&self.http, "api/v3/movie", &[("tmdbId", tmdb.to_string())]).await?;
            let found: Vec<RadarrMovie> = found
                .into_iter()
                .filter_map(|m| m.into_movie(&anime_tags))
                .filter(|m| m.tmdb_id == *tmdb)
                .collect();
            if found.is_empty() {
                absent.insert(*tmdb);
            }
            for m in found {
                by_id.insert(m.id, m.tmdb_id);
                movies.insert(m.tmdb_id, m);
            }
        }

        let wanted: Vec<RadarrMovie> = wants
            .movie_tmdb_ids
            .iter()
            .filter_map(|t| movies.get(t).cloned())
            .collect();

        self.history = next_cursor;
        self.anime_tags = Some(anime_tags);
        self.movies = movies;
        self.by_id = by_id;
        self.absent = absent;
        self.library_loaded = true;
        Ok(RadarrData {
            queue,
            history,
            movies: wanted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::http::test_support::*;
    use crate::services::ErrorKind;
    use crate::tracker::model::HistoryKind;
    use axum::extract::{Query, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use axum::{Json, Router};
    use serde_json::{json, Value};
    use std::collections::HashMap as Map;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    #[derive(Default)]
    struct Fake {
        queue_total: usize,
        calls: Mutex<Vec<String>>,
        history_since: Mutex<Vec<Value>>,
        movie_calls: AtomicUsize,
    }

    fn authorized(h: &HeaderMap) -> bool {
        h.get("x-api-key").and_then(|v| v.to_str().ok()) == Some("k3y")
    }

    fn queue_record(i: usize) -> Value {
        json!({"id": i, "movieId": 1, "title": format!("Release {i}"), "size": 100.0,
               "sizeleft": 50.5, "status": "downloading", "downloadId": format!("{i:040X}"),
               "protocol": "torrent", "statusMessages": []})
    }

    fn router(fake: Arc<Fake>) -> Router {
        Router::new()
            .route(
                "/api/v3/queue/details",
                get(
                    |State(f): State<Arc<Fake>>, h: HeaderMap, Query(q): Query<Map<String, String>>| async move {
                        if !authorized(&h) {
                            return StatusCode::UNAUTHORIZED.into_response();
                        }
                        f.calls.lock().unwrap().push(format!("queue {q:?}"));
                        // The whole queue, with a download Radarr cannot
                        // match to a movie (no movieId) among them.
                        let mut records: Vec<Value> = (0..f.queue_total).map(queue_record).collect();
                        let mut unknown = queue_record(f.queue_total);
                        unknown.as_object_mut().unwrap().remove("movieId");
                        records.insert(records.len() / 2, unknown);
                        Json(Value::Array(records)).into_response()
                    },
                ),
            )
            .route(
                "/api/v3/history",
                get(|| async {
                    Json(json!({"page": 1, "pageSize": 200, "totalRecords": 1, "records": [
                        {"id": 10, "movieId": 1, "sourceTitle": "Dune", "date": Utc::now().to_rfc3339(),
                         "downloadId": "AB", "eventType": "grabbed", "data": {"size": "12"}}
                    ]}))
                }),
            )
            .route(
                "/api/v3/history/since",
                get(|State(f): State<Arc<Fake>>| async move {
                    Json(Value::Array(f.history_since.lock().unwrap().clone()))
                }),
            )
            .route("/api/v3/tag", get(|| async { Json(json!([{"id": 4, "label": "Anime"}])) }))
            .route(
                "/api/v3/movie",
                get(|Query(q): Query<Map<String, String>>| async move {
                    if q.get("tmdbId").map(String::as_str) == Some("999") {
                        return Json(json!([]));
                    }
                    Json(json!([{"id": 1, "tmdbId": 438631, "title": "Dune", "hasFile": false,
                                 "monitored": true, "isAvailable": true, "status": "released", "tags": [4]}]))
                }),
            )
            .route(
                "/api/v3/movie/{id}",
                get(|State(f): State<Arc<Fake>>| async move {
                    f.movie_calls.fetch_add(1, Ordering::SeqCst);
                    Json(json!({"id": 1, "tmdbId": 438631, "title": "Dune", "hasFile": true,
                                "monitored": true, "isAvailable": true, "tags": [4],
                                "movieFile": {"path": "/movies/Dune (2021)/Dune.mkv"}}))
                }),
            )
            .with_state(fake)
    }

    async fn client(fake: Arc<Fake>, key: &str) -> (RadarrClient, Arc<HttpStats>) {
        let url = serve(router(fake)).await;
        let stats = stats();
        let c =
            RadarrClient::new(&config("radarr", &url), Secret::new(key), stats.clone()).unwrap();
        (c, stats)
    }

    #[tokio::test]
    async fn the_whole_queue_is_one_request_and_downloads_of_unknown_movies_are_dropped() {
        let fake = Arc::new(Fake {
            queue_total: 450,
            ..Fake::default()
        });
        let (mut c, _) = client(fake.clone(), "k3y").await;
        let wants = Wants {
            movie_tmdb_ids: vec![438631],
            ..Wants::default()
        };
        let data = c.fetch(&wants, false).await.unwrap();
        assert_eq!(
            data.queue.len(),
            450,
            "every record of the queue, and not the unknown download"
        );
        let calls = fake.calls.lock().unwrap().clone();
        assert_eq!(
            calls.len(),
            1,
            "a queue of 450 records is one request: {calls:?}"
        );
        assert_eq!(data.queue[0].sizeleft, 50.5);
    }

    #[tokio::test]
    async fn a_steady_cycle_costs_the_same_however_many_movies_are_wanted() {
        let fake = Arc::new(Fake {
            queue_total: 1,
            ..Fake::default()
        });
        let (mut c, stats) = client(fake.clone(), "k3y").await;
        let mut wants = Wants {
            movie_tmdb_ids: vec![438631],
            ..Wants::default()
        };
        let first = c.fetch(&wants, false).await.unwrap();
        assert_eq!(first.movies.len(), 1, "the wanted movie Radarr knows");
        assert!(
            first.movies[0].is_anime,
            "tag labelled Anime makes it anime"
        );
        assert_eq!(first.history.len(), 1);
        assert_eq!(first.history[0].kind, HistoryKind::Grabbed);
        assert_eq!(stats.requests(), 4, "queue + history + tag + movie list");

        // A newly wanted id Radarr does not know is looked up exactly once.
        wants.movie_tmdb_ids.push(999);
        let before = stats.requests();
        let with_new = c.fetch(&wants, false).await.unwrap();
        assert_eq!(
            stats.requests() - before,
            3,
            "queue + history + movie?tmdbId=999"
        );
        assert_eq!(with_new.movies.len(), 1, "999 is not in Radarr");

        let before = stats.requests();
        let steady = c.fetch(&wants, false).await.unwrap();
        assert_eq!(
            stats.requests() - before,
            2,
            "steady: queue + history/since only"
        );
        assert!(steady.history.is_empty());
        assert_eq!(fake.movie_calls.load(Ordering::SeqCst), 0);

        // A new import event refreshes that one movie.
        fake.history_since.lock().unwrap().push(json!({
            "id": 11, "movieId": 1, "sourceTitle": "Dune", "date": Utc::now().to_rfc3339(),
            "downloadId": "AB", "eventType": "downloadFolderImported",
            "data": {"importedPath": "/movies/Dune (2021)/Dune.mkv"}}));
        let before = stats.requests();
        let after_import = c.fetch(&wants, false).await.unwrap();
        assert_eq!(stats.requests() - before, 3, "queue + history + movie/1");
        assert!(after_import.movies[0].has_file);
        assert_eq!(
            after_import.movies[0].file_path.as_deref(),
            Some("/movies/Dune (2021)/Dune.mkv")
        );
        let before = stats.requests();
        c.fetch(&wants, false).await.unwrap();
        assert_eq!(
            stats.requests() - before,
            2,
            "the same event is not acted on twice"
        );
    }

    #[tokio::test]
    async fn a_film_radarr_lacks_is_not_asked_for_again_after_a_restart() {
        let fake = Arc::new(Fake::default());
        let (mut c, stats) = client(fake.clone(), "k3y").await;
        let wants = Wants {
            movie_tmdb_ids: vec![438631, 999],
            ..Wants::default()
        };
        c.fetch(&wants, false).await.unwrap();
        let saved = serde_json::to_string(&c.saved()).unwrap();

        // The next `poll --once`: a new process with the saved state.
        let (mut c, stats2) = client(fake, "k3y").await;
        c.restore_state(&saved);
        let data = c.fetch(&wants, false).await.unwrap();
        assert_eq!(data.movies.len(), 1);
        assert_eq!(
            stats2.requests(),
            2,
            "queue + history only: 999 was looked up in the run before"
        );
        assert_eq!(stats.requests(), 4);
        // The sweep forgets it, and asks for it with the whole library.
        c.fetch(&wants, true).await.unwrap();
        assert!(
            c.absent.contains(&999),
            "still absent after the full listing"
        );
    }

    #[tokio::test]
    async fn a_wrong_key_is_unauthorized() {
        let fake = Arc::new(Fake::default());
        let (mut c, _) = client(fake, "nope").await;
        let err = c.fetch(&Wants::default(), false).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unauthorized);
        assert_eq!(err.message, "wrong API key (Radarr answered 401)");
        assert_eq!(err.service, "radarr");
        assert!(
            !format!("{err:?}").contains("nope"),
            "the key never appears in an error"
        );
    }

    #[test]
    fn system_status_fixture_gives_the_version() {
        #[derive(Deserialize)]
        struct S {
            version: String,
            #[serde(rename = "appName")]
            app_name: String,
        }
        let s: S = serde_json::from_str(&fixture("radarr/system-status.ruddarr.json")).unwrap();
        assert_eq!(
            (s.app_name.as_str(), s.version.as_str()),
            ("Radarr", "5.2.6.8376")
        );
    }

    #[test]
    fn the_queue_fixture_embedded_movie_parses_as_a_movie() {
        let v: Value = serde_json::from_str(&fixture("radarr/queue.ruddarr.json")).unwrap();
        let wire: MovieWire = serde_json::from_value(v["records"][0]["movie"].clone()).unwrap();
        let m = wire.into_movie(&HashSet::new()).unwrap();
        assert_eq!((m.id, m.tmdb_id, m.has_file), (368, 1_290_938, true));
        assert_eq!(m.status.as_deref(), Some("released"));
        assert!(!m.is_anime);
    }
}
