//! How often each service is polled, from what the requests are doing.
//!
//! The *arrs refresh their own queue once a minute, so polling them faster
//! than ~30 s gains nothing; qBittorrent is live and cheap with incremental
//! `sync/maindata`. Everything slows to the idle interval when nothing moved
//! recently: a request stuck for days is not "moving".

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::PollConfig;
use crate::tracker::{MediaType, Phase, Records};
use crate::ServiceId;

/// A request counts as moving for this long after its last change.
const RECENT: chrono::TimeDelta = chrono::TimeDelta::minutes(30);

/// What the records say about which services need attention now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cadence {
    poll: Option<PollConfigLite>,
    downloading: bool,
    films_moving: bool,
    series_moving: bool,
    late_phases_moving: bool,
    anime_matching: bool,
    anything_moving: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PollConfigLite {
    downloading: Duration,
    active: Duration,
    jellyseerr: Duration,
    idle: Duration,
}

impl Cadence {
    pub fn new(poll: &PollConfig, records: &Records, now: DateTime<Utc>) -> Self {
        let mut c = Cadence {
            poll: Some(PollConfigLite {
                downloading: poll.downloading,
                active: poll.active,
                jellyseerr: poll.jellyseerr,
                idle: poll.idle,
            }),
            ..Cadence::default()
        };
        for r in records.values() {
            if r.deleted || r.phase == Phase::Available && r.episodes.is_empty() {
                continue;
            }
            let recent = now - r.updated_at < RECENT;
            let downloading = r.phase == Phase::Downloading
                || r.episodes.iter().any(|e| e.phase == Phase::Downloading);
            // A download with speed is moving even when its phase is old.
            let moving = recent || downloading && r.download_speed.unwrap_or(0) > 0;
            c.downloading |= downloading;
            if moving {
                c.anything_moving = true;
                let arr_phase = matches!(
                    r.phase,
                    Phase::Approved
                        | Phase::Grabbing
                        | Phase::Downloading
                        | Phase::DownloadDone
                        | Phase::Importing
                        | Phase::Failed
                );
                match r.media_type {
                    MediaType::Movie => c.films_moving |= arr_phase,
                    MediaType::Tv => c.series_moving |= arr_phase,
                }
                c.late_phases_moving |= matches!(
                    r.phase,
                    Phase::DownloadDone | Phase::Importing | Phase::AnimeMatching
                );
                c.anime_matching |= r.phase == Phase::AnimeMatching;
            }
        }
        c
    }

    /// The interval until the next poll of a service that answered last time.
    pub fn interval(&self, service: ServiceId) -> Duration {
        let Some(p) = &self.poll else {
            return Duration::from_secs(300);
        };
        let fast = match service {
            ServiceId::Qbittorrent => self.downloading.then_some(p.downloading),
            ServiceId::Radarr => self.films_moving.then_some(p.active),
            ServiceId::Sonarr => self.series_moving.then_some(p.active),
            ServiceId::Jellyfin => self.late_phases_moving.then_some(p.active),
            ServiceId::Shoko => self.anime_matching.then_some(p.active),
            ServiceId::Jellyseerr => self.anything_moving.then_some(p.jellyseerr),
        };
        fast.unwrap_or(p.idle).max(Duration::from_secs(1))
    }
}

/// Exponential backoff after `failures` consecutive errors: 5 s, 10 s, 20 s, ...
/// capped at `cap`, with ±20 % jitter so services restarted together are not
/// hit in lockstep.
pub fn backoff(failures: u32, cap: Duration) -> Duration {
    let base = Duration::from_secs(5);
    let exp = failures.saturating_sub(1).min(16);
    let raw = base.saturating_mul(1u32 << exp).min(cap.max(base));
    let jitter = 0.8 + fastrand::f64() * 0.4;
    raw.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_then_caps_with_jitter() {
        let cap = Duration::from_secs(300);
        let first = backoff(1, cap);
        assert!(
            first >= Duration::from_secs(4) && first <= Duration::from_secs(6),
            "{first:?}"
        );
        let third = backoff(3, cap);
        assert!(
            third >= Duration::from_secs(16) && third <= Duration::from_secs(24),
            "{third:?}"
        );
        for n in [10, 30, 1000] {
            let b = backoff(n, cap);
            assert!(b <= Duration::from_secs(360), "backoff is capped: {b:?}");
            assert!(
                b >= Duration::from_secs(240),
                "and stays near the cap: {b:?}"
            );
        }
    }

    #[test]
    fn nothing_moving_means_idle_everywhere() {
        let c = Cadence::new(&PollConfig::default(), &Records::new(), Utc::now());
        for s in ServiceId::ALL {
            assert_eq!(c.interval(s), Duration::from_secs(300), "{s}");
        }
    }
}
