//! Carries out one action the user asked for on one request (approve,
//! decline, search, blocklist): reads fresh what the action depends on, sends
//! the acting call once, and writes what the service accepted on the
//! request's timeline. The CLI verbs and the desktop's buttons and
//! notification actions all come here.
//!
//! An action never sets a phase: the next poll shows what the services made
//! of it (docs/ARCHITECTURE.md).

use std::path::Path;

use chrono::Utc;

use crate::config::{Config, ServiceConfig};
use crate::secrets;
use crate::service_id::{ArrApp, ServiceId};
use crate::services::acting::{self, Answered};
use crate::services::http::Http;
use crate::services::{
    HttpStats, JellyseerrClient, QbittorrentClient, RadarrClient, ServiceError, SonarrClient,
};
use crate::store::Store;
use crate::tracker::actions::{
    blocklist_targets, series_searches, Action, QueuedDownload, SearchCommand,
};
use crate::tracker::{MediaType, Phase, RequestRecord};

/// What the user asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActRequest {
    /// The Jellyseerr request id (`jellyseerr_request_id`).
    pub jellyseerr_request_id: i64,
    pub action: Action,
    /// The phase the card showed when the button was drawn: nothing is sent
    /// when the request has moved since. None from the CLI.
    pub expected_phase: Option<Phase>,
}

/// What came of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActOutcome {
    pub request: ActRequest,
    /// The service did what was asked (or it already held: "already approved").
    pub ok: bool,
    /// At least one acting call went out.
    pub sent: bool,
    /// The service the action went to.
    pub service: Option<ServiceId>,
    /// One sentence: what was done, or why not, with the service's words.
    pub message: String,
}

impl ActOutcome {
    fn new(request: ActRequest, service: Option<ServiceId>) -> Self {
        Self {
            request,
            ok: false,
            sent: false,
            service,
            message: String::new(),
        }
    }

    fn refused(mut self, message: impl Into<String>) -> Self {
        self.ok = false;
        self.message = message.into();
        self
    }
}

/// Runs `request` against the configured services and records it in the
/// store of `data_dir`.
pub async fn act(config: &Config, data_dir: &Path, request: ActRequest) -> ActOutcome {
    let mut store = match Store::open_in(data_dir) {
        Ok(s) => s,
        Err(e) => return ActOutcome::new(request, None).refused(format!("{e}")),
    };
    let record = match store.record_by_jellyseerr_id(request.jellyseerr_request_id) {
        Ok(r) => r,
        Err(e) => return ActOutcome::new(request, None).refused(format!("{e}")),
    };
    if let (Some(expected), Some(rec)) = (request.expected_phase, &record) {
        if rec.phase != expected {
            return ActOutcome::new(request, None).refused(format!(
                "{} changed since it was shown (now {}); nothing sent",
                rec.title,
                rec.phase.as_str()
            ));
        }
    }
    let (outcome, timeline) = match request.action {
        Action::Approve | Action::Decline => seerr_verdict(config, request).await,
        Action::Search | Action::Blocklist => match &record {
            None => (
                ActOutcome::new(request, None).refused(format!(
                    "request {} is not among the tracked requests: run `status-tracker poll --once` first",
                    request.jellyseerr_request_id
                )),
                Vec::new(),
            ),
            Some(rec) if request.action == Action::Search => search(config, request, rec).await,
            Some(rec) => blocklist(config, request, rec).await,
        },
    };
    let mut outcome = outcome;
    if let Some(rec) = &record {
        for text in &timeline {
            if let Err(e) = store.record_action(rec.id, Utc::now(), text) {
                outcome
                    .message
                    .push_str(&format!(" (not written on the timeline: {e})"));
            }
        }
    }
    outcome
}

/// A configured service's section, or why not.
fn section(config: &Config, id: ServiceId) -> Result<&ServiceConfig, String> {
    config
        .service(id.name())
        .ok_or_else(|| format!("{} is not configured", id.label()))
}

/// The Radarr/Sonarr instance that follows a request: the one the poller
/// found it in, else the first that takes its resolution (4K or not).
fn instance_of<'c>(
    config: &'c Config,
    app: ArrApp,
    rec: &RequestRecord,
) -> Result<&'c ServiceConfig, String> {
    let instances = config.arr(app);
    rec.instance
        .as_deref()
        .and_then(|name| instances.iter().find(|s| s.name == name))
        .or_else(|| instances.iter().find(|s| s.is_4k == rec.is_4k))
        .ok_or_else(|| {
            format!(
                "no {}{} is configured",
                if rec.is_4k { "4K " } else { "" },
                app.product()
            )
        })
}

/// Builds a service's client from its section and secret.
fn client<C>(
    config: &Config,
    id: ServiceId,
    make: impl FnOnce(
        &ServiceConfig,
        secrets::Secret,
        std::sync::Arc<HttpStats>,
    ) -> Result<C, ServiceError>,
) -> Result<C, String> {
    built(section(config, id)?, make)
}

/// Builds a client from a section and its secret.
fn built<C>(
    cfg: &ServiceConfig,
    make: impl FnOnce(
        &ServiceConfig,
        secrets::Secret,
        std::sync::Arc<HttpStats>,
    ) -> Result<C, ServiceError>,
) -> Result<C, String> {
    let secret = secrets::lookup(&cfg.name).map_err(|e| format!("{}: {e}", cfg.name))?;
    make(cfg, secret, HttpStats::new()).map_err(|e| e.to_string())
}

/// The *arr client of one kind, as an HTTP client.
enum ArrClient {
    Radarr(RadarrClient),
    Sonarr(SonarrClient),
}

impl ArrClient {
    fn build(config: &Config, app: ArrApp, rec: &RequestRecord) -> Result<Self, String> {
        let cfg = instance_of(config, app, rec)?;
        Ok(match app {
            ArrApp::Radarr => ArrClient::Radarr(built(cfg, RadarrClient::new)?),
            ArrApp::Sonarr => ArrClient::Sonarr(built(cfg, SonarrClient::new)?),
        })
    }

    fn http(&self) -> &Http {
        match self {
            ArrClient::Radarr(c) => c.http(),
            ArrClient::Sonarr(c) => c.http(),
        }
    }
}

/// Jellyseerr request statuses (docs/services.md).
const SEERR_PENDING: i64 = 1;
const SEERR_APPROVED: i64 = 2;
const SEERR_DECLINED: i64 = 3;

/// Approve or decline in Jellyseerr, unless it already is.
async fn seerr_verdict(config: &Config, request: ActRequest) -> (ActOutcome, Vec<String>) {
    let outcome = ActOutcome::new(request, Some(ServiceId::Jellyseerr));
    let id = request.jellyseerr_request_id;
    let seerr = match client(config, ServiceId::Jellyseerr, JellyseerrClient::new) {
        Ok(c) => c,
        Err(e) => return (outcome.refused(e), Vec::new()),
    };
    let http = seerr.http();
    let (target, done, verb) = match request.action {
        Action::Approve => (SEERR_APPROVED, "approved", "approve"),
        _ => (SEERR_DECLINED, "declined", "decline"),
    };
    match acting::seerr_request_status(http, id).await {
        Err(e) => return (outcome.refused(e.to_string()), Vec::new()),
        Ok(Err(words)) => {
            return (
                outcome.refused(format!("Jellyseerr has no request {id}: {words}")),
                Vec::new(),
            )
        }
        Ok(Ok(status)) if status == target => {
            let mut o = outcome;
            o.ok = true;
            o.message = format!("request {id} is already {done} in Jellyseerr; nothing sent");
            return (o, Vec::new());
        }
        Ok(Ok(status)) => {
            if status != SEERR_PENDING {
                // Jellyseerr decides: an admin may approve a declined request.
                log::info!("{verb} of request {id}, which Jellyseerr has in status {status}");
            }
        }
    }
    let mut o = outcome;
    o.sent = true;
    match acting::seerr_set_status(http, id, request.action).await {
        Err(e) => (o.refused(e.to_string()), Vec::new()),
        Ok(Answered::Accepted { status }) => {
            o.ok = true;
            o.message = format!("Jellyseerr {done} request {id} (answered {status})");
            (o, vec![format!("{done} from Status Tracker")])
        }
        Ok(Answered::Refused { status, message }) => (
            o.refused(format!(
                "Jellyseerr refused to {verb} request {id} ({status}): {message}"
            )),
            Vec::new(),
        ),
    }
}

/// The *arr that follows the request, with its client; or the refusal.
fn arr_for(
    config: &Config,
    request: ActRequest,
    rec: &RequestRecord,
) -> Result<(ArrApp, ArrClient), ActOutcome> {
    let app = match rec.media_type {
        MediaType::Movie => ArrApp::Radarr,
        MediaType::Tv => ArrApp::Sonarr,
    };
    ArrClient::build(config, app, rec)
        .map(|arr| (app, arr))
        .map_err(|e| ActOutcome::new(request, Some(app.service())).refused(e))
}

/// The acting calls one action sent to an *arr, each once: what the *arr
/// accepted (timeline sentences) and what it refused (in its words).
struct Sent {
    outcome: ActOutcome,
    accepted: Vec<String>,
    refused: Vec<String>,
}

impl Sent {
    fn new(outcome: ActOutcome) -> Self {
        Self {
            outcome,
            accepted: Vec::new(),
            refused: Vec::new(),
        }
    }

    /// Records one call's answer: `accepted` is its timeline sentence,
    /// `what` names it in a refusal.
    fn answer(
        &mut self,
        answer: Result<Answered, ServiceError>,
        product: &str,
        what: &str,
        accepted: String,
    ) {
        self.outcome.sent = true;
        match answer {
            Ok(Answered::Accepted { .. }) => self.accepted.push(accepted),
            Ok(Answered::Refused { status, message }) => self
                .refused
                .push(format!("{product} refused {what} ({status}): {message}")),
            Err(e) => self.refused.push(e.to_string()),
        }
    }

    /// Done when nothing was refused; the message says all that happened.
    fn finish(self) -> (ActOutcome, Vec<String>) {
        let mut outcome = self.outcome;
        outcome.ok = self.refused.is_empty();
        let mut parts = self.accepted.clone();
        parts.extend(self.refused);
        outcome.message = parts.join("; ");
        (outcome, self.accepted)
    }
}

/// Radarr/Sonarr search again for what is missing.
async fn search(
    config: &Config,
    request: ActRequest,
    rec: &RequestRecord,
) -> (ActOutcome, Vec<String>) {
    let (app, arr) = match arr_for(config, request, rec) {
        Ok(found) => found,
        Err(refused) => return (refused, Vec::new()),
    };
    let product = app.product();
    let outcome = ActOutcome::new(request, Some(app.service()));
    let http = arr.http();
    let commands = match plan_search(http, app, rec).await {
        Ok(c) => c,
        Err(why) => return (outcome.refused(why), Vec::new()),
    };
    let mut sent = Sent::new(outcome);
    for command in &commands {
        let what = command.describe();
        let answer = acting::arr_command(http, command).await;
        sent.answer(
            answer,
            product,
            &format!("the {what}"),
            format!("search sent to {product} ({what})"),
        );
    }
    sent.finish()
}

/// What to ask Radarr/Sonarr to search, read fresh; or why nothing.
async fn plan_search(
    http: &Http,
    app: ArrApp,
    rec: &RequestRecord,
) -> Result<Vec<SearchCommand>, String> {
    let product = app.product();
    match app {
        ArrApp::Radarr => {
            let movie = find_movie(http, rec).await?;
            if movie.has_file {
                return Err(format!(
                    "Radarr already has a file of {}; nothing to search",
                    rec.title
                ));
            }
            Ok(vec![SearchCommand::Movies {
                movie_ids: vec![movie.id],
            }])
        }
        ArrApp::Sonarr => {
            let series = find_series(http, rec).await?;
            let episodes = acting::sonarr_episodes(http, series.id)
                .await
                .map_err(|e| e.to_string())?;
            let queue = acting::arr_queue_of(http, app, series.id)
                .await
                .map_err(|e| e.to_string())?;
            series_searches(
                series.id,
                &rec.seasons,
                &series.monitored_seasons,
                &episodes,
                &acting::queued_episode_ids(&queue),
                Utc::now(),
            )
            .map_err(|n| format!("nothing for {product} to search: {}", n.0))
        }
    }
}

async fn find_movie(http: &Http, rec: &RequestRecord) -> Result<acting::MovieNow, String> {
    let tmdb = rec
        .tmdb_id
        .ok_or_else(|| format!("no TMDB id is known for {}", rec.title))?;
    acting::radarr_movie(http, tmdb)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| not_in(ArrApp::Radarr, rec))
}

async fn find_series(http: &Http, rec: &RequestRecord) -> Result<acting::SeriesNow, String> {
    let tvdb = rec
        .tvdb_id
        .ok_or_else(|| format!("no TVDB id is known for {}", rec.title))?;
    acting::sonarr_series(http, tvdb)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| not_in(ArrApp::Sonarr, rec))
}

fn not_in(app: ArrApp, rec: &RequestRecord) -> String {
    format!(
        "{} is not in {}: Jellyseerr has not sent it there, or it was removed; nothing sent",
        rec.title,
        app.product()
    )
}

/// Radarr/Sonarr remove the stuck download, blocklist it and search again.
async fn blocklist(
    config: &Config,
    request: ActRequest,
    rec: &RequestRecord,
) -> (ActOutcome, Vec<String>) {
    let (app, arr) = match arr_for(config, request, rec) {
        Ok(found) => found,
        Err(refused) => return (refused, Vec::new()),
    };
    let product = app.product();
    let outcome = ActOutcome::new(request, Some(app.service()));
    let http = arr.http();
    let media_id = match app {
        ArrApp::Radarr => find_movie(http, rec).await.map(|m| m.id),
        ArrApp::Sonarr => find_series(http, rec).await.map(|s| s.id),
    };
    let media_id = match media_id {
        Ok(id) => id,
        Err(why) => return (outcome.refused(why), Vec::new()),
    };
    let queue = match acting::arr_queue_of(http, app, media_id).await {
        Ok(q) => q,
        Err(e) => return (outcome.refused(e.to_string()), Vec::new()),
    };
    let hashes: Vec<String> = queue.iter().filter_map(|r| r.download_id.clone()).collect();
    let (states, qbit_unasked) = match torrent_states(config, &hashes).await {
        Ok(states) => (states, None),
        Err(e) => (Default::default(), Some(e)),
    };
    let queued: Vec<QueuedDownload> = queue
        .into_iter()
        .filter_map(|r| {
            Some(QueuedDownload {
                queue_id: r.id?,
                torrent_state: r
                    .download_id
                    .as_ref()
                    .and_then(|h| states.get(&h.to_ascii_lowercase()))
                    .map(|t| t.state.clone()),
                download_id: r.download_id,
                title: r.title,
                status: r.status,
                tracked_state: r.tracked_download_state,
            })
        })
        .collect();
    let targets = match blocklist_targets(&queued) {
        Ok(t) => t,
        Err(why) => {
            let mut message = format!("nothing blocklisted in {product}: {why}");
            if let Some(e) = qbit_unasked {
                message.push_str(&format!(" (qBittorrent could not be asked: {e})"));
            }
            if let Ok(Some(f)) = acting::arr_last_failure(http, app, media_id).await {
                message.push_str(&format!(
                    "; {product} already marked {} failed at {}{} and then blocklists it and searches again by itself",
                    f.title.as_deref().map_or("a download".to_string(), |t| format!("\"{t}\"")),
                    f.at.format("%Y-%m-%d %H:%M UTC"),
                    f.message.map(|m| format!(" ({m})")).unwrap_or_default(),
                ));
            }
            return (outcome.refused(message), Vec::new());
        }
    };
    let mut sent = Sent::new(outcome);
    for target in &targets {
        let answer = acting::arr_blocklist(http, target.queue_id).await;
        sent.answer(
            answer,
            product,
            &format!("to remove \"{}\"", target.title),
            format!(
                "release \"{}\" ({}) blocklisted in {product}; it searches for another",
                target.title, target.why
            ),
        );
    }
    sent.finish()
}

/// qBittorrent's torrents by lower-case hash, or why qBittorrent could not
/// say (the *arr's own status then decides alone).
async fn torrent_states(
    config: &Config,
    hashes: &[String],
) -> Result<std::collections::HashMap<String, crate::tracker::Torrent>, String> {
    if hashes.is_empty() {
        return Ok(Default::default());
    }
    let mut qbit = client(config, ServiceId::Qbittorrent, QbittorrentClient::new)?;
    qbit.torrents_info(hashes).await.map_err(|e| e.to_string())
}
