//! The tracker's vocabulary: phases, what the services said this cycle (the
//! [`Snapshot`]), and what the tracker remembers (the [`RequestRecord`]s).
//!
//! These types are the contract between the service clients (which fill a
//! snapshot), the reconcile engine (which turns previous records plus a
//! snapshot into new records and events) and the store (which persists
//! records). Nothing here performs I/O.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a request stands. The order of the variants is the pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Phase {
    Requested,
    Approved,
    Grabbing,
    Downloading,
    DownloadDone,
    Importing,
    AnimeMatching,
    Available,
    Failed,
}

impl Phase {
    pub const ALL: [Phase; 9] = [
        Phase::Requested,
        Phase::Approved,
        Phase::Grabbing,
        Phase::Downloading,
        Phase::DownloadDone,
        Phase::Importing,
        Phase::AnimeMatching,
        Phase::Available,
        Phase::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Requested => "REQUESTED",
            Phase::Approved => "APPROVED",
            Phase::Grabbing => "GRABBING",
            Phase::Downloading => "DOWNLOADING",
            Phase::DownloadDone => "DOWNLOAD_DONE",
            Phase::Importing => "IMPORTING",
            Phase::AnimeMatching => "ANIME_MATCHING",
            Phase::Available => "AVAILABLE",
            Phase::Failed => "FAILED",
        }
    }

    /// Position in the pipeline, for "never move backwards" checks.
    /// FAILED has no position: it is a side state, left by new evidence.
    pub fn rank(self) -> Option<u8> {
        match self {
            Phase::Requested => Some(0),
            Phase::Approved => Some(1),
            Phase::Grabbing => Some(2),
            Phase::Downloading => Some(3),
            Phase::DownloadDone => Some(4),
            Phase::Importing => Some(5),
            Phase::AnimeMatching => Some(6),
            Phase::Available => Some(7),
            Phase::Failed => None,
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown phase {0:?}: expected one of REQUESTED, APPROVED, GRABBING, DOWNLOADING, DOWNLOAD_DONE, IMPORTING, ANIME_MATCHING, AVAILABLE, FAILED")]
pub struct UnknownPhase(pub String);

impl FromStr for Phase {
    type Err = UnknownPhase;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let up = s.trim().to_ascii_uppercase().replace('-', "_");
        Phase::ALL
            .into_iter()
            .find(|p| p.as_str() == up)
            .ok_or_else(|| UnknownPhase(s.to_string()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaType {
    Movie,
    Tv,
}

impl MediaType {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Movie => "movie",
            MediaType::Tv => "tv",
        }
    }
}

// ---------------------------------------------------------------------------
// The snapshot: what each service said in one poll cycle.
// ---------------------------------------------------------------------------

/// One service's contribution to a cycle. `Failed` and `NotConfigured` carry
/// no evidence at all: the tracker must not change anything because of them.
#[derive(Debug, Clone, Default)]
pub enum Source<T> {
    #[default]
    NotConfigured,
    Failed,
    Ok(T),
}

impl<T> Source<T> {
    pub fn ok(&self) -> Option<&T> {
        match self {
            Source::Ok(t) => Some(t),
            _ => None,
        }
    }
    pub fn is_configured(&self) -> bool {
        !matches!(self, Source::NotConfigured)
    }
    /// The same answer with its data mapped.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Source<U> {
        match self {
            Source::Ok(t) => Source::Ok(f(t)),
            Source::Failed => Source::Failed,
            Source::NotConfigured => Source::NotConfigured,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub jellyseerr: Source<SeerrData>,
    /// Every Radarr instance, in config order (one in the single form).
    pub radarr: Vec<ArrInstance<RadarrData>>,
    /// Every Sonarr instance, in config order.
    pub sonarr: Vec<ArrInstance<SonarrData>>,
    pub qbittorrent: Source<QbitData>,
    pub shoko: Source<ShokoData>,
    /// Shared, so that an index of it can be kept while it is the same data
    /// ([`super::reconcile::Reconciler`]).
    pub jellyfin: Source<Arc<JellyfinData>>,
}

/// One Radarr or Sonarr instance's word in a snapshot.
#[derive(Debug, Clone)]
pub struct ArrInstance<D> {
    /// "radarr", or "radarr.4k" for an instance of the array form.
    pub name: String,
    /// It follows Jellyseerr's 4K requests.
    pub is_4k: bool,
    /// "host:port" of its URL: Jellyseerr's `serviceUrl` names the instance
    /// it sent a request to this way.
    pub authority: String,
    pub data: Source<D>,
}

impl<D> ArrInstance<D> {
    /// The one instance of the single-table form.
    pub fn single(name: &str, data: Source<D>) -> Self {
        Self {
            name: name.to_string(),
            is_4k: false,
            authority: String::new(),
            data,
        }
    }
}

/// Jellyseerr `MediaRequestStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeerrRequestStatus {
    Pending,
    Approved,
    Declined,
    Failed,
    Completed,
    Unknown(i64),
}

impl SeerrRequestStatus {
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Pending,
            2 => Self::Approved,
            3 => Self::Declined,
            4 => Self::Failed,
            5 => Self::Completed,
            other => Self::Unknown(other),
        }
    }
}

/// Jellyseerr `MediaStatus` (6 is BLACKLISTED/BLOCKLISTED, 7 DELETED).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeerrMediaStatus {
    Unknown,
    Pending,
    Processing,
    PartiallyAvailable,
    Available,
    Blocklisted,
    Deleted,
    Other(i64),
}

impl SeerrMediaStatus {
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Unknown,
            2 => Self::Pending,
            3 => Self::Processing,
            4 => Self::PartiallyAvailable,
            5 => Self::Available,
            6 => Self::Blocklisted,
            7 => Self::Deleted,
            other => Self::Other(other),
        }
    }
}

/// One Jellyseerr request, joined with the title data of its movie/tv page.
#[derive(Debug, Clone, PartialEq)]
pub struct SeerrRequest {
    pub id: i64,
    pub status: SeerrRequestStatus,
    pub media_type: MediaType,
    pub tmdb_id: Option<i64>,
    pub tvdb_id: Option<i64>,
    /// `media.status`, or `media.status4k` when the request is 4K.
    pub media_status: SeerrMediaStatus,
    pub jellyfin_media_id: Option<String>,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Requested season numbers (series only).
    pub seasons: Vec<i32>,
    pub is_4k: bool,
    /// `media.serviceUrl` (`serviceUrl4k` for a 4K request): the *arr
    /// instance Jellyseerr sent it to, by its URL.
    pub service_url: Option<String>,
    pub title: Option<String>,
    pub year: Option<i32>,
    pub poster_path: Option<String>,
    /// TMDB keyword 210024 on the movie/tv page.
    pub is_anime: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SeerrData {
    pub requests: Vec<SeerrRequest>,
    /// True when `requests` is the complete list (a full sweep): a request
    /// missing from a complete list was deleted upstream. False when it only
    /// holds the recently modified ones.
    pub complete: bool,
}

/// One record of a Radarr/Sonarr queue (Sonarr: one per episode).
#[derive(Debug, Clone, PartialEq)]
pub struct ArrQueueItem {
    /// Upper-case hex for torrents as the *arr stores it; absent on pending releases.
    pub download_id: Option<String>,
    /// Radarr `movieId` or Sonarr `seriesId`.
    pub media_id: Option<i64>,
    /// Sonarr only.
    pub episode_id: Option<i64>,
    /// Release name.
    pub title: String,
    pub size: f64,
    pub sizeleft: f64,
    pub timeleft_secs: Option<i64>,
    /// `status` (queued, paused, downloading, completed, failed, warning, delay, ...).
    pub status: String,
    /// `trackedDownloadStatus`: ok, warning, error.
    pub tracked_status: Option<String>,
    /// `trackedDownloadState`: downloading, importBlocked, importPending, importing, imported,
    /// failedPending, failed, ignored.
    pub tracked_state: Option<String>,
    /// Every `statusMessages[].messages[]` (and titles without messages), verbatim.
    pub messages: Vec<String>,
    pub error_message: Option<String>,
    /// torrent, usenet, unknown.
    pub protocol: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryKind {
    Grabbed,
    Imported,
    DownloadFailed,
    Ignored,
    FileDeleted,
    Other,
}

/// One *arr history record.
#[derive(Debug, Clone, PartialEq)]
pub struct ArrHistoryEvent {
    pub id: i64,
    pub kind: HistoryKind,
    pub date: DateTime<Utc>,
    pub download_id: Option<String>,
    /// Radarr `movieId` or Sonarr `seriesId`.
    pub media_id: i64,
    pub episode_id: Option<i64>,
    pub source_title: String,
    /// `data.message` of failed/ignored events.
    pub message: Option<String>,
    /// `data.importedPath` of import events.
    pub imported_path: Option<String>,
    pub size: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RadarrMovie {
    pub id: i64,
    pub tmdb_id: i64,
    pub title: String,
    pub has_file: bool,
    pub monitored: bool,
    pub is_available: bool,
    /// tba, announced, inCinemas, released, deleted.
    pub status: Option<String>,
    /// Tagged with a tag named "anime".
    pub is_anime: bool,
    /// Full path of the movie file when it has one.
    pub file_path: Option<String>,
    /// When it was added to Radarr (`added`): a search runs from then.
    #[serde(default)]
    pub added: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct RadarrData {
    pub queue: Vec<ArrQueueItem>,
    /// History records new since the previous cycle (may overlap; de-duplicate by id).
    pub history: Vec<ArrHistoryEvent>,
    /// The movies the tracker asked for (see [`Wants`]) that Radarr knows.
    pub movies: Vec<RadarrMovie>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SonarrEpisode {
    pub id: i64,
    pub season: i32,
    pub number: i32,
    pub title: Option<String>,
    pub air_date_utc: Option<DateTime<Utc>>,
    pub monitored: bool,
    pub has_file: bool,
    pub file_path: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SonarrSeries {
    pub id: i64,
    pub tvdb_id: i64,
    pub title: String,
    /// `seriesType == "anime"`.
    pub is_anime: bool,
    /// When it was added to Sonarr (`added`): searches run from then.
    pub added: Option<DateTime<Utc>>,
    /// Shared with the Sonarr client's cache (read once per series, held
    /// once).
    pub episodes: Arc<Vec<SonarrEpisode>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SonarrData {
    pub queue: Vec<ArrQueueItem>,
    pub history: Vec<ArrHistoryEvent>,
    pub series: Vec<SonarrSeries>,
}

/// qBittorrent torrent states, 4.x and 5.x spellings folded together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TorrentState {
    /// downloading, forcedDL
    Downloading,
    /// stalledDL
    Stalled,
    /// pausedDL (4.x) / stoppedDL (5.x)
    StoppedDownload,
    /// queuedDL, checkingDL, checkingResumeData, allocating, queuedForChecking
    Queued,
    /// metaDL, forcedMetaDL
    FetchingMetadata,
    /// moving
    Moving,
    /// uploading, stalledUP, queuedUP, forcedUP, pausedUP/stoppedUP, checkingUP
    Completed,
    Error,
    MissingFiles,
    /// A state this version has never seen (treated as downloading, as Radarr does).
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Torrent {
    /// Lower-case hex torrent id.
    pub hash: String,
    pub infohash_v1: Option<String>,
    pub infohash_v2: Option<String>,
    pub name: String,
    /// 0..=1 (clamped).
    pub progress: f64,
    pub state: TorrentState,
    /// Bytes per second.
    pub dlspeed: i64,
    /// Seconds; None when unknown (8640000, negative or absurd).
    pub eta_secs: Option<i64>,
    /// Bytes of the selected files.
    pub size: i64,
    pub amount_left: i64,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct QbitData {
    /// Every torrent qBittorrent has, keyed by lower-case hash (a complete
    /// listing). Shared with the qBittorrent client's cache, which copies it
    /// only when a delta changes it while a cycle still holds it.
    pub torrents: Arc<HashMap<String, Torrent>>,
}

/// Shoko's view of one imported file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShokoMatch {
    /// Not hashed yet, or outside every import folder.
    NotSeen,
    /// Hashed, no AniDB match.
    Unrecognized,
    /// AniDB match known, local metadata not created yet.
    ImportLimbo,
    /// Matched; the AniDB anime ids of its cross-references, and Shoko's
    /// id of the file (what Shokofin's items carry as `Shoko File`).
    Matched {
        anidb_ids: Vec<i64>,
        #[serde(default)]
        file_id: Option<i64>,
    },
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ShokoData {
    /// Keyed by the imported path exactly as the *arr reported it (see [`Wants::shoko_paths`]).
    pub files: HashMap<String, ShokoMatch>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JellyfinKind {
    Movie,
    Series,
    Episode,
    Other,
}

/// `Eq`, so that comparing two `Arc`s of the same item (the client hands the
/// same ones over cycle after cycle) is a pointer comparison.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JellyfinItem {
    /// 32-hex item id.
    pub id: String,
    pub kind: JellyfinKind,
    pub name: String,
    /// ProviderIds (keys compared case-insensitively when built).
    pub tmdb_id: Option<i64>,
    pub tvdb_id: Option<i64>,
    pub anidb_id: Option<i64>,
    /// A real file: LocationType FileSystem with a path or media source. Virtual,
    /// missing or metadata-only items are false.
    pub playable: bool,
    /// Episodes: the series item id, season and episode numbers (and the last
    /// number when one file covers several episodes).
    pub series_id: Option<String>,
    pub season: Option<i32>,
    pub episode: Option<i32>,
    pub episode_end: Option<i32>,
    /// `DateCreated`: when Jellyfin added the item (a replaced file is a new
    /// item, with a new id and a new date).
    #[serde(default)]
    pub date_created: Option<DateTime<Utc>>,
    /// The file names of its path and media sources (several when versions
    /// are merged in one item): how a 4K copy is told from an HD one.
    #[serde(default)]
    pub files: Vec<String>,
    /// Shokofin's `Shoko File` provider ids: the Shoko files it plays
    /// (Shokofin names its files itself, so they stand in for the names).
    #[serde(default)]
    pub shoko_file_ids: Vec<i64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct JellyfinData {
    /// The movies and series of the library index (kept up to date incrementally by
    /// the client), plus the episodes of the series the tracker asked for.
    /// Shared with the client's caches: an item is held once.
    pub items: Vec<Arc<JellyfinItem>>,
    /// `Id` from `/System/Info/Public`, for deep links.
    pub server_id: Option<String>,
}

/// What the tracker wants fetched beyond the always-polled feeds. Derived from
/// the records by [`crate::tracker::wants`]; the clients cache per-item data and
/// only refresh an item when its change feed says it changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Wants {
    /// TMDB ids of open film requests (Radarr movie data).
    pub movie_tmdb_ids: Vec<i64>,
    /// TVDB ids of open series requests (Sonarr series and episodes).
    pub series_tvdb_ids: Vec<i64>,
    /// Imported paths of anime files waiting for Shoko.
    pub shoko_paths: Vec<String>,
    /// Jellyfin series ids whose episodes the tracker needs.
    pub jellyfin_series_ids: Vec<String>,
    /// Jellyfin item ids open film requests hold (Jellyseerr's
    /// `jellyfinMediaId` or an earlier match): confirmed before use.
    pub jellyfin_item_ids: Vec<String>,
    /// AniDB ids of anime series the tracker follows (Shokofin items carry no
    /// TVDB id): their Jellyfin episodes are needed too.
    pub anidb_ids: Vec<i64>,
    /// Is any request in a phase where qBittorrent matters (downloading)?
    pub downloading: bool,
}

// ---------------------------------------------------------------------------
// Records: what the tracker remembers.
// ---------------------------------------------------------------------------

/// One episode of a series request (Sonarr numbering).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeRecord {
    /// Sonarr episode id.
    pub arr_episode_id: i64,
    pub season: i32,
    pub number: i32,
    pub title: Option<String>,
    pub air_date: Option<DateTime<Utc>>,
    pub monitored: bool,
    pub phase: Phase,
    pub download_id: Option<String>,
    pub imported_path: Option<String>,
    pub reason: Option<String>,
    /// Bytes fraction of its download (a season pack counts once).
    pub progress: Option<f64>,
}

/// One Jellyseerr request as the tracker follows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRecord {
    /// Stable local id.
    pub id: i64,
    pub jellyseerr_request_id: i64,
    pub media_type: MediaType,
    pub title: String,
    pub year: Option<i32>,
    pub poster_path: Option<String>,
    pub tmdb_id: Option<i64>,
    pub tvdb_id: Option<i64>,
    pub is_anime: bool,
    pub is_4k: bool,
    pub requested_by: String,
    pub requested_at: DateTime<Utc>,
    /// Requested seasons (series).
    pub seasons: Vec<i32>,
    pub phase: Phase,
    /// Why it waits or failed, verbatim from the service when it said so.
    pub reason: Option<String>,
    /// Needs a person (FAILED, a warning reason, something removed upstream).
    pub attention: bool,
    /// The user acknowledged the current attention state.
    pub acknowledged: bool,
    /// 0..=1 fraction of bytes, while downloading.
    pub progress: Option<f64>,
    pub eta_secs: Option<i64>,
    pub download_speed: Option<i64>,
    /// Last change of phase or reason.
    pub updated_at: DateTime<Utc>,
    /// When the current phase began.
    pub phase_since: DateTime<Utc>,
    /// Deleted in Jellyseerr: kept as history, left out of active views.
    pub deleted: bool,
    /// Radarr movie id / Sonarr series id.
    pub arr_id: Option<i64>,
    /// Films: download ids (upper-case) grabbed for this request, newest last.
    pub download_ids: Vec<String>,
    /// Films: the download id whose failure made the request FAILED; evidence
    /// from that download never moves the request on again.
    #[serde(default)]
    pub failed_download_id: Option<String>,
    /// Films: imported file path.
    pub imported_path: Option<String>,
    /// AniDB anime ids Shoko matched the files to (how Shokofin items are found).
    #[serde(default)]
    pub anidb_ids: Vec<i64>,
    pub jellyfin_id: Option<String>,
    /// The Radarr/Sonarr instance that follows it ("radarr", "radarr.4k"),
    /// once one has the film or series.
    #[serde(default)]
    pub instance: Option<String>,
    /// Jellyseerr's last words on the request, kept to detect changes.
    pub seerr_status: Option<SeerrRequestStatus>,
    pub seerr_media_status: Option<SeerrMediaStatus>,
    pub seerr_updated_at: Option<DateTime<Utc>>,
    /// Series: one entry per episode of the requested seasons.
    pub episodes: Vec<EpisodeRecord>,
    /// A situation that becomes stuck once it has lasted too long (not in
    /// the *arr, no release, stalled, not imported), with its clock.
    #[serde(default)]
    pub watch: Option<Watch>,
}

/// A situation that needs attention only once it has lasted past its
/// threshold ([`crate::tracker::reconcile::AttentionRules`]): a torrent is
/// often `stalledDL` for a few seconds after it is added.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StuckKind {
    /// APPROVED, and no Radarr/Sonarr that would follow it has it.
    NotInArr,
    /// APPROVED, in the *arr, monitored and released, and nothing grabbed.
    NoRelease,
    /// DOWNLOADING, the torrent stalled in qBittorrent (`stalledDL`, or
    /// no progress at 0 B/s).
    Stalled,
    /// DOWNLOAD_DONE, and the *arr has not imported it.
    NotImported,
}

/// The clock of a [`StuckKind`] situation, kept with the record (and so
/// across restarts).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Watch {
    pub kind: StuckKind,
    /// When it began, moved later by every stretch the app could not watch
    /// it (a suspend or a clock set forward, an outage of a service it
    /// depends on): `now - since` is how long it has been seen to last.
    pub since: DateTime<Utc>,
    /// It passed its threshold: attention was set and the notification
    /// raised, once.
    pub stuck: bool,
    /// Stalled: the download's progress when the clock (re)started; any
    /// progress since starts it again (a torrent at 0 B/s is stalled only
    /// while nothing moves).
    #[serde(default)]
    pub progress: Option<f64>,
}

/// Episode counts for a series request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct EpisodeCounts {
    /// Every episode of the requested seasons, aired or not.
    pub total: u32,
    pub aired: u32,
    pub grabbed: u32,
    pub downloaded: u32,
    pub imported: u32,
    pub available: u32,
}

/// What happened in a cycle, for the timeline, the UI and notifications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    /// A request changed phase (`from` is None for a request seen the first time).
    PhaseChanged {
        request_id: i64,
        at: DateTime<Utc>,
        from: Option<Phase>,
        to: Phase,
        evidence: String,
    },
    /// A request kept its phase but its reason changed (stuck, removed upstream, ...).
    ReasonChanged {
        request_id: i64,
        at: DateTime<Utc>,
        phase: Phase,
        reason: Option<String>,
    },
    /// An episode of a series became watchable (also after the series is AVAILABLE).
    EpisodeAvailable {
        request_id: i64,
        at: DateTime<Utc>,
        season: i32,
        number: i32,
    },
}

impl Change {
    pub fn request_id(&self) -> i64 {
        match self {
            Change::PhaseChanged { request_id, .. }
            | Change::ReasonChanged { request_id, .. }
            | Change::EpisodeAvailable { request_id, .. } => *request_id,
        }
    }
}

/// The result of one reconcile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Reconciled {
    /// Only the records that changed in any field (new ones included).
    pub changed: Vec<RequestRecord>,
    /// The phase changes and other events, in order.
    pub changes: Vec<Change>,
}

/// Previous records keyed by local id.
pub type Records = BTreeMap<i64, RequestRecord>;
