//! Sonarr (API v3, Sonarr v3 and v4): the queue (whole, from `queue/details`,
//! one record per episode), the history feed, and the series and episodes
//! the tracker asks for, cached.
//!
//! Cost per steady cycle: one `queue/details` (the whole queue), one
//! `history/since`, plus one `episode?seriesId=` per wanted series that new
//! history touched or whose cached episode just aired. The series list is
//! read on the first fetch and on a sweep; every wanted series' episodes are
//! re-read on a sweep.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Deserialize;

use super::arr::{self, ArrApp, HistoryCursor};
use super::http::Http;
use super::{ErrorKind, HttpStats, ServiceError, ServiceInfo};
use crate::config::ServiceConfig;
use crate::secrets::Secret;
use crate::tracker::model::{HistoryKind, SonarrData, SonarrEpisode, SonarrSeries, Wants};

/// `SeriesResource`, the fields the tracker uses.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SeriesWire {
    pub id: i64,
    #[serde(default)]
    pub tvdb_id: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub series_type: Option<String>,
    /// ISO 8601; read leniently (a date it cannot read is no date).
    #[serde(default)]
    pub added: Option<String>,
}

/// `EpisodeResource` (with `episodeFile` when `includeEpisodeFile=true`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EpisodeWire {
    pub id: i64,
    #[serde(default)]
    pub season_number: Option<i32>,
    #[serde(default)]
    pub episode_number: Option<i32>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub air_date_utc: Option<DateTime<Utc>>,
    #[serde(default)]
    pub monitored: Option<bool>,
    #[serde(default)]
    pub has_file: Option<bool>,
    #[serde(default)]
    pub episode_file_id: Option<i64>,
    #[serde(default)]
    pub episode_file: Option<EpisodeFileWire>,
}

/// `EpisodeFileResource`, the fields the tracker uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EpisodeFileWire {
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub path: Option<String>,
}

impl EpisodeWire {
    fn into_episode(self, file_paths: &HashMap<i64, String>) -> SonarrEpisode {
        let has_file = self.has_file.unwrap_or(false);
        let file_path = if has_file {
            self.episode_file
                .and_then(|f| f.path)
                .filter(|p| !p.is_empty())
                .or_else(|| {
                    self.episode_file_id
                        .and_then(|id| file_paths.get(&id).cloned())
                })
        } else {
            None
        };
        SonarrEpisode {
            id: self.id,
            season: self.season_number.unwrap_or(0),
            number: self.episode_number.unwrap_or(0),
            title: self.title,
            air_date_utc: self.air_date_utc,
            monitored: self.monitored.unwrap_or(false),
            has_file,
            file_path,
        }
    }
}

/// One series with its cached episodes.
#[derive(Debug, Clone, serde::Serialize, Deserialize)]
struct CachedSeries {
    series: SeriesWire,
    episodes: Option<CachedEpisodes>,
}

#[derive(Debug, Clone, serde::Serialize, Deserialize)]
struct CachedEpisodes {
    episodes: Arc<Vec<SonarrEpisode>>,
    fetched_at: DateTime<Utc>,
}

impl CachedEpisodes {
    /// An episode aired since the episodes were read (Sonarr may grab it now).
    fn one_aired_since(&self, now: DateTime<Utc>) -> bool {
        self.episodes.iter().any(|e| {
            e.air_date_utc
                .is_some_and(|d| d > self.fetched_at && d <= now)
        })
    }
}

/// Series whose episodes are read at once (first contact, the sweep): a
/// few, so a library of thousands is read in a fraction of the time one by
/// one takes, without crowding Sonarr.
const EPISODE_CONCURRENCY: usize = 4;

/// A Sonarr client with its caches.
#[derive(Debug)]
pub struct SonarrClient {
    http: Http,
    history: HistoryCursor,
    /// Series by Sonarr id.
    series: HashMap<i64, CachedSeries>,
    /// TVDB id → Sonarr id.
    by_tvdb: HashMap<i64, i64>,
    library_loaded: bool,
    /// Wanted TVDB ids Sonarr did not know (asked again on sweep).
    absent: HashSet<i64>,
}

/// What a Sonarr client keeps between runs.
#[derive(serde::Serialize, Deserialize)]
struct SavedState {
    history: HistoryCursor,
    series: Vec<CachedSeries>,
    library_loaded: bool,
    /// Kept so that `poll --once` does not ask again, every run, for each
    /// wanted series Sonarr does not have (cleared by the sweep).
    #[serde(default)]
    absent: Vec<i64>,
}

/// [`SavedState`], borrowed from the client.
#[derive(serde::Serialize)]
struct SavedRef<'a> {
    history: &'a HistoryCursor,
    series: Vec<&'a CachedSeries>,
    library_loaded: bool,
    absent: Vec<i64>,
}

impl SonarrClient {
    /// The caches and history cursor, to keep between runs.
    pub fn saved(&self) -> impl serde::Serialize + '_ {
        SavedRef {
            history: &self.history,
            series: self.series.values().collect(),
            library_loaded: self.library_loaded,
            absent: self.absent.iter().copied().collect(),
        }
    }

    /// Restores what [`Self::saved`] kept; anything unreadable is ignored.
    pub fn restore_state(&mut self, json: &str) {
        if let Ok(s) = serde_json::from_str::<SavedState>(json) {
            self.history = s.history;
            self.by_tvdb = s
                .series
                .iter()
                .filter_map(|c| c.series.tvdb_id.map(|t| (t, c.series.id)))
                .collect();
            self.series = s.series.into_iter().map(|c| (c.series.id, c)).collect();
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
            http: arr::build_http(ArrApp::Sonarr, cfg, &api_key, stats)?,
            history: HistoryCursor::default(),
            series: HashMap::new(),
            by_tvdb: HashMap::new(),
            library_loaded: false,
            absent: HashSet::new(),
        })
    }

    /// `GET /api/v3/system/status`: the key works; Sonarr's version.
    pub async fn test_connection(&mut self) -> Result<ServiceInfo, ServiceError> {
        arr::test_connection(&self.http).await
    }

    /// The queue, the history since the last call, and the wanted series
    /// with their episodes. Caches change only when the whole call succeeds.
    pub async fn fetch(&mut self, wants: &Wants, sweep: bool) -> Result<SonarrData, ServiceError> {
        let now = Utc::now();
        let queue = arr::fetch_queue(&self.http, ArrApp::Sonarr).await?;
        let (history, next_cursor) = self.history.fetch(&self.http, ArrApp::Sonarr, now).await?;

        let mut series = self.series.clone();
        let mut by_tvdb = self.by_tvdb.clone();
        let mut absent = self.absent.clone();

        if sweep || !self.library_loaded {
            let all: Vec<SeriesWire> = arr::get_json(&self.http, "api/v3/series", &[]).await?;
            let old = std::mem::take(&mut series);
            by_tvdb.clear();
            absent.clear();
            for s in all {
                let episodes = old.get(&s.id).and_then(|c| c.episodes.clone());
                if let Some(tvdb) = s.tvdb_id.filter(|t| *t > 0) {
                    by_tvdb.insert(tvdb, s.id);
                }
                series.insert(
                    s.id,
                    CachedSeries {
                        series: s,
                        episodes,
                    },
                );
            }
            absent.extend(
                wants
                    .series_tvdb_ids
                    .iter()
                    .filter(|t| !by_tvdb.contains_key(t)),
            );
        }

        // Wanted since the last full listing and never seen: ask once.
        for tvdb in &wants.series_tvdb_ids {
            if by_tvdb.contains_key(tvdb) || absent.contains(tvdb) {
                continue;
            }
            let found: Vec<SeriesWire> =
                arr::get_json(&self.http, "api/v3/series", &[("tvdbId", tvdb.to_string())]).await?;
            let found: Vec<SeriesWire> = found
                .into_iter()
                .filter(|s| s.tvdb_id == Some(*tvdb))
                .collect();
            if found.is_empty() {
                absent.insert(*tvdb);
            }
            for s in found {
                by_tvdb.insert(*tvdb, s.id);
                series.insert(
                    s.id,
                    CachedSeries {
                        series: s,
                        episodes: None,
                    },
                );
            }
        }

        // Series the history touched: their episodes (and files) changed.
        let touched: HashSet<i64> = history
            .iter()
            .filter(|e| e.kind != HistoryKind::Other)
            .map(|e| e.media_id)
            .collect();

        let wanted_ids: BTreeSet<i64> = wants
            .series_tvdb_ids
            .iter()
            .filter_map(|t| by_tvdb.get(t).copied())
            .collect();
        let stale: Vec<i64> = wanted_ids
            .iter()
            .copied()
            .filter(|id| match series.get(id).map(|c| &c.episodes) {
                None => false,
                Some(None) => true,
                Some(Some(eps)) => sweep || touched.contains(id) || eps.one_aired_since(now),
            })
            .collect();
        if let Err(e) = read_episodes(&self.http, &stale, &mut series, now).await {
            // What was read stays read (first contact with a big library,
            // Sonarr going down half-way): the library listing and every
            // series' episodes read so far. The history cursor does not move.
            self.series = series;
            self.by_tvdb = by_tvdb;
            self.absent = absent;
            self.library_loaded = true;
            return Err(e);
        }

        let wanted: Vec<SonarrSeries> = wanted_ids
            .iter()
            .filter_map(|id| series.get(id))
            .filter_map(|c| {
                Some(SonarrSeries {
                    id: c.series.id,
                    tvdb_id: c.series.tvdb_id?,
                    title: c.series.title.clone().unwrap_or_default(),
                    is_anime: c
                        .series
                        .series_type
                        .as_deref()
                        .is_some_and(|t| t.eq_ignore_ascii_case("anime")),
                    added: c.series.added.as_deref().and_then(arr::parse_added),
                    episodes: c
                        .episodes
                        .as_ref()
                        .map(|e| e.episodes.clone())
                        .unwrap_or_default(),
                })
            })
            .collect();

        self.history = next_cursor;
        self.series = series;
        self.by_tvdb = by_tvdb;
        self.absent = absent;
        self.library_loaded = true;
        Ok(SonarrData {
            queue,
            history,
            series: wanted,
        })
    }
}

/// Reads the episodes of the series `ids`, [`EPISODE_CONCURRENCY`] at a
/// time, into `series` as each answer arrives. After a failure no new read
/// starts; the ones under way finish and are kept; the failure is returned.
async fn read_episodes(
    http: &Http,
    ids: &[i64],
    series: &mut HashMap<i64, CachedSeries>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    let mut ids = ids.iter().copied();
    let mut running = tokio::task::JoinSet::new();
    let mut failed = None;
    loop {
        while failed.is_none() && running.len() < EPISODE_CONCURRENCY {
            let Some(id) = ids.next() else { break };
            let http = http.clone();
            running.spawn(async move { (id, fetch_episodes(&http, id).await) });
        }
        let Some(done) = running.join_next().await else {
            break;
        };
        let result = done
            .map_err(|e| {
                ServiceError::new(
                    "sonarr",
                    ErrorKind::BadResponse,
                    format!("episode read: {e}"),
                )
            })
            .and_then(|(id, r)| r.map(|eps| (id, eps)));
        match result {
            Ok((id, episodes)) => {
                if let Some(cached) = series.get_mut(&id) {
                    cached.episodes = Some(CachedEpisodes {
                        episodes: Arc::new(episodes),
                        fetched_at: now,
                    });
                }
            }
            Err(e) => {
                failed.get_or_insert(e);
            }
        }
    }
    failed.map_or(Ok(()), Err)
}

/// `GET /api/v3/episode?seriesId=&includeEpisodeFile=true`; when an
/// episode has a file but no embedded path (older Sonarr), one
/// `GET /api/v3/episodefile?seriesId=` fills the paths in.
async fn fetch_episodes(http: &Http, series_id: i64) -> Result<Vec<SonarrEpisode>, ServiceError> {
    let wire: Vec<EpisodeWire> = arr::get_json(
        http,
        "api/v3/episode",
        &[
            ("seriesId", series_id.to_string()),
            ("includeEpisodeFile", "true".to_string()),
        ],
    )
    .await?;
    let needs_files = wire.iter().any(|e| {
        e.has_file == Some(true)
            && e.episode_file
                .as_ref()
                .and_then(|f| f.path.as_deref())
                .is_none_or(str::is_empty)
    });
    let mut file_paths = HashMap::new();
    if needs_files {
        let files: Vec<EpisodeFileWire> = arr::get_json(
            http,
            "api/v3/episodefile",
            &[("seriesId", series_id.to_string())],
        )
        .await?;
        for f in files {
            if let (Some(id), Some(path)) = (f.id, f.path) {
                file_paths.insert(id, path);
            }
        }
    }
    Ok(wire
        .into_iter()
        .map(|e| e.into_episode(&file_paths))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::http::test_support::*;
    use axum::extract::{Query, State};
    use axum::response::IntoResponse;
    use axum::routing::get;
    use axum::{Json, Router};
    use serde_json::{json, Value};
    use std::collections::HashMap as Map;
    use std::sync::Mutex;

    #[test]
    fn episodes_fixture_becomes_episodes_with_file_paths() {
        let wire: Vec<EpisodeWire> =
            serde_json::from_str(&fixture("sonarr/episodes.ruddarr.json")).unwrap();
        assert_eq!(wire.len(), 38);
        let eps: Vec<SonarrEpisode> = wire
            .into_iter()
            .map(|e| e.into_episode(&HashMap::new()))
            .collect();
        let special = eps.iter().find(|e| e.id == 1467).unwrap();
        assert_eq!((special.season, special.number), (0, 1));
        assert!(!special.has_file && special.file_path.is_none());
        assert_eq!(
            special.air_date_utc,
            Some("2009-09-02T01:00:00Z".parse().unwrap())
        );
        let first = eps.iter().find(|e| e.id == 1481).unwrap();
        assert_eq!((first.season, first.number), (1, 1));
        assert_eq!(first.title.as_deref(), Some("Stockholm Syndrome"));
        assert!(first.has_file);
        assert_eq!(
            first.file_path.as_deref(),
            Some("/volume2/Media/TV Series/Bored to Death/Bored to Death - S01E01 - Stockholm Syndrome.mkv")
        );
        assert!(
            eps.iter().any(|e| e.air_date_utc.is_none()),
            "an episode without airDateUtc parses (field omitted, not null)"
        );
    }

    #[derive(Default)]
    struct Fake {
        calls: Mutex<Vec<String>>,
        since: Mutex<Vec<Value>>,
        /// The series whose episode read answers 500.
        failing: Mutex<Option<String>>,
    }

    fn router(fake: Arc<Fake>) -> Router {
        Router::new()
            .route("/api/v3/queue/details", get(|| async { Json(json!([])) }))
            .route(
                "/api/v3/history",
                get(|| async {
                    Json(json!({"page": 1, "pageSize": 200, "totalRecords": 0, "records": []}))
                }),
            )
            .route(
                "/api/v3/history/since",
                get(|State(f): State<Arc<Fake>>| async move {
                    Json(Value::Array(f.since.lock().unwrap().clone()))
                }),
            )
            .route(
                "/api/v3/series",
                get(|| async {
                    Json(json!([
                        {"id": 64, "tvdbId": 73255, "title": "House", "seriesType": "standard"},
                        {"id": 65, "tvdbId": 81797, "title": "One Piece", "seriesType": "anime"},
                        {"id": 66, "tvdbId": 1, "title": "Unwanted"}
                    ]))
                }),
            )
            .route(
                "/api/v3/episode",
                get(
                    |State(f): State<Arc<Fake>>, Query(q): Query<Map<String, String>>| async move {
                        f.calls
                            .lock()
                            .unwrap()
                            .push(format!("episode {}", q["seriesId"]));
                        if f.failing.lock().unwrap().as_ref() == Some(&q["seriesId"]) {
                            return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
                        }
                        Json(
                            json!([{"id": 1, "seriesId": 64, "seasonNumber": 1, "episodeNumber": 1,
                                 "hasFile": true, "monitored": true, "episodeFileId": 7,
                                 "airDateUtc": "2004-11-17T02:00:00Z"}]),
                        )
                        .into_response()
                    },
                ),
            )
            .route(
                "/api/v3/episodefile",
                get(|State(f): State<Arc<Fake>>| async move {
                    f.calls.lock().unwrap().push("episodefile".to_string());
                    Json(json!([{"id": 7, "path": "/tv/House/Season 01/House - S01E01.mkv"}]))
                }),
            )
            .with_state(fake)
    }

    async fn client(fake: Arc<Fake>) -> (SonarrClient, Arc<HttpStats>) {
        let url = serve(router(fake)).await;
        let stats = stats();
        let c =
            SonarrClient::new(&config("sonarr", &url), Secret::new("k"), stats.clone()).unwrap();
        (c, stats)
    }

    #[tokio::test]
    async fn episodes_are_read_once_and_again_only_when_history_touches_the_series() {
        let fake = Arc::new(Fake::default());
        let (mut c, stats) = client(fake.clone()).await;
        let wants = Wants {
            series_tvdb_ids: vec![73255, 81797],
            ..Wants::default()
        };
        let first = c.fetch(&wants, false).await.unwrap();
        assert_eq!(first.series.len(), 2, "only wanted series are reported");
        let anime = first.series.iter().find(|s| s.id == 65).unwrap();
        assert!(anime.is_anime, "seriesType anime");
        let house = first.series.iter().find(|s| s.id == 64).unwrap();
        assert_eq!(
            house.episodes[0].file_path.as_deref(),
            Some("/tv/House/Season 01/House - S01E01.mkv"),
            "a file without an embedded path is read from episodefile"
        );

        fake.calls.lock().unwrap().clear();
        let before = stats.requests();
        c.fetch(&wants, false).await.unwrap();
        assert_eq!(
            stats.requests() - before,
            2,
            "steady: queue + history/since"
        );
        assert!(fake.calls.lock().unwrap().is_empty());

        fake.since.lock().unwrap().push(json!({"id": 5, "seriesId": 64, "episodeId": 1,
            "sourceTitle": "House.S01E01", "date": Utc::now().to_rfc3339(), "eventType": "downloadFolderImported",
            "downloadId": "CA45", "data": {"importedPath": "/tv/House/Season 01/House - S01E01.mkv"}}));
        c.fetch(&wants, false).await.unwrap();
        assert_eq!(
            fake.calls.lock().unwrap().clone(),
            vec!["episode 64", "episodefile"],
            "only the touched series is refreshed"
        );
    }

    #[tokio::test]
    async fn episodes_read_before_sonarr_failed_are_kept() {
        let fake = Arc::new(Fake::default());
        *fake.failing.lock().unwrap() = Some("65".into());
        let (mut c, stats) = client(fake.clone()).await;
        let wants = Wants {
            series_tvdb_ids: vec![73255, 81797],
            ..Wants::default()
        };
        assert!(
            c.fetch(&wants, false).await.is_err(),
            "a failed read fails the fetch"
        );
        *fake.failing.lock().unwrap() = None;
        fake.calls.lock().unwrap().clear();
        let before = stats.requests();
        let data = c.fetch(&wants, false).await.unwrap();
        assert_eq!(
            fake.calls.lock().unwrap().clone(),
            vec!["episode 65", "episodefile"],
            "House's episodes were read before the failure: only One Piece's are left"
        );
        assert_eq!(
            stats.requests() - before,
            4,
            "queue + history + One Piece's episodes and files (the library listing is kept too)"
        );
        assert!(data.series.iter().all(|s| !s.episodes.is_empty()));
    }
}
