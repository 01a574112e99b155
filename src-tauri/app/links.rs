//! The pages of a request on the user's own services (Jellyfin's item,
//! Jellyseerr's page, the *arr's page), built from the configured URLs only,
//! and the browser that opens them.

use crate::config::Config;

use super::error::{IpcError, IpcResult};

/// Each page of a request the configuration allows.
pub struct Links {
    pub jellyfin: Option<String>,
    pub jellyseerr: Option<String>,
    pub arr: Option<String>,
}

fn base(url: &url::Url) -> String {
    url.as_str().trim_end_matches('/').to_string()
}

/// The Radarr/Sonarr instance that follows the request (the first of its
/// resolution before one does).
fn arr_instance<'c>(
    instances: &'c [crate::config::ServiceConfig],
    r: &crate::tracker::RequestRecord,
) -> Option<&'c crate::config::ServiceConfig> {
    r.instance
        .as_deref()
        .and_then(|name| instances.iter().find(|s| s.name == name))
        .or_else(|| instances.iter().find(|s| s.is_4k == r.is_4k))
}

pub fn links(config: &Config, r: &crate::tracker::RequestRecord) -> Links {
    use crate::tracker::MediaType;
    let jellyfin = config
        .jellyfin
        .as_ref()
        .zip(r.jellyfin_id.as_ref())
        .map(|(c, id)| format!("{}/web/#/details?id={id}", base(&c.url)));
    let jellyseerr = config
        .jellyseerr
        .as_ref()
        .zip(r.tmdb_id)
        .map(|(c, t)| format!("{}/{}/{t}", base(&c.url), r.media_type.as_str()));
    let arr = match r.media_type {
        MediaType::Movie => arr_instance(&config.radarr, r)
            .zip(r.tmdb_id)
            .map(|(c, t)| format!("{}/movie/{t}", base(&c.url))),
        MediaType::Tv => arr_instance(&config.sonarr, r)
            .zip(r.tvdb_id)
            .map(|(c, t)| format!("{}/add/new?term=tvdb%3A{t}", base(&c.url))),
    };
    Links {
        jellyfin,
        jellyseerr,
        arr,
    }
}

/// Opens a URL built from the configured service URLs (never one from the
/// UI) in the desktop's browser: xdg-open, or gio, gnome-open, kde-open
/// where it is missing (`open` on macOS, the shell on Windows). The `open`
/// crate waits for the opener on a thread of its own: no exited child is
/// left behind (a spawned xdg-open left a zombie per click).
pub fn open_in_browser(url: &str) -> IpcResult<()> {
    open::that_detached(url)
        .map_err(|e| IpcError::new("internal", format!("cannot open the browser: {e}")))
}
