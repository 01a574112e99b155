//! Story steps for acting on the services: the *arrs searching and grabbing
//! a release (a search command, Seerr's hand-off, the redownload after a
//! blocklist), the blocklist, a download taken out of the queue, and Seerr
//! saving a new request status.
//!
//! Upstream: Radarr `MovieSearchService`, Sonarr `EpisodeSearchService`,
//! `SeasonSearchService`, `SeriesSearchService`, `ReleaseSearchService`;
//! `QueueController.Remove`, `FailedDownloadService.MarkAsFailed`,
//! `BlocklistService`, `RedownloadFailedDownloadService`,
//! `IgnoredDownloadService` (Radarr v5.26, Sonarr v4.0.19); Seerr
//! `MediaRequestSubscriber` (`updateParentStatus`, `sendToRadarr`,
//! `sendToSonarr`) and `server/api/servarr/{radarr,sonarr}.ts`.

use super::*;

/// Where a grab came from: the `releaseSource` of its `grabbed` history
/// record (the *arrs' `ReleaseSourceType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReleaseSource {
    /// The RSS sync (the story steps' grabs).
    Rss,
    /// A search the *arr started itself (the redownload after a failure).
    Search,
    /// A search someone asked for through the API or the UI (a command,
    /// Seerr's hand-off).
    UserInvokedSearch,
}

impl ReleaseSource {
    pub fn name(self) -> &'static str {
        match self {
            Self::Rss => "Rss",
            Self::Search => "Search",
            Self::UserInvokedSearch => "UserInvokedSearch",
        }
    }
}

/// The flags of `DELETE /api/v3/queue/{id}` (defaults: remove from the
/// client, no blocklist, redownload, no category change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QueueRemoval {
    pub remove_from_client: bool,
    pub blocklist: bool,
    pub skip_redownload: bool,
    pub change_category: bool,
}

/// `(quality tags, group)` of the releases the simulated indexer offers for
/// a film, in the order a search takes them.
const MOVIE_RELEASES: &[(&str, &str)] = &[
    ("1080p.WEB-DL.DDP5.1.H.264", "FLUX"),
    ("2160p.WEB-DL.DDP5.1.DV.HDR.H.265", "NTb"),
    ("1080p.BluRay.x264", "SPARKS"),
    ("720p.WEB-DL.DD5.1.H.264", "EVO"),
];

/// The same for episodes and season packs.
const EPISODE_RELEASES: &[(&str, &str)] = &[
    ("1080p.WEB-DL.DDP5.1.H.264", "NTb"),
    ("2160p.WEB-DL.DDP5.1.H.265", "FLUX"),
    ("1080p.WEBRip.x264", "ION10"),
    ("720p.HDTV.x264", "SYNCOPY"),
];

const MB: u64 = 1_000_000;

/// A title as scene names write it: words joined by dots.
fn dotted(title: &str) -> String {
    title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(".")
}

/// Bytes of a film in this quality.
fn movie_size(quality: &str) -> u64 {
    if quality.contains("2160p") {
        21_500 * MB
    } else if quality.contains("720p") {
        4_200 * MB
    } else {
        8_900 * MB
    }
}

/// Bytes of one episode in this quality.
fn episode_size(quality: &str) -> u64 {
    if quality.contains("2160p") {
        4_600 * MB
    } else if quality.contains("720p") {
        750 * MB
    } else {
        1_600 * MB
    }
}

/// A download the *arr is still busy with (its queue, a failed one aside).
fn is_active(d: &Download) -> bool {
    d.in_client
        && matches!(
            d.arr,
            ArrState::Tracking | ArrState::ImportBlocked(_) | ArrState::Importing
        )
}

impl World {
    /// Whether this *arr instance has blocklisted a release of this title.
    fn blocklisted(&self, app: ArrApp, instance: ArrInstance, title: &str) -> bool {
        self.blocklist.iter().any(|b| {
            b.app == app && b.instance == instance && b.source_title.eq_ignore_ascii_case(title)
        })
    }

    /// The first release title the indexer offers that is not blocklisted.
    /// A 4K instance takes only the 2160p releases (its quality profile).
    fn pick_release(
        &self,
        app: ArrApp,
        instance: ArrInstance,
        offers: &[(&str, &str)],
        name: impl Fn(&str) -> String,
    ) -> Option<(String, String)> {
        offers
            .iter()
            .filter(|(quality, _)| !instance.is_4k() || quality.contains("2160p"))
            .find_map(|(quality, group)| {
                let title = format!("{}-{group}", name(quality));
                (!self.blocklisted(app, instance, &title)).then(|| (title, quality.to_string()))
            })
    }

    fn movie_in_queue(&self, instance: ArrInstance, tmdb_id: u64) -> bool {
        self.downloads.values().any(|d| {
            is_active(d) && d.instance == instance && d.target == Target::Movie { tmdb_id }
        })
    }

    fn episode_in_queue(
        &self,
        instance: ArrInstance,
        tvdb_id: u64,
        season: u32,
        number: u32,
    ) -> bool {
        self.downloads.values().any(|d| {
            is_active(d)
                && d.instance == instance
                && matches!(&d.target, Target::Episodes { tvdb_id: t, episodes }
                    if *t == tvdb_id && episodes.contains(&(season, number)))
        })
    }

    /// Radarr's `MoviesSearch`: each film of these Radarr ids that has no
    /// file and is not in the queue gets the first release not blocklisted.
    /// Ids Radarr does not have are skipped (it loads the films it has).
    /// Returns the hashes grabbed.
    pub(crate) fn search_movies(
        &mut self,
        instance: ArrInstance,
        radarr_ids: &[u64],
        source: ReleaseSource,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let wanted: Vec<(u64, String)> = self
            .radarr_movies(instance)
            .filter(|m| radarr_ids.contains(&m.radarr_id))
            .filter(|m| m.file.is_none() && !self.movie_in_queue(instance, m.tmdb_id))
            .map(|m| (m.tmdb_id, format!("{}.{}", dotted(&m.title), m.year)))
            .collect();
        let mut grabbed = Vec::new();
        for (tmdb_id, name) in wanted {
            if !self.search_grabs {
                break;
            }
            let Some((title, quality)) =
                self.pick_release(ArrApp::Radarr, instance, MOVIE_RELEASES, |q| {
                    format!("{name}.{q}")
                })
            else {
                continue;
            };
            let hash = hex_id(&mut self.rng, 40);
            let size = movie_size(&quality);
            if self
                .grab_movie(instance, tmdb_id, &hash, &title, size, source, now)
                .is_ok()
            {
                self.mark_searched(&hash);
                grabbed.push(hash);
            }
        }
        grabbed
    }

    /// Radarr's `MissingMoviesSearch`: every film without a file and not in
    /// the queue (all films in the sim are monitored).
    pub(crate) fn search_missing_movies(
        &mut self,
        instance: ArrInstance,
        source: ReleaseSource,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let ids: Vec<u64> = self.radarr_movies(instance).map(|m| m.radarr_id).collect();
        self.search_movies(instance, &ids, source, now)
    }

    /// Sonarr searching some episodes of one season of a series: those that
    /// aired, have no file and are not in the queue are grabbed, as one
    /// season pack when they are the whole season, else one release each.
    #[allow(clippy::too_many_arguments)]
    fn search_in_season(
        &mut self,
        instance: ArrInstance,
        tvdb_id: u64,
        season: u32,
        numbers: &[u32],
        source: ReleaseSource,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let today = now.date_naive();
        let Some(series) = self.sonarr_series(instance, tvdb_id) else {
            return Vec::new();
        };
        let wanted: Vec<u32> = series
            .episodes
            .iter()
            .filter(|e| e.season == season && numbers.contains(&e.number))
            .filter(|e| e.file.is_none() && e.air_date.is_some_and(|d| d <= today))
            .filter(|e| !self.episode_in_queue(instance, tvdb_id, season, e.number))
            .map(|e| e.number)
            .collect();
        let whole_season = series
            .episodes
            .iter()
            .filter(|e| e.season == season)
            .all(|e| wanted.contains(&e.number));
        let name = dotted(&series.title);
        let mut releases: Vec<(Vec<u32>, String)> = Vec::new();
        if wanted.len() > 1 && whole_season {
            releases.push((wanted, format!("{name}.S{season:02}")));
        } else {
            for n in wanted {
                releases.push((vec![n], format!("{name}.S{season:02}E{n:02}")));
            }
        }
        let mut grabbed = Vec::new();
        for (numbers, name) in releases {
            if !self.search_grabs {
                break;
            }
            let Some((title, quality)) =
                self.pick_release(ArrApp::Sonarr, instance, EPISODE_RELEASES, |q| {
                    format!("{name}.{q}")
                })
            else {
                continue;
            };
            let episodes: Vec<(u32, u32)> = numbers.iter().map(|n| (season, *n)).collect();
            let hash = hex_id(&mut self.rng, 40);
            let size = episode_size(&quality) * episodes.len() as u64;
            if self
                .grab_episodes(
                    instance, tvdb_id, &episodes, &hash, &title, size, source, now,
                )
                .is_ok()
            {
                self.mark_searched(&hash);
                grabbed.push(hash);
            }
        }
        grabbed
    }

    /// A grab of a search: the demo's autopilot may carry it on.
    fn mark_searched(&mut self, hash: &str) {
        if let Some(d) = self.downloads.get_mut(hash) {
            d.autopilot = Some(AutoStage::Download);
        }
    }

    fn series_by_sonarr_id(&self, instance: ArrInstance, sonarr_id: u64) -> Option<&Series> {
        self.sonarr_series_all(instance)
            .find(|s| s.sonarr_id == sonarr_id)
    }

    /// Sonarr's `EpisodeSearch`: each episode on its own, monitored or not.
    /// Stops at the first id Sonarr does not have (the command fails there).
    pub(crate) fn search_episode_ids(
        &mut self,
        instance: ArrInstance,
        episode_ids: &[u64],
        source: ReleaseSource,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let mut grabbed = Vec::new();
        for id in episode_ids {
            let found = self.sonarr_series_all(instance).find_map(|s| {
                s.episodes
                    .iter()
                    .find(|e| e.id == *id)
                    .map(|e| (s.tvdb_id, e.season, e.number))
            });
            let Some((tvdb_id, season, number)) = found else {
                break;
            };
            grabbed.extend(self.search_in_season(
                instance,
                tvdb_id,
                season,
                &[number],
                source,
                now,
            ));
        }
        grabbed
    }

    /// Sonarr's `SeasonSearch`: the season's monitored episodes.
    pub(crate) fn search_season(
        &mut self,
        instance: ArrInstance,
        sonarr_id: u64,
        season: u32,
        source: ReleaseSource,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let Some(series) = self.series_by_sonarr_id(instance, sonarr_id) else {
            return Vec::new();
        };
        let tvdb_id = series.tvdb_id;
        let numbers: Vec<u32> = series
            .episodes
            .iter()
            .filter(|e| e.season == season && e.monitored)
            .map(|e| e.number)
            .collect();
        self.search_in_season(instance, tvdb_id, season, &numbers, source, now)
    }

    /// Sonarr's `SeriesSearch`: a season search of every monitored season
    /// (the sim monitors every season but the specials).
    pub(crate) fn search_series(
        &mut self,
        instance: ArrInstance,
        sonarr_id: u64,
        source: ReleaseSource,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let Some(series) = self.series_by_sonarr_id(instance, sonarr_id) else {
            return Vec::new();
        };
        let seasons: Vec<u32> = series
            .seasons
            .iter()
            .map(|d| d.number)
            .filter(|n| *n > 0)
            .collect();
        let mut grabbed = Vec::new();
        for season in seasons {
            grabbed.extend(self.search_season(instance, sonarr_id, season, source, now));
        }
        grabbed
    }

    /// Sonarr's `MissingEpisodeSearch`: the aired episodes without a file
    /// whose `monitored` flag is `monitored`, of one series or of all,
    /// searched season by season.
    pub(crate) fn search_missing_episodes(
        &mut self,
        instance: ArrInstance,
        sonarr_id: Option<u64>,
        monitored: bool,
        source: ReleaseSource,
        now: DateTime<Utc>,
    ) -> Vec<String> {
        let groups: Vec<(u64, u32, Vec<u32>)> = self
            .sonarr_series_all(instance)
            .filter(|s| sonarr_id.is_none_or(|id| s.sonarr_id == id))
            .flat_map(|s| {
                let mut seasons: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
                for e in s.episodes.iter().filter(|e| e.monitored == monitored) {
                    seasons.entry(e.season).or_default().push(e.number);
                }
                seasons
                    .into_iter()
                    .map(|(season, numbers)| (s.tvdb_id, season, numbers))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut grabbed = Vec::new();
        for (tvdb_id, season, numbers) in groups {
            grabbed.extend(self.search_in_season(instance, tvdb_id, season, &numbers, source, now));
        }
        grabbed
    }

    /// `DELETE /api/v3/queue/{id}` of the *arr `app` on the download `hash`:
    /// the torrent leaves qBittorrent when asked; with `blocklist` the
    /// release is blocklisted, a `downloadFailed` record ("Manually marked as
    /// failed", one per episode) is written and, unless `skip_redownload`,
    /// the *arr searches again; with none of the three flags a
    /// `downloadIgnored` record ("Manually ignored") is written. The *arr
    /// stops tracking the download either way (it leaves the queue; a
    /// torrent kept in the client stays there).
    pub(crate) fn remove_from_queue(
        &mut self,
        app: ArrApp,
        hash: &str,
        how: QueueRemoval,
        now: DateTime<Utc>,
    ) {
        let Some(d) = self.downloads.get_mut(hash) else {
            return;
        };
        if how.remove_from_client {
            d.in_client = false;
        }
        d.arr = ArrState::Gone;
        if d.autopilot.is_some() {
            d.autopilot = Some(AutoStage::Done);
        }
        let d = d.clone();
        let download_id = d.upper_hash();
        let grabs: Vec<HistoryRecord> = self
            .history(app, d.instance)
            .iter()
            .filter(|r| r.event == HistoryEvent::Grabbed)
            .filter(|r| r.download_id.as_deref() == Some(download_id.as_str()))
            .cloned()
            .collect();
        let targets: Vec<(u64, Option<u64>)> =
            grabs.iter().map(|r| (r.media_id, r.episode_id)).collect();
        if how.blocklist {
            // Without a grab in its history the *arr marks nothing failed.
            let Some(first) = grabs.first() else {
                return;
            };
            self.mark_failed_manually(app, &d, &targets, now);
            let id = self.next_id();
            self.blocklist.push(BlocklistEntry {
                id,
                app,
                instance: d.instance,
                media_id: first.media_id,
                episode_ids: targets.iter().filter_map(|(_, e)| *e).collect(),
                source_title: first.source_title.clone(),
                date: now,
                message: "Manually marked as failed".into(),
            });
            if !how.skip_redownload {
                self.redownload(app, d.instance, &d.target, first.media_id, &targets, now);
            }
        } else if !how.remove_from_client && !how.change_category {
            self.ignore_manually(app, &d, &targets, now);
        }
    }

    /// The `downloadFailed` records of a manual failure.
    fn mark_failed_manually(
        &mut self,
        app: ArrApp,
        d: &Download,
        targets: &[(u64, Option<u64>)],
        now: DateTime<Utc>,
    ) {
        let mut data = BTreeMap::new();
        data.insert("downloadClient".into(), "qBittorrent".into());
        data.insert("downloadClientName".into(), "qBittorrent".into());
        data.insert("message".into(), "Manually marked as failed".into());
        data.insert("releaseGroup".into(), release_group(&d.name));
        data.insert("size".into(), d.size.to_string());
        if !app.is_sonarr() {
            data.insert("indexer".into(), INDEXER.into());
        }
        self.add_records(app, d, targets, HistoryEvent::DownloadFailed, data, now);
    }

    /// The `downloadIgnored` records of a download removed from the queue
    /// but kept in the client.
    fn ignore_manually(
        &mut self,
        app: ArrApp,
        d: &Download,
        targets: &[(u64, Option<u64>)],
        now: DateTime<Utc>,
    ) {
        let mut data = BTreeMap::new();
        data.insert("downloadClient".into(), "qBittorrent".into());
        data.insert("downloadClientName".into(), "qBittorrent".into());
        data.insert("message".into(), "Manually ignored".into());
        data.insert("releaseGroup".into(), release_group(&d.name));
        data.insert("size".into(), d.size.to_string());
        if app.is_sonarr() {
            let episodes = match &d.target {
                Target::Episodes { episodes, .. } => episodes.clone(),
                Target::Movie { .. } => Vec::new(),
            };
            let series = match &d.target {
                Target::Episodes { tvdb_id, .. } => self.sonarr_series(d.instance, *tvdb_id),
                Target::Movie { .. } => None,
            };
            let release_type = downloads::release_type(&episodes, series);
            data.insert("releaseType".into(), release_type.into());
        } else {
            data.insert("indexer".into(), INDEXER.into());
        }
        self.add_records(app, d, targets, HistoryEvent::DownloadIgnored, data, now);
    }

    fn add_records(
        &mut self,
        app: ArrApp,
        d: &Download,
        targets: &[(u64, Option<u64>)],
        event: HistoryEvent,
        data: BTreeMap<String, String>,
        now: DateTime<Utc>,
    ) {
        for (media_id, episode_id) in targets {
            self.add_history_in(
                app,
                d.instance,
                HistoryRecord {
                    id: 0,
                    media_id: *media_id,
                    episode_id: *episode_id,
                    source_title: d.name.clone(),
                    date: now,
                    download_id: Some(d.upper_hash()),
                    event,
                    data: data.clone(),
                },
            );
        }
    }

    /// `RedownloadFailedDownloadService`: Radarr searches the film again;
    /// Sonarr the one episode, the whole season when the release was all of
    /// it, else the episodes it carried.
    fn redownload(
        &mut self,
        app: ArrApp,
        instance: ArrInstance,
        target: &Target,
        media_id: u64,
        targets: &[(u64, Option<u64>)],
        now: DateTime<Utc>,
    ) {
        let source = ReleaseSource::Search;
        if !app.is_sonarr() {
            self.search_movies(instance, &[media_id], source, now);
            return;
        }
        let episode_ids: Vec<u64> = targets.iter().filter_map(|(_, e)| *e).collect();
        let whole_season = match target {
            Target::Episodes { tvdb_id, episodes } if episode_ids.len() > 1 => {
                let season = episodes.first().map(|(s, _)| *s);
                self.sonarr_series(instance, *tvdb_id).and_then(|s| {
                    let season = season?;
                    let count = s.episodes.iter().filter(|e| e.season == season).count();
                    (count == episode_ids.len()).then_some(season)
                })
            }
            _ => None,
        };
        match whole_season {
            Some(season) => {
                self.search_season(instance, media_id, season, source, now);
            }
            None => {
                self.search_episode_ids(instance, &episode_ids, source, now);
            }
        }
    }

    /// Seerr saving a request with a new `status` (and `modifiedBy`, when
    /// given): the row's status, `updatedAt` and, for tv, its season rows
    /// (approved or declined with it). TypeORM writes the row, and runs the
    /// subscribers, only when something changed: returns whether it did.
    pub(crate) fn seerr_save_status(
        &mut self,
        id: u64,
        status: u8,
        modified_by: Option<u64>,
        now: DateTime<Utc>,
    ) -> Result<bool, SimError> {
        let now = self.seerr_time(now);
        let r = self.request_mut(id)?;
        let by = modified_by.or(r.modified_by);
        if r.status == status && r.modified_by == by {
            return Ok(false);
        }
        r.status = status;
        r.modified_by = by;
        r.updated = now;
        if matches!(status, request_status::APPROVED | request_status::DECLINED) {
            for s in &mut r.seasons {
                s.status = status;
            }
        }
        Ok(true)
    }

    /// Seerr's `updateParentStatus` after a request was saved: an approval
    /// makes the media PROCESSING unless it is available, partly available
    /// or processing already; a declined film's media becomes UNKNOWN
    /// (unless DELETED, even when it was available); a declined series'
    /// media becomes UNKNOWN only while PENDING with no other pending request.
    pub(crate) fn seerr_update_parent(&mut self, id: u64, now: DateTime<Utc>) {
        let now = self.seerr_time(now);
        let Some(r) = self.requests.get(&id) else {
            return;
        };
        let (status, media, is_4k) = (r.status, r.media, r.is_4k);
        let others_pending = self.requests.values().any(|o| {
            o.media == media
                && o.is_4k == is_4k
                && o.id != id
                && o.status == request_status::PENDING
        });
        let Some(row) = self.media_of_mut(media) else {
            return;
        };
        let current = row.status_of(is_4k);
        let new = match (status, media) {
            (request_status::APPROVED, _)
                if !matches!(
                    current,
                    media_status::AVAILABLE
                        | media_status::PARTIALLY_AVAILABLE
                        | media_status::PROCESSING
                ) =>
            {
                media_status::PROCESSING
            }
            (request_status::DECLINED, MediaRef::Movie { .. })
                if current != media_status::DELETED =>
            {
                media_status::UNKNOWN
            }
            (request_status::DECLINED, MediaRef::Tv { .. })
                if current == media_status::PENDING && !others_pending =>
            {
                media_status::UNKNOWN
            }
            _ => return,
        };
        if current != new {
            *row.status_mut(is_4k) = new;
            row.updated = now;
        }
    }

    /// Seerr handing an approved request to Radarr or Sonarr (`sendToRadarr`,
    /// `sendToSonarr`), after its 200: a 4K request to the 4K instance,
    /// which adds the title when it lacks it (`addMovie`, `addSeries`).
    /// Media already available (`status4k` for a 4K request) is not sent.
    /// When the *arr cannot be reached (`arr_reachable` false) the request
    /// becomes FAILED within the approval's second. Otherwise the *arr,
    /// which has the title already, searches: Radarr the film when it has
    /// no file (`MoviesSearch`); Sonarr monitors the requested seasons'
    /// episodes and searches the series' missing ones
    /// (`MissingEpisodeSearch`).
    pub(crate) fn seerr_hand_off(&mut self, id: u64, arr_reachable: bool, now: DateTime<Utc>) {
        let at = self.seerr_time(now);
        let Some(r) = self.requests.get(&id) else {
            return;
        };
        if r.status != request_status::APPROVED {
            return;
        }
        let (media, is_4k) = (r.media, r.is_4k);
        let instance = ArrInstance::of_request(is_4k);
        let seasons: Vec<u32> = r.seasons.iter().map(|s| s.number).collect();
        if self
            .media_of(media)
            .is_some_and(|m| m.status_of(is_4k) == media_status::AVAILABLE)
        {
            return;
        }
        if !arr_reachable {
            if let Some(r) = self.requests.get_mut(&id) {
                r.status = request_status::FAILED;
                r.updated = at;
            }
            return;
        }
        let source = ReleaseSource::UserInvokedSearch;
        match media {
            MediaRef::Movie { tmdb_id } => {
                let _ = self.ensure_in_radarr(instance, tmdb_id, now);
                let radarr_id = self.radarr_movie(instance, tmdb_id).map(|m| m.radarr_id);
                if let Some(radarr_id) = radarr_id {
                    self.search_movies(instance, &[radarr_id], source, now);
                }
            }
            MediaRef::Tv { tmdb_id } => {
                let Some(tvdb_id) = self.series_by_tmdb(tmdb_id).map(|s| s.tvdb_id) else {
                    return;
                };
                self.ensure_in_sonarr(instance, tvdb_id, now);
                let Some(series) = self.sonarr_series_mut(instance, tvdb_id) else {
                    return;
                };
                for e in &mut series.episodes {
                    if seasons.contains(&e.season) {
                        e.monitored = true;
                    }
                }
                let sonarr_id = series.sonarr_id;
                self.search_missing_episodes(instance, Some(sonarr_id), true, source, now);
            }
        }
    }
}

impl SimWorld {
    /// Whether an *arr search finds a release to grab (default true). When
    /// false, search commands, Seerr's hand-off and the redownload after a
    /// blocklist find nothing: the command is still accepted, nothing is
    /// grabbed.
    pub fn set_search_grabs(&self, grabs: bool) {
        self.with(|w| w.search_grabs = grabs);
    }

    /// The release titles Radarr (`Service::Radarr`) or Sonarr
    /// (`Service::Sonarr`) has blocklisted, oldest first; empty for the
    /// other services.
    pub fn blocklisted(&self, service: Service) -> Vec<String> {
        self.blocklisted_in(service, ArrInstance::Hd)
    }

    /// The release titles one Radarr or Sonarr instance has blocklisted,
    /// oldest first.
    pub fn blocklisted_in(&self, service: Service, instance: ArrInstance) -> Vec<String> {
        let app = match service {
            Service::Radarr => ArrApp::Radarr,
            Service::Sonarr => ArrApp::Sonarr,
            _ => return Vec::new(),
        };
        self.with(|w| {
            w.blocklist
                .iter()
                .filter(|b| b.app == app && b.instance == instance)
                .map(|b| b.source_title.clone())
                .collect()
        })
    }
}
