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

/// The last component of a path, '/' or '\\' separated; None when empty.
fn file_name_of(path: &str) -> Option<String> {
    let name = path.rsplit(['/', '\\']).next()?.trim();
    (!name.is_empty()).then(|| name.to_string())
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

    /// The file names (last path component) of the item's path and of each
    /// media source's: versions merged in one item each have their own.
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .media_sources
            .iter()
            .flatten()
            .filter_map(|m| m.get("Path")?.as_str())
            .chain(self.path.as_deref())
            .filter_map(file_name_of)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Shokofin's `Shoko File` ids (one, or several joined by commas).
    fn shoko_file_ids(&self) -> Vec<i64> {
        self.provider_ids
            .iter()
            .flatten()
            .filter(|(k, _)| k.eq_ignore_ascii_case("Shoko File"))
            .filter_map(|(_, v)| v.as_deref())
            .flat_map(|v| v.split(','))
            .filter_map(|v| v.trim().parse().ok())
            .collect()
    }

    pub fn into_item(self) -> JellyfinItem {
        let files = self.files();
        JellyfinItem {
            files,
            shoko_file_ids: self.shoko_file_ids(),
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
#[path = "jellyfin_tests.rs"]
mod tests;
