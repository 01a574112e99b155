//! Bulk worlds for the cost benchmark: `n` mixed requests, about 80 %
//! finished and 20 % somewhere in the pipeline.

use chrono::Utc;

use super::world::{hex_id, ShokoState, SimError, SimWorld};
use crate::tracker::Phase;

/// Where a generated request stands. The reconcile bench draws the same
/// mix for its snapshots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Pending,
    Approved,
    Downloading,
    Blocked,
    Imported,
    Available,
}

impl Stage {
    /// One draw of the mix: 80 % available, the rest spread over the
    /// pipeline (4 % pending, 4 % approved, 6 % downloading, 3 % blocked,
    /// 3 % imported).
    pub fn draw(rng: &mut fastrand::Rng) -> Stage {
        match rng.u32(0..100) {
            0..=79 => Stage::Available,
            80..=83 => Stage::Pending,
            84..=87 => Stage::Approved,
            88..=93 => Stage::Downloading,
            94..=96 => Stage::Blocked,
            _ => Stage::Imported,
        }
    }
}

impl SimWorld {
    /// Adds `n` requests (about 60 % films, 40 % series of one 8-episode
    /// season, 10 % anime), deterministic for a given `seed`. About 80 % are
    /// available in Jellyfin; the rest are pending, approved, downloading,
    /// blocked or imported. TMDB ids start at 1 000 000, TVDB ids at 2 000 000.
    /// Their history ends an hour ago (see [`SimWorld::age_history`]).
    /// Returns each Jellyseerr request id with the phase it is in.
    pub fn populate(&self, n: usize, seed: u64) -> Result<Vec<(u64, Phase)>, SimError> {
        let mut truth = Vec::with_capacity(n);
        let mut rng = fastrand::Rng::with_seed(seed);
        let first_air = Utc::now().date_naive() - chrono::Duration::weeks(40);
        let users = ["alice", "bob", "carol", "dave", "erin"];
        for i in 0..n as u64 {
            let user = users[rng.usize(0..users.len())];
            let anime = rng.u32(0..10) == 0;
            let stage = Stage::draw(&mut rng);
            let hash = hex_id(&mut rng, 40);
            let year = 1990 + rng.i32(0..35);
            if rng.u32(0..10) < 6 {
                let tmdb = 1_000_000 + i;
                let title = format!("Film {i}");
                self.add_movie(tmdb, &title, year, anime);
                let r = self.request_movie(tmdb, user)?;
                truth.push((r, stage.phase(anime)));
                if matches!(stage, Stage::Pending) {
                    continue;
                }
                self.approve(r)?;
                if matches!(stage, Stage::Approved) {
                    continue;
                }
                let release = format!("Film.{i}.{year}.1080p.WEB-DL.H.264-SIM");
                self.grab_movie(
                    tmdb,
                    &hash,
                    &release,
                    4_000_000_000 + rng.u64(0..4_000_000_000),
                )?;
                self.finish(&hash, stage, anime, &mut rng)?;
                if matches!(stage, Stage::Available) {
                    self.jellyfin_add_movie(tmdb)?;
                }
            } else {
                let tvdb = 2_000_000 + i;
                let tmdb = 1_000_000 + i;
                let title = format!("Series {i}");
                self.add_series(tvdb, tmdb, &title, year, anime, &[(1, 8, first_air)]);
                let r = self.request_series(tmdb, &[1], user)?;
                truth.push((r, stage.phase(anime)));
                if matches!(stage, Stage::Pending) {
                    continue;
                }
                self.approve(r)?;
                if matches!(stage, Stage::Approved) {
                    continue;
                }
                let eps: Vec<(u32, u32)> = (1..=8).map(|e| (1, e)).collect();
                let release = format!("Series.{i}.S01.1080p.WEB-DL.H.264-SIM");
                self.grab_episodes(tvdb, &eps, &hash, &release, 8_000_000_000)?;
                self.finish(&hash, stage, anime, &mut rng)?;
                if matches!(stage, Stage::Available) {
                    self.jellyfin_add_episodes(tvdb, &eps)?;
                }
            }
        }
        self.age_history(chrono::Duration::hours(1));
        self.age_requests();
        Ok(truth)
    }

    /// Dates the requests as a library that grew over months: each request
    /// a whole second (as Seerr stamps them), 17 minutes after the one
    /// before, the newest before the oldest history event (a request comes
    /// before its grab), last modified a few minutes after it was made.
    pub fn age_requests(&self) {
        self.with(|w| {
            let oldest_history = w
                .radarr_history
                .iter()
                .chain(&w.sonarr_history)
                .map(|h| h.date)
                .min()
                .unwrap_or_else(Utc::now);
            let newest =
                chrono::SubsecRound::trunc_subsecs(oldest_history, 0) - chrono::Duration::hours(1);
            let n = w.requests.len();
            for (i, r) in w.requests.values_mut().enumerate() {
                let steps = i64::try_from(n - 1 - i).unwrap_or(0);
                r.created = newest - chrono::Duration::minutes(17 * steps);
                r.updated =
                    r.created + chrono::Duration::minutes(i64::try_from(i % 7).unwrap_or(0));
            }
        });
    }

    fn finish(
        &self,
        hash: &str,
        stage: Stage,
        anime: bool,
        rng: &mut fastrand::Rng,
    ) -> Result<(), SimError> {
        match stage {
            Stage::Downloading => self.set_progress(hash, rng.f64() * 0.95, rng.u64(0..50_000_000)),
            Stage::Blocked => self.import_blocked(hash, "No files found are eligible for import"),
            Stage::Imported | Stage::Available => {
                self.import(hash)?;
                if anime {
                    let anidb = 10_000 + rng.u64(0..20_000);
                    self.shoko_set_download(hash, ShokoState::Matched { anidb_id: anidb })?;
                }
                Ok(())
            }
            Stage::Pending | Stage::Approved => Ok(()),
        }
    }
}

impl Stage {
    /// The phase the tracker must show a request of this stage in: what a
    /// bench holds the tracker's answer to.
    pub fn phase(self, anime: bool) -> Phase {
        match self {
            Stage::Pending => Phase::Requested,
            Stage::Approved => Phase::Approved,
            Stage::Downloading => Phase::Downloading,
            // Downloaded; Radarr/Sonarr will not import it.
            Stage::Blocked => Phase::DownloadDone,
            Stage::Imported if anime => Phase::AnimeMatching,
            Stage::Imported => Phase::Importing,
            Stage::Available => Phase::Available,
        }
    }
}
