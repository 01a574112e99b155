//! Specification tests for the reconcile engine.
//!
//! Each test drives the engine the way the poller does: start from empty
//! records, reconcile a snapshot, apply the changed records, build the next
//! snapshot, reconcile again. Test names state the rule they check; the
//! assertion messages quote it.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use super::*;

// ---------------------------------------------------------------------------
// Time
// ---------------------------------------------------------------------------

/// A fixed base instant, so tests never read the clock.
fn base() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).unwrap()
}

/// `base() + minutes`.
fn t(minutes: i64) -> DateTime<Utc> {
    base() + TimeDelta::minutes(minutes)
}

fn days(n: i64) -> DateTime<Utc> {
    base() + TimeDelta::days(n)
}

// ---------------------------------------------------------------------------
// Ids
// ---------------------------------------------------------------------------

/// A torrent download id as the *arr stores it (40 upper-case hex).
fn dl(n: u32) -> String {
    format!("{n:040X}")
}

/// The same id as qBittorrent keys it (lower-case).
fn qh(n: u32) -> String {
    dl(n).to_ascii_lowercase()
}

// ---------------------------------------------------------------------------
// Jellyseerr
// ---------------------------------------------------------------------------

/// An approved film request.
fn seerr_req(id: i64, tmdb: i64) -> SeerrRequest {
    SeerrRequest {
        id,
        status: SeerrRequestStatus::Approved,
        media_type: MediaType::Movie,
        tmdb_id: Some(tmdb),
        tvdb_id: None,
        media_status: SeerrMediaStatus::Processing,
        jellyfin_media_id: None,
        requested_by: "alice".into(),
        created_at: t(-60),
        updated_at: t(-60),
        seasons: vec![],
        is_4k: false,
        service_url: None,
        title: Some(format!("Film {tmdb}")),
        year: Some(2024),
        poster_path: None,
        is_anime: false,
    }
}

/// An approved series request for the given seasons.
fn seerr_tv(id: i64, tvdb: i64, seasons: &[i32]) -> SeerrRequest {
    SeerrRequest {
        media_type: MediaType::Tv,
        tmdb_id: Some(tvdb + 100_000),
        tvdb_id: Some(tvdb),
        seasons: seasons.to_vec(),
        title: Some(format!("Series {tvdb}")),
        ..seerr_req(id, 0)
    }
}

fn with_status(mut r: SeerrRequest, status: SeerrRequestStatus) -> SeerrRequest {
    r.status = status;
    r
}

fn anime(mut r: SeerrRequest) -> SeerrRequest {
    r.is_anime = true;
    r
}

// ---------------------------------------------------------------------------
// Radarr / Sonarr
// ---------------------------------------------------------------------------

/// A monitored, released Radarr movie without a file.
fn movie(id: i64, tmdb: i64) -> RadarrMovie {
    RadarrMovie {
        id,
        tmdb_id: tmdb,
        title: format!("Film {tmdb}"),
        has_file: false,
        monitored: true,
        is_available: true,
        status: Some("released".into()),
        is_anime: false,
        file_path: None,
        added: None,
    }
}

/// The same movie with its file in the library.
fn with_file(mut m: RadarrMovie, path: &str) -> RadarrMovie {
    m.has_file = true;
    m.file_path = Some(path.into());
    m
}

/// A queue item downloading `download_id` for Radarr movie / Sonarr series `media_id`,
/// with the given `trackedDownloadState`.
fn queue(download_id: &str, media_id: i64, state: &str) -> ArrQueueItem {
    ArrQueueItem {
        download_id: Some(download_id.into()),
        media_id: Some(media_id),
        episode_id: None,
        title: format!("Release.{media_id}.2160p.WEB-DL"),
        size: 8_000_000_000.0,
        sizeleft: 4_000_000_000.0,
        timeleft_secs: Some(600),
        status: "downloading".into(),
        tracked_status: Some("ok".into()),
        tracked_state: Some(state.into()),
        messages: vec![],
        error_message: None,
        protocol: Some("torrent".into()),
    }
}

/// A Sonarr queue item for one episode.
fn ep_queue(download_id: &str, series_id: i64, episode_id: i64, state: &str) -> ArrQueueItem {
    ArrQueueItem {
        episode_id: Some(episode_id),
        ..queue(download_id, series_id, state)
    }
}

/// A queue item whose import is blocked with a warning message (torrent finished).
fn blocked(mut q: ArrQueueItem, message: &str) -> ArrQueueItem {
    q.status = "completed".into();
    q.tracked_status = Some("warning".into());
    q.tracked_state = Some("importBlocked".into());
    q.messages = vec![message.into()];
    q.sizeleft = 0.0;
    q
}

/// A queue item whose download failed with a message.
fn failed_q(mut q: ArrQueueItem, message: &str) -> ArrQueueItem {
    q.status = "failed".into();
    q.tracked_status = Some("error".into());
    q.tracked_state = Some("failedPending".into());
    q.messages = vec![message.into()];
    q.error_message = Some(message.into());
    q
}

/// A history record.
fn hist(
    id: i64,
    kind: HistoryKind,
    download_id: &str,
    media_id: i64,
    at: DateTime<Utc>,
) -> ArrHistoryEvent {
    ArrHistoryEvent {
        id,
        kind,
        date: at,
        download_id: Some(download_id.into()),
        media_id,
        episode_id: None,
        source_title: format!("Release.{media_id}.2160p.WEB-DL"),
        message: None,
        imported_path: None,
        size: Some(8_000_000_000.0),
    }
}

fn grabbed(id: i64, download_id: &str, media_id: i64, at: DateTime<Utc>) -> ArrHistoryEvent {
    hist(id, HistoryKind::Grabbed, download_id, media_id, at)
}

fn imported(
    id: i64,
    download_id: &str,
    media_id: i64,
    path: &str,
    at: DateTime<Utc>,
) -> ArrHistoryEvent {
    ArrHistoryEvent {
        imported_path: Some(path.into()),
        ..hist(id, HistoryKind::Imported, download_id, media_id, at)
    }
}

/// The same history record for one episode.
fn for_ep(mut h: ArrHistoryEvent, episode_id: i64) -> ArrHistoryEvent {
    h.episode_id = Some(episode_id);
    h
}

/// A monitored Sonarr episode; `aired_days_ago` None means no air date.
fn ep(id: i64, season: i32, number: i32, air: Option<DateTime<Utc>>) -> SonarrEpisode {
    SonarrEpisode {
        id,
        season,
        number,
        title: Some(format!("Episode {season}x{number}")),
        air_date_utc: air,
        monitored: true,
        has_file: false,
        file_path: None,
    }
}

/// `n` aired episodes of `season`, ids `first_id..`.
fn aired_eps(first_id: i64, season: i32, n: i32) -> Vec<SonarrEpisode> {
    (1..=n)
        .map(|k| ep(first_id + i64::from(k) - 1, season, k, Some(days(-30))))
        .collect()
}

fn series(id: i64, tvdb: i64, episodes: Vec<SonarrEpisode>) -> SonarrSeries {
    SonarrSeries {
        id,
        tvdb_id: tvdb,
        title: format!("Series {tvdb}"),
        is_anime: false,
        added: None,
        episodes: episodes.into(),
    }
}

/// Mark the episodes with these ids as having a file at `/tv/<id>.mkv`.
fn eps_with_files(mut s: SonarrSeries, ids: &[i64]) -> SonarrSeries {
    for e in Arc::make_mut(&mut s.episodes) {
        if ids.contains(&e.id) {
            e.has_file = true;
            e.file_path = Some(ep_path(e.id));
        }
    }
    s
}

fn ep_path(episode_id: i64) -> String {
    format!("/tv/Series/Season 01/{episode_id}.mkv")
}

// ---------------------------------------------------------------------------
// qBittorrent
// ---------------------------------------------------------------------------

fn torrent(hash: &str, progress: f64, state: TorrentState) -> Torrent {
    let size = 8_000_000_000_i64;
    Torrent {
        hash: hash.into(),
        infohash_v1: Some(hash.into()),
        infohash_v2: None,
        name: format!("torrent {hash}"),
        progress,
        state,
        dlspeed: 5_000_000,
        eta_secs: Some(321),
        size,
        amount_left: ((1.0 - progress) * size as f64) as i64,
    }
}

fn downloading(hash: &str, progress: f64) -> Torrent {
    torrent(hash, progress, TorrentState::Downloading)
}

fn seeding(hash: &str) -> Torrent {
    let mut t = torrent(hash, 1.0, TorrentState::Completed);
    t.dlspeed = 0;
    t.eta_secs = None;
    t
}

// ---------------------------------------------------------------------------
// Jellyfin
// ---------------------------------------------------------------------------

fn jf_item(id: &str, kind: JellyfinKind) -> JellyfinItem {
    JellyfinItem {
        id: id.into(),
        kind,
        name: format!("item {id}"),
        tmdb_id: None,
        tvdb_id: None,
        anidb_id: None,
        playable: true,
        series_id: None,
        season: None,
        episode: None,
        episode_end: None,
        date_created: None,
        shoko_file_ids: Vec::new(),
        files: Vec::new(),
    }
}

/// A playable Jellyfin movie with this Tmdb id.
fn jf_movie(tmdb: i64) -> JellyfinItem {
    JellyfinItem {
        tmdb_id: Some(tmdb),
        ..jf_item(&format!("{tmdb:032x}"), JellyfinKind::Movie)
    }
}

fn jf_series(id: &str, tvdb: i64) -> JellyfinItem {
    JellyfinItem {
        tvdb_id: Some(tvdb),
        playable: false,
        ..jf_item(id, JellyfinKind::Series)
    }
}

/// A playable Jellyfin episode of the series item `series_id`.
fn jf_ep(series_id: &str, season: i32, number: i32) -> JellyfinItem {
    JellyfinItem {
        series_id: Some(series_id.into()),
        season: Some(season),
        episode: Some(number),
        ..jf_item(
            &format!("{series_id}-{season}-{number}"),
            JellyfinKind::Episode,
        )
    }
}

fn virtual_item(mut i: JellyfinItem) -> JellyfinItem {
    i.playable = false;
    i
}

// ---------------------------------------------------------------------------
// Snapshot builder
// ---------------------------------------------------------------------------

/// Every service configured and answering, with nothing in it; Jellyseerr's
/// list is a complete sweep.
fn snap() -> Snapshot {
    Snapshot {
        jellyseerr: Source::Ok(SeerrData {
            requests: vec![],
            complete: true,
        }),
        radarr: vec![ArrInstance::single(
            "radarr",
            Source::Ok(RadarrData::default()),
        )],
        sonarr: vec![ArrInstance::single(
            "sonarr",
            Source::Ok(SonarrData::default()),
        )],
        qbittorrent: Source::Ok(QbitData::default()),
        shoko: Source::Ok(ShokoData::default()),
        jellyfin: Source::Ok(Arc::new(JellyfinData::default())),
    }
}

/// Builder methods on a snapshot (each adds to a source that is `Ok`).
trait Build: Sized {
    fn req(self, r: SeerrRequest) -> Self;
    fn partial(self) -> Self;
    fn movie(self, m: RadarrMovie) -> Self;
    fn rq(self, q: ArrQueueItem) -> Self;
    fn rh(self, h: ArrHistoryEvent) -> Self;
    fn series(self, s: SonarrSeries) -> Self;
    fn sq(self, q: ArrQueueItem) -> Self;
    fn sh(self, h: ArrHistoryEvent) -> Self;
    fn torrent(self, t: Torrent) -> Self;
    fn shoko(self, path: &str, m: ShokoMatch) -> Self;
    fn jf(self, i: JellyfinItem) -> Self;
}

fn ok_mut<T>(s: &mut Source<T>) -> &mut T {
    match s {
        Source::Ok(t) => t,
        _ => panic!("test bug: adding data to a source that is not Ok"),
    }
}

fn ok_mut_shared<T: Clone>(s: &mut Source<Arc<T>>) -> &mut T {
    Arc::make_mut(ok_mut(s))
}

impl Build for Snapshot {
    fn req(mut self, r: SeerrRequest) -> Self {
        ok_mut(&mut self.jellyseerr).requests.push(r);
        self
    }
    fn partial(mut self) -> Self {
        ok_mut(&mut self.jellyseerr).complete = false;
        self
    }
    fn movie(mut self, m: RadarrMovie) -> Self {
        ok_mut(&mut self.radarr[0].data).movies.push(m);
        self
    }
    fn rq(mut self, q: ArrQueueItem) -> Self {
        ok_mut(&mut self.radarr[0].data).queue.push(q);
        self
    }
    fn rh(mut self, h: ArrHistoryEvent) -> Self {
        ok_mut(&mut self.radarr[0].data).history.push(h);
        self
    }
    fn series(mut self, s: SonarrSeries) -> Self {
        ok_mut(&mut self.sonarr[0].data).series.push(s);
        self
    }
    fn sq(mut self, q: ArrQueueItem) -> Self {
        ok_mut(&mut self.sonarr[0].data).queue.push(q);
        self
    }
    fn sh(mut self, h: ArrHistoryEvent) -> Self {
        ok_mut(&mut self.sonarr[0].data).history.push(h);
        self
    }
    fn torrent(mut self, t: Torrent) -> Self {
        Arc::make_mut(&mut ok_mut(&mut self.qbittorrent).torrents).insert(t.hash.clone(), t);
        self
    }
    fn shoko(mut self, path: &str, m: ShokoMatch) -> Self {
        ok_mut(&mut self.shoko).files.insert(path.into(), m);
        self
    }
    fn jf(mut self, i: JellyfinItem) -> Self {
        ok_mut_shared(&mut self.jellyfin).items.push(Arc::new(i));
        self
    }
}

// ---------------------------------------------------------------------------
// Driving the engine
// ---------------------------------------------------------------------------

/// One poll cycle: reconcile, then apply the changed records as the poller does.
fn step(recs: &mut Records, snap: &Snapshot, now: DateTime<Utc>) -> Reconciled {
    let out = reconcile(recs, snap, now);
    for r in &out.changed {
        recs.insert(r.id, r.clone());
    }
    out
}

/// The record following Jellyseerr request `seerr_id`.
fn rec(recs: &Records, seerr_id: i64) -> &RequestRecord {
    recs.values()
        .find(|r| r.jellyseerr_request_id == seerr_id)
        .unwrap_or_else(|| panic!("no record for Jellyseerr request {seerr_id}: {recs:#?}"))
}

fn phase(recs: &Records, seerr_id: i64) -> Phase {
    rec(recs, seerr_id).phase
}

fn reason(recs: &Records, seerr_id: i64) -> String {
    rec(recs, seerr_id).reason.clone().unwrap_or_default()
}

/// The `to` phases of the phase changes in `out`, in order.
fn phase_changes(out: &Reconciled) -> Vec<(Option<Phase>, Phase)> {
    out.changes
        .iter()
        .filter_map(|c| match c {
            Change::PhaseChanged { from, to, .. } => Some((*from, *to)),
            _ => None,
        })
        .collect()
}

fn evidence_of(out: &Reconciled, to_phase: Phase) -> String {
    out.changes
        .iter()
        .find_map(|c| match c {
            Change::PhaseChanged { to, evidence, .. } if *to == to_phase => Some(evidence.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no PhaseChanged to {to_phase} in {:#?}", out.changes))
}

/// Asserts `rec` is the same as `before` in phase, reason, attention and deletion.
fn assert_kept(before: &RequestRecord, after: &RequestRecord, why: &str) {
    assert_eq!(after.phase, before.phase, "phase kept: {why}");
    assert_eq!(after.reason, before.reason, "reason kept: {why}");
    assert_eq!(after.attention, before.attention, "attention kept: {why}");
    assert_eq!(after.deleted, before.deleted, "deletion kept: {why}");
}

/// No phase change and no reason change in `out`.
fn assert_no_phase_or_reason_events(out: &Reconciled, why: &str) {
    let moves: Vec<_> = out
        .changes
        .iter()
        .filter(|c| !matches!(c, Change::EpisodeAvailable { .. }))
        .collect();
    assert!(moves.is_empty(), "{why}: unexpected events {moves:#?}");
}

// ---------------------------------------------------------------------------
// A film driven to each phase (tmdb 100, Radarr movie 7, download 1)
// ---------------------------------------------------------------------------

const TMDB: i64 = 100;
const MOVIE: i64 = 7;
const FILM_PATH: &str = "/movies/Film 100 (2024)/Film.100.2024.2160p.mkv";

fn film_approved() -> Snapshot {
    snap().req(seerr_req(1, TMDB)).movie(movie(MOVIE, TMDB))
}

fn film_downloading(progress: f64) -> Snapshot {
    film_approved()
        .rq(queue(&dl(1), MOVIE, "downloading"))
        .rh(grabbed(1, &dl(1), MOVIE, t(1)))
        .torrent(downloading(&qh(1), progress))
}

fn film_done() -> Snapshot {
    let mut q = queue(&dl(1), MOVIE, "importPending");
    q.status = "completed".into();
    q.sizeleft = 0.0;
    film_approved().rq(q).torrent(seeding(&qh(1)))
}

fn film_imported() -> Snapshot {
    snap()
        .req(seerr_req(1, TMDB))
        .movie(with_file(movie(MOVIE, TMDB), FILM_PATH))
        .rh(imported(2, &dl(1), MOVIE, FILM_PATH, t(20)))
        .torrent(seeding(&qh(1)))
}

fn film_available() -> Snapshot {
    film_imported().jf(jf_movie(TMDB))
}

mod anime;
mod film;
mod identity;
mod instances;
mod lookups;
mod outages;
mod series;
mod skip;
mod stale_caches;
mod stuck;
mod wants;

use self::anime::*;
use self::lookups::*;
use self::series::*;
use self::skip::*;
