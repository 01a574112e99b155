//! Secrets: the one type that holds a credential, and where credentials come from.
//!
//! A [`Secret`] prints as `<redacted>` and cannot be serialized; the only way
//! to read it is [`Secret::expose`], used when building an HTTP header or form.
//! Sources, in order: the environment (`STATUS_TRACKER_<SERVICE>_<KIND>`), then
//! the OS keyring (service `status-tracker`, account = the service name).

use std::fmt;
use std::sync::Arc;

/// The keyring service name under which every credential is stored.
pub const KEYRING_SERVICE: &str = "status-tracker";

/// A credential. Debug and Display print a placeholder.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself: only for an HTTP header or login form.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Why no secret could be had.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("no {what} for {service}: set {env_var} or store it in the OS keyring (service \"{KEYRING_SERVICE}\", account \"{service}\", e.g. with the Settings window)")]
    Missing {
        service: String,
        what: &'static str,
        env_var: String,
    },
    #[error("the OS keyring is unavailable ({detail}); set {env_var} instead")]
    KeyringUnavailable { detail: String, env_var: String },
}

/// The environment variable that carries a service's secret: `radarr` →
/// `STATUS_TRACKER_RADARR_API_KEY`; an instance `radarr.4k-uhd` →
/// `STATUS_TRACKER_RADARR_4K_UHD_API_KEY` (upper case, `.` and `-` as `_`).
pub fn env_var_name(service: &str, what: &str) -> String {
    format!(
        "STATUS_TRACKER_{}_{}",
        service.to_ascii_uppercase().replace(['.', '-'], "_"),
        what.to_ascii_uppercase().replace(' ', "_")
    )
}

/// What kind of secret a service (or an instance of it) takes ("api key"
/// or "password").
pub fn secret_kind(service: &str) -> &'static str {
    crate::ServiceId::parse(crate::config::kind_of(service))
        .map_or("api key", crate::ServiceId::secret_kind)
}

/// Reads a service's secret: the environment wins (an empty variable counts as
/// unset), then the OS keyring.
pub fn lookup(service: &str) -> Result<Secret, SecretError> {
    let what = secret_kind(service);
    let env_var = env_var_name(service, what);
    if let Ok(v) = std::env::var(&env_var) {
        if !v.is_empty() {
            return Ok(Secret(v));
        }
    }
    match keyring_get(service) {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(SecretError::Missing {
            service: service.to_string(),
            what,
            env_var,
        }),
        Err(detail) => {
            // A machine with no Secret Service has no keyring: that is a missing
            // secret as far as the user is concerned, with both places named.
            if detail.contains("NoStorageAccess") || detail.contains("Platform") {
                Err(SecretError::Missing {
                    service: service.to_string(),
                    what,
                    env_var,
                })
            } else {
                Err(SecretError::KeyringUnavailable { detail, env_var })
            }
        }
    }
}

/// This system's credential store: the Secret Service over D-Bus (Linux and
/// the BSDs), the Keychain (macOS), the Credential Manager (Windows). A new
/// store, so a new connection, for each call, as the keyring crate made
/// before keyring-core: a Secret Service restarted since the last call is
/// found again.
fn system_store() -> keyring_core::Result<Arc<keyring_core::CredentialStore>> {
    #[cfg(all(unix, not(target_os = "macos")))]
    let store: Arc<keyring_core::CredentialStore> =
        dbus_secret_service_keyring_store::Store::new()?;
    #[cfg(target_os = "macos")]
    let store: Arc<keyring_core::CredentialStore> =
        apple_native_keyring_store::keychain::Store::new()?;
    #[cfg(windows)]
    let store: Arc<keyring_core::CredentialStore> = windows_native_keyring_store::Store::new()?;
    #[cfg(not(any(unix, windows)))]
    let store: Arc<keyring_core::CredentialStore> = {
        return Err(keyring_core::Error::NotSupportedByStore(
            "no OS keyring on this system".into(),
        ));
    };
    Ok(store)
}

/// The keyring entry of a service's credential: service `status-tracker`,
/// account = the service name. On the Secret Service an entry is found by
/// those two attributes alone, so the credentials the keyring crate 3.x
/// stored (which also carry `target` and `application`) are found too.
fn entry_in(
    store: &keyring_core::CredentialStore,
    service: &str,
) -> keyring_core::Result<keyring_core::Entry> {
    store.build(KEYRING_SERVICE, service, None)
}

fn entry(service: &str) -> Result<keyring_core::Entry, String> {
    let store = system_store().map_err(|e| format!("{e:?}"))?;
    entry_in(&*store, service).map_err(|e| format!("{e:?}"))
}

/// Reads a credential from the OS keyring; Ok(None) when there is none.
pub fn keyring_get(service: &str) -> Result<Option<Secret>, String> {
    match entry(service)?.get_password() {
        Ok(p) if p.is_empty() => Ok(None),
        Ok(p) => Ok(Some(Secret(p))),
        Err(keyring_core::Error::NoEntry) => Ok(None),
        Err(e) => Err(format!("{e:?}")),
    }
}

/// Stores a credential in the OS keyring.
pub fn keyring_set(service: &str, secret: &Secret) -> Result<(), String> {
    entry(service)?
        .set_password(secret.expose())
        .map_err(|e| format!("{e:?}"))
}

/// Removes a credential from the OS keyring (no error when there was none).
pub fn keyring_delete(service: &str) -> Result<(), String> {
    match entry(service)?.delete_credential() {
        Ok(()) | Err(keyring_core::Error::NoEntry) => Ok(()),
        Err(e) => Err(format!("{e:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints_itself() {
        let s = Secret::new("hunter2-very-secret");
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(format!("{s}"), "<redacted>");
        assert!(!format!("{:?}", Some(&s)).contains("hunter2"));
    }

    #[test]
    fn keyring_round_trip_with_the_mock_store() {
        // keyring-core's mock store, through the same entry_in as the real one.
        let store: Arc<keyring_core::CredentialStore> = keyring_core::mock::Store::new().unwrap();
        let entry = entry_in(&*store, "radarr").unwrap();
        assert!(matches!(
            entry.get_password(),
            Err(keyring_core::Error::NoEntry)
        ));
        entry.set_password("abc123").unwrap();
        let again = entry_in(&*store, "radarr").unwrap();
        assert_eq!(again.get_password().unwrap(), "abc123");
        again.delete_credential().unwrap();
        assert!(matches!(
            entry.get_password(),
            Err(keyring_core::Error::NoEntry)
        ));
    }

    #[test]
    fn the_environment_wins_and_empty_counts_as_unset() {
        // A service name no other test uses, so parallel tests do not race.
        let var = env_var_name("envtest", secret_kind("envtest"));
        std::env::set_var(&var, "from-env");
        assert_eq!(lookup("envtest").unwrap().expose(), "from-env");
        std::env::set_var(&var, "");
        let err = lookup("envtest").err();
        std::env::remove_var(&var);
        if let Some(SecretError::Missing { env_var, .. }) = &err {
            assert_eq!(env_var, &var);
        }
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(
            msg.contains(&var),
            "a missing secret names the environment variable: {msg}"
        );
    }

    #[test]
    fn env_var_names_follow_the_contract() {
        assert_eq!(
            env_var_name("jellyseerr", secret_kind("jellyseerr")),
            "STATUS_TRACKER_JELLYSEERR_API_KEY"
        );
        assert_eq!(
            env_var_name("qbittorrent", secret_kind("qbittorrent")),
            "STATUS_TRACKER_QBITTORRENT_PASSWORD"
        );
        assert_eq!(
            env_var_name("shoko", secret_kind("shoko")),
            "STATUS_TRACKER_SHOKO_PASSWORD"
        );
        // An instance of the array form.
        assert_eq!(
            env_var_name("radarr.4k", secret_kind("radarr.4k")),
            "STATUS_TRACKER_RADARR_4K_API_KEY"
        );
        assert_eq!(
            env_var_name("sonarr.anime-tv", secret_kind("sonarr.anime-tv")),
            "STATUS_TRACKER_SONARR_ANIME_TV_API_KEY"
        );
    }
}
