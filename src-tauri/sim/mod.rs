//! The simulated media stack: Jellyseerr, Radarr, Sonarr, qBittorrent, Shoko
//! and Jellyfin as six real HTTP servers on 127.0.0.1, all rendering one
//! shared [`SimWorld`].
//!
//! The demo mode, the integration tests and the benchmarks use it. Payloads
//! follow `tests/fixtures/**` and docs/services.md, traps included: the
//! *arr queue pages by 10 and omits null fields, Seerr rejects unknown query
//! parameters with 400 and keeps whole-second `updatedAt`s (many changes can
//! share one), Jellyfin ignores unknown filters and returns the whole
//! library and gives a replaced file a new item Id, qBittorrent sessions
//! expire and failed logins get banned.
//!
//! Each service can be switched into a [`FailureMode`] (refused connections,
//! 500s, hangs, HTML or broken JSON) and counts the requests it received.
//! [`Timeline`]s replay stories step by step ([`demo_timeline`]).
//!
//! The services act as well as answer: Seerr approves and declines requests
//! and hands approved ones to Radarr/Sonarr, the *arrs run search commands
//! and take downloads out of their queue (blocklisting them and searching
//! again). [`SimWorld::acts`] logs every such call; the demo's autopilot
//! ([`SimWorld::start_autopilot`]) carries what a search grabbed through to
//! Jellyfin.
//!
//! This module depends on nothing else in the crate but [`crate::ServiceId`]
//! and the phase names (`populate` stages requests by phase).

mod acts;
mod arr;
mod demo;
mod jellyfin;
mod populate;
mod posters;
mod qbit;
mod seerr;
mod server;
mod shoko;
mod timeline;
mod world;

#[cfg(test)]
mod actions_tests;
#[cfg(test)]
mod blocklist_tests;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;

pub use acts::ActCall;
pub use demo::Demo;
pub use populate::Stage;
pub use timeline::{demo_timeline, demo_world, run_timeline, Step, Timeline};
pub use world::{media_status, request_status, ShokoState, SimError, SimWorld};

/// One of the six simulated services: Jellyseerr 2.7.3 (`/api/v1`), Radarr
/// v5 and Sonarr v4 (`/api/v3`), qBittorrent 4.5.2 (WebUI API 2.8.19), Shoko
/// Server 5.3.3, Jellyfin 10.11.11. `Service::ALL` is also the port order
/// (`start_on(base)` puts Jellyseerr on `base`).
pub use crate::ServiceId as Service;

/// How a simulated service answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailureMode {
    /// Normal operation.
    #[default]
    Up,
    /// The listener is closed: connections are refused (the port is bound
    /// again when the mode changes back).
    Refused,
    /// Every request gets HTTP 500.
    Status500,
    /// Credentials are rejected the way the service does it (Seerr 403 JSON,
    /// *arr 401, qBittorrent `Fails.`/403, Shoko 401, Jellyfin 401); public
    /// endpoints still answer.
    Unauthorized,
    /// Requests are accepted and never answered (until the mode changes).
    Hang,
    /// An HTML error page with status 200, as a misconfigured proxy sends.
    Html200,
    /// Status 200 with a truncated JSON body.
    Malformed,
    /// Every answer is right but comes this many milliseconds late (a busy
    /// server, a slow disk, a far-away VPN).
    Slow(u32),
}

/// Base URLs of the six servers, e.g. `http://127.0.0.1:41234`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimUrls {
    /// Jellyseerr base URL.
    pub jellyseerr: String,
    /// Radarr base URL.
    pub radarr: String,
    /// Sonarr base URL.
    pub sonarr: String,
    /// qBittorrent base URL.
    pub qbittorrent: String,
    /// Shoko Server base URL.
    pub shoko: String,
    /// Jellyfin base URL.
    pub jellyfin: String,
}

impl SimUrls {
    /// The base URL of one service.
    pub fn of(&self, service: Service) -> &str {
        match service {
            Service::Jellyseerr => &self.jellyseerr,
            Service::Radarr => &self.radarr,
            Service::Sonarr => &self.sonarr,
            Service::Qbittorrent => &self.qbittorrent,
            Service::Shoko => &self.shoko,
            Service::Jellyfin => &self.jellyfin,
        }
    }
}

/// Jellyseerr's API key (`X-Api-Key`).
pub const SIM_JELLYSEERR_API_KEY: &str = "sim-jellyseerr-0123456789abcdef";
/// Radarr's API key (`X-Api-Key`).
pub const SIM_RADARR_API_KEY: &str = "simradarr0123456789abcdef0123456";
/// Sonarr's API key (`X-Api-Key`).
pub const SIM_SONARR_API_KEY: &str = "simsonarr0123456789abcdef0123456";
/// Jellyfin's API key (`Authorization: MediaBrowser Token="..."`).
pub const SIM_JELLYFIN_API_KEY: &str = "simjellyfin0123456789abcdef01234";
/// qBittorrent's WebUI user.
pub const SIM_QBITTORRENT_USERNAME: &str = "admin";
/// qBittorrent's WebUI password.
pub const SIM_QBITTORRENT_PASSWORD: &str = "adminadmin";
/// Shoko's user.
pub const SIM_SHOKO_USERNAME: &str = "admin";
/// Shoko's password.
pub const SIM_SHOKO_PASSWORD: &str = "sim-shoko-password";

/// The environment variables a client needs to reach the sim (the secrets
/// contract: `STATUS_TRACKER_<SERVICE>_<KIND>`).
pub fn sim_env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("STATUS_TRACKER_JELLYSEERR_API_KEY", SIM_JELLYSEERR_API_KEY),
        ("STATUS_TRACKER_RADARR_API_KEY", SIM_RADARR_API_KEY),
        ("STATUS_TRACKER_SONARR_API_KEY", SIM_SONARR_API_KEY),
        ("STATUS_TRACKER_JELLYFIN_API_KEY", SIM_JELLYFIN_API_KEY),
        (
            "STATUS_TRACKER_QBITTORRENT_PASSWORD",
            SIM_QBITTORRENT_PASSWORD,
        ),
        ("STATUS_TRACKER_SHOKO_PASSWORD", SIM_SHOKO_PASSWORD),
    ]
}

/// A config file for the app pointing at the sim.
pub fn config_toml(urls: &SimUrls) -> String {
    format!(
        "[jellyseerr]\nurl = \"{}\"\n\n[radarr]\nurl = \"{}\"\n\n[sonarr]\nurl = \"{}\"\n\n\
         [jellyfin]\nurl = \"{}\"\n\n[qbittorrent]\nurl = \"{}\"\nusername = \"{}\"\n\n\
         [shoko]\nurl = \"{}\"\nusername = \"{}\"\n",
        urls.jellyseerr,
        urls.radarr,
        urls.sonarr,
        urls.jellyfin,
        urls.qbittorrent,
        SIM_QBITTORRENT_USERNAME,
        urls.shoko,
        SIM_SHOKO_USERNAME,
    )
}

/// The six running servers and their world.
pub struct SimStack {
    urls: SimUrls,
    world: SimWorld,
    servers: Vec<server::ServerHandle>,
}

impl std::fmt::Debug for SimStack {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimStack")
            .field("urls", &self.urls)
            .finish_non_exhaustive()
    }
}

impl SimStack {
    /// Starts the six servers on random free ports of 127.0.0.1.
    pub async fn start() -> std::io::Result<SimStack> {
        Self::start_with(SimWorld::new(), None).await
    }

    /// Starts them on `base_port..=base_port + 5`, in [`Service::ALL`] order.
    pub async fn start_on(base_port: u16) -> std::io::Result<SimStack> {
        Self::start_with(SimWorld::new(), Some(base_port)).await
    }

    /// Starts the servers over an existing world (random ports when
    /// `base_port` is `None`).
    pub async fn start_with(world: SimWorld, base_port: Option<u16>) -> std::io::Result<SimStack> {
        let mut servers = Vec::new();
        for service in Service::ALL {
            let port = match base_port {
                Some(base) => base.checked_add(service.index() as u16).ok_or_else(|| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, "base port too high")
                })?,
                None => 0,
            };
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let router = match service {
                Service::Jellyseerr => seerr::router(world.clone()),
                Service::Radarr => arr::router(world.clone(), crate::ArrApp::Radarr),
                Service::Sonarr => arr::router(world.clone(), crate::ArrApp::Sonarr),
                Service::Qbittorrent => qbit::router(world.clone()),
                Service::Shoko => shoko::router(world.clone()),
                Service::Jellyfin => jellyfin::router(world.clone()),
            };
            match server::ServerHandle::start(service, addr, router, world.clone()).await {
                Ok(h) => servers.push(h),
                Err(e) => {
                    for s in servers {
                        s.stop().await;
                    }
                    return Err(e);
                }
            }
        }
        let url = |s: Service| {
            servers
                .get(s.index())
                .map(|h| format!("http://{}", h.addr()))
                .unwrap_or_default()
        };
        let urls = SimUrls {
            jellyseerr: url(Service::Jellyseerr),
            radarr: url(Service::Radarr),
            sonarr: url(Service::Sonarr),
            qbittorrent: url(Service::Qbittorrent),
            shoko: url(Service::Shoko),
            jellyfin: url(Service::Jellyfin),
        };
        world.with(|w| w.urls = Some(urls.clone()));
        Ok(SimStack {
            urls,
            world,
            servers,
        })
    }

    /// The six base URLs.
    pub fn urls(&self) -> &SimUrls {
        &self.urls
    }

    /// A handle to read and drive the world.
    pub fn world(&self) -> SimWorld {
        self.world.clone()
    }

    /// Stops the six servers (hung requests are released).
    pub async fn shutdown(self) {
        for s in self.servers {
            s.stop().await;
        }
    }
}
