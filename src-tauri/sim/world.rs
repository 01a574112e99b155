//! The simulated world: one consistent state behind all six services.
//!
//! [`SimWorld`] is a cheap clone handle over the shared state. Its methods are
//! story steps ("Radarr grabbed this release", "Sonarr imported that torrent")
//! that update every service that would see the step, so the six HTTP views stay
//! consistent. The lock is a plain `std::sync::Mutex`, taken only inside
//! synchronous functions, never across an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use tokio::sync::watch;

use super::{FailureMode, Service};
use crate::ArrApp;

/// Seerr `MediaRequestStatus` (docs/services.md, "Jellyseerr (Seerr) › Status codes").
pub mod request_status {
    /// Waiting for an admin.
    pub const PENDING: u8 = 1;
    /// Approved, sent to Radarr/Sonarr.
    pub const APPROVED: u8 = 2;
    /// Declined by an admin.
    pub const DECLINED: u8 = 3;
    /// Seerr could not hand it to Radarr/Sonarr.
    pub const FAILED: u8 = 4;
    /// Media became available (v2.6+).
    pub const COMPLETED: u8 = 5;
}

/// Seerr `MediaStatus` (docs/services.md, "Jellyseerr (Seerr) › Status codes").
pub mod media_status {
    /// Nothing known.
    pub const UNKNOWN: u8 = 1;
    /// Requested, not approved.
    pub const PENDING: u8 = 2;
    /// Approved, on its way.
    pub const PROCESSING: u8 = 3;
    /// Some seasons available.
    pub const PARTIALLY_AVAILABLE: u8 = 4;
    /// Available.
    pub const AVAILABLE: u8 = 5;
    /// Deleted after being available (v2.6+).
    pub const DELETED: u8 = 7;
}

/// What Shoko knows about one file (docs/services.md, "Shoko Server › Matching a file").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShokoState {
    /// Shoko has not seen the file: `PathEndsWith` returns an empty list.
    NotSeen,
    /// Hashed, no AniDB match: `SeriesIDs` is empty.
    Unrecognized,
    /// AniDB match known, local metadata missing: the Shoko `ID`s are null.
    ImportLimbo {
        /// The AniDB anime id.
        anidb_id: u64,
    },
    /// Fully matched: every cross-reference has Shoko series and episode ids.
    Matched {
        /// The AniDB anime id.
        anidb_id: u64,
    },
}

/// Errors of the story methods: the step named something the world lacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SimError {
    /// No film with this TMDB id was added.
    #[error("no movie with TMDB id {0}")]
    UnknownMovie(u64),
    /// No series with this TVDB (or, for requests, TMDB) id was added.
    #[error("no series with id {0}")]
    UnknownSeries(u64),
    /// The series has no such episode.
    #[error("series {tvdb_id} has no episode S{season:02}E{episode:02}")]
    UnknownEpisode {
        /// The series' TVDB id.
        tvdb_id: u64,
        /// Season number.
        season: u32,
        /// Episode number.
        episode: u32,
    },
    /// No Seerr request with this id.
    #[error("no request with id {0}")]
    UnknownRequest(u64),
    /// No download with this hash.
    #[error("no download with hash {0}")]
    UnknownDownload(String),
    /// A hash must be 40 hex characters.
    #[error("not a 40-hex torrent hash: {0}")]
    InvalidHash(String),
    /// No imported file ends with this path.
    #[error("no imported file ends with {0}")]
    UnknownPath(String),
    /// Jellyfin has no item for this film (TMDB id).
    #[error("Jellyfin has no item for the movie with TMDB id {0}")]
    NotInJellyfin(u64),
}

/// A Seerr media row, shared by the film or series it belongs to.
#[derive(Debug, Clone)]
pub(crate) struct SeerrMedia {
    pub id: u64,
    pub status: u8,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub jellyfin_id: Option<String>,
    /// Per-season media status (tv only), with the season row id.
    pub seasons: BTreeMap<u32, (u64, u8)>,
}

/// A file in the Radarr/Sonarr library.
#[derive(Debug, Clone)]
pub(crate) struct MediaFile {
    pub id: u64,
    /// Full library path, e.g. `/media/movies/Dune (2021)/Dune.2021.1080p.mkv`.
    pub path: String,
    /// Relative to the movie or series folder.
    pub relative_path: String,
    pub size: u64,
    pub date_added: DateTime<Utc>,
    pub release_group: String,
    pub scene_name: String,
}

/// A film known to Seerr (TMDB) and Radarr.
#[derive(Debug, Clone)]
pub(crate) struct Movie {
    pub radarr_id: u64,
    pub tmdb_id: u64,
    pub imdb_id: String,
    pub title: String,
    pub year: i32,
    pub anime: bool,
    pub added: DateTime<Utc>,
    pub file: Option<MediaFile>,
    pub anidb_id: Option<u64>,
    pub seerr: SeerrMedia,
}

impl Movie {
    /// The Radarr folder name, `Title (Year)`.
    pub fn folder(&self) -> String {
        format!("{} ({})", self.title, self.year)
    }
    /// The Radarr movie path.
    pub fn path(&self) -> String {
        format!("{MOVIES_ROOT}{}", self.folder())
    }
}

/// One season as added: number, episode count, first air date.
#[derive(Debug, Clone)]
pub(crate) struct SeasonDef {
    pub number: u32,
}

/// One Sonarr episode.
#[derive(Debug, Clone)]
pub(crate) struct Episode {
    pub id: u64,
    pub tvdb_id: u64,
    pub season: u32,
    pub number: u32,
    pub absolute: Option<u32>,
    pub title: String,
    pub air_date: Option<NaiveDate>,
    pub monitored: bool,
    pub file: Option<MediaFile>,
}

/// A series known to Seerr (TMDB), Sonarr (TVDB).
#[derive(Debug, Clone)]
pub(crate) struct Series {
    pub sonarr_id: u64,
    pub tvdb_id: u64,
    pub tmdb_id: u64,
    pub imdb_id: String,
    pub title: String,
    pub year: i32,
    pub anime: bool,
    pub added: DateTime<Utc>,
    pub seasons: Vec<SeasonDef>,
    pub episodes: Vec<Episode>,
    pub anidb_id: Option<u64>,
    pub seerr: SeerrMedia,
}

impl Series {
    /// The Sonarr folder name, `Title (Year)`.
    pub fn folder(&self) -> String {
        format!("{} ({})", self.title, self.year)
    }
    /// The Sonarr series path.
    pub fn path(&self) -> String {
        format!("{TV_ROOT}{}", self.folder())
    }
    pub fn episode(&self, season: u32, number: u32) -> Option<&Episode> {
        self.episodes
            .iter()
            .find(|e| e.season == season && e.number == number)
    }
    pub fn is_airing(&self, today: NaiveDate) -> bool {
        self.episodes
            .iter()
            .any(|e| e.air_date.is_none_or(|d| d > today))
    }
}

/// A Seerr user.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: u64,
    pub username: Option<String>,
    pub jellyfin_username: Option<String>,
    pub email: String,
    pub user_type: u8,
    pub permissions: u64,
    pub created: DateTime<Utc>,
}

impl User {
    pub fn display_name(&self) -> String {
        self.username
            .clone()
            .or_else(|| self.jellyfin_username.clone())
            .unwrap_or_else(|| self.email.clone())
    }
}

/// What a request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaRef {
    Movie { tmdb_id: u64 },
    Tv { tmdb_id: u64 },
}

/// A season row of a tv request.
#[derive(Debug, Clone)]
pub(crate) struct SeasonRequest {
    pub id: u64,
    pub number: u32,
    pub status: u8,
}

/// A Seerr request.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub id: u64,
    pub media: MediaRef,
    pub seasons: Vec<SeasonRequest>,
    pub status: u8,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub requested_by: u64,
    pub modified_by: Option<u64>,
}

/// What a download carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    Movie {
        tmdb_id: u64,
    },
    Episodes {
        tvdb_id: u64,
        episodes: Vec<(u32, u32)>,
    },
}

/// Where the *arr is with a download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ArrState {
    /// In the queue, following the client.
    Tracking,
    /// Complete, import blocked with a message.
    ImportBlocked(String),
    /// Failed with a message (queue `failedPending`).
    Failed(String),
    /// Complete, the import running (queue `importing`).
    Importing,
    /// Imported: gone from the queue.
    Imported,
    /// Removed from the queue (superseded, or gone from the client).
    Gone,
}

/// One torrent, seen by qBittorrent and by Radarr/Sonarr.
#[derive(Debug, Clone)]
pub(crate) struct Download {
    /// Lower-case 40-hex.
    pub hash: String,
    pub name: String,
    pub size: u64,
    pub progress: f64,
    pub dlspeed: u64,
    pub state: String,
    pub added: DateTime<Utc>,
    pub completed: Option<DateTime<Utc>>,
    pub target: Target,
    pub arr: ArrState,
    pub in_client: bool,
    /// Library paths imported from this download.
    pub imported_paths: Vec<String>,
}

impl Download {
    pub fn amount_left(&self) -> u64 {
        ((1.0 - self.progress).clamp(0.0, 1.0) * self.size as f64).round() as u64
    }
    pub fn is_complete(&self) -> bool {
        self.progress >= 1.0
    }
    pub fn category(&self) -> &'static str {
        match self.target {
            Target::Movie { .. } => "radarr",
            Target::Episodes { .. } => "tv-sonarr",
        }
    }
    pub fn upper_hash(&self) -> String {
        self.hash.to_uppercase()
    }
    /// The qBittorrent `eta`: seconds, or 8640000 when unknown.
    pub fn eta(&self) -> u64 {
        if self.is_complete() || self.dlspeed == 0 {
            MAX_ETA
        } else {
            (self.amount_left() / self.dlspeed).min(MAX_ETA)
        }
    }
}

/// qBittorrent's MAX_ETA, "unknown".
pub(crate) const MAX_ETA: u64 = 8_640_000;

/// History event types, named as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HistoryEvent {
    Grabbed,
    DownloadFolderImported,
    DownloadFailed,
    FileDeleted,
    DownloadIgnored,
}

impl HistoryEvent {
    /// The camelCase name; Sonarr says `episodeFileDeleted` where Radarr says
    /// `movieFileDeleted`.
    pub fn name(self, app: ArrApp) -> &'static str {
        match self {
            Self::Grabbed => "grabbed",
            Self::DownloadFolderImported => "downloadFolderImported",
            Self::DownloadFailed => "downloadFailed",
            Self::FileDeleted if app.is_sonarr() => "episodeFileDeleted",
            Self::FileDeleted => "movieFileDeleted",
            Self::DownloadIgnored => "downloadIgnored",
        }
    }
    /// The integer used by the `eventType` query filter (per app).
    pub fn number(self, app: ArrApp) -> u32 {
        match (self, app) {
            (Self::Grabbed, _) => 1,
            (Self::DownloadFolderImported, _) => 3,
            (Self::DownloadFailed, _) => 4,
            (Self::FileDeleted, ArrApp::Sonarr) => 5,
            (Self::FileDeleted, ArrApp::Radarr) => 6,
            (Self::DownloadIgnored, ArrApp::Sonarr) => 7,
            (Self::DownloadIgnored, ArrApp::Radarr) => 9,
        }
    }
}

/// One Radarr or Sonarr history record.
#[derive(Debug, Clone)]
pub(crate) struct HistoryRecord {
    pub id: u64,
    /// `movieId` (Radarr) or `seriesId` (Sonarr).
    pub media_id: u64,
    pub episode_id: Option<u64>,
    pub source_title: String,
    pub date: DateTime<Utc>,
    pub download_id: Option<String>,
    pub event: HistoryEvent,
    pub data: BTreeMap<String, String>,
}

/// Who owns a library file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FileOwner {
    Movie {
        tmdb_id: u64,
    },
    Episode {
        tvdb_id: u64,
        season: u32,
        number: u32,
    },
}

/// A file Shoko has seen.
#[derive(Debug, Clone)]
pub(crate) struct ShokoFile {
    pub id: u64,
    pub server_path: String,
    pub relative_path: String,
    pub size: u64,
    pub state: ShokoState,
    pub owner: FileOwner,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    /// Shoko's own episode id (Matched only).
    pub shoko_episode_id: u64,
    /// AniDB episode id.
    pub anidb_episode_id: u64,
}

/// Jellyfin item kinds the sim serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JfKind {
    Movie,
    Series,
    Episode,
}

impl JfKind {
    pub fn name(self) -> &'static str {
        match self {
            Self::Movie => "Movie",
            Self::Series => "Series",
            Self::Episode => "Episode",
        }
    }
}

/// What a Jellyfin item stands for, inside the sim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum JfOwner {
    Movie {
        tmdb_id: u64,
    },
    Series {
        tvdb_id: u64,
    },
    Episode {
        tvdb_id: u64,
        season: u32,
        number: u32,
    },
}

/// A Jellyfin library item.
#[derive(Debug, Clone)]
pub(crate) struct JfItem {
    pub id: String,
    pub kind: JfKind,
    pub owner: JfOwner,
    pub name: String,
    pub year: Option<i32>,
    pub provider_ids: BTreeMap<String, String>,
    pub virtual_item: bool,
    pub path: Option<String>,
    pub size: Option<u64>,
    pub series_id: Option<String>,
    pub series_name: Option<String>,
    pub season: Option<u32>,
    pub index: Option<u32>,
    pub created: DateTime<Utc>,
}

/// What one qBittorrent session last received from `sync/maindata`.
#[derive(Debug, Clone, Default)]
pub(crate) struct SyncSent {
    pub rid: u64,
    pub torrents: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    pub server_state: serde_json::Map<String, serde_json::Value>,
}

/// A qBittorrent WebUI session.
#[derive(Debug, Clone)]
pub(crate) struct QbSession {
    pub last_seen: Instant,
    pub sync: Option<SyncSent>,
    pub next_rid: u64,
}

/// Radarr's and Sonarr's library roots; Shoko sees anime files under its own.
pub(crate) const MOVIES_ROOT: &str = "/media/movies/";
pub(crate) const TV_ROOT: &str = "/media/tv/";
pub(crate) const SHOKO_ROOT: &str = "/mnt/anime/";
pub(crate) const DOWNLOADS: &str = "/downloads/complete";

/// The whole simulated state.
#[derive(Debug)]
pub(crate) struct World {
    pub rng: fastrand::Rng,
    pub server_id: String,
    pub users: BTreeMap<u64, User>,
    pub movies: BTreeMap<u64, Movie>,
    pub series: BTreeMap<u64, Series>,
    /// TMDB id → TVDB id of every series (Seerr keys tv by TMDB).
    series_tmdb: HashMap<u64, u64>,
    pub requests: BTreeMap<u64, Request>,
    pub downloads: BTreeMap<String, Download>,
    pub radarr_history: Vec<HistoryRecord>,
    pub sonarr_history: Vec<HistoryRecord>,
    pub shoko_files: Vec<ShokoFile>,
    /// AniDB anime id → Shoko series id.
    pub shoko_series: BTreeMap<u64, u64>,
    pub jellyfin: Vec<JfItem>,
    pub qb_sessions: HashMap<String, QbSession>,
    pub qb_failed_logins: u32,
    pub qb_session_timeout: Duration,
    pub shoko_keys: HashMap<(String, String), String>,
    /// The servers' base URLs, once started (for Seerr's `serviceUrl`).
    pub urls: Option<super::SimUrls>,
    /// While set, Seerr stamps every change with this second
    /// ([`SimWorld::seerr_in_second_of`]).
    seerr_held: Option<DateTime<Utc>>,
    /// Seerr cannot reach TMDB: its image proxy answers 500 to everything
    /// ([`SimWorld::set_tmdb_reachable`]).
    pub tmdb_unreachable: bool,
    next_id: u64,
}

impl World {
    fn new(seed: u64) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let server_id = hex_id(&mut rng, 32);
        let mut users = BTreeMap::new();
        let created = Utc::now() - chrono::Duration::days(400);
        users.insert(
            1,
            User {
                id: 1,
                username: None,
                jellyfin_username: Some("Admin".into()),
                email: "admin@example.com".into(),
                user_type: 3,
                permissions: 2,
                created,
            },
        );
        Self {
            rng,
            server_id,
            users,
            movies: BTreeMap::new(),
            series: BTreeMap::new(),
            series_tmdb: HashMap::new(),
            requests: BTreeMap::new(),
            downloads: BTreeMap::new(),
            radarr_history: Vec::new(),
            sonarr_history: Vec::new(),
            shoko_files: Vec::new(),
            shoko_series: BTreeMap::new(),
            jellyfin: Vec::new(),
            qb_sessions: HashMap::new(),
            qb_failed_logins: 0,
            qb_session_timeout: Duration::from_secs(3600),
            shoko_keys: HashMap::new(),
            urls: None,
            seerr_held: None,
            tmdb_unreachable: false,
            next_id: 100,
        }
    }

    /// A fresh id, unique across all kinds of rows.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The time Seerr writes for a change made at `now`. Seerr's
    /// `createdAt`/`updatedAt` have one-second resolution (TypeORM on SQLite
    /// stores `datetime('now')`; every captured payload ends in `.000Z`), so
    /// several changes share one `updatedAt`. While a second is held, it is
    /// that second.
    pub fn seerr_time(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.seerr_held
            .unwrap_or_else(|| chrono::SubsecRound::trunc_subsecs(now, 0))
    }

    pub fn new_media(&mut self, now: DateTime<Utc>) -> SeerrMedia {
        let now = self.seerr_time(now);
        SeerrMedia {
            id: self.next_id(),
            status: media_status::UNKNOWN,
            created: now,
            updated: now,
            jellyfin_id: None,
            seasons: BTreeMap::new(),
        }
    }

    pub fn series_by_tmdb(&self, tmdb_id: u64) -> Option<&Series> {
        self.series_tmdb
            .get(&tmdb_id)
            .and_then(|t| self.series.get(t))
    }

    fn series_by_tmdb_mut(&mut self, tmdb_id: u64) -> Option<&mut Series> {
        let tvdb_id = *self.series_tmdb.get(&tmdb_id)?;
        self.series.get_mut(&tvdb_id)
    }

    pub fn media_of(&self, media: MediaRef) -> Option<&SeerrMedia> {
        match media {
            MediaRef::Movie { tmdb_id } => self.movies.get(&tmdb_id).map(|m| &m.seerr),
            MediaRef::Tv { tmdb_id } => self.series_by_tmdb(tmdb_id).map(|s| &s.seerr),
        }
    }

    fn media_of_mut(&mut self, media: MediaRef) -> Option<&mut SeerrMedia> {
        match media {
            MediaRef::Movie { tmdb_id } => self.movies.get_mut(&tmdb_id).map(|m| &mut m.seerr),
            MediaRef::Tv { tmdb_id } => self.series_by_tmdb_mut(tmdb_id).map(|s| &mut s.seerr),
        }
    }

    fn user_named(&mut self, name: &str, now: DateTime<Utc>) -> u64 {
        if let Some(u) = self
            .users
            .values()
            .find(|u| u.display_name().eq_ignore_ascii_case(name))
        {
            return u.id;
        }
        let id = self.users.keys().max().copied().unwrap_or(1) + 1;
        let slug: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        self.users.insert(
            id,
            User {
                id,
                username: Some(name.to_string()),
                jellyfin_username: None,
                email: format!("{slug}@example.com"),
                user_type: 2,
                permissions: 32,
                created: now - chrono::Duration::days(100),
            },
        );
        id
    }

    fn request_mut(&mut self, id: u64) -> Result<&mut Request, SimError> {
        self.requests
            .get_mut(&id)
            .ok_or(SimError::UnknownRequest(id))
    }

    fn download_mut(&mut self, hash: &str) -> Result<&mut Download, SimError> {
        let key = hash.to_lowercase();
        self.downloads
            .get_mut(&key)
            .ok_or(SimError::UnknownDownload(key))
    }

    /// Recomputes a media's status from its requests (pending/processing/unknown),
    /// keeping availability that Jellyfin or a scan established.
    fn refresh_media_status(&mut self, media: MediaRef, now: DateTime<Utc>) {
        let now = self.seerr_time(now);
        let statuses: Vec<u8> = self
            .requests
            .values()
            .filter(|r| r.media == media)
            .map(|r| r.status)
            .collect();
        let Some(m) = self.media_of_mut(media) else {
            return;
        };
        if matches!(
            m.status,
            media_status::AVAILABLE | media_status::PARTIALLY_AVAILABLE
        ) {
            return;
        }
        // DELETED stays while nothing is approved: a new request does not
        // reset it (only UNKNOWN becomes PENDING), an approval makes it
        // PROCESSING (`MediaRequestSubscriber.updateParentStatus`).
        if m.status == media_status::DELETED && !statuses.contains(&request_status::APPROVED) {
            return;
        }
        let status = if statuses.contains(&request_status::APPROVED)
            || statuses.contains(&request_status::FAILED)
        {
            media_status::PROCESSING
        } else if statuses.contains(&request_status::PENDING) {
            media_status::PENDING
        } else {
            media_status::UNKNOWN
        };
        if status != m.status {
            m.status = status;
            m.updated = now;
        }
    }

    fn set_request_status(
        &mut self,
        id: u64,
        status: u8,
        now: DateTime<Utc>,
    ) -> Result<(), SimError> {
        let now = self.seerr_time(now);
        let r = self.request_mut(id)?;
        r.status = status;
        r.updated = now;
        r.modified_by = Some(1);
        for s in &mut r.seasons {
            s.status = status;
        }
        let media = r.media;
        self.refresh_media_status(media, now);
        Ok(())
    }

    fn add_history(&mut self, app: ArrApp, mut rec: HistoryRecord) {
        rec.id = self.next_id();
        if app.is_sonarr() {
            self.sonarr_history.push(rec);
        } else {
            self.radarr_history.push(rec);
        }
    }

    /// Marks the media of every open request for this film/series available
    /// when Jellyfin shows it (the Jellyfin scan of Seerr), and completes the
    /// approved requests (v2.6+ behaviour).
    fn seerr_sees_jellyfin_movie(&mut self, tmdb_id: u64, item_id: &str, now: DateTime<Utc>) {
        let now = self.seerr_time(now);
        if let Some(m) = self.movies.get_mut(&tmdb_id) {
            if m.anime {
                // Jellyseerr ≤2.7 does not understand Shokofin's AniDB ids.
                return;
            }
            // The scan saves the media only when something changed: the
            // status, or `jellyfinMediaId` when the item has a new Id.
            if m.seerr.status != media_status::AVAILABLE
                || m.seerr.jellyfin_id.as_deref() != Some(item_id)
            {
                m.seerr.status = media_status::AVAILABLE;
                m.seerr.jellyfin_id = Some(item_id.to_string());
                m.seerr.updated = now;
            }
        }
        self.complete_requests(MediaRef::Movie { tmdb_id }, now);
    }

    fn complete_requests(&mut self, media: MediaRef, now: DateTime<Utc>) {
        let now = self.seerr_time(now);
        let season_status = self.media_of(media).map(|m| m.seasons.clone());
        let media_available = self
            .media_of(media)
            .is_some_and(|m| m.status == media_status::AVAILABLE);
        for r in self.requests.values_mut().filter(|r| r.media == media) {
            match media {
                MediaRef::Movie { .. } => {
                    if r.status == request_status::APPROVED && media_available {
                        r.status = request_status::COMPLETED;
                        r.updated = now;
                    }
                }
                MediaRef::Tv { .. } => {
                    let seasons = season_status.clone().unwrap_or_default();
                    let mut all = true;
                    for s in &mut r.seasons {
                        let available = seasons
                            .get(&s.number)
                            .is_some_and(|(_, st)| *st == media_status::AVAILABLE);
                        if available && s.status == request_status::APPROVED {
                            s.status = request_status::COMPLETED;
                        }
                        all &= available;
                    }
                    if all && r.status == request_status::APPROVED {
                        r.status = request_status::COMPLETED;
                        r.updated = now;
                    }
                }
            }
        }
    }

    /// Seerr's Jellyfin scan for a series: season status from the playable
    /// episodes Jellyfin holds.
    fn seerr_sees_jellyfin_series(&mut self, tvdb_id: u64, now: DateTime<Utc>) {
        let now = self.seerr_time(now);
        let today = now.date_naive();
        let Some(series) = self.series.get(&tvdb_id) else {
            return;
        };
        if series.anime {
            return;
        }
        let series_item = self
            .jellyfin
            .iter()
            .find(|i| i.owner == JfOwner::Series { tvdb_id })
            .map(|i| i.id.clone());
        let playable_eps: std::collections::BTreeSet<(u32, u32)> = self
            .jellyfin
            .iter()
            .filter(|i| !i.virtual_item)
            .filter_map(|i| match i.owner {
                JfOwner::Episode {
                    tvdb_id: t,
                    season,
                    number,
                } if t == tvdb_id => Some((season, number)),
                _ => None,
            })
            .collect();
        let mut per_season: BTreeMap<u32, u8> = BTreeMap::new();
        for def in &series.seasons {
            let aired: Vec<&Episode> = series
                .episodes
                .iter()
                .filter(|e| e.season == def.number && e.air_date.is_some_and(|d| d <= today))
                .collect();
            let playable = aired
                .iter()
                .filter(|e| playable_eps.contains(&(e.season, e.number)))
                .count();
            let status = if aired.is_empty() || playable == 0 {
                continue;
            } else if playable == aired.len() {
                media_status::AVAILABLE
            } else {
                media_status::PARTIALLY_AVAILABLE
            };
            per_season.insert(def.number, status);
        }
        let tmdb_id = series.tmdb_id;
        let season_count = series.seasons.iter().filter(|d| d.number > 0).count();
        let mut ids = Vec::new();
        for n in per_season.keys() {
            let existing = self
                .series
                .get(&tvdb_id)
                .and_then(|s| s.seerr.seasons.get(n).map(|x| x.0));
            ids.push((*n, existing));
        }
        let mut assigned = Vec::new();
        for (n, id) in ids {
            let id = match id {
                Some(id) => id,
                None => self.next_id(),
            };
            assigned.push((n, id));
        }
        if let Some(s) = self.series.get_mut(&tvdb_id) {
            for (n, id) in assigned {
                let status = per_season.get(&n).copied().unwrap_or(media_status::UNKNOWN);
                s.seerr.seasons.insert(n, (id, status));
            }
            let available = s
                .seerr
                .seasons
                .iter()
                .filter(|(n, (_, st))| **n > 0 && *st == media_status::AVAILABLE)
                .count();
            let any = s
                .seerr
                .seasons
                .values()
                .any(|(_, st)| *st >= media_status::PARTIALLY_AVAILABLE);
            s.seerr.status = if available >= season_count && season_count > 0 {
                media_status::AVAILABLE
            } else if any {
                media_status::PARTIALLY_AVAILABLE
            } else {
                s.seerr.status
            };
            s.seerr.jellyfin_id = series_item;
            s.seerr.updated = now;
        }
        self.complete_requests(MediaRef::Tv { tmdb_id }, now);
    }

    /// The film with this TMDB id.
    fn movie(&self, tmdb_id: u64) -> Result<&Movie, SimError> {
        self.movies
            .get(&tmdb_id)
            .ok_or(SimError::UnknownMovie(tmdb_id))
    }

    /// A playable Jellyfin item `id` for a film, built from what the world
    /// holds now (Radarr's file, Shoko's match for anime).
    fn jellyfin_movie_item(
        &self,
        tmdb_id: u64,
        id: String,
        now: DateTime<Utc>,
    ) -> Result<JfItem, SimError> {
        let movie = self.movie(tmdb_id)?.clone();
        let mut ids = BTreeMap::new();
        let path = if movie.anime {
            let shoko = self.shoko_file_of(FileOwner::Movie { tmdb_id }).cloned();
            if let Some(anidb) = movie.anidb_id {
                ids.insert("AniDB".to_string(), anidb.to_string());
                if let Some(series) = self.shoko_series.get(&anidb) {
                    ids.insert("Shoko Series".to_string(), series.to_string());
                }
            }
            if let Some(f) = &shoko {
                ids.insert("Shoko File".to_string(), f.id.to_string());
                if f.shoko_episode_id != 0 {
                    ids.insert("Shoko Episode".to_string(), f.shoko_episode_id.to_string());
                }
            }
            format!(
                "{JELLYFIN_VFS}{}",
                movie
                    .file
                    .as_ref()
                    .map(|f| shoko_relative(&f.path))
                    .unwrap_or_else(|| movie.folder())
            )
        } else {
            ids.insert("Tmdb".to_string(), tmdb_id.to_string());
            ids.insert("Imdb".to_string(), movie.imdb_id.clone());
            movie
                .file
                .as_ref()
                .map(|f| f.path.clone())
                .unwrap_or_else(|| format!("{}/{}.mkv", movie.path(), movie.folder()))
        };
        Ok(JfItem {
            id,
            kind: JfKind::Movie,
            owner: JfOwner::Movie { tmdb_id },
            name: movie.title.clone(),
            year: Some(movie.year),
            provider_ids: ids,
            virtual_item: false,
            path: Some(path),
            size: Some(movie.file.as_ref().map(|f| f.size).unwrap_or(1_000_000_000)),
            series_id: None,
            series_name: None,
            season: None,
            index: None,
            created: now,
        })
    }

    /// Jellyfin shows a new film item; Seerr's Jellyfin scan sees it.
    fn jellyfin_push_movie(
        &mut self,
        tmdb_id: u64,
        now: DateTime<Utc>,
    ) -> Result<String, SimError> {
        let id = self.new_jf_id();
        let item = self.jellyfin_movie_item(tmdb_id, id.clone(), now)?;
        self.jellyfin.push(item);
        self.seerr_sees_jellyfin_movie(tmdb_id, &id, now);
        Ok(id)
    }

    fn new_jf_id(&mut self) -> String {
        hex_id(&mut self.rng, 32)
    }

    /// The library files imported from one download, with their owners.
    fn imported_files(&self, hash: &str) -> Vec<(FileOwner, MediaFile)> {
        let Some(d) = self.downloads.get(hash) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        match &d.target {
            Target::Movie { tmdb_id } => {
                if let Some(f) = self.movies.get(tmdb_id).and_then(|m| m.file.clone()) {
                    if d.imported_paths.contains(&f.path) {
                        out.push((FileOwner::Movie { tmdb_id: *tmdb_id }, f));
                    }
                }
            }
            Target::Episodes { tvdb_id, episodes } => {
                if let Some(s) = self.series.get(tvdb_id) {
                    for (season, number) in episodes {
                        if let Some(f) = s.episode(*season, *number).and_then(|e| e.file.clone()) {
                            if d.imported_paths.contains(&f.path) {
                                let owner = FileOwner::Episode {
                                    tvdb_id: *tvdb_id,
                                    season: *season,
                                    number: *number,
                                };
                                out.push((owner, f));
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Every library file, with its owner.
    fn all_files(&self) -> Vec<(FileOwner, MediaFile)> {
        let mut out = Vec::new();
        for m in self.movies.values() {
            if let Some(f) = &m.file {
                out.push((FileOwner::Movie { tmdb_id: m.tmdb_id }, f.clone()));
            }
        }
        for s in self.series.values() {
            for e in &s.episodes {
                if let Some(f) = &e.file {
                    let owner = FileOwner::Episode {
                        tvdb_id: s.tvdb_id,
                        season: e.season,
                        number: e.number,
                    };
                    out.push((owner, f.clone()));
                }
            }
        }
        out
    }

    fn shoko_set_file(
        &mut self,
        owner: FileOwner,
        file: &MediaFile,
        state: ShokoState,
        now: DateTime<Utc>,
    ) {
        let relative = shoko_relative(&file.path);
        let server_path = format!("{SHOKO_ROOT}{relative}");
        if state == ShokoState::NotSeen {
            self.shoko_files.retain(|f| f.server_path != server_path);
            return;
        }
        if let ShokoState::Matched { anidb_id } | ShokoState::ImportLimbo { anidb_id } = state {
            match owner {
                FileOwner::Movie { tmdb_id } => {
                    if let Some(m) = self.movies.get_mut(&tmdb_id) {
                        m.anidb_id = Some(anidb_id);
                    }
                }
                FileOwner::Episode { tvdb_id, .. } => {
                    if let Some(s) = self.series.get_mut(&tvdb_id) {
                        s.anidb_id = Some(anidb_id);
                    }
                }
            }
            if matches!(state, ShokoState::Matched { .. })
                && !self.shoko_series.contains_key(&anidb_id)
            {
                let id = self.next_id();
                self.shoko_series.insert(anidb_id, id);
            }
        }
        let anidb_episode_id = match (owner, state) {
            (_, ShokoState::Matched { anidb_id } | ShokoState::ImportLimbo { anidb_id }) => {
                let n = match owner {
                    FileOwner::Movie { .. } => 1,
                    FileOwner::Episode {
                        tvdb_id,
                        season,
                        number,
                    } => self
                        .series
                        .get(&tvdb_id)
                        .and_then(|s| s.episode(season, number))
                        .and_then(|e| e.absolute)
                        .map(u64::from)
                        .unwrap_or(u64::from(season) * 100 + u64::from(number)),
                };
                anidb_id * 1000 + n
            }
            _ => 0,
        };
        if let Some(existing) = self
            .shoko_files
            .iter()
            .position(|f| f.server_path == server_path)
        {
            let shoko_episode_id = if self.shoko_files[existing].shoko_episode_id == 0
                && matches!(state, ShokoState::Matched { .. })
            {
                self.next_id()
            } else {
                self.shoko_files[existing].shoko_episode_id
            };
            let f = &mut self.shoko_files[existing];
            f.state = state;
            f.updated = now;
            f.anidb_episode_id = anidb_episode_id;
            f.shoko_episode_id = shoko_episode_id;
        } else {
            let id = self.next_id();
            let shoko_episode_id = if matches!(state, ShokoState::Matched { .. }) {
                self.next_id()
            } else {
                0
            };
            self.shoko_files.push(ShokoFile {
                id,
                server_path,
                relative_path: relative,
                size: file.size,
                state,
                owner,
                created: now,
                updated: now,
                shoko_episode_id,
                anidb_episode_id,
            });
        }
    }

    /// The Shoko file of a library file owner, if Shoko matched it.
    pub fn shoko_file_of(&self, owner: FileOwner) -> Option<&ShokoFile> {
        self.shoko_files.iter().find(|f| f.owner == owner)
    }
}

/// The path Shoko sees below its import folder: the library path without
/// the *arr root (`<Title (Year)>/...`).
pub(crate) fn shoko_relative(library_path: &str) -> String {
    library_path
        .strip_prefix(MOVIES_ROOT)
        .or_else(|| library_path.strip_prefix(TV_ROOT))
        .unwrap_or(library_path.trim_start_matches('/'))
        .to_string()
}

/// `n` random lower-case hex characters.
pub(crate) fn hex_id(rng: &mut fastrand::Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from_digit(rng.u32(0..16), 16).unwrap_or('0'))
        .collect()
}

fn check_hash(hash: &str) -> Result<String, SimError> {
    if hash.len() == 40 && hash.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(hash.to_lowercase())
    } else {
        Err(SimError::InvalidHash(hash.to_string()))
    }
}

fn release_group(release: &str) -> String {
    release
        .rsplit_once('-')
        .map(|(_, g)| g.to_string())
        .unwrap_or_else(|| "SIM".into())
}

/// A cheap clone handle over the simulated world, shared by the six servers,
/// the timeline runner and the tests.
#[derive(Clone)]
pub struct SimWorld {
    inner: Arc<Inner>,
}

struct Inner {
    world: Mutex<World>,
    modes: Vec<watch::Sender<FailureMode>>,
    served: Vec<AtomicU64>,
}

impl Default for SimWorld {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for SimWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimWorld").finish_non_exhaustive()
    }
}

impl SimWorld {
    /// An empty world (only Seerr's admin user), every service up.
    pub fn new() -> Self {
        Self::with_seed(0x5eed)
    }

    /// An empty world whose generated ids come from `seed`.
    pub fn with_seed(seed: u64) -> Self {
        let modes = Service::ALL
            .iter()
            .map(|_| watch::channel(FailureMode::Up).0)
            .collect();
        let served = Service::ALL.iter().map(|_| AtomicU64::new(0)).collect();
        Self {
            inner: Arc::new(Inner {
                world: Mutex::new(World::new(seed)),
                modes,
                served,
            }),
        }
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, World> {
        self.inner
            .world
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs `f` on the locked world.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.lock())
    }

    // ----- failure modes and counters -----

    /// Whether Seerr reaches TMDB (its image proxy fetches from there; the
    /// API keeps answering either way).
    pub fn set_tmdb_reachable(&self, reachable: bool) {
        self.with(|w| w.tmdb_unreachable = !reachable);
    }

    /// Switches how a service answers from now on.
    pub fn set_mode(&self, service: Service, mode: FailureMode) {
        if let Some(tx) = self.inner.modes.get(service.index()) {
            tx.send_replace(mode);
        }
    }

    /// How a service answers now.
    pub fn mode(&self, service: Service) -> FailureMode {
        self.inner
            .modes
            .get(service.index())
            .map(|tx| *tx.borrow())
            .unwrap_or(FailureMode::Up)
    }

    pub(crate) fn mode_receiver(&self, service: Service) -> Option<watch::Receiver<FailureMode>> {
        self.inner
            .modes
            .get(service.index())
            .map(|tx| tx.subscribe())
    }

    /// How many HTTP requests a service has received (failure-mode answers
    /// included, refused connections not).
    pub fn requests_served(&self, service: Service) -> u64 {
        self.inner
            .served
            .get(service.index())
            .map(|c| c.load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    pub(crate) fn count_request(&self, service: Service) {
        if let Some(c) = self.inner.served.get(service.index()) {
            c.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// qBittorrent's session idle timeout (default 3600 s).
    pub fn set_qb_session_timeout(&self, timeout: Duration) {
        self.with(|w| w.qb_session_timeout = timeout);
    }

    /// Lifts qBittorrent's login ban and forgets failed attempts.
    pub fn qb_reset_ban(&self) {
        self.with(|w| w.qb_failed_logins = 0);
    }

    // ----- library -----

    /// Adds a film to Seerr's catalogue and Radarr's library (monitored, no
    /// file). Anime films carry TMDB keyword 210024 and Radarr tag `anime`.
    pub fn add_movie(&self, tmdb_id: u64, title: &str, year: i32, anime: bool) {
        let now = Utc::now();
        self.with(|w| {
            let radarr_id = w.next_id();
            let seerr = w.new_media(now);
            w.movies.insert(
                tmdb_id,
                Movie {
                    radarr_id,
                    tmdb_id,
                    imdb_id: format!("tt{:07}", tmdb_id % 10_000_000),
                    title: title.to_string(),
                    year,
                    anime,
                    added: now,
                    file: None,
                    anidb_id: None,
                    seerr,
                },
            );
        });
    }

    /// Adds a series to Seerr and Sonarr. `seasons` lists `(season number,
    /// episode count, first air date)`; episodes air weekly from that date,
    /// so a date in the past with more episodes than weeks gives an airing
    /// series with unaired episodes. Anime series are Sonarr `seriesType`
    /// anime with absolute numbers.
    pub fn add_series(
        &self,
        tvdb_id: u64,
        tmdb_id: u64,
        title: &str,
        year: i32,
        anime: bool,
        seasons: &[(u32, u32, NaiveDate)],
    ) {
        let now = Utc::now();
        self.with(|w| {
            let sonarr_id = w.next_id();
            let seerr = w.new_media(now);
            let mut episodes = Vec::new();
            let mut absolute = 0;
            for (season, count, first) in seasons {
                for n in 1..=*count {
                    let id = w.next_id();
                    if *season > 0 {
                        absolute += 1;
                    }
                    episodes.push(Episode {
                        id,
                        tvdb_id: tvdb_id * 1000 + u64::from(*season) * 100 + u64::from(n),
                        season: *season,
                        number: n,
                        absolute: (anime && *season > 0).then_some(absolute),
                        title: format!("Episode {n}"),
                        air_date: Some(*first + chrono::Duration::weeks(i64::from(n) - 1)),
                        monitored: *season > 0,
                        file: None,
                    });
                }
            }
            w.series_tmdb.insert(tmdb_id, tvdb_id);
            w.series.insert(
                tvdb_id,
                Series {
                    sonarr_id,
                    tvdb_id,
                    tmdb_id,
                    imdb_id: format!("tt{:07}", tvdb_id % 10_000_000),
                    title: title.to_string(),
                    year,
                    anime,
                    added: now,
                    seasons: seasons
                        .iter()
                        .map(|(n, _, _)| SeasonDef { number: *n })
                        .collect(),
                    episodes,
                    anidb_id: None,
                    seerr,
                },
            );
        });
    }

    /// Renames an episode (Sonarr's and Jellyfin's `title`): episode titles
    /// are service text like any other, hostile ones included.
    pub fn set_episode_title(
        &self,
        tvdb_id: u64,
        season: u32,
        number: u32,
        title: &str,
    ) -> Result<(), SimError> {
        self.with(|w| {
            let series = w
                .series
                .get_mut(&tvdb_id)
                .ok_or(SimError::UnknownSeries(tvdb_id))?;
            let e = series
                .episodes
                .iter_mut()
                .find(|e| e.season == season && e.number == number)
                .ok_or(SimError::UnknownEpisode {
                    tvdb_id,
                    season,
                    episode: number,
                })?;
            e.title = title.to_string();
            Ok(())
        })
    }

    // ----- Seerr requests -----

    /// A PENDING film request by `user` (created on first use). Returns the
    /// request id.
    pub fn request_movie(&self, tmdb_id: u64, user: &str) -> Result<u64, SimError> {
        let now = Utc::now();
        self.with(|w| {
            w.movie(tmdb_id)?;
            let requested_by = w.user_named(user, now);
            let now = w.seerr_time(now);
            let id = w.next_id();
            w.requests.insert(
                id,
                Request {
                    id,
                    media: MediaRef::Movie { tmdb_id },
                    seasons: Vec::new(),
                    status: request_status::PENDING,
                    created: now,
                    updated: now,
                    requested_by,
                    modified_by: None,
                },
            );
            w.refresh_media_status(MediaRef::Movie { tmdb_id }, now);
            Ok(id)
        })
    }

    /// A PENDING series request for `seasons` (by TMDB id, as Seerr keys tv).
    pub fn request_series(
        &self,
        tmdb_id: u64,
        seasons: &[u32],
        user: &str,
    ) -> Result<u64, SimError> {
        let now = Utc::now();
        self.with(|w| {
            if w.series_by_tmdb(tmdb_id).is_none() {
                return Err(SimError::UnknownSeries(tmdb_id));
            }
            let requested_by = w.user_named(user, now);
            let now = w.seerr_time(now);
            let id = w.next_id();
            let season_rows = seasons
                .iter()
                .map(|n| SeasonRequest {
                    id: w.next_id(),
                    number: *n,
                    status: request_status::PENDING,
                })
                .collect();
            w.requests.insert(
                id,
                Request {
                    id,
                    media: MediaRef::Tv { tmdb_id },
                    seasons: season_rows,
                    status: request_status::PENDING,
                    created: now,
                    updated: now,
                    requested_by,
                    modified_by: None,
                },
            );
            w.refresh_media_status(MediaRef::Tv { tmdb_id }, now);
            Ok(id)
        })
    }

    /// The admin approves: request APPROVED, media PROCESSING.
    pub fn approve(&self, request_id: u64) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| w.set_request_status(request_id, request_status::APPROVED, now))
    }

    /// The admin declines: request DECLINED.
    pub fn decline(&self, request_id: u64) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| w.set_request_status(request_id, request_status::DECLINED, now))
    }

    /// Seerr could not hand the request to Radarr/Sonarr: request FAILED.
    pub fn mark_failed(&self, request_id: u64) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| w.set_request_status(request_id, request_status::FAILED, now))
    }

    /// Seerr's bulk approve: many requests approved within one second, so
    /// they all carry the same `updatedAt` (the held second, if any). Fails,
    /// changing nothing, when one id is unknown.
    pub fn bulk_approve(&self, request_ids: &[u64]) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            if let Some(id) = request_ids.iter().find(|id| !w.requests.contains_key(id)) {
                return Err(SimError::UnknownRequest(*id));
            }
            let at = w.seerr_time(now);
            for id in request_ids {
                w.set_request_status(*id, request_status::APPROVED, at)?;
            }
            Ok(())
        })
    }

    /// The admin approves and Seerr's hand-off to Radarr/Sonarr fails at
    /// once: Seerr answers the approve with 200, then sets the request FAILED
    /// (status 4), both within one second (one `updatedAt`).
    pub fn approve_then_fail_same_second(&self, request_id: u64) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let at = w.seerr_time(now);
            w.set_request_status(request_id, request_status::APPROVED, at)?;
            w.set_request_status(request_id, request_status::FAILED, at)
        })
    }

    /// Runs `steps` with Seerr's clock held at the second of the request's
    /// last change: every Seerr change inside carries that `updatedAt`, as
    /// when a change lands in the same second as one a client already read
    /// (a decline right after a poll, a hand-off failing right after the
    /// approve). Other services keep the real clock, and so does the `Date`
    /// header of Seerr's answers: run the steps right after the poll they
    /// race with (a real second cannot be written once Seerr's clock has
    /// left it).
    pub fn seerr_in_second_of<T>(
        &self,
        request_id: u64,
        steps: impl FnOnce() -> T,
    ) -> Result<T, SimError> {
        let previous = self.with(|w| {
            let second = w
                .requests
                .get(&request_id)
                .map(|r| r.updated)
                .ok_or(SimError::UnknownRequest(request_id))?;
            Ok(w.seerr_held.replace(second))
        })?;
        /// Puts the clock back even when `steps` panics.
        struct Restore<'a>(&'a SimWorld, Option<DateTime<Utc>>);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                let previous = self.1;
                self.0.with(|w| w.seerr_held = previous);
            }
        }
        let _restore = Restore(self, previous);
        Ok(steps())
    }

    /// The request is deleted in Seerr: it leaves every listing.
    pub fn delete_request(&self, request_id: u64) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let r = w
                .requests
                .remove(&request_id)
                .ok_or(SimError::UnknownRequest(request_id))?;
            w.refresh_media_status(r.media, now);
            Ok(())
        })
    }

    /// What Seerr's daily Radarr/Sonarr scan does: media whose files the *arr
    /// has are marked AVAILABLE, whether Jellyfin shows them or not.
    pub fn seerr_arr_scan(&self) {
        let now = Utc::now();
        self.with(|w| {
            let now = w.seerr_time(now);
            let mut done = Vec::new();
            for m in w.movies.values_mut() {
                if m.file.is_some() && m.seerr.status != media_status::AVAILABLE {
                    m.seerr.status = media_status::AVAILABLE;
                    m.seerr.updated = now;
                    done.push(MediaRef::Movie { tmdb_id: m.tmdb_id });
                }
            }
            let today = now.date_naive();
            let mut season_updates = Vec::new();
            for s in w.series.values() {
                for def in &s.seasons {
                    let aired: Vec<&Episode> = s
                        .episodes
                        .iter()
                        .filter(|e| {
                            e.season == def.number && e.air_date.is_some_and(|d| d <= today)
                        })
                        .collect();
                    if !aired.is_empty() && aired.iter().all(|e| e.file.is_some()) {
                        season_updates.push((s.tvdb_id, def.number));
                    }
                }
            }
            for (tvdb_id, n) in season_updates {
                let existing = w
                    .series
                    .get(&tvdb_id)
                    .and_then(|s| s.seerr.seasons.get(&n).map(|x| x.0));
                let id = match existing {
                    Some(id) => id,
                    None => w.next_id(),
                };
                if let Some(s) = w.series.get_mut(&tvdb_id) {
                    s.seerr.seasons.insert(n, (id, media_status::AVAILABLE));
                    let all = s.seasons.iter().filter(|d| d.number > 0).all(|d| {
                        s.seerr
                            .seasons
                            .get(&d.number)
                            .is_some_and(|x| x.1 == media_status::AVAILABLE)
                    });
                    s.seerr.status = if all {
                        media_status::AVAILABLE
                    } else {
                        media_status::PARTIALLY_AVAILABLE
                    };
                    s.seerr.updated = now;
                    done.push(MediaRef::Tv { tmdb_id: s.tmdb_id });
                }
            }
            for media in done {
                w.complete_requests(media, now);
            }
        });
    }

    /// Seerr's daily "Media Availability Sync" (05:00), for films: a film
    /// Seerr marks AVAILABLE whose Radarr movie has no file and whose
    /// `jellyfinMediaId` item is gone from Jellyfin becomes DELETED (7), with
    /// `jellyfinMediaId` cleared; its APPROVED requests become COMPLETED
    /// (`MediaSubscriber`). Until it runs, Seerr keeps saying AVAILABLE with
    /// the old item id. A film still in either place is left alone. Once
    /// DELETED, the film can be requested again.
    pub fn seerr_availability_sync(&self) {
        let now = Utc::now();
        self.with(|w| {
            let now = w.seerr_time(now);
            let gone: Vec<u64> = w
                .movies
                .values()
                .filter(|m| m.seerr.status == media_status::AVAILABLE && m.file.is_none())
                .filter(|m| {
                    !m.seerr
                        .jellyfin_id
                        .as_ref()
                        .is_some_and(|id| w.jellyfin.iter().any(|i| &i.id == id))
                })
                .map(|m| m.tmdb_id)
                .collect();
            for tmdb_id in gone {
                if let Some(m) = w.movies.get_mut(&tmdb_id) {
                    m.seerr.status = media_status::DELETED;
                    m.seerr.jellyfin_id = None;
                    m.seerr.updated = now;
                }
                let media = MediaRef::Movie { tmdb_id };
                for r in w.requests.values_mut().filter(|r| r.media == media) {
                    if r.status == request_status::APPROVED {
                        r.status = request_status::COMPLETED;
                        r.updated = now;
                    }
                }
            }
        });
    }

    // ----- grabs and downloads -----

    /// Radarr grabs a release: queue item, `grabbed` history, and a qBittorrent
    /// torrent at 0 %. An earlier failed download of the same film leaves the
    /// queue and the client (Radarr's redownload after a failure).
    pub fn grab_movie(
        &self,
        tmdb_id: u64,
        hash: &str,
        release_title: &str,
        size: u64,
    ) -> Result<(), SimError> {
        let now = Utc::now();
        let hash = check_hash(hash)?;
        self.with(|w| {
            let movie = w
                .movies
                .get(&tmdb_id)
                .ok_or(SimError::UnknownMovie(tmdb_id))?;
            let radarr_id = movie.radarr_id;
            let imdb = movie.imdb_id.clone();
            let target = Target::Movie { tmdb_id };
            supersede_failed(w, &target);
            w.downloads.insert(
                hash.clone(),
                new_download(&hash, release_title, size, target, now),
            );
            let mut data = grab_data(release_title, size, &hash, now);
            data.insert("tmdbId".into(), tmdb_id.to_string());
            data.insert("imdbId".into(), imdb);
            data.insert("movieMatchType".into(), "Title".into());
            w.add_history(
                ArrApp::Radarr,
                HistoryRecord {
                    id: 0,
                    media_id: radarr_id,
                    episode_id: None,
                    source_title: release_title.to_string(),
                    date: now,
                    download_id: Some(hash.to_uppercase()),
                    event: HistoryEvent::Grabbed,
                    data,
                },
            );
            Ok(())
        })
    }

    /// Sonarr grabs a release for some episodes of a series (a season pack
    /// when it lists a whole season): one queue record and one `grabbed`
    /// history record per episode, all with the same download id.
    pub fn grab_episodes(
        &self,
        tvdb_id: u64,
        episodes: &[(u32, u32)],
        hash: &str,
        release_title: &str,
        size: u64,
    ) -> Result<(), SimError> {
        let now = Utc::now();
        let hash = check_hash(hash)?;
        self.with(|w| {
            let series = w
                .series
                .get(&tvdb_id)
                .ok_or(SimError::UnknownSeries(tvdb_id))?;
            let mut ids = Vec::new();
            for (season, number) in episodes {
                let e = series
                    .episode(*season, *number)
                    .ok_or(SimError::UnknownEpisode {
                        tvdb_id,
                        season: *season,
                        episode: *number,
                    })?;
                ids.push(e.id);
            }
            let sonarr_id = series.sonarr_id;
            let imdb = series.imdb_id.clone();
            let target = Target::Episodes {
                tvdb_id,
                episodes: episodes.to_vec(),
            };
            supersede_failed(w, &target);
            w.downloads.insert(
                hash.clone(),
                new_download(&hash, release_title, size, target, now),
            );
            let release_type = release_type(episodes, w.series.get(&tvdb_id));
            for episode_id in ids {
                let mut data = grab_data(release_title, size, &hash, now);
                data.insert("tvdbId".into(), tvdb_id.to_string());
                data.insert("tvRageId".into(), "0".into());
                data.insert("imdbId".into(), imdb.clone());
                data.insert("seriesMatchType".into(), "Title".into());
                data.insert("releaseType".into(), release_type.into());
                w.add_history(
                    ArrApp::Sonarr,
                    HistoryRecord {
                        id: 0,
                        media_id: sonarr_id,
                        episode_id: Some(episode_id),
                        source_title: release_title.to_string(),
                        date: now,
                        download_id: Some(hash.to_uppercase()),
                        event: HistoryEvent::Grabbed,
                        data,
                    },
                );
            }
            Ok(())
        })
    }

    /// qBittorrent reports progress (0..1) and download speed (bytes/s).
    /// Below 1 the torrent is `downloading` (or `stalledDL` at speed 0 when it
    /// was stalled).
    pub fn set_progress(&self, hash: &str, fraction: f64, dlspeed: u64) -> Result<(), SimError> {
        if fraction >= 1.0 {
            return self.complete_download(hash);
        }
        self.with(|w| {
            let d = w.download_mut(hash)?;
            d.progress = fraction.clamp(0.0, 1.0);
            d.dlspeed = dlspeed;
            if !matches!(
                d.state.as_str(),
                "pausedDL" | "stoppedDL" | "error" | "missingFiles"
            ) && (dlspeed > 0 || d.state != "stalledDL")
            {
                d.state = "downloading".into();
            }
            Ok(())
        })
    }

    /// Sets qBittorrent's raw state string (`stalledDL`, `pausedDL`, `error`, ...).
    pub fn set_torrent_state(&self, hash: &str, state: &str) -> Result<(), SimError> {
        self.with(|w| {
            let d = w.download_mut(hash)?;
            d.state = state.to_string();
            if matches!(
                state,
                "stalledDL" | "pausedDL" | "stoppedDL" | "error" | "missingFiles"
            ) {
                d.dlspeed = 0;
            }
            Ok(())
        })
    }

    /// The torrent completes: progress 1, seeding (`stalledUP`).
    pub fn complete_download(&self, hash: &str) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let d = w.download_mut(hash)?;
            complete(d, now);
            Ok(())
        })
    }

    /// The torrent is removed from qBittorrent; the *arr queue drops it too.
    pub fn remove_torrent(&self, hash: &str) -> Result<(), SimError> {
        self.with(|w| {
            let d = w.download_mut(hash)?;
            d.in_client = false;
            if matches!(
                d.arr,
                ArrState::Tracking
                    | ArrState::ImportBlocked(_)
                    | ArrState::Failed(_)
                    | ArrState::Importing
            ) {
                d.arr = ArrState::Gone;
            }
            Ok(())
        })
    }

    /// Moves every Radarr and Sonarr history record into the past, in the
    /// order they were made, 20 s apart, the newest `before` ago: a populated
    /// library's history happened over the previous days, not in the instant
    /// `populate` ran (else every `history/since` re-reads all of it).
    pub fn age_history(&self, before: chrono::Duration) {
        let newest = Utc::now() - before;
        self.with(|w| {
            for list in [&mut w.radarr_history, &mut w.sonarr_history] {
                let n = list.len();
                for (i, r) in list.iter_mut().enumerate() {
                    let steps = i64::try_from(n - 1 - i).unwrap_or(i64::MAX / 40);
                    r.date = newest - chrono::Duration::seconds(20 * steps);
                }
            }
        });
    }

    /// The torrent completed but the *arr cannot import it: queue `completed`,
    /// `warning`, `importBlocked`, with the message in `statusMessages`.
    pub fn import_blocked(&self, hash: &str, message: &str) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let d = w.download_mut(hash)?;
            complete(d, now);
            d.arr = ArrState::ImportBlocked(message.to_string());
            Ok(())
        })
    }

    /// The *arr has started importing the completed download: the queue
    /// item says `status` completed, `trackedDownloadState` `importing`
    /// (Radarr/Sonarr copy or hardlink the file; a large file on a slow disk
    /// or a network share takes minutes). No library file and no
    /// `downloadFolderImported` record yet: [`Self::import`] finishes it.
    pub fn start_import(&self, hash: &str) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let d = w.download_mut(hash)?;
            complete(d, now);
            d.arr = ArrState::Importing;
            Ok(())
        })
    }

    /// The download failed: queue `failed`/`failedPending` and a
    /// `downloadFailed` history record (per episode for Sonarr).
    pub fn download_failed(&self, hash: &str, message: &str) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let d = w.download_mut(hash)?;
            d.arr = ArrState::Failed(message.to_string());
            d.state = "error".into();
            d.dlspeed = 0;
            let d = d.clone();
            let mut data = BTreeMap::new();
            data.insert("downloadClient".into(), "qBittorrent".into());
            data.insert("downloadClientName".into(), "qBittorrent".into());
            data.insert("message".into(), message.to_string());
            data.insert("releaseGroup".into(), release_group(&d.name));
            data.insert("size".into(), d.size.to_string());
            data.insert("indexer".into(), INDEXER.into());
            for (app, media_id, episode_id) in history_targets(w, &d.target) {
                w.add_history(
                    app,
                    HistoryRecord {
                        id: 0,
                        media_id,
                        episode_id,
                        source_title: d.name.clone(),
                        date: now,
                        download_id: Some(d.upper_hash()),
                        event: HistoryEvent::DownloadFailed,
                        data: data.clone(),
                    },
                );
            }
            Ok(())
        })
    }

    /// The user removes the download from the *arr queue without blocklisting
    /// it: the item leaves the queue and the client, and a `downloadIgnored`
    /// record (message "Manually ignored") is written.
    pub fn ignore_download(&self, hash: &str) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let d = w.download_mut(hash)?;
            d.arr = ArrState::Gone;
            d.in_client = false;
            let d = d.clone();
            let mut data = BTreeMap::new();
            data.insert("downloadClient".into(), "qBittorrent".into());
            data.insert("downloadClientName".into(), "qBittorrent".into());
            data.insert("message".into(), "Manually ignored".into());
            data.insert("releaseGroup".into(), release_group(&d.name));
            data.insert("size".into(), d.size.to_string());
            for (app, media_id, episode_id) in history_targets(w, &d.target) {
                w.add_history(
                    app,
                    HistoryRecord {
                        id: 0,
                        media_id,
                        episode_id,
                        source_title: d.name.clone(),
                        date: now,
                        download_id: Some(d.upper_hash()),
                        event: HistoryEvent::DownloadIgnored,
                        data: data.clone(),
                    },
                );
            }
            Ok(())
        })
    }

    /// The *arr imports the download: the queue item leaves, the film or
    /// episodes get files under `/media/...`, and a `downloadFolderImported`
    /// record per file carries `importedPath`. Returns the library paths.
    pub fn import(&self, hash: &str) -> Result<Vec<String>, SimError> {
        let now = Utc::now();
        self.with(|w| {
            let key = hash.to_lowercase();
            let d = w.download_mut(&key)?;
            complete(d, now);
            d.arr = ArrState::Imported;
            let d = d.clone();
            let group = release_group(&d.name);
            let mut imported = Vec::new();
            match &d.target {
                Target::Movie { tmdb_id } => {
                    let file_id = w.next_id();
                    let movie = w
                        .movies
                        .get_mut(tmdb_id)
                        .ok_or(SimError::UnknownMovie(*tmdb_id))?;
                    let relative = format!("{}.mkv", d.name);
                    let path = format!("{}/{relative}", movie.path());
                    let file = MediaFile {
                        id: file_id,
                        path: path.clone(),
                        relative_path: relative.clone(),
                        size: d.size,
                        date_added: now,
                        release_group: group.clone(),
                        scene_name: d.name.clone(),
                    };
                    movie.file = Some(file);
                    let radarr_id = movie.radarr_id;
                    let data = import_data(
                        file_id,
                        &format!("{DOWNLOADS}/{relative}"),
                        &path,
                        &group,
                        d.size,
                        None,
                    );
                    imported.push(path);
                    w.add_history(
                        ArrApp::Radarr,
                        HistoryRecord {
                            id: 0,
                            media_id: radarr_id,
                            episode_id: None,
                            source_title: d.name.clone(),
                            date: now,
                            download_id: Some(d.upper_hash()),
                            event: HistoryEvent::DownloadFolderImported,
                            data,
                        },
                    );
                }
                Target::Episodes { tvdb_id, episodes } => {
                    let count = episodes.len().max(1) as u64;
                    let per_file = d.size / count;
                    let release_type = release_type(episodes, w.series.get(tvdb_id));
                    for (season, number) in episodes {
                        let file_id = w.next_id();
                        let series = w
                            .series
                            .get_mut(tvdb_id)
                            .ok_or(SimError::UnknownSeries(*tvdb_id))?;
                        let series_path = series.path();
                        let title = series.title.clone();
                        let sonarr_id = series.sonarr_id;
                        let Some(e) = series
                            .episodes
                            .iter_mut()
                            .find(|e| e.season == *season && e.number == *number)
                        else {
                            continue;
                        };
                        let relative = format!(
                            "Season {season:02}/{title} - S{season:02}E{number:02} - {}.mkv",
                            e.title
                        );
                        let path = format!("{series_path}/{relative}");
                        e.file = Some(MediaFile {
                            id: file_id,
                            path: path.clone(),
                            relative_path: relative,
                            size: per_file,
                            date_added: now,
                            release_group: group.clone(),
                            scene_name: d.name.clone(),
                        });
                        let episode_id = e.id;
                        let dropped = if episodes.len() > 1 {
                            format!(
                                "{DOWNLOADS}/{}/{}.S{season:02}E{number:02}.mkv",
                                d.name,
                                title.replace(' ', ".")
                            )
                        } else {
                            format!("{DOWNLOADS}/{}.mkv", d.name)
                        };
                        let data = import_data(
                            file_id,
                            &dropped,
                            &path,
                            &group,
                            per_file,
                            Some(release_type),
                        );
                        imported.push(path);
                        w.add_history(
                            ArrApp::Sonarr,
                            HistoryRecord {
                                id: 0,
                                media_id: sonarr_id,
                                episode_id: Some(episode_id),
                                source_title: d.name.clone(),
                                date: now,
                                download_id: Some(d.upper_hash()),
                                event: HistoryEvent::DownloadFolderImported,
                                data,
                            },
                        );
                    }
                }
            }
            if let Some(d) = w.downloads.get_mut(&key) {
                d.imported_paths = imported.clone();
            }
            Ok(imported)
        })
    }

    /// Radarr deletes a film's file (`movieFileDeleted`, `hasFile` false).
    pub fn delete_movie_file(&self, tmdb_id: u64, reason: &str) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let movie = w
                .movies
                .get_mut(&tmdb_id)
                .ok_or(SimError::UnknownMovie(tmdb_id))?;
            let Some(file) = movie.file.take() else {
                return Ok(());
            };
            let radarr_id = movie.radarr_id;
            let mut data = BTreeMap::new();
            data.insert("reason".into(), reason.to_string());
            data.insert("releaseGroup".into(), file.release_group.clone());
            data.insert("size".into(), file.size.to_string());
            data.insert("indexerFlags".into(), "0".into());
            w.add_history(
                ArrApp::Radarr,
                HistoryRecord {
                    id: 0,
                    media_id: radarr_id,
                    episode_id: None,
                    source_title: file.path.clone(),
                    date: now,
                    download_id: None,
                    event: HistoryEvent::FileDeleted,
                    data,
                },
            );
            Ok(())
        })
    }

    // ----- Shoko -----

    /// Sets what Shoko knows about the imported file whose library path ends
    /// with `path_tail` (a full `/media/...` or `/mnt/anime/...` path works
    /// too). Shoko sees the file under `/mnt/anime/<Title (Year)>/...`.
    pub fn shoko_set(&self, path_tail: &str, state: ShokoState) -> Result<(), SimError> {
        let now = Utc::now();
        let tail = path_tail.replace('\\', "/").to_lowercase();
        let tail = tail
            .strip_prefix(SHOKO_ROOT)
            .map(|t| format!("/{t}"))
            .unwrap_or(tail);
        self.with(|w| {
            let files = w.all_files();
            let Some((owner, file)) = files
                .iter()
                .find(|(_, f)| f.path.to_lowercase().ends_with(&tail))
            else {
                return Err(SimError::UnknownPath(path_tail.to_string()));
            };
            w.shoko_set_file(*owner, file, state, now);
            Ok(())
        })
    }

    /// Sets Shoko's state for every file imported from one download.
    pub fn shoko_set_download(&self, hash: &str, state: ShokoState) -> Result<(), SimError> {
        let now = Utc::now();
        let key = hash.to_lowercase();
        self.with(|w| {
            if !w.downloads.contains_key(&key) {
                return Err(SimError::UnknownDownload(key));
            }
            for (owner, file) in w.imported_files(&key) {
                w.shoko_set_file(owner, &file, state, now);
            }
            Ok(())
        })
    }

    // ----- Jellyfin -----

    /// Jellyfin shows the film as a playable item (its imported file).
    /// Regular films carry `Tmdb`/`Imdb` ProviderIds; anime films (Shokofin)
    /// carry only `AniDB` and the Shoko ids. Seerr's Jellyfin scan then marks
    /// a regular film AVAILABLE and completes its request. Returns the item id.
    pub fn jellyfin_add_movie(&self, tmdb_id: u64) -> Result<String, SimError> {
        let now = Utc::now();
        self.with(|w| {
            w.movie(tmdb_id)?;
            if let Some(existing) = w
                .jellyfin
                .iter()
                .find(|i| i.owner == JfOwner::Movie { tmdb_id })
            {
                return Ok(existing.id.clone());
            }
            w.jellyfin_push_movie(tmdb_id, now)
        })
    }

    /// The film's file is deleted (or moved out of the library) and
    /// Jellyfin's scan drops its item: `GET /Items` no longer lists it, and
    /// `ids=<old id>` returns nothing. Seerr is not told: it keeps saying
    /// AVAILABLE with the old `jellyfinMediaId` until its own availability
    /// sync ([`Self::seerr_availability_sync`]).
    pub fn jellyfin_remove_movie(&self, tmdb_id: u64) -> Result<(), SimError> {
        self.with(|w| {
            w.movie(tmdb_id)?;
            w.jellyfin.retain(|i| i.owner != JfOwner::Movie { tmdb_id });
            Ok(())
        })
    }

    /// Jellyfin derives an item's Id from its path: when the film's file is
    /// replaced by one under another name (an upgrade Radarr imported), the
    /// old item disappears and a new one appears, with a new Id, a new
    /// `DateCreated`, the current file's Path and the same ProviderIds.
    /// Seerr's recently-added scan then points `jellyfinMediaId` at the new
    /// item (the requests' `updatedAt` does not change). Returns the new Id.
    /// Call it after importing the new file; a file replaced under the same
    /// name keeps its Id ([`Self::jellyfin_touch_movie`]).
    pub fn jellyfin_replace_movie(&self, tmdb_id: u64) -> Result<String, SimError> {
        let now = Utc::now();
        self.with(|w| {
            w.movie(tmdb_id)?;
            w.jellyfin.retain(|i| i.owner != JfOwner::Movie { tmdb_id });
            w.jellyfin_push_movie(tmdb_id, now)
        })
    }

    /// Jellyfin refreshes the film's item in place (same path, so same Id and
    /// `DateCreated`): Path, size and ProviderIds are read again from the
    /// current file, as after a file rewritten under the same name or a
    /// metadata refresh. Nothing in the DateCreated feed shows the change.
    pub fn jellyfin_touch_movie(&self, tmdb_id: u64) -> Result<String, SimError> {
        let now = Utc::now();
        self.with(|w| {
            w.movie(tmdb_id)?;
            let Some(pos) = w
                .jellyfin
                .iter()
                .position(|i| i.owner == JfOwner::Movie { tmdb_id })
            else {
                return Err(SimError::NotInJellyfin(tmdb_id));
            };
            let fresh = w.jellyfin_movie_item(tmdb_id, w.jellyfin[pos].id.clone(), now)?;
            let item = &mut w.jellyfin[pos];
            item.provider_ids = fresh.provider_ids;
            item.path = fresh.path;
            item.size = fresh.size;
            Ok(item.id.clone())
        })
    }

    /// Jellyfin shows playable episodes (creating the series item on first
    /// use). Regular series carry `Tvdb`/`Tmdb`; anime only AniDB and Shoko
    /// ids. A virtual placeholder for the same episode is replaced.
    pub fn jellyfin_add_episodes(
        &self,
        tvdb_id: u64,
        episodes: &[(u32, u32)],
    ) -> Result<(), SimError> {
        self.add_jf_episodes(tvdb_id, episodes, false)
    }

    /// Jellyfin shows a metadata-only (virtual) episode: no file, no path,
    /// `LocationType` Virtual. Unaired episodes appear like this.
    pub fn jellyfin_add_virtual_episode(
        &self,
        tvdb_id: u64,
        season: u32,
        episode: u32,
    ) -> Result<(), SimError> {
        self.add_jf_episodes(tvdb_id, &[(season, episode)], true)
    }

    fn add_jf_episodes(
        &self,
        tvdb_id: u64,
        episodes: &[(u32, u32)],
        virtual_item: bool,
    ) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let series = w
                .series
                .get(&tvdb_id)
                .ok_or(SimError::UnknownSeries(tvdb_id))?
                .clone();
            for (season, number) in episodes {
                if series.episode(*season, *number).is_none() {
                    return Err(SimError::UnknownEpisode {
                        tvdb_id,
                        season: *season,
                        episode: *number,
                    });
                }
            }
            let series_item = match w
                .jellyfin
                .iter()
                .find(|i| i.owner == JfOwner::Series { tvdb_id })
            {
                Some(i) => i.id.clone(),
                None => {
                    let id = w.new_jf_id();
                    let mut ids = BTreeMap::new();
                    if series.anime {
                        if let Some(anidb) = series.anidb_id {
                            ids.insert("AniDB".to_string(), anidb.to_string());
                            if let Some(s) = w.shoko_series.get(&anidb) {
                                ids.insert("Shoko Series".to_string(), s.to_string());
                            }
                        }
                    } else {
                        ids.insert("Tvdb".to_string(), tvdb_id.to_string());
                        ids.insert("Tmdb".to_string(), series.tmdb_id.to_string());
                        ids.insert("Imdb".to_string(), series.imdb_id.clone());
                    }
                    let path = if series.anime {
                        format!("{JELLYFIN_VFS}{}", series.folder())
                    } else {
                        series.path()
                    };
                    w.jellyfin.push(JfItem {
                        id: id.clone(),
                        kind: JfKind::Series,
                        owner: JfOwner::Series { tvdb_id },
                        name: series.title.clone(),
                        year: Some(series.year),
                        provider_ids: ids,
                        virtual_item: false,
                        path: Some(path),
                        size: None,
                        series_id: None,
                        series_name: None,
                        season: None,
                        index: None,
                        created: now,
                    });
                    id
                }
            };
            let existing: HashMap<(u32, u32), bool> = w
                .jellyfin
                .iter()
                .filter_map(|i| match i.owner {
                    JfOwner::Episode {
                        tvdb_id: t,
                        season,
                        number,
                    } if t == tvdb_id => Some(((season, number), i.virtual_item)),
                    _ => None,
                })
                .collect();
            for (season, number) in episodes {
                let owner = JfOwner::Episode {
                    tvdb_id,
                    season: *season,
                    number: *number,
                };
                if let Some(was_virtual) = existing.get(&(*season, *number)) {
                    if virtual_item || !was_virtual {
                        continue;
                    }
                    w.jellyfin.retain(|i| i.owner != owner);
                }
                let Some(e) = series.episode(*season, *number) else {
                    continue;
                };
                let mut ids = BTreeMap::new();
                let mut path = None;
                let mut size = None;
                if !virtual_item {
                    let file = e.file.clone();
                    size = Some(file.as_ref().map(|f| f.size).unwrap_or(500_000_000));
                    if series.anime {
                        let fowner = FileOwner::Episode {
                            tvdb_id,
                            season: *season,
                            number: *number,
                        };
                        if let Some(f) = w.shoko_file_of(fowner) {
                            ids.insert("AniDB".to_string(), f.anidb_episode_id.to_string());
                            ids.insert("Shoko File".to_string(), f.id.to_string());
                            if f.shoko_episode_id != 0 {
                                ids.insert(
                                    "Shoko Episode".to_string(),
                                    f.shoko_episode_id.to_string(),
                                );
                            }
                        }
                        if let Some(s) = series.anidb_id.and_then(|a| w.shoko_series.get(&a)) {
                            ids.insert("Shoko Series".to_string(), s.to_string());
                        }
                        path = Some(format!(
                            "{JELLYFIN_VFS}{}",
                            file.as_ref()
                                .map(|f| shoko_relative(&f.path))
                                .unwrap_or_else(|| format!(
                                    "{}/S{season:02}E{number:02}.mkv",
                                    series.folder()
                                ))
                        ));
                    } else {
                        ids.insert("Tvdb".to_string(), e.tvdb_id.to_string());
                        path = Some(file.map(|f| f.path).unwrap_or_else(|| {
                            format!(
                                "{}/Season {season:02}/{} - S{season:02}E{number:02}.mkv",
                                series.path(),
                                series.title
                            )
                        }));
                    }
                } else if !series.anime {
                    ids.insert("Tvdb".to_string(), e.tvdb_id.to_string());
                }
                let id = w.new_jf_id();
                w.jellyfin.push(JfItem {
                    id,
                    kind: JfKind::Episode,
                    owner,
                    name: e.title.clone(),
                    year: e.air_date.map(|d| chrono::Datelike::year(&d)),
                    provider_ids: ids,
                    virtual_item,
                    path,
                    size,
                    series_id: Some(series_item.clone()),
                    series_name: Some(series.title.clone()),
                    season: Some(*season),
                    index: Some(*number),
                    created: now,
                });
            }
            w.seerr_sees_jellyfin_series(tvdb_id, now);
            Ok(())
        })
    }

    /// The newest request for a film (`tv == false`) or series, by TMDB id.
    pub fn newest_request(&self, tmdb_id: u64, tv: bool) -> Option<u64> {
        let media = if tv {
            MediaRef::Tv { tmdb_id }
        } else {
            MediaRef::Movie { tmdb_id }
        };
        self.with(|w| {
            w.requests
                .values()
                .filter(|r| r.media == media)
                .map(|r| r.id)
                .max()
        })
    }

    /// The library paths imported from a download (empty before `import`).
    pub fn imported_paths(&self, hash: &str) -> Vec<String> {
        let key = hash.to_lowercase();
        self.with(|w| {
            w.downloads
                .get(&key)
                .map(|d| d.imported_paths.clone())
                .unwrap_or_default()
        })
    }

    /// The Jellyfin server id (`ServerId`, `/System/Info/Public` `Id`).
    pub fn jellyfin_server_id(&self) -> String {
        self.with(|w| w.server_id.clone())
    }
}

/// Where Shokofin's virtual file system puts anime items in Jellyfin.
pub(crate) const JELLYFIN_VFS: &str = "/config/Shokofin/VFS/anime/";
pub(crate) const INDEXER: &str = "Sim Tracker (Prowlarr)";

fn new_download(hash: &str, name: &str, size: u64, target: Target, now: DateTime<Utc>) -> Download {
    Download {
        hash: hash.to_string(),
        name: name.to_string(),
        size,
        progress: 0.0,
        dlspeed: 0,
        state: "downloading".into(),
        added: now,
        completed: None,
        target,
        arr: ArrState::Tracking,
        in_client: true,
        imported_paths: Vec::new(),
    }
}

fn complete(d: &mut Download, now: DateTime<Utc>) {
    if !d.is_complete() {
        d.progress = 1.0;
        d.completed = Some(now);
    }
    d.completed.get_or_insert(now);
    d.dlspeed = 0;
    if !d.state.ends_with("UP") && d.state != "uploading" {
        d.state = "stalledUP".into();
    }
}

/// A new grab replaces an earlier failed download of the same target: the
/// *arr removes the failed one from the client and the queue.
fn supersede_failed(w: &mut World, target: &Target) {
    for d in w.downloads.values_mut() {
        let overlaps = match (&d.target, target) {
            (Target::Movie { tmdb_id: a }, Target::Movie { tmdb_id: b }) => a == b,
            (
                Target::Episodes {
                    tvdb_id: a,
                    episodes: ea,
                },
                Target::Episodes {
                    tvdb_id: b,
                    episodes: eb,
                },
            ) => a == b && ea.iter().any(|e| eb.contains(e)),
            _ => false,
        };
        if overlaps && matches!(d.arr, ArrState::Failed(_)) {
            d.arr = ArrState::Gone;
            d.in_client = false;
        }
    }
}

fn grab_data(release: &str, size: u64, hash: &str, now: DateTime<Utc>) -> BTreeMap<String, String> {
    let mut data = BTreeMap::new();
    let published = now - chrono::Duration::hours(30);
    data.insert("indexer".into(), INDEXER.into());
    data.insert("releaseGroup".into(), release_group(release));
    data.insert("age".into(), "1".into());
    data.insert("ageHours".into(), "30".into());
    data.insert("ageMinutes".into(), "1800".into());
    data.insert("publishedDate".into(), arr_date(published));
    data.insert("downloadClient".into(), "qBittorrent".into());
    data.insert("downloadClientName".into(), "qBittorrent".into());
    data.insert("size".into(), size.to_string());
    data.insert("guid".into(), format!("sim-{hash}"));
    data.insert("protocol".into(), "2".into());
    data.insert("customFormatScore".into(), "0".into());
    data.insert("releaseSource".into(), "Rss".into());
    data.insert("indexerFlags".into(), "0".into());
    data.insert("indexerId".into(), "1".into());
    data.insert("torrentInfoHash".into(), hash.to_string());
    data
}

fn import_data(
    file_id: u64,
    dropped: &str,
    imported: &str,
    group: &str,
    size: u64,
    release_type: Option<&str>,
) -> BTreeMap<String, String> {
    let mut data = BTreeMap::new();
    data.insert("fileId".into(), file_id.to_string());
    data.insert("droppedPath".into(), dropped.to_string());
    data.insert("importedPath".into(), imported.to_string());
    data.insert("downloadClient".into(), "qBittorrent".into());
    data.insert("downloadClientName".into(), "qBittorrent".into());
    data.insert("releaseGroup".into(), group.to_string());
    data.insert("customFormatScore".into(), "0".into());
    data.insert("size".into(), size.to_string());
    data.insert("indexerFlags".into(), "0".into());
    if let Some(t) = release_type {
        data.insert("releaseType".into(), t.to_string());
    }
    data
}

/// `SingleEpisode`, `MultiEpisode` or `SeasonPack`.
fn release_type(episodes: &[(u32, u32)], series: Option<&Series>) -> &'static str {
    match episodes {
        [_] => "SingleEpisode",
        [(season, _), ..] => {
            let whole = series.is_some_and(|s| {
                s.episodes
                    .iter()
                    .filter(|e| e.season == *season)
                    .all(|e| episodes.contains(&(e.season, e.number)))
            });
            if whole {
                "SeasonPack"
            } else {
                "MultiEpisode"
            }
        }
        [] => "SingleEpisode",
    }
}

/// `(which *arr, movieId/seriesId, episodeId)` for each history record a
/// download's event writes.
fn history_targets(w: &World, target: &Target) -> Vec<(ArrApp, u64, Option<u64>)> {
    match target {
        Target::Movie { tmdb_id } => w
            .movies
            .get(tmdb_id)
            .map(|m| vec![(ArrApp::Radarr, m.radarr_id, None)])
            .unwrap_or_default(),
        Target::Episodes { tvdb_id, episodes } => w
            .series
            .get(tvdb_id)
            .map(|s| {
                episodes
                    .iter()
                    .filter_map(|(season, n)| s.episode(*season, *n))
                    .map(|e| (ArrApp::Sonarr, s.sonarr_id, Some(e.id)))
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ`, as Radarr/Sonarr write dates.
pub(crate) fn arr_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
