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

use super::{ActCall, FailureMode, Service};
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

/// Which Radarr or Sonarr of the stack a server or a story step is about:
/// the first one (HD, the only one of a [`super::SimStack::start`] stack)
/// or the second, 4K one ([`super::SimStack::start_4k`]). Each has its own
/// library (its own movie, series, episode and file ids), queue, history,
/// blocklist, API key and failure mode; both share qBittorrent and
/// Jellyfin, as real setups do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum ArrInstance {
    /// The first Radarr/Sonarr (`name = "hd"` in the config's array form).
    #[default]
    Hd,
    /// The second Radarr/Sonarr (`name = "4k"`, `is_4k = true`).
    FourK,
}

impl ArrInstance {
    /// Both instances, in config order.
    pub const ALL: [ArrInstance; 2] = [ArrInstance::Hd, ArrInstance::FourK];

    /// The instance's name in the config's array form: `hd` or `4k`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Hd => "hd",
            Self::FourK => "4k",
        }
    }

    /// Whether Seerr sends 4K requests to it.
    pub fn is_4k(self) -> bool {
        self == Self::FourK
    }

    /// The id Seerr gives this server in its Radarr (or Sonarr) settings:
    /// the first server added gets 0, each next one the last id + 1
    /// (`server/routes/settings/radarr.ts`). A request's `serverId` and a
    /// media's `serviceId`/`serviceId4k` hold it.
    pub fn seerr_server_id(self) -> u64 {
        match self {
            Self::Hd => 0,
            Self::FourK => 1,
        }
    }

    /// The instance Seerr sends a request to (`is4k`).
    pub fn of_request(is_4k: bool) -> Self {
        if is_4k {
            Self::FourK
        } else {
            Self::Hd
        }
    }
}

/// How many failure-mode and counter slots the world keeps: one per
/// service, and one each for the 4K Radarr and Sonarr.
pub(crate) const SLOTS: usize = 8;

/// The slot of a service's instance (the HD instance and the services that
/// have only one share the service's own index).
pub(crate) fn slot(service: Service, instance: ArrInstance) -> usize {
    match (service, instance) {
        (Service::Radarr, ArrInstance::FourK) => 6,
        (Service::Sonarr, ArrInstance::FourK) => 7,
        _ => service.index(),
    }
}

/// A Seerr media row, shared by the film or series it belongs to. Seerr
/// keeps the HD and the 4K state side by side (`status`/`status4k`,
/// `jellyfinMediaId`/`jellyfinMediaId4k`, season `status`/`status4k`).
#[derive(Debug, Clone)]
pub(crate) struct SeerrMedia {
    pub id: u64,
    pub status: u8,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub jellyfin_id: Option<String>,
    /// Per-season media status (tv only), with the season row id.
    pub seasons: BTreeMap<u32, (u64, u8)>,
    /// `status4k`.
    pub status_4k: u8,
    /// `jellyfinMediaId4k`.
    pub jellyfin_id_4k: Option<String>,
    /// Per-season `status4k` (tv only); the row id is the one in `seasons`
    /// when there is one.
    pub seasons_4k: BTreeMap<u32, u8>,
}

impl SeerrMedia {
    /// `status` or `status4k`.
    pub fn status_of(&self, is_4k: bool) -> u8 {
        if is_4k {
            self.status_4k
        } else {
            self.status
        }
    }

    /// The status Seerr keeps for one kind of request.
    pub fn status_mut(&mut self, is_4k: bool) -> &mut u8 {
        if is_4k {
            &mut self.status_4k
        } else {
            &mut self.status
        }
    }
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

/// A film known to Seerr (TMDB) and Radarr. `World::movies` holds Seerr's
/// catalogue with the HD Radarr's copy; `World::movies_4k` the 4K Radarr's
/// own copies (their `seerr` row is a copy Seerr never reads: Seerr reads
/// the catalogue's).
#[derive(Debug, Clone)]
pub(crate) struct Movie {
    /// Whether this instance's Radarr has the film (false for a film of
    /// Seerr's catalogue that only the 4K Radarr has).
    pub in_library: bool,
    /// The instance's root folder (`/media/movies/`, `/media/movies-4k/`).
    pub root: &'static str,
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
        format!("{}{}", self.root, self.folder())
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

/// A series known to Seerr (TMDB), Sonarr (TVDB). As for films,
/// `World::series` holds Seerr's catalogue with the HD Sonarr's copy,
/// `World::series_4k` the 4K Sonarr's copies (own series, episode and file
/// ids).
#[derive(Debug, Clone)]
pub(crate) struct Series {
    /// Whether this instance's Sonarr has the series.
    pub in_library: bool,
    /// The instance's root folder (`/media/tv/`, `/media/tv-4k/`).
    pub root: &'static str,
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
        format!("{}{}", self.root, self.folder())
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
    /// `is4k`: Seerr sends it to a 4K server and follows `status4k`.
    pub is_4k: bool,
    /// `serverId`: the server the requester chose (null: the default one
    /// for its kind).
    pub server_id: Option<u64>,
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
    /// The Radarr or Sonarr that grabbed it (whose queue and history show
    /// it; qBittorrent is shared).
    pub instance: ArrInstance,
    pub arr: ArrState,
    pub in_client: bool,
    /// Library paths imported from this download.
    pub imported_paths: Vec<String>,
    /// Where the demo's autopilot is with a release an *arr search grabbed
    /// (`None` for downloads a story step made; the autopilot leaves those
    /// alone).
    pub autopilot: Option<AutoStage>,
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

/// The demo autopilot's next step for a release an *arr search grabbed
/// ([`SimWorld::autopilot_tick`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AutoStage {
    /// qBittorrent downloads it (unless it stalls).
    Download,
    /// The *arr imports it.
    Import,
    /// Shoko matches the imported anime files.
    Shoko,
    /// Jellyfin shows the title.
    Jellyfin,
    /// Nothing left to do.
    Done,
}

/// A release an *arr refuses to grab again (Radarr/Sonarr `Blocklist`).
#[derive(Debug, Clone)]
pub(crate) struct BlocklistEntry {
    pub id: u64,
    pub app: ArrApp,
    pub instance: ArrInstance,
    /// `movieId` (Radarr) or `seriesId` (Sonarr).
    pub media_id: u64,
    pub episode_ids: Vec<u64>,
    pub source_title: String,
    pub date: DateTime<Utc>,
    pub message: String,
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

/// One more version of a film merged into a Jellyfin item (a file in the
/// same folder named `<folder> - <label>`): it keeps its own item Id, which
/// is its media source's `Id`.
#[derive(Debug, Clone)]
pub(crate) struct JfVersion {
    pub id: String,
    pub path: String,
    pub size: u64,
}

/// A Jellyfin library item.
#[derive(Debug, Clone)]
pub(crate) struct JfItem {
    pub id: String,
    /// The library (root folder) it is in: the HD one, or the 4K one
    /// (`/data/movies-4k/`, `/data/tv-4k/`).
    pub library: ArrInstance,
    /// Other versions merged into this item; its own file (`path`) is the
    /// primary version.
    pub versions: Vec<JfVersion>,
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
/// The 4K Radarr's and Sonarr's roots.
pub(crate) const MOVIES_4K_ROOT: &str = "/media/movies-4k/";
pub(crate) const TV_4K_ROOT: &str = "/media/tv-4k/";
/// Where Jellyfin mounts the 4K libraries: another prefix than the *arrs'
/// (`/data/...` against `/media/...`), the same file names.
pub(crate) const JELLYFIN_MOVIES_4K: &str = "/data/movies-4k/";
pub(crate) const JELLYFIN_TV_4K: &str = "/data/tv-4k/";
pub(crate) const DOWNLOADS: &str = "/downloads/complete";

/// The whole simulated state.
#[derive(Debug)]
pub(crate) struct World {
    pub rng: fastrand::Rng,
    pub server_id: String,
    pub users: BTreeMap<u64, User>,
    pub movies: BTreeMap<u64, Movie>,
    pub series: BTreeMap<u64, Series>,
    /// The 4K Radarr's films, by TMDB id.
    pub movies_4k: BTreeMap<u64, Movie>,
    /// The 4K Sonarr's series, by TVDB id.
    pub series_4k: BTreeMap<u64, Series>,
    /// TMDB id → TVDB id of every series (Seerr keys tv by TMDB).
    series_tmdb: HashMap<u64, u64>,
    pub requests: BTreeMap<u64, Request>,
    pub downloads: BTreeMap<String, Download>,
    pub radarr_history: Vec<HistoryRecord>,
    pub sonarr_history: Vec<HistoryRecord>,
    pub radarr_history_4k: Vec<HistoryRecord>,
    pub sonarr_history_4k: Vec<HistoryRecord>,
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
    /// Releases the *arrs refuse to grab again, oldest first.
    pub blocklist: Vec<BlocklistEntry>,
    /// Whether an *arr search finds a release to grab
    /// ([`SimWorld::set_search_grabs`]).
    pub search_grabs: bool,
    /// The last command id Radarr, Sonarr, the 4K Radarr and the 4K Sonarr
    /// handed out.
    pub command_ids: [u64; 4],
    next_id: u64,
}

mod autopilot;
mod downloads;
mod instances;
mod library;
mod media_servers;
mod rules;
mod search;

pub(crate) use self::downloads::{INDEXER, JELLYFIN_VFS};
pub(crate) use self::instances::{file_name, video_width};
pub(crate) use self::search::{QueueRemoval, ReleaseSource};

/// The path Shoko sees below its import folder: the library path without
/// the *arr root (`<Title (Year)>/...`).
pub(crate) fn shoko_relative(library_path: &str) -> String {
    library_path
        .strip_prefix(MOVIES_ROOT)
        .or_else(|| library_path.strip_prefix(TV_ROOT))
        .or_else(|| library_path.strip_prefix(MOVIES_4K_ROOT))
        .or_else(|| library_path.strip_prefix(TV_4K_ROOT))
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

pub(crate) struct Inner {
    world: Mutex<World>,
    modes: Vec<watch::Sender<FailureMode>>,
    served: Vec<AtomicU64>,
    acts: Mutex<Vec<ActCall>>,
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
        let modes = (0..SLOTS)
            .map(|_| watch::channel(FailureMode::Up).0)
            .collect();
        let served = (0..SLOTS).map(|_| AtomicU64::new(0)).collect();
        Self {
            inner: Arc::new(Inner {
                world: Mutex::new(World::new(seed)),
                modes,
                served,
                acts: Mutex::new(Vec::new()),
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

    /// Switches how a service answers from now on (for Radarr and Sonarr:
    /// the HD instance; [`Self::set_instance_mode`] for the 4K one).
    pub fn set_mode(&self, service: Service, mode: FailureMode) {
        self.set_instance_mode(service, ArrInstance::Hd, mode);
    }

    /// Switches how one instance of a service answers from now on: an
    /// outage of the 4K Radarr leaves the HD one up. For the services
    /// that have one instance, `instance` is ignored.
    pub fn set_instance_mode(&self, service: Service, instance: ArrInstance, mode: FailureMode) {
        if let Some(tx) = self.inner.modes.get(slot(service, instance)) {
            tx.send_replace(mode);
        }
    }

    /// How a service answers now (Radarr, Sonarr: the HD instance).
    pub fn mode(&self, service: Service) -> FailureMode {
        self.instance_mode(service, ArrInstance::Hd)
    }

    /// How one instance of a service answers now.
    pub fn instance_mode(&self, service: Service, instance: ArrInstance) -> FailureMode {
        self.inner
            .modes
            .get(slot(service, instance))
            .map(|tx| *tx.borrow())
            .unwrap_or(FailureMode::Up)
    }

    pub(crate) fn mode_receiver(
        &self,
        service: Service,
        instance: ArrInstance,
    ) -> Option<watch::Receiver<FailureMode>> {
        self.inner
            .modes
            .get(slot(service, instance))
            .map(|tx| tx.subscribe())
    }

    /// How many HTTP requests a service has received (failure-mode answers
    /// included, refused connections not); Radarr, Sonarr: the HD instance.
    pub fn requests_served(&self, service: Service) -> u64 {
        self.requests_served_in(service, ArrInstance::Hd)
    }

    /// How many HTTP requests one instance of a service has received.
    pub fn requests_served_in(&self, service: Service, instance: ArrInstance) -> u64 {
        self.inner
            .served
            .get(slot(service, instance))
            .map(|c| c.load(Ordering::Relaxed))
            .unwrap_or(0)
    }

    pub(crate) fn count_request(&self, service: Service, instance: ArrInstance) {
        if let Some(c) = self.inner.served.get(slot(service, instance)) {
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

    // ----- the acting log -----

    /// Every request other than a GET that Jellyseerr, Radarr or Sonarr
    /// received, oldest first, with the status it was answered (failure-mode
    /// answers included, refused connections not). What the simulated
    /// services do among themselves (Seerr handing a request to Radarr, an
    /// *arr searching again after a blocklist) is not HTTP and is not listed.
    pub fn acts(&self) -> Vec<ActCall> {
        self.acts_lock().clone()
    }

    /// Forgets the acting log.
    pub fn clear_acts(&self) {
        self.acts_lock().clear();
    }

    pub(crate) fn record_act(&self, call: ActCall) {
        self.acts_lock().push(call);
    }

    fn acts_lock(&self) -> MutexGuard<'_, Vec<ActCall>> {
        self.inner
            .acts
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A handle that does not keep the world alive (the autopilot's).
    pub(crate) fn downgrade(&self) -> std::sync::Weak<Inner> {
        Arc::downgrade(&self.inner)
    }

    pub(crate) fn upgrade(weak: &std::sync::Weak<Inner>) -> Option<SimWorld> {
        weak.upgrade().map(|inner| SimWorld { inner })
    }
}

/// `yyyy-MM-ddTHH:mm:ssZ`, as Radarr/Sonarr write dates.
pub(crate) fn arr_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}
