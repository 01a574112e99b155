//! First contact with a real-sized library (issue 13). Not a criterion bench:
//! a plain `main` that prints markdown (`tools/bench.sh` puts it in
//! `docs/performance.md`).
//!
//! The real binary (`target/release/status-tracker`, or `STATUS_TRACKER_BIN`)
//! against the simulated stack holding `n` requests (`SimWorld::populate`:
//! films and series, 10 % anime, ~80 % available, the rest spread over the
//! pipeline, each with the phase it is in):
//!
//! 1. `poll --once --json` from an empty data dir, then again and again as
//!    cron runs it: per run its wall time, peak RSS, HTTP requests per
//!    service (counted by each simulated server), bytes received (counted by
//!    the client), the requests shown in a wrong phase, and the progress line.
//! 2. `watch` (the long-running poller) from an empty data dir: the time
//!    until `list --json` shows every request in its phase, and the peak RSS
//!    of the process over that time and a minute after.
//!
//! `cargo bench --bench first_contact` runs 1,000 and 10,000 requests;
//! `-- --quick` runs 1,000 only.

use std::collections::HashMap;
use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;
use status_tracker_lib::contract::thousands;
use status_tracker_lib::sim::{config_toml, sim_env, Service, SimStack, SimWorld};
use status_tracker_lib::tracker::Phase;

type Res<T> = Result<T, Box<dyn Error>>;

/// How many `poll --once` runs at most, and how many after all were right.
const MAX_RUNS: usize = 8;
const STEADY_RUNS: usize = 2;
/// The long-running poller gets this long to be right, then a minute more.
const WATCH_LIMIT: Duration = Duration::from_secs(6 * 60);

fn binary() -> PathBuf {
    std::env::var_os("STATUS_TRACKER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release/status-tracker"))
}

struct Setup {
    stack: SimStack,
    world: SimWorld,
    truth: HashMap<u64, Phase>,
    dir: tempfile::TempDir,
}

impl Setup {
    async fn new(n: usize) -> Res<Setup> {
        let world = SimWorld::new();
        let truth = world.populate(n, 42)?.into_iter().collect();
        let stack = SimStack::start_with(world.clone(), None).await?;
        let dir = tempfile::tempdir()?;
        std::fs::write(dir.path().join("config.toml"), config_toml(stack.urls()))?;
        Ok(Setup {
            stack,
            world,
            truth,
            dir,
        })
    }

    fn command(
        &self,
        data: &Path,
        args: &[&str],
        rss_file: Option<&Path>,
    ) -> tokio::process::Command {
        let mut cmd = match rss_file {
            // GNU time writes the peak RSS (KB) to its own file.
            Some(f) => {
                let mut c = tokio::process::Command::new("/usr/bin/time");
                c.arg("-f").arg("%M").arg("-o").arg(f).arg(binary());
                c
            }
            None => tokio::process::Command::new(binary()),
        };
        cmd.arg("--config")
            .arg(self.dir.path().join("config.toml"))
            .arg("--data-dir")
            .arg(data)
            .args(args)
            .env_remove("STATUS_TRACKER_CONFIG")
            .env_remove("STATUS_TRACKER_DATA_DIR")
            .kill_on_drop(true);
        for (k, v) in sim_env() {
            cmd.env(k, v);
        }
        cmd
    }

    fn served(&self) -> Vec<u64> {
        Service::ALL
            .iter()
            .map(|s| self.world.requests_served(*s))
            .collect()
    }

    /// Requests of `listed` (the CLI's `requests` array) in a wrong phase.
    fn wrong(&self, listed: &Value) -> usize {
        let shown: HashMap<u64, &str> = listed
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| {
                        Some((r["jellyseerr_request_id"].as_u64()?, r["phase"].as_str()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        self.truth
            .iter()
            .filter(|(id, p)| shown.get(id).copied() != Some(p.to_string().as_str()))
            .count()
    }
}

fn peak_rss_mb(f: &Path) -> f64 {
    std::fs::read_to_string(f)
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse::<f64>().ok()))
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

struct Run {
    wall: Duration,
    rss_mb: f64,
    served: Vec<u64>,
    kb: f64,
    /// KB each service sent, as the client counted it (`cycle.per_service`),
    /// in `Service::ALL` order.
    kb_per_service: Vec<f64>,
    wrong: usize,
    progress: Option<String>,
}

/// `poll --once` from an empty data dir until every request is right, then
/// `STEADY_RUNS` more.
async fn poll_runs(s: &Setup) -> Res<Vec<Run>> {
    let data = s.dir.path().join("poll-data");
    let rss = s.dir.path().join("rss");
    let mut runs = Vec::new();
    let mut right_at = None;
    for i in 0..MAX_RUNS {
        let before = s.served();
        let started = Instant::now();
        let out = s
            .command(&data, &["poll", "--once", "--json"], Some(&rss))
            .output()
            .await?;
        let wall = started.elapsed();
        if !out.status.success() {
            return Err(format!(
                "poll --once failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        let json: Value = serde_json::from_slice(&out.stdout)?;
        let served: Vec<u64> = s.served().iter().zip(&before).map(|(a, b)| a - b).collect();
        let run = Run {
            wall,
            rss_mb: peak_rss_mb(&rss),
            served,
            kb: json["cycle"]["bytes_received"].as_f64().unwrap_or(f64::NAN) / 1024.0,
            kb_per_service: Service::ALL
                .iter()
                .map(|svc| {
                    json["cycle"]["per_service"]
                        .as_array()
                        .and_then(|a| a.iter().find(|p| p["name"] == svc.name()))
                        .and_then(|p| p["bytes_received"].as_f64())
                        .map_or(0.0, |b| b / 1024.0)
                })
                .collect(),
            wrong: s.wrong(&json["requests"]),
            progress: String::from_utf8_lossy(&out.stderr)
                .lines()
                .find(|l| l.contains("Reading your library"))
                .map(|l| l.trim_start_matches("status-tracker: ").to_string()),
        };
        if run.wrong == 0 && right_at.is_none() {
            right_at = Some(i);
        }
        runs.push(run);
        if right_at.is_some_and(|r| i >= r + STEADY_RUNS) {
            break;
        }
    }
    Ok(runs)
}

struct Watch {
    right_after: Option<Duration>,
    rss_mb: f64,
    served: Vec<u64>,
    steady_served: Vec<u64>,
    steady_secs: f64,
    /// Each service's largest cycle in the steady minute (HTTP requests).
    cycles: Vec<u64>,
}

/// `watch` from an empty data dir: time until `list --json` shows every
/// request right; then a minute of steady polling.
async fn watch(s: &Setup) -> Res<Watch> {
    let data = s.dir.path().join("watch-data");
    let rss = s.dir.path().join("watch-rss");
    let before = s.served();
    let started = Instant::now();
    let mut child = s
        .command(&data, &["watch", "--json"], Some(&rss))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let mut right_after = None;
    while started.elapsed() < WATCH_LIMIT {
        tokio::time::sleep(Duration::from_secs(2)).await;
        let out = s.command(&data, &["list", "--json"], None).output().await?;
        if !out.status.success() {
            continue; // no database yet
        }
        let listed: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        let listed = listed.get("requests").cloned().unwrap_or(listed);
        if s.wrong(&listed) == 0 {
            right_after = Some(started.elapsed());
            break;
        }
    }
    let served: Vec<u64> = s.served().iter().zip(&before).map(|(a, b)| a - b).collect();
    let steady_start = s.served();
    let t = Instant::now();
    let cycles = largest_cycles(s, Duration::from_secs(60)).await;
    let steady_served: Vec<u64> = s
        .served()
        .iter()
        .zip(&steady_start)
        .map(|(a, b)| a - b)
        .collect();
    let steady_secs = t.elapsed().as_secs_f64();
    // Ctrl-C: the poller finishes its cycle and exits; time then reports.
    if let Some(pid) = child.id() {
        let _ = std::process::Command::new("pkill")
            .arg("-INT")
            .arg("-P")
            .arg(pid.to_string())
            .status();
    }
    let _ = tokio::time::timeout(Duration::from_secs(60), child.wait()).await;
    Ok(Watch {
        right_after,
        rss_mb: peak_rss_mb(&rss),
        served,
        steady_served,
        steady_secs,
        cycles,
    })
}

/// Each service's largest cycle over `span`: the servers' counts sampled
/// every 100 ms, a cycle being the requests a service received with no
/// pause of a second or more between them (the poller asks a service at
/// most every 5 s).
async fn largest_cycles(s: &Setup, span: Duration) -> Vec<u64> {
    let start = Instant::now();
    let mut last = s.served();
    let mut quiet_since = vec![Instant::now(); last.len()];
    let mut current = vec![0_u64; last.len()];
    let mut largest = vec![0_u64; last.len()];
    while start.elapsed() < span {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = s.served();
        for i in 0..now.len() {
            let got = now[i] - last[i];
            if got > 0 {
                if quiet_since[i].elapsed() >= Duration::from_secs(1) {
                    current[i] = 0;
                }
                current[i] += got;
                largest[i] = largest[i].max(current[i]);
                quiet_since[i] = Instant::now();
            }
        }
        last = now;
    }
    largest
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "pass"
    } else {
        "**miss**"
    }
}

#[tokio::main]
async fn main() -> Res<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    if !binary().exists() {
        return Err(format!(
            "{} not found: build it (cargo build --release) or set STATUS_TRACKER_BIN",
            binary().display()
        )
        .into());
    }
    let sizes: &[usize] = if quick { &[1_000] } else { &[1_000, 10_000] };
    // What the binary holds doing nothing: the floor under every RSS below.
    let dir = tempfile::tempdir()?;
    let floor = dir.path().join("rss");
    std::process::Command::new("/usr/bin/time")
        .args(["-f", "%M", "-o"])
        .arg(&floor)
        .arg(binary())
        .arg("--version")
        .stdout(std::process::Stdio::null())
        .status()?;
    let floor_mb = peak_rss_mb(&floor);
    let names: Vec<&str> = Service::ALL.iter().map(|s| s.name()).collect();

    println!("### First contact with a library\n");
    println!("The release binary against the simulated stack holding n requests (films and series, 10 % anime, ~80 % available, the rest spread over the pipeline). *poll --once*: one process per run from an empty data dir, run back to back as cron would run it, until every request is shown in its phase, then {STEADY_RUNS} more. HTTP requests as each simulated server counted them; KB received as the client counted them; *wrong*: requests shown in another phase than the one they are in. *watch*: the long-running poller from an empty data dir, `list --json` every 2 s until every request is right, then a minute of steady polling; peak RSS over all of it. RSS counts the pages of the shared libraries the binary links (WebKitGTK and its dependencies, for the desktop app): `status-tracker --version` alone peaks at {floor_mb:.0} MB.\n");
    let mut targets: Vec<(String, String, bool)> = Vec::new();
    for &n in sizes {
        eprintln!("first-contact bench: {n} requests, poll --once");
        let s = Setup::new(n).await?;
        let runs = poll_runs(&s).await?;
        println!("#### {} requests, `poll --once`\n", thousands(n));
        println!(
            "| run | wall | peak RSS | {} | total | KB | wrong | progress |",
            names.join(" | ")
        );
        println!(
            "|---:|---:|---:|{}---:|---:|---:|---|",
            "---:|".repeat(names.len())
        );
        let mut until_right = Duration::ZERO;
        let mut right = None;
        for (i, r) in runs.iter().enumerate() {
            if right.is_none() {
                until_right += r.wall;
                if r.wrong == 0 {
                    right = Some(i + 1);
                }
            }
            println!(
                "| {} | {:.2} s | {:.0} MB | {} | {} | {:.0} | {} | {} |",
                i + 1,
                r.wall.as_secs_f64(),
                r.rss_mb,
                r.served
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(" | "),
                r.served.iter().sum::<u64>(),
                r.kb,
                r.wrong,
                r.progress.as_deref().unwrap_or("")
            );
        }
        println!();
        println!("KB received per service in those runs:\n");
        println!("| run | {} |", names.join(" | "));
        println!("|---:|{}", "---:|".repeat(names.len()));
        for (i, r) in runs.iter().enumerate() {
            println!(
                "| {} | {} |",
                i + 1,
                r.kb_per_service
                    .iter()
                    .map(|kb| format!("{kb:.0}"))
                    .collect::<Vec<_>>()
                    .join(" | ")
            );
        }
        println!();
        let first = &runs[0];
        let steady_max = runs
            .iter()
            .skip(2)
            .map(|r| r.served.iter().sum::<u64>())
            .max();
        if n == 1_000 {
            targets.push((
                "1,000: the first `poll --once` finishes within 30 s with every request in its phase".into(),
                format!("{:.2} s, {} wrong", first.wall.as_secs_f64(), first.wrong),
                first.wall < Duration::from_secs(30) && first.wrong == 0,
            ));
            targets.push((
                "1,000: a steady `poll --once` ≤ 15 HTTP requests".into(),
                steady_max.map_or("no steady run".into(), |m| {
                    format!("{m} (largest from run 3 on)")
                }),
                steady_max.is_some_and(|m| m <= 15),
            ));
        }
        targets.push((
            format!(
                "{}: `poll --once` back to back until every request is right",
                thousands(n)
            ),
            match right {
                Some(k) => format!("{k} run(s), {:.1} s", until_right.as_secs_f64()),
                None => format!("not right after {} runs", runs.len()),
            },
            right.is_some(),
        ));

        eprintln!("first-contact bench: {n} requests, watch");
        let w = watch(&s).await?;
        println!("#### {} requests, `watch`\n", thousands(n));
        println!("| measure | {} | total |", names.join(" | "));
        println!("|---|{}---:|", "---:|".repeat(names.len()));
        let row = |label: &str, v: &[u64]| {
            println!(
                "| {label} | {} | {} |",
                v.iter().map(u64::to_string).collect::<Vec<_>>().join(" | "),
                v.iter().sum::<u64>()
            )
        };
        row("HTTP requests until right", &w.served);
        row(
            &format!("HTTP requests in the next {:.0} s", w.steady_secs),
            &w.steady_served,
        );
        println!(
            "| largest cycle in those seconds | {} | |",
            w.cycles
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(" | ")
        );
        println!(
            "\nEvery request right after: {}; peak RSS: {:.0} MB.\n",
            w.right_after
                .map_or("never (within the limit)".into(), |d| format!(
                    "{:.1} s",
                    d.as_secs_f64()
                )),
            w.rss_mb
        );
        targets.push((
            format!(
                "{}: `watch` right for every request within 5 min",
                thousands(n)
            ),
            w.right_after.map_or("not within 6 min".into(), |d| {
                format!("{:.1} s", d.as_secs_f64())
            }),
            w.right_after.is_some_and(|d| d <= Duration::from_secs(300)),
        ));
        if n == 1_000 {
            let (worst, name) = w
                .cycles
                .iter()
                .zip(&names)
                .max_by_key(|(c, _)| **c)
                .map_or((0, ""), |(c, n)| (*c, *n));
            targets.push((
                "1,000: the long-running steady cycle ≤ 2 HTTP requests per service".into(),
                format!("{worst} ({name}, its largest cycle)"),
                worst <= 2,
            ));
        }
        if n == 10_000 {
            targets.push((
                "10,000: peak RSS of the headless poller < 150 MB".into(),
                format!("{:.0} MB", w.rss_mb),
                w.rss_mb < 150.0,
            ));
        }
        s.stack.shutdown().await;
    }
    println!("| target | measured | result |");
    println!("|---|---|---|");
    for (t, m, ok) in &targets {
        println!("| {t} | {m} | {} |", verdict(*ok));
    }
    println!();
    Ok(())
}
