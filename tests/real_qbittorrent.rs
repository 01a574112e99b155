//! The qBittorrent client and the tracker against a REAL qBittorrent
//! (Debian's qbittorrent-nox 4.5.x): two instances started by
//! `tools/qbittorrent.sh`, A seeding and B downloading over 127.0.0.1.
//!
//! The instances are found through the `STATUS_TRACKER_TEST_QBT_*` variables
//! that `tools/qbittorrent.sh` writes (`tools/test.sh` exports them). Without
//! them every test here prints a note and passes without checking anything,
//! so a bare `cargo test` works on a machine with no qBittorrent.
//!
//! Login rules respected here: the only wrong-password logins go to instance
//! A, which bans after 100 failures (not 5); the client itself stops after two.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Poll, Stack};
use serde_json::Value;
use status_tracker_lib::config::ServiceConfig;
use status_tracker_lib::secrets::Secret;
use status_tracker_lib::services::qbittorrent::QbittorrentClient;
use status_tracker_lib::services::{ErrorKind, HttpStats};
use status_tracker_lib::sim::{config_toml, sim_env, SimUrls, SIM_RADARR_API_KEY};
use status_tracker_lib::tracker::TorrentState;

/// The two running instances, from the environment.
#[derive(Debug, Clone)]
struct Real {
    a: String,
    b: String,
    a_peer: u16,
    username: String,
    password: String,
    /// A's WebUI session timeout.
    session_timeout: Duration,
    /// Scratch space both instances can read (torrent data, .torrent files).
    dir: PathBuf,
}

/// The instances, or `None` (with a note on stderr) when they are not running.
fn real(test: &str) -> Option<Real> {
    let var = |k: &str| std::env::var(format!("STATUS_TRACKER_TEST_QBT_{k}")).ok();
    let found = (|| {
        Some(Real {
            a: var("A")?,
            b: var("B")?,
            a_peer: var("A_PEER")?.parse().ok()?,
            username: var("USERNAME")?,
            password: var("PASSWORD")?,
            session_timeout: Duration::from_secs(var("SESSION_TIMEOUT")?.parse().ok()?),
            dir: PathBuf::from(var("DIR")?),
        })
    })();
    if found.is_none() {
        eprintln!(
            "SKIPPED {test}: no real qBittorrent (STATUS_TRACKER_TEST_QBT_* unset; \
             tools/test.sh starts two with tools/qbittorrent.sh)"
        );
    }
    found
}

fn config(url: &str, username: &str) -> ServiceConfig {
    ServiceConfig {
        name: "qbittorrent".into(),
        instance: None,
        is_4k: false,
        url: url.parse().unwrap(),
        username: Some(username.into()),
        timeout: Duration::from_secs(5),
        ca_file: None,
    }
}

fn client(url: &str, r: &Real, password: &str) -> (QbittorrentClient, std::sync::Arc<HttpStats>) {
    let stats = HttpStats::new();
    let c = QbittorrentClient::new(
        &config(url, &r.username),
        Secret::new(password),
        stats.clone(),
    )
    .unwrap();
    (c, stats)
}

/// A plain WebUI session used to set the scene (add, pause, delete torrents),
/// independent of the client under test. Logs in again once on 403 (A's
/// sessions expire after a few idle seconds).
struct Web {
    http: reqwest::Client,
    base: String,
    username: String,
    password: String,
}

impl Web {
    async fn new(base: &str, r: &Real) -> Web {
        status_tracker_lib::services::install_tls_provider();
        let web = Web {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
            base: base.trim_end_matches('/').to_string(),
            username: r.username.clone(),
            password: r.password.clone(),
        };
        web.login().await;
        web
    }

    async fn login(&self) {
        let res = self
            .http
            .post(format!("{}/api/v2/auth/login", self.base))
            .form(&[("username", &self.username), ("password", &self.password)])
            .send()
            .await
            .unwrap();
        let body = res.text().await.unwrap();
        assert_eq!(body, "Ok.", "the test login to {} works", self.base);
    }

    async fn send(&self, post: bool, path: &str, params: &[(&str, String)]) -> (u16, String) {
        for attempt in 0..2 {
            let url = format!("{}/api/v2/{path}", self.base);
            let req = if post {
                self.http.post(url).form(params)
            } else {
                self.http.get(url).query(params)
            };
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let body = res.text().await.unwrap();
            if status == 403 && attempt == 0 {
                self.login().await;
                continue;
            }
            return (status, body);
        }
        unreachable!()
    }

    async fn post(&self, path: &str, params: &[(&str, String)]) -> String {
        let (status, body) = self.send(true, path, params).await;
        assert_eq!(status, 200, "POST {path} {params:?}: {body}");
        body
    }

    async fn get_json(&self, path: &str, params: &[(&str, String)]) -> Value {
        let (status, body) = self.send(false, path, params).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    /// The torrents/info entry of one hash, if listed.
    async fn torrent(&self, hash: &str) -> Option<Value> {
        let list = self
            .get_json("torrents/info", &[("hashes", hash.to_string())])
            .await;
        list.as_array().and_then(|a| a.first().cloned())
    }

    /// Adds a .torrent file by its local path (4.5's `urls` takes paths too).
    async fn add(&self, torrent: &Path, save_path: Option<&Path>, dl_limit: Option<u64>) {
        let mut params = vec![("urls", torrent.display().to_string())];
        if let Some(p) = save_path {
            params.push(("savepath", p.display().to_string()));
        }
        if let Some(l) = dl_limit {
            params.push(("dlLimit", l.to_string()));
        }
        let body = self.post("torrents/add", &params).await;
        assert_eq!(body, "Ok.", "torrents/add accepted {}", torrent.display());
    }

    /// Waits until `hash` is listed and `done` holds for it.
    async fn wait_for(&self, hash: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(t) = self.torrent(hash).await {
                if done(&t) {
                    return t;
                }
                assert!(Instant::now() < deadline, "{what}: last seen {t}");
            } else {
                assert!(Instant::now() < deadline, "{what}: {hash} never listed");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// Generated content and its .torrent, under a fresh folder of the shared dir.
struct Payload {
    name: String,
    data_dir: PathBuf,
    torrent: PathBuf,
    size: u64,
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{prefix}.{nanos:x}.{:04x}", fastrand::u16(..))
}

/// `size` bytes of random data in one file named `name.mkv`, and a v1
/// .torrent with 32 KiB pieces made by `mktorrent`.
fn payload(r: &Real, name: &str, size: usize) -> Payload {
    let name = unique(name);
    let folder = r.dir.join("payloads").join(&name);
    let data_dir = folder.join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let file_name = format!("{name}.mkv");
    let mut bytes = vec![0u8; size];
    let mut rng = fastrand::Rng::new();
    rng.fill(&mut bytes);
    std::fs::write(data_dir.join(&file_name), &bytes).unwrap();
    let torrent = folder.join(format!("{name}.torrent"));
    let out = std::process::Command::new("mktorrent")
        .args(["-l", "15", "-n", &file_name, "-o"])
        .arg(&torrent)
        .arg(data_dir.join(&file_name))
        .output()
        .expect("mktorrent runs (tools/setup.sh installs it)");
    assert!(
        out.status.success(),
        "mktorrent made the torrent: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Payload {
        name: file_name,
        data_dir,
        torrent,
        size: size as u64,
    }
}

/// Seeds a payload from A (rechecked there, so it is complete) and returns
/// its hash as qBittorrent reports it.
async fn seed_on_a(a: &Web, p: &Payload) -> String {
    a.add(&p.torrent, Some(&p.data_dir), None).await;
    let deadline = Instant::now() + Duration::from_secs(30);
    let hash = loop {
        let list = a.get_json("torrents/info", &[]).await;
        let found = list.as_array().and_then(|l| {
            l.iter()
                .find(|t| t["name"] == p.name.as_str())
                .and_then(|t| t["hash"].as_str().map(str::to_string))
        });
        if let Some(h) = found {
            break h;
        }
        assert!(Instant::now() < deadline, "A lists {}", p.name);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    a.wait_for(&hash, "A has the whole payload to seed", |t| {
        t["progress"].as_f64() == Some(1.0)
    })
    .await;
    hash
}

// ---------------------------------------------------------------------------
// The client against the real WebUI API
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_succeeds_and_reports_the_real_version() {
    let Some(r) = real("login_succeeds_and_reports_the_real_version") else {
        return;
    };
    for url in [&r.a, &r.b] {
        let (mut c, stats) = client(url, &r, &r.password);
        let info = c
            .test_connection()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let version = info.version.unwrap_or_default();
        assert!(
            version.starts_with("v4.") || version.starts_with("v5."),
            "app/version is the plain-text release, e.g. v4.5.2: {version:?}"
        );
        assert_eq!(stats.requests(), 2, "one login, one API call");
        eprintln!("real qBittorrent at {url}: {version}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_is_a_clear_error_and_is_not_retried_into_a_ban() {
    let Some(r) = real("a_wrong_password_is_a_clear_error_and_is_not_retried_into_a_ban") else {
        return;
    };
    let (mut bad, stats) = client(&r.a, &r, "not-the-password");
    let err = bad.fetch().await.expect_err("a wrong password fails");
    assert_eq!(err.kind, ErrorKind::Unauthorized, "{}", err.message);
    assert_eq!(
        err.message, "qBittorrent rejected the username or password",
        "4.5 answers 200 `Fails.`, which the client must read as a wrong password"
    );
    assert_eq!(stats.requests(), 1, "one login and no API call after it");

    bad.fetch().await.expect_err("still wrong");
    assert_eq!(stats.requests(), 2, "the next cycle may try once more");
    let err = bad.fetch().await.expect_err("still wrong");
    assert_eq!(
        stats.requests(),
        2,
        "after two wrong answers the client stops sending logins (qBittorrent bans after a few)"
    );
    assert!(
        err.message
            .contains("not trying again until the credentials change"),
        "{}",
        err.message
    );

    let (mut good, _) = client(&r.a, &r, &r.password);
    good.fetch()
        .await
        .expect("the right password still works: the runner was not banned");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_session_is_renewed_with_exactly_one_login() {
    let Some(r) = real("an_expired_session_is_renewed_with_exactly_one_login") else {
        return;
    };
    let (mut c, stats) = client(&r.a, &r, &r.password);
    c.fetch().await.expect("first fetch logs in");
    assert_eq!(stats.requests(), 2, "login + sync/maindata");
    // A's WebUI\SessionTimeout is a few seconds of inactivity.
    tokio::time::sleep(r.session_timeout + Duration::from_millis(1500)).await;
    let before = stats.requests();
    c.fetch()
        .await
        .expect("after expiry the client logs in again and retries");
    assert_eq!(
        stats.requests() - before,
        3,
        "the refused call (403), one login and one retry"
    );
    let before = stats.requests();
    c.fetch().await.expect("the renewed session is used");
    assert_eq!(
        stats.requests() - before,
        1,
        "no login while the session lives"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maindata_full_update_then_deltas_then_removal_agree_with_torrents_info() {
    let Some(r) = real("maindata_full_update_then_deltas_then_removal_agree_with_torrents_info")
    else {
        return;
    };
    let b = Web::new(&r.b, &r).await;

    // The raw protocol first: rid 0 is a full update, the returned rid a delta.
    let full = b.get_json("sync/maindata", &[("rid", "0".into())]).await;
    assert_eq!(full["full_update"], true, "rid 0 gives a full update");
    assert!(
        full["torrents"].is_object(),
        "torrents keyed by hash: {full}"
    );
    let rid = full["rid"].as_i64().expect("a numeric rid");
    let delta = b
        .get_json("sync/maindata", &[("rid", rid.to_string())])
        .await;
    assert!(
        delta.get("full_update").is_none(),
        "a delta carries no full_update key at all: {delta}"
    );

    // The client follows an unseeded torrent on B (no peers: it stalls at 0).
    let p = payload(&r, "Sync.Probe", 256 * 1024);
    let (mut c, stats) = client(&r.b, &r, &r.password);
    c.fetch().await.unwrap();
    b.add(&p.torrent, None, None).await;
    let info = b
        .wait_for_name(&p.name)
        .await
        .expect("torrents/info lists the new torrent");
    let hash = info["hash"].as_str().unwrap().to_string();
    assert_eq!(
        hash,
        hash.to_ascii_lowercase(),
        "qBittorrent's hash is lower-case hex"
    );
    assert_eq!(
        info["infohash_v1"],
        hash.as_str(),
        "a v1 torrent's id is its v1 hash"
    );

    let seen = c.fetch().await.unwrap();
    let t = seen
        .torrents
        .get(&hash)
        .unwrap_or_else(|| panic!("the delta adds the new torrent: {:?}", seen.torrents.keys()));
    assert_eq!(t.name, p.name);
    assert_eq!(t.size, p.size as i64, "size from the delta's full object");
    assert!(t.progress < 1.0, "nobody seeds it");

    b.post("torrents/pause", &[("hashes", hash.clone())]).await;
    b.wait_for(&hash, "B pauses it", |t| t["state"] == "pausedDL")
        .await;
    let seen = c.fetch().await.unwrap();
    let t = &seen.torrents[&hash];
    assert_eq!(
        t.state,
        TorrentState::StoppedDownload,
        "4.5's pausedDL arrives in a delta"
    );
    assert_eq!(t.name, p.name, "keys absent from the delta are kept");
    assert_eq!(t.size, p.size as i64);

    b.post(
        "torrents/delete",
        &[("hashes", hash.clone()), ("deleteFiles", "true".into())],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.torrent(&hash).await.is_some() {
        assert!(Instant::now() < deadline, "B deletes it");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let seen = c.fetch().await.unwrap();
    assert!(
        !seen.torrents.contains_key(&hash),
        "torrents_removed removes it from the listing"
    );
    assert_eq!(
        stats.requests(),
        5,
        "one login and four sync/maindata calls: no re-login, no extra full sync"
    );
}

impl Web {
    /// The torrents/info entry whose name is `name` (waits until listed).
    async fn wait_for_name(&self, name: &str) -> Option<Value> {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let list = self.get_json("torrents/info", &[]).await;
            if let Some(t) = list
                .as_array()
                .and_then(|l| l.iter().find(|t| t["name"] == name))
            {
                return Some(t.clone());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        None
    }
}

// ---------------------------------------------------------------------------
// The tracker (CLI) with the simulated stack, except qBittorrent = real B
// ---------------------------------------------------------------------------

const PASSWORD_VAR: &str = "STATUS_TRACKER_QBITTORRENT_PASSWORD";

/// A simulated stack whose config sends qBittorrent calls to real B.
async fn stack_with_real_b(r: &Real) -> Stack {
    let s = Stack::start().await;
    let urls = SimUrls {
        qbittorrent: r.b.clone(),
        ..s.sim.urls().clone()
    };
    let toml = config_toml(&urls).replace(
        "username = \"admin\"\n\n[shoko]",
        &format!("username = \"{}\"\n\n[shoko]", r.username),
    );
    std::fs::write(&s.config, toml).unwrap();
    s
}

/// One `poll --once --json` with the sim's secrets and B's password.
async fn poll(s: &Stack, r: &Real) -> Poll {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_status-tracker"));
    cmd.arg("--config")
        .arg(&s.config)
        .arg("--data-dir")
        .arg(s.data_dir())
        .args(["poll", "--once", "--json"])
        .env_remove("STATUS_TRACKER_CONFIG")
        .env_remove("STATUS_TRACKER_DATA_DIR")
        .kill_on_drop(true);
    for (k, v) in sim_env() {
        cmd.env(k, v);
    }
    cmd.env(PASSWORD_VAR, &r.password);
    let out = cmd.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "poll --once exits 0: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let p = Poll(serde_json::from_str(stdout.trim()).unwrap());
    assert_eq!(
        p.service("qbittorrent")["ok"],
        true,
        "the real qBittorrent answers the tracker: {}",
        p.service("qbittorrent")
    );
    p
}

/// A film requested, approved and grabbed in the sim with `hash` (Radarr's
/// queue item carries `downloadId` = the hash upper-cased).
fn grabbed_film(s: &Stack, tmdb: u64, hash: &str, title: &str, size: u64) -> u64 {
    let w = s.world();
    w.add_movie(tmdb, title, 2024, false);
    let id = w.request_movie(tmdb, "alice").unwrap();
    w.approve(id).unwrap();
    w.grab_movie(tmdb, hash, title, size).unwrap();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_download_is_followed_from_downloading_to_download_done() {
    let Some(r) = real("a_real_download_is_followed_from_downloading_to_download_done") else {
        return;
    };
    let a = Web::new(&r.a, &r).await;
    let b = Web::new(&r.b, &r).await;
    let p = payload(&r, "Real.Film.2024.1080p", 4 * 1024 * 1024);
    let hash = seed_on_a(&a, &p).await;

    let s = stack_with_real_b(&r).await;
    let id = grabbed_film(&s, 900_001, &hash, &p.name, p.size);
    status_tracker_lib::services::install_tls_provider();
    let queue: Value = reqwest::Client::new()
        .get(format!("{}/api/v3/queue", s.sim.urls().radarr))
        .query(&[("pageSize", "50")])
        .header("X-Api-Key", SIM_RADARR_API_KEY)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        queue["records"][0]["downloadId"],
        hash.to_uppercase().as_str(),
        "Radarr's queue item carries the real hash upper-cased: {queue}"
    );

    // B downloads it from A only, throttled to 512 KiB/s (about 8 s).
    b.add(&p.torrent, None, Some(512 * 1024)).await;
    b.wait_for(&hash, "B lists the torrent", |_| true).await;
    let peer = format!("127.0.0.1:{}", r.a_peer);
    let added = b
        .post(
            "torrents/addPeers",
            &[("hashes", hash.clone()), ("peers", peer)],
        )
        .await;
    assert!(added.contains("\"added\":1"), "addPeers took A: {added}");

    let deadline = Instant::now() + Duration::from_secs(40);
    let mut downloading: Vec<f64> = Vec::new();
    let mut phases: Vec<String> = Vec::new();
    let last = loop {
        let poll = poll(&s, &r).await;
        let phase = poll.phase(id);
        if phases.last() != Some(&phase) {
            phases.push(phase.clone());
        }
        if phase == "DOWNLOADING" {
            downloading.push(poll.request(id)["progress"].as_f64().unwrap_or(-1.0));
        }
        if phase == "DOWNLOAD_DONE" {
            break poll;
        }
        assert!(
            Instant::now() < deadline,
            "the download finishes in time; phases {phases:?}, progress {downloading:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    eprintln!("phases {phases:?}, progress while downloading {downloading:?}");
    assert_eq!(
        phases,
        ["DOWNLOADING", "DOWNLOAD_DONE"],
        "a grabbed film goes DOWNLOADING then DOWNLOAD_DONE"
    );
    assert!(
        downloading.windows(2).all(|w| w[0] <= w[1]),
        "progress never goes back: {downloading:?}"
    );
    let partial: Vec<f64> = downloading
        .iter()
        .copied()
        .filter(|p| *p > 0.0 && *p < 1.0)
        .collect();
    assert!(
        !partial.is_empty() && downloading.first() < downloading.last(),
        "progress is seen rising between 0 and 1 (it can only come from real B, the sim's \
         Radarr queue says 0): {downloading:?}"
    );
    assert_eq!(last.reason(id), "waiting for Radarr to import");
    assert_eq!(last.request(id)["attention"], false);
    b.post(
        "torrents/delete",
        &[("hashes", hash.clone()), ("deleteFiles", "true".into())],
    )
    .await;
    a.post(
        "torrents/delete",
        &[("hashes", hash), ("deleteFiles", "false".into())],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pausing_then_deleting_mid_download_keeps_the_phase_and_needs_attention() {
    let Some(r) = real("pausing_then_deleting_mid_download_keeps_the_phase_and_needs_attention")
    else {
        return;
    };
    let a = Web::new(&r.a, &r).await;
    let b = Web::new(&r.b, &r).await;
    let p = payload(&r, "Paused.Film.2024.1080p", 8 * 1024 * 1024);
    let hash = seed_on_a(&a, &p).await;
    let s = stack_with_real_b(&r).await;
    let id = grabbed_film(&s, 900_002, &hash, &p.name, p.size);

    // Slow enough (128 KiB/s) that it is surely paused half-way.
    b.add(&p.torrent, None, Some(128 * 1024)).await;
    b.wait_for(&hash, "B lists the torrent", |_| true).await;
    b.post(
        "torrents/addPeers",
        &[
            ("hashes", hash.clone()),
            ("peers", format!("127.0.0.1:{}", r.a_peer)),
        ],
    )
    .await;
    b.wait_for(&hash, "B starts receiving", |t| {
        t["progress"].as_f64().is_some_and(|p| p > 0.0)
    })
    .await;
    let running = poll(&s, &r).await;
    assert_eq!(running.phase(id), "DOWNLOADING");

    b.post("torrents/pause", &[("hashes", hash.clone())]).await;
    let paused = b
        .wait_for(&hash, "B pauses it", |t| t["state"] == "pausedDL")
        .await;
    assert!(
        paused["progress"].as_f64().unwrap_or(1.0) < 1.0,
        "paused mid-way: {paused}"
    );
    let poll_paused = poll(&s, &r).await;
    assert_eq!(
        poll_paused.phase(id),
        "DOWNLOADING",
        "pausing keeps the phase"
    );
    assert_eq!(poll_paused.reason(id), "paused in qBittorrent");
    assert_eq!(
        poll_paused.request(id)["attention"],
        true,
        "a paused download needs a person"
    );

    b.post(
        "torrents/delete",
        &[("hashes", hash.clone()), ("deleteFiles", "true".into())],
    )
    .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.torrent(&hash).await.is_some() {
        assert!(Instant::now() < deadline, "B deletes it");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Radarr still lists the download until its next queue refresh (a minute).
    let removed = poll(&s, &r).await;
    assert_eq!(
        removed.phase(id),
        "DOWNLOADING",
        "a removal keeps the phase"
    );
    assert_eq!(removed.reason(id), "removed from qBittorrent");
    assert_eq!(
        removed.request(id)["attention"],
        true,
        "a torrent removed mid-way needs a person"
    );
    a.post(
        "torrents/delete",
        &[("hashes", hash), ("deleteFiles", "false".into())],
    )
    .await;
}

// ---------------------------------------------------------------------------
// The captured 4.5.2 answers (tests/fixtures/qbittorrent/*.qbt452.json),
// checked without a running qBittorrent
// ---------------------------------------------------------------------------

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/qbittorrent")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

const CAPTURED: &str = "9b5ff2f14635f22ebf2e675ae6fa2693f41b7f4e";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_replays_a_captured_real_sync_sequence() {
    use axum::routing::{get, post};
    use std::sync::{Arc, Mutex};
    let answers = Arc::new(Mutex::new(vec![
        fixture("sync-maindata-full.qbt452.json"),
        fixture("sync-maindata-delta-downloading.qbt452.json"),
        fixture("sync-maindata-delta-paused.qbt452.json"),
        fixture("sync-maindata-delta-removed.qbt452.json"),
    ]));
    let router = axum::Router::new()
        .route(
            "/api/v2/auth/login",
            post(|| async {
                (
                    [(
                        "set-cookie",
                        "SID=captured; HttpOnly; path=/; SameSite=Strict",
                    )],
                    "Ok.",
                )
            }),
        )
        .route(
            "/api/v2/sync/maindata",
            get(move || {
                let answers = answers.clone();
                async move { axum::Json(answers.lock().unwrap().remove(0)) }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let stats = HttpStats::new();
    let mut c =
        QbittorrentClient::new(&config(&url, "admin"), Secret::new("x"), stats.clone()).unwrap();

    let full = c.fetch().await.unwrap();
    let t = &full.torrents[CAPTURED];
    assert_eq!(
        t.state,
        TorrentState::Queued,
        "4.5 lists a just-added torrent as checkingResumeData"
    );
    assert_eq!(t.size, 4_194_304);
    assert_eq!(t.name, "Capture.Film.2024.1080p.mkv");

    let t = c.fetch().await.unwrap().torrents[CAPTURED].clone();
    assert_eq!(t.state, TorrentState::Downloading);
    assert_eq!(t.progress, 0.15625, "the delta's progress is merged");
    assert_eq!(t.eta_secs, Some(105));
    assert_eq!(
        t.name, "Capture.Film.2024.1080p.mkv",
        "kept from the full update"
    );

    let t = c.fetch().await.unwrap().torrents[CAPTURED].clone();
    assert_eq!(t.state, TorrentState::StoppedDownload, "4.5's pausedDL");
    assert_eq!(t.eta_secs, None, "8640000 is no ETA");
    assert_eq!(t.progress, 0.15625, "progress kept from the previous delta");

    let gone = c.fetch().await.unwrap();
    assert!(
        gone.torrents.is_empty(),
        "torrents_removed empties the listing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_serves_what_a_real_4_5_2_serves() {
    use status_tracker_lib::sim::{SimStack, SIM_QBITTORRENT_PASSWORD};
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.add_movie(900_003, "Sim Film", 2024, false);
    w.grab_movie(900_003, CAPTURED, "Sim.Film.2024.1080p", 4_194_304)
        .unwrap();
    w.set_progress(CAPTURED, 0.25, 100_000).unwrap();
    let base = stack.urls().qbittorrent.clone();
    status_tracker_lib::services::install_tls_provider();
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = http
        .post(format!("{base}/api/v2/auth/login"))
        .form(&[
            ("username", "admin"),
            ("password", SIM_QBITTORRENT_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        login.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split_once(';')
            .map(|x| x.1),
        Some(" HttpOnly; path=/; SameSite=Strict"),
        "cookie attributes as 4.5.2 sends them"
    );
    let get = |path: &str| {
        let req = http.get(format!("{base}/api/v2/{path}"));
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };

    let real = fixture("torrents-info-downloading.qbt452.json");
    let sim = get("torrents/info").await;
    let keys = |v: &Value| {
        v[0].as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>()
    };
    let missing: Vec<_> = keys(&real).difference(&keys(&sim)).cloned().collect();
    assert!(
        missing.is_empty(),
        "the sim's torrent has every field 4.5.2 sends; missing {missing:?}"
    );
    assert_eq!(
        sim[0]["completion_on"], 0,
        "4.5 sends 0 (not -1) before completion, as the capture shows"
    );
    assert_eq!(real[0]["completion_on"], 0);

    for _ in 0..2 {
        let full = get("sync/maindata?rid=0").await;
        assert_eq!(full["full_update"], true);
        assert_eq!(
            full["rid"], 1,
            "rid 0 restarts the count at 1, as the real server does"
        );
    }
    let real_full = fixture("sync-maindata-full.qbt452.json");
    assert_eq!(real_full["rid"], 1);
    stack.shutdown().await;
}
