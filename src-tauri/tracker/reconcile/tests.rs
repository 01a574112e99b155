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
        radarr: Source::Ok(RadarrData::default()),
        sonarr: Source::Ok(SonarrData::default()),
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
        ok_mut(&mut self.radarr).movies.push(m);
        self
    }
    fn rq(mut self, q: ArrQueueItem) -> Self {
        ok_mut(&mut self.radarr).queue.push(q);
        self
    }
    fn rh(mut self, h: ArrHistoryEvent) -> Self {
        ok_mut(&mut self.radarr).history.push(h);
        self
    }
    fn series(mut self, s: SonarrSeries) -> Self {
        ok_mut(&mut self.sonarr).series.push(s);
        self
    }
    fn sq(mut self, q: ArrQueueItem) -> Self {
        ok_mut(&mut self.sonarr).queue.push(q);
        self
    }
    fn sh(mut self, h: ArrHistoryEvent) -> Self {
        ok_mut(&mut self.sonarr).history.push(h);
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

// ---------------------------------------------------------------------------
// Film flow
// ---------------------------------------------------------------------------

#[test]
fn film_flow_phases_in_order() {
    let mut recs = Records::new();
    let pending = snap()
        .req(with_status(seerr_req(1, TMDB), SeerrRequestStatus::Pending))
        .movie(movie(MOVIE, TMDB));

    let out = step(&mut recs, &pending, t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Requested,
        "Jellyseerr pending → REQUESTED"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(None, Phase::Requested)],
        "first sighting is a PhaseChanged with from: None"
    );

    let out = step(&mut recs, &film_approved(), t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Approved,
        "approved, nothing grabbed → APPROVED"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(Some(Phase::Requested), Phase::Approved)]
    );
    assert!(
        evidence_of(&out, Phase::Approved).contains("Jellyseerr"),
        "the evidence names the service that said so"
    );

    let out = step(&mut recs, &film_downloading(0.3), t(2));
    assert_eq!(phase(&recs, 1), Phase::Downloading, "grab → DOWNLOADING");
    assert_eq!(
        phase_changes(&out),
        vec![(Some(Phase::Approved), Phase::Downloading)]
    );
    assert!(
        evidence_of(&out, Phase::Downloading).contains("Radarr"),
        "the grab's evidence names Radarr"
    );
    let r = rec(&recs, 1);
    assert_eq!(r.progress, Some(0.3), "progress is the torrent's progress");
    assert_eq!(r.eta_secs, Some(321), "eta comes from the torrent");
    assert_eq!(
        r.download_speed,
        Some(5_000_000),
        "speed comes from the torrent"
    );
    assert!(
        r.download_ids
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&dl(1))),
        "the grabbed download id is remembered"
    );
    assert_eq!(r.arr_id, Some(MOVIE), "the Radarr movie id is remembered");

    let out = step(&mut recs, &film_done(), t(3));
    assert_eq!(
        phase(&recs, 1),
        Phase::DownloadDone,
        "torrent complete → DOWNLOAD_DONE"
    );
    assert_eq!(
        reason(&recs, 1),
        reasons::WAIT_RADARR_IMPORT,
        "no message: waiting for Radarr"
    );
    let ev = evidence_of(&out, Phase::DownloadDone);
    assert!(
        ev.contains("qBittorrent") || ev.contains("Radarr"),
        "completion evidence names the service (qBittorrent or Radarr): {ev:?}"
    );

    let out = step(&mut recs, &film_imported(), t(4));
    assert_eq!(
        phase(&recs, 1),
        Phase::Importing,
        "imported, Jellyfin configured → IMPORTING"
    );
    assert_eq!(
        reason(&recs, 1),
        reasons::WAIT_JELLYFIN,
        "IMPORTING waits for Jellyfin"
    );
    let ev = evidence_of(&out, Phase::Importing);
    assert!(
        ev.contains("Radarr"),
        "import evidence names Radarr: {ev:?}"
    );
    assert_eq!(
        rec(&recs, 1).imported_path.as_deref(),
        Some(FILM_PATH),
        "the imported path is remembered"
    );

    let out = step(&mut recs, &film_available(), t(5));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "playable Jellyfin movie → AVAILABLE"
    );
    let ev = evidence_of(&out, Phase::Available);
    assert!(
        ev.contains("Jellyfin"),
        "availability evidence names Jellyfin: {ev:?}"
    );
    let r = rec(&recs, 1);
    assert!(!r.attention, "an available film needs no attention");
    assert!(!is_open(r), "an AVAILABLE record is finished");
}

#[test]
fn film_phase_changes_carry_time_and_update_phase_since() {
    let mut recs = Records::new();
    step(&mut recs, &film_approved(), t(0));
    let out = step(&mut recs, &film_downloading(0.1), t(9));
    match out.changes.as_slice() {
        [Change::PhaseChanged { request_id, at, .. }] => {
            assert_eq!(
                *request_id,
                rec(&recs, 1).id,
                "events name the local record id"
            );
            assert_eq!(*at, t(9), "events carry the reconcile time");
        }
        other => panic!("expected one PhaseChanged, got {other:#?}"),
    }
    assert_eq!(
        rec(&recs, 1).phase_since,
        t(9),
        "phase_since is when the phase began"
    );
}

#[test]
fn film_skips_grabbing() {
    let mut recs = Records::new();
    let mut seen = vec![];
    step(&mut recs, &film_approved(), t(0));
    // A grab in the history only (no queue item yet) is already a grab.
    let grab = film_approved()
        .rh(grabbed(1, &dl(1), MOVIE, t(1)))
        .torrent(downloading(&qh(1), 0.0));
    let out = step(&mut recs, &grab, t(1));
    seen.extend(phase_changes(&out));
    assert_eq!(
        phase(&recs, 1),
        Phase::Downloading,
        "films go APPROVED → DOWNLOADING directly"
    );
    for cycle in 2..5 {
        let out = step(&mut recs, &film_downloading(0.1 * cycle as f64), t(cycle));
        seen.extend(phase_changes(&out));
    }
    assert!(
        seen.iter().all(|(_, to)| *to != Phase::Grabbing),
        "films skip GRABBING: {seen:?}"
    );
}

#[test]
fn approved_with_queue_grab_in_first_cycle_is_downloading() {
    let mut recs = Records::new();
    let out = step(&mut recs, &film_downloading(0.5), t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Downloading,
        "a queue item with a download id is a grab"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(None, Phase::Downloading)],
        "first sighting is one PhaseChanged from None to the phase the evidence shows"
    );
}

#[test]
fn completed_seerr_request_with_nothing_else_is_approved() {
    let mut recs = Records::new();
    let s = snap()
        .req(with_status(
            seerr_req(1, TMDB),
            SeerrRequestStatus::Completed,
        ))
        .movie(movie(MOVIE, TMDB));
    step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Approved,
        "Approved (or Completed) with nothing else → APPROVED"
    );
}

#[test]
fn record_copies_request_fields() {
    let mut recs = Records::new();
    step(&mut recs, &film_approved(), t(0));
    let r = rec(&recs, 1);
    assert_eq!(r.media_type, MediaType::Movie);
    assert_eq!(r.tmdb_id, Some(TMDB));
    assert_eq!(r.title, "Film 100", "title from Jellyseerr");
    assert_eq!(r.year, Some(2024));
    assert_eq!(r.requested_by, "alice");
    assert_eq!(
        r.requested_at,
        t(-60),
        "requested_at is the request's creation time"
    );
    assert!(!r.deleted);
    assert_eq!(
        episode_counts(r, t(0)),
        None,
        "films have no episode counts"
    );
}

#[test]
fn phases_never_move_backwards() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.5), t(0));
    step(&mut recs, &film_done(), t(1));
    assert_eq!(phase(&recs, 1), Phase::DownloadDone);

    // qBittorrent rechecks: the torrent shows 0.99 again.
    let recheck = film_approved()
        .rq(queue(&dl(1), MOVIE, "downloading"))
        .torrent(downloading(&qh(1), 0.99));
    let out = step(&mut recs, &recheck, t(2));
    assert_eq!(
        phase(&recs, 1),
        Phase::DownloadDone,
        "phases never move backwards"
    );
    assert!(
        phase_changes(&out).is_empty(),
        "no phase change backwards: {:?}",
        out.changes
    );

    step(&mut recs, &film_imported(), t(3));
    assert_eq!(phase(&recs, 1), Phase::Importing);
    let out = step(&mut recs, &recheck, t(4));
    assert_eq!(
        phase(&recs, 1),
        Phase::Importing,
        "IMPORTING never goes back to DOWNLOADING"
    );
    assert!(phase_changes(&out).is_empty());

    step(&mut recs, &film_available(), t(5));
    let out = step(&mut recs, &recheck, t(6));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "AVAILABLE stays AVAILABLE"
    );
    assert!(phase_changes(&out).is_empty());
}

#[test]
fn without_jellyfin_imported_film_is_available() {
    let mut recs = Records::new();
    let mut s = film_downloading(0.5);
    s.jellyfin = Source::NotConfigured;
    step(&mut recs, &s, t(0));
    let mut s = film_imported();
    s.jellyfin = Source::NotConfigured;
    step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "without Jellyfin the *arr's imported file is the best evidence of AVAILABLE"
    );
}

// ---------------------------------------------------------------------------
// A failed call is no evidence
// ---------------------------------------------------------------------------

/// The film snapshots that put a fresh record in each phase.
fn film_phase_snapshots() -> Vec<(Phase, Vec<Snapshot>)> {
    let pending = snap()
        .req(with_status(seerr_req(1, TMDB), SeerrRequestStatus::Pending))
        .movie(movie(MOVIE, TMDB));
    vec![
        (Phase::Requested, vec![pending]),
        (Phase::Approved, vec![film_approved()]),
        (Phase::Downloading, vec![film_downloading(0.4)]),
        (
            Phase::DownloadDone,
            vec![film_downloading(0.4), film_done()],
        ),
        (
            Phase::Importing,
            vec![film_downloading(0.4), film_imported()],
        ),
    ]
}

fn fail_source(mut s: Snapshot, which: &str) -> Snapshot {
    match which {
        "jellyseerr" => s.jellyseerr = Source::Failed,
        "radarr" => s.radarr = Source::Failed,
        "qbittorrent" => s.qbittorrent = Source::Failed,
        "shoko" => s.shoko = Source::Failed,
        "jellyfin" => s.jellyfin = Source::Failed,
        "all" => {
            s.jellyseerr = Source::Failed;
            s.radarr = Source::Failed;
            s.sonarr = Source::Failed;
            s.qbittorrent = Source::Failed;
            s.shoko = Source::Failed;
            s.jellyfin = Source::Failed;
        }
        other => panic!("test bug: unknown service {other}"),
    }
    s
}

#[test]
fn failed_service_is_no_evidence_in_every_phase() {
    for (want, path) in film_phase_snapshots() {
        for service in [
            "jellyseerr",
            "radarr",
            "qbittorrent",
            "shoko",
            "jellyfin",
            "all",
        ] {
            let mut recs = Records::new();
            for (i, s) in path.iter().enumerate() {
                step(&mut recs, s, t(i as i64));
            }
            assert_eq!(phase(&recs, 1), want, "test setup reaches {want}");
            let before = rec(&recs, 1).clone();
            let last = path.last().cloned().unwrap();
            for cycle in 0..3 {
                let s = fail_source(last.clone(), service);
                let out = step(&mut recs, &s, t(10 + cycle));
                let why = format!(
                    "{service} failed in {want} (cycle {cycle}): a failed call is no evidence"
                );
                assert_kept(&before, rec(&recs, 1), &why);
                assert_no_phase_or_reason_events(&out, &why);
            }
            // The service answers again with the same data: still nothing to say.
            let out = step(&mut recs, &last, t(20));
            let why = format!("{service} back in {want}");
            assert_kept(&before, rec(&recs, 1), &why);
            assert_no_phase_or_reason_events(&out, &why);
        }
    }
}

#[test]
fn failed_service_never_makes_a_record_failed_or_new() {
    // Jellyseerr failing in the very first cycle creates nothing.
    let mut recs = Records::new();
    let out = step(
        &mut recs,
        &fail_source(film_downloading(0.2), "jellyseerr"),
        t(0),
    );
    assert!(
        out.changed.is_empty() && recs.is_empty(),
        "no Jellyseerr answer, no records"
    );

    // Everything but Jellyseerr failing: the request is known, nothing else.
    let mut s = film_approved();
    s.radarr = Source::Failed;
    s.qbittorrent = Source::Failed;
    s.jellyfin = Source::Failed;
    step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Approved,
        "only Jellyseerr answered: APPROVED"
    );
    assert!(
        !rec(&recs, 1).attention,
        "failed services raise no attention on a request"
    );
}

#[test]
fn jellyfin_failed_is_not_jellyfin_missing() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.5), t(0));
    let s = fail_source(film_imported(), "jellyfin");
    step(&mut recs, &s, t(1));
    assert_ne!(
        phase(&recs, 1),
        Phase::Available,
        "a failed Jellyfin is no evidence: only NotConfigured lets the imported file count as AVAILABLE"
    );
}

#[test]
fn queue_item_vanishing_is_not_evidence() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let before = rec(&recs, 1).clone();
    // Radarr answers, but its queue lost the item (its client call errored).
    let s = film_approved().torrent(downloading(&qh(1), 0.4));
    for cycle in 1..4 {
        let out = step(&mut recs, &s, t(cycle));
        assert_kept(
            &before,
            rec(&recs, 1),
            "a queue item disappearing is no evidence",
        );
        assert_no_phase_or_reason_events(&out, "queue item vanished");
    }

    // Same in DOWNLOAD_DONE with a blocked import.
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let s = film_approved()
        .rq(blocked(
            queue(&dl(1), MOVIE, "importBlocked"),
            "Movie title mismatch, automatic import is not possible. Manual Import required.",
        ))
        .torrent(seeding(&qh(1)));
    step(&mut recs, &s, t(1));
    assert_eq!(phase(&recs, 1), Phase::DownloadDone);
    let s = film_approved().torrent(seeding(&qh(1)));
    step(&mut recs, &s, t(2));
    assert_eq!(
        phase(&recs, 1),
        Phase::DownloadDone,
        "queue item vanished: phase kept"
    );
    assert!(
        !rec(&recs, 1).deleted,
        "a vanished queue item deletes nothing"
    );
}

#[test]
fn recorded_download_follows_torrent_without_queue_item() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let s = film_approved().torrent(seeding(&qh(1)));
    step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::DownloadDone,
        "the remembered download id ties the completed torrent to the request"
    );
}

// ---------------------------------------------------------------------------
// Reasons, attention, failures
// ---------------------------------------------------------------------------

#[test]
fn import_blocked_reason_is_verbatim() {
    let msg = "No files found are eligible for import in /downloads/Film.100.2024.2160p";
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.9), t(0));
    let s = film_approved()
        .rq(blocked(queue(&dl(1), MOVIE, "importBlocked"), msg))
        .torrent(seeding(&qh(1)));
    step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::DownloadDone,
        "a blocked import is not FAILED: it is DOWNLOAD_DONE with the *arr's message"
    );
    assert!(
        reason(&recs, 1).contains(msg),
        "the *arr's message is the reason, verbatim: {:?}",
        reason(&recs, 1)
    );
    assert!(
        rec(&recs, 1).attention,
        "an *arr warning message needs attention"
    );

    // importPending with a message is shown the same way.
    let msg2 = "Not an upgrade for existing movie file. Existing quality: WEBDL-2160p";
    let mut q = blocked(queue(&dl(1), MOVIE, "importPending"), msg2);
    q.tracked_state = Some("importPending".into());
    let out = step(
        &mut recs,
        &film_approved().rq(q).torrent(seeding(&qh(1))),
        t(2),
    );
    assert_eq!(phase(&recs, 1), Phase::DownloadDone);
    assert!(
        reason(&recs, 1).contains(msg2),
        "importPending messages are the reason, verbatim"
    );
    assert!(
        out.changes.iter().any(|c| matches!(c, Change::ReasonChanged { phase: Phase::DownloadDone, reason: Some(r), .. } if r.contains(msg2))),
        "a reason change within a phase is a ReasonChanged event: {:#?}",
        out.changes
    );
}

#[test]
fn queue_failed_is_failed_with_message() {
    let msg = "qBittorrent is reporting an error";
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let s = film_approved()
        .rq(failed_q(queue(&dl(1), MOVIE, "failedPending"), msg))
        .torrent(downloading(&qh(1), 0.4));
    let out = step(&mut recs, &s, t(1));
    let r = rec(&recs, 1);
    assert_eq!(r.phase, Phase::Failed, "queue failedPending → FAILED");
    assert!(
        r.reason.as_deref().unwrap_or("").contains(msg),
        "FAILED carries the message verbatim: {:?}",
        r.reason
    );
    assert!(r.attention, "FAILED needs attention");
    assert!(
        r.failed_download_id
            .as_deref()
            .is_some_and(|d| d.eq_ignore_ascii_case(&dl(1))),
        "failed_download_id remembers the failed download"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(Some(Phase::Downloading), Phase::Failed)]
    );
}

#[test]
fn history_download_failed_is_failed_with_message() {
    let msg = "Download wasn't grabbed by client: tracker unreachable";
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let mut h = hist(3, HistoryKind::DownloadFailed, &dl(1), MOVIE, t(5));
    h.message = Some(msg.into());
    let s = film_approved().rh(h).torrent(downloading(&qh(1), 0.4));
    step(&mut recs, &s, t(6));
    assert_eq!(
        phase(&recs, 1),
        Phase::Failed,
        "history DownloadFailed for the current download → FAILED"
    );
    assert!(
        reason(&recs, 1).contains(msg),
        "with the message verbatim: {:?}",
        reason(&recs, 1)
    );
}

#[test]
fn two_grabs_in_one_cycle_are_read_oldest_first() {
    // Radarr lists its history newest first; the record's newest download is
    // the later grab, whatever the order of the listing.
    let mut recs = Records::new();
    let s = film_approved()
        .rh(grabbed(5, &dl(2), MOVIE, t(3)))
        .rh(grabbed(4, &dl(1), MOVIE, t(1)))
        .torrent(downloading(&qh(1), 0.9))
        .torrent(downloading(&qh(2), 0.2));
    step(&mut recs, &s, t(4));
    let r = rec(&recs, 1);
    assert_eq!(r.download_ids.last(), Some(&dl(2)), "{:?}", r.download_ids);
    assert_eq!(r.progress, Some(0.2), "progress is the newer download's");
}

#[test]
fn failed_then_regrabbed_moves_on() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let failed = film_approved().rq(failed_q(
        queue(&dl(1), MOVIE, "failed"),
        "The download is stalled with no connections",
    ));
    step(&mut recs, &failed, t(1));
    assert_eq!(phase(&recs, 1), Phase::Failed);

    // Evidence from the failed download never moves the request on again.
    let old = film_approved().torrent(downloading(&qh(1), 0.6));
    step(&mut recs, &old, t(2));
    assert_eq!(
        phase(&recs, 1),
        Phase::Failed,
        "the failed download is no evidence of progress"
    );

    // Radarr grabs another release.
    let regrab = film_approved()
        .rh(grabbed(4, &dl(2), MOVIE, t(3)))
        .rq(queue(&dl(2), MOVIE, "downloading"))
        .torrent(downloading(&qh(2), 0.1));
    let out = step(&mut recs, &regrab, t(3));
    let r = rec(&recs, 1);
    assert_eq!(
        r.phase,
        Phase::Downloading,
        "FAILED is not a dead end: a new grab moves on"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(Some(Phase::Failed), Phase::Downloading)],
        "the timeline shows it"
    );
    assert_eq!(r.progress, Some(0.1), "progress is the new torrent's");
    assert!(
        r.failed_download_id
            .as_deref()
            .is_some_and(|d| d.eq_ignore_ascii_case(&dl(1))),
        "failed_download_id remembers the failed one"
    );
    assert!(
        r.download_ids
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&dl(2))),
        "the new download id is recorded"
    );
    assert!(!r.attention, "the new download needs no attention");
}

#[test]
fn declined_is_failed_with_reason() {
    let mut recs = Records::new();
    let s = snap().req(with_status(seerr_req(1, TMDB), SeerrRequestStatus::Pending));
    step(&mut recs, &s, t(0));
    let s = snap().req(with_status(
        seerr_req(1, TMDB),
        SeerrRequestStatus::Declined,
    ));
    let out = step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Failed,
        "Jellyseerr declined → FAILED"
    );
    assert_eq!(reason(&recs, 1), reasons::DECLINED);
    assert!(rec(&recs, 1).attention, "FAILED needs attention");
    assert!(evidence_of(&out, Phase::Failed).contains("Jellyseerr"));
}

#[test]
fn seerr_failed_is_failed_with_reason() {
    let mut recs = Records::new();
    let s = snap()
        .req(with_status(seerr_req(1, TMDB), SeerrRequestStatus::Failed))
        .movie(movie(MOVIE, TMDB));
    step(&mut recs, &s, t(0));
    assert_eq!(phase(&recs, 1), Phase::Failed, "Jellyseerr failed → FAILED");
    assert_eq!(reason(&recs, 1), reasons::SEERR_FAILED);
}

#[test]
fn seerr_failed_with_arr_activity_follows_the_arr() {
    let mut recs = Records::new();
    let mut s = film_downloading(0.3);
    ok_mut(&mut s.jellyseerr).requests[0].status = SeerrRequestStatus::Failed;
    step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Downloading,
        "Seerr Failed is FAILED unless the *arr shows activity for the media"
    );
}

#[test]
fn seerr_failed_overridden_by_jellyfin() {
    let mut recs = Records::new();
    let failed = |s: Snapshot| {
        let mut s = s;
        ok_mut(&mut s.jellyseerr).requests[0].status = SeerrRequestStatus::Failed;
        s
    };
    step(&mut recs, &failed(film_approved()), t(0));
    assert_eq!(phase(&recs, 1), Phase::Failed);
    let out = step(&mut recs, &failed(film_available()), t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "Seerr keeps a FAILED request FAILED after its media is available: Jellyfin's evidence overrides it"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(Some(Phase::Failed), Phase::Available)]
    );
    assert!(
        !rec(&recs, 1).attention,
        "an available request needs no attention"
    );
}

#[test]
fn stalled_and_paused_raise_attention() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let with = |state| {
        film_approved()
            .rq(queue(&dl(1), MOVIE, "downloading"))
            .torrent(torrent(&qh(1), 0.4, state))
    };
    let out = step(&mut recs, &with(TorrentState::Stalled), t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Downloading,
        "stalled keeps DOWNLOADING"
    );
    assert_eq!(reason(&recs, 1), reasons::STALLED);
    assert!(rec(&recs, 1).attention, "a stalled torrent needs attention");
    assert!(
        out.changes
            .iter()
            .any(|c| matches!(c, Change::ReasonChanged { .. })),
        "the reason change is an event: {:#?}",
        out.changes
    );

    step(&mut recs, &with(TorrentState::StoppedDownload), t(2));
    assert_eq!(
        phase(&recs, 1),
        Phase::Downloading,
        "paused keeps DOWNLOADING"
    );
    assert_eq!(reason(&recs, 1), reasons::PAUSED);
    assert!(rec(&recs, 1).attention, "a stopped torrent needs attention");

    step(&mut recs, &with(TorrentState::Downloading), t(3));
    assert_ne!(
        reason(&recs, 1),
        reasons::PAUSED,
        "the reason follows the torrent when it resumes"
    );
    assert!(
        !rec(&recs, 1).attention,
        "a resumed download needs no attention"
    );
}

#[test]
fn torrent_error_and_missing_files_fail() {
    for (state, why) in [
        (TorrentState::Error, reasons::TORRENT_ERROR),
        (TorrentState::MissingFiles, reasons::MISSING_FILES),
    ] {
        let mut recs = Records::new();
        step(&mut recs, &film_downloading(0.4), t(0));
        let s = film_approved()
            .rq(queue(&dl(1), MOVIE, "downloading"))
            .torrent(torrent(&qh(1), 0.4, state.clone()));
        step(&mut recs, &s, t(1));
        assert_eq!(phase(&recs, 1), Phase::Failed, "torrent {state:?} → FAILED");
        assert_eq!(reason(&recs, 1), why);
        assert!(rec(&recs, 1).attention);
    }
}

#[test]
fn torrent_removed_keeps_phase() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    // qBittorrent answers with a complete listing that lacks the torrent.
    let s = film_approved().rq(queue(&dl(1), MOVIE, "downloading"));
    let out = step(&mut recs, &s, t(1));
    let r = rec(&recs, 1);
    assert_eq!(
        r.phase,
        Phase::Downloading,
        "removal is not a failure: phase kept"
    );
    assert_eq!(
        r.reason.as_deref(),
        Some(reasons::REMOVED_QBIT),
        "the reason says what disappeared"
    );
    assert!(r.attention, "something removed upstream needs attention");
    assert!(
        out.changes.iter().any(|c| matches!(c, Change::ReasonChanged { reason: Some(x), .. } if x == reasons::REMOVED_QBIT)),
        "the removal is on the timeline: {:#?}",
        out.changes
    );

    // A failed qBittorrent call is no such evidence.
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let mut s = film_approved().rq(queue(&dl(1), MOVIE, "downloading"));
    s.qbittorrent = Source::Failed;
    step(&mut recs, &s, t(1));
    assert_ne!(
        reason(&recs, 1),
        reasons::REMOVED_QBIT,
        "a failed call is not a removal"
    );
}

#[test]
fn held_release_is_approved_with_reason() {
    let mut recs = Records::new();
    let mut q = queue("", MOVIE, "");
    q.download_id = None;
    q.tracked_state = None;
    q.tracked_status = None;
    q.status = "delay".into();
    step(&mut recs, &film_approved().rq(q), t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Approved,
        "a pending release (no download id) is no grab"
    );
    assert_eq!(reason(&recs, 1), reasons::HELD, "the delay is the reason");
}

#[test]
fn unmonitored_movie_is_approved_with_reason() {
    let mut recs = Records::new();
    let mut m = movie(MOVIE, TMDB);
    m.monitored = false;
    step(&mut recs, &snap().req(seerr_req(1, TMDB)).movie(m), t(0));
    assert_eq!(phase(&recs, 1), Phase::Approved);
    assert_eq!(
        reason(&recs, 1),
        reasons::NOT_MONITORED_RADARR,
        "APPROVED says why when the *arr tells"
    );
}

// ---------------------------------------------------------------------------
// Matching, identity, upstream deletion
// ---------------------------------------------------------------------------

#[test]
fn already_available_goes_straight_to_available() {
    let mut recs = Records::new();
    let s = snap()
        .req(seerr_req(1, TMDB))
        .movie(with_file(movie(MOVIE, TMDB), FILM_PATH))
        .jf(jf_movie(TMDB));
    let out = step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "already there → AVAILABLE in the first cycle"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(None, Phase::Available)],
        "whatever phases it skipped, one first-sighting event"
    );
}

#[test]
fn re_request_does_not_touch_old_record() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.5), t(0));
    step(&mut recs, &film_available(), t(1));
    let a_id = rec(&recs, 1).id;
    assert_eq!(phase(&recs, 1), Phase::Available);

    let old_req = with_status(seerr_req(1, TMDB), SeerrRequestStatus::Completed);
    // The file is deleted from the library (the record may note it; it stays AVAILABLE).
    let gone = snap().req(old_req.clone()).movie(movie(MOVIE, TMDB));
    step(&mut recs, &gone, t(100));
    assert_eq!(
        rec(&recs, 1).phase,
        Phase::Available,
        "finished records are frozen"
    );
    let a_before = rec(&recs, 1).clone();

    // A new request for the same film, then a new grab, download, import.
    let mut b = seerr_req(2, TMDB);
    b.created_at = t(150);
    b.updated_at = t(150);
    let base_b = || {
        snap()
            .req(old_req.clone())
            .req(b.clone())
            .movie(movie(MOVIE, TMDB))
    };
    let cycles = [
        base_b(),
        base_b()
            .rh(grabbed(10, &dl(2), MOVIE, t(201)))
            .rq(queue(&dl(2), MOVIE, "downloading"))
            .torrent(downloading(&qh(2), 0.2)),
        base_b()
            .rq(blocked(
                queue(&dl(2), MOVIE, "importBlocked"),
                "Movie title mismatch, automatic import is not possible. Manual Import required.",
            ))
            .torrent(seeding(&qh(2))),
    ];
    for (i, s) in cycles.iter().enumerate() {
        let out = step(&mut recs, s, t(200 + i as i64));
        assert!(
            out.changed.iter().all(|r| r.id != a_id),
            "old requests stay old: cycle {i} changed the finished record"
        );
        assert!(
            out.changes.iter().all(|c| c.request_id() != a_id),
            "no event of the new download lands on the old record (cycle {i})"
        );
    }
    assert_eq!(rec(&recs, 1), &a_before, "record A unchanged");
    let b_rec = rec(&recs, 2);
    assert_ne!(b_rec.id, a_id, "a re-request is a new record");
    assert_eq!(
        b_rec.phase,
        Phase::DownloadDone,
        "the new download moves the new request"
    );
    assert!(b_rec
        .download_ids
        .iter()
        .any(|d| d.eq_ignore_ascii_case(&dl(2))));
    assert!(
        !rec(&recs, 1)
            .download_ids
            .iter()
            .any(|d| d.eq_ignore_ascii_case(&dl(2))),
        "the new download id never lands on the old record"
    );
}

#[test]
fn deleted_in_jellyseerr_keeps_record() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    // A complete Jellyseerr sweep without the request.
    let s = snap()
        .movie(movie(MOVIE, TMDB))
        .rq(queue(&dl(1), MOVIE, "downloading"))
        .torrent(downloading(&qh(1), 0.4));
    let out = step(&mut recs, &s, t(1));
    let r = rec(&recs, 1);
    assert!(
        r.deleted,
        "a complete listing without the request is a deletion"
    );
    assert_eq!(
        r.reason.as_deref(),
        Some(reasons::DELETED),
        "the reason says it was deleted"
    );
    assert_eq!(r.phase, Phase::Downloading, "the phase is kept as history");
    assert!(!is_open(r), "a deleted record leaves the active views");
    assert!(!out.changes.is_empty(), "the deletion is on the timeline");
    assert!(
        !wants(&recs).movie_tmdb_ids.contains(&TMDB),
        "deleted records want nothing"
    );

    // Still deleted, nothing new to say, in the next sweep.
    let out = step(&mut recs, &s, t(2));
    assert!(rec(&recs, 1).deleted);
    assert_no_phase_or_reason_events(&out, "a deletion is reported once");
}

#[test]
fn a_finished_request_deleted_in_jellyseerr_is_marked_deleted_too() {
    let mut recs = Records::new();
    step(&mut recs, &film_available(), t(0));
    assert_eq!(rec(&recs, 1).phase, Phase::Available);
    // A complete sweep without the request; Jellyfin still has the film.
    let mut s = film_available();
    ok_mut(&mut s.jellyseerr).requests.clear();
    let out = step(&mut recs, &s, t(1));
    let r = rec(&recs, 1);
    assert!(
        r.deleted,
        "a complete listing without the request is a deletion"
    );
    assert_eq!(r.reason.as_deref(), Some(reasons::DELETED));
    assert_eq!(r.phase, Phase::Available, "the phase is kept as history");
    assert!(!r.attention, "a finished record deleted needs no attention");
    assert!(!out.changes.is_empty(), "the deletion is on the timeline");
    let out = step(&mut recs, &s, t(2));
    assert_no_phase_or_reason_events(&out, "a deletion is reported once");
}

#[test]
fn a_finished_films_deleted_file_is_on_its_timeline_once() {
    let mut recs = Records::new();
    step(&mut recs, &film_available(), t(0));
    let r = rec(&recs, 1).clone();
    assert_eq!(r.phase, Phase::Available);
    assert_eq!(r.arr_id, Some(MOVIE));
    // Later, Radarr deletes the file (the user removed it from the library).
    let s = film_available().rh(hist(9, HistoryKind::FileDeleted, &dl(1), MOVIE, t(40)));
    let out = step(&mut recs, &s, t(41));
    let r = rec(&recs, 1);
    assert_eq!(r.phase, Phase::Available, "a finished record is frozen");
    assert_eq!(r.reason.as_deref(), Some(reasons::FILE_DELETED));
    assert!(
        out.changes.iter().any(|c| matches!(c,
            Change::ReasonChanged { reason: Some(x), .. } if x == reasons::FILE_DELETED)),
        "the deletion is on the timeline: {:?}",
        out.changes
    );
    let out = step(&mut recs, &s, t(42));
    assert_no_phase_or_reason_events(&out, "said once");
}

#[test]
fn partial_listing_is_not_deletion() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.4), t(0));
    let before = rec(&recs, 1).clone();
    let s = snap()
        .partial()
        .movie(movie(MOVIE, TMDB))
        .rq(queue(&dl(1), MOVIE, "downloading"))
        .torrent(downloading(&qh(1), 0.4));
    let out = step(&mut recs, &s, t(1));
    assert!(
        !rec(&recs, 1).deleted,
        "absence from a partial listing means nothing"
    );
    assert_kept(&before, rec(&recs, 1), "partial Jellyseerr listing");
    assert!(
        out.changed.is_empty(),
        "nothing changed: {:#?}",
        out.changed
    );
}

#[test]
fn hash_matching_is_case_insensitive() {
    let mut recs = Records::new();
    // Queue id upper-case (as the *arr stores it), history id lower-case, qB lower-case.
    let s = film_approved()
        .rq(queue(&dl(0xABCDEF), MOVIE, "downloading"))
        .rh(grabbed(1, &qh(0xABCDEF), MOVIE, t(0)))
        .torrent(downloading(&qh(0xABCDEF), 0.42));
    step(&mut recs, &s, t(0));
    let r = rec(&recs, 1);
    assert_eq!(r.phase, Phase::Downloading);
    assert_eq!(
        r.progress,
        Some(0.42),
        "download id ↔ torrent hash compare case-insensitively"
    );
    assert_ne!(
        r.reason.as_deref(),
        Some(reasons::REMOVED_QBIT),
        "the torrent was found"
    );
}

fn hybrid(hash: &str, v1: &str, v2: &str, progress: f64) -> Torrent {
    Torrent {
        infohash_v1: Some(v1.into()),
        infohash_v2: Some(v2.into()),
        ..downloading(hash, progress)
    }
}

#[test]
fn hybrid_torrent_matches_v2_prefix() {
    let v1 = "1111111111111111111111111111111111111111";
    let v2 = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
    // The *arr knows the truncated v2 id; qBittorrent's listing keys the torrent by v1.
    let id = v2[..40].to_ascii_uppercase();
    let mut recs = Records::new();
    let s = film_approved()
        .rq(queue(&id, MOVIE, "downloading"))
        .torrent(hybrid(v1, v1, v2, 0.66));
    step(&mut recs, &s, t(0));
    assert_eq!(
        rec(&recs, 1).progress,
        Some(0.66),
        "a download id matches the first 40 chars of infohash_v2"
    );
    assert_ne!(reason(&recs, 1), reasons::REMOVED_QBIT);
}

#[test]
fn hybrid_torrent_matches_v1() {
    let v1 = "2222222222222222222222222222222222222222";
    let v2 = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";
    // qB keys a hybrid torrent by its truncated v2 id; the *arr grabbed it by v1.
    let mut recs = Records::new();
    let s = film_approved()
        .rq(queue(&v1.to_ascii_uppercase(), MOVIE, "downloading"))
        .torrent(hybrid(&v2[..40], v1, v2, 0.25));
    step(&mut recs, &s, t(0));
    assert_eq!(
        rec(&recs, 1).progress,
        Some(0.25),
        "a download id matches infohash_v1"
    );
    assert_ne!(reason(&recs, 1), reasons::REMOVED_QBIT);
}

#[test]
fn torrent_lookup_by_key_by_own_hash_and_by_alias() {
    let lower = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let v1 = "3333333333333333333333333333333333333333";
    let v2 = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbcccccccccccccccccccccccc";
    let upper_key = "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD";
    let mut s = snap().torrent(downloading(lower, 0.1));
    let q = ok_mut(&mut s.qbittorrent);
    Arc::make_mut(&mut q.torrents).insert(v2[..40].to_string(), hybrid(&v2[..40], v1, v2, 0.2));
    // A key that is not the lower-case hash (not what the client writes, but
    // the lookup must not depend on it).
    Arc::make_mut(&mut q.torrents).insert(upper_key.to_string(), downloading(upper_key, 0.3));
    let ctx = Lookups::build(&s, t(0));
    let progress = |id: &str| ctx.torrent(id).map(|t| t.progress);
    assert_eq!(
        progress(&lower.to_ascii_uppercase()),
        Some(0.1),
        "by key, any case"
    );
    assert!(
        ctx.torrent_aliases.get().is_none(),
        "a hit by key builds no alias map"
    );
    assert_eq!(progress(&v1.to_ascii_uppercase()), Some(0.2), "by v1 alias");
    assert_eq!(progress(&v2[..40]), Some(0.2), "by own hash");
    assert_eq!(
        progress(upper_key),
        Some(0.3),
        "by own hash under another key"
    );
    assert_eq!(progress(&upper_key.to_ascii_lowercase()), Some(0.3));
    assert_eq!(progress("4444444444444444444444444444444444444444"), None);
    assert_eq!(progress(&"e".repeat(80)), None, "an over-long id is a miss");
}

#[test]
fn virtual_jellyfin_item_is_not_available() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.5), t(0));
    let s = film_imported().jf(virtual_item(jf_movie(TMDB)));
    step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Importing,
        "a virtual or metadata-only Jellyfin item is not AVAILABLE"
    );
    // Not even as the very first sighting.
    let mut recs = Records::new();
    let s = snap()
        .req(seerr_req(1, TMDB))
        .jf(virtual_item(jf_movie(TMDB)))
        .movie(movie(MOVIE, TMDB));
    step(&mut recs, &s, t(0));
    assert_ne!(
        phase(&recs, 1),
        Phase::Available,
        "virtual item never makes anything AVAILABLE"
    );
}

#[test]
fn other_films_jellyfin_item_is_not_available() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.5), t(0));
    step(&mut recs, &film_imported().jf(jf_movie(TMDB + 1)), t(1));
    assert_eq!(
        phase(&recs, 1),
        Phase::Importing,
        "Jellyfin items match by Tmdb id"
    );
}

#[test]
fn no_usenet_progress_from_queue() {
    // Without qBittorrent configured.
    let mut recs = Records::new();
    let mut q = queue(&dl(1), MOVIE, "downloading");
    q.size = 1000.0;
    q.sizeleft = 250.0;
    let mut s = film_approved().rq(q);
    s.qbittorrent = Source::NotConfigured;
    step(&mut recs, &s, t(0));
    let r = rec(&recs, 1);
    assert_eq!(r.phase, Phase::Downloading);
    assert_eq!(
        r.progress,
        Some(0.75),
        "without qBittorrent, progress is 1 - sizeleft/size"
    );
    assert_ne!(
        r.reason.as_deref(),
        Some(reasons::REMOVED_QBIT),
        "no qBittorrent, no removal"
    );

    // A Usenet download with qBittorrent configured.
    let mut recs = Records::new();
    let mut q = queue("SABnzbd_nzo_abc123", MOVIE, "downloading");
    q.protocol = Some("usenet".into());
    q.size = 2000.0;
    q.sizeleft = 1500.0;
    let s = film_approved().rq(q);
    step(&mut recs, &s, t(0));
    step(&mut recs, &s, t(1));
    let r = rec(&recs, 1);
    assert_eq!(r.phase, Phase::Downloading, "a Usenet grab is DOWNLOADING");
    assert_eq!(
        r.progress,
        Some(0.25),
        "Usenet progress comes from the queue"
    );
    assert_ne!(
        r.reason.as_deref(),
        Some(reasons::REMOVED_QBIT),
        "a Usenet download is never 'removed from qBittorrent'"
    );
    assert!(!r.attention);
}

#[test]
fn nothing_changed_returns_nothing() {
    for s in [
        film_approved(),
        film_downloading(0.3),
        film_done(),
        film_imported(),
        film_available(),
    ] {
        let mut recs = Records::new();
        step(&mut recs, &film_downloading(0.3), t(0));
        step(&mut recs, &s, t(1));
        let out = reconcile(&recs, &s, t(1));
        assert!(
            out.changed.is_empty(),
            "same snapshot, same time: no changed records {:#?}",
            out.changed
        );
        assert!(
            out.changes.is_empty(),
            "same snapshot, same time: no events {:#?}",
            out.changes
        );
    }
}

#[test]
fn new_ids_are_stable_and_increasing() {
    let mut recs = Records::new();
    step(&mut recs, &snap().req(seerr_req(10, 1000)), t(0));
    let first = rec(&recs, 10).id;
    assert!(first > 0, "local ids are positive");

    step(
        &mut recs,
        &snap().req(seerr_req(10, 1000)).req(seerr_req(20, 2000)),
        t(1),
    );
    assert_eq!(rec(&recs, 10).id, first, "a record keeps its id");
    assert_eq!(rec(&recs, 20).id, first + 1, "new records get max id + 1");

    // Records loaded with sparse ids: the next new one is max + 1.
    let mut sparse = Records::new();
    let mut r = rec(&recs, 10).clone();
    r.id = 41;
    sparse.insert(41, r);
    let s = snap()
        .req(seerr_req(10, 1000))
        .req(seerr_req(30, 3000))
        .req(seerr_req(31, 3100));
    step(&mut sparse, &s, t(2));
    assert_eq!(
        rec(&sparse, 10).id,
        41,
        "matched by jellyseerr_request_id, not by id"
    );
    let mut new_ids = vec![rec(&sparse, 30).id, rec(&sparse, 31).id];
    new_ids.sort();
    assert_eq!(new_ids, vec![42, 43], "new records get max id + 1, +2");
    assert_eq!(sparse.len(), 3, "no duplicate records");
}

// ---------------------------------------------------------------------------
// Anime films and Shoko
// ---------------------------------------------------------------------------

const ANIME_PATH: &str = "/anime-movies/Film 100 (2024)/Film.100.2024.1080p.mkv";
const ANIDB: i64 = 4242;

fn anime_film_approved() -> Snapshot {
    snap()
        .req(anime(seerr_req(1, TMDB)))
        .movie(movie(MOVIE, TMDB))
}

fn anime_film_imported() -> Snapshot {
    snap()
        .req(anime(seerr_req(1, TMDB)))
        .movie(with_file(movie(MOVIE, TMDB), ANIME_PATH))
        .rh(imported(2, &dl(1), MOVIE, ANIME_PATH, t(20)))
        .torrent(seeding(&qh(1)))
}

fn jf_anidb_movie(anidb: i64) -> JellyfinItem {
    JellyfinItem {
        anidb_id: Some(anidb),
        ..jf_item("aa00000000000000000000000000aa00", JellyfinKind::Movie)
    }
}

#[test]
fn anime_film_through_shoko_states() {
    let mut recs = Records::new();
    step(
        &mut recs,
        &anime_film_approved()
            .rq(queue(&dl(1), MOVIE, "downloading"))
            .torrent(downloading(&qh(1), 0.5)),
        t(0),
    );
    assert_eq!(phase(&recs, 1), Phase::Downloading);

    // The import cycle: Shoko not asked about the file yet.
    step(&mut recs, &anime_film_imported(), t(1));
    assert!(
        matches!(phase(&recs, 1), Phase::Importing | Phase::AnimeMatching),
        "anime after import waits for Shoko, got {}",
        phase(&recs, 1)
    );
    assert_eq!(rec(&recs, 1).imported_path.as_deref(), Some(ANIME_PATH));
    assert!(
        wants(&recs).shoko_paths.iter().any(|p| p == ANIME_PATH),
        "the imported path is wanted from Shoko: {:?}",
        wants(&recs)
    );

    let steps = [
        (ShokoMatch::NotSeen, reasons::SHOKO_NOT_SEEN, false),
        (ShokoMatch::Unrecognized, reasons::SHOKO_UNRECOGNIZED, true),
        (ShokoMatch::ImportLimbo, reasons::SHOKO_LIMBO, false),
        (
            ShokoMatch::Matched {
                anidb_ids: vec![ANIDB],
            },
            reasons::SHOKO_MATCHED,
            false,
        ),
    ];
    for (i, (m, why, attention)) in steps.into_iter().enumerate() {
        let s = anime_film_imported().shoko(ANIME_PATH, m.clone());
        step(&mut recs, &s, t(2 + i as i64));
        assert_eq!(
            phase(&recs, 1),
            Phase::AnimeMatching,
            "anime with Shoko → ANIME_MATCHING ({m:?})"
        );
        assert_eq!(
            reason(&recs, 1),
            why,
            "the reason says where it waits ({m:?})"
        );
        assert_eq!(rec(&recs, 1).attention, attention, "attention for {m:?}");
    }

    // A Jellyfin item of another anime is not this one.
    let matched = || {
        anime_film_imported().shoko(
            ANIME_PATH,
            ShokoMatch::Matched {
                anidb_ids: vec![ANIDB],
            },
        )
    };
    step(&mut recs, &matched().jf(jf_anidb_movie(ANIDB + 1)), t(10));
    assert_eq!(
        phase(&recs, 1),
        Phase::AnimeMatching,
        "only the matched AniDB id counts"
    );
    step(
        &mut recs,
        &matched().jf(virtual_item(jf_anidb_movie(ANIDB))),
        t(11),
    );
    assert_eq!(
        phase(&recs, 1),
        Phase::AnimeMatching,
        "a virtual item is not playable"
    );

    let out = step(&mut recs, &matched().jf(jf_anidb_movie(ANIDB)), t(12));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "a playable Jellyfin item with the matched AniDB id (no Tmdb) → AVAILABLE"
    );
    assert_eq!(
        phase_changes(&out),
        vec![(Some(Phase::AnimeMatching), Phase::Available)]
    );
}

#[test]
fn radarr_anime_tag_makes_film_anime() {
    // The request has no anime flag; Radarr's tag does. The path comes from the movie file.
    let mut recs = Records::new();
    let mut m = with_file(movie(MOVIE, TMDB), ANIME_PATH);
    m.is_anime = true;
    let s = || snap().req(seerr_req(1, TMDB)).movie(m.clone());
    step(
        &mut recs,
        &s().rq(queue(&dl(1), MOVIE, "downloading"))
            .torrent(downloading(&qh(1), 0.5)),
        t(0),
    );
    step(&mut recs, &s().torrent(seeding(&qh(1))), t(1));
    step(
        &mut recs,
        &s().torrent(seeding(&qh(1)))
            .shoko(ANIME_PATH, ShokoMatch::ImportLimbo),
        t(2),
    );
    assert_eq!(
        phase(&recs, 1),
        Phase::AnimeMatching,
        "Radarr's anime tag selects the Shoko path"
    );
    assert_eq!(
        reason(&recs, 1),
        reasons::SHOKO_LIMBO,
        "Shoko is keyed by the movie's file path"
    );
    // The Shokofin item carries only the AniDB id Shoko matched.
    step(
        &mut recs,
        &s().torrent(seeding(&qh(1)))
            .shoko(
                ANIME_PATH,
                ShokoMatch::Matched {
                    anidb_ids: vec![ANIDB],
                },
            )
            .jf(jf_anidb_movie(ANIDB)),
        t(3),
    );
    assert_eq!(phase(&recs, 1), Phase::Available);
}

#[test]
fn anime_without_shoko_skips_matching() {
    let mut recs = Records::new();
    let no_shoko = |mut s: Snapshot| {
        s.shoko = Source::NotConfigured;
        s
    };
    let mut seen = vec![];
    let out = step(
        &mut recs,
        &no_shoko(
            anime_film_approved()
                .rq(queue(&dl(1), MOVIE, "downloading"))
                .torrent(downloading(&qh(1), 0.5)),
        ),
        t(0),
    );
    seen.extend(phase_changes(&out));
    let out = step(&mut recs, &no_shoko(anime_film_imported()), t(1));
    seen.extend(phase_changes(&out));
    assert_eq!(
        phase(&recs, 1),
        Phase::Importing,
        "without Shoko, anime goes to IMPORTING"
    );
    let out = step(&mut recs, &no_shoko(anime_film_imported()), t(2));
    seen.extend(phase_changes(&out));
    assert_eq!(phase(&recs, 1), Phase::Importing, "and waits for Jellyfin");
    let out = step(
        &mut recs,
        &no_shoko(anime_film_imported().jf(jf_movie(TMDB))),
        t(3),
    );
    seen.extend(phase_changes(&out));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "IMPORTING → AVAILABLE by Jellyfin"
    );
    assert!(
        seen.iter().all(|(_, to)| *to != Phase::AnimeMatching),
        "without Shoko, never ANIME_MATCHING: {seen:?}"
    );
}

// ---------------------------------------------------------------------------
// Series (tvdb 500, Sonarr series 9, Jellyfin series item JFS)
// ---------------------------------------------------------------------------

const TVDB: i64 = 500;
const SERIES: i64 = 9;
const JFS: &str = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e";

/// A series request for `seasons` and its Sonarr series.
fn tv(seasons: &[i32], s: SonarrSeries) -> Snapshot {
    snap().req(seerr_tv(5, TVDB, seasons)).series(s)
}

/// Queue items and grab history for `episode_ids` all in one download.
fn grab_eps(mut s: Snapshot, download_id: &str, episode_ids: &[i64], history_id: i64) -> Snapshot {
    for (k, e) in episode_ids.iter().enumerate() {
        s = s
            .sq(ep_queue(download_id, SERIES, *e, "downloading"))
            .sh(for_ep(
                grabbed(history_id + k as i64, download_id, SERIES, t(1)),
                *e,
            ));
    }
    s
}

/// Import history for `episode_ids` (path `ep_path(id)`).
fn import_eps(
    mut s: Snapshot,
    download_id: &str,
    episode_ids: &[i64],
    history_id: i64,
) -> Snapshot {
    for (k, e) in episode_ids.iter().enumerate() {
        s = s.sh(for_ep(
            imported(
                history_id + k as i64,
                download_id,
                SERIES,
                &ep_path(*e),
                t(30),
            ),
            *e,
        ));
    }
    s
}

/// The Jellyfin series item and playable episodes `(season, number)`.
fn jf_eps(mut s: Snapshot, eps: &[(i32, i32)]) -> Snapshot {
    s = s.jf(jf_series(JFS, TVDB));
    for (season, n) in eps {
        s = s.jf(jf_ep(JFS, *season, *n));
    }
    s
}

fn ids(range: std::ops::RangeInclusive<i64>) -> Vec<i64> {
    range.collect()
}

fn episode_events(out: &Reconciled) -> Vec<(i32, i32)> {
    let mut v: Vec<_> = out
        .changes
        .iter()
        .filter_map(|c| match c {
            Change::EpisodeAvailable { season, number, .. } => Some((*season, *number)),
            _ => None,
        })
        .collect();
    v.sort();
    v
}

fn counts(recs: &Records, seerr_id: i64, now: DateTime<Utc>) -> EpisodeCounts {
    episode_counts(rec(recs, seerr_id), now).expect("a series has episode counts")
}

#[test]
fn series_season_pack() {
    let eps = ids(101..=110);
    let s0 = || series(SERIES, TVDB, aired_eps(101, 1, 10));
    let mut recs = Records::new();

    step(&mut recs, &tv(&[1], s0()), t(0));
    assert_eq!(
        phase(&recs, 5),
        Phase::Approved,
        "no wanted episode grabbed → APPROVED"
    );
    assert_eq!(
        rec(&recs, 5).episodes.len(),
        10,
        "one EpisodeRecord per episode of the requested seasons"
    );

    let pack =
        |p: f64| grab_eps(tv(&[1], s0()), &dl(50), &eps, 1000).torrent(downloading(&qh(50), p));
    step(&mut recs, &pack(0.5), t(1));
    assert_eq!(
        phase(&recs, 5),
        Phase::Downloading,
        "a season pack grabs every episode at once"
    );
    assert_eq!(rec(&recs, 5).progress, Some(0.5), "the pack's progress");
    assert!(
        rec(&recs, 5).episodes.iter().all(|e| e
            .download_id
            .as_deref()
            .is_some_and(|d| d.eq_ignore_ascii_case(&dl(50)))),
        "every episode carries the pack's download id"
    );
    let c = counts(&recs, 5, t(1));
    assert_eq!((c.total, c.aired, c.grabbed), (10, 10, 10));

    let done = grab_eps(tv(&[1], s0()), &dl(50), &eps, 1000).torrent(seeding(&qh(50)));
    step(&mut recs, &done, t(2));
    assert_eq!(
        phase(&recs, 5),
        Phase::DownloadDone,
        "pack complete → DOWNLOAD_DONE"
    );
    assert!(
        reason(&recs, 5).contains(reasons::WAIT_SONARR_IMPORT),
        "no message: waiting for Sonarr to import: {:?}",
        reason(&recs, 5)
    );

    let imported = || {
        import_eps(tv(&[1], eps_with_files(s0(), &eps)), &dl(50), &eps, 2000)
            .torrent(seeding(&qh(50)))
    };
    step(&mut recs, &imported(), t(3));
    assert_eq!(
        phase(&recs, 5),
        Phase::Importing,
        "all imported, Jellyfin does not show them → IMPORTING"
    );
    assert_eq!(counts(&recs, 5, t(3)).imported, 10);

    let all: Vec<_> = (1..=10).map(|n| (1, n)).collect();
    let out = step(&mut recs, &jf_eps(imported(), &all), t(4));
    assert_eq!(
        phase(&recs, 5),
        Phase::Available,
        "every wanted episode playable → AVAILABLE"
    );
    assert_eq!(
        episode_events(&out),
        all,
        "one EpisodeAvailable per episode that became available"
    );
    assert_eq!(counts(&recs, 5, t(4)).available, 10);
}

#[test]
fn a_re_requested_series_never_inherits_episodes_jellyfin_had_before_the_request() {
    // The user deleted a broken season in Sonarr and requested it again;
    // Jellyfin has not scanned since, so it still lists the old episodes
    // (created before the request, at t(-60)).
    let eps = ids(101..=103);
    let old_items = |mut s: Snapshot| {
        s = s.jf(jf_series(JFS, TVDB));
        for n in 1..=3 {
            s = s.jf(JellyfinItem {
                date_created: Some(days(-10)),
                ..jf_ep(JFS, 1, n)
            });
        }
        s
    };
    let mut recs = Records::new();
    let out = step(
        &mut recs,
        &old_items(tv(&[1], series(SERIES, TVDB, aired_eps(101, 1, 3)))),
        t(0),
    );
    assert_eq!(
        phase(&recs, 5),
        Phase::Approved,
        "Jellyfin's leftover episodes are not this request's"
    );
    assert!(
        episode_events(&out).is_empty(),
        "no episode became available"
    );

    // Sonarr imported this request's files: the items count now (Jellyfin
    // keeps a replaced file's item when the path is the same).
    let imported = import_eps(
        tv(
            &[1],
            eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 3)), &eps),
        ),
        &dl(50),
        &eps,
        2000,
    );
    let out = step(&mut recs, &old_items(imported), t(5));
    assert_eq!(phase(&recs, 5), Phase::Available);
    assert_eq!(episode_events(&out), vec![(1, 1), (1, 2), (1, 3)]);
}

#[test]
fn series_per_episode_grabs_grabbing_counts() {
    let s0 = || series(SERIES, TVDB, aired_eps(101, 1, 12));
    let mut recs = Records::new();
    let mut s = tv(&[1], s0());
    for e in 101..=103 {
        s = grab_eps(s, &dl(e as u32), &[e], e * 10).torrent(downloading(&qh(e as u32), 0.2));
    }
    let out = step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 5),
        Phase::Grabbing,
        "some but not all wanted episodes grabbed → GRABBING"
    );
    assert!(
        reason(&recs, 5).contains("3/12"),
        "the reason counts the grabs: {:?}",
        reason(&recs, 5)
    );
    assert_eq!(phase_changes(&out), vec![(None, Phase::Grabbing)]);
    let c = counts(&recs, 5, t(0));
    assert_eq!((c.aired, c.grabbed), (12, 3));

    let mut s = tv(&[1], s0());
    for e in 101..=112 {
        let p = if e <= 106 { 1.0 } else { 0.3 };
        s = grab_eps(s, &dl(e as u32), &[e], e * 10).torrent(if p >= 1.0 {
            seeding(&qh(e as u32))
        } else {
            downloading(&qh(e as u32), p)
        });
    }
    step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 5),
        Phase::Downloading,
        "all grabbed → the phase of the least advanced wanted episode"
    );
    let c = counts(&recs, 5, t(1));
    assert_eq!(
        (c.grabbed, c.downloaded),
        (12, 6),
        "grabbed 12/12, downloaded 6/12"
    );
}

#[test]
fn season_pack_progress_counts_once() {
    // Both packs downloading: pack A (2 episodes) at 20 %, pack B (6 episodes) at 60 %.
    // Per torrent: (0.2 + 0.6) / 2 = 0.4; per episode it would be 0.5.
    let mut eps = aired_eps(101, 1, 2);
    eps.extend(aired_eps(201, 2, 6));
    let s = grab_eps(
        tv(&[1, 2], series(SERIES, TVDB, eps.clone())),
        &dl(71),
        &[101, 102],
        1000,
    );
    let s = grab_eps(s, &dl(72), &ids(201..=206), 2000)
        .torrent(downloading(&qh(71), 0.2))
        .torrent(downloading(&qh(72), 0.6));
    let mut recs = Records::new();
    step(&mut recs, &s, t(0));
    let p = rec(&recs, 5)
        .progress
        .expect("a downloading series has progress");
    assert!(
        (p - 0.4).abs() < 1e-9,
        "a season pack's bytes count once, not once per episode (got {p})"
    );

    // Season 1: 2 episodes in pack A (50 %); season 2: 6 episodes in pack B (100 %).
    let mut eps = aired_eps(101, 1, 2);
    eps.extend(aired_eps(201, 2, 6));
    let s = grab_eps(
        tv(&[1, 2], series(SERIES, TVDB, eps)),
        &dl(71),
        &[101, 102],
        1000,
    );
    let s = grab_eps(s, &dl(72), &ids(201..=206), 2000)
        .torrent(downloading(&qh(71), 0.5))
        .torrent(seeding(&qh(72)));
    let mut recs = Records::new();
    step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 5),
        Phase::Downloading,
        "least advanced episode is downloading"
    );
    let p = rec(&recs, 5)
        .progress
        .expect("a downloading series has progress");
    assert!(
        (p - 0.75).abs() < 1e-9,
        "two packs of equal size at 50 % and 100 % → 0.75: a pack counts once, not per episode (got {p})"
    );
}

#[test]
fn airing_series_unaired_not_missing() {
    let mut eps = aired_eps(101, 1, 6);
    eps.push(ep(107, 1, 7, Some(days(7))));
    eps.push(ep(108, 1, 8, Some(days(14))));
    eps.push(ep(109, 1, 9, Some(days(21))));
    eps.push(ep(110, 1, 10, None));
    let aired = ids(101..=106);
    let s = import_eps(
        tv(&[1], eps_with_files(series(SERIES, TVDB, eps), &aired)),
        &dl(50),
        &aired,
        100,
    );
    let s = jf_eps(s, &(1..=6).map(|n| (1, n)).collect::<Vec<_>>());
    let mut recs = Records::new();
    step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 5),
        Phase::Available,
        "unaired episodes (future or no air date) do not block AVAILABLE"
    );
    let c = counts(&recs, 5, t(0));
    assert_eq!(
        (c.total, c.aired, c.available),
        (10, 6, 6),
        "unaired episodes count in total, not in aired"
    );
    assert!(!rec(&recs, 5).attention, "unaired episodes are not missing");
    assert_eq!(
        rec(&recs, 5).episodes.len(),
        10,
        "unaired episodes are followed"
    );
}

#[test]
fn available_series_stays_available_and_reports_new_episodes() {
    let mut eps = aired_eps(101, 1, 2);
    eps.push(ep(103, 1, 3, Some(days(7))));
    let s0 = || series(SERIES, TVDB, eps.clone());
    let aired = [101, 102];
    let avail = |s: Snapshot, n: i32| jf_eps(s, &(1..=n).map(|k| (1, k)).collect::<Vec<_>>());
    let mut recs = Records::new();
    let s = avail(
        import_eps(tv(&[1], eps_with_files(s0(), &aired)), &dl(50), &aired, 100),
        2,
    );
    step(&mut recs, &s, t(0));
    assert_eq!(phase(&recs, 5), Phase::Available);

    // A week later episode 3 airs; not grabbed yet.
    let now = days(8);
    let s = avail(tv(&[1], eps_with_files(s0(), &aired)), 2);
    let out = step(&mut recs, &s, now);
    assert_eq!(
        phase(&recs, 5),
        Phase::Available,
        "once AVAILABLE, a request stays AVAILABLE"
    );
    assert!(
        phase_changes(&out).is_empty(),
        "no step back: {:#?}",
        out.changes
    );
    assert_eq!(
        counts(&recs, 5, now).aired,
        3,
        "the newly aired episode is followed in the counts"
    );

    // Grabbed and downloading.
    let s = grab_eps(
        avail(tv(&[1], eps_with_files(s0(), &aired)), 2),
        &dl(53),
        &[103],
        300,
    )
    .torrent(downloading(&qh(53), 0.5));
    let out = step(&mut recs, &s, now + TimeDelta::hours(1));
    assert_eq!(phase(&recs, 5), Phase::Available);
    assert!(phase_changes(&out).is_empty());

    // Imported and in Jellyfin.
    let all = [101, 102, 103];
    let s = avail(
        import_eps(tv(&[1], eps_with_files(s0(), &all)), &dl(53), &[103], 400),
        3,
    )
    .torrent(seeding(&qh(53)));
    let later = now + TimeDelta::hours(2);
    let out = step(&mut recs, &s, later);
    assert_eq!(phase(&recs, 5), Phase::Available);
    assert_eq!(
        episode_events(&out),
        vec![(1, 3)],
        "the new episode becoming watchable is an episode-level event"
    );
    assert!(phase_changes(&out).is_empty(), "not a phase change");
    assert_eq!(counts(&recs, 5, later).available, 3);
}

#[test]
fn episode_failure_fails_series_until_regrab() {
    let s0 = || series(SERIES, TVDB, aired_eps(101, 1, 3));
    let base = |failed: bool| {
        let mut s = tv(&[1], s0());
        s = grab_eps(s, &dl(81), &[101], 10).torrent(downloading(&qh(81), 0.5));
        s = grab_eps(s, &dl(83), &[103], 30).torrent(downloading(&qh(83), 0.5));
        if failed {
            s.sq(failed_q(
                ep_queue(&dl(82), SERIES, 102, "failed"),
                "Download failed: not enough disk space",
            ))
        } else {
            grab_eps(s, &dl(82), &[102], 20).torrent(downloading(&qh(82), 0.5))
        }
    };
    let mut recs = Records::new();
    step(&mut recs, &base(false), t(0));
    assert_eq!(phase(&recs, 5), Phase::Downloading);

    step(&mut recs, &base(true), t(1));
    assert_eq!(
        phase(&recs, 5),
        Phase::Failed,
        "a FAILED episode makes the series FAILED"
    );
    assert!(
        reason(&recs, 5).contains("not enough disk space"),
        "with the *arr's message: {:?}",
        reason(&recs, 5)
    );
    assert!(rec(&recs, 5).attention);

    let regrab = grab_eps(base(true), &dl(84), &[102], 40).torrent(downloading(&qh(84), 0.1));
    // The failed item leaves the queue when the new release is grabbed.
    let mut regrab = regrab;
    ok_mut(&mut regrab.sonarr)
        .queue
        .retain(|q| q.download_id.as_deref() != Some(dl(82).as_str()));
    step(&mut recs, &regrab, t(2));
    assert_eq!(
        phase(&recs, 5),
        Phase::Downloading,
        "…until that episode is grabbed again"
    );
}

#[test]
fn nothing_aired_is_approved_with_reason() {
    let eps = vec![
        ep(101, 1, 1, Some(days(3))),
        ep(102, 1, 2, Some(days(10))),
        ep(103, 1, 3, None),
    ];
    let mut recs = Records::new();
    step(&mut recs, &tv(&[1], series(SERIES, TVDB, eps)), t(0));
    assert_eq!(
        phase(&recs, 5),
        Phase::Approved,
        "no aired episode at all → APPROVED"
    );
    assert!(
        reason(&recs, 5).contains(reasons::NOTHING_AIRED),
        "the reason says nothing aired yet: {:?}",
        reason(&recs, 5)
    );
    let c = counts(&recs, 5, t(0));
    assert_eq!((c.total, c.aired), (3, 0));
}

#[test]
fn only_requested_seasons_and_monitored_episodes_are_wanted() {
    let mut eps = aired_eps(101, 1, 3);
    eps[2].monitored = false;
    eps.extend(aired_eps(201, 2, 4));
    let s = import_eps(
        tv(&[1], eps_with_files(series(SERIES, TVDB, eps), &[101, 102])),
        &dl(1),
        &[101, 102],
        10,
    );
    let s = jf_eps(s, &[(1, 1), (1, 2)]);
    let mut recs = Records::new();
    step(&mut recs, &s, t(0));
    assert!(
        rec(&recs, 5).episodes.iter().all(|e| e.season == 1),
        "episodes of the requested seasons only"
    );
    assert_eq!(
        phase(&recs, 5),
        Phase::Available,
        "wanted = monitored and aired episodes of the requested seasons"
    );
}

#[test]
fn multi_episode_file_covers_its_range() {
    let eps = ids(101..=102);
    let s = import_eps(
        tv(
            &[1],
            eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 2)), &eps),
        ),
        &dl(1),
        &eps,
        10,
    );
    let mut recs = Records::new();
    step(&mut recs, &s, t(0));
    let mut double = jf_ep(JFS, 1, 1);
    double.episode_end = Some(2);
    let s = s.jf(jf_series(JFS, TVDB)).jf(double);
    let out = step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 5),
        Phase::Available,
        "one Jellyfin file covering 1x01-1x02 makes both available"
    );
    assert_eq!(episode_events(&out), vec![(1, 1), (1, 2)]);
}

#[test]
fn virtual_jellyfin_episodes_are_not_available() {
    let eps = ids(101..=102);
    let s = import_eps(
        tv(
            &[1],
            eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 2)), &eps),
        ),
        &dl(1),
        &eps,
        10,
    );
    let s = s
        .jf(jf_series(JFS, TVDB))
        .jf(virtual_item(jf_ep(JFS, 1, 1)))
        .jf(virtual_item(jf_ep(JFS, 1, 2)));
    let mut recs = Records::new();
    let out = step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 5),
        Phase::Importing,
        "virtual episodes are not playable"
    );
    assert!(
        episode_events(&out).is_empty(),
        "no EpisodeAvailable for a virtual episode"
    );
}

#[test]
fn anime_series_waits_for_shoko_per_episode() {
    let eps = ids(101..=102);
    let mut sr = eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 2)), &eps);
    sr.is_anime = true;
    let base = || import_eps(tv(&[1], sr.clone()), &dl(1), &eps, 10);
    let mut recs = Records::new();
    step(&mut recs, &base(), t(0));
    let w = wants(&recs);
    for e in &eps {
        assert!(
            w.shoko_paths.contains(&ep_path(*e)),
            "each imported anime episode is wanted from Shoko: {w:?}"
        );
    }
    let matched = || ShokoMatch::Matched {
        anidb_ids: vec![ANIDB],
    };
    let s = base()
        .shoko(&ep_path(101), matched())
        .shoko(&ep_path(102), ShokoMatch::NotSeen);
    step(&mut recs, &s, t(1));
    assert_eq!(
        phase(&recs, 5),
        Phase::AnimeMatching,
        "anime series with Shoko → ANIME_MATCHING"
    );

    // Shokofin's series item carries the AniDB id, not the Tvdb id.
    let jf_s = JellyfinItem {
        anidb_id: Some(ANIDB),
        ..jf_item(JFS, JellyfinKind::Series)
    };
    let s = base()
        .shoko(&ep_path(101), matched())
        .shoko(&ep_path(102), matched())
        .jf(jf_s)
        .jf(jf_ep(JFS, 1, 1))
        .jf(jf_ep(JFS, 1, 2));
    step(&mut recs, &s, t(2));
    assert_eq!(
        phase(&recs, 5),
        Phase::Available,
        "Shoko matched, Jellyfin playable → AVAILABLE"
    );
}

#[test]
fn a_finished_series_follows_its_jellyfin_item_added_again() {
    let eps = ids(101..=102);
    let sr = eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 2)), &eps);
    let in_jellyfin = |s: Snapshot, id: &str| {
        s.jf(jf_series(id, TVDB))
            .jf(jf_ep(id, 1, 1))
            .jf(jf_ep(id, 1, 2))
    };
    let mut recs = Records::new();
    let first = in_jellyfin(import_eps(tv(&[1], sr.clone()), &dl(1), &eps, 10), JFS);
    for k in 0..3 {
        step(&mut recs, &first, t(k));
    }
    assert_eq!(phase(&recs, 5), Phase::Available);
    assert_eq!(rec(&recs, 5).jellyfin_id.as_deref(), Some(JFS));
    let out = step(&mut recs, &in_jellyfin(tv(&[1], sr.clone()), JFS), t(5));
    assert!(
        out.changed.is_empty() && out.changes.is_empty(),
        "nothing new: {out:?}"
    );
    // The series was removed from the library and scanned in again: same
    // Tvdb id, a new item id.
    let again = "5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5f";
    step(&mut recs, &in_jellyfin(tv(&[1], sr.clone()), again), t(10));
    assert_eq!(
        rec(&recs, 5).jellyfin_id.as_deref(),
        Some(again),
        "the record links to the item Jellyfin has now"
    );
    assert_eq!(phase(&recs, 5), Phase::Available);
}

#[test]
fn a_finished_anime_series_keeps_an_anidb_id_shoko_adds_later() {
    let eps = ids(101..=102);
    let mut sr = eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 2)), &eps);
    sr.is_anime = true;
    let with = |s: Snapshot, anidb_ids: Vec<i64>| {
        let jf_s = JellyfinItem {
            anidb_id: Some(ANIDB),
            ..jf_item(JFS, JellyfinKind::Series)
        };
        let mut s = s.jf(jf_s).jf(jf_ep(JFS, 1, 1)).jf(jf_ep(JFS, 1, 2));
        for e in &eps {
            let m = ShokoMatch::Matched {
                anidb_ids: anidb_ids.clone(),
            };
            s = s.shoko(&ep_path(*e), m);
        }
        s
    };
    let mut recs = Records::new();
    let first = with(
        import_eps(tv(&[1], sr.clone()), &dl(1), &eps, 10),
        vec![ANIDB],
    );
    for k in 0..3 {
        step(&mut recs, &first, t(k));
    }
    assert_eq!(phase(&recs, 5), Phase::Available);
    assert_eq!(rec(&recs, 5).anidb_ids, vec![ANIDB]);
    // Later sweeps: the import history has been read; Shoko says the same.
    let out = step(&mut recs, &with(tv(&[1], sr.clone()), vec![ANIDB]), t(5));
    assert!(
        out.changed.is_empty() && out.changes.is_empty(),
        "nothing new: {out:?}"
    );
    // Shoko now matches the files to a second AniDB entry as well.
    step(
        &mut recs,
        &with(tv(&[1], sr.clone()), vec![ANIDB, ANIDB + 1]),
        t(10),
    );
    assert_eq!(
        rec(&recs, 5).anidb_ids,
        vec![ANIDB, ANIDB + 1],
        "the finished series keeps the id Shoko added"
    );
    assert_eq!(phase(&recs, 5), Phase::Available);
}

// ---------------------------------------------------------------------------
// wants
// ---------------------------------------------------------------------------

/// A copy of `r` as another record.
fn variant(r: &RequestRecord, id: i64, seerr_id: i64, tmdb: i64) -> RequestRecord {
    let mut v = r.clone();
    v.id = id;
    v.jellyseerr_request_id = seerr_id;
    v.tmdb_id = Some(tmdb);
    v
}

#[test]
fn wants_lists_open_media() {
    let mut recs = Records::new();
    let s = film_downloading(0.3)
        .req(seerr_req(2, 200))
        .movie(with_file(movie(8, 200), "/movies/200.mkv"))
        .jf(jf_movie(200))
        .req(seerr_tv(5, TVDB, &[1]))
        .series(series(SERIES, TVDB, aired_eps(101, 1, 2)));
    step(&mut recs, &s, t(0));
    assert_eq!(phase(&recs, 1), Phase::Downloading);
    assert_eq!(phase(&recs, 2), Phase::Available);

    let base = rec(&recs, 1).clone();
    let mut deleted = variant(&base, 90, 3, 300);
    deleted.deleted = true;
    let mut anime_matching = variant(&base, 91, 4, 400);
    anime_matching.is_anime = true;
    anime_matching.phase = Phase::AnimeMatching;
    anime_matching.imported_path = Some(ANIME_PATH.into());
    let mut plain_importing = variant(&base, 92, 6, 600);
    plain_importing.phase = Phase::Importing;
    plain_importing.imported_path = Some(FILM_PATH.into());
    for r in [deleted, anime_matching, plain_importing] {
        recs.insert(r.id, r);
    }

    let w = wants(&recs);
    let mut tmdb = w.movie_tmdb_ids.clone();
    tmdb.sort();
    tmdb.dedup();
    assert_eq!(
        tmdb,
        vec![TMDB, 400, 600],
        "tmdb ids of open film records only (not AVAILABLE, not deleted)"
    );
    assert_eq!(
        w.series_tvdb_ids,
        vec![TVDB],
        "tvdb ids of open series records"
    );
    assert_eq!(
        w.shoko_paths,
        vec![ANIME_PATH.to_string()],
        "Shoko paths of anime records in IMPORTING/ANIME_MATCHING only"
    );
    assert!(w.downloading, "a DOWNLOADING record wants qBittorrent");

    let idle: Records = recs
        .into_iter()
        .filter(|(_, r)| r.phase != Phase::Downloading)
        .collect();
    assert!(
        !wants(&idle).downloading,
        "nothing DOWNLOADING: qBittorrent not needed"
    );
}

#[test]
fn wants_of_nothing_is_nothing() {
    assert_eq!(
        wants(&Records::new()),
        Wants::default(),
        "no records, no wants"
    );
}

#[test]
fn is_open_follows_phase_and_deletion() {
    let mut recs = Records::new();
    step(&mut recs, &film_downloading(0.3), t(0));
    let mut r = rec(&recs, 1).clone();
    assert!(is_open(&r), "a DOWNLOADING record is open");
    r.phase = Phase::Failed;
    assert!(is_open(&r), "FAILED is not a dead end: still followed");
    r.phase = Phase::Available;
    assert!(!is_open(&r), "AVAILABLE is finished");
    r.phase = Phase::Downloading;
    r.deleted = true;
    assert!(!is_open(&r), "deleted records are not followed");
}

#[test]
fn failed_service_is_no_evidence_for_series() {
    let s0 = || series(SERIES, TVDB, aired_eps(101, 1, 4));
    let mut s = tv(&[1], s0());
    for e in 101..=102 {
        s = grab_eps(s, &dl(e as u32), &[e], e * 10).torrent(downloading(&qh(e as u32), 0.4));
    }
    let mut recs = Records::new();
    step(&mut recs, &s, t(0));
    assert_eq!(phase(&recs, 5), Phase::Grabbing);
    let before = rec(&recs, 5).clone();
    for which in ["sonarr", "qbittorrent", "jellyfin", "jellyseerr"] {
        let mut f = s.clone();
        match which {
            "sonarr" => f.sonarr = Source::Failed,
            "qbittorrent" => f.qbittorrent = Source::Failed,
            "jellyfin" => f.jellyfin = Source::Failed,
            _ => f.jellyseerr = Source::Failed,
        }
        for cycle in 0..3 {
            let out = step(&mut recs, &f, t(1 + cycle));
            let why = format!("{which} failed while GRABBING (cycle {cycle})");
            assert_kept(&before, rec(&recs, 5), &why);
            assert_no_phase_or_reason_events(&out, &why);
            assert_eq!(rec(&recs, 5).episodes.len(), 4, "{why}: episodes kept");
        }
    }
    // Sonarr answers but its queue is empty: no evidence either.
    let mut empty = s.clone();
    ok_mut(&mut empty.sonarr).queue.clear();
    ok_mut(&mut empty.sonarr).history.clear();
    step(&mut recs, &empty, t(10));
    assert_eq!(
        phase(&recs, 5),
        Phase::Grabbing,
        "queue items vanishing is no evidence"
    );
}

#[test]
fn a_series_seen_for_the_first_time_brings_no_episode_news() {
    let aired = [101, 102];
    let s = jf_eps(
        import_eps(
            tv(
                &[1],
                eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 2)), &aired),
            ),
            &dl(50),
            &aired,
            100,
        ),
        &[(1, 1), (1, 2)],
    );
    let mut recs = Records::new();
    let out = step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 5),
        Phase::Available,
        "already there: AVAILABLE at once"
    );
    assert!(
        episode_events(&out).is_empty(),
        "episodes watchable before the request was known are no news: {:#?}",
        out.changes
    );
}

// ---------------------------------------------------------------------------
// Indexes and reused buffers (the per-cycle indexes normalise ids; one
// scratch record is refilled for every record evaluated)
// ---------------------------------------------------------------------------

/// A download id with hex letters in it (digits have no case).
const HEXY: u32 = 0xABCD_EF12;

/// `s` with every other ASCII letter upper-cased.
fn mixed_case(s: &str) -> String {
    s.chars()
        .enumerate()
        .map(|(i, c)| {
            if i % 2 == 0 {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect()
}

fn film_grabbed(download: &str) -> Snapshot {
    film_approved()
        .rq(queue(download, MOVIE, "downloading"))
        .rh(grabbed(1, download, MOVIE, t(1)))
}

#[test]
fn a_torrent_is_found_whatever_the_case_of_its_hash() {
    let mixed = mixed_case(&qh(HEXY));
    assert!(
        mixed != qh(HEXY) && mixed != dl(HEXY),
        "test bug: the hash must be mixed-case"
    );
    let mut recs = Records::new();
    step(
        &mut recs,
        &film_grabbed(&dl(HEXY)).torrent(downloading(&mixed, 0.42)),
        t(2),
    );
    let r = rec(&recs, 1);
    assert_eq!(
        (r.phase, r.progress),
        (Phase::Downloading, Some(0.42)),
        "an upper-case *arr download id finds the mixed-case qBittorrent hash"
    );
}

#[test]
fn a_torrent_is_found_by_its_v1_info_hash_in_any_case() {
    // qBittorrent keys a hybrid torrent by its (truncated) v2 hash; the *arr
    // knows the v1 hash.
    let mut t1 = downloading(&"7".repeat(40), 0.3);
    t1.infohash_v1 = Some(mixed_case(&qh(HEXY)));
    t1.infohash_v2 = Some("7".repeat(64));
    let mut recs = Records::new();
    step(&mut recs, &film_grabbed(&dl(HEXY)).torrent(t1), t(2));
    assert_eq!(
        rec(&recs, 1).progress,
        Some(0.3),
        "the v1 info hash finds the torrent, whatever its case"
    );
}

#[test]
fn a_torrents_own_hash_wins_over_another_torrents_alias() {
    // Torrent B names A's hash (in upper case) as its v1 hash: A's own key
    // must not be taken over by B's alias, whichever comes first.
    let a = downloading(&qh(HEXY), 0.25);
    let mut b = seeding(&qh(HEXY + 1));
    b.infohash_v1 = Some(dl(HEXY));
    for _ in 0..8 {
        let mut recs = Records::new();
        step(
            &mut recs,
            &film_grabbed(&dl(HEXY))
                .torrent(a.clone())
                .torrent(b.clone()),
            t(2),
        );
        let r = rec(&recs, 1);
        assert_eq!(
            (r.phase, r.progress),
            (Phase::Downloading, Some(0.25)),
            "the torrent whose own hash is the download id is the download"
        );
    }
}

#[test]
fn a_steady_cycle_over_mixed_records_changes_nothing() {
    // Films and series of different lengths, in an order where the reused
    // scratch record shrinks and grows between records.
    let jf_s = |n: i64| format!("{n:032x}");
    let mut s = film_available();
    let lengths = [(2_i64, 3_i32), (3, 1), (4, 5), (5, 2)];
    for (i, (req, n)) in lengths.iter().enumerate() {
        let tvdb = 700 + *req;
        let first = 1_000 * *req;
        let ids: Vec<i64> = (0..i64::from(*n)).map(|k| first + k).collect();
        s = s
            .req(seerr_tv(*req, tvdb, &[1]))
            .series(eps_with_files(
                series(50 + *req, tvdb, aired_eps(first, 1, *n)),
                &ids,
            ))
            .jf(jf_series(&jf_s(tvdb), tvdb));
        // Leave the last episode of every other series missing in Jellyfin.
        let shown = if i % 2 == 0 { *n } else { *n - 1 };
        for k in 1..=shown {
            s = s.jf(jf_ep(&jf_s(tvdb), 1, k));
        }
    }
    let mut recs = Records::new();
    for k in 0..4 {
        step(&mut recs, &s, t(10 + k));
    }
    let before = recs.clone();
    let out = reconcile(&recs, &s, t(30));
    assert!(
        out.changed.is_empty() && out.changes.is_empty(),
        "a cycle over the same snapshot changes nothing: {:#?}",
        out.changed
    );
    for (req, n) in lengths {
        let eps = &rec(&before, req).episodes;
        assert_eq!(
            eps.len(),
            n as usize,
            "request {req} keeps one episode record per Sonarr episode"
        );
        assert!(
            eps.iter().all(|e| e.arr_episode_id / 1_000 == req),
            "request {req} holds only its own episodes: {eps:#?}"
        );
    }
    assert_eq!(phase(&recs, 2), Phase::Available, "all shown: AVAILABLE");
    assert_ne!(phase(&recs, 3), Phase::Available, "one missing: not yet");
}

#[test]
fn sonarr_episode_order_does_not_matter() {
    let ids = [101, 102, 103];
    let sorted = || eps_with_files(series(SERIES, TVDB, aired_eps(101, 1, 3)), &ids);
    let mut reversed = sorted();
    Arc::make_mut(&mut reversed.episodes).reverse();
    let with = |s: SonarrSeries| {
        snap()
            .req(seerr_tv(5, TVDB, &[1]))
            .series(s)
            .jf(jf_series(JFS, TVDB))
            .jf(jf_ep(JFS, 1, 2))
    };
    let mut recs = Records::new();
    step(&mut recs, &with(reversed.clone()), t(0));
    step(&mut recs, &with(reversed.clone()), t(1));
    let numbers: Vec<i32> = rec(&recs, 5).episodes.iter().map(|e| e.number).collect();
    assert_eq!(
        numbers,
        [1, 2, 3],
        "episode records are kept in episode order"
    );
    let out = reconcile(&recs, &with(sorted()), t(2));
    assert!(
        out.changed.is_empty() && out.changes.is_empty(),
        "the same episodes listed in another order change nothing: {:#?}",
        out.changed
    );
    let phases: Vec<Phase> = rec(&recs, 5).episodes.iter().map(|e| e.phase).collect();
    assert_eq!(
        phases,
        [Phase::Importing, Phase::Available, Phase::Importing],
        "each episode keeps its own phase"
    );
}

// ---------------------------------------------------------------------------
// Finished films skip the copy only when nothing changes
// ---------------------------------------------------------------------------

/// Records after a film (request 1) settled AVAILABLE in `film_available()`.
fn finished_film() -> Records {
    let mut recs = Records::new();
    for k in 0..3 {
        step(&mut recs, &film_available(), t(30 + k));
    }
    assert_eq!(phase(&recs, 1), Phase::Available, "the film is finished");
    let out = reconcile(&recs, &film_available(), t(40));
    assert!(
        out.changed.is_empty() && out.changes.is_empty(),
        "a finished film over the same snapshot changes nothing: {:#?}",
        out.changed
    );
    recs
}

/// `film_available()` with request 1 replaced by `edit(request 1)`.
fn film_available_with(edit: impl FnOnce(&mut SeerrRequest)) -> Snapshot {
    let mut s = film_available();
    let seerr = ok_mut(&mut s.jellyseerr);
    let req = seerr
        .requests
        .iter_mut()
        .find(|r| r.id == 1)
        .expect("request 1 is in the snapshot");
    edit(req);
    s
}

/// An edit of a Jellyseerr request.
type EditRequest = fn(&mut SeerrRequest);

#[test]
fn a_finished_film_still_takes_jellyseerrs_word() {
    let recs = finished_film();
    let cases: [(&str, EditRequest); 7] = [
        ("a new title", |r| r.title = Some("Renamed".into())),
        ("a new year", |r| r.year = Some(1999)),
        ("a new poster", |r| {
            r.poster_path = Some("/other.jpg".into())
        }),
        ("a declined request", |r| {
            r.status = SeerrRequestStatus::Declined
        }),
        ("a new media status", |r| {
            r.media_status = SeerrMediaStatus::PartiallyAvailable
        }),
        ("a newer update time", |r| r.updated_at = t(50)),
        ("an anime flag", |r| r.is_anime = true),
    ];
    for (what, edit) in cases {
        let s = film_available_with(edit);
        let want = ok_mut(&mut s.clone().jellyseerr)
            .requests
            .iter()
            .find(|r| r.id == 1)
            .cloned()
            .expect("request 1 is in the snapshot");
        let out = reconcile(&recs, &s, t(41));
        let changed = out
            .changed
            .iter()
            .find(|r| r.jellyseerr_request_id == 1)
            .unwrap_or_else(|| panic!("{what} changes the finished film's record"));
        assert_eq!(
            changed.phase,
            Phase::Available,
            "{what}: the phase stays frozen"
        );
        assert_eq!(
            changed.seerr_status,
            Some(want.status),
            "{what}: the record holds Jellyseerr's status"
        );
        assert_eq!(
            changed.seerr_media_status,
            Some(want.media_status),
            "{what}: the record holds Jellyseerr's media status"
        );
        assert_eq!(
            changed.seerr_updated_at,
            Some(want.updated_at),
            "{what}: the record holds Jellyseerr's update time"
        );
        assert_eq!(
            Some(&changed.title),
            want.title.as_ref(),
            "{what}: the record holds the title"
        );
        assert_eq!(changed.year, want.year, "{what}: the record holds the year");
        assert_eq!(
            changed.poster_path, want.poster_path,
            "{what}: the record holds the poster"
        );
        assert_eq!(
            changed.is_anime, want.is_anime,
            "{what}: the record holds the anime flag"
        );
        assert_no_phase_or_reason_events(&out, what);
    }
}

#[test]
fn a_finished_film_clears_stale_download_figures() {
    let mut recs = finished_film();
    let id = rec(&recs, 1).id;
    let r = recs.get_mut(&id).expect("the film's record");
    r.progress = Some(0.5);
    r.eta_secs = Some(60);
    r.download_speed = Some(1_000);
    let out = reconcile(&recs, &film_available(), t(41));
    let changed = out
        .changed
        .iter()
        .find(|r| r.id == id)
        .expect("stale download figures are a change");
    assert_eq!(
        (changed.progress, changed.eta_secs, changed.download_speed),
        (None, None, None),
        "a film that is not downloading shows no download figures"
    );
}

#[test]
fn a_finished_film_without_a_jellyfin_id_takes_jellyseerrs() {
    let mut recs = finished_film();
    let id = rec(&recs, 1).id;
    recs.get_mut(&id).expect("the film's record").jellyfin_id = None;
    let jf_id = jf_movie(TMDB).id;
    let s = film_available_with(|r| r.jellyfin_media_id = Some(jf_id.clone()));
    let out = reconcile(&recs, &s, t(41));
    let changed = out
        .changed
        .iter()
        .find(|r| r.id == id)
        .expect("a Jellyfin id from Jellyseerr is a change");
    assert_eq!(
        changed.jellyfin_id,
        Some(jf_id),
        "the record takes Jellyseerr's Jellyfin id when it has none"
    );
}

#[test]
fn a_newer_request_for_a_finished_film_is_still_seen() {
    let recs = finished_film();
    let mut newer = seerr_req(2, TMDB);
    newer.created_at = t(45);
    let out = reconcile(&recs, &film_available().req(newer), t(46));
    assert!(
        out.changed.iter().any(|r| r.jellyseerr_request_id == 2),
        "a newer request for the same film becomes a record: {:#?}",
        out.changed
    );
    assert!(
        out.changed.iter().all(|r| r.jellyseerr_request_id != 1),
        "the finished film itself is frozen: {:#?}",
        out.changed
    );
}

#[test]
fn a_series_phase_change_counts_its_episodes_in_the_evidence() {
    let mut recs = Records::new();
    step(&mut recs, &snap().req(seerr_tv(5, TVDB, &[1])), t(0));
    let s = snap().req(seerr_tv(5, TVDB, &[1])).series(eps_with_files(
        series(SERIES, TVDB, aired_eps(101, 1, 2)),
        &[101, 102],
    ));
    let out = step(&mut recs, &s, t(1));
    assert_eq!(
        evidence_of(&out, Phase::Importing),
        "2 of 2 aired episodes at IMPORTING",
        "a series' phase change says how many aired episodes reached the phase"
    );
}

#[test]
fn ids_equal_but_for_case_hash_alike() {
    for b in 0..=u8::MAX {
        let word = u64::from_le_bytes([b, b'Q', b'q', b'@', b'[', b'`', b'{', 0xc1]);
        let mut expected = word.to_le_bytes();
        expected.make_ascii_lowercase();
        assert_eq!(
            ascii_lower_word(word).to_le_bytes(),
            expected,
            "a word is lower-cased as its bytes are one by one (byte {b:#04x})"
        );
    }
    let ids = [
        dl(7),
        qh(7),
        mixed_case(&dl(7)),
        "SABnzbd_nzo_Ab".to_string(),
    ];
    for a in &ids {
        for b in &ids {
            if a.eq_ignore_ascii_case(b) {
                assert_eq!(
                    NoCase::new(a).hash,
                    NoCase::new(b).hash,
                    "ids equal but for case hash alike: {a} {b}"
                );
                assert_eq!(NoCase::new(a), NoCase::new(b), "and compare equal");
                assert!(
                    eq_ignore_ascii_case(a, b),
                    "{a} and {b} are equal but for case"
                );
            } else {
                assert_ne!(NoCase::new(a), NoCase::new(b), "other ids differ: {a} {b}");
                assert!(!eq_ignore_ascii_case(a, b), "{a} and {b} differ");
            }
        }
    }
}

// ---------------------------------------------------------------------------
// The fast path against the full evaluation (the same engine, shortcuts off)
// ---------------------------------------------------------------------------

/// Random snapshots over small pools of ids, so that requests, downloads,
/// episodes, files and library items keep meeting each other.
mod world {
    use super::*;

    pub const FILMS: [i64; 4] = [1, 2, 3, 4];
    pub const SERIES: [i64; 3] = [11, 12, 13];
    pub const DOWNLOADS: [u32; 6] = [1, 2, 3, 4, 5, 6];

    pub fn pick<T: Clone>(from: &[T]) -> T {
        from[fastrand::usize(..from.len())].clone()
    }

    fn chance(percent: u32) -> bool {
        fastrand::u32(..100) < percent
    }

    fn maybe<T>(percent: u32, v: impl FnOnce() -> T) -> Option<T> {
        chance(percent).then(v)
    }

    fn movie_id(tmdb: i64) -> i64 {
        tmdb + 500
    }

    fn series_id(tvdb: i64) -> i64 {
        tvdb + 500
    }

    fn episode_id(tvdb: i64, season: i32, number: i32) -> i64 {
        series_id(tvdb) * 100 + i64::from(season) * 10 + i64::from(number)
    }

    /// A download id as an *arr reports it: mostly upper-case torrent hashes.
    fn download_id() -> String {
        let n = pick(&DOWNLOADS);
        match fastrand::u32(..10) {
            0 => qh(n),
            1 => format!("SABnzbd_nzo_{n}"),
            _ => dl(n),
        }
    }

    fn path() -> String {
        format!("/media/file{}.mkv", fastrand::u32(1..=5))
    }

    fn text(from: &[&str]) -> String {
        pick(from).to_string()
    }

    /// Around `now`: mostly in the past, sometimes in the future.
    fn when(now: DateTime<Utc>) -> DateTime<Utc> {
        now - TimeDelta::minutes(pick(&[-600, -5, 0, 5, 90, 600, 3_000, 20_000]))
    }

    pub fn source<T>(data: impl FnOnce() -> T) -> Source<T> {
        match fastrand::u32(..20) {
            0 | 1 => Source::Failed,
            2 => Source::NotConfigured,
            _ => Source::Ok(data()),
        }
    }

    pub fn request(id: i64, now: DateTime<Utc>) -> SeerrRequest {
        let film = chance(55);
        let tvdb = pick(&SERIES);
        let created = when(now);
        SeerrRequest {
            id,
            status: SeerrRequestStatus::from_code(pick(&[1, 2, 2, 2, 3, 4, 5, 5, 9])),
            media_type: if film {
                MediaType::Movie
            } else {
                MediaType::Tv
            },
            tmdb_id: if film {
                maybe(95, || 0).map(|_| pick(&FILMS))
            } else {
                Some(tvdb + 100)
            },
            tvdb_id: (!film && chance(90)).then_some(tvdb),
            media_status: SeerrMediaStatus::from_code(pick(&[1, 2, 3, 3, 4, 5, 5, 6, 7, 9])),
            jellyfin_media_id: maybe(25, || 0).map(|_| {
                if film {
                    jf_id("film", pick(&FILMS))
                } else {
                    jf_id("series", tvdb)
                }
            }),
            requested_by: text(&["alice", "bob"]),
            created_at: created,
            updated_at: created + TimeDelta::minutes(fastrand::i64(0..100)),
            seasons: if film {
                vec![]
            } else {
                pick(&[vec![], vec![1], vec![1, 2], vec![2]])
            },
            is_4k: chance(10),
            title: maybe(85, || 0).map(|_| text(&["Alpha", "Beta", "Gamma"])),
            year: maybe(80, || 0).map(|_| fastrand::i32(1990..1993)),
            poster_path: maybe(70, || 0).map(|_| text(&["/p1.jpg", "/p2.jpg"])),
            is_anime: chance(25),
        }
    }

    pub fn seerr(now: DateTime<Utc>) -> SeerrData {
        SeerrData {
            requests: (1..=8)
                .filter(|_| chance(80))
                .map(|id| request(id, now))
                .collect(),
            complete: chance(70),
        }
    }

    pub fn queue_item(media_id: i64, episode_id: Option<i64>) -> ArrQueueItem {
        let size = pick(&[0.0, 8e9]);
        ArrQueueItem {
            download_id: maybe(85, || 0).map(|_| download_id()),
            media_id: maybe(95, || media_id),
            episode_id,
            title: text(&["Release.A", "Release.B"]),
            size,
            sizeleft: size * pick(&[0.0, 0.5, 1.0]),
            timeleft_secs: pick(&[None, Some(600), Some(-1)]),
            status: text(&[
                "queued",
                "paused",
                "downloading",
                "completed",
                "failed",
                "warning",
                "delay",
                "downloadClientUnavailable",
                "fallback",
            ]),
            tracked_status: pick(&[None, Some("ok"), Some("warning"), Some("error")])
                .map(str::to_string),
            tracked_state: pick(&[
                None,
                Some("downloading"),
                Some("importBlocked"),
                Some("importPending"),
                Some("importing"),
                Some("imported"),
                Some("failedPending"),
                Some("failed"),
                Some("ignored"),
            ])
            .map(str::to_string),
            messages: pick(&[&[][..], &["No files found"], &["", " "], &["one", "two"]])
                .iter()
                .map(|m| m.to_string())
                .collect(),
            error_message: maybe(20, || "client error".to_string()),
            protocol: Some("torrent".into()),
        }
    }

    pub fn history_event(
        media_id: i64,
        episode_id: Option<i64>,
        now: DateTime<Utc>,
    ) -> ArrHistoryEvent {
        ArrHistoryEvent {
            id: fastrand::i64(1..=12),
            kind: pick(&[
                HistoryKind::Grabbed,
                HistoryKind::Grabbed,
                HistoryKind::Imported,
                HistoryKind::DownloadFailed,
                HistoryKind::Ignored,
                HistoryKind::FileDeleted,
                HistoryKind::Other,
            ]),
            date: when(now),
            download_id: maybe(85, || 0).map(|_| download_id()),
            media_id,
            episode_id,
            source_title: text(&["Release.A", "Release.B"]),
            message: maybe(50, || "it broke".to_string()),
            imported_path: maybe(60, || 0).map(|_| path()),
            size: pick(&[None, Some(8e9), Some(1e6)]),
        }
    }

    pub fn radarr(now: DateTime<Utc>) -> RadarrData {
        let movies: Vec<RadarrMovie> = FILMS
            .iter()
            .filter(|_| chance(75))
            .map(|&tmdb| {
                let has_file = chance(40);
                RadarrMovie {
                    id: movie_id(tmdb),
                    tmdb_id: tmdb,
                    title: format!("Film {tmdb}"),
                    has_file,
                    monitored: chance(85),
                    is_available: chance(80),
                    status: Some("released".into()),
                    is_anime: chance(15),
                    file_path: (has_file && chance(80)).then(path),
                }
            })
            .collect();
        let queue = (0..fastrand::usize(0..6))
            .map(|_| queue_item(movie_id(pick(&FILMS)), None))
            .collect();
        let history = (0..fastrand::usize(0..8))
            .map(|_| history_event(movie_id(pick(&FILMS)), None, now))
            .collect();
        RadarrData {
            queue,
            history,
            movies,
        }
    }

    fn sonarr_episodes(tvdb: i64, now: DateTime<Utc>) -> Vec<SonarrEpisode> {
        let mut eps: Vec<SonarrEpisode> = [0, 1, 2]
            .iter()
            .flat_map(|&season| (1..=3).map(move |number| (season, number)))
            .filter(|_| chance(70))
            .map(|(season, number)| {
                let has_file = chance(40);
                SonarrEpisode {
                    id: episode_id(tvdb, season, number),
                    season,
                    number,
                    title: maybe(80, || format!("Episode {number}")),
                    air_date_utc: maybe(85, || 0).map(|_| when(now)),
                    monitored: chance(85),
                    has_file,
                    file_path: (has_file && chance(80)).then(path),
                }
            })
            .collect();
        if chance(15) {
            fastrand::shuffle(&mut eps);
        }
        if chance(5) {
            if let Some(e) = eps.first().cloned() {
                eps.push(e);
            }
        }
        eps
    }

    pub fn sonarr(now: DateTime<Utc>) -> SonarrData {
        let series: Vec<SonarrSeries> = SERIES
            .iter()
            .filter(|_| chance(75))
            .map(|&tvdb| SonarrSeries {
                id: series_id(tvdb),
                tvdb_id: tvdb,
                title: format!("Series {tvdb}"),
                is_anime: chance(15),
                episodes: sonarr_episodes(tvdb, now).into(),
            })
            .collect();
        let episode = || {
            let tvdb = pick(&SERIES);
            let (season, number) = (fastrand::i32(0..=2), fastrand::i32(1..=3));
            (series_id(tvdb), episode_id(tvdb, season, number))
        };
        let queue = (0..fastrand::usize(0..8))
            .map(|_| {
                let (s, e) = episode();
                queue_item(s, Some(e))
            })
            .collect();
        let history = (0..fastrand::usize(0..12))
            .map(|_| {
                let (s, e) = episode();
                history_event(s, maybe(90, || e), now)
            })
            .collect();
        SonarrData {
            queue,
            history,
            series,
        }
    }

    pub fn torrent_of(n: u32) -> Torrent {
        let hash = if chance(10) { dl(n) } else { qh(n) };
        let progress = pick(&[0.0, 0.3, 0.99, 1.0]);
        Torrent {
            infohash_v1: pick(&[Some(hash.clone()), None, Some(String::new())]),
            infohash_v2: maybe(10, || format!("{}{}", qh(pick(&DOWNLOADS)), "0".repeat(24))),
            name: format!("torrent {n}"),
            progress,
            state: pick(&[
                TorrentState::Downloading,
                TorrentState::Downloading,
                TorrentState::Stalled,
                TorrentState::StoppedDownload,
                TorrentState::Queued,
                TorrentState::FetchingMetadata,
                TorrentState::Moving,
                TorrentState::Completed,
                TorrentState::Completed,
                TorrentState::Error,
                TorrentState::MissingFiles,
                TorrentState::Unknown("new".into()),
            ]),
            dlspeed: pick(&[0, 5_000_000, -1]),
            eta_secs: pick(&[None, Some(60), Some(6_000)]),
            size: pick(&[0, 8_000_000_000]),
            amount_left: 0,
            hash,
        }
    }

    pub fn qbit() -> QbitData {
        let mut torrents = HashMap::new();
        for n in DOWNLOADS {
            if chance(70) {
                let t = torrent_of(n);
                torrents.insert(t.hash.to_ascii_lowercase(), t);
            }
        }
        QbitData {
            torrents: torrents.into(),
        }
    }

    pub fn shoko() -> ShokoData {
        let mut files = HashMap::new();
        for k in 1..=5 {
            if chance(60) {
                let m = match fastrand::u32(..5) {
                    0 => ShokoMatch::NotSeen,
                    1 => ShokoMatch::Unrecognized,
                    2 => ShokoMatch::ImportLimbo,
                    3 => ShokoMatch::Matched { anidb_ids: vec![] },
                    _ => ShokoMatch::Matched {
                        anidb_ids: pick(&[vec![1], vec![2], vec![1, 2]]),
                    },
                };
                files.insert(format!("/media/file{k}.mkv"), m);
            }
        }
        ShokoData { files }
    }

    /// One of three ids for a film's or a series' item: one in another
    /// form, two in Jellyfin's (32 hex digits), as after the library item
    /// was removed and added again.
    fn jf_id(kind: &str, n: i64) -> String {
        let tag: u128 = if kind == "film" { 0xf } else { 0x5 };
        match fastrand::u32(..3) {
            0 => format!("jf-{kind}-{n}"),
            v => format!("{:032x}", tag << 100 | u128::from(v) << 64 | n as u128),
        }
    }

    pub fn jf_item_of() -> JellyfinItem {
        let playable = chance(80);
        let anidb_id = maybe(20, || 0).map(|_| fastrand::i64(1..=2));
        match fastrand::u32(..3) {
            0 => {
                let tmdb = pick(&FILMS);
                JellyfinItem {
                    tmdb_id: maybe(85, || tmdb),
                    anidb_id,
                    playable,
                    ..jf_item(&jf_id("film", tmdb), JellyfinKind::Movie)
                }
            }
            1 => {
                let tvdb = pick(&SERIES);
                JellyfinItem {
                    tvdb_id: maybe(70, || tvdb),
                    tmdb_id: maybe(50, || tvdb + 100),
                    anidb_id,
                    playable: false,
                    ..jf_item(&jf_id("series", tvdb), JellyfinKind::Series)
                }
            }
            _ => {
                let tvdb = pick(&SERIES);
                let number = fastrand::i32(1..=3);
                JellyfinItem {
                    playable,
                    episode_end: maybe(15, || number + 1),
                    ..jf_ep(&jf_id("series", tvdb), fastrand::i32(0..=2), number)
                }
            }
        }
    }

    pub fn jellyfin() -> JellyfinData {
        JellyfinData {
            items: (0..fastrand::usize(0..12))
                .map(|_| Arc::new(jf_item_of()))
                .collect(),
            server_id: None,
        }
    }

    pub fn snapshot(now: DateTime<Utc>) -> Snapshot {
        Snapshot {
            jellyseerr: source(|| seerr(now)),
            radarr: source(|| radarr(now)),
            sonarr: source(|| sonarr(now)),
            qbittorrent: source(qbit),
            shoko: source(shoko),
            jellyfin: source(|| Arc::new(jellyfin())),
        }
    }

    /// One change between two cycles, of the kind services make.
    pub fn edit(s: &mut Snapshot, now: DateTime<Utc>) {
        match fastrand::u32(..12) {
            // A whole service answers differently (or fails, or recovers).
            0 => s.jellyseerr = source(|| seerr(now)),
            1 => s.radarr = source(|| radarr(now)),
            2 => s.sonarr = source(|| sonarr(now)),
            3 => s.qbittorrent = source(qbit),
            4 => s.shoko = source(shoko),
            5 => s.jellyfin = source(|| Arc::new(jellyfin())),
            // Jellyseerr edits one request, adds or drops one.
            6 => {
                if let Source::Ok(d) = &mut s.jellyseerr {
                    if let Some(i) =
                        (!d.requests.is_empty()).then(|| fastrand::usize(..d.requests.len()))
                    {
                        let fresh = request(d.requests[i].id, now);
                        let r = &mut d.requests[i];
                        match fastrand::u32(..8) {
                            0 => r.title = fresh.title,
                            1 => r.year = fresh.year,
                            2 => r.poster_path = fresh.poster_path,
                            3 => r.status = fresh.status,
                            4 => r.media_status = fresh.media_status,
                            5 => r.updated_at = now,
                            6 => r.jellyfin_media_id = fresh.jellyfin_media_id,
                            _ => {
                                d.requests.remove(i);
                            }
                        }
                    } else {
                        d.requests.push(request(fastrand::i64(1..=10), now));
                    }
                }
            }
            // A torrent progresses, changes state, appears or is removed.
            7 => {
                if let Source::Ok(q) = &mut s.qbittorrent {
                    let n = pick(&DOWNLOADS);
                    let key = qh(n);
                    match (
                        Arc::make_mut(&mut q.torrents).get_mut(&key),
                        fastrand::u32(..3),
                    ) {
                        (Some(_), 0) => {
                            Arc::make_mut(&mut q.torrents).remove(&key);
                        }
                        (Some(t), _) => {
                            t.progress = (t.progress + 0.25).min(1.0);
                            if t.progress >= 1.0 {
                                t.state = TorrentState::Completed;
                            }
                        }
                        (None, _) => {
                            Arc::make_mut(&mut q.torrents).insert(key, torrent_of(n));
                        }
                    }
                }
            }
            // A queue item appears or goes.
            8 => {
                if let Source::Ok(r) = &mut s.radarr {
                    if r.queue.is_empty() || chance(50) {
                        r.queue.push(queue_item(movie_id(pick(&FILMS)), None));
                    } else {
                        r.queue.remove(fastrand::usize(..r.queue.len()));
                    }
                }
                if let Source::Ok(d) = &mut s.sonarr {
                    if !d.queue.is_empty() && chance(50) {
                        d.queue.remove(fastrand::usize(..d.queue.len()));
                    }
                }
            }
            // A history record arrives.
            9 => {
                if let Source::Ok(r) = &mut s.radarr {
                    r.history
                        .push(history_event(movie_id(pick(&FILMS)), None, now));
                }
            }
            // An episode gets its file or a new air date.
            10 => {
                if let Source::Ok(d) = &mut s.sonarr {
                    if let Some(series) = d.series.first_mut() {
                        for e in Arc::make_mut(&mut series.episodes)
                            .iter_mut()
                            .filter(|_| chance(40))
                        {
                            e.has_file = !e.has_file;
                            e.file_path = e.has_file.then(path);
                            e.air_date_utc = Some(when(now));
                        }
                    }
                }
            }
            // Jellyfin shows a new item.
            _ => {
                if let Source::Ok(j) = &mut s.jellyfin {
                    // A new allocation when the engine still holds this one.
                    Arc::make_mut(j).items.push(Arc::new(jf_item_of()));
                }
            }
        }
    }
}

/// Cycles in which the fast path had records to change, and cycles in
/// which it changed nothing (both must occur for the test to mean anything).
static CHANGING_CYCLES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static STEADY_CYCLES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static SKIPPED_SETTLED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Runs twelve poll cycles from a seed: random snapshots, random edits
/// between cycles (or none: a steady cycle), the clock moving by minutes or
/// days, the user acknowledging records. Every cycle, the engine as the
/// poller runs it and the same engine with its shortcuts off
/// ([`reconcile_full`]: every listed record evaluated, every index built
/// anew) must return the same changed records and events.
fn same_as_full_evaluation(seed: u64) -> Result<(), String> {
    use std::sync::atomic::Ordering::Relaxed;
    fastrand::seed(seed);
    let mut now = base();
    let mut s = world::snapshot(now);
    let mut recs = Records::new();
    // The engine as the poller runs it: one Reconciler, its Jellyfin index
    // kept while the snapshot shares the same data.
    let mut engine = Reconciler::default();
    for cycle in 0..12 {
        let fast = engine.reconcile(&recs, &s, now);
        let full = reconcile_full(&recs, &s, now);
        let ctx = Lookups::build(&s, now);
        let skipped = recs
            .values()
            .filter(|r| {
                let req = ctx.seerr.get(&r.jellyseerr_request_id).copied();
                !needs_eval(r, req, &ctx) && needs_full_eval(r, req, &ctx)
            })
            .count();
        SKIPPED_SETTLED.fetch_add(skipped, Relaxed);
        if fast != full {
            return Err(format!(
                "seed {seed}, cycle {cycle}: the engine must change exactly what the full \
                 evaluation changes\nrecords before: {recs:#?}\nsnapshot: {s:#?}\n\
                 engine: {fast:#?}\nfull evaluation: {full:#?}"
            ));
        }
        let counter = if fast.changed.is_empty() {
            &STEADY_CYCLES
        } else {
            &CHANGING_CYCLES
        };
        counter.fetch_add(1, Relaxed);
        for r in fast.changed {
            recs.insert(r.id, r);
        }
        if let Some(r) = recs.values_mut().find(|_| fastrand::u32(..5) == 0) {
            r.acknowledged = true;
        }
        now += TimeDelta::minutes(world::pick(&[1, 30, 180, 4_320]));
        if fastrand::bool() {
            for _ in 0..fastrand::u32(1..=3) {
                world::edit(&mut s, now);
            }
        }
    }
    Ok(())
}

#[test]
fn fast_path_equals_full_evaluation() {
    use proptest::prelude::*;
    use std::sync::atomic::Ordering::Relaxed;
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&any::<u64>(), |seed| {
            same_as_full_evaluation(seed).map_err(TestCaseError::fail)
        })
        .unwrap();
    let (changing, steady) = (CHANGING_CYCLES.load(Relaxed), STEADY_CYCLES.load(Relaxed));
    let skipped = SKIPPED_SETTLED.load(Relaxed);
    eprintln!(
        "fast_path_equals_full_evaluation: {changing} changing and {steady} steady cycles, \
         {skipped} listed finished records skipped as settled"
    );
    assert!(
        skipped > 500,
        "the generated cycles exercise the skip of settled records ({skipped})"
    );
    assert!(
        changing > 1_000 && steady > 1_000,
        "the generated cycles both change records and leave them alone \
         ({changing} changing, {steady} steady)"
    );
}

/// The Jellyfin index (positions, kept across cycles) answers every lookup
/// as plain maps of references built the obvious way do, duplicates included.
#[test]
fn jellyfin_index_answers_as_plain_maps_do() {
    let ids = [
        "0123456789abcdef0123456789abcdef",
        "0123456789abcdef0123456789abcdee",
        "0123456789ABCDEF0123456789ABCDEF", // not Jellyfin's form: by string
        "jf-1",
        "jf-2",
        "",
    ];
    for seed in 0..300 {
        fastrand::seed(seed);
        let kinds = [
            JellyfinKind::Movie,
            JellyfinKind::Series,
            JellyfinKind::Episode,
            JellyfinKind::Other,
        ];
        let small = || fastrand::bool().then(|| fastrand::i64(1..=4));
        let items: Vec<JellyfinItem> = (0..fastrand::usize(0..40))
            .map(|_| JellyfinItem {
                tmdb_id: small(),
                tvdb_id: small(),
                anidb_id: small(),
                playable: fastrand::bool(),
                series_id: fastrand::bool().then(|| ids[fastrand::usize(..ids.len())].to_string()),
                ..jf_item(
                    ids[fastrand::usize(..ids.len())],
                    kinds[fastrand::usize(..kinds.len())],
                )
            })
            .collect();
        let data = JellyfinData {
            items: items.into_iter().map(Arc::new).collect(),
            server_id: None,
        };
        // The plain maps.
        let mut by_id: HashMap<&str, &JellyfinItem> = HashMap::new();
        let mut movie: HashMap<i64, &JellyfinItem> = HashMap::new();
        let mut tvdb: HashMap<i64, &JellyfinItem> = HashMap::new();
        let mut tmdb: HashMap<i64, &JellyfinItem> = HashMap::new();
        let mut anidb: HashMap<i64, Vec<&JellyfinItem>> = HashMap::new();
        let mut episodes: HashMap<&str, Vec<&JellyfinItem>> = HashMap::new();
        for it in &data.items {
            by_id.insert(&it.id, it);
            match it.kind {
                JellyfinKind::Movie => {
                    if let Some(t) = it.tmdb_id {
                        let e = movie.entry(t).or_insert(it);
                        if !e.playable && it.playable {
                            *e = it;
                        }
                    }
                }
                JellyfinKind::Series => {
                    if let Some(t) = it.tvdb_id {
                        tvdb.entry(t).or_insert(it);
                    }
                    if let Some(t) = it.tmdb_id {
                        tmdb.entry(t).or_insert(it);
                    }
                }
                JellyfinKind::Episode => {
                    if let Some(s) = &it.series_id {
                        episodes.entry(s).or_default().push(it);
                    }
                }
                JellyfinKind::Other => {}
            }
            if let (Some(a), JellyfinKind::Movie | JellyfinKind::Series) = (it.anidb_id, it.kind) {
                anidb.entry(a).or_default().push(it);
            }
        }
        let index = JellyfinIndex::build(&data);
        let jf = JellyfinView {
            data: &data,
            idx: IndexRef::Kept(&index),
        };
        let same = |a: Option<&JellyfinItem>, b: Option<&&JellyfinItem>| match (a, b) {
            (Some(a), Some(b)) => std::ptr::eq(a, *b),
            (None, None) => true,
            _ => false,
        };
        for id in ids
            .iter()
            .chain(&["nope", "0123456789abcdef0123456789abcdeg"])
        {
            assert!(
                same(jf.by_id(id), by_id.get(id)),
                "seed {seed}: by_id({id:?})"
            );
            let got: Vec<*const JellyfinItem> =
                jf.episodes_of(id).iter().map(std::ptr::from_ref).collect();
            let want: Vec<*const JellyfinItem> = episodes
                .get(id)
                .into_iter()
                .flatten()
                .map(|i| std::ptr::from_ref(*i))
                .collect();
            assert_eq!(got, want, "seed {seed}: episodes_of({id:?})");
        }
        for n in 0..=5 {
            assert!(
                same(jf.movie_by_tmdb(n), movie.get(&n)),
                "seed {seed}: movie {n}"
            );
            assert!(
                same(jf.series_by_tvdb(n), tvdb.get(&n)),
                "seed {seed}: tvdb {n}"
            );
            assert!(
                same(jf.series_by_tmdb(n), tmdb.get(&n)),
                "seed {seed}: tmdb {n}"
            );
            let got: Vec<*const JellyfinItem> = jf.by_anidb(n).map(std::ptr::from_ref).collect();
            let want: Vec<*const JellyfinItem> = anidb
                .get(&n)
                .into_iter()
                .flatten()
                .map(|i| std::ptr::from_ref(*i))
                .collect();
            assert_eq!(got, want, "seed {seed}: anidb {n}");
        }
    }
}

#[test]
fn jellyseerr_listing_answers_as_a_plain_map_does() {
    for seed in 0..300 {
        fastrand::seed(seed);
        // Ids in any order, some listed twice with different contents.
        let requests: Vec<SeerrRequest> = (0..fastrand::usize(0..30))
            .map(|k| SeerrRequest {
                title: Some(format!("listed {k}")),
                ..seerr_req(fastrand::i64(1..=20), 100)
            })
            .collect();
        let map: HashMap<i64, &SeerrRequest> = requests.iter().map(|r| (r.id, r)).collect();
        let listing = Listing::new(&requests);
        assert_eq!(listing.len(), map.len(), "seed {seed}");
        // Walked in order of any ids (the records'), from any position.
        let mut next = fastrand::usize(0..5);
        let mut walk: Vec<i64> = (0..fastrand::usize(0..30))
            .map(|_| fastrand::i64(0..=21))
            .collect();
        if fastrand::bool() {
            walk.sort_unstable();
        }
        for id in walk {
            let want = map.get(&id).map(|r| r.title.clone());
            assert_eq!(
                listing.get(&id).map(|r| r.title.clone()),
                want,
                "seed {seed}, id {id}"
            );
            assert_eq!(
                listing.get_next(&mut next, id).map(|r| r.title.clone()),
                want,
                "seed {seed}, id {id}, walking"
            );
        }
        let mut listed: Vec<i64> = listing.values().map(|r| r.id).collect();
        let mut want: Vec<i64> = map.keys().copied().collect();
        listed.sort_unstable();
        want.sort_unstable();
        assert_eq!(listed, want, "seed {seed}");
    }
}

#[test]
fn sonarr_episode_finder_answers_as_a_plain_map_does() {
    let now = Utc::now();
    for seed in 0..300 {
        fastrand::seed(seed);
        // Ids in increasing order (as Sonarr lists them) or not, some listed
        // twice with different contents.
        let mut ids: Vec<i64> = (1..=fastrand::i64(0..40)).collect();
        fastrand::shuffle(&mut ids);
        ids.truncate(fastrand::usize(0..=ids.len()));
        match fastrand::u8(0..3) {
            0 => ids.sort_unstable(),
            1 => {
                ids = ids
                    .iter()
                    .flat_map(|&id| std::iter::repeat_n(id, 1 + fastrand::usize(0..4) / 3 * 2))
                    .collect();
                if fastrand::bool() {
                    ids.sort_unstable();
                } else {
                    fastrand::shuffle(&mut ids);
                }
            }
            _ => {}
        }
        let episodes: Vec<SonarrEpisode> = ids
            .iter()
            .enumerate()
            .map(|(k, &id)| ep(id, 1, i32::try_from(k).unwrap_or(0), Some(now)))
            .collect();
        let map: HashMap<i64, &SonarrEpisode> = episodes.iter().map(|e| (e.id, e)).collect();
        let finder = EpisodeFinder::new(&episodes);
        let asks: Vec<i64> = if fastrand::bool() {
            ids.clone()
        } else {
            (0..fastrand::usize(0..40))
                .map(|_| fastrand::i64(0..45))
                .collect()
        };
        for id in asks {
            let found = finder.get(id).map(|e| (e.id, e.number));
            assert_eq!(
                found,
                map.get(&id).map(|e| (e.id, e.number)),
                "seed {seed}, id {id}"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Stale caches (issue 13): what a cached Jellyfin index or a queue item in
// the middle of an import must not make the tracker say.
// ---------------------------------------------------------------------------

#[test]
fn an_anime_film_radarr_is_still_importing_is_importing_not_matching() {
    let mut recs = Records::new();
    let importing = anime_film_approved()
        .rq(queue(&dl(1), MOVIE, "importing"))
        .torrent(seeding(&qh(1)));
    step(&mut recs, &importing, t(10));
    assert_eq!(
        phase(&recs, 1),
        Phase::Importing,
        "a queue item in state importing is IMPORTING; ANIME_MATCHING needs the file imported: {}",
        reason(&recs, 1)
    );
    // The same cycle again (the queue item stays while Radarr imports).
    step(&mut recs, &importing, t(11));
    assert_eq!(phase(&recs, 1), Phase::Importing, "and stays so");
    step(&mut recs, &anime_film_imported(), t(12));
    assert_eq!(
        phase(&recs, 1),
        Phase::AnimeMatching,
        "once imported, Shoko's turn"
    );
}

/// A playable Jellyfin movie for `TMDB`, added at `at`, under its own id.
fn jf_movie_at(id: &str, at: DateTime<Utc>) -> JellyfinItem {
    JellyfinItem {
        id: id.into(),
        date_created: Some(at),
        ..jf_movie(TMDB)
    }
}

#[test]
fn a_jellyfin_item_older_than_the_request_is_not_its_until_radarr_has_the_file() {
    // The user deleted the film in Radarr; Jellyfin still lists the old copy
    // (added long before this request, which is created at t(-60)).
    let old_copy = jf_movie_at("0123456789abcdef0123456789abcdef", t(-60 * 24 * 30));
    let mut recs = Records::new();
    let approved = snap()
        .req(seerr_req(1, TMDB))
        .movie(movie(MOVIE, TMDB))
        .jf(old_copy.clone());
    step(&mut recs, &approved, t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Approved,
        "a re-request never inherits an older copy's item: {}",
        reason(&recs, 1)
    );
    // Radarr imports this request's file (from a still-seeding torrent, the
    // file keeps its old creation time and Jellyfin its item).
    let imported = snap()
        .req(seerr_req(1, TMDB))
        .movie(with_file(movie(MOVIE, TMDB), FILM_PATH))
        .rh(imported(2, &dl(1), MOVIE, FILM_PATH, t(20)))
        .jf(old_copy);
    step(&mut recs, &imported, t(21));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "with Radarr's file for this request the item is evidence"
    );
}

#[test]
fn a_jellyfin_item_added_after_the_request_is_evidence_at_once() {
    let mut recs = Records::new();
    let s = snap()
        .req(seerr_req(1, TMDB))
        .movie(movie(MOVIE, TMDB))
        .jf(jf_movie_at("0123456789abcdef0123456789abcdef", t(-30)));
    step(&mut recs, &s, t(0));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "an item newer than the request is the request's"
    );
}

#[test]
fn a_finished_film_follows_its_replaced_item_and_notes_it_gone_once() {
    let mut recs = finished_film();
    let id = rec(&recs, 1).id;
    let old_id = rec(&recs, 1).jellyfin_id.clone();
    assert!(old_id.is_some());

    // An upgrade: a new file is a new item with a new id.
    let new_id = "fedcba9876543210fedcba9876543210";
    let mut replaced = film_available();
    Arc::make_mut(ok_mut(&mut replaced.jellyfin)).items =
        vec![Arc::new(jf_movie_at(new_id, t(50)))];
    let out = step(&mut recs, &replaced, t(51));
    assert_eq!(
        rec(&recs, 1).jellyfin_id.as_deref(),
        Some(new_id),
        "it follows the new item"
    );
    assert!(
        out.changes.is_empty(),
        "no news on the timeline: {:#?}",
        out.changes
    );
    assert_eq!(phase(&recs, 1), Phase::Available);

    // The item is deleted and nothing replaces it.
    let mut gone = film_available();
    Arc::make_mut(ok_mut(&mut gone.jellyfin)).items.clear();
    let out = step(&mut recs, &gone, t(60));
    assert_eq!(
        phase(&recs, 1),
        Phase::Available,
        "it was true: it stays AVAILABLE"
    );
    assert_eq!(reason(&recs, 1), reasons::REMOVED_JELLYFIN);
    assert_eq!(
        out.changes,
        vec![Change::ReasonChanged {
            request_id: id,
            at: t(60),
            phase: Phase::Available,
            reason: Some(reasons::REMOVED_JELLYFIN.into()),
        }],
        "one line on its timeline"
    );
    let out = step(&mut recs, &gone, t(61));
    assert!(out.changes.is_empty(), "said once");

    // Jellyfin failing is no evidence of anything.
    let mut recs = finished_film();
    let mut down = film_available();
    down.jellyfin = Source::Failed;
    let out = step(&mut recs, &down, t(70));
    assert!(out.changes.is_empty() && rec(&recs, 1).reason.is_none());
}
