//! qBittorrent (WebUI API v2, 4.x and 5.x): cookie login and the incremental
//! `sync/maindata` feed merged into a complete torrent listing.
//!
//! Login rules, to stay clear of qBittorrent's IP ban (5 failures → 1 hour):
//! at most one login attempt per call; an API call answering 403 logs in once
//! and is retried once; after two consecutive wrong-password answers the
//! client stops logging in until it is rebuilt with new credentials.
//! No Origin/Referer header is sent (qBittorrent's CSRF check passes then).

use std::collections::HashMap;
use std::sync::Arc;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::http::{Answer, Http};
use super::login_guard::LoginGuard;
use super::{ErrorKind, HttpStats, ServiceError, ServiceInfo};
use crate::config::ServiceConfig;
use crate::secrets::Secret;
use crate::tracker::model::{QbitData, Torrent, TorrentState};

/// qBittorrent's "unknown ETA" (100 days).
const MAX_ETA: i64 = 8_640_000;
/// ETAs beyond a year are nonsense.
const ETA_LIMIT_SECS: i64 = 365 * 24 * 3600;

/// `sync/maindata`: `full_update` is present only when true; torrent values
/// carry no hash and, in a delta, only the changed keys.
#[derive(Debug, Deserialize)]
pub(crate) struct MainData {
    #[serde(default)]
    pub rid: Option<i64>,
    #[serde(default)]
    pub full_update: Option<bool>,
    #[serde(default)]
    pub torrents: Option<HashMap<String, TorrentFields>>,
    #[serde(default)]
    pub torrents_removed: Option<Vec<String>>,
}

/// The keys of a torrent object [`to_torrent`] reads. qBittorrent sends some
/// fifty per torrent; only these are kept (a library of 10,000 torrents
/// held whole is tens of megabytes).
const TORRENT_KEYS: [&str; 9] = [
    "name",
    "progress",
    "state",
    "dlspeed",
    "eta",
    "size",
    "amount_left",
    "infohash_v1",
    "infohash_v2",
];

/// One torrent object of `sync/maindata` (whole, or the keys that changed),
/// reduced to [`TORRENT_KEYS`] as it is parsed; values are kept as sent, so
/// that [`to_torrent`] reads them leniently.
#[derive(Debug, Default)]
pub(crate) struct TorrentFields(pub Map<String, Value>);

impl<'de> Deserialize<'de> for TorrentFields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = TorrentFields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a torrent object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<TorrentFields, A::Error> {
                let mut out = Map::new();
                while let Some(key) = m.next_key::<String>()? {
                    if TORRENT_KEYS.contains(&key.as_str()) {
                        out.insert(key, m.next_value()?);
                    } else {
                        m.next_value::<serde::de::IgnoredAny>()?;
                    }
                }
                Ok(TorrentFields(out))
            }
        }
        d.deserialize_map(Fields)
    }
}

/// Folds 4.x and 5.x state names; anything else is `Unknown`.
pub(crate) fn torrent_state(s: &str) -> TorrentState {
    match s {
        "downloading" | "forcedDL" => TorrentState::Downloading,
        "stalledDL" => TorrentState::Stalled,
        "pausedDL" | "stoppedDL" => TorrentState::StoppedDownload,
        "queuedDL" | "checkingDL" | "checkingResumeData" | "allocating" | "queuedForChecking" => {
            TorrentState::Queued
        }
        "metaDL" | "forcedMetaDL" => TorrentState::FetchingMetadata,
        "moving" => TorrentState::Moving,
        "uploading" | "stalledUP" | "queuedUP" | "forcedUP" | "pausedUP" | "stoppedUP"
        | "checkingUP" => TorrentState::Completed,
        "error" => TorrentState::Error,
        "missingFiles" => TorrentState::MissingFiles,
        other => TorrentState::Unknown(other.to_string()),
    }
}

/// `eta` leniently: 8640000, negative or over a year is unknown.
pub(crate) fn eta_secs(v: Option<&Value>) -> Option<i64> {
    let secs = v?.as_f64()?;
    if !secs.is_finite() || secs < 0.0 || secs > ETA_LIMIT_SECS as f64 {
        return None;
    }
    let secs = secs as i64;
    (secs != MAX_ETA).then_some(secs)
}

fn int(v: Option<&Value>) -> i64 {
    v.and_then(|v| v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)))
        .unwrap_or(0)
}

fn nonempty_string(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|s| s.to_ascii_lowercase())
}

/// One torrent object into the snapshot type.
pub(crate) fn to_torrent(hash: &str, t: &Map<String, Value>) -> Torrent {
    let mut torrent = Torrent {
        hash: hash.to_ascii_lowercase(),
        infohash_v1: None,
        infohash_v2: None,
        name: String::new(),
        progress: 0.0,
        state: torrent_state("unknown"),
        dlspeed: 0,
        eta_secs: None,
        size: 0,
        amount_left: 0,
    };
    update_torrent(&mut torrent, t);
    torrent
}

/// Applies the keys of a torrent object (whole, or a delta's changed keys)
/// to a torrent: each field of [`Torrent`] is read from one key, so a key
/// absent from a delta leaves its field as it was.
pub(crate) fn update_torrent(torrent: &mut Torrent, t: &Map<String, Value>) {
    for (key, v) in t {
        let v = Some(v);
        match key.as_str() {
            "name" => torrent.name = v.and_then(Value::as_str).unwrap_or_default().to_string(),
            "progress" => {
                torrent.progress = v
                    .and_then(Value::as_f64)
                    .filter(|p| p.is_finite())
                    .unwrap_or(0.0)
                    .clamp(0.0, 1.0)
            }
            "state" => {
                torrent.state = torrent_state(v.and_then(Value::as_str).unwrap_or("unknown"))
            }
            "dlspeed" => torrent.dlspeed = int(v).max(0),
            "eta" => torrent.eta_secs = eta_secs(v),
            "size" => torrent.size = int(v).max(0),
            "amount_left" => torrent.amount_left = int(v).max(0),
            "infohash_v1" => torrent.infohash_v1 = nonempty_string(v),
            "infohash_v2" => torrent.infohash_v2 = nonempty_string(v),
            _ => {}
        }
    }
}

/// What one login said.
enum Login {
    Ok,
    WrongPassword,
}

/// The wrong-password lock-out kept between runs.
#[derive(serde::Serialize, serde::Deserialize)]
struct LockoutState {
    username: String,
    wrong_passwords: u32,
    locked_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// A qBittorrent client: its session, sync cursor and torrent cache.
#[derive(Debug)]
pub struct QbittorrentClient {
    http: Http,
    username: String,
    password: Secret,
    logged_in: bool,
    /// No login after repeated wrong passwords (`login_guard.rs`).
    guard: LoginGuard,
    rid: i64,
    /// Every torrent by lower-case hash, with each delta applied as it came
    /// (held typed: ~50 keys of JSON per torrent kept as sent were most of
    /// the client's memory at 10,000 torrents).
    torrents: Arc<HashMap<String, Torrent>>,
}

impl QbittorrentClient {
    /// Nothing of the sync state is kept: it belongs to the login session
    /// (`null` is saved when there is no lock-out).
    ///
    /// What is kept is the wrong-password lock-out, so that `poll --once` run
    /// from cron does not log in once per run into qBittorrent's IP ban. It
    /// lasts an hour (qBittorrent's ban length), or until the Settings window
    /// saves a new credential (which clears this state).
    pub fn saved(&self) -> impl serde::Serialize {
        let (wrong_passwords, locked_since) = self.guard.saved();
        self.guard.any_rejected().then(|| LockoutState {
            username: self.username.clone(),
            wrong_passwords,
            locked_since,
        })
    }

    /// Restores what [`Self::saved`] kept (for the same user only).
    pub fn restore_state(&mut self, json: &str) {
        if let Ok(s) = serde_json::from_str::<LockoutState>(json) {
            if s.username == self.username {
                self.guard.restore(s.wrong_passwords, s.locked_since);
            }
        }
    }

    /// Builds the client (username from `cfg.username`); nothing is sent yet.
    pub fn new(
        cfg: &ServiceConfig,
        password: Secret,
        stats: Arc<HttpStats>,
    ) -> Result<Self, ServiceError> {
        let username = cfg.username.clone().ok_or_else(|| {
            ServiceError::new(
                &cfg.name,
                ErrorKind::Config,
                "no qBittorrent username configured (set username in the [qbittorrent] section)",
            )
        })?;
        Ok(Self {
            http: Http::new(cfg, "qBittorrent", HeaderMap::new(), true, stats)?,
            username,
            password,
            logged_in: false,
            guard: LoginGuard::stopping(),
            rid: 0,
            torrents: Arc::default(),
        })
    }

    /// Logs in (once) and reads `GET /api/v2/app/version`.
    pub async fn test_connection(&mut self) -> Result<ServiceInfo, ServiceError> {
        let mut attempted = false;
        let answer = self
            .api_get("api/v2/app/version", &[], &mut attempted)
            .await?;
        let version = answer.text().trim().to_string();
        Ok(ServiceInfo {
            version: (!version.is_empty()).then_some(version),
        })
    }

    /// Every torrent qBittorrent has, kept current with `sync/maindata` deltas.
    pub async fn fetch(&mut self) -> Result<QbitData, ServiceError> {
        let result = self.sync().await;
        if result.is_err() {
            // A lost or half-read answer can make the next delta wrong.
            self.rid = 0;
        }
        result
    }

    /// `GET /api/v2/torrents/info?hashes=a|b`: the named torrents as they are
    /// now (for an action's re-check), by lower-case hash; a hash qBittorrent
    /// does not have is absent.
    pub async fn torrents_info(
        &mut self,
        hashes: &[String],
    ) -> Result<HashMap<String, Torrent>, ServiceError> {
        if hashes.is_empty() {
            return Ok(HashMap::new());
        }
        let mut attempted = false;
        let joined = hashes
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join("|");
        let answer = self
            .api_get(
                "api/v2/torrents/info",
                &[("hashes", joined)],
                &mut attempted,
            )
            .await?;
        // Whole objects: unlike sync/maindata's, these carry their `hash`.
        let listed: Vec<Map<String, Value>> = self.http.json(&answer)?;
        Ok(listed
            .iter()
            .filter_map(|t| {
                let hash = t.get("hash")?.as_str()?;
                Some((hash.to_ascii_lowercase(), to_torrent(hash, t)))
            })
            .collect())
    }

    async fn sync(&mut self) -> Result<QbitData, ServiceError> {
        let mut attempted = false;
        if !self.logged_in {
            // Sync state lives in the session: a new one starts from 0.
            self.rid = 0;
        }
        let rid = self.rid.to_string();
        let answer = self
            .api_get("api/v2/sync/maindata", &[("rid", rid)], &mut attempted)
            .await?;
        let data: MainData = self.http.json(&answer)?;
        self.apply(data);
        Ok(QbitData {
            torrents: Arc::clone(&self.torrents),
        })
    }

    /// Merges one maindata answer into the cache.
    fn apply(&mut self, data: MainData) {
        let changed = data.full_update == Some(true)
            || data.torrents.as_ref().is_some_and(|t| !t.is_empty())
            || data
                .torrents_removed
                .as_ref()
                .is_some_and(|r| !r.is_empty());
        self.rid = data.rid.unwrap_or(0);
        if !changed {
            return;
        }
        if data.full_update == Some(true) {
            self.torrents = Arc::default();
        }
        // Copied here only when the last listing handed out is still held.
        let torrents = Arc::make_mut(&mut self.torrents);
        for (hash, fields) in data.torrents.unwrap_or_default() {
            let hash = hash.to_ascii_lowercase();
            match torrents.get_mut(&hash) {
                Some(torrent) => update_torrent(torrent, &fields.0),
                None => {
                    let torrent = to_torrent(&hash, &fields.0);
                    torrents.insert(hash, torrent);
                }
            }
        }
        for hash in data.torrents_removed.unwrap_or_default() {
            torrents.remove(&hash.to_ascii_lowercase());
        }
    }

    /// GET an API path: logs in first when there is no session, and on 403
    /// logs in once and retries once. `attempted` limits logins to one per call.
    async fn api_get(
        &mut self,
        path: &str,
        query: &[(&str, String)],
        attempted: &mut bool,
    ) -> Result<Answer, ServiceError> {
        if !self.logged_in {
            self.login_once(attempted).await?;
        }
        let answer = self.http.send(self.http.get(path)?.query(query)).await?;
        let answer = if answer.status == StatusCode::FORBIDDEN {
            // The session expired (or qBittorrent restarted).
            self.logged_in = false;
            self.login_once(attempted).await?;
            let mut retry_query = query.to_vec();
            if path.ends_with("sync/maindata") {
                // A new session has no sync state.
                retry_query = vec![("rid", "0".to_string())];
            }
            self.http
                .send(self.http.get(path)?.query(&retry_query))
                .await?
        } else {
            answer
        };
        self.check(&answer, path)?;
        Ok(answer)
    }

    fn check(&self, answer: &Answer, what: &str) -> Result<(), ServiceError> {
        match answer.status {
            s if s.is_success() => Ok(()),
            StatusCode::FORBIDDEN => Err(self.http.error(
                ErrorKind::Unauthorized,
                "qBittorrent still refuses access (403) right after a successful login",
            )),
            StatusCode::UNAUTHORIZED => Err(self.http.error(
                ErrorKind::Config,
                "qBittorrent answered 401, which it sends when the Host header does not match \
                 (check the WebUI port behind Docker or a reverse proxy, or disable host header validation)",
            )),
            _ => Err(self.http.status_error(answer, what)),
        }
    }

    /// One login attempt per call at most; none after repeated wrong passwords.
    async fn login_once(&mut self, attempted: &mut bool) -> Result<(), ServiceError> {
        let now = chrono::Utc::now();
        if let Err(why) = self.guard.may_log_in("qBittorrent", now) {
            return Err(self.http.error(ErrorKind::Unauthorized, why));
        }
        if *attempted {
            return Err(self.http.error(
                ErrorKind::Unauthorized,
                "qBittorrent asked for a login again right after one; giving up until the next cycle",
            ));
        }
        *attempted = true;
        match self.login().await? {
            Login::Ok => {
                self.guard.accepted();
                self.logged_in = true;
                self.rid = 0;
                Ok(())
            }
            Login::WrongPassword => {
                self.guard.rejected(now);
                self.logged_in = false;
                Err(self.http.error(
                    ErrorKind::Unauthorized,
                    "qBittorrent rejected the username or password",
                ))
            }
        }
    }

    /// `POST /api/v2/auth/login`: ≤5.1 answers 200 `Ok.`/`Fails.`, ≥5.2
    /// 204/401; 403 means this IP is banned.
    async fn login(&self) -> Result<Login, ServiceError> {
        let form = [
            ("username", self.username.as_str()),
            ("password", self.password.expose()),
        ];
        let request = self
            .http
            .request(Method::POST, "api/v2/auth/login")?
            .form(&form);
        let answer = self.http.send(request).await?;
        match answer.status {
            StatusCode::NO_CONTENT => Ok(Login::Ok),
            StatusCode::OK => match answer.text().trim() {
                "Ok." | "" => Ok(Login::Ok),
                "Fails." => Ok(Login::WrongPassword),
                _ => Err(self.http.error(
                    ErrorKind::BadResponse,
                    format!(
                        "qBittorrent's login answered something unexpected: {}",
                        super::http::quote(&answer.body)
                    ),
                )),
            },
            StatusCode::UNAUTHORIZED => Ok(Login::WrongPassword),
            StatusCode::FORBIDDEN => Err(self.http.error(
                ErrorKind::Banned,
                "qBittorrent has banned this IP after too many failed logins (it lifts the ban after an hour by default)",
            )),
            _ => Err(self.http.status_error(&answer, "the login")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::http::test_support::*;
    use axum::extract::{Form, Query, State};
    use axum::http::{header, HeaderMap as AxumHeaders};
    use axum::response::IntoResponse;
    use axum::routing::{get, post};
    use axum::Router;
    use std::collections::HashMap as Map2;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Mutex;

    const HASH: &str = "cb48f83c1f1f7bb781e9c4af1602a14df7a915fa";

    #[test]
    fn maindata_fixture_becomes_torrents() {
        let data: MainData =
            serde_json::from_str(&fixture("qbittorrent/sync-maindata.homeassistant.json")).unwrap();
        assert_eq!(data.full_update, Some(true));
        assert_eq!(data.rid, Some(2));
        let torrents = data.torrents.unwrap();
        assert_eq!(torrents.len(), 6);
        let t = |h: &str| to_torrent(h, &torrents[h].0);
        let kept = &torrents["cb48f83c1f1f7bb781e9c4af1602a14df7a915fa"].0;
        assert!(
            kept.keys().all(|k| TORRENT_KEYS.contains(&k.as_str())) && kept.contains_key("name"),
            "only the keys the tracker reads are kept: {:?}",
            kept.keys().collect::<Vec<_>>()
        );
        let dl = t("cb48f83c1f1f7bb781e9c4af1602a14df7a915fa");
        assert_eq!(dl.state, TorrentState::Downloading);
        assert_eq!(dl.name, "ubuntu");
        assert_eq!(dl.eta_secs, None, "8640000 means unknown");
        assert_eq!(dl.size, 257_091_916);
        assert_eq!(dl.amount_left, 89_178_112);
        assert!((dl.progress - 0.6531275141300048).abs() < 1e-12);
        assert_eq!(dl.infohash_v2, None, "an empty infohash_v2 is none");
        assert_eq!(
            t("cb48f83c1f1f7bb781e9c4af1602a14df7a915fb").state,
            TorrentState::StoppedDownload,
            "5.x stoppedDL"
        );
        assert_eq!(
            t("cb48f83c1f1f7bb781e9c4af1602a14df7a915fe").state,
            TorrentState::Stalled
        );
        assert_eq!(
            t("cb48f83c1f1f7bb781e9c4af1602a14df7a915fc").state,
            TorrentState::Completed
        );
        assert_eq!(
            t("cb48f83c1f1f7bb781e9c4af1602a14df7a915fd").state,
            TorrentState::Error
        );
        assert_eq!(
            t("cb48f83c1f1f7bb781e9c4af1602a14df7a915ff").state,
            TorrentState::MissingFiles
        );
    }

    #[test]
    fn states_of_both_major_versions_fold_and_unknown_ones_survive() {
        assert_eq!(torrent_state("pausedDL"), torrent_state("stoppedDL"));
        assert_eq!(torrent_state("pausedUP"), TorrentState::Completed);
        assert_eq!(torrent_state("stoppedUP"), TorrentState::Completed);
        assert_eq!(
            torrent_state("forcedMetaDL"),
            TorrentState::FetchingMetadata
        );
        assert_eq!(
            torrent_state("newState"),
            TorrentState::Unknown("newState".into())
        );
    }

    #[test]
    fn absurd_etas_and_progress_are_tamed() {
        use serde_json::json;
        assert_eq!(eta_secs(Some(&json!(8_640_000))), None);
        assert_eq!(eta_secs(Some(&json!(-1))), None);
        assert_eq!(eta_secs(Some(&json!(1e30))), None, "the ulong-overflow bug");
        assert_eq!(eta_secs(Some(&json!(120))), Some(120));
        let mut m = Map::new();
        m.insert("progress".into(), json!(1.0000001));
        assert_eq!(to_torrent("AB", &m).progress, 1.0);
        assert_eq!(to_torrent("AB", &m).hash, "ab", "hashes are lower-case");
    }

    /// A fake qBittorrent. `version` "4" answers logins like ≤5.1, "5.2" like ≥5.2.
    struct Fake {
        version: &'static str,
        password: &'static str,
        logins: AtomicUsize,
        /// Forget sessions (simulates an expiry) before the next API call.
        expire: AtomicBool,
        sessions: Mutex<Vec<String>>,
        maindata: Mutex<Vec<serde_json::Value>>,
        rids: Mutex<Vec<String>>,
        origin_seen: AtomicBool,
    }

    impl Fake {
        fn new(version: &'static str, password: &'static str) -> Arc<Self> {
            Arc::new(Self {
                version,
                password,
                logins: AtomicUsize::new(0),
                expire: AtomicBool::new(false),
                sessions: Mutex::new(Vec::new()),
                maindata: Mutex::new(Vec::new()),
                rids: Mutex::new(Vec::new()),
                origin_seen: AtomicBool::new(false),
            })
        }
        fn cookie_name(&self) -> &'static str {
            if self.version == "5.2" {
                "QBT_SID_8080"
            } else {
                "SID"
            }
        }
        fn authorized(&self, h: &AxumHeaders) -> bool {
            if h.contains_key(header::ORIGIN) || h.contains_key(header::REFERER) {
                self.origin_seen.store(true, Ordering::SeqCst);
            }
            if self.expire.swap(false, Ordering::SeqCst) {
                self.sessions.lock().unwrap().clear();
            }
            let cookie = h
                .get(header::COOKIE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            self.sessions
                .lock()
                .unwrap()
                .iter()
                .any(|s| cookie.contains(&format!("{}={s}", self.cookie_name())))
        }
    }

    fn router(fake: Arc<Fake>) -> Router {
        Router::new()
            .route(
                "/api/v2/auth/login",
                post(|State(f): State<Arc<Fake>>, Form(form): Form<Map2<String, String>>| async move {
                    let n = f.logins.fetch_add(1, Ordering::SeqCst);
                    let ok = form.get("username").map(String::as_str) == Some("admin")
                        && form.get("password").map(String::as_str) == Some(f.password);
                    let modern = f.version == "5.2";
                    if !ok {
                        return if modern {
                            (axum::http::StatusCode::UNAUTHORIZED, "").into_response()
                        } else {
                            "Fails.".into_response()
                        };
                    }
                    let sid = format!("s{n}");
                    f.sessions.lock().unwrap().push(sid.clone());
                    let cookie = format!("{}={sid}; HttpOnly; path=/", f.cookie_name());
                    let status = if modern { axum::http::StatusCode::NO_CONTENT } else { axum::http::StatusCode::OK };
                    let body = if modern { "" } else { "Ok." };
                    (status, [(header::SET_COOKIE, cookie)], body).into_response()
                }),
            )
            .route(
                "/api/v2/app/version",
                get(|State(f): State<Arc<Fake>>, h: AxumHeaders| async move {
                    if !f.authorized(&h) {
                        return (axum::http::StatusCode::FORBIDDEN, "Forbidden").into_response();
                    }
                    "v5.1.4".into_response()
                }),
            )
            .route(
                "/api/v2/sync/maindata",
                get(|State(f): State<Arc<Fake>>, h: AxumHeaders, Query(q): Query<Map2<String, String>>| async move {
                    if !f.authorized(&h) {
                        return (axum::http::StatusCode::FORBIDDEN, "Forbidden").into_response();
                    }
                    f.rids.lock().unwrap().push(q.get("rid").cloned().unwrap_or_default());
                    let mut queue = f.maindata.lock().unwrap();
                    let body = if queue.is_empty() { serde_json::json!({"rid": 1}) } else { queue.remove(0) };
                    axum::Json(body).into_response()
                }),
            )
            .with_state(fake)
    }

    async fn client(fake: Arc<Fake>) -> (QbittorrentClient, Arc<HttpStats>) {
        let url = serve(router(fake)).await;
        let stats = stats();
        let c = QbittorrentClient::new(
            &config("qbittorrent", &url),
            Secret::new("adminadmin"),
            stats.clone(),
        )
        .unwrap();
        (c, stats)
    }

    fn full(rid: i64) -> serde_json::Value {
        serde_json::json!({"rid": rid, "full_update": true, "torrents": {
            HASH: {"name": "Dune", "state": "downloading", "progress": 0.5, "eta": 60,
                   "dlspeed": 1000, "size": 100, "amount_left": 50, "infohash_v1": HASH, "infohash_v2": ""},
            "00000000000000000000000000000000000000aa": {"name": "Old", "state": "stalledUP", "progress": 1.0}
        }})
    }

    #[tokio::test]
    async fn maindata_deltas_merge_into_the_cache_and_removals_remove() {
        let fake = Fake::new("4", "adminadmin");
        fake.maindata.lock().unwrap().extend([
            full(1),
            serde_json::json!({"rid": 2, "torrents": {HASH: {"progress": 1.0, "state": "stalledUP"}},
                               "torrents_removed": ["00000000000000000000000000000000000000aa"]}),
        ]);
        let (mut c, _) = client(fake.clone()).await;
        let first = c.fetch().await.unwrap();
        assert_eq!(first.torrents.len(), 2);
        let second = c.fetch().await.unwrap();
        assert_eq!(
            second.torrents.len(),
            1,
            "torrents_removed removes from the listing"
        );
        assert_eq!(
            (first.torrents.len(), first.torrents[HASH].progress),
            (2, 0.5),
            "a listing handed out is not changed by the deltas after it"
        );
        let t = &second.torrents[HASH];
        assert_eq!(t.state, TorrentState::Completed, "changed keys are merged");
        assert_eq!(t.name, "Dune", "unchanged keys are kept from the cache");
        assert_eq!(t.progress, 1.0);
        assert_eq!(
            (t.size, t.eta_secs, t.infohash_v1.as_deref()),
            (100, Some(60), Some(HASH)),
            "every field a delta does not name is kept"
        );
        assert_eq!(
            fake.rids.lock().unwrap().clone(),
            vec!["0", "1"],
            "the rid of the last answer is sent"
        );
        assert!(
            !fake.origin_seen.load(Ordering::SeqCst),
            "no Origin/Referer is ever sent"
        );
    }

    #[tokio::test]
    async fn an_expired_session_logs_in_once_and_retries_once() {
        for version in ["4", "5.2"] {
            let fake = Fake::new(version, "adminadmin");
            let (mut c, stats) = client(fake.clone()).await;
            c.fetch().await.unwrap();
            assert_eq!(fake.logins.load(Ordering::SeqCst), 1);
            fake.expire.store(true, Ordering::SeqCst);
            let before = stats.requests();
            c.fetch().await.unwrap();
            assert_eq!(
                fake.logins.load(Ordering::SeqCst),
                2,
                "{version}: one re-login"
            );
            assert_eq!(
                stats.requests() - before,
                3,
                "{version}: the 403, the login and the retry are all counted"
            );
            assert_eq!(
                fake.rids.lock().unwrap().last().unwrap(),
                "0",
                "a new session syncs from rid 0"
            );
        }
    }

    #[tokio::test]
    async fn a_wrong_password_is_unauthorized_with_no_second_login() {
        for version in ["4", "5.2"] {
            let fake = Fake::new(version, "other");
            let (mut c, stats) = client(fake.clone()).await;
            let err = c.fetch().await.unwrap_err();
            assert_eq!(err.kind, ErrorKind::Unauthorized, "{version}");
            assert_eq!(err.message, "qBittorrent rejected the username or password");
            assert_eq!(
                fake.logins.load(Ordering::SeqCst),
                1,
                "{version}: one login per call"
            );
            assert_eq!(
                stats.requests(),
                1,
                "{version}: no API call after a failed login"
            );
            assert!(
                !format!("{err:?}{c:?}").contains("adminadmin"),
                "the password never prints"
            );

            c.fetch().await.unwrap_err();
            assert_eq!(
                fake.logins.load(Ordering::SeqCst),
                2,
                "the next cycle may try once more"
            );
            let err = c.fetch().await.unwrap_err();
            assert_eq!(
                fake.logins.load(Ordering::SeqCst),
                2,
                "{version}: after two wrong answers, stop"
            );
            assert!(
                err.message
                    .contains("not trying again until the credentials change"),
                "{}",
                err.message
            );
        }
    }

    #[tokio::test]
    async fn a_banned_ip_is_reported_as_banned() {
        let url = serve(Router::new().route(
            "/api/v2/auth/login",
            post(|| async {
                (
                    axum::http::StatusCode::FORBIDDEN,
                    "Your IP address has been banned after too many failed authentication attempts.",
                )
                    .into_response()
            }),
        ))
        .await;
        let mut c = QbittorrentClient::new(&config("qbittorrent", &url), Secret::new("x"), stats())
            .unwrap();
        let err = c.test_connection().await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Banned);
        assert!(err
            .message
            .starts_with("qBittorrent has banned this IP after too many failed logins"));
    }

    #[tokio::test]
    async fn test_connection_reads_the_version() {
        let fake = Fake::new("4", "adminadmin");
        let (mut c, _) = client(fake).await;
        let info = c.test_connection().await.unwrap();
        assert_eq!(info.version.as_deref(), Some("v5.1.4"));
    }
}
