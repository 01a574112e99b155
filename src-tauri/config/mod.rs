//! Typed settings, read from a TOML file. Secrets never live here: a key that
//! looks like a secret, or credentials inside a URL, make the file invalid.
//!
//! ```toml
//! [poll]                      # optional, every key optional
//! downloading_secs = 5        # qBittorrent while something downloads
//! active_secs = 30            # Radarr/Sonarr/Jellyfin/Shoko while requests move
//! jellyseerr_secs = 60
//! idle_secs = 300             # everything, when nothing moved recently
//! sweep_secs = 900            # full re-read of every listing
//!
//! [jellyseerr]                # required for check/poll/watch
//! url = "http://192.168.1.10:5055"
//! timeout_secs = 10           # optional, any service
//! ca_file = "/etc/ssl/homelab-ca.pem"   # optional, any service
//!
//! [radarr]
//! url = "http://192.168.1.10:7878"
//! [sonarr]
//! url = "http://192.168.1.10:8989"
//! [jellyfin]
//! url = "http://192.168.1.10:8096"
//! [qbittorrent]
//! url = "http://192.168.1.10:8080"
//! username = "admin"
//! [shoko]
//! url = "http://192.168.1.10:8111"
//! username = "admin"
//! ```
//!
//! Each section name is also the service instance's name (in `check --json`,
//! the keyring account and the secret's environment variable). Further
//! instances (a 4K Radarr, an anime Sonarr) will be added as new sections with
//! a `kind` key, so files written today stay valid.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

pub use crate::tracker::NotifyPrefs;
use crate::ServiceId;

mod write;
pub use write::{edit_toml, save, to_toml};

/// How to reach one service. The credential is looked up separately (see
/// [`crate::secrets`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceConfig {
    /// The config section name: "jellyseerr", "radarr", ...
    pub name: String,
    /// Base URL, e.g. `http://192.168.1.10:7878` or `https://media.example/radarr`.
    pub url: Url,
    /// qBittorrent and Shoko only.
    pub username: Option<String>,
    /// Per-request timeout (default 10 s).
    pub timeout: Duration,
    /// A PEM file with a CA certificate to trust for this service (homelab CA).
    pub ca_file: Option<PathBuf>,
}

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Poll cadence.
#[derive(Debug, Clone, PartialEq)]
pub struct PollConfig {
    pub downloading: Duration,
    pub active: Duration,
    pub jellyseerr: Duration,
    pub idle: Duration,
    pub sweep: Duration,
}

impl Default for PollConfig {
    fn default() -> Self {
        Self {
            downloading: Duration::from_secs(5),
            active: Duration::from_secs(30),
            jellyseerr: Duration::from_secs(60),
            idle: Duration::from_secs(300),
            sweep: Duration::from_secs(900),
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub poll: PollConfig,
    pub notifications: NotifyPrefs,
    /// `[app] log_level`: error, warn, info, debug or trace.
    pub log_level: Option<String>,
    pub jellyseerr: Option<ServiceConfig>,
    pub radarr: Option<ServiceConfig>,
    pub sonarr: Option<ServiceConfig>,
    pub qbittorrent: Option<ServiceConfig>,
    pub shoko: Option<ServiceConfig>,
    pub jellyfin: Option<ServiceConfig>,
}

impl Config {
    /// The section of a service by its name; None for an unknown name.
    pub fn slot_mut(&mut self, name: &str) -> Option<&mut Option<ServiceConfig>> {
        Some(match ServiceId::parse(name)? {
            ServiceId::Jellyseerr => &mut self.jellyseerr,
            ServiceId::Radarr => &mut self.radarr,
            ServiceId::Sonarr => &mut self.sonarr,
            ServiceId::Qbittorrent => &mut self.qbittorrent,
            ServiceId::Shoko => &mut self.shoko,
            ServiceId::Jellyfin => &mut self.jellyfin,
        })
    }

    /// The configured services, in pipeline order.
    pub fn services(&self) -> Vec<&ServiceConfig> {
        [
            &self.jellyseerr,
            &self.radarr,
            &self.sonarr,
            &self.qbittorrent,
            &self.shoko,
            &self.jellyfin,
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// Why a config file cannot be used. Each message says what to fix.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {path} is not valid TOML: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("the config file {path} has an unknown key `{key}`; known keys: {known}")]
    UnknownKey {
        path: PathBuf,
        key: String,
        known: String,
    },
    #[error("the config file {path} contains a secret (`{key}`): secrets do not go into files. Remove it and store it in the OS keyring (the Settings window) or in the environment variable {env_var}")]
    SecretInFile {
        path: PathBuf,
        key: String,
        env_var: String,
    },
    #[error("the config file {path}: `{key}` is invalid: {message}")]
    Invalid {
        path: PathBuf,
        key: String,
        message: String,
    },
    #[error("no config file at {path}: create it with at least a [jellyseerr] section (url = \"http://host:5055\"), or pass --config FILE")]
    Missing { path: PathBuf },
    #[error("the config file {path} has no [jellyseerr] section, which check, poll and watch need: add one with its url")]
    NoJellyseerr { path: PathBuf },
}

const SERVICE_KEYS: [&str; 4] = ["url", "username", "timeout_secs", "ca_file"];
const NOTIFY_KEYS: [&str; 5] = ["available", "failed", "stuck", "episodes", "pending"];
const APP_KEYS: [&str; 1] = ["log_level"];
const LOG_LEVELS: [&str; 5] = ["error", "warn", "info", "debug", "trace"];
const POLL_KEYS: [&str; 5] = [
    "downloading_secs",
    "active_secs",
    "jellyseerr_secs",
    "idle_secs",
    "sweep_secs",
];

/// Does a key name look like it holds a secret?
fn looks_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase().replace(['-', '.'], "_");
    [
        "api_key", "apikey", "password", "passwd", "token", "secret", "pass",
    ]
    .iter()
    .any(|s| k == *s || k.ends_with(&format!("_{s}")) || k.starts_with(&format!("{s}_")))
        || k.contains("password")
        || k.contains("apikey")
        || k.contains("api_key")
        || k.contains("token")
}

/// Reads and validates a config file. A missing file is [`ConfigError::Missing`].
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError::Missing {
                path: path.to_path_buf(),
            })
        }
        Err(source) => {
            return Err(ConfigError::Unreadable {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    parse(&text, path)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    url: String,
    username: Option<String>,
    timeout_secs: Option<u64>,
    ca_file: Option<PathBuf>,
}

/// Parses config text; `path` is only used in messages and to resolve a
/// relative `ca_file`.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let p = || path.to_path_buf();
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Syntax {
            path: p(),
            message: e.message().to_string(),
        })?;

    // First pass: structure, secrets and unknown keys, with precise messages.
    for (section, value) in &table {
        let known_section = matches!(section.as_str(), "poll" | "notifications" | "app")
            || ServiceId::parse(section).is_some();
        if looks_secret(section) {
            return Err(ConfigError::SecretInFile {
                path: p(),
                key: section.clone(),
                env_var: "STATUS_TRACKER_<SERVICE>_API_KEY".into(),
            });
        }
        if !known_section {
            return Err(ConfigError::UnknownKey {
                path: p(),
                key: section.clone(),
                known: format!("[poll], [notifications], [app], {}", section_list()),
            });
        }
        let Some(inner) = value.as_table() else {
            return Err(ConfigError::Invalid {
                path: p(),
                key: section.clone(),
                message: format!("expected a [{section}] section"),
            });
        };
        for key in inner.keys() {
            let full = format!("{section}.{key}");
            if looks_secret(key) {
                let env_var = if section == "poll" {
                    "STATUS_TRACKER_<SERVICE>_API_KEY".to_string()
                } else {
                    crate::secrets::env_var_name(section, crate::secrets::secret_kind(section))
                };
                return Err(ConfigError::SecretInFile {
                    path: p(),
                    key: full,
                    env_var,
                });
            }
            let known: &[&str] = match section.as_str() {
                "poll" => &POLL_KEYS,
                "notifications" => &NOTIFY_KEYS,
                "app" => &APP_KEYS,
                _ => &SERVICE_KEYS,
            };
            if !known.contains(&key.as_str()) {
                return Err(ConfigError::UnknownKey {
                    path: p(),
                    key: full,
                    known: known.join(", "),
                });
            }
        }
    }

    let mut config = Config::default();
    if let Some(poll) = table.get("poll").and_then(|v| v.as_table()) {
        let secs = |key: &str, default: Duration| -> Result<Duration, ConfigError> {
            match poll.get(key) {
                None => Ok(default),
                Some(v) => match v.as_integer() {
                    Some(n) if (1..=86_400).contains(&n) => Ok(Duration::from_secs(n as u64)),
                    _ => Err(ConfigError::Invalid {
                        path: p(),
                        key: format!("poll.{key}"),
                        message: "expected a whole number of seconds from 1 to 86400".into(),
                    }),
                },
            }
        };
        let d = PollConfig::default();
        config.poll = PollConfig {
            downloading: secs("downloading_secs", d.downloading)?,
            active: secs("active_secs", d.active)?,
            jellyseerr: secs("jellyseerr_secs", d.jellyseerr)?,
            idle: secs("idle_secs", d.idle)?,
            sweep: secs("sweep_secs", d.sweep)?,
        };
    }

    if let Some(n) = table.get("notifications").and_then(|v| v.as_table()) {
        let flag = |key: &str, default: bool| -> Result<bool, ConfigError> {
            match n.get(key) {
                None => Ok(default),
                Some(v) => v.as_bool().ok_or_else(|| ConfigError::Invalid {
                    path: p(),
                    key: format!("notifications.{key}"),
                    message: "expected true or false".into(),
                }),
            }
        };
        let d = NotifyPrefs::default();
        config.notifications = NotifyPrefs {
            available: flag("available", d.available)?,
            failed: flag("failed", d.failed)?,
            stuck: flag("stuck", d.stuck)?,
            episodes: flag("episodes", d.episodes)?,
            pending: flag("pending", d.pending)?,
        };
    }
    if let Some(level) = table
        .get("app")
        .and_then(|v| v.as_table())
        .and_then(|t| t.get("log_level"))
    {
        match level.as_str() {
            Some(l) if LOG_LEVELS.contains(&l) => config.log_level = Some(l.to_string()),
            _ => {
                return Err(ConfigError::Invalid {
                    path: p(),
                    key: "app.log_level".into(),
                    message: format!("expected one of {}", LOG_LEVELS.join(", ")),
                })
            }
        }
    }

    for id in ServiceId::ALL {
        let name = id.name();
        let Some(value) = table.get(name) else {
            continue;
        };
        let raw: RawService =
            value
                .clone()
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Invalid {
                    path: p(),
                    key: name.to_string(),
                    message: e.message().to_string(),
                })?;
        let svc = service_config(name, raw, path)?;
        if let Some(slot) = config.slot_mut(name) {
            *slot = Some(svc);
        }
    }
    Ok(config)
}

fn section_list() -> String {
    ServiceId::ALL
        .iter()
        .map(|s| format!("[{s}]"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn service_config(name: &str, raw: RawService, path: &Path) -> Result<ServiceConfig, ConfigError> {
    let invalid = |key: &str, message: String| ConfigError::Invalid {
        path: path.to_path_buf(),
        key: format!("{name}.{key}"),
        message,
    };
    let url = Url::parse(raw.url.trim()).map_err(|e| {
        invalid(
            "url",
            format!(
                "{e} (expected something like \"http://192.168.1.10:{}\")",
                default_port(name)
            ),
        )
    })?;
    if url.scheme() != "http" && url.scheme() != "https" {
        return Err(invalid(
            "url",
            format!("the scheme must be http or https, not {}", url.scheme()),
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("url", "the URL has no host".into()));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::SecretInFile {
            path: path.to_path_buf(),
            key: format!("{name}.url (credentials inside the URL)"),
            env_var: crate::secrets::env_var_name(name, crate::secrets::secret_kind(name)),
        });
    }
    if url.query_pairs().any(|(k, _)| looks_secret(&k)) {
        return Err(ConfigError::SecretInFile {
            path: path.to_path_buf(),
            key: format!("{name}.url (a key in the query string)"),
            env_var: crate::secrets::env_var_name(name, crate::secrets::secret_kind(name)),
        });
    }
    let needs_user = ServiceId::parse(name).is_some_and(ServiceId::needs_username);
    let username = raw.username.filter(|u| !u.trim().is_empty());
    if needs_user && username.is_none() {
        return Err(invalid("username", "this service needs a username".into()));
    }
    if !needs_user && username.is_some() {
        return Err(invalid(
            "username",
            "this service takes an API key, not a username: remove the line".into(),
        ));
    }
    let timeout = match raw.timeout_secs {
        None => DEFAULT_TIMEOUT,
        Some(n) if (1..=300).contains(&n) => Duration::from_secs(n),
        Some(_) => {
            return Err(invalid(
                "timeout_secs",
                "expected a whole number of seconds from 1 to 300".into(),
            ))
        }
    };
    let ca_file = match raw.ca_file {
        None => None,
        Some(f) => {
            let f = if f.is_relative() {
                path.parent().map(|d| d.join(&f)).unwrap_or(f)
            } else {
                f
            };
            if let Err(e) = std::fs::metadata(&f) {
                return Err(invalid(
                    "ca_file",
                    format!("cannot read {}: {e}", f.display()),
                ));
            }
            Some(f)
        }
    };
    Ok(ServiceConfig {
        name: name.to_string(),
        url,
        username,
        timeout,
        ca_file,
    })
}

fn default_port(name: &str) -> u16 {
    ServiceId::parse(name).map_or(ServiceId::Jellyfin.default_port(), ServiceId::default_port)
}

/// Builds one service's settings from what a user typed (the Settings window).
pub fn service_from_input(
    name: &str,
    url: &str,
    username: Option<&str>,
    timeout_secs: Option<u64>,
) -> Result<ServiceConfig, ConfigError> {
    if ServiceId::parse(name).is_none() {
        return Err(ConfigError::UnknownKey {
            path: PathBuf::from("(settings)"),
            key: name.to_string(),
            known: section_list(),
        });
    }
    service_config(
        name,
        RawService {
            url: url.to_string(),
            username: username.map(str::to_string),
            timeout_secs,
            ca_file: None,
        },
        Path::new("(settings)"),
    )
}

/// The default config file: `<OS config dir>/status-tracker/config.toml`.
pub fn default_config_path() -> PathBuf {
    dirs::config_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("status-tracker")
        .join("config.toml")
}

/// The default data dir: `<OS data dir>/status-tracker`.
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("status-tracker")
}

#[cfg(test)]
mod tests;
