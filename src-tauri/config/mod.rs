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
//! Each section name is also the service's name (in `check --json`, the
//! keyring account and the secret's environment variable). Radarr and Sonarr
//! may instead be arrays of named instances (a 4K Radarr, an anime Sonarr):
//!
//! ```toml
//! [[radarr]]
//! name = "hd"                 # required, unique per kind: [a-z0-9_-], 1-32
//! url = "http://192.168.1.10:7878"
//!
//! [[radarr]]
//! name = "4k"
//! url = "http://192.168.1.10:7879"
//! is_4k = true                # follows Jellyseerr's 4K requests (default false)
//! ```
//!
//! An instance's name is then `radarr.<name>` (`radarr.4k`): its keyring
//! account, and `STATUS_TRACKER_RADARR_4K_API_KEY` its variable. The single
//! table keeps `radarr` and `STATUS_TRACKER_RADARR_API_KEY`, and may say
//! `is_4k = true` too.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use url::Url;

pub use crate::tracker::reconcile::AttentionRules;
pub use crate::tracker::NotifyPrefs;
use crate::ServiceId;

mod write;
pub use write::{edit_toml, save, to_toml};

/// How to reach one service. The credential is looked up separately (see
/// [`crate::secrets`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceConfig {
    /// The service's name: the config section ("jellyseerr", "radarr", ...),
    /// or `radarr.<name>` / `sonarr.<name>` for an instance of the array form.
    pub name: String,
    /// The array form's `name` ("4k"); None for a single table.
    pub instance: Option<String>,
    /// Radarr/Sonarr: this instance follows Jellyseerr's 4K requests.
    pub is_4k: bool,
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
    /// `[attention]`: the stuck thresholds.
    pub attention: AttentionRules,
    /// `[app] log_level`: error, warn, info, debug or trace.
    pub log_level: Option<String>,
    pub jellyseerr: Option<ServiceConfig>,
    /// Every Radarr instance, in config order (one for the single table).
    pub radarr: Vec<ServiceConfig>,
    /// Every Sonarr instance, in config order.
    pub sonarr: Vec<ServiceConfig>,
    pub qbittorrent: Option<ServiceConfig>,
    pub shoko: Option<ServiceConfig>,
    pub jellyfin: Option<ServiceConfig>,
}

impl Config {
    /// The one-service slot of a service that has no instances.
    fn single_mut(&mut self, id: ServiceId) -> Option<&mut Option<ServiceConfig>> {
        match id {
            ServiceId::Jellyseerr => Some(&mut self.jellyseerr),
            ServiceId::Qbittorrent => Some(&mut self.qbittorrent),
            ServiceId::Shoko => Some(&mut self.shoko),
            ServiceId::Jellyfin => Some(&mut self.jellyfin),
            ServiceId::Radarr | ServiceId::Sonarr => None,
        }
    }

    /// The instances of Radarr or Sonarr.
    pub fn arr(&self, app: crate::ArrApp) -> &[ServiceConfig] {
        match app {
            crate::ArrApp::Radarr => &self.radarr,
            crate::ArrApp::Sonarr => &self.sonarr,
        }
    }

    fn arr_mut(&mut self, app: crate::ArrApp) -> &mut Vec<ServiceConfig> {
        match app {
            crate::ArrApp::Radarr => &mut self.radarr,
            crate::ArrApp::Sonarr => &mut self.sonarr,
        }
    }

    /// The service called `name` ("radarr", "radarr.4k", "jellyfin").
    pub fn service(&self, name: &str) -> Option<&ServiceConfig> {
        self.services().into_iter().find(|s| s.name == name)
    }

    /// Puts `svc` in place of the service of the same name, or adds it (an
    /// instance after the others of its kind). False for an unknown service,
    /// and for a single `[radarr]` while the file has `[[radarr]]` instances
    /// or the other way round (see [`Config::instances_from_single`]): one
    /// kind is written in one form.
    pub fn set_service(&mut self, svc: ServiceConfig) -> bool {
        let Some(id) = ServiceId::parse(kind_of(&svc.name)) else {
            return false;
        };
        match (self.single_mut(id), id.arr_app()) {
            (Some(slot), _) => *slot = Some(svc),
            (None, Some(app)) => {
                let list = self.arr_mut(app);
                let mixed = list
                    .iter()
                    .any(|s| s.instance.is_some() != svc.instance.is_some());
                match list.iter_mut().find(|s| s.name == svc.name) {
                    Some(old) => *old = svc,
                    None if mixed => return false,
                    None => list.push(svc),
                }
            }
            (None, None) => return false,
        }
        true
    }

    /// Before a first named instance of `kind` ("radarr") is added beside
    /// its single table: the single one becomes the instance `main` (or
    /// `hd`, when `main` is the new one's name), so that the kind is written
    /// in the array form. Some((old name, new name)) when it was renamed:
    /// its credential must follow it (`radarr` → `radarr.main`).
    pub fn instances_from_single(&mut self, kind: &str, adding: &str) -> Option<(String, String)> {
        let app = ServiceId::parse(kind)?.arr_app()?;
        let list = self.arr_mut(app);
        let single = list.iter_mut().find(|s| s.instance.is_none())?;
        let instance = if adding == "main" { "hd" } else { "main" };
        let old = std::mem::replace(&mut single.name, format!("{kind}.{instance}"));
        single.instance = Some(instance.to_string());
        Some((old, single.name.clone()))
    }

    /// Removes the service called `name`; false when there is none.
    pub fn remove_service(&mut self, name: &str) -> bool {
        let Some(id) = ServiceId::parse(kind_of(name)) else {
            return false;
        };
        match (self.single_mut(id), id.arr_app()) {
            (Some(slot), _) => slot.take().is_some(),
            (None, Some(app)) => {
                let list = self.arr_mut(app);
                let before = list.len();
                list.retain(|s| s.name != name);
                list.len() != before
            }
            (None, None) => false,
        }
    }

    /// The configured services, in pipeline order (instances in config order).
    pub fn services(&self) -> Vec<&ServiceConfig> {
        let mut out: Vec<&ServiceConfig> = self.jellyseerr.iter().collect();
        out.extend(&self.radarr);
        out.extend(&self.sonarr);
        out.extend(self.qbittorrent.iter());
        out.extend(self.shoko.iter());
        out.extend(self.jellyfin.iter());
        out
    }
}

/// The kind part of a service name: "radarr" of "radarr.4k".
pub fn kind_of(name: &str) -> &str {
    name.split_once('.').map_or(name, |(kind, _)| kind)
}

/// Is this a valid instance name ([a-z0-9_-], 1 to 32 characters)?
pub fn valid_instance_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
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
/// A single `[radarr]`/`[sonarr]` table.
const ARR_KEYS: [&str; 5] = ["url", "username", "timeout_secs", "ca_file", "is_4k"];
/// One instance of `[[radarr]]`/`[[sonarr]]`.
const ARR_INSTANCE_KEYS: [&str; 6] = [
    "name",
    "url",
    "username",
    "timeout_secs",
    "ca_file",
    "is_4k",
];
const NOTIFY_KEYS: [&str; 6] = [
    "available",
    "failed",
    "stuck",
    "episodes",
    "pending",
    "no_release",
];
/// `[attention]`: how long each situation may last before it is stuck.
const ATTENTION_KEYS: [&str; 4] = [
    "not_in_arr_minutes",
    "no_release_hours",
    "stalled_minutes",
    "not_imported_minutes",
];
/// Each `[attention]` key with its largest value (a week, or a year of
/// hours) and its unit, in [`ATTENTION_KEYS`] order.
const ATTENTION_LIMITS: [(&str, u32, &str); 4] = [
    (ATTENTION_KEYS[0], 10_080, "minutes"),
    (ATTENTION_KEYS[1], 8_760, "hours"),
    (ATTENTION_KEYS[2], 10_080, "minutes"),
    (ATTENTION_KEYS[3], 10_080, "minutes"),
];

/// The thresholds' values in [`ATTENTION_KEYS`] order.
fn attention_values(a: &AttentionRules) -> [u32; 4] {
    [
        a.not_in_arr_minutes,
        a.no_release_hours,
        a.stalled_minutes,
        a.not_imported_minutes,
    ]
}

/// Thresholds from the Settings window, held to the limits the config
/// file's are: Err names the first one out of range.
pub fn checked_attention(a: AttentionRules) -> Result<AttentionRules, String> {
    for (value, (key, max, unit)) in attention_values(&a).into_iter().zip(ATTENTION_LIMITS) {
        if !(1..=max).contains(&value) {
            return Err(format!(
                "attention.{key}: expected a whole number of {unit} from 1 to {max}, not {value}"
            ));
        }
    }
    Ok(a)
}
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
    /// The array form's instance name.
    name: Option<String>,
    is_4k: Option<bool>,
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
        let known_section = matches!(
            section.as_str(),
            "poll" | "notifications" | "attention" | "app"
        ) || ServiceId::parse(section).is_some();
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
                known: format!(
                    "[poll], [notifications], [attention], [app], {}",
                    section_list()
                ),
            });
        }
        let is_arr = ServiceId::parse(section).is_some_and(|id| id.arr_app().is_some());
        // Radarr and Sonarr may be an array of instances (`[[radarr]]`).
        let tables: Vec<(String, &toml::Table, bool)> = match value {
            toml::Value::Table(t) => vec![(section.clone(), t, false)],
            toml::Value::Array(items) if is_arr => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item.as_table() {
                    Some(t) => Ok((format!("{section}[{i}]"), t, true)),
                    None => Err(ConfigError::Invalid {
                        path: p(),
                        key: format!("{section}[{i}]"),
                        message: format!("expected a [[{section}]] table"),
                    }),
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err(ConfigError::Invalid {
                    path: p(),
                    key: section.clone(),
                    message: format!("expected a [{section}] section"),
                })
            }
        };
        for (label, inner, in_array) in tables {
            for key in inner.keys() {
                let full = format!("{label}.{key}");
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
                    "attention" => &ATTENTION_KEYS,
                    "app" => &APP_KEYS,
                    _ if in_array => &ARR_INSTANCE_KEYS,
                    _ if is_arr => &ARR_KEYS,
                    _ => &SERVICE_KEYS,
                };
                if !known.contains(&key.as_str()) {
                    let hint = if key == "name" && is_arr {
                        format!(
                            " (`name` belongs to the array form: write [[{section}]] for each instance)"
                        )
                    } else {
                        String::new()
                    };
                    return Err(ConfigError::UnknownKey {
                        path: p(),
                        key: full,
                        known: format!("{}{hint}", known.join(", ")),
                    });
                }
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
            no_release: flag("no_release", d.no_release)?,
        };
    }
    if let Some(a) = table.get("attention").and_then(|v| v.as_table()) {
        let mut rules = attention_values(&AttentionRules::default());
        for (slot, (key, max, unit)) in rules.iter_mut().zip(ATTENTION_LIMITS) {
            if let Some(v) = a.get(key) {
                *slot = match v.as_integer() {
                    Some(n) if (1..=i64::from(max)).contains(&n) => n as u32,
                    _ => {
                        return Err(ConfigError::Invalid {
                            path: p(),
                            key: format!("attention.{key}"),
                            message: format!("expected a whole number of {unit} from 1 to {max}"),
                        })
                    }
                };
            }
        }
        let [not_in_arr_minutes, no_release_hours, stalled_minutes, not_imported_minutes] = rules;
        config.attention = AttentionRules {
            not_in_arr_minutes,
            no_release_hours,
            stalled_minutes,
            not_imported_minutes,
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
        let kind = id.name();
        let Some(value) = table.get(kind) else {
            continue;
        };
        let raw = |v: &toml::Value, key: String| -> Result<RawService, ConfigError> {
            v.clone()
                .try_into()
                .map_err(|e: toml::de::Error| ConfigError::Invalid {
                    path: p(),
                    key,
                    message: e.message().to_string(),
                })
        };
        let Some(items) = value.as_array() else {
            config.set_service(service_config(kind, raw(value, kind.to_string())?, path)?);
            continue;
        };
        // The array form: every instance named, each name once.
        for (i, item) in items.iter().enumerate() {
            let key = format!("{kind}[{i}]");
            let raw = raw(item, key.clone())?;
            let instance = raw.name.clone().unwrap_or_default();
            if !valid_instance_name(&instance) {
                return Err(ConfigError::Invalid {
                    path: p(),
                    key: format!("{key}.name"),
                    message: if raw.name.is_none() {
                        format!("each [[{kind}]] needs a name (a-z, 0-9, _ and -, 1 to 32 characters), e.g. name = \"4k\"")
                    } else {
                        format!("{instance:?} is not a valid name: use a-z, 0-9, _ and -, 1 to 32 characters")
                    },
                });
            }
            let name = format!("{kind}.{instance}");
            if config.service(&name).is_some() {
                return Err(ConfigError::Invalid {
                    path: p(),
                    key: format!("{key}.name"),
                    message: format!(
                        "two [[{kind}]] instances are named {instance:?}: each name once"
                    ),
                });
            }
            let mut svc = service_config(&name, raw, path)?;
            svc.instance = Some(instance);
            config.set_service(svc);
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
    let needs_user = ServiceId::parse(kind_of(name)).is_some_and(ServiceId::needs_username);
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
    let is_arr = ServiceId::parse(kind_of(name)).is_some_and(|id| id.arr_app().is_some());
    if raw.is_4k.is_some() && !is_arr {
        return Err(invalid(
            "is_4k",
            "only Radarr and Sonarr instances follow 4K requests: remove the line".into(),
        ));
    }
    Ok(ServiceConfig {
        name: name.to_string(),
        instance: None,
        is_4k: raw.is_4k.unwrap_or(false),
        url,
        username,
        timeout,
        ca_file,
    })
}

fn default_port(name: &str) -> u16 {
    ServiceId::parse(kind_of(name))
        .map_or(ServiceId::Jellyfin.default_port(), ServiceId::default_port)
}

/// Builds one service's settings from what a user typed (the Settings window).
pub fn service_from_input(
    name: &str,
    url: &str,
    username: Option<&str>,
    timeout_secs: Option<u64>,
) -> Result<ServiceConfig, ConfigError> {
    let instance = name.split_once('.').map(|(_, i)| i.to_string());
    let known_kind = ServiceId::parse(kind_of(name))
        .is_some_and(|id| instance.is_none() || id.arr_app().is_some());
    if !known_kind || instance.as_deref().is_some_and(|i| !valid_instance_name(i)) {
        return Err(ConfigError::UnknownKey {
            path: PathBuf::from("(settings)"),
            key: name.to_string(),
            known: section_list(),
        });
    }
    service_config(
        name,
        RawService {
            name: None,
            is_4k: None,
            url: url.to_string(),
            username: username.map(str::to_string),
            timeout_secs,
            ca_file: None,
        },
        Path::new("(settings)"),
    )
    .map(|svc| ServiceConfig { instance, ..svc })
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
