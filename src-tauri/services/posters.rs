//! Posters through the user's own services, so that a desktop that reaches
//! the media stack but not TMDB still shows them. In order:
//!
//! 1. Jellyseerr's image proxy, `GET {seerr}/imageproxy/tmdb/t/p/{size}{posterPath}`
//!    (`/imageproxy/t/p/...` before 2.6.0): served whatever the "cache
//!    images" setting says (the setting only changes which URLs Seerr's own
//!    pages use), no credential, the same TMDB art as Seerr's pages. A
//!    missing image is a 500, not a 404.
//! 2. Radarr / Sonarr, `GET /api/v3/mediacover/{movieId|seriesId}/poster-{250|500}.jpg`
//!    with the API key (the static `/MediaCover/...` path does not take the
//!    key: behind forms login it redirects). 404 when there is no cover.
//! 3. Jellyfin, `GET /Items/{itemId}/Images/Primary?fillWidth=..&fillHeight=..`:
//!    anonymous; 404 when the item or the image is missing.
//!
//! Whatever answers must be an image (PNG, JPEG, WebP or GIF, checked by
//! its first bytes, at most [`MAX_POSTER_BYTES`]): a login page, an SVG or a
//! JSON error never reaches the window.

use std::sync::Arc;

use reqwest::header::HeaderMap;
use reqwest::StatusCode;
use tokio::sync::OnceCell;

use super::arr::{self, ArrApp};
use super::http::Http;
use super::{HttpStats, ServiceError};
use crate::config::{Config, ServiceConfig};
use crate::secrets::Secret;
use crate::tracker::{MediaType, RequestRecord};

/// A poster larger than this is refused (TMDB's w342 posters are ~40 KB).
pub const MAX_POSTER_BYTES: usize = 4 * 1024 * 1024;

/// How large a poster is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PosterSize {
    /// A row of the main window.
    List,
    /// The detail window's header.
    Detail,
}

impl PosterSize {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "list" => Some(PosterSize::List),
            "detail" => Some(PosterSize::Detail),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            PosterSize::List => "list",
            PosterSize::Detail => "detail",
        }
    }

    /// TMDB's size name (Seerr's proxy passes it through).
    fn tmdb(self) -> &'static str {
        match self {
            PosterSize::List => "w154",
            PosterSize::Detail => "w342",
        }
    }

    /// The *arrs' resized cover (height in px; they fall back to the full one).
    fn arr_file(self) -> &'static str {
        match self {
            PosterSize::List => "poster-250.jpg",
            PosterSize::Detail => "poster-500.jpg",
        }
    }

    /// Jellyfin's (width, height).
    fn jellyfin_box(self) -> (u32, u32) {
        match self {
            PosterSize::List => (154, 231),
            PosterSize::Detail => (342, 513),
        }
    }
}

/// What names a request's poster at each service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PosterKey {
    /// TMDB's poster path ("/abc.jpg"), when it is a plain file name.
    pub poster_path: Option<String>,
    pub media_type: MediaType,
    /// Radarr movie id / Sonarr series id.
    pub arr_id: Option<i64>,
    /// The Radarr/Sonarr instance `arr_id` belongs to ("radarr.4k"; None:
    /// the first one). Each instance numbers its films apart.
    pub instance: Option<String>,
    /// Jellyfin item id (the film, or the series).
    pub jellyfin_id: Option<String>,
}

impl PosterKey {
    /// The key of a record. Ids that could steer a request path elsewhere
    /// (anything but a plain file name, a number, a hex/dashed id) are dropped.
    pub fn of(r: &RequestRecord) -> Self {
        PosterKey {
            poster_path: r.poster_path.clone().filter(|p| plain_image_path(p)),
            media_type: r.media_type,
            arr_id: r.arr_id.filter(|id| *id > 0),
            // A service name as the config allows it ("radarr", "radarr.4k").
            instance: r.instance.clone().filter(|i| {
                let kind_known = |kind| crate::ServiceId::parse(kind).is_some();
                i.split_once('.').map_or(kind_known(i), |(kind, instance)| {
                    kind_known(kind) && crate::config::valid_instance_name(instance)
                })
            }),
            jellyfin_id: r.jellyfin_id.clone().filter(|id| plain_id(id)),
        }
    }

    /// Is there anything to ask for?
    pub fn is_empty(&self) -> bool {
        self.poster_path.is_none() && self.arr_id.is_none() && self.jellyfin_id.is_none()
    }

    /// The cache file name for this poster at `size`: the TMDB path when
    /// there is one (a path names one image for ever: TMDB gives a new image
    /// a new path), else the *arr id, else the Jellyfin item id (a replaced
    /// file is a new item with a new id). Only `[A-Za-z0-9._-]`.
    pub fn cache_name(&self, size: PosterSize) -> Option<String> {
        let size = size.as_str();
        if let Some(path) = &self.poster_path {
            return Some(format!("tmdb-{size}-{}", path.trim_start_matches('/')));
        }
        // "radarr-7-list", or "radarr.4k-7-list" for an instance: ids of
        // different instances name different films.
        let kind = match (&self.instance, self.media_type) {
            (Some(instance), _) if instance.contains('.') => instance.as_str(),
            (_, MediaType::Movie) => "radarr",
            (_, MediaType::Tv) => "sonarr",
        };
        if let Some(id) = self.arr_id {
            return Some(format!("{kind}-{id}-{size}"));
        }
        self.jellyfin_id
            .as_ref()
            .map(|id| format!("jellyfin-{id}-{size}"))
    }
}

/// A TMDB poster path: "/" then a file name of `[A-Za-z0-9_-]` (dots only
/// before the extension) ending in an image extension.
fn plain_image_path(p: &str) -> bool {
    let Some(name) = p.strip_prefix('/') else {
        return false;
    };
    let Some((stem, ext)) = name.rsplit_once('.') else {
        return false;
    };
    !stem.is_empty()
        && stem.len() <= 128
        && stem
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && matches!(
            ext.to_ascii_lowercase().as_str(),
            "jpg" | "jpeg" | "png" | "webp"
        )
}

/// A Jellyfin item id: hex digits and dashes.
fn plain_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// A poster image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poster {
    pub bytes: Vec<u8>,
    pub mime: &'static str,
}

/// The image type of `bytes` by their first bytes; None for anything else
/// (HTML, JSON, SVG: SVG can carry script).
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else {
        None
    }
}

/// Which form Seerr's image proxy takes (by its version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProxyForm {
    /// 2.6.0 and later: `/imageproxy/tmdb/t/p/...`.
    Typed,
    /// Before 2.6.0: `/imageproxy/t/p/...`.
    Plain,
}

/// The form for a version string ("2.7.3", "v2.5.0", "develop"): the typed
/// one unless the version says it is older than 2.6.
fn proxy_form(version: Option<&str>) -> ProxyForm {
    let parse = |v: &str| -> Option<(u32, u32)> {
        let mut parts = v.trim().trim_start_matches('v').split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some((major, minor))
    };
    match version.and_then(parse) {
        Some(v) if v < (2, 6) => ProxyForm::Plain,
        _ => ProxyForm::Typed,
    }
}

struct Seerr {
    http: Http,
    form: OnceCell<ProxyForm>,
}

/// The services posters are fetched from, built from the config (the
/// *arrs' API keys from the secrets store). Nothing is sent until a fetch.
pub struct PosterSources {
    seerr: Option<Seerr>,
    /// Each Radarr/Sonarr instance with its name, in config order.
    radarr: Vec<(String, Http)>,
    sonarr: Vec<(String, Http)>,
    jellyfin: Option<Http>,
}

impl PosterSources {
    /// `secret` looks up a service's credential by its section name. A
    /// service whose client cannot be built is left out (the poller says why).
    pub fn new(
        config: &Config,
        secret: impl Fn(&str) -> Option<Secret>,
        stats: Arc<HttpStats>,
    ) -> Self {
        let plain = |cfg: &Option<ServiceConfig>, product| {
            cfg.as_ref()
                .and_then(|c| Http::new(c, product, HeaderMap::new(), false, stats.clone()).ok())
        };
        let keyed = |list: &[ServiceConfig], app: ArrApp| {
            list.iter()
                .filter_map(|cfg| {
                    let key = secret(&cfg.name)?;
                    let http = arr::build_http(app, cfg, &key, stats.clone()).ok()?;
                    Some((cfg.name.clone(), http))
                })
                .collect()
        };
        PosterSources {
            seerr: plain(&config.jellyseerr, "Jellyseerr").map(|http| Seerr {
                http,
                form: OnceCell::new(),
            }),
            radarr: keyed(&config.radarr, ArrApp::Radarr),
            sonarr: keyed(&config.sonarr, ArrApp::Sonarr),
            jellyfin: plain(&config.jellyfin, "Jellyfin"),
        }
    }

    /// The poster from the first service that has it; else what each said.
    pub async fn fetch(&self, key: &PosterKey, size: PosterSize) -> Result<Poster, String> {
        // Where to ask, in order: (service, path below its base URL).
        let mut asks: Vec<(&Http, String)> = Vec::new();
        if let (Some(seerr), Some(path)) = (&self.seerr, &key.poster_path) {
            let form = seerr
                .form
                .get_or_init(|| async {
                    let version = seerr_version(&seerr.http).await;
                    proxy_form(version.as_deref())
                })
                .await;
            let prefix = match form {
                ProxyForm::Typed => "imageproxy/tmdb/t/p",
                ProxyForm::Plain => "imageproxy/t/p",
            };
            asks.push((&seerr.http, format!("{prefix}/{}{path}", size.tmdb())));
        }
        let arrs = match key.media_type {
            MediaType::Movie => &self.radarr,
            MediaType::Tv => &self.sonarr,
        };
        // The instance that follows the request, else the first.
        let arr = arrs
            .iter()
            .find(|(name, _)| key.instance.as_deref() == Some(name.as_str()))
            .or(arrs.first())
            .map(|(_, http)| http);
        if let (Some(http), Some(id)) = (arr, key.arr_id) {
            asks.push((http, format!("api/v3/mediacover/{id}/{}", size.arr_file())));
        }
        if let (Some(http), Some(id)) = (&self.jellyfin, &key.jellyfin_id) {
            let (w, h) = size.jellyfin_box();
            asks.push((
                http,
                format!("Items/{id}/Images/Primary?fillWidth={w}&fillHeight={h}&quality=90"),
            ));
        }
        if asks.is_empty() {
            return Err("no service knows this request's poster".into());
        }
        let mut said = Vec::new();
        for (http, path) in asks {
            match image(http, &path).await {
                Ok(p) => return Ok(p),
                Err(e) => said.push(e),
            }
        }
        Err(said.join("; "))
    }
}

/// Seerr's version from its public status, if it answers.
async fn seerr_version(http: &Http) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Status {
        version: Option<String>,
    }
    let answer = http.send(http.get("api/v1/status").ok()?).await.ok()?;
    if !answer.status.is_success() {
        return None;
    }
    http.json::<Status>(&answer).ok()?.version
}

/// GETs `path` and keeps the body only if it is an image.
async fn image(http: &Http, path: &str) -> Result<Poster, String> {
    let product = http.product();
    let request = http.get(path).map_err(|e| e.message)?;
    let answer = http
        .send(request)
        .await
        .map_err(|e: ServiceError| e.message)?;
    if answer.status != StatusCode::OK {
        return Err(format!("{product} answered {}", answer.status));
    }
    if answer.body.len() > MAX_POSTER_BYTES {
        return Err(format!(
            "{product} sent a poster of {} bytes",
            answer.body.len()
        ));
    }
    let mime = sniff_image(&answer.body)
        .ok_or_else(|| format!("{product} sent something that is not an image"))?;
    Ok(Poster {
        bytes: answer.body,
        mime,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_file_names_and_ids_make_a_key() {
        for good in [
            "/zxM1AIKBP83plf2buLR0cbGfvl2.jpg",
            "/sim-poster-12-s1.jpg",
            "/a_b.PNG",
        ] {
            assert!(plain_image_path(good), "{good}");
        }
        for bad in [
            "zxM1.jpg",
            "/../api/v1/settings.jpg",
            "/a/b.jpg",
            "//evil.example/x.jpg",
            "/x.svg",
            "/x.jpg?apikey=1",
            "/.jpg",
            "/a.b.jpg",
        ] {
            assert!(!plain_image_path(bad), "{bad}");
        }
        assert!(plain_id("4f1b1d0c9e8a4b7c8d6e5f4a3b2c1d0e"));
        assert!(!plain_id("../System/Info"));
        assert!(!plain_id(""));
    }

    #[test]
    fn the_cache_name_is_the_tmdb_path_then_the_arr_id_then_the_jellyfin_id() {
        let mut key = PosterKey {
            poster_path: Some("/abc.jpg".into()),
            media_type: MediaType::Tv,
            arr_id: Some(7),
            instance: Some("sonarr".into()),
            jellyfin_id: Some("beef".into()),
        };
        assert_eq!(
            key.cache_name(PosterSize::List).as_deref(),
            Some("tmdb-list-abc.jpg")
        );
        key.poster_path = None;
        assert_eq!(
            key.cache_name(PosterSize::Detail).as_deref(),
            Some("sonarr-7-detail")
        );
        // Series 7 of the 4K Sonarr is another series than the HD one's 7.
        key.instance = Some("sonarr.4k".into());
        assert_eq!(
            key.cache_name(PosterSize::Detail).as_deref(),
            Some("sonarr.4k-7-detail")
        );
        key.instance = Some("sonarr".into());
        key.arr_id = None;
        assert_eq!(
            key.cache_name(PosterSize::List).as_deref(),
            Some("jellyfin-beef-list")
        );
        key.jellyfin_id = None;
        assert!(key.is_empty());
        assert_eq!(key.cache_name(PosterSize::List), None);
    }

    #[test]
    fn seerr_before_2_6_takes_the_untyped_proxy_path() {
        assert_eq!(proxy_form(Some("2.7.3")), ProxyForm::Typed);
        assert_eq!(proxy_form(Some("2.6.0")), ProxyForm::Typed);
        assert_eq!(proxy_form(Some("3.1.0")), ProxyForm::Typed);
        assert_eq!(proxy_form(Some("2.5.2")), ProxyForm::Plain);
        assert_eq!(proxy_form(Some("v2.0.1")), ProxyForm::Plain);
        assert_eq!(proxy_form(Some("develop")), ProxyForm::Typed);
        assert_eq!(proxy_form(None), ProxyForm::Typed);
    }

    #[test]
    fn only_images_pass_the_sniff() {
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"GIF89a.."), Some("image/gif"));
        assert_eq!(sniff_image(b"<!DOCTYPE html><html>"), None);
        assert_eq!(sniff_image(b"<svg onload=alert(1)>"), None);
        assert_eq!(sniff_image(b"{\"message\":\"x\"}"), None);
        assert_eq!(sniff_image(b""), None);
    }
}
