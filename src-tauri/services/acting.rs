//! The calls that act on a service (Jellyseerr approve/decline, a Radarr or
//! Sonarr search command, a queue removal with blocklist) and the fresh reads
//! an action checks first. Each acting call is sent once, never retried: what
//! the service answered is returned as it said it ([`Answered`]).
//!
//! What the services do with these calls (docs/services.md, "Acting"):
//! Jellyseerr answers 200 before it hands the request to Radarr/Sonarr, and
//! answers any failure to save with 404 "Request not found."; Radarr/Sonarr
//! answer a command with 201 Created (415 without a JSON content type, 400
//! for a blank name, 500 for an unknown one); a queue removal with
//! `blocklist=true` writes a `downloadFailed` history event and starts a new
//! search unless `skipRedownload=true`, which is never sent.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde::Deserialize;

use super::arr::{self, ArrApp, QueueRecord};
use super::http::{quote, Answer, Http};
use super::{ErrorKind, ServiceError};
use crate::tracker::actions::{Action, EpisodeNow, SearchCommand};

/// What a service said to an acting call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answered {
    /// It accepted (2xx).
    Accepted { status: u16 },
    /// It refused, in its own words.
    Refused { status: u16, message: String },
}

/// The service's own words in an error body: Seerr's and the *arrs'
/// `{"message": ...}`, the *arrs' validation list `[{"errorMessage": ...}]`,
/// else the start of the body.
pub fn service_words(body: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
        if let Some(m) = v.get("message").and_then(|m| m.as_str()) {
            return m.to_string();
        }
        if let Some(list) = v.as_array() {
            let words: Vec<&str> = list
                .iter()
                .filter_map(|e| e.get("errorMessage").and_then(|m| m.as_str()))
                .collect();
            if !words.is_empty() {
                return words.join("; ");
            }
        }
    }
    let q = quote(body);
    if q.is_empty() {
        "(no message)".to_string()
    } else {
        q
    }
}

/// 2xx is accepted; 401 is a wrong key (an error, not a refusal); anything
/// else is the service refusing, in its words.
fn answered(http: &Http, answer: &Answer) -> Result<Answered, ServiceError> {
    let status = answer.status.as_u16();
    if answer.status.is_success() {
        return Ok(Answered::Accepted { status });
    }
    if answer.status == StatusCode::UNAUTHORIZED {
        return Err(http.error(
            ErrorKind::Unauthorized,
            format!("wrong API key ({} answered 401)", http.product()),
        ));
    }
    Ok(Answered::Refused {
        status,
        message: service_words(&answer.body),
    })
}

// ---------------------------------------------------------------------------
// Jellyseerr
// ---------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct RequestStatusWire {
    status: i64,
}

/// `GET /api/v1/request/{id}`: the request's status now (1 pending, 2
/// approved, 3 declined, 4 failed, 5 completed), or Jellyseerr's words when
/// it does not have it (404).
pub async fn seerr_request_status(
    http: &Http,
    id: i64,
) -> Result<Result<i64, String>, ServiceError> {
    let path = format!("api/v1/request/{id}");
    let answer = http.send(http.get(&path)?).await?;
    if answer.status == StatusCode::NOT_FOUND {
        return Ok(Err(service_words(&answer.body)));
    }
    super::jellyseerr::check(http, &answer, &path)?;
    let wire: RequestStatusWire = http.json(&answer)?;
    Ok(Ok(wire.status))
}

/// `POST /api/v1/request/{id}/approve` or `/decline`, as the API key's user
/// (the admin).
pub async fn seerr_set_status(
    http: &Http,
    id: i64,
    action: Action,
) -> Result<Answered, ServiceError> {
    let verb = match action {
        Action::Approve => "approve",
        Action::Decline => "decline",
        other => {
            return Err(http.error(
                ErrorKind::Config,
                format!("Jellyseerr has no {other} for a request"),
            ))
        }
    };
    let path = format!("api/v1/request/{id}/{verb}");
    let answer = http.send(http.request(Method::POST, &path)?).await?;
    answered(http, &answer)
}

// ---------------------------------------------------------------------------
// Radarr and Sonarr
// ---------------------------------------------------------------------------

/// A film in Radarr, as read before an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovieNow {
    pub id: i64,
    pub has_file: bool,
}

/// `GET /api/v3/movie?tmdbId=N`: the film, None when Radarr does not have it.
pub async fn radarr_movie(http: &Http, tmdb_id: i64) -> Result<Option<MovieNow>, ServiceError> {
    let movies: Vec<super::radarr::MovieWire> =
        arr::get_json(http, "api/v3/movie", &[("tmdbId", tmdb_id.to_string())]).await?;
    Ok(movies
        .into_iter()
        .find(|m| m.tmdb_id == Some(tmdb_id))
        .map(|m| MovieNow {
            id: m.id,
            has_file: m.has_file.unwrap_or(false),
        }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeriesSeasonsWire {
    id: i64,
    #[serde(default)]
    tvdb_id: Option<i64>,
    #[serde(default)]
    seasons: Vec<SeasonWire>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SeasonWire {
    season_number: i32,
    #[serde(default)]
    monitored: bool,
}

/// A series in Sonarr, as read before an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeriesNow {
    pub id: i64,
    pub monitored_seasons: Vec<i32>,
}

/// `GET /api/v3/series?tvdbId=N`: the series and its monitored seasons.
pub async fn sonarr_series(http: &Http, tvdb_id: i64) -> Result<Option<SeriesNow>, ServiceError> {
    let series: Vec<SeriesSeasonsWire> =
        arr::get_json(http, "api/v3/series", &[("tvdbId", tvdb_id.to_string())]).await?;
    Ok(series
        .into_iter()
        .find(|s| s.tvdb_id == Some(tvdb_id))
        .map(|s| SeriesNow {
            id: s.id,
            monitored_seasons: s
                .seasons
                .iter()
                .filter(|season| season.monitored)
                .map(|season| season.season_number)
                .collect(),
        }))
}

/// `GET /api/v3/episode?seriesId=N`: every episode of the series.
pub async fn sonarr_episodes(http: &Http, series_id: i64) -> Result<Vec<EpisodeNow>, ServiceError> {
    let episodes: Vec<super::sonarr::EpisodeWire> = arr::get_json(
        http,
        "api/v3/episode",
        &[("seriesId", series_id.to_string())],
    )
    .await?;
    Ok(episodes
        .into_iter()
        .filter_map(|e| {
            Some(EpisodeNow {
                id: e.id,
                season: e.season_number?,
                monitored: e.monitored.unwrap_or(false),
                has_file: e.has_file.unwrap_or(false),
                air_date: e.air_date_utc,
            })
        })
        .collect())
}

/// `GET /api/v3/queue/details?movieId=N` (Radarr) or `?seriesId=N` (Sonarr):
/// the queue records of one film/series (filtered here too, in case a
/// version ignores the parameter).
pub async fn arr_queue_of(
    http: &Http,
    app: ArrApp,
    media_id: i64,
) -> Result<Vec<QueueRecord>, ServiceError> {
    let key = match app {
        ArrApp::Radarr => "movieId",
        ArrApp::Sonarr => "seriesId",
    };
    let records: Vec<QueueRecord> =
        arr::get_json(http, "api/v3/queue/details", &[(key, media_id.to_string())]).await?;
    Ok(records
        .into_iter()
        .filter(|r| match app {
            ArrApp::Radarr => r.movie_id == Some(media_id),
            ArrApp::Sonarr => r.series_id == Some(media_id),
        })
        .collect())
}

/// The Sonarr episode ids in the queue records.
pub fn queued_episode_ids(records: &[QueueRecord]) -> HashSet<i64> {
    records.iter().filter_map(|r| r.episode_id).collect()
}

/// The last download the *arr failed for a film/series by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedDownload {
    pub at: DateTime<Utc>,
    pub title: Option<String>,
    pub message: Option<String>,
}

/// `GET /api/v3/history/movie?movieId=N` / `history/series?seriesId=N`: the
/// newest `downloadFailed` event of the film/series.
pub async fn arr_last_failure(
    http: &Http,
    app: ArrApp,
    media_id: i64,
) -> Result<Option<FailedDownload>, ServiceError> {
    let (path, key) = match app {
        ArrApp::Radarr => ("api/v3/history/movie", "movieId"),
        ArrApp::Sonarr => ("api/v3/history/series", "seriesId"),
    };
    let records: Vec<arr::HistoryRecord> =
        arr::get_json(http, path, &[(key, media_id.to_string())]).await?;
    Ok(records
        .into_iter()
        .filter(|r| {
            r.event_type
                .as_ref()
                .and_then(|t| t.as_str())
                .is_some_and(|t| t.eq_ignore_ascii_case("downloadFailed"))
        })
        .max_by_key(|r| (r.date, r.id))
        .map(|r| FailedDownload {
            at: r.date,
            message: r
                .data
                .as_ref()
                .and_then(|d| d.get("message"))
                .and_then(|m| m.as_str())
                .map(str::to_string),
            title: r.source_title,
        }))
}

/// `POST /api/v3/command` with the command as JSON (`Content-Type:
/// application/json`; the *arrs answer 415 without it).
pub async fn arr_command(http: &Http, command: &SearchCommand) -> Result<Answered, ServiceError> {
    let request = http
        .request(Method::POST, "api/v3/command")?
        .json(&command.body());
    let answer = http.send(request).await?;
    answered(http, &answer)
}

/// `DELETE /api/v3/queue/{id}?removeFromClient=true&blocklist=true`: the
/// *arr removes the torrent, blocklists the release and searches for
/// another (`skipRedownload` is left at false).
pub async fn arr_blocklist(http: &Http, queue_id: i64) -> Result<Answered, ServiceError> {
    let path = format!("api/v3/queue/{queue_id}");
    let request = http
        .request(Method::DELETE, &path)?
        .query(&[("removeFromClient", "true"), ("blocklist", "true")]);
    let answer = http.send(request).await?;
    answered(http, &answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_words_are_its_message_or_its_validation_errors_or_the_body() {
        assert_eq!(
            service_words(br#"{"message":"Request not found."}"#),
            "Request not found."
        );
        assert_eq!(
            service_words(
                br#"[{"propertyName":"Name","errorMessage":"'Name' must not be empty."}]"#
            ),
            "'Name' must not be empty."
        );
        assert_eq!(
            service_words(b"<html>\n  oops</html>"),
            "<html> oops</html>"
        );
        assert_eq!(service_words(b""), "(no message)");
    }
}
