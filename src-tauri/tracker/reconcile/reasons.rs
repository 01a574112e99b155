//! Reason texts the engine writes itself (service messages are kept verbatim).

pub const DECLINED: &str = "declined in Jellyseerr";
pub const SEERR_FAILED: &str =
    "Jellyseerr could not hand the request to Radarr/Sonarr (request failed)";
pub const DELETED: &str = "deleted in Jellyseerr";
pub const WAIT_RADARR_IMPORT: &str = "waiting for Radarr to import";
pub const WAIT_SONARR_IMPORT: &str = "waiting for Sonarr to import";
pub const STALLED: &str = "stalled in qBittorrent: no connection to peers";
pub const PAUSED: &str = "paused in qBittorrent";
pub const METADATA: &str = "qBittorrent is fetching the torrent's metadata";
pub const TORRENT_ERROR: &str = "qBittorrent reports an error for this torrent";
pub const MISSING_FILES: &str = "qBittorrent reports the torrent's files missing";
pub const REMOVED_QBIT: &str = "removed from qBittorrent";
pub const HELD: &str = "Radarr/Sonarr holds the release (delay profile or no download client)";
pub const NOT_MONITORED_RADARR: &str = "not monitored in Radarr";
pub const NOT_RELEASED: &str = "not released yet (Radarr waits for its minimum availability)";
pub const NOT_IN_RADARR: &str = "not in Radarr yet";
pub const NOT_IN_SONARR: &str = "not in Sonarr yet";
/// A 4K request, and no Radarr/Sonarr instance of the config takes 4K requests.
pub const NO_4K_RADARR: &str =
    "a 4K request, and no Radarr in the config follows 4K requests (is_4k = true)";
pub const NO_4K_SONARR: &str =
    "a 4K request, and no Sonarr in the config follows 4K requests (is_4k = true)";
pub const SHOKO_NOT_SEEN: &str = "Shoko has not seen the file yet";
pub const SHOKO_UNRECOGNIZED: &str = "Shoko cannot recognise the file (waiting for AniDB)";
pub const SHOKO_LIMBO: &str = "Shoko matched the file and is creating its AniDB metadata";
pub const SHOKO_MATCHED: &str = "matched by Shoko, waiting for Jellyfin";
pub const WAIT_JELLYFIN: &str = "imported, waiting for Jellyfin to show it";
pub const FILE_DELETED: &str = "the file was deleted from the library";
pub const REMOVED_JELLYFIN: &str = "no longer in Jellyfin (its item was removed)";
pub const NOTHING_AIRED: &str = "no episode of the requested seasons has aired yet";
pub const STUCK: &str = "in this phase far longer than usual";
