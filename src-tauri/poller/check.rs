//! Connection tests for every configured service.

use crate::config::Config;
use crate::services::jellyfin::JellyfinClient;
use crate::services::jellyseerr::JellyseerrClient;
use crate::services::qbittorrent::QbittorrentClient;
use crate::services::radarr::RadarrClient;
use crate::services::shoko::ShokoClient;
use crate::services::sonarr::SonarrClient;
use crate::services::{HttpStats, ServiceError, ServiceInfo};

use super::{build, with_deadline};

/// The outcome of one service's connection test.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CheckResult {
    pub name: String,
    pub ok: bool,
    pub error: Option<String>,
    pub version: Option<String>,
}

impl CheckResult {
    fn from(name: &str, r: Result<ServiceInfo, ServiceError>) -> Self {
        match r {
            Ok(info) => CheckResult {
                name: name.to_string(),
                ok: true,
                error: None,
                version: info.version,
            },
            Err(e) => CheckResult {
                name: name.to_string(),
                ok: false,
                error: Some(e.message),
                version: None,
            },
        }
    }
}

/// Tests every configured service concurrently, in pipeline order.
pub async fn check_all(config: &Config) -> Vec<CheckResult> {
    let stats = HttpStats::new();
    macro_rules! test {
        ($field:ident, $client:ident) => {
            async {
                let cfg = config.$field.as_ref()?;
                let name = cfg.name.clone();
                let r = match build(cfg, |c, k| $client::new(c, k, stats.clone())) {
                    Ok(mut client) => {
                        with_deadline(&name, Some(cfg), client.test_connection()).await
                    }
                    Err(e) => Err(e),
                };
                Some(CheckResult::from(&name, r))
            }
        };
    }
    let (a, b, c, d, e, f) = tokio::join!(
        test!(jellyseerr, JellyseerrClient),
        test!(radarr, RadarrClient),
        test!(sonarr, SonarrClient),
        test!(qbittorrent, QbittorrentClient),
        test!(shoko, ShokoClient),
        test!(jellyfin, JellyfinClient),
    );
    [a, b, c, d, e, f].into_iter().flatten().collect()
}
