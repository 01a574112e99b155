//! What Radarr and Sonarr (API v3) share: the API-key header, status
//! classification (401 = wrong key), the paged queue read to the end, the
//! incremental history feed, and .NET TimeSpan parsing.
//!
//! Null fields are omitted on the wire (`WhenWritingNull`), so every nullable
//! field is an `Option` with `#[serde(default)]`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::http::{Answer, Http};
use super::{ErrorKind, HttpStats, ServiceError, ServiceInfo};
use crate::config::ServiceConfig;
use crate::secrets::Secret;
use crate::tracker::model::{ArrHistoryEvent, ArrQueueItem, HistoryKind};

/// Records per history page (the server default of 10 silently truncates).
pub(crate) const PAGE_SIZE: u32 = 200;
/// The first history read looks this far back.
const FIRST_HISTORY_WINDOW_DAYS: i64 = 14;
/// ... reading at most this many pages of it.
const FIRST_HISTORY_MAX_PAGES: u32 = 5;
/// `history/since` is asked from the newest seen date minus this overlap.
const HISTORY_OVERLAP_MINUTES: i64 = 10;

pub(crate) use crate::service_id::ArrApp;

/// Builds the HTTP client with the `X-Api-Key` header (marked sensitive).
pub(crate) fn build_http(
    app: ArrApp,
    cfg: &ServiceConfig,
    api_key: &Secret,
    stats: Arc<HttpStats>,
) -> Result<Http, ServiceError> {
    let mut headers = HeaderMap::new();
    let mut value = HeaderValue::from_str(api_key.expose()).map_err(|_| {
        ServiceError::new(
            &cfg.name,
            ErrorKind::Config,
            format!(
                "the {} API key contains characters that cannot be sent in a header",
                app.product()
            ),
        )
    })?;
    value.set_sensitive(true);
    headers.insert("X-Api-Key", value);
    Http::new(cfg, app.product(), headers, false, stats)
}

/// GET `path` with `query`, check the status, parse JSON.
pub(crate) async fn get_json<T: DeserializeOwned>(
    http: &Http,
    path: &str,
    query: &[(&str, String)],
) -> Result<T, ServiceError> {
    http.get_json(path, query, check).await
}

/// 2xx passes; 401 is a wrong key; the rest is a status error.
pub(crate) fn check(http: &Http, answer: &Answer, what: &str) -> Result<(), ServiceError> {
    if answer.status.is_success() {
        return Ok(());
    }
    if answer.status == StatusCode::UNAUTHORIZED {
        return Err(http.error(
            ErrorKind::Unauthorized,
            format!("wrong API key ({} answered 401)", http.product()),
        ));
    }
    Err(http.status_error(answer, what))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SystemStatus {
    #[serde(default)]
    version: Option<String>,
}

/// `GET /api/v3/system/status`: checks the key and reads the version.
pub(crate) async fn test_connection(http: &Http) -> Result<ServiceInfo, ServiceError> {
    let status: SystemStatus = get_json(http, "api/v3/system/status", &[]).await?;
    Ok(ServiceInfo {
        version: status.version,
    })
}

// ---------------------------------------------------------------------------
// Paging
// ---------------------------------------------------------------------------

/// A paged answer (`PagingResource`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Page<T> {
    #[serde(default)]
    pub total_records: Option<i64>,
    #[serde(default = "Vec::new")]
    pub records: Vec<T>,
}

// ---------------------------------------------------------------------------
// Queue
// ---------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StatusMessage {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub messages: Option<Vec<String>>,
}

/// `QueueResource` (Radarr and Sonarr).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueueRecord {
    /// The queue record's id (what `DELETE /api/v3/queue/{id}` takes).
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub movie_id: Option<i64>,
    #[serde(default)]
    pub series_id: Option<i64>,
    #[serde(default)]
    pub episode_id: Option<i64>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub size: Option<f64>,
    #[serde(default)]
    pub sizeleft: Option<f64>,
    #[serde(default)]
    pub timeleft: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub tracked_download_status: Option<String>,
    #[serde(default)]
    pub tracked_download_state: Option<String>,
    #[serde(default)]
    pub status_messages: Option<Vec<StatusMessage>>,
    #[serde(default)]
    pub error_message: Option<String>,
    #[serde(default)]
    pub download_id: Option<String>,
    #[serde(default)]
    pub protocol: Option<String>,
}

impl QueueRecord {
    /// Into the snapshot type; `media_id` is the movie id or the series id.
    pub fn into_item(self, app: ArrApp) -> ArrQueueItem {
        let media_id = match app {
            ArrApp::Radarr => self.movie_id,
            ArrApp::Sonarr => self.series_id,
        };
        let mut messages = Vec::new();
        for m in self.status_messages.unwrap_or_default() {
            let texts = m.messages.unwrap_or_default();
            if texts.is_empty() {
                messages.extend(m.title.filter(|t| !t.is_empty()));
            } else {
                messages.extend(texts.into_iter().filter(|t| !t.is_empty()));
            }
        }
        ArrQueueItem {
            download_id: self.download_id.filter(|d| !d.is_empty()),
            media_id,
            episode_id: self.episode_id,
            title: self.title.unwrap_or_default(),
            size: self.size.unwrap_or(0.0),
            sizeleft: self.sizeleft.unwrap_or(0.0),
            timeleft_secs: self.timeleft.as_deref().and_then(parse_timespan),
            status: self.status.unwrap_or_else(|| "unknown".to_string()),
            tracked_status: self.tracked_download_status,
            tracked_state: self.tracked_download_state,
            messages,
            error_message: self.error_message.filter(|m| !m.is_empty()),
            protocol: self.protocol,
        }
    }
}

/// The whole queue in one request: `GET /api/v3/queue/details`, the
/// non-paged listing Radarr's and Sonarr's own UI reads. The paged `/queue`
/// costs one request per 200 records, and Sonarr lists a season pack as one
/// record per episode, so a steady cycle would grow with the queue. The
/// listing includes downloads of media the *arr does not know (no movie or
/// series id); they are dropped, as the paged queue's
/// `includeUnknown…Items=false` does.
pub(crate) async fn fetch_queue(
    http: &Http,
    app: ArrApp,
) -> Result<Vec<ArrQueueItem>, ServiceError> {
    let records: Vec<QueueRecord> = get_json(http, "api/v3/queue/details", &[]).await?;
    Ok(records
        .into_iter()
        .filter(|r| match app {
            ArrApp::Radarr => r.movie_id.is_some(),
            ArrApp::Sonarr => r.series_id.is_some(),
        })
        .map(|r| r.into_item(app))
        .collect())
}

/// Parses a movie's or series' `added` (ISO 8601, "2023-05-24T21:28:21Z").
/// A date at or before 1970 (.NET's default `DateTime` is year 1) is no date.
pub(crate) fn parse_added(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
        .filter(|d| d.timestamp() > 0)
}

/// Parses a .NET `TimeSpan` (`hh:mm:ss`, `d.hh:mm:ss`, optional `.fffffff`)
/// into whole seconds. Negative or malformed values give None.
pub(crate) fn parse_timespan(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.starts_with('-') {
        return None;
    }
    let mut parts = s.split(':');
    let (first, minutes, seconds) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (days, hours) = match first.split_once('.') {
        Some((d, h)) => (d.parse::<i64>().ok()?, h.parse::<i64>().ok()?),
        None => (0, first.parse::<i64>().ok()?),
    };
    let minutes: i64 = minutes.parse().ok()?;
    let whole_seconds = seconds.split('.').next()?;
    let seconds: i64 = whole_seconds.parse().ok()?;
    if hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    Some(((days * 24 + hours) * 60 + minutes) * 60 + seconds)
}

// ---------------------------------------------------------------------------
// History
// ---------------------------------------------------------------------------

/// `HistoryResource` (Radarr and Sonarr).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct HistoryRecord {
    pub id: i64,
    #[serde(default)]
    pub movie_id: Option<i64>,
    #[serde(default)]
    pub series_id: Option<i64>,
    #[serde(default)]
    pub episode_id: Option<i64>,
    #[serde(default)]
    pub source_title: Option<String>,
    pub date: DateTime<Utc>,
    #[serde(default)]
    pub download_id: Option<String>,
    /// A camelCase name on the wire; integers are accepted too.
    #[serde(default)]
    pub event_type: Option<serde_json::Value>,
    #[serde(default)]
    pub data: Option<HashMap<String, serde_json::Value>>,
}

impl HistoryRecord {
    fn data_str(&self, key: &str) -> Option<String> {
        match self.data.as_ref()?.get(key)? {
            serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    /// Into the snapshot type.
    pub fn into_event(self, app: ArrApp) -> ArrHistoryEvent {
        let kind = history_kind(app, self.event_type.as_ref());
        let media_id = match app {
            ArrApp::Radarr => self.movie_id,
            ArrApp::Sonarr => self.series_id,
        }
        .unwrap_or(0);
        let message = match kind {
            HistoryKind::DownloadFailed | HistoryKind::Ignored => self.data_str("message"),
            _ => None,
        };
        let imported_path = match kind {
            HistoryKind::Imported => self.data_str("importedPath"),
            _ => None,
        };
        let size = self.data_str("size").and_then(|s| s.parse::<f64>().ok());
        ArrHistoryEvent {
            id: self.id,
            kind,
            date: self.date,
            download_id: self.download_id.filter(|d| !d.is_empty()),
            media_id,
            episode_id: self.episode_id,
            source_title: self.source_title.unwrap_or_default(),
            message,
            imported_path,
            size,
        }
    }
}

/// Maps an `eventType` (camelCase name, or the app's integer) to a kind.
pub(crate) fn history_kind(app: ArrApp, value: Option<&serde_json::Value>) -> HistoryKind {
    match value {
        Some(serde_json::Value::String(name)) => match name.as_str() {
            "grabbed" => HistoryKind::Grabbed,
            "downloadFolderImported" | "seriesFolderImported" | "movieFolderImported" => {
                HistoryKind::Imported
            }
            "downloadFailed" => HistoryKind::DownloadFailed,
            "downloadIgnored" => HistoryKind::Ignored,
            "movieFileDeleted" | "episodeFileDeleted" => HistoryKind::FileDeleted,
            _ => HistoryKind::Other,
        },
        Some(serde_json::Value::Number(n)) => match (app, n.as_i64()) {
            (_, Some(1)) => HistoryKind::Grabbed,
            (_, Some(3)) => HistoryKind::Imported,
            (_, Some(4)) => HistoryKind::DownloadFailed,
            (ArrApp::Radarr, Some(6)) | (ArrApp::Sonarr, Some(5)) => HistoryKind::FileDeleted,
            (ArrApp::Radarr, Some(7)) | (ArrApp::Sonarr, Some(2)) => HistoryKind::Imported,
            (ArrApp::Radarr, Some(9)) | (ArrApp::Sonarr, Some(7)) => HistoryKind::Ignored,
            _ => HistoryKind::Other,
        },
        _ => HistoryKind::Other,
    }
}

/// Where the history feed stands: the newest date seen and the ids seen in
/// the overlap window, so each record is reported once.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct HistoryCursor {
    newest: Option<DateTime<Utc>>,
    seen: HashSet<i64>,
    seen_dates: HashMap<i64, DateTime<Utc>>,
}

impl HistoryCursor {
    /// Reads the history new since the last call (the last 14 days, at most
    /// five pages of 200, on the first). Returns the new records, oldest
    /// first, and the cursor to keep once the whole cycle has succeeded.
    pub async fn fetch(
        &self,
        http: &Http,
        app: ArrApp,
        now: DateTime<Utc>,
    ) -> Result<(Vec<ArrHistoryEvent>, HistoryCursor), ServiceError> {
        let records: Vec<HistoryRecord> = match self.newest {
            Some(newest) => {
                let since = newest - ChronoDuration::minutes(HISTORY_OVERLAP_MINUTES);
                get_json(
                    http,
                    "api/v3/history/since",
                    &[("date", since.format("%Y-%m-%dT%H:%M:%SZ").to_string())],
                )
                .await?
            }
            None => first_history(http, now).await?,
        };
        let (fresh, mut next) = self.advance(records, app);
        // An empty first read still switches to `history/since`, from the
        // start of the window it covered.
        next.newest
            .get_or_insert(now - ChronoDuration::days(FIRST_HISTORY_WINDOW_DAYS));
        Ok((fresh, next))
    }

    /// Keeps the records not seen before and moves the cursor past them.
    fn advance(
        &self,
        mut records: Vec<HistoryRecord>,
        app: ArrApp,
    ) -> (Vec<ArrHistoryEvent>, HistoryCursor) {
        records.sort_by_key(|r| (r.date, r.id));
        let mut next = self.clone();
        let mut fresh = Vec::new();
        for r in records {
            if next.seen.insert(r.id) {
                next.seen_dates.insert(r.id, r.date);
                next.newest = Some(next.newest.map_or(r.date, |n| n.max(r.date)));
                fresh.push(r.into_event(app));
            }
        }
        // Forget ids older than the overlap window: they cannot come back.
        if let Some(newest) = next.newest {
            let horizon = newest - ChronoDuration::minutes(2 * HISTORY_OVERLAP_MINUTES);
            next.seen_dates.retain(|_, d| *d >= horizon);
            let keep: HashSet<i64> = next.seen_dates.keys().copied().collect();
            next.seen = keep;
        }
        (fresh, next)
    }
}

/// The first history read: newest first, pages of 200, until records are
/// older than the window or five pages were read.
async fn first_history(
    http: &Http,
    now: DateTime<Utc>,
) -> Result<Vec<HistoryRecord>, ServiceError> {
    let horizon = now - ChronoDuration::days(FIRST_HISTORY_WINDOW_DAYS);
    let mut all = Vec::new();
    for page in 1..=FIRST_HISTORY_MAX_PAGES {
        let answer: Page<HistoryRecord> = get_json(
            http,
            "api/v3/history",
            &[
                ("page", page.to_string()),
                ("pageSize", PAGE_SIZE.to_string()),
                ("sortKey", "date".to_string()),
                ("sortDirection", "descending".to_string()),
            ],
        )
        .await?;
        let got = answer.records.len();
        let reached_horizon = answer.records.iter().any(|r| r.date < horizon);
        all.extend(answer.records.into_iter().filter(|r| r.date >= horizon));
        let total = answer.total_records.unwrap_or(0);
        if got == 0 || reached_horizon || i64::from(page) * i64::from(PAGE_SIZE) >= total {
            break;
        }
    }
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::http::test_support::*;

    #[test]
    fn added_dates_parse_and_a_default_or_garbled_one_is_none() {
        // As in Radarr's queue fixture (radarr/queue.ruddarr.json).
        assert_eq!(
            parse_added("2023-05-24T21:28:21Z").map(|d| d.to_rfc3339()),
            Some("2023-05-24T21:28:21+00:00".to_string())
        );
        assert_eq!(parse_added("0001-01-01T00:00:00Z"), None);
        assert_eq!(parse_added("yesterday"), None);
    }

    #[test]
    fn timespans_of_every_dotnet_shape_parse() {
        assert_eq!(parse_timespan("00:25:53"), Some(25 * 60 + 53));
        assert_eq!(
            parse_timespan("1.02:03:04"),
            Some(86_400 + 2 * 3600 + 3 * 60 + 4)
        );
        assert_eq!(
            parse_timespan("00:00:05.1234567"),
            Some(5),
            "fraction dropped"
        );
        assert_eq!(parse_timespan("3.00:00:00.5"), Some(3 * 86_400));
        assert_eq!(parse_timespan("-00:00:05"), None, "negative is unknown");
        assert_eq!(parse_timespan("soon"), None, "garbage is unknown");
        assert_eq!(parse_timespan("00:61:00"), None, "out of range is unknown");
    }

    #[test]
    fn history_kinds_come_from_the_camel_case_names() {
        use serde_json::json;
        let k = |app, v| history_kind(app, Some(&v));
        assert_eq!(k(ArrApp::Radarr, json!("grabbed")), HistoryKind::Grabbed);
        assert_eq!(
            k(ArrApp::Sonarr, json!("downloadFolderImported")),
            HistoryKind::Imported
        );
        assert_eq!(
            k(ArrApp::Radarr, json!("downloadFailed")),
            HistoryKind::DownloadFailed
        );
        assert_eq!(
            k(ArrApp::Radarr, json!("downloadIgnored")),
            HistoryKind::Ignored
        );
        assert_eq!(
            k(ArrApp::Sonarr, json!("episodeFileDeleted")),
            HistoryKind::FileDeleted
        );
        assert_eq!(
            k(ArrApp::Radarr, json!("movieFileRenamed")),
            HistoryKind::Other
        );
        // The integers differ between the apps after 4.
        assert_eq!(k(ArrApp::Radarr, json!(9)), HistoryKind::Ignored);
        assert_eq!(k(ArrApp::Sonarr, json!(7)), HistoryKind::Ignored);
        assert_eq!(k(ArrApp::Radarr, json!(6)), HistoryKind::FileDeleted);
        assert_eq!(
            k(ArrApp::Sonarr, json!(6)),
            HistoryKind::Other,
            "Sonarr 6 is a rename"
        );
    }

    #[test]
    fn radarr_queue_fixture_becomes_queue_items() {
        let page: Page<QueueRecord> =
            serde_json::from_str(&fixture("radarr/queue.ruddarr.json")).unwrap();
        assert_eq!(page.total_records, Some(1));
        let items: Vec<_> = page
            .records
            .into_iter()
            .map(|r| r.into_item(ArrApp::Radarr))
            .collect();
        assert_eq!(items.len(), 3);
        let first = &items[0];
        assert_eq!(first.media_id, Some(368));
        assert_eq!(
            first.download_id.as_deref(),
            Some("7FCF20EEAACD0F7810C11FD62E90076E9A25B76F:dbid_1510")
        );
        assert_eq!(
            first.sizeleft, 5_870_368_312.844,
            "sizeleft keeps its fraction"
        );
        assert_eq!(first.size, 5_882_132_578.0);
        assert_eq!(first.timeleft_secs, Some(25 * 60 + 53));
        assert_eq!(first.status, "downloading");
        assert_eq!(first.tracked_state.as_deref(), Some("downloading"));
        assert_eq!(first.protocol.as_deref(), Some("torrent"));
        assert!(first.messages.is_empty());
        let blocked = &items[1];
        assert_eq!(blocked.tracked_status.as_deref(), Some("warning"));
        assert_eq!(blocked.tracked_state.as_deref(), Some("importPending"));
        assert_eq!(
            blocked.messages,
            vec!["Not an upgrade for existing movie file. Existing quality: Bluray-1080p. New Quality WEBDL-720p."]
        );
        assert_eq!(
            blocked.error_message, None,
            "an empty errorMessage is no message"
        );
        assert_eq!(items[2].messages, vec!["Unable to parse file"]);
    }

    #[test]
    fn sonarr_season_pack_fixture_keeps_one_record_per_episode() {
        let page: Page<QueueRecord> =
            serde_json::from_str(&fixture("sonarr/queue-season-pack.homeassistant.json")).unwrap();
        let items: Vec<_> = page
            .records
            .into_iter()
            .map(|r| r.into_item(ArrApp::Sonarr))
            .collect();
        assert_eq!(items.len(), 3);
        assert!(items
            .iter()
            .all(|i| i.download_id.as_deref() == Some("CA4552774085F1B5DB3C8E7D39DD220B0474FE4B")));
        let eps: Vec<_> = items.iter().map(|i| i.episode_id).collect();
        assert_eq!(eps, vec![Some(2303), Some(2304), Some(2326)]);
        assert!(
            items.iter().all(|i| i.media_id == Some(64)),
            "media_id is the series id"
        );
        assert_eq!(items[0].status, "paused");
        assert_eq!(items[0].size, 84_429_221_268.0);
    }

    #[test]
    fn sonarr_queue_fixture_keeps_titles_without_messages_and_error_messages() {
        let page: Page<QueueRecord> =
            serde_json::from_str(&fixture("sonarr/queue.ruddarr.json")).unwrap();
        let items: Vec<_> = page
            .records
            .into_iter()
            .map(|r| r.into_item(ArrApp::Sonarr))
            .collect();
        assert_eq!(items.len(), 48);
        let pending = items.iter().find(|i| i.episode_id == Some(14199)).unwrap();
        assert_eq!(
            pending.messages,
            vec![
                "One or more episodes expected in this release were not imported or missing from the release",
                "Not an upgrade for existing episode file(s). Existing quality: HDTV-1080p. New Quality SDTV."
            ],
            "a title with no messages is itself the message"
        );
        let warned = items.iter().find(|i| i.status == "warning").unwrap();
        assert_eq!(
            warned.error_message.as_deref(),
            Some("Banned client, please see http://hdbits.org/support/rules for a list of allowed clients")
        );
    }

    #[test]
    fn radarr_history_fixture_becomes_events() {
        let page: Page<HistoryRecord> =
            serde_json::from_str(&fixture("radarr/history.ruddarr.json")).unwrap();
        assert_eq!(page.records.len(), 250);
        let events: Vec<_> = page
            .records
            .into_iter()
            .map(|r| r.into_event(ArrApp::Radarr))
            .collect();
        let grab = events.iter().find(|e| e.id == 659).or_else(|| {
            events
                .iter()
                .find(|e| e.kind == HistoryKind::Grabbed && e.media_id == 529)
        });
        let grab = grab.unwrap();
        assert_eq!(grab.kind, HistoryKind::Grabbed);
        assert_eq!(
            grab.download_id.as_deref(),
            Some("40E9C82E2A69E6214E3AFA1EA6BBD0E427518310")
        );
        assert_eq!(grab.size, Some(15_685_649_969.0));
        let import = events.iter().find(|e| e.id == 660).unwrap();
        assert_eq!(import.kind, HistoryKind::Imported);
        assert_eq!(
            import.imported_path.as_deref(),
            Some("/volume2/Media/Movies/The White Tiger (2021)/The.White.Tiger.2021.2160p.NF.WEB-DL.DDP.5.1.Atmos.DoVi.HDR.HEVC-SiC.mkv")
        );
        let failed = events.iter().find(|e| e.id == 553).unwrap();
        assert_eq!(failed.kind, HistoryKind::DownloadFailed);
        assert_eq!(
            failed.message.as_deref(),
            Some("Aborted, cannot be completed - https://sabnzbd.org/not-complete")
        );
        let ignored = events.iter().find(|e| e.id == 609).unwrap();
        assert_eq!(ignored.kind, HistoryKind::Ignored);
        assert_eq!(ignored.message.as_deref(), Some("Manually ignored"));
        let deleted = events.iter().find(|e| e.id == 643).unwrap();
        assert_eq!(deleted.kind, HistoryKind::FileDeleted);
        assert_eq!(deleted.download_id, None, "absent downloadId stays None");
        assert_eq!(
            events
                .iter()
                .filter(|e| e.kind == HistoryKind::Grabbed)
                .count(),
            123
        );
    }

    #[test]
    fn sonarr_history_fixture_becomes_events() {
        let page: Page<HistoryRecord> =
            serde_json::from_str(&fixture("sonarr/history.ruddarr.json")).unwrap();
        let events: Vec<_> = page
            .records
            .into_iter()
            .map(|r| r.into_event(ArrApp::Sonarr))
            .collect();
        let import = events.iter().find(|e| e.id == 1872).unwrap();
        assert_eq!(import.kind, HistoryKind::Imported);
        assert_eq!(import.media_id, 205, "media_id is the series id");
        assert_eq!(import.episode_id, Some(14777));
        assert!(import
            .imported_path
            .as_deref()
            .unwrap()
            .ends_with("S01E01.iNTERNAL.1080p.WEB.h264-OPUS.mkv"));
        assert_eq!(
            events
                .iter()
                .filter(|e| e.kind == HistoryKind::FileDeleted)
                .count(),
            46
        );
        let ep: Page<HistoryRecord> =
            serde_json::from_str(&fixture("sonarr/history-episode.ruddarr.json")).unwrap();
        assert_eq!(ep.records.len(), 2);
    }

    #[test]
    fn the_history_cursor_reports_each_record_once() {
        let records: Vec<HistoryRecord> =
            serde_json::from_str(&fixture("radarr/history-movie.ruddarr.json")).unwrap();
        assert_eq!(records.len(), 5);
        let cursor = HistoryCursor::default();
        let (fresh, cursor) = cursor.advance(records, ArrApp::Radarr);
        assert_eq!(fresh.len(), 5, "first read reports everything");
        assert!(
            fresh.windows(2).all(|w| w[0].date <= w[1].date),
            "oldest first"
        );
        let again: Vec<HistoryRecord> =
            serde_json::from_str(&fixture("radarr/history-movie.ruddarr.json")).unwrap();
        let newest_two: Vec<_> = {
            let mut v = again;
            v.sort_by_key(|r| r.date);
            v.split_off(3)
        };
        let (fresh, _) = cursor.advance(newest_two, ArrApp::Radarr);
        assert!(
            fresh.is_empty(),
            "an overlapping re-read reports nothing twice"
        );
    }
}
