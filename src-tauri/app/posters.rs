//! The `poster:` protocol: the windows load `poster://localhost/{id}/{size}`
//! (`http://poster.localhost/...` on Windows), and the app answers with the
//! request's poster from the disk cache, or fetched through the user's own
//! services (`services::posters`) and then cached. The CSP allows images
//! from this protocol only: no remote host, and no API key in a URL.
//!
//! Misses are remembered for [`MISS_TTL`] so that a list redrawn every few
//! seconds does not ask again for a poster nobody has; the sources (built
//! from the config and the secrets) are rebuilt when the config changes or
//! a service's settings are saved, which also forgets the misses.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tauri::http::{header, Request, Response, StatusCode};
use tauri::{AppHandle, Manager, Runtime};

use crate::config::Config;
use crate::secrets;
use crate::services::posters::{sniff_image, PosterKey, PosterSize, PosterSources};
use crate::services::HttpStats;
use crate::store::{PosterCache, Store};

use super::state::AppState;

/// The URI scheme.
pub const SCHEME: &str = "poster";
/// How long a poster no service had is not asked for again.
pub const MISS_TTL: Duration = Duration::from_secs(600);
/// Posters fetched at once (a window of 100 rows asks for 100).
const FETCHES_AT_ONCE: usize = 4;

/// Managed state of the protocol.
pub struct Posters {
    cache: PosterCache,
    data_dir: PathBuf,
    sources: Mutex<Option<(Config, Arc<PosterSources>)>>,
    misses: Mutex<HashMap<String, Instant>>,
    fetches: tokio::sync::Semaphore,
    /// A read connection for the requests' keys, opened on first use.
    store: Mutex<Option<Store>>,
}

impl Posters {
    pub fn new(data_dir: PathBuf) -> Self {
        Posters {
            cache: PosterCache::new(&data_dir),
            data_dir,
            sources: Mutex::new(None),
            misses: Mutex::new(HashMap::new()),
            fetches: tokio::sync::Semaphore::new(FETCHES_AT_ONCE),
            store: Mutex::new(None),
        }
    }

    /// Forgets the sources and the misses (a service's settings changed).
    pub fn forget_sources(&self) {
        if let Ok(mut s) = self.sources.lock() {
            *s = None;
        }
        if let Ok(mut m) = self.misses.lock() {
            m.clear();
        }
    }

    /// The sources for `config`, rebuilt when it differs from the last one.
    fn sources_for(&self, config: Config) -> Option<Arc<PosterSources>> {
        let mut guard = self.sources.lock().ok()?;
        if let Some((c, s)) = guard.as_ref() {
            if *c == config {
                return Some(s.clone());
            }
        }
        if let Ok(mut m) = self.misses.lock() {
            m.clear();
        }
        let sources = Arc::new(PosterSources::new(
            &config,
            |name| secrets::lookup(name).ok(),
            HttpStats::new(),
        ));
        *guard = Some((config, sources.clone()));
        Some(sources)
    }

    /// The cached poster `name` as an answer, if it is there and an image.
    fn cached(&self, name: &str) -> Option<Response<Vec<u8>>> {
        let bytes = self.cache.get(name)?;
        let mime = sniff_image(&bytes)?;
        Some(respond(StatusCode::OK, mime, bytes))
    }

    fn missed_recently(&self, name: &str) -> bool {
        self.missed_within(name, MISS_TTL)
    }

    fn missed_within(&self, name: &str, ttl: Duration) -> bool {
        self.misses
            .lock()
            .ok()
            .and_then(|m| m.get(name).copied())
            .is_some_and(|at| at.elapsed() < ttl)
    }

    fn remember_miss(&self, name: String) {
        if let Ok(mut m) = self.misses.lock() {
            m.retain(|_, at| at.elapsed() < MISS_TTL);
            m.insert(name, Instant::now());
        }
    }

    /// The poster key of request `id`, from the database.
    fn key(&self, id: i64) -> Option<PosterKey> {
        let mut guard = self.store.lock().ok()?;
        if guard.is_none() {
            *guard = Store::open_in(&self.data_dir).ok();
        }
        let record = guard.as_ref()?.load_record(id).ok()??;
        Some(PosterKey::of(&record))
    }
}

/// `/{id}/{size}` (percent-encoded or not) → (id, size).
fn parse_path(path: &str) -> Option<(i64, PosterSize)> {
    let decoded = percent_decode(path)?;
    let mut parts = decoded.trim_start_matches('/').split('/');
    let id = parts.next()?.parse().ok()?;
    let size = PosterSize::parse(parts.next()?)?;
    parts.next().is_none().then_some((id, size))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn respond(status: StatusCode, mime: &str, body: Vec<u8>) -> Response<Vec<u8>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, mime)
        .header(header::CACHE_CONTROL, "max-age=3600")
        .body(body)
        .unwrap_or_else(|_| Response::new(Vec::new()))
}

fn not_found() -> Response<Vec<u8>> {
    respond(StatusCode::NOT_FOUND, "text/plain", Vec::new())
}

/// Answers one `poster:` request.
pub async fn answer<R: Runtime>(
    app: &AppHandle<R>,
    request: &Request<Vec<u8>>,
) -> Response<Vec<u8>> {
    let Some((id, size)) = parse_path(request.uri().path()) else {
        return not_found();
    };
    let (Some(posters), Some(state)) = (app.try_state::<Posters>(), app.try_state::<AppState>())
    else {
        return not_found();
    };
    let posters = posters.inner();
    let key = {
        let p = app.clone();
        tauri::async_runtime::spawn_blocking(move || p.state::<Posters>().key(id))
            .await
            .ok()
            .flatten()
    };
    let Some(key) = key else {
        return not_found();
    };
    let Some(name) = key.cache_name(size) else {
        return not_found();
    };
    if let Some(hit) = posters.cached(&name) {
        return hit;
    }
    if posters.missed_recently(&name) {
        return not_found();
    }
    let Ok(_permit) = posters.fetches.acquire().await else {
        return not_found();
    };
    // Another request may have fetched it while this one waited.
    if let Some(hit) = posters.cached(&name) {
        return hit;
    }
    let Some(sources) = posters.sources_for(state.load_config().unwrap_or_default()) else {
        return not_found();
    };
    match sources.fetch(&key, size).await {
        Ok(poster) => {
            if let Err(e) = posters.cache.put(&name, &poster.bytes) {
                log::warn!("a poster could not be cached: {e}");
            }
            respond(StatusCode::OK, poster.mime, poster.bytes)
        }
        Err(why) => {
            log::debug!("no poster for request {id}: {why}");
            posters.remember_miss(name);
            not_found()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_miss_is_remembered_until_the_settings_change() {
        let dir = std::env::temp_dir().join(format!("st-posters-{}", std::process::id()));
        let posters = Posters::new(dir);
        assert!(!posters.missed_recently("tmdb-list-a.jpg"));
        posters.remember_miss("tmdb-list-a.jpg".into());
        assert!(posters.missed_recently("tmdb-list-a.jpg"));
        assert!(!posters.missed_recently("tmdb-list-b.jpg"));
        posters.forget_sources();
        assert!(
            !posters.missed_recently("tmdb-list-a.jpg"),
            "saved settings forget misses"
        );
        posters.remember_miss("tmdb-list-a.jpg".into());
        assert!(
            !posters.missed_within("tmdb-list-a.jpg", Duration::ZERO),
            "a miss older than the TTL is asked again"
        );
    }

    #[test]
    fn the_path_names_a_request_and_a_size() {
        assert_eq!(parse_path("/12/list"), Some((12, PosterSize::List)));
        assert_eq!(parse_path("/12%2Fdetail"), Some((12, PosterSize::Detail)));
        assert_eq!(parse_path("12/list"), Some((12, PosterSize::List)));
        for bad in [
            "/12",
            "/x/list",
            "/12/huge",
            "/12/list/more",
            "/12%2",
            "/%FF/list",
        ] {
            assert_eq!(parse_path(bad), None, "{bad}");
        }
    }
}
