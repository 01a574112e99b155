//! Headless subcommands. They are parsed and run before any GUI code starts,
//! so `status-tracker list` works on a server with no display.
//!
//! Exit codes: 0 success; 1 a `check` found a failing service (or a runtime
//! error); 2 a usage or config error.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use serde::Serialize;
use serde_json::json;

use crate::act::ActRequest;
use crate::config::{self, Config, ConfigError};
use crate::contract::{
    first_contact_text, services_json, ActionJson, Listing, RequestJson, ShowJson, StatsJson,
    TimelineEventJson,
};
use crate::poller::{self, Command, CycleReport, Poller, PollerLock};
use crate::store::{ServiceStatus, Store};
use crate::tracker::actions::Action;
use crate::tracker::{self, Change, Phase, RequestRecord};

/// Follows media requests from Jellyseerr to Jellyfin.
#[derive(Debug, Parser)]
#[command(name = "status-tracker", version, about)]
pub struct Cli {
    /// Config file [default: <OS config dir>/status-tracker/config.toml]
    #[arg(
        long,
        global = true,
        env = "STATUS_TRACKER_CONFIG",
        value_name = "FILE"
    )]
    pub config: Option<PathBuf>,
    /// Data directory (database, logs) [default: <OS data dir>/status-tracker]
    #[arg(
        long,
        global = true,
        env = "STATUS_TRACKER_DATA_DIR",
        value_name = "DIR"
    )]
    pub data_dir: Option<PathBuf>,
    /// Start the desktop app in the tray without opening the main window
    /// (what the login autostart runs)
    #[arg(long)]
    pub hidden: bool,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Test every configured service (version and credentials); exit 1 if any fails.
    Check {
        #[arg(long)]
        json: bool,
    },
    /// Run poll cycles: fetch, reconcile, persist, then print.
    Poll {
        /// Run exactly one cycle (required: the loop is `watch`).
        #[arg(long, required = true)]
        once: bool,
        #[arg(long)]
        json: bool,
    },
    /// Poll in a loop and print one line per phase change; Ctrl-C stops after the current cycle.
    Watch {
        #[arg(long)]
        json: bool,
    },
    /// Print the stored requests.
    List {
        #[arg(long)]
        json: bool,
        /// Only requests in this phase (REQUESTED, APPROVED, GRABBING, DOWNLOADING,
        /// DOWNLOAD_DONE, IMPORTING, ANIME_MATCHING, AVAILABLE, FAILED).
        #[arg(long, value_parser = parse_phase)]
        phase: Option<Phase>,
        /// Include requests deleted in Jellyseerr.
        #[arg(long)]
        include_deleted: bool,
    },
    /// How long requests take: request to available and each phase (p50, p90),
    /// from the app's own timeline.
    Stats {
        #[arg(long)]
        json: bool,
    },
    /// Print one request (by its Jellyseerr request id) and its timeline.
    Show {
        /// The Jellyseerr request id (`jellyseerr_request_id` in `list --json`).
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Approve a pending request in Jellyseerr (as the API key's user, the admin).
    Approve {
        /// The Jellyseerr request id.
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Decline a pending request in Jellyseerr.
    Decline {
        /// The Jellyseerr request id.
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Ask Radarr/Sonarr to search again for what the request still misses.
    Search {
        /// The Jellyseerr request id.
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Remove the request's errored, stalled or failed download from the
    /// *arr's queue and qBittorrent, blocklist its release, and search again.
    Blocklist {
        /// The Jellyseerr request id.
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Run the built-in simulated media stack (six services on 127.0.0.1) until Ctrl-C.
    Sim {
        /// First port; the six services take this one and the next five. 0 = random.
        #[arg(long, default_value_t = 0)]
        port: u16,
        /// Seed the stack with this many requests (mixed films and series, ~20 % active).
        #[arg(long, default_value_t = 0)]
        requests: usize,
        /// Play the demo timeline (all four flows and a failure in about two minutes).
        #[arg(long)]
        demo: bool,
        /// Write a config file for the stack here.
        #[arg(long, value_name = "FILE")]
        write_config: Option<PathBuf>,
    },
    /// Run the tracker against the built-in simulated stack, with its own data dir.
    Demo {
        /// Print phase changes in the terminal instead of opening the app.
        #[arg(long)]
        headless: bool,
    },
}

fn parse_phase(s: &str) -> Result<Phase, String> {
    s.parse().map_err(|e: tracker::UnknownPhase| e.to_string())
}

/// What the command line asks for: a headless command already run (its exit
/// code), or the desktop app, which `lib.rs` starts (the CLI knows nothing
/// of the GUI).
#[derive(Debug)]
pub enum Launch {
    Exit(i32),
    /// The desktop app on the given (or default) config and data dir.
    Gui {
        config: Option<PathBuf>,
        data_dir: Option<PathBuf>,
        hidden: bool,
    },
    /// The desktop app on the built-in simulated stack.
    GuiDemo {
        hidden: bool,
    },
}

/// Parses the command line and runs a headless command, or says which
/// desktop app to start.
pub fn main() -> Launch {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return Launch::Exit(match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => 0,
                _ => 2,
            });
        }
    };
    let Some(command) = cli.command else {
        return Launch::Gui {
            config: cli.config,
            data_dir: cli.data_dir,
            hidden: cli.hidden,
        };
    };
    if let Cmd::Demo { headless: false } = command {
        // The GUI demo runs on Tauri's own runtime.
        return Launch::GuiDemo { hidden: cli.hidden };
    }
    Launch::Exit(headless(cli.config, cli.data_dir, command))
}

/// Runs a headless command. Returns the exit code.
fn headless(config: Option<PathBuf>, data_dir: Option<PathBuf>, command: Cmd) -> i32 {
    let config_path = config.unwrap_or_else(config::default_config_path);
    let data_dir = data_dir.unwrap_or_else(config::default_data_dir);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("status-tracker: cannot start the async runtime: {e}");
            return 1;
        }
    };
    runtime.block_on(async move {
        match command {
            Cmd::Check { json } => check(&config_path, json).await,
            Cmd::Poll { json, .. } => poll_once(&config_path, &data_dir, json).await,
            Cmd::Watch { json } => watch(&config_path, &data_dir, json).await,
            Cmd::List {
                json,
                phase,
                include_deleted,
            } => list(&data_dir, json, phase, include_deleted),
            Cmd::Sim {
                port,
                requests,
                demo,
                write_config,
            } => sim(port, requests, demo, write_config).await,
            Cmd::Demo { headless } => demo(headless).await,
            Cmd::Show { id, json } => show(&data_dir, id, json),
            Cmd::Stats { json } => stats(&data_dir, json),
            Cmd::Approve { id, json } => {
                act(&config_path, &data_dir, Action::Approve, id, json).await
            }
            Cmd::Decline { id, json } => {
                act(&config_path, &data_dir, Action::Decline, id, json).await
            }
            Cmd::Search { id, json } => {
                act(&config_path, &data_dir, Action::Search, id, json).await
            }
            Cmd::Blocklist { id, json } => {
                act(&config_path, &data_dir, Action::Blocklist, id, json).await
            }
        }
    })
}

fn usage_error(msg: impl std::fmt::Display) -> i32 {
    eprintln!("status-tracker: {msg}");
    2
}

/// Loads the config for check/poll/watch: Jellyseerr is required.
fn load_config(path: &Path) -> Result<Config, ConfigError> {
    let c = config::load(path)?;
    if c.jellyseerr.is_none() {
        return Err(ConfigError::NoJellyseerr {
            path: path.to_path_buf(),
        });
    }
    Ok(c)
}

/// Requests in pipeline order, then newest first.
fn sorted<'a>(
    records: impl Iterator<Item = &'a RequestRecord>,
    phase: Option<Phase>,
    include_deleted: bool,
) -> Vec<&'a RequestRecord> {
    let mut v: Vec<_> = records
        .filter(|r| include_deleted || !r.deleted)
        .filter(|r| phase.is_none_or(|p| r.phase == p))
        .collect();
    v.sort_by(|a, b| {
        a.phase
            .cmp(&b.phase)
            .then(b.requested_at.cmp(&a.requested_at))
    });
    v
}

/// Writes `value` as one line of JSON to stdout, as it serializes (a
/// library of 10,000 requests is not built up as a string first).
fn print_json(value: &impl Serialize) -> i32 {
    use std::io::Write;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let written = serde_json::to_writer(&mut out, value)
        .map_err(|e| e.to_string())
        .and_then(|()| {
            writeln!(out)
                .and_then(|()| out.flush())
                .map_err(|e| e.to_string())
        });
    match written {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("status-tracker: cannot write JSON: {e}");
            1
        }
    }
}

fn display_title(r: &RequestRecord) -> String {
    // Control characters from a service never reach the terminal raw.
    let clean: String = r
        .title
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    match r.year {
        Some(y) => format!("{clean} ({y})"),
        None => clean,
    }
}

fn print_table(records: &[&RequestRecord], now: DateTime<Utc>) {
    if records.is_empty() {
        println!("no requests");
        return;
    }
    for r in records {
        let mut detail = String::new();
        if let Some(p) = r.progress.filter(|_| r.phase == Phase::Downloading) {
            detail.push_str(&format!(" {:.0}%", p * 100.0));
            if let Some(eta) = r.eta_secs {
                detail.push_str(&format!(" eta {}", human_secs(eta)));
            }
        }
        if let Some(c) = tracker::episode_counts(r, now) {
            detail.push_str(&format!(
                " eps: grabbed {}/{}, downloaded {}/{}, available {}/{}",
                c.grabbed, c.aired, c.downloaded, c.aired, c.available, c.aired
            ));
        }
        if let Some(reason) = tracker::reconcile::shown_reason(r, now) {
            detail.push_str(&format!(" — {}", reason.replace(char::is_control, " ")));
        }
        let flag = if r.attention && !r.acknowledged {
            "!"
        } else {
            " "
        };
        // The Jellyseerr request id: what `show`, `approve` and the other
        // verbs take.
        println!(
            "{flag}#{:<5} {:<14} {} [{}]{}",
            r.jellyseerr_request_id,
            r.phase.as_str(),
            display_title(r),
            r.requested_by.replace(char::is_control, " "),
            detail
        );
    }
}

fn human_secs(s: i64) -> String {
    match s {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

fn print_services(statuses: &[ServiceStatus]) {
    for s in statuses {
        if s.ok {
            println!("  {:<12} ok", s.name);
        } else {
            let since = s
                .error_since
                .map(|t| format!(" since {}", t.format("%Y-%m-%d %H:%M:%S UTC")))
                .unwrap_or_default();
            println!(
                "  {:<12} DOWN{since}: {}",
                s.name,
                s.error.as_deref().unwrap_or("not polled yet")
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Subcommands
// ---------------------------------------------------------------------------

async fn check(config_path: &Path, json: bool) -> i32 {
    let config = match load_config(config_path) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let results = poller::check_all(&config).await;
    let all_ok = results.iter().all(|r| r.ok);
    if json {
        let services: Vec<_> = results
            .iter()
            .map(|r| json!({"name": r.name, "ok": r.ok, "error": r.error, "version": r.version}))
            .collect();
        let code = print_json(&json!({ "services": services }));
        if code != 0 {
            return code;
        }
    } else {
        for r in &results {
            match (&r.error, &r.version) {
                (None, v) => println!(
                    "{:<12} ok  {}",
                    r.name,
                    v.as_deref().unwrap_or("(version unknown)")
                ),
                (Some(e), _) => println!("{:<12} FAIL  {e}", r.name),
            }
        }
    }
    if all_ok {
        0
    } else {
        1
    }
}

/// Opens the store and the tracker for a poller (taking the data dir's lock).
fn open_tracker(config_path: &Path, data_dir: &Path) -> Result<(Poller, PollerLock), i32> {
    let config = load_config(config_path).map_err(usage_error)?;
    let lock = PollerLock::acquire(data_dir).map_err(usage_error)?;
    let (store, moved) = Store::open_or_recover(data_dir).map_err(|e| {
        eprintln!("status-tracker: {e}");
        1
    })?;
    if let Some(moved) = moved {
        eprintln!("status-tracker: {}", moved.message());
    }
    let tracker = Poller::new(&config, store).map_err(|e| {
        eprintln!("status-tracker: {e}");
        1
    })?;
    Ok((tracker, lock))
}

async fn poll_once(config_path: &Path, data_dir: &Path, json: bool) -> i32 {
    let (mut tracker, _lock) = match open_tracker(config_path, data_dir) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let report = match tracker.cycle(true).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("status-tracker: the cycle could not be saved: {e}");
            return 1;
        }
    };
    if let Err(e) = tracker.save_client_states() {
        eprintln!("status-tracker: the service caches could not be saved: {e}");
    }
    if let Some(line) = progress_line(tracker.first_contact_progress()) {
        eprintln!("status-tracker: {line}");
    }
    let now = Utc::now();
    let statuses = tracker.statuses();
    let records = sorted(tracker.records().values(), None, false);
    if json {
        // One process, one cycle: the clients' counts are this cycle's.
        let per_service: Vec<_> = tracker
            .service_stats()
            .into_iter()
            .map(|(name, requests, bytes)| {
                json!({"name": name, "http_requests": requests, "bytes_received": bytes})
            })
            .collect();
        let medians = tracker.store().phase_medians().unwrap_or_default();
        let requests: Vec<_> = records
            .iter()
            .map(|r| RequestJson::new(r, now, &medians))
            .collect();
        print_json(&Listing {
            requests,
            services: services_json(&statuses),
            cycle: Some(json!({
                "http_requests": report.http_requests,
                "bytes_received": report.bytes_received,
                "duration_ms": report.duration.as_millis() as u64,
                "per_service": per_service,
            })),
        })
    } else {
        print_table(&records, now);
        println!("services:");
        print_services(&statuses);
        println!(
            "cycle: {} HTTP requests, {} bytes, {} ms",
            report.http_requests,
            report.bytes_received,
            report.duration.as_millis()
        );
        0
    }
}

fn list(data_dir: &Path, json: bool, phase: Option<Phase>, include_deleted: bool) -> i32 {
    let store = match Store::open_in(data_dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("status-tracker: {e}");
            return 1;
        }
    };
    let (records, statuses) = match (store.load_records(), store.service_statuses()) {
        (Ok(r), Ok(s)) => (r, s),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("status-tracker: {e}");
            return 1;
        }
    };
    let now = Utc::now();
    let shown = sorted(records.values(), phase, include_deleted);
    if json {
        let medians = store.phase_medians().unwrap_or_default();
        let requests: Vec<_> = shown
            .iter()
            .map(|r| RequestJson::new(r, now, &medians))
            .collect();
        print_json(&Listing {
            requests,
            services: services_json(&statuses),
            cycle: None,
        })
    } else {
        print_table(&shown, now);
        0
    }
}

/// `stats`: how long requests take, from the store's timeline.
fn stats(data_dir: &Path, json: bool) -> i32 {
    let read = Store::open_in(data_dir)
        .and_then(|store| Ok((store.load_records()?, store.phase_changes()?)));
    let (records, changes) = match read {
        Ok(read) => read,
        Err(e) => {
            eprintln!("status-tracker: {e}");
            return 1;
        }
    };
    let timings = tracker::stats::timings(&records, &changes);
    let figures = StatsJson::new(&timings);
    if json {
        return print_json(&figures);
    }
    let human = |s: Option<i64>| s.map_or("-".to_string(), human_secs);
    for (label, g) in [
        ("all", &figures.all),
        ("films", &figures.movie),
        ("series", &figures.tv),
    ] {
        println!(
            "{label}: {} finished; request to available p50 {}, p90 {}",
            g.finished,
            human(g.request_to_available.p50_secs),
            human(g.request_to_available.p90_secs)
        );
        for (phase, p) in &g.phases {
            println!(
                "  {:<14} {:>5} stints  p50 {:>8}  p90 {:>8}",
                phase.as_str(),
                p.count,
                human(p.p50_secs),
                human(p.p90_secs)
            );
        }
    }
    0
}

/// `show ID`: one request and its timeline.
fn show(data_dir: &Path, jellyseerr_request_id: i64, json: bool) -> i32 {
    let store = match Store::open_in(data_dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("status-tracker: {e}");
            return 1;
        }
    };
    let found = store
        .record_by_jellyseerr_id(jellyseerr_request_id)
        .and_then(|r| match r {
            Some(r) => store.timeline(r.id).map(|t| Some((r, t))),
            None => Ok(None),
        });
    let (record, timeline) = match found {
        Ok(Some(found)) => found,
        Ok(None) => {
            eprintln!(
                "status-tracker: no tracked request has Jellyseerr id {jellyseerr_request_id} \
                 (run `status-tracker poll --once` to read Jellyseerr)"
            );
            return 1;
        }
        Err(e) => {
            eprintln!("status-tracker: {e}");
            return 1;
        }
    };
    let now = Utc::now();
    if json {
        return print_json(&ShowJson {
            request: RequestJson::new(&record, now, &store.phase_medians().unwrap_or_default()),
            timeline: timeline.iter().map(TimelineEventJson::new).collect(),
        });
    }
    print_table(&[&record], now);
    for e in &timeline {
        let line = TimelineEventJson::new(e);
        let phases = match (line.from, line.to) {
            (from, Some(to)) => format!(
                " {} -> {}",
                from.map_or("(new)", |p| p.as_str()),
                to.as_str()
            ),
            _ => String::new(),
        };
        println!(
            "  {} {:<7}{phases} {}",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            line.event,
            line.text.replace(char::is_control, " ")
        );
    }
    0
}

/// `approve|decline|search|blocklist ID`: 0 when the service did it, 1 when
/// it refused or could not be asked (its words on stderr, or in the JSON).
async fn act(
    config_path: &Path,
    data_dir: &Path,
    action: Action,
    jellyseerr_request_id: i64,
    json: bool,
) -> i32 {
    let config = match load_config(config_path) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let request = ActRequest {
        jellyseerr_request_id,
        action,
        expected_phase: None,
    };
    let outcome = crate::act::act(&config, data_dir, request).await;
    let code = if outcome.ok { 0 } else { 1 };
    if json {
        let printed = print_json(&ActionJson::new(&outcome));
        return code.max(printed);
    }
    let text = outcome.message.replace(char::is_control, " ");
    if outcome.ok {
        println!("{text}");
    } else {
        eprintln!("status-tracker: {action}: {text}");
    }
    code
}

/// One watch output line per change.
fn change_line(change: &Change, tracker: &Poller, json: bool) -> Option<String> {
    let rec = tracker.records().get(&change.request_id());
    let now = Utc::now();
    if json {
        let medians = tracker.store().phase_medians().unwrap_or_default();
        let request = rec.map(|r| serde_json::to_value(RequestJson::new(r, now, &medians)).ok());
        let v = match change {
            Change::PhaseChanged {
                at,
                from,
                to,
                evidence,
                ..
            } => json!({"type": "phase_change", "at": at, "from": from, "to": to,
                        "evidence": evidence, "request": request}),
            Change::ReasonChanged {
                at, phase, reason, ..
            } => json!({"type": "reason_change", "at": at, "phase": phase,
                        "reason": reason, "request": request}),
            Change::EpisodeAvailable {
                at, season, number, ..
            } => json!({"type": "episode_available", "at": at, "season": season,
                        "episode": number, "request": request}),
        };
        serde_json::to_string(&v).ok()
    } else {
        let title = rec.map(display_title).unwrap_or_default();
        Some(match change {
            Change::PhaseChanged {
                at,
                from,
                to,
                evidence,
                ..
            } => format!(
                "{}  {title}  {} -> {}  {}",
                at.format("%Y-%m-%d %H:%M:%S"),
                from.map_or("new", Phase::as_str),
                to,
                evidence.replace(char::is_control, " ")
            ),
            Change::ReasonChanged {
                at, phase, reason, ..
            } => format!(
                "{}  {title}  {phase}: {}",
                at.format("%Y-%m-%d %H:%M:%S"),
                reason
                    .as_deref()
                    .unwrap_or("(no reason)")
                    .replace(char::is_control, " ")
            ),
            Change::EpisodeAvailable {
                at, season, number, ..
            } => format!(
                "{}  {title}  S{season:02}E{number:02} is watchable",
                at.format("%Y-%m-%d %H:%M:%S")
            ),
        })
    }
}

fn print_report(report: &CycleReport, tracker: &Poller, json: bool) {
    let mut out = std::io::stdout().lock();
    for ev in &report.service_events {
        let line = if json {
            serde_json::to_string(
                &json!({"type": "service", "name": ev.name, "ok": ev.ok, "error": ev.error}),
            )
            .unwrap_or_default()
        } else if ev.ok {
            format!(
                "{}  service {} is back",
                report.at.format("%Y-%m-%d %H:%M:%S"),
                ev.name
            )
        } else {
            format!(
                "{}  service {} is down: {}",
                report.at.format("%Y-%m-%d %H:%M:%S"),
                ev.name,
                ev.error.as_deref().unwrap_or("")
            )
        };
        let _ = writeln!(out, "{line}");
    }
    // No backlog at start: what the first cycle learns of requests it sees
    // for the first time is not news.
    let first_seen: std::collections::HashSet<i64> = report
        .changes
        .iter()
        .filter(|c| matches!(c, Change::PhaseChanged { from: None, .. }))
        .map(Change::request_id)
        .collect();
    for change in &report.changes {
        if report.first && first_seen.contains(&change.request_id()) {
            continue;
        }
        if let Some(line) = change_line(change, tracker, json) {
            let _ = writeln!(out, "{line}");
        }
    }
    let _ = out.flush();
    // Progress goes to stderr, never into the JSON lines.
    if let Some(line) = progress_line(tracker.first_contact_progress()) {
        eprintln!("status-tracker: {line}");
    }
}

/// [`first_contact_text`] as the CLI prints it to stderr.
fn progress_line(progress: Option<(usize, usize)>) -> Option<String> {
    first_contact_text(progress).map(|text| format!("{text} (the next cycles go on)"))
}

async fn watch(config_path: &Path, data_dir: &Path, json: bool) -> i32 {
    let (mut tracker, _lock) = match open_tracker(config_path, data_dir) {
        Ok(t) => t,
        Err(code) => return code,
    };
    run_watch(&mut tracker, json).await
}

async fn run_watch(tracker: &mut Poller, json: bool) -> i32 {
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = tx.send(Command::Stop).await;
        }
        // Keep the sender alive until the loop has stopped.
        std::future::pending::<()>().await;
    });
    let mut failed = false;
    poller::run(
        tracker,
        rx,
        |report, t| print_report(report, t, json),
        |e| {
            eprintln!("status-tracker: a cycle could not be saved: {e}");
            failed = true;
        },
    )
    .await;
    if failed {
        1
    } else {
        0
    }
}

async fn sim(port: u16, requests: usize, demo: bool, write_config: Option<PathBuf>) -> i32 {
    let stack = match if port == 0 {
        crate::sim::SimStack::start().await
    } else {
        crate::sim::SimStack::start_on(port).await
    } {
        Ok(s) => s,
        Err(e) => {
            eprintln!("status-tracker: cannot start the simulated stack: {e}");
            return 1;
        }
    };
    let world = stack.world();
    if requests > 0 {
        if let Err(e) = world.populate(requests, 42) {
            eprintln!("status-tracker: cannot seed the simulated stack: {e}");
            return 1;
        }
    }
    let toml = crate::sim::config_toml(stack.urls());
    if let Some(path) = write_config {
        if let Err(e) = std::fs::write(&path, &toml) {
            eprintln!("status-tracker: cannot write {}: {e}", path.display());
            return 1;
        }
    }
    println!("# simulated stack running; config:\n{toml}");
    println!("# secrets (environment):");
    for (k, v) in crate::sim::sim_env() {
        println!("export {k}={v}");
    }
    if demo {
        crate::sim::demo_world(world.clone()).await;
        let w = world.clone();
        tokio::spawn(async move {
            if let Err(e) = crate::sim::run_timeline(w, crate::sim::demo_timeline(), 1.0).await {
                eprintln!("status-tracker: the demo timeline stopped: {e}");
            }
        });
    }
    let _ = tokio::signal::ctrl_c().await;
    stack.shutdown().await;
    0
}

async fn demo(headless: bool) -> i32 {
    debug_assert!(headless, "the GUI demo is started before the runtime");
    let crate::sim::Demo {
        stack,
        dir,
        config_path,
    } = match crate::sim::Demo::start_4k().await {
        Ok(d) => d,
        Err(e) => {
            eprintln!("status-tracker: {e}");
            return 1;
        }
    };
    let config = match load_config(&config_path) {
        Ok(c) => c,
        Err(e) => return usage_error(e),
    };
    let store = match Store::open_in(&dir) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("status-tracker: {e}");
            return 1;
        }
    };
    let mut tracker = match Poller::new(&config, store) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("status-tracker: {e}");
            return 1;
        }
    };
    println!(
        "demo: simulated stack on {}, data in {} (Ctrl-C to stop)",
        stack.urls().jellyseerr,
        dir.display()
    );
    let code = run_watch(&mut tracker, false).await;
    stack.shutdown().await;
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_contact_progress_is_one_line_for_stderr_and_none_when_done() {
        assert_eq!(
            progress_line(Some((340, 1_000))).as_deref(),
            Some("Reading your library: 340 of 1,000 requests (the next cycles go on)")
        );
        assert_eq!(progress_line(None), None);
    }
}
