//! What leaves the process, in one place: the JSON the CLI prints
//! (`poll --once --json`, `list --json`, `watch --json`), the payloads the
//! windows receive (IPC command results and the `requests-changed` event),
//! and the sentences both show. Other tools parse the CLI's JSON and the UI
//! reads these fields by name (`ui/types.js` describes them for the UI's
//! type check): a field is added here, never renamed or removed in passing.
//!
//! Neither `cli` nor `app` owns these shapes; both use them, so neither
//! imports the other.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::store::{ServiceStatus, TimelineEntry};
use crate::tracker::stats::Medians;
use crate::tracker::{self, EpisodeCounts, Phase, Records, RequestRecord};

/// One request, as the CLI prints it and the windows list it.
#[derive(Debug, Serialize)]
pub struct RequestJson<'a> {
    /// The tracker's own id (stable; the detail window and `poster:` URLs use it).
    pub id: i64,
    /// Jellyseerr's request id.
    pub jellyseerr_request_id: i64,
    /// "movie" or "tv".
    pub media_type: &'static str,
    pub title: &'a str,
    pub year: Option<i32>,
    pub tmdb_id: Option<i64>,
    pub tvdb_id: Option<i64>,
    pub is_anime: bool,
    /// A Jellyseerr 4K request (followed in the `is_4k` Radarr/Sonarr).
    pub is_4k: bool,
    /// The Radarr/Sonarr instance following it ("radarr", or "radarr.4k"
    /// in the array form), null until one has the film or series.
    pub instance: Option<&'a str>,
    /// One of the nine phases, upper case ("DOWNLOADING").
    pub phase: Phase,
    /// 0..=1, while downloading.
    pub progress: Option<f64>,
    /// Seconds qBittorrent expects the download to take still.
    pub eta_secs: Option<i64>,
    /// Seconds until it is likely AVAILABLE: the download's ETA plus the
    /// median times of the phases still ahead ([`tracker::stats::eta_available`]);
    /// null when closed, or with neither an ETA nor any history.
    pub eta_available_secs: Option<i64>,
    /// Bytes per second.
    pub download_speed: Option<i64>,
    /// Why it waits or failed (a service's words are kept verbatim); while
    /// stuck, what is stuck and for how long ("stalled for 1 h 10 min in
    /// qBittorrent: ...", [`tracker::reconcile::stuck_reason`]).
    pub reason: Option<Cow<'a, str>>,
    /// Needs a person (FAILED, a warning, something removed upstream).
    pub attention: bool,
    /// The user acknowledged the current attention state.
    pub acknowledged: bool,
    pub requested_by: &'a str,
    pub requested_at: DateTime<Utc>,
    /// TMDB's poster path ("/abc.jpg"); the windows load the poster itself
    /// from the app (`poster://localhost/{id}/{list|detail}`).
    pub poster_path: Option<&'a str>,
    /// Deleted in Jellyseerr (kept as history).
    pub deleted: bool,
    /// Series: episodes grabbed, downloaded, imported, available.
    pub episodes: Option<EpisodeCounts>,
    /// Last change of phase or reason.
    pub updated_at: DateTime<Utc>,
    /// What the desktop offers on the card now: "approve" and "decline"
    /// while pending; "search" and "blocklist" when failed or stalled.
    pub actions: Vec<&'static str>,
}

impl<'a> RequestJson<'a> {
    /// `medians`: each phase's median from the store's timeline
    /// ([`tracker::stats::Medians`]), for `eta_available_secs`.
    pub fn new(r: &'a RequestRecord, now: DateTime<Utc>, medians: &Medians) -> Self {
        RequestJson {
            id: r.id,
            jellyseerr_request_id: r.jellyseerr_request_id,
            media_type: r.media_type.as_str(),
            title: &r.title,
            year: r.year,
            tmdb_id: r.tmdb_id,
            tvdb_id: r.tvdb_id,
            is_anime: r.is_anime,
            is_4k: r.is_4k,
            instance: r.instance.as_deref(),
            phase: r.phase,
            progress: r.progress,
            eta_secs: r.eta_secs,
            eta_available_secs: tracker::stats::eta_available(r, medians),
            download_speed: r.download_speed,
            reason: tracker::reconcile::shown_reason(r, now),
            attention: r.attention,
            acknowledged: r.acknowledged,
            requested_by: &r.requested_by,
            requested_at: r.requested_at,
            poster_path: r.poster_path.as_deref(),
            deleted: r.deleted,
            episodes: tracker::episode_counts(r, now),
            updated_at: r.updated_at,
            actions: tracker::actions::offered(r)
                .into_iter()
                .map(|a| a.name())
                .collect(),
        }
    }
}

/// One service's state as the CLI prints it.
#[derive(Debug, Serialize)]
pub struct ServiceJson<'a> {
    /// The config section name ("radarr").
    pub name: &'a str,
    pub ok: bool,
    /// The current error, when not ok.
    pub error: Option<&'a str>,
    /// Since when it has been failing (the first failed cycle of this outage).
    pub error_since: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
}

/// [`ServiceJson`] of each status.
pub fn services_json(statuses: &[ServiceStatus]) -> Vec<ServiceJson<'_>> {
    statuses
        .iter()
        .map(|s| ServiceJson {
            name: &s.name,
            ok: s.ok,
            error: s.error.as_deref(),
            error_since: s.error_since,
            last_success: s.last_success,
        })
        .collect()
}

/// `poll --once --json` and `list --json`: the requests serialize straight
/// to stdout, not through a `serde_json::Value` of the whole list.
#[derive(Serialize)]
pub struct Listing<'a> {
    pub requests: Vec<RequestJson<'a>>,
    pub services: Vec<ServiceJson<'a>>,
    /// `poll --once --json` only: what the cycle did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycle: Option<Value>,
}

/// How far first contact with a big library got.
#[derive(Debug, Serialize)]
pub struct FirstContact {
    /// Requests whose title and details are read.
    pub read: usize,
    /// Requests Jellyseerr listed.
    pub listed: usize,
    /// [`first_contact_text`].
    pub text: Option<String>,
}

/// The main window's whole state: the `list_requests` command's result and
/// the `requests-changed` event's payload.
#[derive(Debug, Serialize)]
pub struct MainWindowState<'a> {
    /// Every request not deleted.
    pub requests: Vec<RequestJson<'a>>,
    /// Each service's last known state (with its error kind and version).
    pub services: &'a [ServiceStatus],
    pub paused: bool,
    /// The app runs on the built-in simulated stack.
    pub demo: bool,
    /// Requests per phase ("DOWNLOADING": 2); phases with none are absent.
    pub counts: BTreeMap<&'static str, usize>,
    /// Requests that need a person and are not acknowledged.
    pub attention: usize,
    pub updated_at: DateTime<Utc>,
    /// The requests this cycle changed (the window highlights them).
    pub changed_ids: &'a [i64],
    /// While first contact is still reading the library.
    pub first_contact: Option<FirstContact>,
    /// Something the user must know that no request shows (a database
    /// moved aside at start).
    pub notice: Option<&'a str>,
}

impl<'a> MainWindowState<'a> {
    pub fn new(
        records: &'a Records,
        medians: &Medians,
        services: &'a [ServiceStatus],
        changed_ids: &'a [i64],
        first_contact: Option<(usize, usize)>,
        notice: Option<&'a str>,
    ) -> Self {
        let now = Utc::now();
        let mut counts = BTreeMap::new();
        let mut attention = 0;
        let mut requests = Vec::new();
        for r in records.values().filter(|r| !r.deleted) {
            *counts.entry(r.phase.as_str()).or_insert(0) += 1;
            if r.attention && !r.acknowledged {
                attention += 1;
            }
            requests.push(RequestJson::new(r, now, medians));
        }
        MainWindowState {
            requests,
            services,
            paused: false,
            demo: false,
            counts,
            attention,
            updated_at: now,
            changed_ids,
            first_contact: first_contact.map(|(read, listed)| FirstContact {
                read,
                listed,
                text: first_contact_text(Some((read, listed))),
            }),
            notice,
        }
    }
}

/// One episode in the detail window.
#[derive(Debug, Serialize)]
pub struct EpisodeJson<'a> {
    pub season: i32,
    pub number: i32,
    pub title: Option<&'a str>,
    pub air_date: Option<DateTime<Utc>>,
    pub phase: Phase,
    pub reason: Option<&'a str>,
    pub progress: Option<f64>,
}

/// Which of the request's pages the app can open (the URLs stay in the app).
#[derive(Debug, Serialize)]
pub struct LinksJson {
    pub jellyfin: bool,
    pub jellyseerr: bool,
    pub arr: bool,
}

/// The detail window's state: the `request_detail` command's result.
#[derive(Debug, Serialize)]
pub struct DetailState<'a> {
    pub request: RequestJson<'a>,
    /// Every change, oldest first.
    pub timeline: &'a [TimelineEntry],
    pub episodes: Vec<EpisodeJson<'a>>,
    pub links: LinksJson,
    /// What made the current phase (the last phase change's evidence).
    pub evidence: Option<&'a str>,
}

/// `status-tracker show ID --json`: the request as `list --json` prints it
/// and its whole timeline.
#[derive(Debug, Serialize)]
pub struct ShowJson<'a> {
    pub request: RequestJson<'a>,
    /// Oldest first.
    pub timeline: Vec<TimelineEventJson<'a>>,
}

/// One line of a request's timeline for scripts.
#[derive(Debug, Serialize)]
pub struct TimelineEventJson<'a> {
    pub at: DateTime<Utc>,
    /// "phase" (a phase change), "reason" (the reason changed), "episode"
    /// (an episode became available) or "action" (the user acted from the
    /// app or the CLI and the service accepted it).
    pub event: &'static str,
    /// A sentence: the evidence of a change, or what the action did.
    pub text: &'a str,
    /// Phase entries only: the phase left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Phase>,
    /// Phase entries only: the phase entered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<Phase>,
}

impl<'a> TimelineEventJson<'a> {
    pub fn new(e: &'a TimelineEntry) -> Self {
        let event = match e.kind.as_str() {
            "phase_change" => "phase",
            "episode_available" => "episode",
            "action" => "action",
            _ => "reason",
        };
        let phase = event == "phase";
        let text = match e.evidence.as_str() {
            "" if event == "reason" => "the reason was cleared",
            evidence => evidence,
        };
        Self {
            at: e.at,
            event,
            text,
            from: e.from.filter(|_| phase),
            to: e.to.filter(|_| phase),
        }
    }
}

/// What an action came to: `approve|decline|search|blocklist ID --json` and
/// the app's `act` command.
#[derive(Debug, Clone, Serialize)]
pub struct ActionJson<'a> {
    /// "approve", "decline", "search" or "blocklist".
    pub action: &'static str,
    pub jellyseerr_request_id: i64,
    /// The service did it (or it already held, e.g. already approved).
    pub ok: bool,
    /// A call that acts went out (false when refused before sending).
    pub sent: bool,
    /// The service acted on ("jellyseerr", "radarr", "sonarr").
    pub service: Option<&'static str>,
    /// What was done, or why not, with the service's own words.
    pub message: &'a str,
}

impl<'a> ActionJson<'a> {
    pub fn new(o: &'a crate::act::ActOutcome) -> Self {
        Self {
            action: o.request.action.name(),
            jellyseerr_request_id: o.request.jellyseerr_request_id,
            ok: o.ok,
            sent: o.sent,
            service: o.service.map(|s| s.name()),
            message: &o.message,
        }
    }
}

/// `status-tracker stats --json`: how long requests take, from the app's
/// own timeline ([`tracker::stats`]), for every request and for films and
/// series apart.
#[derive(Debug, Serialize)]
pub struct StatsJson {
    #[serde(flatten)]
    pub all: StatsGroupJson,
    pub movie: StatsGroupJson,
    pub tv: StatsGroupJson,
}

/// The figures of one group of requests.
#[derive(Debug, Serialize)]
pub struct StatsGroupJson {
    /// Requests the app saw before AVAILABLE and then saw become AVAILABLE.
    pub finished: usize,
    /// From Jellyseerr's `createdAt` to AVAILABLE.
    pub request_to_available: PercentilesJson,
    /// Each phase's left stints (FAILED aside), by upper-case phase name.
    pub phases: BTreeMap<Phase, PhaseStatsJson>,
}

/// Nearest-rank percentiles in whole seconds; null without data.
#[derive(Debug, Serialize)]
pub struct PercentilesJson {
    pub p50_secs: Option<i64>,
    pub p90_secs: Option<i64>,
}

/// One phase's stints.
#[derive(Debug, Serialize)]
pub struct PhaseStatsJson {
    pub count: usize,
    pub p50_secs: Option<i64>,
    pub p90_secs: Option<i64>,
}

impl StatsJson {
    pub fn new(t: &tracker::stats::Timings) -> Self {
        Self {
            all: StatsGroupJson::new(&t.all),
            movie: StatsGroupJson::new(&t.movie),
            tv: StatsGroupJson::new(&t.tv),
        }
    }
}

impl StatsGroupJson {
    fn new(d: &tracker::stats::Durations) -> Self {
        use tracker::stats::percentile;
        Self {
            finished: d.request_to_available.len(),
            request_to_available: PercentilesJson {
                p50_secs: percentile(&d.request_to_available, 50),
                p90_secs: percentile(&d.request_to_available, 90),
            },
            phases: d
                .phases
                .iter()
                .map(|(phase, stints)| {
                    (
                        *phase,
                        PhaseStatsJson {
                            count: stints.len(),
                            p50_secs: percentile(stints, 50),
                            p90_secs: percentile(stints, 90),
                        },
                    )
                })
                .collect(),
        }
    }
}

/// The main window's statistics view: the `statistics` command's result.
/// The figures `status-tracker stats --json` prints (for every request, for
/// films and for series), from the same timeline, plus a histogram of
/// request-to-available times per media type whose bins are computed here
/// in Rust ([`tracker::stats::histograms`]); the UI only draws them.
#[derive(Debug, Serialize)]
pub struct StatisticsJson {
    /// Every request: what `stats --json` prints at its top level.
    pub all: StatsGroupJson,
    /// Films: `stats --json`'s `movie`, and their histogram.
    pub movie: StatisticsGroupJson,
    /// Series: `stats --json`'s `tv`, and their histogram.
    pub tv: StatisticsGroupJson,
}

/// One media type's figures in the statistics view.
#[derive(Debug, Serialize)]
pub struct StatisticsGroupJson {
    /// `finished`, `request_to_available` and `phases`, as in `stats --json`.
    #[serde(flatten)]
    pub figures: StatsGroupJson,
    /// Request-to-available times binned on a ladder of human durations
    /// (edges at 1 min, 5 min, 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, 1 d, 2 d,
    /// 4 d, 1 week, 2 weeks, 30 d): from the first bin films or series fill
    /// to the last, empty bins between included. Films and series have the
    /// same bins, so their bars line up; none when nothing has finished.
    pub histogram: Vec<HistogramBinJson>,
}

/// One bin of a histogram of request-to-available times.
#[derive(Debug, Serialize)]
pub struct HistogramBinJson {
    /// Lower bound in seconds, inclusive.
    pub from_secs: i64,
    /// Upper bound in seconds, exclusive; null for the last, open bin.
    pub to_secs: Option<i64>,
    /// Finished requests of this media type whose request to available
    /// falls in the bin.
    pub count: usize,
}

impl StatisticsJson {
    pub fn new(t: &tracker::stats::Timings) -> Self {
        let mut bins = tracker::stats::histograms(&[
            &t.movie.request_to_available,
            &t.tv.request_to_available,
        ])
        .into_iter()
        .map(|bins| {
            bins.into_iter()
                .map(|b| HistogramBinJson {
                    from_secs: b.from,
                    to_secs: b.to,
                    count: b.count,
                })
                .collect::<Vec<_>>()
        });
        let mut group = |d| StatisticsGroupJson {
            figures: StatsGroupJson::new(d),
            histogram: bins.next().unwrap_or_default(),
        };
        Self {
            all: StatsGroupJson::new(&t.all),
            movie: group(&t.movie),
            tv: group(&t.tv),
        }
    }
}

/// One service in the Settings window (`get_settings`): what the app knows
/// of it ([`crate::ServiceId`]) and its settings. Of the credential, only
/// whether one is stored.
#[derive(Debug, Serialize)]
pub struct ServiceSettings {
    /// "radarr", or "radarr.4k" for an instance of the array form.
    pub name: String,
    /// The kind of service ("radarr" for "radarr.4k").
    pub kind: &'static str,
    /// The array form's instance name ("4k"); null for a single table.
    pub instance: Option<String>,
    /// Radarr/Sonarr: follows Jellyseerr's 4K requests.
    pub is_4k: bool,
    /// Radarr and Sonarr may have several instances (4K, anime...).
    pub has_instances: bool,
    /// "Radarr", or "Radarr 4k" for an instance.
    pub label: String,
    /// "api key" or "password".
    pub secret_kind: &'static str,
    pub needs_username: bool,
    pub default_port: u16,
    pub enabled: bool,
    pub url: String,
    pub username: Option<String>,
    pub timeout_secs: u64,
    pub secret_set: bool,
}

/// "Reading your library: 340 of 1,000 requests", while first contact with
/// a big library is still reading it over several cycles (`(read, listed)`,
/// [`crate::poller::Poller::first_contact_progress`]): the CLI's stderr,
/// the main window and the tray menu say it in these words.
pub fn first_contact_text(progress: Option<(usize, usize)>) -> Option<String> {
    let (read, listed) = progress?;
    Some(format!(
        "Reading your library: {} of {} requests",
        thousands(read),
        thousands(listed)
    ))
}

/// 1234567 → "1,234,567".
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `@property` names of a `@typedef {Object} NAME` in ui/types.js.
    fn typedef_fields(name: &str) -> Vec<String> {
        let text = include_str!("../ui/types.js");
        let start = text
            .find(&format!("@typedef {{Object}} {name}\n"))
            .unwrap_or_else(|| panic!("ui/types.js has no typedef {name}"));
        text[start..]
            .lines()
            .skip(1)
            .take_while(|l| l.contains("@property"))
            .filter_map(|l| l.split('}').nth(1))
            .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
            .collect()
    }

    fn keys(v: &Value) -> Vec<String> {
        let mut k: Vec<String> = v
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        k.sort();
        k
    }

    fn sorted(mut v: Vec<String>) -> Vec<String> {
        v.sort();
        v
    }

    #[test]
    fn the_ui_types_name_every_field_the_app_sends() {
        let at = chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        let mut records = Records::new();
        records.insert(1, crate::testkit::film(1, Phase::Downloading, at));
        let statuses = [ServiceStatus {
            name: "radarr".into(),
            ok: true,
            error: None,
            error_kind: None,
            error_since: None,
            last_success: Some(at),
            version: Some("5.2.6".into()),
        }];
        let state = MainWindowState::new(
            &records,
            &Medians::default(),
            &statuses,
            &[1],
            Some((1, 2)),
            None,
        );
        let v = serde_json::to_value(&state).unwrap_or_default();
        assert_eq!(keys(&v), sorted(typedef_fields("MainWindowState")));
        assert_eq!(
            keys(&v["requests"][0]),
            sorted(typedef_fields("RequestJson"))
        );
        assert_eq!(
            keys(&v["services"][0]),
            sorted(typedef_fields("ServiceStatus"))
        );
        assert_eq!(
            keys(&v["first_contact"]),
            sorted(typedef_fields("FirstContact"))
        );
        let counts = serde_json::to_value(EpisodeCounts::default()).unwrap_or_default();
        assert_eq!(keys(&counts), sorted(typedef_fields("EpisodeCounts")));

        let timeline = [TimelineEntry {
            at,
            kind: "phase_change".into(),
            from: None,
            to: Some(Phase::Downloading),
            evidence: "Radarr grabbed it".into(),
        }];
        let detail = DetailState {
            request: RequestJson::new(&records[&1], at, &Medians::default()),
            timeline: &timeline,
            episodes: vec![EpisodeJson {
                season: 1,
                number: 1,
                title: None,
                air_date: Some(at),
                phase: Phase::Downloading,
                reason: None,
                progress: None,
            }],
            links: LinksJson {
                jellyfin: false,
                jellyseerr: true,
                arr: true,
            },
            evidence: Some("Radarr grabbed it"),
        };
        let v = serde_json::to_value(&detail).unwrap_or_default();
        assert_eq!(keys(&v), sorted(typedef_fields("DetailState")));
        assert_eq!(
            keys(&v["timeline"][0]),
            sorted(typedef_fields("TimelineEntry"))
        );
        assert_eq!(
            keys(&v["episodes"][0]),
            sorted(typedef_fields("EpisodeJson"))
        );
        assert_eq!(keys(&v["links"]), sorted(typedef_fields("LinksJson")));

        let id = crate::ServiceId::Qbittorrent;
        let settings = ServiceSettings {
            name: id.name().to_string(),
            kind: id.name(),
            instance: None,
            is_4k: false,
            has_instances: false,
            label: id.label().to_string(),
            secret_kind: id.secret_kind(),
            needs_username: id.needs_username(),
            default_port: id.default_port(),
            enabled: false,
            url: String::new(),
            username: None,
            timeout_secs: 10,
            secret_set: false,
        };
        let v = serde_json::to_value(&settings).unwrap_or_default();
        assert_eq!(keys(&v), sorted(typedef_fields("ServiceSettings")));
    }

    #[test]
    fn the_statistics_view_has_the_cli_figures_and_the_fields_the_ui_reads() {
        use crate::tracker::stats::{timings, PhaseChangeAt};
        let at = |min: i64| {
            chrono::DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
                .map(|d| d.with_timezone(&Utc))
                .unwrap_or_default()
                + chrono::Duration::minutes(min)
        };
        let mut records = Records::new();
        records.insert(1, crate::testkit::film(1, Phase::Available, at(0)));
        let mut series = crate::testkit::film(2, Phase::Available, at(0));
        series.media_type = crate::tracker::MediaType::Tv;
        records.insert(2, series);
        let change = |id, min, from, to| PhaseChangeAt {
            request_id: id,
            at: at(min),
            from,
            to,
        };
        let changes = [
            change(1, 1, None, Phase::Downloading),
            change(1, 70, Some(Phase::Downloading), Phase::Available),
            change(2, 1, None, Phase::Approved),
            change(2, 1800, Some(Phase::Approved), Phase::Available),
        ];
        let t = timings(&records, &changes);
        let view = serde_json::to_value(StatisticsJson::new(&t)).unwrap_or_default();
        let mut cli = serde_json::to_value(StatsJson::new(&t)).unwrap_or_default();

        assert_eq!(keys(&view), sorted(typedef_fields("StatisticsJson")));
        assert_eq!(keys(&view["all"]), sorted(typedef_fields("StatsGroupJson")));
        assert_eq!(
            keys(&view["movie"]),
            sorted(typedef_fields("StatisticsGroupJson"))
        );
        assert_eq!(
            keys(&view["movie"]["request_to_available"]),
            sorted(typedef_fields("PercentilesJson"))
        );
        assert_eq!(
            keys(&view["movie"]["phases"]["DOWNLOADING"]),
            sorted(typedef_fields("PhaseStatsJson"))
        );
        assert_eq!(
            keys(&view["movie"]["histogram"][0]),
            sorted(typedef_fields("HistogramBinJson"))
        );

        // The same figures as `stats --json`, group by group.
        for group in ["movie", "tv"] {
            let mut figures = view[group].clone();
            if let Some(o) = figures.as_object_mut() {
                o.remove("histogram");
            }
            assert_eq!(figures, cli[group], "{group}: the CLI's figures");
        }
        if let Some(o) = cli.as_object_mut() {
            o.remove("movie");
            o.remove("tv");
        }
        assert_eq!(view["all"], cli, "all: the CLI's top level");

        // 70 min for the film, 29 h 59 min for the series: the same bins
        // from 1 h to 2 d in both.
        let bins = |g: &str| {
            view[g]["histogram"]
                .as_array()
                .map(|b| {
                    b.iter()
                        .map(|b| (b["from_secs"].as_i64(), b["count"].as_u64()))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        let from = [3_600, 7_200, 14_400, 28_800, 86_400];
        let counts = |c: [u64; 5]| {
            from.iter()
                .zip(c)
                .map(|(f, c)| (Some(*f), Some(c)))
                .collect::<Vec<_>>()
        };
        assert_eq!(bins("movie"), counts([1, 0, 0, 0, 0]));
        assert_eq!(bins("tv"), counts([0, 0, 0, 0, 1]));
        assert_eq!(view["tv"]["histogram"][4]["to_secs"], 172_800);
    }

    #[test]
    fn an_action_result_has_the_fields_the_ui_reads() {
        let outcome = crate::act::ActOutcome {
            request: crate::act::ActRequest {
                jellyseerr_request_id: 42,
                action: crate::tracker::actions::Action::Approve,
                expected_phase: None,
            },
            ok: false,
            sent: true,
            service: Some(crate::ServiceId::Jellyseerr),
            message: "Jellyseerr refused to approve request 42 (404): Request not found.".into(),
        };
        let v = serde_json::to_value(ActionJson::new(&outcome)).unwrap_or_default();
        assert_eq!(keys(&v), sorted(typedef_fields("ActionJson")));
        assert_eq!(v["action"], "approve");
        assert_eq!(v["service"], "jellyseerr");
    }

    #[test]
    fn a_timeline_line_for_scripts_names_its_event_and_phases_only_for_phases() {
        let at = Utc::now();
        let entry = |kind: &str, from, to| TimelineEntry {
            at,
            kind: kind.into(),
            from,
            to,
            evidence: "words".into(),
        };
        let phase = entry(
            "phase_change",
            Some(Phase::Requested),
            Some(Phase::Approved),
        );
        let v = serde_json::to_value(TimelineEventJson::new(&phase)).unwrap_or_default();
        assert_eq!(
            keys(&v),
            sorted(
                ["at", "event", "text", "from", "to"]
                    .map(String::from)
                    .to_vec()
            )
        );
        assert_eq!(
            (v["event"].as_str(), v["from"].as_str()),
            (Some("phase"), Some("REQUESTED"))
        );
        let action = entry("action", None, None);
        let v = serde_json::to_value(TimelineEventJson::new(&action)).unwrap_or_default();
        assert_eq!(
            keys(&v),
            sorted(["at", "event", "text"].map(String::from).to_vec())
        );
        assert_eq!(v["event"], "action");
        let v = serde_json::to_value(TimelineEventJson::new(&entry(
            "episode_available",
            None,
            Some(Phase::Available),
        )))
        .unwrap_or_default();
        assert_eq!(v["event"], "episode");
        assert!(v.get("to").is_none(), "only phase lines carry phases");
    }

    #[test]
    fn thousands_and_the_first_contact_sentence() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(
            first_contact_text(Some((340, 1000))).as_deref(),
            Some("Reading your library: 340 of 1,000 requests")
        );
        assert_eq!(first_contact_text(None), None);
    }
}
