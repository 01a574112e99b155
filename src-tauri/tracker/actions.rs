//! What to send when the user acts on a request: which search commands fix a
//! stuck series, which queued downloads may be blocklisted, and the sentence
//! each action leaves on the timeline. Pure: the caller reads the services
//! fresh just before (the card may be minutes old) and sends what this says.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use super::model::{Phase, RequestRecord, SeerrRequestStatus, TorrentState};
use super::reasons;

/// The four things a user can ask from the desktop or the CLI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Jellyseerr approves the pending request.
    Approve,
    /// Jellyseerr declines the pending request.
    Decline,
    /// Radarr/Sonarr search again for what is still missing.
    Search,
    /// Radarr/Sonarr remove the stuck download, blocklist its release and
    /// search for another.
    Blocklist,
}

impl Action {
    pub const ALL: [Action; 4] = [
        Action::Approve,
        Action::Decline,
        Action::Search,
        Action::Blocklist,
    ];

    /// The CLI verb and IPC name.
    pub fn name(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Decline => "decline",
            Action::Search => "search",
            Action::Blocklist => "blocklist",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Action::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| format!("unknown action {s:?} (approve, decline, search, blocklist)"))
    }
}

/// The actions the desktop offers on a request's card: Approve and Decline
/// while it waits for approval; Search again when it failed or its download
/// is stalled, and Blocklist and search when there is a download to
/// blocklist. None on a request deleted or declined in Jellyseerr (an admin
/// said no; searching would go around them).
pub fn offered(rec: &RequestRecord) -> Vec<Action> {
    if rec.deleted || rec.seerr_status == Some(SeerrRequestStatus::Declined) {
        return Vec::new();
    }
    let has_download =
        !rec.download_ids.is_empty() || rec.episodes.iter().any(|e| e.download_id.is_some());
    let stalled = rec.reason.as_deref() == Some(reasons::STALLED)
        || rec
            .episodes
            .iter()
            .any(|e| e.reason.as_deref() == Some(reasons::STALLED));
    match rec.phase {
        Phase::Requested => vec![Action::Approve, Action::Decline],
        Phase::Failed if has_download => vec![Action::Search, Action::Blocklist],
        Phase::Failed => vec![Action::Search],
        Phase::Grabbing | Phase::Downloading if stalled => vec![Action::Search, Action::Blocklist],
        _ => Vec::new(),
    }
}

/// A search command for Radarr/Sonarr `POST /api/v3/command`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchCommand {
    /// Radarr: these films.
    Movies { movie_ids: Vec<i64> },
    /// Sonarr: these episodes.
    Episodes { episode_ids: Vec<i64> },
    /// Sonarr: one season of a series.
    Season { series_id: i64, season: i32 },
    /// Sonarr: every monitored season of a series.
    Series { series_id: i64 },
}

impl SearchCommand {
    /// The command's JSON body, as Radarr/Sonarr read it.
    pub fn body(&self) -> serde_json::Value {
        match self {
            SearchCommand::Movies { movie_ids } => {
                serde_json::json!({"name": "MoviesSearch", "movieIds": movie_ids})
            }
            SearchCommand::Episodes { episode_ids } => {
                serde_json::json!({"name": "EpisodeSearch", "episodeIds": episode_ids})
            }
            SearchCommand::Season { series_id, season } => {
                serde_json::json!({"name": "SeasonSearch", "seriesId": series_id, "seasonNumber": season})
            }
            SearchCommand::Series { series_id } => {
                serde_json::json!({"name": "SeriesSearch", "seriesId": series_id})
            }
        }
    }

    /// What was asked, for the timeline ("search for season 2").
    pub fn describe(&self) -> String {
        match self {
            SearchCommand::Movies { .. } => "search for the film".to_string(),
            SearchCommand::Episodes { episode_ids } if episode_ids.len() == 1 => {
                "search for 1 episode".to_string()
            }
            SearchCommand::Episodes { episode_ids } => {
                format!("search for {} episodes", episode_ids.len())
            }
            SearchCommand::Season { season, .. } => format!("search for season {season}"),
            SearchCommand::Series { .. } => "search for the whole series".to_string(),
        }
    }
}

/// One Sonarr episode as read just before a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeNow {
    pub id: i64,
    pub season: i32,
    pub monitored: bool,
    pub has_file: bool,
    pub air_date: Option<DateTime<Utc>>,
}

/// Why a search was not sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NothingToSearch(pub String);

/// The Sonarr searches for a series request: the requested, aired, monitored
/// episodes that have no file and are not in the queue. A requested season
/// whose every such episode is missing is searched as a season (season packs);
/// the other missing episodes by id; the whole series when the request covers
/// every monitored season and all of them are missing.
pub fn series_searches(
    series_id: i64,
    requested_seasons: &[i32],
    monitored_seasons: &[i32],
    episodes: &[EpisodeNow],
    queued_episode_ids: &HashSet<i64>,
    now: DateTime<Utc>,
) -> Result<Vec<SearchCommand>, NothingToSearch> {
    let requested: BTreeSet<i32> = requested_seasons.iter().copied().collect();
    // Per requested season: its aired monitored episodes, and those missing.
    let mut seasons: BTreeMap<i32, (usize, Vec<i64>)> = BTreeMap::new();
    for e in episodes {
        let aired = e.air_date.is_some_and(|d| d <= now);
        if !requested.contains(&e.season) || !e.monitored || !aired {
            continue;
        }
        let entry = seasons.entry(e.season).or_default();
        entry.0 += 1;
        if !e.has_file && !queued_episode_ids.contains(&e.id) {
            entry.1.push(e.id);
        }
    }
    let missing: usize = seasons.values().map(|(_, m)| m.len()).sum();
    if missing == 0 {
        return Err(NothingToSearch(if seasons.is_empty() {
            "no requested episode has aired and is monitored in Sonarr".to_string()
        } else {
            "every requested aired episode has a file or is in Sonarr's queue".to_string()
        }));
    }
    let whole = |(aired, missing): &(usize, Vec<i64>)| *aired > 0 && missing.len() == *aired;
    let every_requested_whole = requested.iter().all(|s| seasons.get(s).is_some_and(whole));
    let covers_monitored = monitored_seasons.iter().all(|s| requested.contains(s));
    if every_requested_whole && covers_monitored {
        return Ok(vec![SearchCommand::Series { series_id }]);
    }
    let mut commands = Vec::new();
    let mut loose = Vec::new();
    for (season, state) in &seasons {
        if whole(state) {
            commands.push(SearchCommand::Season {
                series_id,
                season: *season,
            });
        } else {
            loose.extend(state.1.iter().copied());
        }
    }
    if !loose.is_empty() {
        loose.sort_unstable();
        commands.push(SearchCommand::Episodes { episode_ids: loose });
    }
    Ok(commands)
}

/// One record of the *arr's queue for the request's film/series, read just
/// before a blocklist, with qBittorrent's state of its torrent when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedDownload {
    pub queue_id: i64,
    pub download_id: Option<String>,
    pub title: Option<String>,
    /// The *arr's `status` ("downloading", "warning", "failed", ...).
    pub status: Option<String>,
    /// The *arr's `trackedDownloadState` ("downloading", "failedPending", ...).
    pub tracked_state: Option<String>,
    /// qBittorrent's state of the torrent, when qBittorrent answered.
    pub torrent_state: Option<TorrentState>,
}

/// A download to blocklist: the queue record to delete and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlocklistTarget {
    pub queue_id: i64,
    pub title: String,
    pub why: String,
}

/// Why the download may be blocklisted, or None while it is healthy.
fn stuck_because(d: &QueuedDownload) -> Option<String> {
    match d.torrent_state {
        Some(TorrentState::Error) => return Some("qBittorrent reports an error".to_string()),
        Some(TorrentState::MissingFiles) => {
            return Some("qBittorrent is missing its files".to_string())
        }
        Some(TorrentState::Stalled) => return Some("stalled in qBittorrent".to_string()),
        _ => {}
    }
    if d.tracked_state.as_deref() == Some("failedPending") || d.status.as_deref() == Some("failed")
    {
        return Some("failed, not yet removed".to_string());
    }
    None
}

/// A torrent state in a word, for a sentence.
fn state_word(state: &TorrentState) -> &str {
    match state {
        TorrentState::Downloading => "downloading",
        TorrentState::Stalled => "stalled",
        TorrentState::StoppedDownload => "stopped",
        TorrentState::Queued => "queued",
        TorrentState::FetchingMetadata => "fetching metadata",
        TorrentState::Moving => "moving",
        TorrentState::Completed => "downloaded",
        TorrentState::Error => "error",
        TorrentState::MissingFiles => "missing files",
        TorrentState::Unknown(s) => s,
    }
}

/// The downloads of the queue that are errored, stalled or failed: one per
/// download (a season pack is one queue record per episode in Sonarr v3, and
/// deleting one removes the whole download). An empty list says why not.
pub fn blocklist_targets(queue: &[QueuedDownload]) -> Result<Vec<BlocklistTarget>, String> {
    let mut seen = HashSet::new();
    let mut targets = Vec::new();
    let mut healthy = Vec::new();
    for d in queue {
        let key = d
            .download_id
            .as_deref()
            .map(str::to_ascii_uppercase)
            .unwrap_or_else(|| format!("queue {}", d.queue_id));
        if !seen.insert(key) {
            continue;
        }
        let title = d.title.clone().unwrap_or_else(|| "(untitled)".to_string());
        match stuck_because(d) {
            Some(why) => targets.push(BlocklistTarget {
                queue_id: d.queue_id,
                title,
                why,
            }),
            None => healthy.push(format!(
                "{title} ({})",
                d.torrent_state
                    .as_ref()
                    .map(state_word)
                    .or(d.status.as_deref())
                    .unwrap_or("state unknown")
            )),
        }
    }
    if targets.is_empty() {
        return Err(if healthy.is_empty() {
            "no download of it is in the queue".to_string()
        } else {
            format!(
                "its download is not errored, stalled or failed: {}",
                healthy.join(", ")
            )
        });
    }
    Ok(targets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    fn ep(id: i64, season: i32, has_file: bool, days_ago: i64) -> EpisodeNow {
        EpisodeNow {
            id,
            season,
            monitored: true,
            has_file,
            air_date: Some(now() - chrono::Duration::days(days_ago)),
        }
    }

    #[test]
    fn the_cards_offer_approve_while_pending_and_search_or_blocklist_when_stuck() {
        let mut r = crate::testkit::film(1, Phase::Requested, now());
        assert_eq!(offered(&r), [Action::Approve, Action::Decline]);
        r.phase = Phase::Downloading;
        r.download_ids = vec!["ABC".into()];
        assert_eq!(offered(&r), []);
        r.reason = Some(reasons::STALLED.to_string());
        assert_eq!(offered(&r), [Action::Search, Action::Blocklist]);
        r.phase = Phase::Failed;
        assert_eq!(offered(&r), [Action::Search, Action::Blocklist]);
        r.download_ids.clear();
        assert_eq!(offered(&r), [Action::Search], "no download to blocklist");
        r.seerr_status = Some(SeerrRequestStatus::Declined);
        assert_eq!(offered(&r), [], "declined by an admin");
        r.seerr_status = None;
        r.deleted = true;
        assert_eq!(offered(&r), []);
        r.deleted = false;
        r.phase = Phase::Available;
        assert_eq!(offered(&r), []);
    }

    #[test]
    fn action_names_round_trip() {
        for a in Action::ALL {
            assert_eq!(a.name().parse::<Action>(), Ok(a));
        }
        assert!("delete".parse::<Action>().is_err());
    }

    #[test]
    fn a_request_covering_every_monitored_season_all_missing_is_one_series_search() {
        let eps = [ep(1, 1, false, 30), ep(2, 1, false, 23), ep(3, 2, false, 3)];
        let got = series_searches(7, &[1, 2], &[1, 2], &eps, &HashSet::new(), now());
        assert_eq!(got, Ok(vec![SearchCommand::Series { series_id: 7 }]));
    }

    #[test]
    fn whole_missing_seasons_are_season_searches_and_the_rest_episodes() {
        // Season 1 has one file; season 2 is all missing; season 3 is not
        // requested; an unaired, an unmonitored and a queued episode are left out.
        let mut unmonitored = ep(14, 1, false, 10);
        unmonitored.monitored = false;
        let eps = [
            ep(11, 1, true, 40),
            ep(12, 1, false, 33),
            ep(13, 1, false, 26),
            unmonitored,
            ep(15, 1, false, -7),
            ep(16, 1, false, 19),
            ep(21, 2, false, 5),
            ep(22, 2, false, 4),
            ep(31, 3, false, 2),
        ];
        let queued: HashSet<i64> = [16].into();
        let got = series_searches(7, &[1, 2], &[1, 2, 3], &eps, &queued, now()).unwrap();
        assert_eq!(
            got,
            vec![
                SearchCommand::Season {
                    series_id: 7,
                    season: 2
                },
                SearchCommand::Episodes {
                    episode_ids: vec![12, 13]
                },
            ]
        );
        assert_eq!(
            got[1].body(),
            serde_json::json!({"name": "EpisodeSearch", "episodeIds": [12, 13]})
        );
    }

    #[test]
    fn a_request_not_covering_every_monitored_season_is_never_a_series_search() {
        let eps = [ep(1, 1, false, 30), ep(3, 2, false, 3)];
        let got = series_searches(7, &[1], &[1, 2], &eps, &HashSet::new(), now());
        assert_eq!(
            got,
            Ok(vec![SearchCommand::Season {
                series_id: 7,
                season: 1
            }])
        );
    }

    #[test]
    fn nothing_missing_sends_nothing_and_says_why() {
        let eps = [ep(1, 1, true, 30), ep(2, 1, false, 3)];
        let queued: HashSet<i64> = [2].into();
        let err = series_searches(7, &[1], &[1], &eps, &queued, now()).unwrap_err();
        assert!(
            err.0.contains("has a file or is in Sonarr's queue"),
            "{err:?}"
        );
        let err =
            series_searches(7, &[1], &[1], &[ep(1, 1, false, -3)], &queued, now()).unwrap_err();
        assert!(err.0.contains("aired"), "{err:?}");
    }

    fn queued(id: i64, hash: &str, state: Option<TorrentState>, tracked: &str) -> QueuedDownload {
        QueuedDownload {
            queue_id: id,
            download_id: Some(hash.to_string()),
            title: Some(format!("Release.{id}")),
            status: Some("downloading".to_string()),
            tracked_state: Some(tracked.to_string()),
            torrent_state: state,
        }
    }

    #[test]
    fn stalled_errored_and_failed_downloads_are_targets_once_per_download() {
        let q = [
            queued(1, "aaa", Some(TorrentState::Stalled), "downloading"),
            // The same season pack, another episode's record.
            queued(2, "AAA", Some(TorrentState::Stalled), "downloading"),
            queued(3, "bbb", Some(TorrentState::Downloading), "downloading"),
            queued(4, "ccc", None, "failedPending"),
            queued(5, "ddd", Some(TorrentState::MissingFiles), "downloading"),
        ];
        let t = blocklist_targets(&q).unwrap();
        let ids: Vec<i64> = t.iter().map(|t| t.queue_id).collect();
        assert_eq!(ids, [1, 4, 5]);
        assert!(t[0].why.contains("stalled"));
    }

    #[test]
    fn a_healthy_or_absent_download_is_not_blocklisted_and_the_answer_says_why() {
        let err = blocklist_targets(&[queued(
            3,
            "bbb",
            Some(TorrentState::Downloading),
            "downloading",
        )])
        .unwrap_err();
        assert!(err.contains("not errored, stalled or failed"), "{err}");
        assert!(err.contains("Release.3 (downloading)"), "{err}");
        assert_eq!(
            blocklist_targets(&[]).unwrap_err(),
            "no download of it is in the queue"
        );
    }
}
