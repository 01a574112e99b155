//! The six services, once: each one's config section name, the label people
//! read, the kind of secret it takes, whether it needs a username, and its
//! usual port. Config, secrets, the poller's cadence and `check`, the
//! simulator and the Settings window all take them from here.

use serde::Serialize;

/// One of the six services, in pipeline order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceId {
    Jellyseerr,
    Radarr,
    Sonarr,
    Qbittorrent,
    Shoko,
    Jellyfin,
}

impl ServiceId {
    /// All six, in pipeline order.
    pub const ALL: [ServiceId; 6] = [
        ServiceId::Jellyseerr,
        ServiceId::Radarr,
        ServiceId::Sonarr,
        ServiceId::Qbittorrent,
        ServiceId::Shoko,
        ServiceId::Jellyfin,
    ];

    /// The config section name, also the keyring account and the name in
    /// the CLI's JSON: "jellyseerr", "qbittorrent"...
    pub fn name(self) -> &'static str {
        match self {
            ServiceId::Jellyseerr => "jellyseerr",
            ServiceId::Radarr => "radarr",
            ServiceId::Sonarr => "sonarr",
            ServiceId::Qbittorrent => "qbittorrent",
            ServiceId::Shoko => "shoko",
            ServiceId::Jellyfin => "jellyfin",
        }
    }

    /// The service by its config section name.
    pub fn parse(name: &str) -> Option<ServiceId> {
        ServiceId::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Radarr and Sonarr, which may have several instances.
    pub fn arr_app(self) -> Option<ArrApp> {
        match self {
            ServiceId::Radarr => Some(ArrApp::Radarr),
            ServiceId::Sonarr => Some(ArrApp::Sonarr),
            _ => None,
        }
    }

    /// The product's own spelling: "qBittorrent".
    pub fn label(self) -> &'static str {
        match self {
            ServiceId::Jellyseerr => "Jellyseerr",
            ServiceId::Radarr => "Radarr",
            ServiceId::Sonarr => "Sonarr",
            ServiceId::Qbittorrent => "qBittorrent",
            ServiceId::Shoko => "Shoko",
            ServiceId::Jellyfin => "Jellyfin",
        }
    }

    /// What its secret is: "api key" or "password".
    pub fn secret_kind(self) -> &'static str {
        if self.needs_username() {
            "password"
        } else {
            "api key"
        }
    }

    /// qBittorrent and Shoko log in with a username and a password.
    pub fn needs_username(self) -> bool {
        matches!(self, ServiceId::Qbittorrent | ServiceId::Shoko)
    }

    /// The port it listens on out of the box.
    pub fn default_port(self) -> u16 {
        match self {
            ServiceId::Jellyseerr => 5055,
            ServiceId::Radarr => 7878,
            ServiceId::Sonarr => 8989,
            ServiceId::Qbittorrent => 8080,
            ServiceId::Shoko => 8111,
            ServiceId::Jellyfin => 8096,
        }
    }

    /// Position in [`ServiceId::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Radarr or Sonarr: the two *arrs share an API (v3) and most of a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArrApp {
    Radarr,
    Sonarr,
}

impl ArrApp {
    /// The product name for messages.
    pub fn product(self) -> &'static str {
        self.service().label()
    }

    pub fn service(self) -> ServiceId {
        match self {
            ArrApp::Radarr => ServiceId::Radarr,
            ArrApp::Sonarr => ServiceId::Sonarr,
        }
    }

    pub fn is_sonarr(self) -> bool {
        self == ArrApp::Sonarr
    }
}

impl std::fmt::Display for ServiceId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_the_order_is_the_pipeline() {
        for (i, s) in ServiceId::ALL.into_iter().enumerate() {
            assert_eq!(ServiceId::parse(s.name()), Some(s));
            assert_eq!(s.index(), i);
            assert_eq!(serde_json::to_value(s).unwrap(), s.name());
        }
        assert_eq!(ServiceId::parse("plex"), None);
        assert_eq!(ServiceId::Qbittorrent.label(), "qBittorrent");
        assert_eq!(ServiceId::Shoko.secret_kind(), "password");
        assert_eq!(ServiceId::Radarr.secret_kind(), "api key");
        assert_eq!(ServiceId::Jellyfin.default_port(), 8096);
    }
}
