//! One client per service. Each client is built once from a
//! [`ServiceConfig`](crate::config::ServiceConfig) and a [`Secret`](crate::secrets::Secret),
//! keeps its own incremental state (cursors, caches), and turns responses into
//! the tracker's snapshot types. Each classifies its own HTTP statuses into the
//! shared [`ErrorKind`]s, because the same status means different things per
//! service (a qBittorrent 403 is an expired session, a Jellyseerr 403 a wrong key).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Counts every HTTP request sent (logins and retries too) and bytes received.
#[derive(Debug, Default)]
pub struct HttpStats {
    requests: AtomicU64,
    bytes: AtomicU64,
}

impl HttpStats {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }
    pub fn record_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
    pub fn record_bytes(&self, n: u64) {
        self.bytes.fetch_add(n, Ordering::Relaxed);
    }
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

/// The shared kinds every service error is classified into. The UI and CLI
/// branch on these; the message says the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Connection refused, DNS failure, no route.
    Unreachable,
    /// No answer within the timeout.
    Timeout,
    /// Certificate not trusted or TLS handshake failed.
    Tls,
    /// Wrong API key, wrong password.
    Unauthorized,
    /// qBittorrent banned this IP after failed logins.
    Banned,
    /// 5xx or an answer that is not what the API documents.
    ServerError,
    /// The body could not be understood (malformed JSON, HTML error page, ...).
    BadResponse,
    /// The configuration is unusable (no secret, bad URL, unreadable CA file).
    Config,
}

impl ErrorKind {
    /// The snake_case name the store, the CLI's JSON and the IPC error
    /// codes use ("server_error").
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unreachable => "unreachable",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Tls => "tls",
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::Banned => "banned",
            ErrorKind::ServerError => "server_error",
            ErrorKind::BadResponse => "bad_response",
            ErrorKind::Config => "config",
        }
    }
}

/// An error from one service, already classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{service}: {message}")]
pub struct ServiceError {
    pub service: String,
    pub kind: ErrorKind,
    pub message: String,
}

impl ServiceError {
    pub fn new(service: &str, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            service: service.to_string(),
            kind,
            message: message.into(),
        }
    }
}

/// The result of a connection test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceInfo {
    pub version: Option<String>,
}

pub(crate) mod acting;
pub(crate) mod arr;
pub(crate) mod http;
pub mod jellyfin;
pub mod jellyseerr;
pub(crate) mod login_guard;
pub mod posters;
pub mod qbittorrent;
pub mod radarr;
pub mod shoko;
pub mod sonarr;

/// Makes ring the process's TLS crypto provider: reqwest is built without
/// one (`rustls-no-provider`) and its client builder panics if none is
/// installed. Idempotent; every `reqwest::Client` in the crate and its tests
/// is built after calling it.
pub fn install_tls_provider() {
    // Err only means a provider is installed already.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub use jellyfin::JellyfinClient;
pub use jellyseerr::JellyseerrClient;
pub use qbittorrent::QbittorrentClient;
pub use radarr::RadarrClient;
pub use shoko::ShokoClient;
pub use sonarr::SonarrClient;
