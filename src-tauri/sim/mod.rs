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
//! [`SimStack::start_4k`] adds a second Radarr and a second Sonarr (the 4K
//! instances, [`ArrInstance::FourK`]), each with its own port, key,
//! library, queue and history, sharing qBittorrent and Jellyfin.
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
mod instances_tests;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;

pub use acts::ActCall;
pub use demo::Demo;
pub use populate::Stage;
pub use timeline::{demo_timeline, demo_world, run_timeline, Step, Timeline};
pub use world::{media_status, request_status, ArrInstance, ShokoState, SimError, SimWorld};

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

/// Base URLs of the six servers, e.g. `http://127.0.0.1:41234`, and of the
/// 4K Radarr and Sonarr when the stack has them.
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
    /// The 4K Radarr's base URL ([`SimStack::start_4k`]).
    pub radarr_4k: Option<String>,
    /// The 4K Sonarr's base URL ([`SimStack::start_4k`]).
    pub sonarr_4k: Option<String>,
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

    /// The base URL of one instance of a service: the 4K Radarr or Sonarr
    /// when the stack has it (`None` otherwise); for the HD instance and
    /// the other services, [`Self::of`].
    pub fn of_instance(&self, service: Service, instance: ArrInstance) -> Option<&str> {
        match (service, instance) {
            (Service::Radarr, ArrInstance::FourK) => self.radarr_4k.as_deref(),
            (Service::Sonarr, ArrInstance::FourK) => self.sonarr_4k.as_deref(),
            _ => Some(self.of(service)),
        }
    }
}

/// Jellyseerr's API key (`X-Api-Key`).
pub const SIM_JELLYSEERR_API_KEY: &str = "sim-jellyseerr-0123456789abcdef";
/// Radarr's API key (`X-Api-Key`).
pub const SIM_RADARR_API_KEY: &str = "simradarr0123456789abcdef0123456";
/// Sonarr's API key (`X-Api-Key`).
pub const SIM_SONARR_API_KEY: &str = "simsonarr0123456789abcdef0123456";
/// The 4K Radarr's own API key (the HD one is refused there).
pub const SIM_RADARR_4K_API_KEY: &str = "simradarr4k456789abcdef012345678";
/// The 4K Sonarr's own API key.
pub const SIM_SONARR_4K_API_KEY: &str = "simsonarr4k456789abcdef012345678";
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

/// [`sim_env`] and the keys of the array form's instances
/// (`STATUS_TRACKER_<SERVICE>_<NAME>_API_KEY`): the `hd` instances take
/// the HD keys, the `4k` ones their own, which only the 4K servers accept.
/// For a stack started with [`SimStack::start_4k`].
pub fn sim_env_4k() -> Vec<(&'static str, &'static str)> {
    let mut env = sim_env();
    env.extend([
        ("STATUS_TRACKER_RADARR_HD_API_KEY", SIM_RADARR_API_KEY),
        ("STATUS_TRACKER_RADARR_4K_API_KEY", SIM_RADARR_4K_API_KEY),
        ("STATUS_TRACKER_SONARR_HD_API_KEY", SIM_SONARR_API_KEY),
        ("STATUS_TRACKER_SONARR_4K_API_KEY", SIM_SONARR_4K_API_KEY),
    ]);
    env
}

/// A config file for the app pointing at the sim. A Radarr or Sonarr with
/// a 4K instance is written in the array form (`[[radarr]]` named `hd`,
/// then `[[radarr]]` named `4k` with `is_4k = true`); without one, as the
/// single table it has always been.
pub fn config_toml(urls: &SimUrls) -> String {
    let arr = |kind: &str, hd: &str, uhd: Option<&String>| match uhd {
        Some(uhd) => format!(
            "[[{kind}]]\nname = \"hd\"\nurl = \"{hd}\"\n\n\
             [[{kind}]]\nname = \"4k\"\nurl = \"{uhd}\"\nis_4k = true\n"
        ),
        None => format!("[{kind}]\nurl = \"{hd}\"\n"),
    };
    format!(
        "[jellyseerr]\nurl = \"{}\"\n\n{}\n{}\n\
         [jellyfin]\nurl = \"{}\"\n\n[qbittorrent]\nurl = \"{}\"\nusername = \"{}\"\n\n\
         [shoko]\nurl = \"{}\"\nusername = \"{}\"\n",
        urls.jellyseerr,
        arr("radarr", &urls.radarr, urls.radarr_4k.as_ref()),
        arr("sonarr", &urls.sonarr, urls.sonarr_4k.as_ref()),
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
        Self::start_servers(world, base_port, false).await
    }

    /// Starts the six servers and a second Radarr and Sonarr, the 4K
    /// instances ([`ArrInstance::FourK`]), on random free ports: each 4K
    /// server has its own key ([`SIM_RADARR_4K_API_KEY`],
    /// [`SIM_SONARR_4K_API_KEY`]), library, queue, history and failure
    /// mode; qBittorrent and Jellyfin are shared. [`config_toml`] then
    /// writes the array form.
    pub async fn start_4k() -> std::io::Result<SimStack> {
        Self::start_4k_with(SimWorld::new(), None).await
    }

    /// [`Self::start_4k`] over an existing world; with a `base_port`, the
    /// six servers take `base_port..=base_port + 5` as in [`Self::start_on`],
    /// the 4K Radarr `base_port + 6` and the 4K Sonarr `base_port + 7`.
    pub async fn start_4k_with(
        world: SimWorld,
        base_port: Option<u16>,
    ) -> std::io::Result<SimStack> {
        Self::start_servers(world, base_port, true).await
    }

    async fn start_servers(
        world: SimWorld,
        base_port: Option<u16>,
        with_4k: bool,
    ) -> std::io::Result<SimStack> {
        let mut plan: Vec<(Service, ArrInstance)> = Service::ALL
            .into_iter()
            .map(|s| (s, ArrInstance::Hd))
            .collect();
        if with_4k {
            plan.push((Service::Radarr, ArrInstance::FourK));
            plan.push((Service::Sonarr, ArrInstance::FourK));
        }
        let mut servers = Vec::new();
        for (offset, (service, instance)) in plan.iter().copied().enumerate() {
            let port = match base_port {
                Some(base) => u16::try_from(offset)
                    .ok()
                    .and_then(|o| base.checked_add(o))
                    .ok_or_else(|| {
                        std::io::Error::new(std::io::ErrorKind::InvalidInput, "base port too high")
                    })?,
                None => 0,
            };
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            let router = match service {
                Service::Jellyseerr => seerr::router(world.clone()),
                Service::Radarr => arr::router(world.clone(), crate::ArrApp::Radarr, instance),
                Service::Sonarr => arr::router(world.clone(), crate::ArrApp::Sonarr, instance),
                Service::Qbittorrent => qbit::router(world.clone()),
                Service::Shoko => shoko::router(world.clone()),
                Service::Jellyfin => jellyfin::router(world.clone()),
            };
            match server::ServerHandle::start(service, instance, addr, router, world.clone()).await
            {
                Ok(h) => servers.push(h),
                Err(e) => {
                    for s in servers {
                        s.stop().await;
                    }
                    return Err(e);
                }
            }
        }
        let url_of = |wanted: (Service, ArrInstance)| {
            plan.iter()
                .position(|p| *p == wanted)
                .and_then(|i| servers.get(i))
                .map(|h| format!("http://{}", h.addr()))
        };
        let url = |s: Service| url_of((s, ArrInstance::Hd)).unwrap_or_default();
        let urls = SimUrls {
            jellyseerr: url(Service::Jellyseerr),
            radarr: url(Service::Radarr),
            sonarr: url(Service::Sonarr),
            qbittorrent: url(Service::Qbittorrent),
            shoko: url(Service::Shoko),
            jellyfin: url(Service::Jellyfin),
            radarr_4k: url_of((Service::Radarr, ArrInstance::FourK)),
            sonarr_4k: url_of((Service::Sonarr, ArrInstance::FourK)),
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

    /// Stops the servers (hung requests are released).
    pub async fn shutdown(self) {
        for s in self.servers {
            s.stop().await;
        }
    }
}
