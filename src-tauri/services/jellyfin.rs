//! Jellyfin: a library index of movies and series (ProviderIds, playable or
//! not), kept current from the DateCreated feed, plus the episodes of the
//! series the tracker asks for.
//!
//! Jellyfin silently ignores query filters it does not know and then answers
//! with the whole library, so no answer is trusted: item types, series ids
//! and ProviderIds are all checked here.
//!
//! Cost per steady cycle: one page of the 50 newest items (more only when
//! more than 50 arrived), plus one `Shows/{id}/Episodes` per newly wanted
//! series, plus one `Items?ids=` while an open request has a cached item to
//! confirm. The full index is read on the first fetch and on a sweep.
//!
//! Caches, and what invalidates them:
//! - The index of movies and series (`index`): Jellyfin derives an item's Id
//!   from its path, so a replaced or upgraded file is a new item (new Id, new
//!   DateCreated) and a deleted one is gone. The DateCreated feed brings new
//!   items and new data of items it lists again; it cannot tell a deletion.
//!   So an index item is only trusted as it was read: before an open request
//!   may take a cached item (one not read in this fetch) as evidence, it is
//!   read again with `Items?ids=` (a batch), and dropped when Jellyfin no
//!   longer has it. The sweep reads the whole index again.
//! - Episodes of wanted series (`episodes`): read whole when a series
//!   becomes wanted, then kept current by the feed (new and changed
//!   episodes); a deleted episode is dropped by the sweep.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use reqwest::header::{HeaderMap, HeaderValue, AUTHORIZATION};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::http::{percent_encode, Answer, Http};
use super::{ErrorKind, HttpStats, ServiceError, ServiceInfo};
use crate::config::ServiceConfig;
use crate::secrets::Secret;
use crate::tracker::model::{JellyfinData, JellyfinItem, JellyfinKind, Wants};

/// Items per index page.
const INDEX_PAGE: usize = 500;
/// Items per page of the DateCreated feed.
const FEED_PAGE: usize = 50;
/// At most this many feed pages per cycle (then the next sweep catches up).
const FEED_MAX_PAGES: usize = 10;
/// More wanted series than this to read at once (first contact): the
/// library's episodes in pages, not one read per series.
const LIBRARY_EPISODES_FROM: usize = 20;
/// A safety stop for the index: 400 pages of 500.
const INDEX_MAX_PAGES: usize = 400;
/// The fields asked for every item read (each is sent only when asked).
const ITEM_FIELDS: &str = "ProviderIds,Path,MediaSources,DateCreated";
/// Item ids per `Items?ids=` request (32 hex digits each: ~1.7 KB of URL).
const CONFIRM_BATCH: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ItemsWire {
    #[serde(default)]
    pub items: Vec<ItemWire>,
    #[serde(default)]
    pub total_record_count: Option<i64>,
}

/// `BaseItemDto`, the fields the tracker uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ItemWire {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(rename = "Type", default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub provider_ids: Option<HashMap<String, Option<String>>>,
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub media_sources: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    pub location_type: Option<String>,
    #[serde(default)]
    pub index_number: Option<i32>,
    #[serde(default)]
    pub index_number_end: Option<i32>,
    #[serde(default)]
    pub parent_index_number: Option<i32>,
    #[serde(default)]
    pub series_id: Option<String>,
    #[serde(default)]
    pub date_created: Option<DateTime<Utc>>,
}

/// Ids as 32 lower-case hex digits (Jellyfin sends the "N" form; a dashed
/// GUID is folded too).
pub(crate) fn normalize_id(id: &str) -> String {
    id.chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_ascii_lowercase()
}

impl ItemWire {
    /// A provider id, key compared case-insensitively, value parsed to i64.
    fn provider_id(&self, key: &str) -> Option<i64> {
        self.provider_ids
            .as_ref()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .and_then(|(_, v)| v.as_deref())
            .and_then(|v| v.trim().parse().ok())
    }

    fn kind(&self) -> JellyfinKind {
        match self.kind.as_deref() {
            Some("Movie") => JellyfinKind::Movie,
            Some("Series") => JellyfinKind::Series,
            Some("Episode") => JellyfinKind::Episode,
            _ => JellyfinKind::Other,
        }
    }

    /// A real file: FileSystem (or no LocationType) with a path or a media
    /// source; never Virtual. A series counts when its folder exists.
    fn playable(&self) -> bool {
        let on_disk = matches!(self.location_type.as_deref(), None | Some("FileSystem"));
        let has_path = self.path.as_deref().is_some_and(|p| !p.trim().is_empty());
        let has_sources = self.media_sources.as_ref().is_some_and(|m| !m.is_empty());
        on_disk && (has_path || has_sources)
    }

    /// [`Self::into_item`], shared: the client's caches and the data it
    /// hands over hold the same item.
    pub fn into_shared(self) -> Item {
        Arc::new(self.into_item())
    }

    pub fn into_item(self) -> JellyfinItem {
        JellyfinItem {
            id: normalize_id(&self.id),
            kind: self.kind(),
            tmdb_id: self.provider_id("Tmdb"),
            tvdb_id: self.provider_id("Tvdb"),
            anidb_id: self.provider_id("AniDB"),
            playable: self.playable(),
            series_id: self.series_id.as_deref().map(normalize_id),
            season: self.parent_index_number,
            episode: self.index_number,
            episode_end: self.index_number_end,
            name: self.name.unwrap_or_default(),
            date_created: self.date_created,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PublicInfoWire {
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    id: Option<String>,
}

/// The `Authorization: MediaBrowser ...` header, values URL-encoded.
fn auth_header(cfg: &ServiceConfig, api_key: &Secret) -> Result<HeaderValue, ServiceError> {
    let value = format!(
        "MediaBrowser Token=\"{}\", Client=\"StatusTracker\", Device=\"{}\", DeviceId=\"{}\", Version=\"{}\"",
        percent_encode(api_key.expose()),
        percent_encode("Status Tracker"),
        percent_encode(&format!("status-tracker-{}", cfg.name)),
        percent_encode(env!("CARGO_PKG_VERSION")),
    );
    let mut header = HeaderValue::from_str(&value).map_err(|_| {
        ServiceError::new(
            &cfg.name,
            ErrorKind::Config,
            "the Jellyfin API key cannot be sent in a header",
        )
    })?;
    header.set_sensitive(true);
    Ok(header)
}

/// An item as the client keeps it and hands it over.
type Item = Arc<JellyfinItem>;

/// A Jellyfin client with its library index and episode caches.
#[derive(Debug)]
pub struct JellyfinClient {
    http: Http,
    server_id: Option<String>,
    /// Movies and series by id.
    index: HashMap<String, Item>,
    index_loaded: bool,
    /// Episodes by series id, for wanted series.
    episodes: HashMap<String, HashMap<String, Item>>,
    /// Items the DateCreated feed already reported (episodes of series nobody
    /// follows included), so a steady cycle reads one page.
    feed_seen: HashSet<String>,
}

/// What a Jellyfin client keeps between runs.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedState {
    server_id: Option<String>,
    index: Vec<JellyfinItem>,
    index_loaded: bool,
    episodes: Vec<(String, Vec<JellyfinItem>)>,
    #[serde(default)]
    feed_seen: Vec<String>,
}

/// [`SavedState`], borrowed from the client: written as it is serialized,
/// without a copy of the items.
#[derive(serde::Serialize)]
struct SavedRef<'a> {
    server_id: &'a Option<String>,
    index: Vec<&'a JellyfinItem>,
    index_loaded: bool,
    episodes: Vec<(&'a String, Vec<&'a JellyfinItem>)>,
    feed_seen: Vec<&'a String>,
}

impl JellyfinClient {
    /// The library index and episode caches, to keep between runs.
    pub fn saved(&self) -> impl serde::Serialize + '_ {
        SavedRef {
            server_id: &self.server_id,
            index: self.index.values().map(|i| &**i).collect(),
            index_loaded: self.index_loaded,
            episodes: self
                .episodes
                .iter()
                .map(|(k, v)| (k, v.values().map(|i| &**i).collect()))
                .collect(),
            feed_seen: self.feed_seen.iter().collect(),
        }
    }

    /// Restores what [`Self::saved`] kept; anything unreadable is ignored.
    pub fn restore_state(&mut self, json: &str) {
        if let Ok(s) = serde_json::from_str::<SavedState>(json) {
            self.server_id = s.server_id;
            self.index = s
                .index
                .into_iter()
                .map(|i| (i.id.clone(), Arc::new(i)))
                .collect();
            self.index_loaded = s.index_loaded;
            self.episodes = s
                .episodes
                .into_iter()
                .map(|(k, v)| {
                    let eps = v.into_iter().map(|i| (i.id.clone(), Arc::new(i)));
                    (k, eps.collect())
                })
                .collect();
            self.feed_seen = s.feed_seen.into_iter().collect();
        }
    }

    /// Builds the client with the `Authorization: MediaBrowser` header.
    pub fn new(
        cfg: &ServiceConfig,
        api_key: Secret,
        stats: Arc<HttpStats>,
    ) -> Result<Self, ServiceError> {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, auth_header(cfg, &api_key)?);
        Ok(Self {
            http: Http::new(cfg, "Jellyfin", headers, false, stats)?,
            server_id: None,
            index: HashMap::new(),
            index_loaded: false,
            episodes: HashMap::new(),
            feed_seen: HashSet::new(),
        })
    }

    /// Public `GET /System/Info/Public` (version, server id), then
    /// `GET /System/Info` to check the key.
    pub async fn test_connection(&mut self) -> Result<ServiceInfo, ServiceError> {
        let public: PublicInfoWire = self.get_json("System/Info/Public", &[]).await?;
        let _info: serde_json::Value = self.get_json("System/Info", &[]).await?;
        self.server_id = public.id.clone();
        Ok(ServiceInfo {
            version: public.version,
        })
    }

    /// The library index (movies, series) and the wanted series' episodes.
    pub async fn fetch(
        &mut self,
        wants: &Wants,
        sweep: bool,
    ) -> Result<JellyfinData, ServiceError> {
        let server_id = match &self.server_id {
            Some(id) => id.clone(),
            None => {
                let public: PublicInfoWire = self.get_json("System/Info/Public", &[]).await?;
                public.id.unwrap_or_default()
            }
        };
        let mut read_whole = sweep || !self.index_loaded;
        let mut index = HashMap::new();
        let mut episodes: HashMap<String, HashMap<String, Item>> = HashMap::new();
        let mut feed_new = Vec::new();
        // Items this fetch read: as Jellyfin has them now.
        let mut fresh: HashSet<String> = HashSet::new();
        if !read_whole {
            index = self.index.clone();
            episodes = self.episodes.clone();
            match self.read_new_items().await? {
                Some(items) => {
                    for item in items {
                        fresh.insert(item.id.clone());
                        if !self.feed_seen.contains(&item.id) {
                            feed_new.push(item.id.clone());
                        }
                        // New items and new data of known ones alike.
                        match item.kind {
                            JellyfinKind::Movie | JellyfinKind::Series => {
                                index.insert(item.id.clone(), item);
                            }
                            JellyfinKind::Episode => {
                                let series = item.series_id.clone().unwrap_or_default();
                                if let Some(eps) = episodes.get_mut(&series) {
                                    eps.insert(item.id.clone(), item);
                                }
                            }
                            JellyfinKind::Other => {}
                        }
                    }
                }
                // More new items than the feed reads in a cycle: the whole
                // index, so that none is hidden until the sweep.
                None => read_whole = true,
            }
        }
        if read_whole {
            index = self.read_index().await?;
            episodes.clear();
        } else {
            self.confirm(&mut index, wants, &fresh).await?;
        }

        let mut wanted: HashSet<String> = wants
            .jellyfin_series_ids
            .iter()
            .map(|s| normalize_id(s))
            .collect();
        // Series the tracker knows only by TVDB/AniDB id: found through the index.
        for it in index.values() {
            if it.kind == JellyfinKind::Series
                && (it
                    .tvdb_id
                    .is_some_and(|t| wants.series_tvdb_ids.contains(&t))
                    || it.anidb_id.is_some_and(|a| wants.anidb_ids.contains(&a)))
            {
                wanted.insert(normalize_id(&it.id));
            }
        }
        episodes.retain(|k, _| wanted.contains(k));
        let mut missing: Vec<&String> = wanted
            .iter()
            .filter(|s| !episodes.contains_key(*s) && index.contains_key(*s))
            .collect();
        missing.sort();
        if missing.len() > LIBRARY_EPISODES_FROM {
            // First contact with many series: the library's episodes, paged,
            // instead of one read per series.
            let mut all = self.read_all_episodes().await?;
            for series in missing {
                episodes.insert(series.clone(), all.remove(series).unwrap_or_default());
            }
        } else {
            for series in missing {
                let eps = self.read_episodes(series).await?;
                episodes.insert(series.clone(), eps);
            }
        }

        let mut items: Vec<Item> = index.values().cloned().collect();
        for eps in episodes.values() {
            items.extend(eps.values().cloned());
        }
        items.sort_by(|a, b| a.id.cmp(&b.id));

        self.server_id = (!server_id.is_empty()).then(|| server_id.clone());
        self.index = index;
        self.index_loaded = true;
        self.episodes = episodes;
        if self.feed_seen.len() > 5_000 || read_whole {
            self.feed_seen.clear();
        }
        self.feed_seen.extend(feed_new);
        Ok(JellyfinData {
            items,
            server_id: self.server_id.clone(),
        })
    }

    /// Reads again, in batches of `Items?ids=`, the cached movies and series
    /// an open request may take as evidence (its Tmdb, Tvdb or AniDB id, or
    /// its Jellyfin id), unless this fetch read them already; those Jellyfin
    /// no longer has are dropped from `index`.
    async fn confirm(
        &self,
        index: &mut HashMap<String, Item>,
        wants: &Wants,
        fresh: &HashSet<String>,
    ) -> Result<(), ServiceError> {
        let held: HashSet<String> = wants
            .jellyfin_item_ids
            .iter()
            .chain(&wants.jellyfin_series_ids)
            .map(|i| normalize_id(i))
            .collect();
        // A new item of a film or series the index holds may be its
        // replacement (a new file is a new item): the old one is read again.
        let new_keys: HashSet<(JellyfinKind, Option<i64>, Option<i64>)> = fresh
            .iter()
            .filter(|id| !self.index.contains_key(*id))
            .filter_map(|id| index.get(id))
            .filter(|it| it.tmdb_id.is_some() || it.tvdb_id.is_some())
            .map(|it| (it.kind, it.tmdb_id, it.tvdb_id))
            .collect();
        let mut ids: Vec<String> = index
            .values()
            .filter(|it| match it.kind {
                JellyfinKind::Movie => {
                    it.tmdb_id
                        .is_some_and(|t| wants.movie_tmdb_ids.contains(&t))
                        || held.contains(&it.id)
                }
                JellyfinKind::Series => {
                    it.tvdb_id
                        .is_some_and(|t| wants.series_tvdb_ids.contains(&t))
                        || it.anidb_id.is_some_and(|a| wants.anidb_ids.contains(&a))
                        || held.contains(&it.id)
                }
                _ => false,
            } || new_keys.contains(&(it.kind, it.tmdb_id, it.tvdb_id)))
            .filter(|it| it.playable || it.kind == JellyfinKind::Series)
            .map(|it| it.id.clone())
            .collect();
        ids.retain(|id| !fresh.contains(id));
        ids.sort();
        for batch in ids.chunks(CONFIRM_BATCH) {
            let answer: ItemsWire = self
                .get_json(
                    "Items",
                    &[
                        ("ids", batch.join(",")),
                        ("recursive", "true".to_string()),
                        ("fields", ITEM_FIELDS.to_string()),
                        ("enableImages", "false".to_string()),
                        ("enableUserData", "false".to_string()),
                    ],
                )
                .await?;
            let mut found: HashMap<String, Item> = answer
                .items
                .into_iter()
                .map(ItemWire::into_shared)
                .map(|i| (i.id.clone(), i))
                .collect();
            for id in batch {
                match found.remove(id) {
                    Some(item)
                        if matches!(item.kind, JellyfinKind::Movie | JellyfinKind::Series) =>
                    {
                        index.insert(id.clone(), item);
                    }
                    // Jellyfin no longer has it (or it is no longer a movie
                    // or series: a different item).
                    _ => {
                        index.remove(id);
                    }
                }
            }
        }
        Ok(())
    }

    /// Every movie and series, 500 per page. Other types are dropped.
    async fn read_index(&self) -> Result<HashMap<String, Item>, ServiceError> {
        let mut index = HashMap::new();
        self.read_library("Movie,Series", &[], |item| {
            if matches!(item.kind, JellyfinKind::Movie | JellyfinKind::Series) {
                index.insert(item.id.clone(), item);
            }
        })
        .await?;
        Ok(index)
    }

    /// Every real episode of the library, 500 per page, by series id.
    async fn read_all_episodes(
        &self,
    ) -> Result<HashMap<String, HashMap<String, Item>>, ServiceError> {
        let mut by_series: HashMap<String, HashMap<String, Item>> = HashMap::new();
        let real = [("isMissing", "false".to_string())];
        self.read_library("Episode", &real, |item| {
            if item.kind != JellyfinKind::Episode {
                return;
            }
            if let Some(series) = item.series_id.clone() {
                by_series
                    .entry(series)
                    .or_default()
                    .insert(item.id.clone(), item);
            }
        })
        .await?;
        Ok(by_series)
    }

    /// Every item of these types in the library, recursively, 500 per page
    /// until the last (no cap that would hide items, only a safety stop at
    /// [`INDEX_MAX_PAGES`]), each handed to `each`.
    async fn read_library(
        &self,
        types: &str,
        extra: &[(&str, String)],
        mut each: impl FnMut(Item),
    ) -> Result<(), ServiceError> {
        for page in 0..INDEX_MAX_PAGES {
            let start = page * INDEX_PAGE;
            let mut query = vec![
                ("recursive", "true".to_string()),
                ("includeItemTypes", types.to_string()),
                ("fields", ITEM_FIELDS.to_string()),
                ("enableImages", "false".to_string()),
                ("enableUserData", "false".to_string()),
                ("startIndex", start.to_string()),
                ("limit", INDEX_PAGE.to_string()),
            ];
            query.extend_from_slice(extra);
            let answer: ItemsWire = self.get_json("Items", &query).await?;
            let got = answer.items.len();
            answer
                .items
                .into_iter()
                .map(ItemWire::into_shared)
                .for_each(&mut each);
            let total = answer.total_record_count.unwrap_or(0);
            if got < INDEX_PAGE || ((start + got) as i64) >= total {
                break;
            }
        }
        Ok(())
    }

    /// The newest items (DateCreated descending), every one on the pages
    /// read, until a page holds one already seen. `None` when that took more
    /// than [`FEED_MAX_PAGES`] pages.
    async fn read_new_items(&self) -> Result<Option<Vec<Item>>, ServiceError> {
        let known = |id: &str| {
            self.index.contains_key(id)
                || self.feed_seen.contains(id)
                || self.episodes.values().any(|e| e.contains_key(id))
        };
        let mut items = Vec::new();
        for page in 0..FEED_MAX_PAGES {
            let answer: ItemsWire = self
                .get_json(
                    "Items",
                    &[
                        ("recursive", "true".to_string()),
                        ("includeItemTypes", "Movie,Series,Episode".to_string()),
                        ("sortBy", "DateCreated".to_string()),
                        ("sortOrder", "Descending".to_string()),
                        ("startIndex", (page * FEED_PAGE).to_string()),
                        ("limit", FEED_PAGE.to_string()),
                        ("fields", ITEM_FIELDS.to_string()),
                    ],
                )
                .await?;
            let got = answer.items.len();
            let mut reached_known = false;
            for item in answer.items.into_iter().map(ItemWire::into_shared) {
                reached_known |= known(&item.id);
                items.push(item);
            }
            if reached_known || got < FEED_PAGE {
                return Ok(Some(items));
            }
        }
        Ok(None)
    }

    /// `GET /Shows/{id}/Episodes?isMissing=false`, keeping only real
    /// episodes of that series.
    async fn read_episodes(&self, series_id: &str) -> Result<HashMap<String, Item>, ServiceError> {
        let answer: ItemsWire = self
            .get_json(
                &format!("Shows/{series_id}/Episodes"),
                &[
                    ("isMissing", "false".to_string()),
                    ("fields", ITEM_FIELDS.to_string()),
                ],
            )
            .await?;
        Ok(answer
            .items
            .into_iter()
            .map(ItemWire::into_shared)
            .filter(|i| {
                i.kind == JellyfinKind::Episode && i.series_id.as_deref() == Some(series_id)
            })
            .map(|i| (i.id.clone(), i))
            .collect())
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ServiceError> {
        self.http.get_json(path, query, check).await
    }
}

/// Jellyfin's statuses into the shared error kinds.
fn check(http: &Http, answer: &Answer, what: &str) -> Result<(), ServiceError> {
    match answer.status {
        s if s.is_success() => Ok(()),
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(http.error(
            ErrorKind::Unauthorized,
            format!(
                "wrong API key (Jellyfin answered {})",
                answer.status.as_u16()
            ),
        )),
        _ => Err(http.status_error(answer, what)),
    }
}

#[cfg(test)]
mod tests {
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
                        if !auth.starts_with("MediaBrowser Token=\"k3y\", Client=\"StatusTracker\"")
                        {
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
                        Json(
                            json!({"Items": items, "TotalRecordCount": total, "StartIndex": start}),
                        )
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
            JellyfinClient::new(&config("jellyfin", &url), Secret::new("k3y"), stats.clone())
                .unwrap();
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
            JellyfinClient::new(&config("jellyfin", &url), Secret::new("wrong-key"), stats())
                .unwrap();
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
                        let limit: usize =
                            q.get("limit").map_or(usize::MAX, |s| s.parse().unwrap());
                        let total = all.len();
                        let items: Vec<Value> = all.into_iter().skip(start).take(limit).collect();
                        Json(
                            json!({"Items": items, "TotalRecordCount": total, "StartIndex": start}),
                        )
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
        let c = JellyfinClient::new(&config("jellyfin", &url), Secret::new("k3y"), stats.clone())
            .unwrap();
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
}
