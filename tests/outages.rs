//! Outages: each service in turn, and all at once, refusing connections,
//! hanging, answering 500 or 401, for 1, 10 (and once 100) cycles, while five
//! films sit in DOWNLOADING, DOWNLOAD_DONE, IMPORTING, ANIME_MATCHING and
//! AVAILABLE. The poller runs in-process (`Poller::cycle`), against the
//! simulated stack.
//!
//! Properties: during the outage nothing moves (backwards or otherwise),
//! nothing becomes FAILED, no reason changes; the failing service's status is
//! `ok = false` with its error and an `error_since` fixed at the first failed
//! cycle; its polls back off exponentially up to a cap; one cycle after it is
//! back, everything is current. qBittorrent renews an expired session with one
//! login, and never retries a wrong password into the IP ban.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Once;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use status_tracker_lib::config::{self, Config};
use status_tracker_lib::poller::Poller;
use status_tracker_lib::secrets::Secret;
use status_tracker_lib::services::qbittorrent::QbittorrentClient;
use status_tracker_lib::services::{ErrorKind, HttpStats};
use status_tracker_lib::sim::{self, FailureMode, Service, ShokoState, SimStack, SimWorld};
use status_tracker_lib::store::{ServiceStatus, Store};
use status_tracker_lib::tracker::Phase;

const DOWNLOADING: u64 = 101;
const DOWNLOAD_DONE: u64 = 102;
const IMPORTING: u64 = 103;
const ANIME_MATCHING: u64 = 104;
const AVAILABLE: u64 = 105;
const FILMS: [u64; 5] = [
    DOWNLOADING,
    DOWNLOAD_DONE,
    IMPORTING,
    ANIME_MATCHING,
    AVAILABLE,
];

/// The torrent hash of a film of this file.
fn hash(tmdb: u64) -> String {
    format!("{tmdb:040x}")
}

/// The secrets of the sim, set once per test process (same values in every
/// test, so tests running in parallel never see different ones).
fn sim_secrets() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for (k, v) in sim::sim_env() {
            std::env::set_var(k, v);
        }
    });
}

/// Which services an outage takes down.
#[derive(Debug, Clone, Copy)]
enum Target {
    One(Service),
    All,
}

impl Target {
    fn services(self) -> Vec<Service> {
        match self {
            Target::One(s) => vec![s],
            Target::All => Service::ALL.to_vec(),
        }
    }

    fn every() -> Vec<Target> {
        let mut v: Vec<Target> = Service::ALL.iter().map(|s| Target::One(*s)).collect();
        v.push(Target::All);
        v
    }
}

/// A sim stack, a tracker polling it in-process, and the Jellyseerr request
/// ids of the five films.
struct Rig {
    stack: SimStack,
    _dir: tempfile::TempDir,
    tracker: Poller,
    requests: BTreeMap<u64, u64>,
}

/// Config for the sim, every service with a 1 s request timeout.
fn sim_config(stack: &SimStack, dir: &Path, extra: &str) -> Config {
    let text = format!("{extra}\n{}", sim::config_toml(stack.urls()));
    let mut c = config::parse(&text, &dir.join("config.toml")).expect("the sim config parses");
    for s in [
        &mut c.jellyseerr,
        &mut c.qbittorrent,
        &mut c.shoko,
        &mut c.jellyfin,
    ]
    .into_iter()
    .flatten()
    .chain(c.radarr.iter_mut())
    .chain(c.sonarr.iter_mut())
    {
        s.timeout = Duration::from_secs(1);
    }
    c
}

/// Five films, one in each of the phases an outage interrupts.
fn populate(w: &SimWorld) -> BTreeMap<u64, u64> {
    let mut ids = BTreeMap::new();
    for tmdb in FILMS {
        let anime = tmdb == ANIME_MATCHING;
        w.add_movie(tmdb, &format!("Film {tmdb}"), 2024, anime);
        let id = w.request_movie(tmdb, "alice").unwrap();
        w.approve(id).unwrap();
        let h = hash(tmdb);
        w.grab_movie(tmdb, &h, &format!("Film.{tmdb}.2024.1080p"), 4_000_000_000)
            .unwrap();
        match tmdb {
            DOWNLOADING => w.set_progress(&h, 0.4, 2_000_000).unwrap(),
            DOWNLOAD_DONE => w.complete_download(&h).unwrap(),
            IMPORTING | ANIME_MATCHING => {
                w.complete_download(&h).unwrap();
                w.import(&h).unwrap();
            }
            _ => {
                w.complete_download(&h).unwrap();
                w.import(&h).unwrap();
                w.jellyfin_add_movie(tmdb).unwrap();
            }
        }
        ids.insert(tmdb, id);
    }
    ids
}

/// The next step of each film's story, and the phase it leads to.
fn advance(w: &SimWorld) -> BTreeMap<u64, Phase> {
    w.complete_download(&hash(DOWNLOADING)).unwrap();
    w.import(&hash(DOWNLOAD_DONE)).unwrap();
    w.jellyfin_add_movie(IMPORTING).unwrap();
    w.shoko_set_download(&hash(ANIME_MATCHING), ShokoState::Matched { anidb_id: 112 })
        .unwrap();
    w.jellyfin_add_movie(ANIME_MATCHING).unwrap();
    BTreeMap::from([
        (DOWNLOADING, Phase::DownloadDone),
        (DOWNLOAD_DONE, Phase::Importing),
        (IMPORTING, Phase::Available),
        (ANIME_MATCHING, Phase::Available),
        (AVAILABLE, Phase::Available),
    ])
}

impl Rig {
    async fn start() -> Rig {
        sim_secrets();
        let stack = SimStack::start().await.unwrap();
        let requests = populate(&stack.world());
        let dir = tempfile::tempdir().unwrap();
        let config = sim_config(&stack, dir.path(), "");
        let store = Store::open_in(&dir.path().join("data")).unwrap();
        let tracker = Poller::new(&config, store).unwrap();
        Rig {
            stack,
            _dir: dir,
            tracker,
            requests,
        }
    }

    /// (phase, reason) of each film, by TMDB id.
    fn state(&self) -> BTreeMap<u64, (Phase, Option<String>)> {
        self.requests
            .iter()
            .map(|(tmdb, seerr)| {
                let r = self
                    .tracker
                    .records()
                    .values()
                    .find(|r| r.jellyseerr_request_id == *seerr as i64)
                    .unwrap_or_else(|| panic!("film {tmdb} is tracked"));
                (*tmdb, (r.phase, r.reason.clone()))
            })
            .collect()
    }

    fn status(&self, s: Service) -> ServiceStatus {
        self.tracker
            .statuses()
            .into_iter()
            .find(|x| x.name == s.name())
            .unwrap_or_else(|| panic!("{} has a status", s.name()))
    }

    fn stored_status(&self, s: Service) -> ServiceStatus {
        self.tracker
            .store()
            .service_statuses()
            .unwrap()
            .into_iter()
            .find(|x| x.name == s.name())
            .unwrap_or_else(|| panic!("{} has a stored status", s.name()))
    }
}

/// Runs one outage and checks every property; `cycles` failed cycles.
async fn outage(target: Target, mode: FailureMode, cycles: usize) {
    let ctx = format!("{target:?} {mode:?} x{cycles}");
    let mut rig = Rig::start().await;
    rig.tracker.cycle(true).await.unwrap();
    let before = rig.state();
    assert_eq!(
        before.values().map(|(p, _)| *p).collect::<Vec<_>>(),
        [
            Phase::Downloading,
            Phase::DownloadDone,
            Phase::Importing,
            Phase::AnimeMatching,
            Phase::Available
        ],
        "the five films start in the five phases: {before:?}"
    );
    let w = rig.stack.world();
    for s in target.services() {
        w.set_mode(s, mode);
    }
    let mut first_failure: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    for cycle in 0..cycles {
        let report = rig.tracker.cycle(true).await.unwrap();
        let now = rig.state();
        for (tmdb, (phase, reason)) in &now {
            let (p0, r0) = &before[tmdb];
            assert_eq!(
                phase, p0,
                "{ctx} cycle {cycle}: an outage never moves a request (film {tmdb})"
            );
            assert_ne!(
                *phase,
                Phase::Failed,
                "{ctx}: missing data never makes FAILED"
            );
            assert_eq!(reason, r0, "{ctx} cycle {cycle}: nor changes its reason");
        }
        for s in target.services() {
            let st = rig.status(s);
            assert!(!st.ok, "{ctx}: {} is reported down", s.name());
            let error = st.error.clone().unwrap_or_default();
            assert!(
                !error.is_empty(),
                "{ctx}: {} says what failed: {st:?}",
                s.name()
            );
            let since = st.error_since.expect("error_since is set while down");
            let first = *first_failure.entry(s.name()).or_insert(report.at);
            assert_eq!(
                since,
                first,
                "{ctx}: {} is down since its first failed cycle, kept across cycles",
                s.name()
            );
            let stored = rig.stored_status(s);
            assert!(
                !stored.ok
                    && stored.error == st.error
                    && stored.error_since.map(|t| t.timestamp_millis())
                        == Some(first.timestamp_millis()),
                "{ctx}: the stored status is the live one: {stored:?} vs {st:?}"
            );
        }
    }
    for s in target.services() {
        w.set_mode(s, FailureMode::Up);
        listening(&rig.stack, s).await;
    }
    let expected = advance(&w);
    rig.tracker.cycle(true).await.unwrap();
    let qbit_locked_out = mode == FailureMode::Unauthorized
        && cycles >= 2
        && target.services().contains(&Service::Qbittorrent);
    for s in Service::ALL {
        let st = rig.status(s);
        if qbit_locked_out && s == Service::Qbittorrent {
            // Deliberate: two rejected logins and qBittorrent is not tried
            // again until the credentials change (its IP ban is worse).
            assert!(!st.ok, "{ctx}: {st:?}");
            assert!(
                st.error.unwrap_or_default().contains("credentials change"),
                "{ctx}: the lock-out says why"
            );
            continue;
        }
        assert!(
            st.ok,
            "{ctx}: one cycle after the outage {} is ok: {st:?}",
            s.name()
        );
        assert!(st.error.is_none() && st.error_since.is_none(), "{st:?}");
    }
    if qbit_locked_out {
        return;
    }
    let after = rig.state();
    for (tmdb, phase) in expected {
        assert_eq!(
            after[&tmdb].0, phase,
            "{ctx}: one cycle after the outage film {tmdb} is current: {after:?}"
        );
    }
}

/// Waits until a service that was `Refused` listens again (the sim binds
/// its port again asynchronously).
async fn listening(stack: &SimStack, s: Service) {
    let url: url::Url = stack.urls().of(s).parse().unwrap();
    let addr = format!("127.0.0.1:{}", url.port().unwrap());
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(&addr).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{s:?} listens again");
}

async fn every_target(mode: FailureMode, cycles: usize) {
    for target in Target::every() {
        outage(target, mode, cycles).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connections_for_1_and_10_cycles() {
    every_target(FailureMode::Refused, 1).await;
    every_target(FailureMode::Refused, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_500_for_1_and_10_cycles() {
    every_target(FailureMode::Status500, 1).await;
    every_target(FailureMode::Status500, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthorized_for_1_and_10_cycles() {
    every_target(FailureMode::Unauthorized, 1).await;
    every_target(FailureMode::Unauthorized, 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_past_the_timeout_for_1_cycle_everywhere_and_10_for_qbittorrent_and_all() {
    let started = Instant::now();
    every_target(FailureMode::Hang, 1).await;
    outage(Target::One(Service::Qbittorrent), FailureMode::Hang, 10).await;
    outage(Target::All, FailureMode::Hang, 10).await;
    // 7 + 20 hung cycles with a 1 s request timeout: none may wait for the
    // 15 s per-cycle deadline, let alone forever.
    assert!(
        started.elapsed() < Duration::from_secs(27 * 6),
        "hung services cost about their timeout per cycle: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_500_for_100_cycles_on_qbittorrent() {
    outage(
        Target::One(Service::Qbittorrent),
        FailureMode::Status500,
        100,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_service_is_polled_with_exponential_backoff_up_to_a_cap() {
    sim_secrets();
    for svc in Service::ALL {
        // Every cadence is 300 s (also the backoff cap), so the earliest due
        // poll is the failing service's; the five films give every service
        // something to read.
        let stack = SimStack::start().await.unwrap();
        populate(&stack.world());
        let dir = tempfile::tempdir().unwrap();
        let config = sim_config(
            &stack,
            dir.path(),
            "[poll]\ndownloading_secs = 300\nactive_secs = 300\njellyseerr_secs = 300\nidle_secs = 300\n",
        );
        let mut t = Poller::new(&config, Store::open_in(dir.path()).unwrap()).unwrap();
        t.cycle(true).await.unwrap();
        let w = stack.world();
        w.set_mode(svc, FailureMode::Refused);
        let mut last = Duration::ZERO;
        for failures in 1..=9u32 {
            t.cycle(true).await.unwrap();
            let wait = t.next_due().saturating_duration_since(Instant::now());
            let nominal = (5.0 * 2f64.powi(failures as i32 - 1)).min(300.0);
            assert!(
                wait.as_secs_f64() >= nominal * 0.8 - 1.0 && wait.as_secs_f64() <= nominal * 1.2,
                "{svc:?}: after {failures} failures the next poll is in ~{nominal} s ±20 %: {wait:?}"
            );
            if nominal < 300.0 {
                assert!(
                    failures == 1 || wait > last,
                    "{svc:?}: the wait grows with each failure"
                );
            }
            last = wait;
            // A timed cycle right now leaves the failing service alone.
            let served = w.requests_served(svc);
            let report = t.cycle(false).await.unwrap();
            assert!(
                !report.polled.iter().any(|p| p == svc.name()),
                "{svc:?}: a backed-off service is not polled before its time: {:?}",
                report.polled
            );
            assert_eq!(w.requests_served(svc), served);
        }
        assert!(
            last <= Duration::from_secs(360),
            "{svc:?}: the backoff is capped at idle_secs (+20 % jitter): {last:?}"
        );
        w.set_mode(svc, FailureMode::Up);
        listening(&stack, svc).await;
        t.cycle(true).await.unwrap();
        let wait = t.next_due().saturating_duration_since(Instant::now());
        assert!(
            wait > Duration::from_secs(290),
            "{svc:?}: once back, the normal (idle) cadence resumes: {wait:?}"
        );
        stack.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qbittorrent_expired_session_is_renewed_with_one_login_per_cycle() {
    let mut rig = Rig::start().await;
    let w = rig.stack.world();
    w.set_qb_session_timeout(Duration::from_millis(300));
    rig.tracker.cycle(true).await.unwrap();
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = w.requests_served(Service::Qbittorrent);
        rig.tracker.cycle(true).await.unwrap();
        assert!(
            rig.status(Service::Qbittorrent).ok,
            "the session is renewed"
        );
        assert_eq!(
            w.requests_served(Service::Qbittorrent) - before,
            3,
            "an expired session costs exactly one 403, one login and one retry"
        );
    }
}

fn qbit_client(stack: &SimStack, password: &str) -> QbittorrentClient {
    let dir = Path::new("/nonexistent");
    let config = sim_config(stack, dir, "");
    QbittorrentClient::new(
        config.qbittorrent.as_ref().unwrap(),
        Secret::new(password),
        HttpStats::new(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_qbittorrent_password_is_reported_and_never_retried_into_the_ban() {
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    let mut wrong = qbit_client(&stack, "not-the-password");
    for cycle in 0..200 {
        let err = wrong.fetch().await.expect_err("a wrong password fails");
        assert_eq!(err.kind, ErrorKind::Unauthorized, "cycle {cycle}: {err}");
        assert!(
            err.message.contains("username or password"),
            "the message says what to fix: {}",
            err.message
        );
        assert_ne!(err.kind, ErrorKind::Banned, "never banned");
    }
    let logins = w.requests_served(Service::Qbittorrent);
    assert!(
        logins < 5,
        "200 cycles with a wrong password send fewer logins than the 5 that get the IP banned: {logins}"
    );
    let mut right = qbit_client(&stack, sim::SIM_QBITTORRENT_PASSWORD);
    right
        .fetch()
        .await
        .expect("the IP is not banned: the right password still works");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_once_runs_from_cron_with_a_wrong_qbittorrent_password_never_reach_the_ban() {
    let stack = SimStack::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, sim::config_toml(stack.urls())).unwrap();
    for run in 0..8 {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_status-tracker"));
        cmd.arg("--config")
            .arg(&config)
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["poll", "--once", "--json"])
            .kill_on_drop(true);
        for (k, v) in sim::sim_env() {
            cmd.env(k, v);
        }
        cmd.env("STATUS_TRACKER_QBITTORRENT_PASSWORD", "not-the-password");
        let out = cmd.output().await.unwrap();
        assert!(out.status.success(), "run {run}: {out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let qbit = v["services"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == "qbittorrent"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(qbit["ok"], false, "run {run}: {qbit}");
        assert!(
            qbit["error"]
                .as_str()
                .is_some_and(|e| e.contains("username or password")),
            "run {run}: the wrong password is reported: {qbit}"
        );
    }
    let mut right = qbit_client(&stack, sim::SIM_QBITTORRENT_PASSWORD);
    right.fetch().await.expect(
        "8 cron runs with a wrong password did not get the IP banned (qBittorrent bans after 5)",
    );
}
