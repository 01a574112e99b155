//! Shoko Server (API v3): has an imported anime file been matched to AniDB?
//!
//! Login: `POST /api/auth` → an API key sent as the `apikey` header (the same
//! user and device get the same key back). Each wanted path is looked up by
//! its tail with `File/PathEndsWith`, because Shoko and the *arr usually see
//! different mount prefixes. Matched files are cached and never asked again
//! (a match saved by an earlier version without Shoko's file id is asked
//! again once); the others are asked once per call (Shoko has no change feed
//! to follow).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::http::{Answer, Http};
use super::login_guard::LoginGuard;
use super::{ErrorKind, HttpStats, ServiceError, ServiceInfo};
use crate::config::ServiceConfig;
use crate::secrets::Secret;
use crate::tracker::model::{ShokoData, ShokoMatch, Wants};

/// The device name Shoko files the API key under.
const DEVICE: &str = "StatusTracker";

#[derive(Debug, Deserialize)]
struct AuthWire {
    apikey: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct VersionWire {
    #[serde(default)]
    server: Option<ServerVersionWire>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ServerVersionWire {
    #[serde(default)]
    version: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct StatusWire {
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    startup_message: Option<String>,
}

/// A v3 `File`, the cross-references only.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct FileWire {
    #[serde(rename = "ID", default)]
    pub id: Option<i64>,
    #[serde(rename = "SeriesIDs", default)]
    pub series_ids: Option<Vec<XrefWire>>,
}

/// `FileCrossReference`.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct XrefWire {
    #[serde(rename = "SeriesID", default)]
    pub series_id: Option<XrefIdsWire>,
    #[serde(rename = "EpisodeIDs", default)]
    pub episode_ids: Option<Vec<XrefIdsWire>>,
}

/// `{ID?, AniDB}` of a series or episode cross-reference.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct XrefIdsWire {
    #[serde(rename = "ID", default)]
    pub id: Option<i64>,
    #[serde(rename = "AniDB", default)]
    pub anidb: Option<i64>,
}

/// docs/services.md, "Shoko Server › Matching a file": empty → not seen; no xrefs → unrecognized; an xref
/// without a local series or episode id → import limbo; else matched.
fn classify_file(file: &FileWire) -> ShokoMatch {
    let xrefs = file.series_ids.as_deref().unwrap_or_default();
    if xrefs.is_empty() {
        return ShokoMatch::Unrecognized;
    }
    let limbo = xrefs.iter().any(|x| {
        x.series_id.as_ref().and_then(|s| s.id).is_none()
            || x.episode_ids
                .as_deref()
                .unwrap_or_default()
                .iter()
                .any(|e| e.id.is_none())
    });
    if limbo {
        return ShokoMatch::ImportLimbo;
    }
    let anidb_ids: BTreeSet<i64> = xrefs
        .iter()
        .filter_map(|x| x.series_id.as_ref().and_then(|s| s.anidb))
        .collect();
    ShokoMatch::Matched {
        anidb_ids: anidb_ids.into_iter().collect(),
        file_id: file.id,
    }
}

fn rank(m: &ShokoMatch) -> u8 {
    match m {
        ShokoMatch::NotSeen => 0,
        ShokoMatch::Unrecognized => 1,
        ShokoMatch::ImportLimbo => 2,
        ShokoMatch::Matched { .. } => 3,
    }
}

/// Classifies a `PathEndsWith` answer; when a tail matches several files,
/// the most advanced one counts.
pub(crate) fn classify(files: &[FileWire]) -> ShokoMatch {
    files
        .iter()
        .map(classify_file)
        .max_by_key(rank)
        .unwrap_or(ShokoMatch::NotSeen)
}

/// The last three components of `path`, starting with a separator
/// (`/Show/Season 01/Show - S01E01.mkv`), and the file name alone (`/Show -
/// S01E01.mkv`). Both separators are understood.
pub(crate) fn path_tails(path: &str) -> (String, String) {
    let parts: Vec<&str> = path.split(['/', '\\']).filter(|p| !p.is_empty()).collect();
    let start = parts.len().saturating_sub(3);
    let tail = format!("/{}", parts[start..].join("/"));
    let name = format!("/{}", parts.last().copied().unwrap_or_default());
    (tail, name)
}

/// A Shoko client with its API key and the matched-file cache.
#[derive(Debug)]
pub struct ShokoClient {
    http: Http,
    username: String,
    password: Secret,
    apikey: Option<Secret>,
    /// No login after repeated wrong passwords (`login_guard.rs`).
    guard: LoginGuard,
    matched: HashMap<String, ShokoMatch>,
}

impl ShokoClient {
    /// The matched-file cache, to keep between runs.
    pub fn saved(&self) -> impl serde::Serialize + '_ {
        &self.matched
    }

    /// Restores what [`Self::saved`] kept; anything unreadable is ignored.
    /// A match kept by an earlier version, without Shoko's file id, is
    /// asked again once (the id tells Shokofin's items apart).
    pub fn restore_state(&mut self, json: &str) {
        if let Ok(m) = serde_json::from_str::<HashMap<String, ShokoMatch>>(json) {
            self.matched = m
                .into_iter()
                .filter(|(_, m)| {
                    matches!(
                        m,
                        ShokoMatch::Matched {
                            file_id: Some(_),
                            ..
                        }
                    )
                })
                .collect();
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
                "no Shoko username configured (set username in the [shoko] section)",
            )
        })?;
        Ok(Self {
            http: Http::new(cfg, "Shoko", HeaderMap::new(), false, stats)?,
            username,
            password,
            apikey: None,
            guard: LoginGuard::never_stopping(),
            matched: HashMap::new(),
        })
    }

    /// `GET /api/v3/Init/Version`, a login, and `Init/Status` must be "Started".
    pub async fn test_connection(&mut self) -> Result<ServiceInfo, ServiceError> {
        let answer = self
            .http
            .send(self.http.get("api/v3/Init/Version")?)
            .await?;
        self.check(&answer, "api/v3/Init/Version")?;
        let version: VersionWire = self.http.json(&answer)?;
        self.apikey = None;
        let mut logged_in = false;
        self.require_started(&mut logged_in).await?;
        Ok(ServiceInfo {
            version: version.server.and_then(|s| s.version),
        })
    }

    /// Classifies every wanted path; matched ones come from the cache.
    pub async fn fetch(&mut self, wants: &Wants) -> Result<ShokoData, ServiceError> {
        let mut files = HashMap::new();
        let pending: Vec<&String> = wants
            .shoko_paths
            .iter()
            .filter(|p| !self.matched.contains_key(*p))
            .collect();
        if !pending.is_empty() {
            let mut logged_in = false;
            self.require_started(&mut logged_in).await?;
            for path in pending {
                let state = self.lookup(path, &mut logged_in).await?;
                if matches!(state, ShokoMatch::Matched { .. }) {
                    self.matched.insert(path.clone(), state.clone());
                }
                files.insert(path.clone(), state);
            }
        }
        for path in &wants.shoko_paths {
            if let Some(m) = self.matched.get(path) {
                files.insert(path.clone(), m.clone());
            }
        }
        // Forget matches nobody asks for any more.
        self.matched.retain(|p, _| wants.shoko_paths.contains(p));
        Ok(ShokoData { files })
    }

    /// The tail first, then the file name alone.
    async fn lookup(
        &mut self,
        path: &str,
        logged_in: &mut bool,
    ) -> Result<ShokoMatch, ServiceError> {
        let (tail, name) = path_tails(path);
        let files = self.path_ends_with(&tail, logged_in).await?;
        if !files.is_empty() || tail == name {
            return Ok(classify(&files));
        }
        let files = self.path_ends_with(&name, logged_in).await?;
        Ok(classify(&files))
    }

    async fn path_ends_with(
        &mut self,
        tail: &str,
        logged_in: &mut bool,
    ) -> Result<Vec<FileWire>, ServiceError> {
        self.api_get(
            "api/v3/File/PathEndsWith",
            &[
                ("path", tail.to_string()),
                ("limit", "5".to_string()),
                ("includeXRefs", "true".to_string()),
                ("include", "XRefs".to_string()),
            ],
            logged_in,
        )
        .await
    }

    async fn require_started(&mut self, logged_in: &mut bool) -> Result<(), ServiceError> {
        let status: StatusWire = self.api_get("api/v3/Init/Status", &[], logged_in).await?;
        match status.state.as_deref() {
            Some("Started") => Ok(()),
            other => Err(self.http.error(
                ErrorKind::ServerError,
                format!(
                    "Shoko is not ready (state {}){}",
                    other.unwrap_or("unknown"),
                    status
                        .startup_message
                        .filter(|m| !m.is_empty())
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ),
            )),
        }
    }

    /// GET with the API key; logs in when there is none, and on 401 logs in
    /// once more per call (a changed password revokes keys) and retries once.
    async fn api_get<T: DeserializeOwned>(
        &mut self,
        path: &str,
        query: &[(&str, String)],
        logged_in: &mut bool,
    ) -> Result<T, ServiceError> {
        if self.apikey.is_none() {
            self.login(logged_in).await?;
        }
        let mut answer = self.send_with_key(path, query).await?;
        if answer.status == StatusCode::UNAUTHORIZED && !*logged_in {
            self.apikey = None;
            self.login(logged_in).await?;
            answer = self.send_with_key(path, query).await?;
        }
        self.check(&answer, path)?;
        self.http.json(&answer)
    }

    async fn send_with_key(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Answer, ServiceError> {
        let mut request = self.http.get(path)?.query(query);
        if let Some(key) = &self.apikey {
            let mut value = reqwest::header::HeaderValue::from_str(key.expose()).map_err(|_| {
                self.http.error(
                    ErrorKind::BadResponse,
                    "Shoko sent an API key that cannot be sent back in a header",
                )
            })?;
            value.set_sensitive(true);
            request = request.header("apikey", value);
        }
        self.http.send(request).await
    }

    async fn login(&mut self, logged_in: &mut bool) -> Result<(), ServiceError> {
        let now = chrono::Utc::now();
        if let Err(why) = self.guard.may_log_in("Shoko", now) {
            return Err(self.http.error(ErrorKind::Unauthorized, why));
        }
        *logged_in = true;
        let body = serde_json::json!({
            "user": self.username,
            "pass": self.password.expose(),
            "device": DEVICE,
        });
        let request = self.http.request(Method::POST, "api/auth")?.json(&body);
        let answer = self.http.send(request).await?;
        match answer.status {
            s if s.is_success() => {
                let auth: AuthWire = serde_json::from_slice(&answer.body).map_err(|_| {
                    self.http.error(
                        ErrorKind::BadResponse,
                        "Shoko's login answer holds no API key",
                    )
                })?;
                self.apikey = Some(Secret::new(auth.apikey));
                self.guard.accepted();
                Ok(())
            }
            StatusCode::UNAUTHORIZED | StatusCode::BAD_REQUEST | StatusCode::FORBIDDEN => {
                self.guard.rejected(now);
                Err(self.http.error(
                    ErrorKind::Unauthorized,
                    format!(
                        "Shoko rejected the username or password (answered {})",
                        answer.status.as_u16()
                    ),
                ))
            }
            _ => Err(self.http.status_error(&answer, "the login")),
        }
    }

    fn check(&self, answer: &Answer, what: &str) -> Result<(), ServiceError> {
        match answer.status {
            s if s.is_success() => Ok(()),
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => Err(self.http.error(
                ErrorKind::Unauthorized,
                format!(
                    "Shoko refused the API key it gave at login (answered {})",
                    answer.status.as_u16()
                ),
            )),
            _ => Err(self.http.status_error(answer, what)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::http::test_support::*;
    use axum::extract::{Query, State};
    use axum::http::HeaderMap as AxumHeaders;
    use axum::response::IntoResponse;
    use axum::routing::{get, post};
    use axum::{Json, Router};
    use serde_json::{json, Value};
    use std::collections::HashMap as Map;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;

    #[test]
    fn tails_start_with_a_separator_and_fall_back_to_the_file_name() {
        assert_eq!(
            path_tails("/data/anime/Frieren/Season 01/Frieren - S01E01.mkv"),
            (
                "/Frieren/Season 01/Frieren - S01E01.mkv".into(),
                "/Frieren - S01E01.mkv".into()
            )
        );
        assert_eq!(
            path_tails(r"D:\Anime\Show\Ep 1.mkv"),
            ("/Anime/Show/Ep 1.mkv".into(), "/Ep 1.mkv".into()),
            "Windows separators are understood"
        );
        assert_eq!(path_tails("/x.mkv"), ("/x.mkv".into(), "/x.mkv".into()));
    }

    fn file(xrefs: Value) -> FileWire {
        serde_json::from_value(json!({"ID": 1, "SeriesIDs": xrefs})).unwrap()
    }

    #[test]
    fn files_are_classified_as_api_notes_section_3_3_says() {
        assert_eq!(classify(&[]), ShokoMatch::NotSeen, "empty list");
        assert_eq!(
            classify(&[file(json!([]))]),
            ShokoMatch::Unrecognized,
            "no xrefs"
        );
        let limbo =
            file(json!([{"SeriesID": {"AniDB": 17617}, "EpisodeIDs": [{"AniDB": 271_000}]}]));
        assert_eq!(
            classify(std::slice::from_ref(&limbo)),
            ShokoMatch::ImportLimbo,
            "no local ids yet"
        );
        let matched = file(json!([
            {"SeriesID": {"ID": 12, "AniDB": 17617, "TMDB": {"Movie": [], "Show": [209867]}},
             "EpisodeIDs": [{"ID": 40, "AniDB": 271_000, "Percentage": {"Start": 0, "End": 100}, "Source": "AniDB"}]},
            {"SeriesID": {"ID": 13, "AniDB": 17000}, "EpisodeIDs": [{"ID": 41, "AniDB": 1}]}
        ]));
        assert_eq!(
            classify(std::slice::from_ref(&matched)),
            ShokoMatch::Matched {
                anidb_ids: vec![17000, 17617],
                file_id: Some(1),
            }
        );
        assert_eq!(
            classify(&[limbo, matched]),
            ShokoMatch::Matched {
                anidb_ids: vec![17000, 17617],
                file_id: Some(1),
            },
            "the most advanced of several candidates counts"
        );
    }

    struct Fake {
        logins: AtomicUsize,
        queries: Mutex<Vec<String>>,
    }

    fn router(fake: Arc<Fake>) -> Router {
        Router::new()
            .route(
                "/api/auth",
                post(|State(f): State<Arc<Fake>>, Json(body): Json<Value>| async move {
                    f.logins.fetch_add(1, Ordering::SeqCst);
                    if body["pass"] != "pw" || body["device"] != "StatusTracker" {
                        return (axum::http::StatusCode::UNAUTHORIZED, "").into_response();
                    }
                    Json(json!({"apikey": "key-123"})).into_response()
                }),
            )
            .route("/api/v3/Init/Version", get(|| async { Json(json!({"Server": {"Version": "5.3.3.0"}})) }))
            .route(
                "/api/v3/Init/Status",
                get(|h: AxumHeaders| async move {
                    if h.get("apikey").and_then(|v| v.to_str().ok()) != Some("key-123") {
                        return (axum::http::StatusCode::UNAUTHORIZED, "").into_response();
                    }
                    Json(json!({"State": "Started", "Uptime": "01:00:00"})).into_response()
                }),
            )
            .route(
                "/api/v3/File/PathEndsWith",
                get(|State(f): State<Arc<Fake>>, Query(q): Query<Map<String, String>>| async move {
                    let path = q["path"].clone();
                    f.queries.lock().unwrap().push(path.clone());
                    let body = match path.as_str() {
                        "/Frieren/Season 01/Frieren - S01E01.mkv" => json!([{"ID": 1, "SeriesIDs": [
                            {"SeriesID": {"ID": 5, "AniDB": 17617}, "EpisodeIDs": [{"ID": 9, "AniDB": 1}]}]}]),
                        "/Other - S01E02.mkv" => json!([{"ID": 2, "SeriesIDs": []}]),
                        _ => json!([]),
                    };
                    Json(body)
                }),
            )
            .with_state(fake)
    }

    #[test]
    fn a_match_saved_without_its_file_id_is_asked_again() {
        let mut c = ShokoClient::new(
            &config("shoko", "http://127.0.0.1:1"),
            Secret::new("pw"),
            stats(),
        )
        .unwrap();
        c.restore_state(
            r#"{"/a.mkv": {"Matched": {"anidb_ids": [1]}},
                "/b.mkv": {"Matched": {"anidb_ids": [2], "file_id": 7}}}"#,
        );
        let kept: Vec<&String> = c.matched.keys().collect();
        assert_eq!(kept, ["/b.mkv"]);
    }

    #[tokio::test]
    async fn matched_paths_are_cached_and_others_fall_back_to_the_file_name() {
        let fake = Arc::new(Fake {
            logins: AtomicUsize::new(0),
            queries: Mutex::new(vec![]),
        });
        let url = serve(router(fake.clone())).await;
        let stats = stats();
        let mut c =
            ShokoClient::new(&config("shoko", &url), Secret::new("pw"), stats.clone()).unwrap();
        let a = "/mnt/media/anime/Frieren/Season 01/Frieren - S01E01.mkv".to_string();
        let b = "/mnt/media/anime/Other/Season 01/Other - S01E02.mkv".to_string();
        let wants = Wants {
            shoko_paths: vec![a.clone(), b.clone()],
            ..Wants::default()
        };
        let data = c.fetch(&wants).await.unwrap();
        assert_eq!(
            data.files[&a],
            ShokoMatch::Matched {
                anidb_ids: vec![17617],
                file_id: Some(1),
            }
        );
        assert_eq!(
            data.files[&b],
            ShokoMatch::Unrecognized,
            "found through the file name"
        );
        assert_eq!(fake.logins.load(Ordering::SeqCst), 1);
        // login + status + a + b(tail) + b(name)
        assert_eq!(stats.requests(), 5);

        let before = stats.requests();
        let again = c.fetch(&wants).await.unwrap();
        assert_eq!(
            again.files[&a],
            ShokoMatch::Matched {
                anidb_ids: vec![17617],
                file_id: Some(1),
            }
        );
        assert_eq!(
            stats.requests() - before,
            3,
            "the matched path is never asked again"
        );
        assert!(
            !format!("{c:?}").contains("key-123"),
            "the Shoko key is a secret too"
        );
    }

    #[tokio::test]
    async fn a_wrong_password_is_unauthorized() {
        let fake = Arc::new(Fake {
            logins: AtomicUsize::new(0),
            queries: Mutex::new(vec![]),
        });
        let url = serve(router(fake.clone())).await;
        let mut c = ShokoClient::new(&config("shoko", &url), Secret::new("bad"), stats()).unwrap();
        let err = c.test_connection().await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unauthorized);
        assert_eq!(
            err.message,
            "Shoko rejected the username or password (answered 401)"
        );
        assert_eq!(fake.logins.load(Ordering::SeqCst), 1, "one login per call");

        // Shoko bans nobody: its login guard never stops, so a password
        // fixed on Shoko's side works at the next call.
        let _ = c.test_connection().await.unwrap_err();
        let _ = c.test_connection().await.unwrap_err();
        assert_eq!(
            fake.logins.load(Ordering::SeqCst),
            3,
            "one login per call, every call"
        );
    }

    #[tokio::test]
    async fn test_connection_reads_the_version() {
        let fake = Arc::new(Fake {
            logins: AtomicUsize::new(0),
            queries: Mutex::new(vec![]),
        });
        let url = serve(router(fake)).await;
        let mut c = ShokoClient::new(&config("shoko", &url), Secret::new("pw"), stats()).unwrap();
        assert_eq!(
            c.test_connection().await.unwrap().version.as_deref(),
            Some("5.3.3.0")
        );
    }

    #[test]
    fn the_crossref_fixture_is_database_rows_not_api_payloads() {
        // The only Shoko fixture is the DB model (AnimeID/EpisodeID per ED2K);
        // it must not parse as an API File with cross-references.
        let rows: Vec<Value> =
            serde_json::from_str(&fixture("shoko/shoko-testdata-CrossRef_File_Episode.json"))
                .unwrap();
        assert!(!rows.is_empty());
        assert!(rows[0].get("AnimeID").is_some());
        let as_file: FileWire = serde_json::from_value(rows[0].clone()).unwrap();
        assert_eq!(
            classify(&[as_file]),
            ShokoMatch::Unrecognized,
            "no SeriesIDs in a DB row"
        );
    }
}
