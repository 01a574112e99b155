//! Jellyseerr / Seerr (API v1): the request list, joined with title, year,
//! poster and the anime keyword from the movie/tv pages (cached per TMDB id
//! for good: titles do not change).
//!
//! Only query parameters of the spec are sent (Seerr validates requests
//! against its OpenAPI file and answers 400 to unknown ones). A wrong key is
//! a 403 here, not a 401.
//!
//! Cost per steady cycle: one page of `sort=modified` (more only when more
//! than 50 requests changed), plus one movie/tv page per TMDB id never seen.
//!
//! Caches, and what invalidates them:
//! - Titles (`titles`): never stale (a TMDB entry's title, year and poster do
//!   not change for the tracker's purpose); kept for good, also between runs.
//!   A page that could not be read is asked again on the next sweep.
//!   On first contact with a big library they are read 8 at a time for at
//!   most [`TITLE_BUDGET`] per cycle; what was read is kept even when the
//!   cycle fails later, and a request whose title arrives in a later cycle is
//!   reported again with it.
//! - The change cursor ([`Cursor`]): Seerr's `updatedAt` has one-second
//!   resolution, and one second can hold many changes (a bulk approval) or
//!   two changes of the same request (approved, then failed when Radarr
//!   refused it). So the cursor's own second is read again (`>=`), and a
//!   request there is reported unless it looks exactly as it did; the second
//!   is closed (no longer re-read) once Seerr's own clock, by its `Date`
//!   header, is [`CLOSE_AFTER`] past it when it is read.
//! - Known ids: a drop of Seerr's total below them means a deletion, and a
//!   full listing then tells which.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::http::{Answer, Http};
use super::{ErrorKind, HttpStats, ServiceError, ServiceInfo};
use crate::config::ServiceConfig;
use crate::secrets::Secret;
use crate::tracker::model::{
    MediaType, SeerrData, SeerrMediaStatus, SeerrRequest, SeerrRequestStatus,
};

/// Requests per page.
const TAKE: usize = 50;
/// A safety stop: 400 pages of 50.
const MAX_PAGES: usize = 400;
/// TMDB's "anime" keyword, as Seerr uses it.
const ANIME_KEYWORD_ID: i64 = 210_024;
/// Title pages read at once (each is a TMDB lookup behind Seerr's cache).
const TITLE_CONCURRENCY: usize = 8;
/// Title pages are read for at most this long per cycle (first contact with
/// a big library); the rest are read in the next cycles.
pub const TITLE_BUDGET: Duration = Duration::from_secs(8);
/// How far past the cursor's second Seerr's clock must be for that second to
/// hold no more changes (a save's timestamp is taken shortly before it
/// commits).
const CLOSE_AFTER: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RequestPage {
    #[serde(default)]
    pub page_info: Option<PageInfo>,
    #[serde(default)]
    pub results: Vec<RequestWire>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageInfo {
    /// The total number of requests.
    #[serde(default)]
    pub results: Option<i64>,
}

/// `MediaRequest`, the fields the tracker uses.
#[derive(Debug, Clone, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RequestWire {
    pub id: i64,
    pub status: i64,
    #[serde(rename = "type")]
    pub media_type: MediaType,
    #[serde(default)]
    pub is4k: Option<bool>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub media: Option<MediaWire>,
    #[serde(default)]
    pub requested_by: Option<UserWire>,
    #[serde(default)]
    pub seasons: Option<Vec<SeasonWire>>,
}

#[derive(Debug, Clone, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MediaWire {
    #[serde(default)]
    pub tmdb_id: Option<i64>,
    #[serde(default)]
    pub tvdb_id: Option<i64>,
    #[serde(default)]
    pub status: Option<i64>,
    #[serde(default)]
    pub status4k: Option<i64>,
    #[serde(default)]
    pub jellyfin_media_id: Option<String>,
    #[serde(default)]
    pub jellyfin_media_id4k: Option<String>,
    #[serde(default)]
    pub service_url: Option<String>,
    #[serde(default)]
    pub service_url4k: Option<String>,
}

#[derive(Debug, Clone, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserWire {
    #[serde(default)]
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Hash, Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SeasonWire {
    pub season_number: i32,
}

/// The parts of `MovieDetails` / `TvDetails` the tracker shows.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DetailsWire {
    /// Movies.
    #[serde(default)]
    pub title: Option<String>,
    /// Series.
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub release_date: Option<String>,
    #[serde(default)]
    pub first_air_date: Option<String>,
    #[serde(default)]
    pub poster_path: Option<String>,
    #[serde(default)]
    pub keywords: Option<Vec<KeywordWire>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct KeywordWire {
    pub id: i64,
}

/// Title data of one TMDB entry.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct TitleInfo {
    pub title: Option<String>,
    pub year: Option<i32>,
    pub poster_path: Option<String>,
    pub is_anime: bool,
}

impl DetailsWire {
    fn into_info(self) -> TitleInfo {
        let date = self.release_date.or(self.first_air_date);
        TitleInfo {
            title: self.title.or(self.name).filter(|t| !t.is_empty()),
            year: date
                .as_deref()
                .and_then(|d| d.get(..4))
                .and_then(|y| y.parse().ok()),
            poster_path: self.poster_path.filter(|p| !p.is_empty()),
            is_anime: self
                .keywords
                .unwrap_or_default()
                .iter()
                .any(|k| k.id == ANIME_KEYWORD_ID),
        }
    }
}

impl RequestWire {
    /// What the request looks like to the tracker, as one number: equal
    /// fingerprints at the same `updatedAt` mean nothing new.
    fn fingerprint(&self) -> u64 {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.hash(&mut h);
        h.finish()
    }

    fn tmdb_key(&self) -> Option<(MediaType, i64)> {
        let tmdb = self.media.as_ref()?.tmdb_id?;
        Some((self.media_type, tmdb))
    }

    /// Into the snapshot type, joined with the title data when known.
    pub fn into_request(self, title: Option<&TitleInfo>) -> SeerrRequest {
        let is_4k = self.is4k.unwrap_or(false);
        let media = self.media.unwrap_or(MediaWire {
            tmdb_id: None,
            tvdb_id: None,
            status: None,
            status4k: None,
            jellyfin_media_id: None,
            jellyfin_media_id4k: None,
            service_url: None,
            service_url4k: None,
        });
        let media_status = if is_4k { media.status4k } else { media.status };
        let service_url = if is_4k {
            media.service_url4k.clone()
        } else {
            media.service_url.clone()
        };
        let jellyfin_media_id = if is_4k {
            media.jellyfin_media_id4k
        } else {
            media.jellyfin_media_id
        };
        let mut seasons: Vec<i32> = self
            .seasons
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.season_number)
            .collect();
        seasons.sort_unstable();
        seasons.dedup();
        let title = title.cloned().unwrap_or_default();
        SeerrRequest {
            id: self.id,
            status: SeerrRequestStatus::from_code(self.status),
            media_type: self.media_type,
            tmdb_id: media.tmdb_id,
            tvdb_id: media.tvdb_id,
            media_status: SeerrMediaStatus::from_code(media_status.unwrap_or(1)),
            jellyfin_media_id: jellyfin_media_id.filter(|j| !j.is_empty()),
            requested_by: self
                .requested_by
                .and_then(|u| u.display_name)
                .unwrap_or_default(),
            created_at: self.created_at,
            updated_at: self.updated_at,
            seasons,
            is_4k,
            service_url: service_url.filter(|u| !u.is_empty()),
            title: title.title,
            year: title.year,
            poster_path: title.poster_path,
            is_anime: title.is_anime,
        }
    }
}

#[derive(Debug, Deserialize)]
struct StatusWire {
    #[serde(default)]
    version: Option<String>,
}

/// The `sort=modified` change cursor (see the module doc).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Cursor {
    /// The newest `updatedAt` seen.
    second: Option<DateTime<Utc>>,
    /// The requests seen at exactly that time, with their fingerprints.
    seen: HashMap<i64, u64>,
    /// Seerr's clock was past `second` by [`CLOSE_AFTER`] when that second
    /// was read: nothing can be saved with that `updatedAt` any more.
    closed: bool,
}

impl Cursor {
    /// Is a request listed with this `updatedAt` and fingerprint news?
    /// `None`: it is older than the cursor (the read can stop there).
    fn is_news(&self, w: &RequestWire) -> Option<bool> {
        let Some(second) = self.second else {
            return Some(true);
        };
        if w.updated_at > second {
            Some(true)
        } else if w.updated_at == second && !self.closed {
            Some(self.seen.get(&w.id) != Some(&w.fingerprint()))
        } else {
            None
        }
    }

    /// The cursor after a read that reported `wires`, served by Seerr at
    /// `served_at` (its `Date` header, when it sent one).
    fn advance(&self, wires: &[RequestWire], served_at: Option<DateTime<Utc>>) -> Cursor {
        let newest = wires.iter().map(|w| w.updated_at).max();
        let second = match (self.second, newest) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        let mut next = if second == self.second {
            self.clone()
        } else {
            Cursor {
                second,
                ..Cursor::default()
            }
        };
        for w in wires.iter().filter(|w| Some(w.updated_at) == second) {
            next.seen.insert(w.id, w.fingerprint());
        }
        if let (Some(second), Some(served)) = (second, served_at) {
            next.closed = next.closed || served >= second + CLOSE_AFTER;
        }
        next
    }
}

/// A Jellyseerr client with its title cache and change cursor.
#[derive(Debug)]
pub struct JellyseerrClient {
    http: Http,
    titles: HashMap<(MediaType, i64), TitleInfo>,
    /// TMDB entries whose page could not be read (asked again on sweep).
    title_failed: HashSet<(MediaType, i64)>,
    /// Requests reported without their title (its page not read yet): each
    /// is reported again, as last listed, once its title is known.
    untitled: HashMap<i64, RequestWire>,
    cursor: Cursor,
    /// Every request id Jellyseerr listed: when its total drops below this,
    /// something was deleted and a full listing tells what.
    known_ids: HashSet<i64>,
    /// [`TITLE_BUDGET`] (shorter in tests).
    title_budget: Duration,
}

/// What a Jellyseerr client keeps between runs.
#[derive(serde::Serialize, serde::Deserialize)]
struct SavedState {
    titles: Vec<((MediaType, i64), TitleInfo)>,
    #[serde(default)]
    title_failed: Vec<(MediaType, i64)>,
    #[serde(default)]
    untitled: Vec<RequestWire>,
    #[serde(default)]
    cursor: Cursor,
    #[serde(default)]
    known_ids: Vec<i64>,
}

/// [`SavedState`], borrowed from the client.
#[derive(serde::Serialize)]
struct SavedRef<'a> {
    titles: Vec<(&'a (MediaType, i64), &'a TitleInfo)>,
    title_failed: Vec<(MediaType, i64)>,
    untitled: Vec<&'a RequestWire>,
    cursor: &'a Cursor,
    known_ids: Vec<i64>,
}

impl JellyseerrClient {
    /// The title cache and change cursor, to keep between runs.
    pub fn saved(&self) -> impl serde::Serialize + '_ {
        SavedRef {
            titles: self.titles.iter().collect(),
            title_failed: self.title_failed.iter().copied().collect(),
            untitled: self.untitled.values().collect(),
            cursor: &self.cursor,
            known_ids: self.known_ids.iter().copied().collect(),
        }
    }

    /// Restores what [`Self::saved`] kept; anything unreadable is ignored.
    /// (A state saved by an older version has no cursor: the first cycle is
    /// then a full listing.)
    pub fn restore_state(&mut self, json: &str) {
        if let Ok(s) = serde_json::from_str::<SavedState>(json) {
            self.titles = s.titles.into_iter().collect();
            self.title_failed = s.title_failed.into_iter().collect();
            self.untitled = s.untitled.into_iter().map(|w| (w.id, w)).collect();
            self.cursor = s.cursor;
            self.known_ids = s.known_ids.into_iter().collect();
        }
    }

    /// First-contact progress: `(requests read whole, requests listed)`.
    /// A request is read whole once its title page is (or could not be).
    pub fn progress(&self) -> (usize, usize) {
        let waiting = self
            .untitled
            .values()
            .filter(|w| {
                w.tmdb_key()
                    .is_some_and(|k| !self.title_failed.contains(&k))
            })
            .count();
        let total = self.known_ids.len();
        (total.saturating_sub(waiting), total)
    }

    /// The HTTP client with its credentials, for the calls that act
    /// (`services::acting`).
    pub(crate) fn http(&self) -> &Http {
        &self.http
    }

    /// Builds the client with the `X-Api-Key` header; nothing is sent yet.
    pub fn new(
        cfg: &ServiceConfig,
        api_key: Secret,
        stats: Arc<HttpStats>,
    ) -> Result<Self, ServiceError> {
        let mut headers = HeaderMap::new();
        let mut value = HeaderValue::from_str(api_key.expose()).map_err(|_| {
            ServiceError::new(
                &cfg.name,
                ErrorKind::Config,
                "the Jellyseerr API key contains characters that cannot be sent in a header",
            )
        })?;
        value.set_sensitive(true);
        headers.insert("X-Api-Key", value);
        Ok(Self {
            http: Http::new(cfg, "Jellyseerr", headers, false, stats)?,
            titles: HashMap::new(),
            title_failed: HashSet::new(),
            untitled: HashMap::new(),
            cursor: Cursor::default(),
            known_ids: HashSet::new(),
            title_budget: TITLE_BUDGET,
        })
    }

    /// Public `GET /api/v1/status` for the version, then `GET /api/v1/auth/me`
    /// to check the key.
    pub async fn test_connection(&mut self) -> Result<ServiceInfo, ServiceError> {
        let status: StatusWire = self.get_json("api/v1/status", &[]).await?;
        let _me: serde_json::Value = self.get_json("api/v1/auth/me", &[]).await?;
        Ok(ServiceInfo {
            version: status.version,
        })
    }

    /// `sweep`: every request (`complete` is true). Otherwise the requests
    /// modified since the cursor (its own second included), plus the ones
    /// whose title has just been read.
    pub async fn fetch(&mut self, sweep: bool) -> Result<SeerrData, ServiceError> {
        let (mut wires, complete, served_at) = match (sweep, self.cursor.second) {
            (false, Some(_)) => {
                let (wires, total, served_at) = self.read_modified_since(&self.cursor).await?;
                let expected = self.known_ids.len()
                    + wires
                        .iter()
                        .filter(|w| !self.known_ids.contains(&w.id))
                        .count();
                if total.is_some_and(|t| usize::try_from(t).unwrap_or(0) < expected) {
                    // Fewer requests than we know of: one was deleted.
                    self.read_all().await?
                } else {
                    (wires, false, served_at)
                }
            }
            _ => self.read_all().await?,
        };
        let cursor = self.cursor.advance(&wires, served_at);
        let mut known_ids = if complete {
            HashSet::new()
        } else {
            self.known_ids.clone()
        };
        known_ids.extend(wires.iter().map(|w| w.id));
        let mut untitled = self.untitled.clone();
        if complete {
            untitled.retain(|id, _| known_ids.contains(id));
        }
        if sweep {
            self.title_failed.clear();
        }
        for w in &wires {
            match w.tmdb_key() {
                Some(k) if !self.titles.contains_key(&k) => {
                    untitled.insert(w.id, w.clone());
                }
                _ => {
                    untitled.remove(&w.id);
                }
            }
        }
        // Titles are kept as they arrive, even if this fetch fails later.
        self.read_titles(&untitled).await?;
        // Requests whose title arrived: reported (again) with it.
        let listed: HashSet<i64> = wires.iter().map(|w| w.id).collect();
        let titles = &self.titles;
        let failed = &self.title_failed;
        untitled.retain(|id, w| {
            let done = w
                .tmdb_key()
                .is_some_and(|k| titles.contains_key(&k) || failed.contains(&k));
            if done && !listed.contains(id) {
                wires.push(w.clone());
            }
            !done
        });
        let requests = wires
            .into_iter()
            .map(|w| {
                let info = w.tmdb_key().and_then(|k| self.titles.get(&k));
                w.into_request(info)
            })
            .collect();
        self.untitled = untitled;
        // Even with no request at all, later cycles are incremental.
        self.cursor = Cursor {
            second: cursor.second.or(Some(DateTime::<Utc>::UNIX_EPOCH)),
            ..cursor
        };
        self.known_ids = known_ids;
        Ok(SeerrData { requests, complete })
    }

    /// Reads the title pages the `untitled` requests need, [`TITLE_CONCURRENCY`]
    /// at a time, for at most [`TITLE_BUDGET`]. A page that fails is asked
    /// again on the next sweep (a TMDB hiccup must not hide every request);
    /// a refused key fails the fetch.
    async fn read_titles(
        &mut self,
        untitled: &HashMap<i64, RequestWire>,
    ) -> Result<(), ServiceError> {
        let mut keys: Vec<(MediaType, i64)> = untitled
            .values()
            .filter_map(RequestWire::tmdb_key)
            .filter(|k| !self.titles.contains_key(k) && !self.title_failed.contains(k))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        // The order of the reads is repeatable (films first, by TMDB id).
        keys.sort_unstable_by_key(|(kind, tmdb)| (*kind == MediaType::Tv, *tmdb));
        let started = Instant::now();
        let mut keys = keys.into_iter();
        let mut running = tokio::task::JoinSet::new();
        loop {
            while running.len() < TITLE_CONCURRENCY && started.elapsed() < self.title_budget {
                let Some(key) = keys.next() else { break };
                let http = self.http.clone();
                running.spawn(async move { (key, read_title(&http, key).await) });
            }
            let Some(done) = running.join_next().await else {
                return Ok(());
            };
            // A task that panicked is a page not read.
            let Ok((key, result)) = done else { continue };
            match result {
                Ok(info) => {
                    self.titles.insert(key, info);
                }
                Err(e) if e.kind == ErrorKind::Unauthorized => return Err(e),
                Err(_) => {
                    self.title_failed.insert(key);
                }
            }
        }
    }

    /// Every page, `sort=added` (stable under concurrent modification).
    /// `complete` is false when the pages held fewer distinct requests than
    /// the total Seerr reported (a deletion shifted the pages mid-read).
    async fn read_all(
        &self,
    ) -> Result<(Vec<RequestWire>, bool, Option<DateTime<Utc>>), ServiceError> {
        let mut seen = HashSet::new();
        let mut all = Vec::new();
        let mut total = 0;
        let mut served_at = None;
        for page in 0..MAX_PAGES {
            let (answer, date) = self.read_page(page * TAKE, "added").await?;
            if page == 0 {
                served_at = date;
            }
            total = answer
                .page_info
                .as_ref()
                .and_then(|p| p.results)
                .unwrap_or(0);
            let got = answer.results.len();
            for r in answer.results {
                if seen.insert(r.id) {
                    all.push(r);
                }
            }
            if got < TAKE || ((page + 1) * TAKE) as i64 >= total {
                break;
            }
        }
        let complete = all.len() as i64 >= total;
        Ok((all, complete, served_at))
    }

    /// Pages of `sort=modified` (newest first) until a request older than
    /// the cursor appears; the cursor's own second is read again.
    async fn read_modified_since(
        &self,
        cursor: &Cursor,
    ) -> Result<(Vec<RequestWire>, Option<i64>, Option<DateTime<Utc>>), ServiceError> {
        let mut out: Vec<RequestWire> = Vec::new();
        let mut seen = HashSet::new();
        let mut total = None;
        let mut served_at = None;
        for page in 0..MAX_PAGES {
            let (answer, date) = self.read_page(page * TAKE, "modified").await?;
            if page == 0 {
                total = answer.page_info.as_ref().and_then(|p| p.results);
                served_at = date;
            }
            let got = answer.results.len();
            let mut reached_old = false;
            for r in answer.results {
                match cursor.is_news(&r) {
                    None => reached_old = true,
                    Some(false) => {}
                    Some(true) => {
                        if seen.insert(r.id) {
                            out.push(r);
                        }
                    }
                }
            }
            if reached_old || got < TAKE {
                break;
            }
        }
        Ok((out, total, served_at))
    }

    /// One page of the request list, and Seerr's clock when it answered.
    async fn read_page(
        &self,
        skip: usize,
        sort: &str,
    ) -> Result<(RequestPage, Option<DateTime<Utc>>), ServiceError> {
        let query = [
            ("take", TAKE.to_string()),
            ("skip", skip.to_string()),
            ("filter", "all".to_string()),
            ("sort", sort.to_string()),
        ];
        let answer = get(&self.http, "api/v1/request", &query).await?;
        Ok((self.http.json(&answer)?, answer.date))
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<T, ServiceError> {
        self.http.get_json(path, query, check).await
    }
}

/// `GET path?query`, its status checked.
async fn get(http: &Http, path: &str, query: &[(&str, String)]) -> Result<Answer, ServiceError> {
    let answer = http.send(http.get(path)?.query(query)).await?;
    check(http, &answer, path)?;
    Ok(answer)
}

/// `GET /api/v1/movie/{id}` or `/tv/{id}`: title, year, poster, anime keyword.
async fn read_title(
    http: &Http,
    (kind, tmdb): (MediaType, i64),
) -> Result<TitleInfo, ServiceError> {
    let path = match kind {
        MediaType::Movie => format!("api/v1/movie/{tmdb}"),
        MediaType::Tv => format!("api/v1/tv/{tmdb}"),
    };
    let details: DetailsWire = http.json(&get(http, &path, &[]).await?)?;
    Ok(details.into_info())
}

/// Seerr's statuses into the shared error kinds (a wrong key is a 403 here).
pub(crate) fn check(http: &Http, answer: &Answer, what: &str) -> Result<(), ServiceError> {
    match answer.status {
        s if s.is_success() => Ok(()),
        StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED => Err(http.error(
            ErrorKind::Unauthorized,
            format!(
                "wrong API key (Jellyseerr answered {})",
                answer.status.as_u16()
            ),
        )),
        StatusCode::BAD_REQUEST => Err(http.error(
            ErrorKind::ServerError,
            format!(
                "Jellyseerr refused the request for {what} (400): {}",
                super::http::quote(&answer.body)
            ),
        )),
        _ => Err(http.status_error(answer, what)),
    }
}

#[cfg(test)]
#[path = "jellyseerr_tests.rs"]
mod tests;
