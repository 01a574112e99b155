//! Timelines: stories told as a list of steps, replayed against a
//! [`SimWorld`] at a chosen speed. [`demo_timeline`] is the two-minute demo.

use std::time::Duration;

use chrono::{NaiveDate, Utc};

use super::world::{ArrInstance, ShokoState, SimError, SimWorld};
use super::{FailureMode, Service};

/// One step of a story. Requests are addressed by the TMDB id of their media
/// (the newest request for it), since their ids are generated.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// [`SimWorld::add_movie`].
    AddMovie {
        /// TMDB id.
        tmdb_id: u64,
        /// Title.
        title: String,
        /// Release year.
        year: i32,
        /// Anime (keyword 210024, Radarr tag `anime`, Shoko path).
        anime: bool,
    },
    /// [`SimWorld::add_series`].
    AddSeries {
        /// TVDB id.
        tvdb_id: u64,
        /// TMDB id.
        tmdb_id: u64,
        /// Title.
        title: String,
        /// First year.
        year: i32,
        /// Anime (Sonarr `seriesType` anime).
        anime: bool,
        /// `(season, episode count, first air date)`.
        seasons: Vec<(u32, u32, NaiveDate)>,
    },
    /// [`SimWorld::request_movie`].
    RequestMovie {
        /// TMDB id.
        tmdb_id: u64,
        /// Requesting user's name.
        user: String,
    },
    /// [`SimWorld::request_series`].
    RequestSeries {
        /// TMDB id.
        tmdb_id: u64,
        /// Requested seasons.
        seasons: Vec<u32>,
        /// Requesting user's name.
        user: String,
    },
    /// Approve the newest request for this media.
    Approve {
        /// TMDB id.
        tmdb_id: u64,
        /// A series (else a film).
        tv: bool,
    },
    /// Decline the newest request for this media.
    Decline {
        /// TMDB id.
        tmdb_id: u64,
        /// A series (else a film).
        tv: bool,
    },
    /// Mark the newest request for this media FAILED.
    MarkFailed {
        /// TMDB id.
        tmdb_id: u64,
        /// A series (else a film).
        tv: bool,
    },
    /// Delete the newest request for this media.
    DeleteRequest {
        /// TMDB id.
        tmdb_id: u64,
        /// A series (else a film).
        tv: bool,
    },
    /// [`SimWorld::grab_movie`].
    GrabMovie {
        /// TMDB id.
        tmdb_id: u64,
        /// 40-hex torrent hash.
        hash: String,
        /// Release title.
        release: String,
        /// Bytes.
        size: u64,
    },
    /// [`SimWorld::grab_episodes`].
    GrabEpisodes {
        /// TVDB id.
        tvdb_id: u64,
        /// `(season, episode)` pairs.
        episodes: Vec<(u32, u32)>,
        /// 40-hex torrent hash.
        hash: String,
        /// Release title.
        release: String,
        /// Bytes.
        size: u64,
    },
    /// [`SimWorld::set_progress`].
    Progress {
        /// Torrent hash.
        hash: String,
        /// 0..1.
        fraction: f64,
        /// Bytes per second.
        dlspeed: u64,
    },
    /// Progress moving smoothly from `from` to `to` over `over`, a tick every
    /// two seconds (scaled by the run speed).
    Ramp {
        /// Torrent hash.
        hash: String,
        /// Start fraction.
        from: f64,
        /// End fraction.
        to: f64,
        /// How long the ramp lasts.
        over: Duration,
        /// Bytes per second meanwhile.
        dlspeed: u64,
    },
    /// [`SimWorld::set_torrent_state`].
    TorrentState {
        /// Torrent hash.
        hash: String,
        /// qBittorrent state string.
        state: String,
    },
    /// [`SimWorld::complete_download`].
    Complete {
        /// Torrent hash.
        hash: String,
    },
    /// [`SimWorld::remove_torrent`].
    RemoveTorrent {
        /// Torrent hash.
        hash: String,
    },
    /// [`SimWorld::import_blocked`].
    ImportBlocked {
        /// Torrent hash.
        hash: String,
        /// The *arr's status message.
        message: String,
    },
    /// [`SimWorld::download_failed`].
    DownloadFailed {
        /// Torrent hash.
        hash: String,
        /// Failure message.
        message: String,
    },
    /// [`SimWorld::import`].
    Import {
        /// Torrent hash.
        hash: String,
    },
    /// [`SimWorld::shoko_set`].
    ShokoSet {
        /// Path tail of the library file.
        path_tail: String,
        /// What Shoko knows.
        state: ShokoState,
    },
    /// [`SimWorld::shoko_set_download`].
    ShokoSetDownload {
        /// Torrent hash whose imported files change.
        hash: String,
        /// What Shoko knows.
        state: ShokoState,
    },
    /// [`SimWorld::jellyfin_add_movie`].
    JellyfinAddMovie {
        /// TMDB id.
        tmdb_id: u64,
    },
    /// [`SimWorld::jellyfin_add_episodes`].
    JellyfinAddEpisodes {
        /// TVDB id.
        tvdb_id: u64,
        /// `(season, episode)` pairs.
        episodes: Vec<(u32, u32)>,
    },
    /// [`SimWorld::jellyfin_add_virtual_episode`].
    JellyfinAddVirtualEpisode {
        /// TVDB id.
        tvdb_id: u64,
        /// Season.
        season: u32,
        /// Episode.
        episode: u32,
    },
    /// [`SimWorld::seerr_arr_scan`].
    SeerrArrScan,
    /// [`SimWorld::set_mode`].
    SetMode {
        /// Which service.
        service: Service,
        /// How it answers from now on.
        mode: FailureMode,
    },
    /// Pause (divided by the run speed).
    Wait(Duration),
}

/// A story: steps run in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline(pub Vec<Step>);

impl Timeline {
    /// The total of its waits and ramps at speed 1.
    pub fn duration(&self) -> Duration {
        self.0
            .iter()
            .map(|s| match s {
                Step::Wait(d) => *d,
                Step::Ramp { over, .. } => *over,
                _ => Duration::ZERO,
            })
            .sum()
    }
}

fn newest(world: &SimWorld, tmdb_id: u64, tv: bool) -> Result<u64, SimError> {
    world
        .newest_request(tmdb_id, tv)
        .ok_or(SimError::UnknownRequest(tmdb_id))
}

impl Step {
    /// Applies an instantaneous step (`Wait` and `Ramp` only set their end
    /// state here; [`run_timeline`] spreads them in time).
    pub fn apply(&self, world: &SimWorld) -> Result<(), SimError> {
        match self {
            Step::AddMovie {
                tmdb_id,
                title,
                year,
                anime,
            } => world.add_movie(*tmdb_id, title, *year, *anime),
            Step::AddSeries {
                tvdb_id,
                tmdb_id,
                title,
                year,
                anime,
                seasons,
            } => world.add_series(*tvdb_id, *tmdb_id, title, *year, *anime, seasons),
            Step::RequestMovie { tmdb_id, user } => {
                world.request_movie(*tmdb_id, user)?;
            }
            Step::RequestSeries {
                tmdb_id,
                seasons,
                user,
            } => {
                world.request_series(*tmdb_id, seasons, user)?;
            }
            Step::Approve { tmdb_id, tv } => world.approve(newest(world, *tmdb_id, *tv)?)?,
            Step::Decline { tmdb_id, tv } => world.decline(newest(world, *tmdb_id, *tv)?)?,
            Step::MarkFailed { tmdb_id, tv } => world.mark_failed(newest(world, *tmdb_id, *tv)?)?,
            Step::DeleteRequest { tmdb_id, tv } => {
                world.delete_request(newest(world, *tmdb_id, *tv)?)?
            }
            Step::GrabMovie {
                tmdb_id,
                hash,
                release,
                size,
            } => world.grab_movie(*tmdb_id, hash, release, *size)?,
            Step::GrabEpisodes {
                tvdb_id,
                episodes,
                hash,
                release,
                size,
            } => world.grab_episodes(*tvdb_id, episodes, hash, release, *size)?,
            Step::Progress {
                hash,
                fraction,
                dlspeed,
            } => world.set_progress(hash, *fraction, *dlspeed)?,
            Step::Ramp {
                hash, to, dlspeed, ..
            } => world.set_progress(hash, *to, *dlspeed)?,
            Step::TorrentState { hash, state } => world.set_torrent_state(hash, state)?,
            Step::Complete { hash } => world.complete_download(hash)?,
            Step::RemoveTorrent { hash } => world.remove_torrent(hash)?,
            Step::ImportBlocked { hash, message } => world.import_blocked(hash, message)?,
            Step::DownloadFailed { hash, message } => world.download_failed(hash, message)?,
            Step::Import { hash } => {
                world.import(hash)?;
            }
            Step::ShokoSet { path_tail, state } => world.shoko_set(path_tail, *state)?,
            Step::ShokoSetDownload { hash, state } => world.shoko_set_download(hash, *state)?,
            Step::JellyfinAddMovie { tmdb_id } => {
                world.jellyfin_add_movie(*tmdb_id)?;
            }
            Step::JellyfinAddEpisodes { tvdb_id, episodes } => {
                world.jellyfin_add_episodes(*tvdb_id, episodes)?
            }
            Step::JellyfinAddVirtualEpisode {
                tvdb_id,
                season,
                episode,
            } => world.jellyfin_add_virtual_episode(*tvdb_id, *season, *episode)?,
            Step::SeerrArrScan => world.seerr_arr_scan(),
            Step::SetMode { service, mode } => world.set_mode(*service, *mode),
            Step::Wait(_) => {}
        }
        Ok(())
    }
}

fn scaled(d: Duration, speed: f64) -> Duration {
    if speed.is_finite() && speed > 0.0 {
        d.div_f64(speed)
    } else {
        Duration::ZERO
    }
}

/// Runs a timeline: each step in order, waits divided by `speed` (2.0 runs
/// twice as fast; 0 or infinity skips all waits). Stops at the first step
/// that names something the world lacks.
pub async fn run_timeline(world: SimWorld, timeline: Timeline, speed: f64) -> Result<(), SimError> {
    for step in timeline.0 {
        match &step {
            Step::Wait(d) => tokio::time::sleep(scaled(*d, speed)).await,
            Step::Ramp {
                hash,
                from,
                to,
                over,
                dlspeed,
            } => {
                let ticks = (over.as_secs_f64() / 2.0).ceil().max(1.0) as u32;
                for i in 1..=ticks {
                    tokio::time::sleep(scaled(*over / ticks, speed)).await;
                    let fraction = from + (to - from) * f64::from(i) / f64::from(ticks);
                    world.set_progress(hash, fraction, *dlspeed)?;
                }
            }
            _ => step.apply(&world)?,
        }
    }
    Ok(())
}

// ----- the demo -----

const DUNE: u64 = 693_134;
const SEVERANCE_TVDB: u64 = 371_980;
const SEVERANCE_TMDB: u64 = 95_396;
const SUZUME: u64 = 916_224;
const FRIEREN_TVDB: u64 = 424_536;
const FRIEREN_TMDB: u64 = 209_867;

const H_DUNE: &str = "3f8a1c2b4d5e6f708192a3b4c5d6e7f801234567";
const H_SEVERANCE: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
const H_SUZUME_BAD: &str = "0badc0ffee0badc0ffee0badc0ffee0badc0ffee";
const H_SUZUME: &str = "5a5a5a5a11112222333344445555666677778888";
const H_FRIEREN: [&str; 3] = [
    "f1e1f1e1f1e1f1e1f1e1f1e1f1e1f1e1f1e1f101",
    "f1e1f1e1f1e1f1e1f1e1f1e1f1e1f1e1f1e1f102",
    "f1e1f1e1f1e1f1e1f1e1f1e1f1e1f1e1f1e1f103",
];

const HOLDOVERS: u64 = 840_430;
const SHOGUN_TVDB: u64 = 392_573;
const SHOGUN_TMDB: u64 = 126_308;
const H_SHOGUN_STALLED: &str = "5b065b065b065b065b065b065b065b065b065b06";

const GB: u64 = 1_000_000_000;
const MB: u64 = 1_000_000;

fn wait(s: u64) -> Step {
    Step::Wait(Duration::from_secs(s))
}

fn progress(hash: &str, fraction: f64, dlspeed: u64) -> Step {
    Step::Progress {
        hash: hash.into(),
        fraction,
        dlspeed,
    }
}

/// Moves several torrents at once: `ticks` ticks of `every` seconds, each
/// torrent going linearly from its `from` to its `to`.
fn advance(steps: &mut Vec<Step>, torrents: &[(&str, f64, f64)], ticks: u32, every: u64) {
    for i in 1..=ticks {
        steps.push(wait(every));
        for (hash, from, to) in torrents {
            let f = from + (to - from) * f64::from(i) / f64::from(ticks);
            steps.push(progress(hash, f, 25 * MB));
        }
    }
}

/// The two-minute demo: a film (with a blocked import), a series season
/// pack, an anime film whose first download fails and is re-grabbed before
/// Shoko matches it, an airing anime series grabbed episode by episode, and
/// Radarr unreachable for a while.
pub fn demo_timeline() -> Timeline {
    let today = Utc::now().date_naive();
    let mut s = vec![
        Step::AddMovie {
            tmdb_id: DUNE,
            title: "Dune: Part Two".into(),
            year: 2024,
            anime: false,
        },
        Step::AddSeries {
            tvdb_id: SEVERANCE_TVDB,
            tmdb_id: SEVERANCE_TMDB,
            title: "Severance".into(),
            year: 2022,
            anime: false,
            seasons: vec![(1, 9, NaiveDate::from_ymd_opt(2022, 2, 18).unwrap_or(today))],
        },
        Step::AddMovie {
            tmdb_id: SUZUME,
            title: "Suzume".into(),
            year: 2022,
            anime: true,
        },
        Step::AddSeries {
            tvdb_id: FRIEREN_TVDB,
            tmdb_id: FRIEREN_TMDB,
            title: "Frieren".into(),
            year: 2023,
            anime: true,
            seasons: vec![(1, 8, today - chrono::Duration::weeks(4))],
        },
        Step::RequestMovie {
            tmdb_id: DUNE,
            user: "alice".into(),
        },
        Step::RequestSeries {
            tmdb_id: SEVERANCE_TMDB,
            seasons: vec![1],
            user: "bob".into(),
        },
        wait(3),
        Step::RequestMovie {
            tmdb_id: SUZUME,
            user: "carol".into(),
        },
        Step::RequestSeries {
            tmdb_id: FRIEREN_TMDB,
            seasons: vec![1],
            user: "dave".into(),
        },
        wait(3),
        Step::Approve {
            tmdb_id: DUNE,
            tv: false,
        },
        Step::Approve {
            tmdb_id: SEVERANCE_TMDB,
            tv: true,
        },
        Step::Approve {
            tmdb_id: SUZUME,
            tv: false,
        },
        Step::Approve {
            tmdb_id: FRIEREN_TMDB,
            tv: true,
        },
        wait(4),
        Step::GrabMovie {
            tmdb_id: DUNE,
            hash: H_DUNE.into(),
            release: "Dune.Part.Two.2024.2160p.WEB-DL.DDP5.1.H.265-FLUX".into(),
            size: 8_100 * MB,
        },
        Step::GrabEpisodes {
            tvdb_id: SEVERANCE_TVDB,
            episodes: (1..=9).map(|e| (1, e)).collect(),
            hash: H_SEVERANCE.into(),
            release: "Severance.S01.1080p.ATVP.WEB-DL.DDP5.1.H.264-NTb".into(),
            size: 21 * GB,
        },
        Step::GrabMovie {
            tmdb_id: SUZUME,
            hash: H_SUZUME_BAD.into(),
            release: "Suzume.2022.1080p.BluRay.x264-BADRIP".into(),
            size: 9 * GB,
        },
        Step::GrabEpisodes {
            tvdb_id: FRIEREN_TVDB,
            episodes: vec![(1, 1)],
            hash: H_FRIEREN[0].into(),
            release: "[SubsPlease] Frieren - 01 (1080p) [5A3B1C2D]-SubsPlease".into(),
            size: 1_400 * MB,
        },
    ];
    for e in 5..=8 {
        s.push(Step::JellyfinAddVirtualEpisode {
            tvdb_id: FRIEREN_TVDB,
            season: 1,
            episode: e,
        });
    }
    advance(
        &mut s,
        &[
            (H_DUNE, 0.0, 0.3),
            (H_SEVERANCE, 0.0, 0.2),
            (H_SUZUME_BAD, 0.0, 0.4),
            (H_FRIEREN[0], 0.0, 1.0),
        ],
        6,
        3,
    );
    s.extend([
        Step::DownloadFailed {
            hash: H_SUZUME_BAD.into(),
            message: "qBittorrent is reporting an error".into(),
        },
        Step::Import {
            hash: H_FRIEREN[0].into(),
        },
        Step::ShokoSetDownload {
            hash: H_FRIEREN[0].into(),
            state: ShokoState::Unrecognized,
        },
        Step::GrabEpisodes {
            tvdb_id: FRIEREN_TVDB,
            episodes: vec![(1, 2)],
            hash: H_FRIEREN[1].into(),
            release: "[SubsPlease] Frieren - 02 (1080p) [6B4C2D3E]-SubsPlease".into(),
            size: 1_400 * MB,
        },
        Step::SetMode {
            service: Service::Radarr,
            mode: FailureMode::Refused,
        },
    ]);
    advance(
        &mut s,
        &[
            (H_DUNE, 0.3, 0.6),
            (H_SEVERANCE, 0.2, 0.45),
            (H_FRIEREN[1], 0.0, 0.8),
        ],
        4,
        3,
    );
    s.extend([
        Step::SetMode {
            service: Service::Radarr,
            mode: FailureMode::Up,
        },
        Step::ShokoSetDownload {
            hash: H_FRIEREN[0].into(),
            state: ShokoState::ImportLimbo { anidb_id: 17_617 },
        },
        Step::GrabMovie {
            tmdb_id: SUZUME,
            hash: H_SUZUME.into(),
            release: "Suzume.2022.1080p.BluRay.x265.10bit-GOODRIP".into(),
            size: 6 * GB,
        },
    ]);
    advance(
        &mut s,
        &[
            (H_DUNE, 0.6, 1.0),
            (H_SEVERANCE, 0.45, 0.75),
            (H_FRIEREN[1], 0.8, 1.0),
            (H_SUZUME, 0.0, 0.35),
        ],
        5,
        3,
    );
    s.extend([
        Step::ImportBlocked {
            hash: H_DUNE.into(),
            message:
                "Movie title mismatch, automatic import is not possible. Manual Import required."
                    .into(),
        },
        Step::ShokoSetDownload {
            hash: H_FRIEREN[0].into(),
            state: ShokoState::Matched { anidb_id: 17_617 },
        },
        Step::Import {
            hash: H_FRIEREN[1].into(),
        },
        Step::GrabEpisodes {
            tvdb_id: FRIEREN_TVDB,
            episodes: vec![(1, 3), (1, 4)],
            hash: H_FRIEREN[2].into(),
            release: "[SubsPlease] Frieren - 03-04 (1080p) [7C5D3E4F]-SubsPlease".into(),
            size: 2_800 * MB,
        },
        wait(3),
        Step::JellyfinAddEpisodes {
            tvdb_id: FRIEREN_TVDB,
            episodes: vec![(1, 1)],
        },
        Step::ShokoSetDownload {
            hash: H_FRIEREN[1].into(),
            state: ShokoState::Matched { anidb_id: 17_617 },
        },
    ]);
    advance(
        &mut s,
        &[
            (H_SEVERANCE, 0.75, 1.0),
            (H_SUZUME, 0.35, 0.7),
            (H_FRIEREN[2], 0.0, 0.6),
        ],
        4,
        3,
    );
    s.extend([
        Step::Import {
            hash: H_DUNE.into(),
        },
        Step::Import {
            hash: H_SEVERANCE.into(),
        },
        Step::JellyfinAddEpisodes {
            tvdb_id: FRIEREN_TVDB,
            episodes: vec![(1, 2)],
        },
    ]);
    advance(
        &mut s,
        &[(H_SUZUME, 0.7, 1.0), (H_FRIEREN[2], 0.6, 1.0)],
        4,
        3,
    );
    s.extend([
        Step::JellyfinAddMovie { tmdb_id: DUNE },
        Step::JellyfinAddEpisodes {
            tvdb_id: SEVERANCE_TVDB,
            episodes: (1..=9).map(|e| (1, e)).collect(),
        },
        Step::Import {
            hash: H_SUZUME.into(),
        },
        Step::Import {
            hash: H_FRIEREN[2].into(),
        },
        Step::ShokoSetDownload {
            hash: H_SUZUME.into(),
            state: ShokoState::Unrecognized,
        },
        wait(6),
        Step::ShokoSetDownload {
            hash: H_SUZUME.into(),
            state: ShokoState::Matched { anidb_id: 16_991 },
        },
        Step::ShokoSetDownload {
            hash: H_FRIEREN[2].into(),
            state: ShokoState::Matched { anidb_id: 17_617 },
        },
        wait(6),
        Step::JellyfinAddMovie { tmdb_id: SUZUME },
        Step::JellyfinAddEpisodes {
            tvdb_id: FRIEREN_TVDB,
            episodes: vec![(1, 3), (1, 4)],
        },
    ]);
    Timeline(s)
}

/// Arrival, available in HD from the start (and requested in 4K when the
/// stack has the 4K instances).
const ARRIVAL: u64 = 329_865;

/// How often the demo's autopilot moves what a search grabbed.
const AUTOPILOT_EVERY: Duration = Duration::from_secs(2);

/// Seeds a world for the demo and starts its autopilot
/// ([`SimWorld::start_autopilot`], until the world is dropped): two titles
/// already available end to end, a declined request, and what the app's
/// actions act on:
///
/// - two PENDING requests, Oppenheimer (erin) and The Boys season 1
///   (frank): approving one in Jellyseerr (`POST /request/{id}/approve`)
///   hands it to Radarr or Sonarr, which grab a release that the autopilot
///   downloads, imports and shows in Jellyfin (about 40 s); while Radarr is
///   refused in the story, approving the film fails it instead;
/// - The Holdovers (carol), FAILED: Seerr could not hand it to Radarr. A
///   search in Radarr (`MoviesSearch`) or a retry in Seerr grabs it and it
///   plays out the same way;
/// - Shōgun season 1 (grace): a season pack stalled at 23 % in qBittorrent
///   (`stalledDL`) that stays stalled until it is removed from Sonarr's
///   queue with `blocklist=true`; Sonarr then searches the season again and
///   the new pack plays out by itself.
pub async fn demo_world(world: SimWorld) {
    if let Err(e) = seed_demo(&world) {
        eprintln!("sim: demo seed failed: {e}");
    }
    world.start_autopilot(AUTOPILOT_EVERY);
}

fn seed_demo(world: &SimWorld) -> Result<(), SimError> {
    let today = Utc::now().date_naive();
    world.add_movie(ARRIVAL, "Arrival", 2016, false);
    let r = world.request_movie(ARRIVAL, "alice")?;
    world.approve(r)?;
    let hash = "ae11ae11ae11ae11ae11ae11ae11ae11ae11ae11";
    world.grab_movie(
        ARRIVAL,
        hash,
        "Arrival.2016.1080p.BluRay.x264-SPARKS",
        9 * GB,
    )?;
    world.import(hash)?;
    world.jellyfin_add_movie(ARRIVAL)?;

    let first = NaiveDate::from_ymd_opt(2009, 9, 20).unwrap_or(today);
    world.add_series(
        82_467,
        19_885,
        "Bored to Death",
        2009,
        false,
        &[(1, 8, first)],
    );
    let r = world.request_series(19_885, &[1], "bob")?;
    world.approve(r)?;
    let hash = "b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0";
    let eps: Vec<(u32, u32)> = (1..=8).map(|e| (1, e)).collect();
    world.grab_episodes(
        82_467,
        &eps,
        hash,
        "Bored.to.Death.S01.1080p.HDTV.x264-DIMENSION",
        12 * GB,
    )?;
    world.import(hash)?;
    world.jellyfin_add_episodes(82_467, &eps)?;

    world.add_movie(872_585, "Oppenheimer", 2023, false);
    world.request_movie(872_585, "erin")?;
    world.add_series(
        392_256,
        76_479,
        "The Boys",
        2019,
        false,
        &[(1, 8, NaiveDate::from_ymd_opt(2019, 7, 26).unwrap_or(today))],
    );
    world.request_series(76_479, &[1], "frank")?;
    world.add_movie(505_642, "Black Panther: Wakanda Forever", 2022, false);
    let r = world.request_movie(505_642, "erin")?;
    world.decline(r)?;

    world.add_movie(HOLDOVERS, "The Holdovers", 2023, false);
    let r = world.request_movie(HOLDOVERS, "carol")?;
    world.approve_then_fail_same_second(r)?;

    let first = NaiveDate::from_ymd_opt(2024, 2, 27).unwrap_or(today);
    world.add_series(
        SHOGUN_TVDB,
        SHOGUN_TMDB,
        "Shōgun",
        2024,
        false,
        &[(1, 10, first)],
    );
    let r = world.request_series(SHOGUN_TMDB, &[1], "grace")?;
    world.approve(r)?;
    let eps: Vec<(u32, u32)> = (1..=10).map(|e| (1, e)).collect();
    world.grab_episodes(
        SHOGUN_TVDB,
        &eps,
        H_SHOGUN_STALLED,
        "Shogun.2024.S01.1080p.DSNP.WEB-DL.DDP5.1.H.264-KiNGS",
        16 * GB,
    )?;
    world.set_progress(H_SHOGUN_STALLED, 0.23, 0)?;
    world.set_torrent_state(H_SHOGUN_STALLED, "stalledDL")?;
    if world.has_4k_instances() {
        seed_demo_4k(world)?;
    }
    Ok(())
}

/// With the 4K instances ([`super::SimStack::start_4k`]): dave asks for
/// Arrival in 4K while its HD copy is already in Jellyfin. Seerr sends the
/// request to the 4K Radarr (`is4k`, `serverId` 1), which grabs a 2160p
/// release; the autopilot downloads it (about 30 s), the 4K Radarr imports
/// it under `/media/movies-4k/` and Jellyfin shows it as a separate item of
/// its 4K library (`/data/movies-4k/...`, the same file name). Only then
/// is the 4K request available: an app that took the HD copy for it would
/// show it AVAILABLE from the start.
fn seed_demo_4k(world: &SimWorld) -> Result<(), SimError> {
    world.add_movie_in(ArrInstance::FourK, ARRIVAL, "Arrival", 2016, false);
    let r = world.request_movie_4k(ARRIVAL, "dave")?;
    world.approve_and_send(r)
}
