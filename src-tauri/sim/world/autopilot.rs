//! The demo's autopilot: what happens by itself to a release an *arr search
//! grabbed (after a search command, Seerr's hand-off or a blocklist), so
//! that an action taken in the app plays out to the end: qBittorrent
//! downloads it, the *arr imports it, Shoko matches anime, Jellyfin shows
//! it. Downloads the story steps made are left alone, and so is a grab that
//! stalls or fails: only someone acting moves those.

use super::*;

/// Ticks a search-grabbed torrent takes to download.
const DOWNLOAD_TICKS: u32 = 15;

/// What the autopilot does next to one download.
enum Move {
    Progress,
    Import,
    Shoko(u64),
    Jellyfin(Target, ArrInstance),
    Stop,
}

impl SimWorld {
    /// One step of the autopilot for every release a search grabbed, each
    /// moving one stage per call: its torrent gains 1/15 of its size
    /// (unless stalled, stopped or errored), then the *arr imports it, then
    /// Shoko matches anime files, then Jellyfin shows the film or episodes
    /// (Seerr's Jellyfin scan completes the request as it does for every
    /// Jellyfin item). A download taken out of the queue is dropped.
    pub fn autopilot_tick(&self) {
        let now = Utc::now();
        let moves: Vec<(String, Move)> = self.with(|w| {
            w.downloads
                .values()
                .filter_map(|d| {
                    let stage = d.autopilot?;
                    let tracked = d.arr == ArrState::Tracking && d.in_client;
                    let m = match stage {
                        AutoStage::Done => return None,
                        AutoStage::Download | AutoStage::Import if !tracked => Move::Stop,
                        AutoStage::Download => Move::Progress,
                        AutoStage::Import => Move::Import,
                        AutoStage::Shoko => Move::Shoko(anidb_of(w, &d.target)),
                        AutoStage::Jellyfin => Move::Jellyfin(d.target.clone(), d.instance),
                    };
                    Some((d.hash.clone(), m))
                })
                .collect()
        });
        for (hash, m) in moves {
            let next = match m {
                Move::Stop => AutoStage::Done,
                Move::Progress => match self.with(|w| advance(w, &hash, now)) {
                    true => AutoStage::Import,
                    false => AutoStage::Download,
                },
                Move::Import => match self.import(&hash) {
                    Ok(_) if self.with(|w| is_anime(w, &hash)) => AutoStage::Shoko,
                    Ok(_) => AutoStage::Jellyfin,
                    Err(_) => AutoStage::Done,
                },
                Move::Shoko(anidb_id) => {
                    match self.shoko_set_download(&hash, ShokoState::Matched { anidb_id }) {
                        Ok(()) => AutoStage::Jellyfin,
                        Err(_) => AutoStage::Done,
                    }
                }
                Move::Jellyfin(target, ArrInstance::FourK) => {
                    let _ = match target {
                        Target::Movie { tmdb_id } => self
                            .jellyfin_add_movie_in(ArrInstance::FourK, tmdb_id)
                            .map(|_| ()),
                        Target::Episodes { tvdb_id, episodes } => {
                            self.jellyfin_add_episodes_in(ArrInstance::FourK, tvdb_id, &episodes)
                        }
                    };
                    AutoStage::Done
                }
                Move::Jellyfin(target, ArrInstance::Hd) => {
                    let _ = match target {
                        Target::Movie { tmdb_id } => self.jellyfin_show_movie(tmdb_id),
                        Target::Episodes { tvdb_id, episodes } => {
                            self.jellyfin_add_episodes(tvdb_id, &episodes)
                        }
                    };
                    AutoStage::Done
                }
            };
            self.with(|w| {
                if let Some(d) = w.downloads.get_mut(&hash) {
                    d.autopilot = Some(next);
                }
            });
        }
    }

    /// Runs [`Self::autopilot_tick`] every `every` on the current Tokio
    /// runtime, until the world is dropped (the task holds no strong
    /// handle).
    pub fn start_autopilot(&self, every: Duration) {
        let weak = self.downgrade();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                let Some(world) = SimWorld::upgrade(&weak) else {
                    return;
                };
                world.autopilot_tick();
            }
        });
    }

    /// Jellyfin shows the film: a new item, or, when it had one for an
    /// earlier file, a new item for the new file (Jellyfin keys items by
    /// path).
    fn jellyfin_show_movie(&self, tmdb_id: u64) -> Result<(), SimError> {
        let known = self.with(|w| w.jellyfin.iter().any(|i| i.is_hd_movie(tmdb_id)));
        if known {
            self.jellyfin_replace_movie(tmdb_id).map(|_| ())
        } else {
            self.jellyfin_add_movie(tmdb_id).map(|_| ())
        }
    }
}

/// One download step: returns true once the torrent is complete.
fn advance(w: &mut World, hash: &str, now: DateTime<Utc>) -> bool {
    let Some(d) = w.downloads.get_mut(hash) else {
        return false;
    };
    if matches!(
        d.state.as_str(),
        "stalledDL" | "pausedDL" | "stoppedDL" | "error" | "missingFiles"
    ) {
        return false;
    }
    let step = 1.0 / f64::from(DOWNLOAD_TICKS);
    d.progress = (d.progress + step).min(1.0);
    if d.progress >= 1.0 - 1e-9 {
        downloads::complete(d, now);
        return true;
    }
    d.state = "downloading".into();
    d.dlspeed = (d.size as f64 * step / 2.0) as u64;
    false
}

fn is_anime(w: &World, hash: &str) -> bool {
    match w.downloads.get(hash).map(|d| &d.target) {
        Some(Target::Movie { tmdb_id }) => w.movies.get(tmdb_id).is_some_and(|m| m.anime),
        Some(Target::Episodes { tvdb_id, .. }) => w.series.get(tvdb_id).is_some_and(|s| s.anime),
        None => false,
    }
}

/// The AniDB id Shoko matches a title to: the one it has, or one derived
/// from the title's id.
fn anidb_of(w: &World, target: &Target) -> u64 {
    match target {
        Target::Movie { tmdb_id } => w
            .movies
            .get(tmdb_id)
            .and_then(|m| m.anidb_id)
            .unwrap_or(40_000 + tmdb_id % 10_000),
        Target::Episodes { tvdb_id, .. } => w
            .series
            .get(tvdb_id)
            .and_then(|s| s.anidb_id)
            .unwrap_or(50_000 + tvdb_id % 10_000),
    }
}
