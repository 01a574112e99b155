//! Connection tests for every configured service.

use crate::config::{Config, ServiceConfig};
use crate::secrets::Secret;
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

/// Tests every configured service concurrently, in pipeline order (the
/// instances of Radarr and Sonarr one after the other, in config order).
pub async fn check_all(config: &Config) -> Vec<CheckResult> {
    let stats = HttpStats::new();
    macro_rules! test {
        ($configs:expr, $client:ident) => {
            async {
                let mut results = Vec::new();
                for cfg in $configs {
                    let name = cfg.name.clone();
                    let r = match build(cfg, |c, k| $client::new(c, k, stats.clone())) {
                        Ok(mut client) => {
                            with_deadline(&name, Some(cfg), client.test_connection()).await
                        }
                        Err(e) => Err(e),
                    };
                    results.push(CheckResult::from(&name, r));
                }
                results
            }
        };
    }
    let (a, b, c, d, e, f) = tokio::join!(
        test!(config.jellyseerr.iter(), JellyseerrClient),
        test!(config.radarr.iter(), RadarrClient),
        test!(config.sonarr.iter(), SonarrClient),
        test!(config.qbittorrent.iter(), QbittorrentClient),
        test!(config.shoko.iter(), ShokoClient),
        test!(config.jellyfin.iter(), JellyfinClient),
    );
    [a, b, c, d, e, f].into_iter().flatten().collect()
}

/// Tests one service with the given settings and secret (the Settings
/// window's "Test connection", before anything is saved).
pub async fn check_one(cfg: &ServiceConfig, secret: Secret) -> CheckResult {
    let stats = HttpStats::new();
    let name = cfg.name.clone();
    macro_rules! test {
        ($client:ident) => {
            match $client::new(cfg, secret, stats) {
                Ok(mut c) => with_deadline(&name, Some(cfg), c.test_connection()).await,
                Err(e) => Err(e),
            }
        };
    }
    let r = match crate::ServiceId::parse(crate::config::kind_of(&name)) {
        Some(crate::ServiceId::Jellyseerr) => test!(JellyseerrClient),
        Some(crate::ServiceId::Radarr) => test!(RadarrClient),
        Some(crate::ServiceId::Sonarr) => test!(SonarrClient),
        Some(crate::ServiceId::Qbittorrent) => test!(QbittorrentClient),
        Some(crate::ServiceId::Shoko) => test!(ShokoClient),
        Some(crate::ServiceId::Jellyfin) => test!(JellyfinClient),
        None => Err(ServiceError::new(
            &name,
            crate::services::ErrorKind::Config,
            format!("unknown service {name}"),
        )),
    };
    CheckResult::from(&name, r)
}
