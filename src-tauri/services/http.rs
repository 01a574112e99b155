//! The HTTP layer every client shares: one `reqwest` client per service with
//! its timeouts and trusted CA, a request wrapper that counts requests and
//! bytes in [`HttpStats`], caps the body size, and turns transport failures
//! into classified [`ServiceError`]s with messages a person can act on.

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use super::{ErrorKind, HttpStats, ServiceError};
use crate::config::ServiceConfig;

/// Bodies larger than this are refused (a whole Radarr library is a few MB).
pub(crate) const MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// How many characters of an unexpected body an error message quotes.
const QUOTE_CHARS: usize = 80;

/// A service's reading of an answer's status: Ok for a success, else the
/// classified error (`what` names the request in the message).
pub(crate) type StatusCheck = fn(&Http, &Answer, &str) -> Result<(), ServiceError>;

/// A fully read answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub body: Vec<u8>,
    /// The server's clock when it answered (its `Date` header), when it sent
    /// one that parses.
    pub date: Option<chrono::DateTime<chrono::Utc>>,
}

impl Answer {
    /// The body as text, lossily decoded.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One service's HTTP client.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    /// The config section name, used as `ServiceError.service`.
    service: String,
    /// The product name used in messages ("Radarr").
    product: &'static str,
    base: Url,
    client: reqwest::Client,
    stats: Arc<HttpStats>,
    timeout: Duration,
}

impl Http {
    /// Builds the client: connect and total timeout from the config, the
    /// optional CA file trusted as a root, gzip, and a cookie jar when asked.
    /// `headers` are sent with every request (mark secret ones sensitive).
    pub fn new(
        cfg: &ServiceConfig,
        product: &'static str,
        headers: HeaderMap,
        cookies: bool,
        stats: Arc<HttpStats>,
    ) -> Result<Self, ServiceError> {
        let config_err = |msg: String| ServiceError::new(&cfg.name, ErrorKind::Config, msg);
        if !matches!(cfg.url.scheme(), "http" | "https") {
            return Err(config_err(format!(
                "the {product} URL must start with http:// or https:// (got {})",
                cfg.url
            )));
        }
        super::install_tls_provider();
        let mut builder = reqwest::Client::builder()
            .connect_timeout(cfg.timeout)
            .timeout(cfg.timeout)
            .gzip(true)
            .cookie_store(cookies)
            .default_headers(headers)
            .user_agent(concat!("StatusTracker/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &cfg.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                config_err(format!(
                    "cannot read the CA file {} for {product}: {e}",
                    path.display()
                ))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|_| {
                config_err(format!(
                    "the CA file {} for {product} holds no PEM certificate",
                    path.display()
                ))
            })?;
            if certs.is_empty() {
                return Err(config_err(format!(
                    "the CA file {} for {product} holds no PEM certificate",
                    path.display()
                )));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(|e| {
            config_err(format!(
                "cannot build the HTTP client for {product}: {}",
                chain(&e)
            ))
        })?;
        let mut base = cfg.url.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(Self {
            service: cfg.name.clone(),
            product,
            base,
            client,
            stats,
            timeout: cfg.timeout,
        })
    }

    /// The product name for messages.
    pub fn product(&self) -> &'static str {
        self.product
    }

    /// A classified error for this service.
    pub fn error(&self, kind: ErrorKind, message: impl Into<String>) -> ServiceError {
        ServiceError::new(&self.service, kind, message)
    }

    /// `path` (no leading slash needed) below the configured base URL, so a
    /// URL base such as `/radarr` is kept.
    pub fn url(&self, path: &str) -> Result<Url, ServiceError> {
        self.base
            .join(path.trim_start_matches('/'))
            .map_err(|e| self.error(ErrorKind::Config, format!("bad request path {path}: {e}")))
    }

    /// A request builder for `path`.
    pub fn request(&self, method: Method, path: &str) -> Result<RequestBuilder, ServiceError> {
        Ok(self.client.request(method, self.url(path)?))
    }

    /// A GET request builder for `path`.
    pub fn get(&self, path: &str) -> Result<RequestBuilder, ServiceError> {
        self.request(Method::GET, path)
    }

    /// Sends a request and reads the whole body (at most [`MAX_BODY_BYTES`]),
    /// counting the request and the received bytes.
    pub async fn send(&self, request: RequestBuilder) -> Result<Answer, ServiceError> {
        self.stats.record_request();
        let mut response = request.send().await.map_err(|e| self.transport_error(&e))?;
        let status = response.status();
        let date = response
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
            .map(|d| d.with_timezone(&chrono::Utc));
        let announced = response.content_length();
        if announced.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
            return Err(self.too_large());
        }
        // A body of announced length is read into a buffer of that size; one
        // of unknown length (a compressed answer) is kept in the chunks it
        // arrives in and copied once into a buffer of its exact size. A buffer
        // grown by doubling as chunks arrive holds up to three times a large
        // body at the moment it grows (Radarr's whole library, qBittorrent's
        // full listing, a page of Jellyfin items).
        let mut body = Vec::with_capacity(announced.map_or(0, |len| len as usize));
        let mut chunks = Vec::new();
        let mut len = 0;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(&e))?
        {
            self.stats.record_bytes(chunk.len() as u64);
            len += chunk.len();
            if len > MAX_BODY_BYTES {
                return Err(self.too_large());
            }
            if announced.is_some() {
                body.extend_from_slice(&chunk);
            } else {
                chunks.push(chunk);
            }
        }
        if !chunks.is_empty() {
            body.reserve_exact(len);
            for chunk in chunks.drain(..) {
                body.extend_from_slice(&chunk);
            }
        }
        Ok(Answer { status, body, date })
    }

    fn too_large(&self) -> ServiceError {
        self.error(
            ErrorKind::BadResponse,
            format!(
                "{} sent an answer larger than {} MB",
                self.product,
                MAX_BODY_BYTES / (1024 * 1024)
            ),
        )
    }

    /// `GET path?query`, its status judged by the service's own `check`
    /// (each service means something else by a 401, a 403, a 400), its body
    /// parsed into `T`.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        check: StatusCheck,
    ) -> Result<T, ServiceError> {
        let answer = self.send(self.get(path)?.query(query)).await?;
        check(self, &answer, path)?;
        self.json(&answer)
    }

    /// Parses a JSON body into `T`: "not JSON" and "JSON of another shape" are
    /// both [`ErrorKind::BadResponse`], with the start of the body quoted.
    pub fn json<T: DeserializeOwned>(&self, answer: &Answer) -> Result<T, ServiceError> {
        serde_json::from_slice(&answer.body).map_err(|e| {
            let message = if e.is_data() {
                format!(
                    "{} sent JSON of an unexpected shape ({e}): {}",
                    self.product,
                    quote(&answer.body)
                )
            } else {
                format!(
                    "{} sent something that is not JSON: {}",
                    self.product,
                    quote(&answer.body)
                )
            };
            self.error(ErrorKind::BadResponse, message)
        })
    }

    /// The error for an unexpected status: 5xx is a server error, anything
    /// else an answer the API does not document. Auth statuses are handled by
    /// each client before calling this, because they differ per service.
    pub fn status_error(&self, answer: &Answer, what: &str) -> ServiceError {
        let status = answer.status;
        let body = quote(&answer.body);
        let detail = if body.is_empty() {
            String::new()
        } else {
            format!(": {body}")
        };
        let kind = ErrorKind::ServerError;
        if status == StatusCode::NOT_FOUND {
            return self.error(
                kind,
                format!(
                    "{} answered 404 Not Found for {what}: is {} the right URL (including any URL base)?",
                    self.product, self.base
                ),
            );
        }
        self.error(
            kind,
            format!("{} answered {status} for {what}{detail}", self.product),
        )
    }

    /// Classifies a transport failure (no HTTP status).
    pub fn transport_error(&self, e: &reqwest::Error) -> ServiceError {
        let detail = chain(e);
        let lower = detail.to_ascii_lowercase();
        let at = self.base.as_str();
        if e.is_timeout() || lower.contains("timed out") {
            return self.error(
                ErrorKind::Timeout,
                format!(
                    "timed out after {} waiting for {} at {at}",
                    human_duration(self.timeout),
                    self.product
                ),
            );
        }
        if lower.contains("certificate")
            || lower.contains("tls")
            || lower.contains("handshake")
            || lower.contains("unknownissuer")
        {
            return self.error(
                ErrorKind::Tls,
                format!(
                    "TLS with {} at {at} failed (for a homelab CA, set ca_file): {detail}",
                    self.product
                ),
            );
        }
        if lower.contains("connection refused") {
            return self.error(
                ErrorKind::Unreachable,
                format!("connection refused at {at} (is {} running?)", self.product),
            );
        }
        if e.is_connect() || lower.contains("dns error") {
            return self.error(
                ErrorKind::Unreachable,
                format!("cannot connect to {} at {at}: {detail}", self.product),
            );
        }
        if e.is_decode() {
            return self.error(
                ErrorKind::BadResponse,
                format!(
                    "{} sent a body that cannot be decoded: {detail}",
                    self.product
                ),
            );
        }
        self.error(
            ErrorKind::Unreachable,
            format!(
                "the connection to {} at {at} failed: {detail}",
                self.product
            ),
        )
    }
}

/// The error and its sources, joined, without the request URL.
fn chain(e: &reqwest::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    if parts.is_empty() {
        parts.push(e.to_string());
    }
    parts.join(": ")
}

/// "10 s", "1.5 s", "250 ms".
pub(crate) fn human_duration(d: Duration) -> String {
    if d.subsec_millis() == 0 && d.as_secs() > 0 {
        format!("{} s", d.as_secs())
    } else if d.as_secs() > 0 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{} ms", d.as_millis())
    }
}

/// The first characters of a body, whitespace collapsed, for error messages.
pub(crate) fn quote(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out: String = collapsed.chars().take(QUOTE_CHARS).collect();
    if collapsed.chars().count() > QUOTE_CHARS {
        out.push('…');
    }
    out
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub(crate) fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Tiny fake servers and helpers shared by the clients' tests.

    use std::path::{Path, PathBuf};
    use std::sync::Arc;
    use std::time::Duration;

    use crate::config::ServiceConfig;
    use crate::services::HttpStats;

    /// Reads a fixture from `tests/fixtures/<rel>`.
    pub fn fixture(rel: &str) -> String {
        let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(rel);
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("fixture {} unreadable: {e}", path.display()))
    }

    /// Serves `router` on 127.0.0.1 at a free port; returns the base URL.
    pub async fn serve(router: axum::Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, router).await.unwrap();
        });
        format!("http://{addr}")
    }

    /// A config for `name` at `url` with a short timeout.
    pub fn config(name: &str, url: &str) -> ServiceConfig {
        ServiceConfig {
            name: name.to_string(),
            instance: None,
            is_4k: false,
            url: url.parse().unwrap(),
            username: Some("admin".to_string()),
            timeout: Duration::from_secs(5),
            ca_file: None,
        }
    }

    pub fn stats() -> Arc<HttpStats> {
        HttpStats::new()
    }

    /// A port with nothing listening on it.
    pub fn closed_port_url() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        format!("http://127.0.0.1:{port}")
    }

    /// A server that accepts connections and never answers.
    pub async fn silent_server() -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        format!("http://{addr}")
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use axum::routing::get;

    fn http(url: &str, timeout: Duration) -> (Http, Arc<HttpStats>) {
        let mut cfg = config("radarr", url);
        cfg.timeout = timeout;
        let stats = stats();
        let http = Http::new(&cfg, "Radarr", HeaderMap::new(), false, stats.clone()).unwrap();
        (http, stats)
    }

    #[test]
    fn a_url_base_is_kept_when_joining_paths() {
        let (h, _) = http("http://host:7878/radarr", Duration::from_secs(1));
        assert_eq!(
            h.url("/api/v3/queue").unwrap().as_str(),
            "http://host:7878/radarr/api/v3/queue",
            "the reverse-proxy URL base must survive joining"
        );
    }

    #[test]
    fn quotes_are_short_and_on_one_line() {
        let body = format!("<html>\n  <body>{}</body></html>", "x".repeat(200));
        let q = quote(body.as_bytes());
        assert!(
            q.starts_with("<html> <body>xx"),
            "whitespace collapsed: {q}"
        );
        assert_eq!(
            q.chars().count(),
            QUOTE_CHARS + 1,
            "80 chars plus an ellipsis"
        );
    }

    #[test]
    fn percent_encoding_keeps_unreserved_only() {
        assert_eq!(percent_encode("Status Tracker/1"), "Status%20Tracker%2F1");
        assert_eq!(percent_encode("a-b_c.d~"), "a-b_c.d~");
    }

    #[test]
    fn durations_read_like_a_person_wrote_them() {
        assert_eq!(human_duration(Duration::from_secs(10)), "10 s");
        assert_eq!(human_duration(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(human_duration(Duration::from_millis(250)), "250 ms");
    }

    #[test]
    fn an_unreadable_ca_file_is_a_config_error() {
        let mut cfg = config("radarr", "https://host");
        cfg.ca_file = Some("/nonexistent/ca.pem".into());
        let err = Http::new(&cfg, "Radarr", HeaderMap::new(), false, stats()).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Config);
        assert!(
            err.message.contains("/nonexistent/ca.pem"),
            "{}",
            err.message
        );
    }

    #[tokio::test]
    async fn connection_refused_is_unreachable() {
        let url = closed_port_url();
        let (h, stats) = http(&url, Duration::from_secs(2));
        let err = h.send(h.get("api").unwrap()).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Unreachable, "{err}");
        assert!(
            err.message
                .starts_with("connection refused at http://127.0.0.1:"),
            "{}",
            err.message
        );
        assert_eq!(stats.requests(), 1, "a failed request is still a request");
    }

    #[tokio::test]
    async fn a_silent_server_times_out() {
        let url = silent_server().await;
        let (h, _) = http(&url, Duration::from_secs(1));
        let err = h.send(h.get("api").unwrap()).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Timeout, "{err}");
        assert!(
            err.message.starts_with("timed out after 1 s"),
            "{}",
            err.message
        );
    }

    #[tokio::test]
    async fn html_with_200_is_a_bad_response_quoting_the_page() {
        let url = serve(axum::Router::new().route(
            "/api",
            get(|| async { axum::response::Html("<!DOCTYPE html><html>login</html>") }),
        ))
        .await;
        let (h, stats) = http(&url, Duration::from_secs(2));
        let answer = h.send(h.get("api").unwrap()).await.unwrap();
        let err = h.json::<serde_json::Value>(&answer).unwrap_err();
        assert_eq!(err.kind, ErrorKind::BadResponse);
        assert_eq!(
            err.message,
            "Radarr sent something that is not JSON: <!DOCTYPE html><html>login</html>"
        );
        assert_eq!(stats.bytes(), 33, "received bytes are counted");
    }
}
