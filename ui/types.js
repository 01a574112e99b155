// @ts-check
// The shapes the windows receive from the app, as JSDoc types. The Rust side
// is src-tauri/contract.rs (MainWindowState, RequestJson) and the IPC commands
// in src-tauri/app/commands.rs; `tools/test.sh` type-checks the pages against
// these with TypeScript (`tsc -p ui`), and the contract's unit test checks
// that the fields named here are the ones the app sends. Nothing here runs.
'use strict';

/** @typedef {'REQUESTED'|'APPROVED'|'GRABBING'|'DOWNLOADING'|'DOWNLOAD_DONE'|'IMPORTING'|'ANIME_MATCHING'|'AVAILABLE'|'FAILED'} Phase */

/**
 * Series: how many episodes of the requested seasons got how far.
 * @typedef {Object} EpisodeCounts
 * @property {number} total
 * @property {number} aired
 * @property {number} grabbed
 * @property {number} downloaded
 * @property {number} imported
 * @property {number} available
 */

/**
 * One request (contract.rs RequestJson).
 * @typedef {Object} RequestJson
 * @property {number} id
 * @property {number} jellyseerr_request_id
 * @property {'movie'|'tv'} media_type
 * @property {string} title
 * @property {number|null} year
 * @property {number|null} tmdb_id
 * @property {number|null} tvdb_id
 * @property {boolean} is_anime
 * @property {boolean} is_4k
 * @property {number|null} eta_available_secs
 * @property {string|null} instance
 * @property {Phase} phase
 * @property {number|null} progress
 * @property {number|null} eta_secs
 * @property {number|null} download_speed
 * @property {string|null} reason
 * @property {boolean} attention
 * @property {boolean} acknowledged
 * @property {string} requested_by
 * @property {string} requested_at
 * @property {string|null} poster_path
 * @property {boolean} deleted
 * @property {EpisodeCounts|null} episodes
 * @property {string} updated_at
 * @property {Action[]} actions
 */

/** @typedef {'approve'|'decline'|'search'|'blocklist'} Action */

/**
 * What an action came to: the `act` command's result and the
 * `action-done` event (contract.rs ActionJson).
 * @typedef {Object} ActionJson
 * @property {Action} action
 * @property {number} jellyseerr_request_id
 * @property {boolean} ok
 * @property {boolean} sent
 * @property {string|null} service
 * @property {string} message
 */

/**
 * One service's last known state (store.rs ServiceStatus).
 * @typedef {Object} ServiceStatus
 * @property {string} name
 * @property {boolean} ok
 * @property {string|null} error
 * @property {string|null} error_kind
 * @property {string|null} error_since
 * @property {string|null} last_success
 * @property {string|null} version
 */

/**
 * @typedef {Object} FirstContact
 * @property {number} read
 * @property {number} listed
 * @property {string|null} text
 */

/**
 * The main window's whole state: `list_requests` and the `requests-changed`
 * event (contract.rs MainWindowState).
 * @typedef {Object} MainWindowState
 * @property {RequestJson[]} requests
 * @property {ServiceStatus[]} services
 * @property {boolean} paused
 * @property {boolean} demo
 * @property {Object<string, number>} counts
 * @property {number} attention
 * @property {string} updated_at
 * @property {number[]} changed_ids
 * @property {FirstContact|null} first_contact
 * @property {string|null} notice
 */

/**
 * One service in the Settings window (`get_settings`).
 * @typedef {Object} ServiceSettings
 * @property {string} name "radarr", or "radarr.4k" for an instance
 * @property {string} kind "radarr" for "radarr.4k"
 * @property {string|null} instance the array form's name ("4k")
 * @property {boolean} is_4k follows Jellyseerr's 4K requests
 * @property {boolean} has_instances Radarr and Sonarr may have several
 * @property {string} label "Radarr", or "Radarr 4k"
 * @property {'api key'|'password'} secret_kind
 * @property {boolean} needs_username
 * @property {number} default_port
 * @property {boolean} enabled
 * @property {string} url
 * @property {string|null} username
 * @property {number} timeout_secs
 * @property {boolean} secret_set
 */

/**
 * One line of a request's timeline (store.rs TimelineEntry).
 * @typedef {Object} TimelineEntry
 * @property {string} at
 * @property {'phase_change'|'reason'|'episode_available'|'action'|string} kind
 * @property {Phase|null} from
 * @property {Phase|null} to
 * @property {string} evidence
 */

/**
 * @typedef {Object} EpisodeJson
 * @property {number} season
 * @property {number} number
 * @property {string|null} title
 * @property {string|null} air_date
 * @property {Phase} phase
 * @property {string|null} reason
 * @property {number|null} progress
 */

/**
 * @typedef {Object} LinksJson
 * @property {boolean} jellyfin
 * @property {boolean} jellyseerr
 * @property {boolean} arr
 */

/**
 * The detail window's state: `request_detail` (contract.rs DetailState).
 * @typedef {Object} DetailState
 * @property {RequestJson} request
 * @property {TimelineEntry[]} timeline
 * @property {EpisodeJson[]} episodes
 * @property {LinksJson} links
 * @property {string|null} evidence
 */

/**
 * Nearest-rank percentiles in whole seconds; null without data
 * (contract.rs PercentilesJson).
 * @typedef {Object} PercentilesJson
 * @property {number|null} p50_secs
 * @property {number|null} p90_secs
 */

/**
 * One phase's left stints (contract.rs PhaseStatsJson).
 * @typedef {Object} PhaseStatsJson
 * @property {number} count
 * @property {number|null} p50_secs
 * @property {number|null} p90_secs
 */

/**
 * The figures of one group of requests, as `status-tracker stats --json`
 * prints them (contract.rs StatsGroupJson).
 * @typedef {Object} StatsGroupJson
 * @property {number} finished
 * @property {PercentilesJson} request_to_available
 * @property {Object<string, PhaseStatsJson>} phases
 */

/**
 * One bin of a request-to-available histogram, in seconds; `to_secs` is
 * null for the last, open bin (contract.rs HistogramBinJson).
 * @typedef {Object} HistogramBinJson
 * @property {number} from_secs
 * @property {number|null} to_secs
 * @property {number} count
 */

/**
 * Films' or series' figures, with their histogram (the same bins in both
 * groups, computed by the app) (contract.rs StatisticsGroupJson).
 * @typedef {Object} StatisticsGroupJson
 * @property {number} finished
 * @property {PercentilesJson} request_to_available
 * @property {Object<string, PhaseStatsJson>} phases
 * @property {HistogramBinJson[]} histogram
 */

/**
 * The statistics view: `statistics` (contract.rs StatisticsJson).
 * @typedef {Object} StatisticsJson
 * @property {StatsGroupJson} all
 * @property {StatisticsGroupJson} movie
 * @property {StatisticsGroupJson} tv
 */
