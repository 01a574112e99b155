//! Story steps: grabs, downloads, imports and failures, as the *arrs and
//! qBittorrent see them.

use super::*;

impl SimWorld {
    // ----- grabs and downloads -----

    /// Radarr grabs a release: queue item, `grabbed` history, and a qBittorrent
    /// torrent at 0 %. An earlier failed download of the same film leaves the
    /// queue and the client (Radarr's redownload after a failure).
    pub fn grab_movie(
        &self,
        tmdb_id: u64,
        hash: &str,
        release_title: &str,
        size: u64,
    ) -> Result<(), SimError> {
        let now = Utc::now();
        let hash = check_hash(hash)?;
        self.with(|w| {
            w.grab_movie(
                ArrInstance::Hd,
                tmdb_id,
                &hash,
                release_title,
                size,
                ReleaseSource::Rss,
                now,
            )
        })
    }

    /// Sonarr grabs a release for some episodes of a series (a season pack
    /// when it lists a whole season): one queue record and one `grabbed`
    /// history record per episode, all with the same download id.
    pub fn grab_episodes(
        &self,
        tvdb_id: u64,
        episodes: &[(u32, u32)],
        hash: &str,
        release_title: &str,
        size: u64,
    ) -> Result<(), SimError> {
        let now = Utc::now();
        let hash = check_hash(hash)?;
        self.with(|w| {
            w.grab_episodes(
                ArrInstance::Hd,
                tvdb_id,
                episodes,
                &hash,
                release_title,
                size,
                ReleaseSource::Rss,
                now,
            )
        })
    }

    /// qBittorrent reports progress (0..1) and download speed (bytes/s).
    /// Below 1 the torrent is `downloading` (or `stalledDL` at speed 0 when it
    /// was stalled).
    pub fn set_progress(&self, hash: &str, fraction: f64, dlspeed: u64) -> Result<(), SimError> {
        if fraction >= 1.0 {
            return self.complete_download(hash);
        }
        self.with(|w| {
            let d = w.download_mut(hash)?;
            d.progress = fraction.clamp(0.0, 1.0);
            d.dlspeed = dlspeed;
            if !matches!(
                d.state.as_str(),
                "pausedDL" | "stoppedDL" | "error" | "missingFiles"
            ) && (dlspeed > 0 || d.state != "stalledDL")
            {
                d.state = "downloading".into();
            }
            Ok(())
        })
    }

    /// Sets qBittorrent's raw state string (`stalledDL`, `pausedDL`, `error`, ...).
    pub fn set_torrent_state(&self, hash: &str, state: &str) -> Result<(), SimError> {
        self.with(|w| {
            let d = w.download_mut(hash)?;
            d.state = state.to_string();
            if matches!(
                state,
                "stalledDL" | "pausedDL" | "stoppedDL" | "error" | "missingFiles"
            ) {
                d.dlspeed = 0;
            }
            Ok(())
        })
    }

    /// The torrent completes: progress 1, seeding (`stalledUP`).
    pub fn complete_download(&self, hash: &str) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let d = w.download_mut(hash)?;
            complete(d, now);
            Ok(())
        })
    }

    /// The torrent is removed from qBittorrent; the *arr queue drops it too.
    pub fn remove_torrent(&self, hash: &str) -> Result<(), SimError> {
        self.with(|w| {
            let d = w.download_mut(hash)?;
            d.in_client = false;
            if matches!(
                d.arr,
                ArrState::Tracking
                    | ArrState::ImportBlocked(_)
                    | ArrState::Failed(_)
                    | ArrState::Importing
            ) {
                d.arr = ArrState::Gone;
            }
            Ok(())
        })
    }

    /// Moves every Radarr and Sonarr history record into the past, in the
    /// order they were made, 20 s apart, the newest `before` ago: a populated
    /// library's history happened over the previous days, not in the instant
    /// `populate` ran (else every `history/since` re-reads all of it).
    pub fn age_history(&self, before: chrono::Duration) {
        let newest = Utc::now() - before;
        self.with(|w| {
            for list in [
                &mut w.radarr_history,
                &mut w.sonarr_history,
                &mut w.radarr_history_4k,
                &mut w.sonarr_history_4k,
            ] {
                let n = list.len();
                for (i, r) in list.iter_mut().enumerate() {
                    let steps = i64::try_from(n - 1 - i).unwrap_or(i64::MAX / 40);
                    r.date = newest - chrono::Duration::seconds(20 * steps);
                }
            }
        });
    }

    /// The torrent completed but the *arr cannot import it: queue `completed`,
    /// `warning`, `importBlocked`, with the message in `statusMessages`.
    pub fn import_blocked(&self, hash: &str, message: &str) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let d = w.download_mut(hash)?;
            complete(d, now);
            d.arr = ArrState::ImportBlocked(message.to_string());
            Ok(())
        })
    }

    /// The *arr has started importing the completed download: the queue
    /// item says `status` completed, `trackedDownloadState` `importing`
    /// (Radarr/Sonarr copy or hardlink the file; a large file on a slow disk
    /// or a network share takes minutes). No library file and no
    /// `downloadFolderImported` record yet: [`Self::import`] finishes it.
    pub fn start_import(&self, hash: &str) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let d = w.download_mut(hash)?;
            complete(d, now);
            d.arr = ArrState::Importing;
            Ok(())
        })
    }

    /// The download failed: queue `failed`/`failedPending` and a
    /// `downloadFailed` history record (per episode for Sonarr).
    pub fn download_failed(&self, hash: &str, message: &str) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let d = w.download_mut(hash)?;
            d.arr = ArrState::Failed(message.to_string());
            d.state = "error".into();
            d.dlspeed = 0;
            let d = d.clone();
            let mut data = BTreeMap::new();
            data.insert("downloadClient".into(), "qBittorrent".into());
            data.insert("downloadClientName".into(), "qBittorrent".into());
            data.insert("message".into(), message.to_string());
            data.insert("releaseGroup".into(), release_group(&d.name));
            data.insert("size".into(), d.size.to_string());
            data.insert("indexer".into(), INDEXER.into());
            for (app, media_id, episode_id) in history_targets(w, &d) {
                w.add_history_in(
                    app,
                    d.instance,
                    HistoryRecord {
                        id: 0,
                        media_id,
                        episode_id,
                        source_title: d.name.clone(),
                        date: now,
                        download_id: Some(d.upper_hash()),
                        event: HistoryEvent::DownloadFailed,
                        data: data.clone(),
                    },
                );
            }
            Ok(())
        })
    }

    /// The user removes the download from the *arr queue without blocklisting
    /// it: the item leaves the queue and the client, and a `downloadIgnored`
    /// record (message "Manually ignored") is written.
    pub fn ignore_download(&self, hash: &str) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let d = w.download_mut(hash)?;
            d.arr = ArrState::Gone;
            d.in_client = false;
            let d = d.clone();
            let mut data = BTreeMap::new();
            data.insert("downloadClient".into(), "qBittorrent".into());
            data.insert("downloadClientName".into(), "qBittorrent".into());
            data.insert("message".into(), "Manually ignored".into());
            data.insert("releaseGroup".into(), release_group(&d.name));
            data.insert("size".into(), d.size.to_string());
            for (app, media_id, episode_id) in history_targets(w, &d) {
                w.add_history_in(
                    app,
                    d.instance,
                    HistoryRecord {
                        id: 0,
                        media_id,
                        episode_id,
                        source_title: d.name.clone(),
                        date: now,
                        download_id: Some(d.upper_hash()),
                        event: HistoryEvent::DownloadIgnored,
                        data: data.clone(),
                    },
                );
            }
            Ok(())
        })
    }

    /// The *arr imports the download: the queue item leaves, the film or
    /// episodes get files under `/media/...`, and a `downloadFolderImported`
    /// record per file carries `importedPath`. Returns the library paths.
    pub fn import(&self, hash: &str) -> Result<Vec<String>, SimError> {
        let now = Utc::now();
        self.with(|w| {
            let key = hash.to_lowercase();
            let d = w.download_mut(&key)?;
            complete(d, now);
            d.arr = ArrState::Imported;
            let d = d.clone();
            let group = release_group(&d.name);
            let mut imported = Vec::new();
            match &d.target {
                Target::Movie { tmdb_id } => {
                    let file_id = w.next_id();
                    let movie = w
                        .radarr_movie_mut(d.instance, *tmdb_id)
                        .ok_or(SimError::UnknownMovie(*tmdb_id))?;
                    let relative = format!("{}.mkv", d.name);
                    let path = format!("{}/{relative}", movie.path());
                    let file = MediaFile {
                        id: file_id,
                        path: path.clone(),
                        relative_path: relative.clone(),
                        size: d.size,
                        date_added: now,
                        release_group: group.clone(),
                        scene_name: d.name.clone(),
                    };
                    movie.file = Some(file);
                    let radarr_id = movie.radarr_id;
                    let data = import_data(
                        file_id,
                        &format!("{DOWNLOADS}/{relative}"),
                        &path,
                        &group,
                        d.size,
                        None,
                    );
                    imported.push(path);
                    w.add_history_in(
                        ArrApp::Radarr,
                        d.instance,
                        HistoryRecord {
                            id: 0,
                            media_id: radarr_id,
                            episode_id: None,
                            source_title: d.name.clone(),
                            date: now,
                            download_id: Some(d.upper_hash()),
                            event: HistoryEvent::DownloadFolderImported,
                            data,
                        },
                    );
                }
                Target::Episodes { tvdb_id, episodes } => {
                    let count = episodes.len().max(1) as u64;
                    let per_file = d.size / count;
                    let release_type =
                        release_type(episodes, w.sonarr_series(d.instance, *tvdb_id));
                    for (season, number) in episodes {
                        let file_id = w.next_id();
                        let series = w
                            .sonarr_series_mut(d.instance, *tvdb_id)
                            .ok_or(SimError::UnknownSeries(*tvdb_id))?;
                        let series_path = series.path();
                        let title = series.title.clone();
                        let sonarr_id = series.sonarr_id;
                        let Some(e) = series
                            .episodes
                            .iter_mut()
                            .find(|e| e.season == *season && e.number == *number)
                        else {
                            continue;
                        };
                        let relative = format!(
                            "Season {season:02}/{title} - S{season:02}E{number:02} - {}.mkv",
                            e.title
                        );
                        let path = format!("{series_path}/{relative}");
                        e.file = Some(MediaFile {
                            id: file_id,
                            path: path.clone(),
                            relative_path: relative,
                            size: per_file,
                            date_added: now,
                            release_group: group.clone(),
                            scene_name: d.name.clone(),
                        });
                        let episode_id = e.id;
                        let dropped = if episodes.len() > 1 {
                            format!(
                                "{DOWNLOADS}/{}/{}.S{season:02}E{number:02}.mkv",
                                d.name,
                                title.replace(' ', ".")
                            )
                        } else {
                            format!("{DOWNLOADS}/{}.mkv", d.name)
                        };
                        let data = import_data(
                            file_id,
                            &dropped,
                            &path,
                            &group,
                            per_file,
                            Some(release_type),
                        );
                        imported.push(path);
                        w.add_history_in(
                            ArrApp::Sonarr,
                            d.instance,
                            HistoryRecord {
                                id: 0,
                                media_id: sonarr_id,
                                episode_id: Some(episode_id),
                                source_title: d.name.clone(),
                                date: now,
                                download_id: Some(d.upper_hash()),
                                event: HistoryEvent::DownloadFolderImported,
                                data,
                            },
                        );
                    }
                }
            }
            if let Some(d) = w.downloads.get_mut(&key) {
                d.imported_paths = imported.clone();
            }
            Ok(imported)
        })
    }

    /// Radarr deletes a film's file (`movieFileDeleted`, `hasFile` false).
    pub fn delete_movie_file(&self, tmdb_id: u64, reason: &str) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let movie = w
                .movies
                .get_mut(&tmdb_id)
                .ok_or(SimError::UnknownMovie(tmdb_id))?;
            let Some(file) = movie.file.take() else {
                return Ok(());
            };
            let radarr_id = movie.radarr_id;
            let mut data = BTreeMap::new();
            data.insert("reason".into(), reason.to_string());
            data.insert("releaseGroup".into(), file.release_group.clone());
            data.insert("size".into(), file.size.to_string());
            data.insert("indexerFlags".into(), "0".into());
            w.add_history(
                ArrApp::Radarr,
                HistoryRecord {
                    id: 0,
                    media_id: radarr_id,
                    episode_id: None,
                    source_title: file.path.clone(),
                    date: now,
                    download_id: None,
                    event: HistoryEvent::FileDeleted,
                    data,
                },
            );
            Ok(())
        })
    }
}

impl World {
    /// The grab behind [`SimWorld::grab_movie`], with the release's source
    /// (`hash` already checked and lower-cased).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn grab_movie(
        &mut self,
        instance: ArrInstance,
        tmdb_id: u64,
        hash: &str,
        release_title: &str,
        size: u64,
        source: ReleaseSource,
        now: DateTime<Utc>,
    ) -> Result<(), SimError> {
        let movie = self
            .radarr_movie(instance, tmdb_id)
            .ok_or(SimError::UnknownMovie(tmdb_id))?;
        let radarr_id = movie.radarr_id;
        let imdb = movie.imdb_id.clone();
        let target = Target::Movie { tmdb_id };
        supersede_failed(self, instance, &target);
        self.downloads.insert(
            hash.to_string(),
            new_download(hash, release_title, size, target, instance, now),
        );
        let mut data = grab_data(release_title, size, hash, source, now);
        data.insert("tmdbId".into(), tmdb_id.to_string());
        data.insert("imdbId".into(), imdb);
        data.insert("movieMatchType".into(), "Title".into());
        self.add_history_in(
            ArrApp::Radarr,
            instance,
            HistoryRecord {
                id: 0,
                media_id: radarr_id,
                episode_id: None,
                source_title: release_title.to_string(),
                date: now,
                download_id: Some(hash.to_uppercase()),
                event: HistoryEvent::Grabbed,
                data,
            },
        );
        Ok(())
    }

    /// The grab behind [`SimWorld::grab_episodes`], with the release's
    /// source (`hash` already checked and lower-cased).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn grab_episodes(
        &mut self,
        instance: ArrInstance,
        tvdb_id: u64,
        episodes: &[(u32, u32)],
        hash: &str,
        release_title: &str,
        size: u64,
        source: ReleaseSource,
        now: DateTime<Utc>,
    ) -> Result<(), SimError> {
        let series = self
            .sonarr_series(instance, tvdb_id)
            .ok_or(SimError::UnknownSeries(tvdb_id))?;
        let mut ids = Vec::new();
        for (season, number) in episodes {
            let e = series
                .episode(*season, *number)
                .ok_or(SimError::UnknownEpisode {
                    tvdb_id,
                    season: *season,
                    episode: *number,
                })?;
            ids.push(e.id);
        }
        let sonarr_id = series.sonarr_id;
        let imdb = series.imdb_id.clone();
        let target = Target::Episodes {
            tvdb_id,
            episodes: episodes.to_vec(),
        };
        supersede_failed(self, instance, &target);
        self.downloads.insert(
            hash.to_string(),
            new_download(hash, release_title, size, target, instance, now),
        );
        let release_type = release_type(episodes, self.sonarr_series(instance, tvdb_id));
        for episode_id in ids {
            let mut data = grab_data(release_title, size, hash, source, now);
            data.insert("tvdbId".into(), tvdb_id.to_string());
            data.insert("tvRageId".into(), "0".into());
            data.insert("imdbId".into(), imdb.clone());
            data.insert("seriesMatchType".into(), "Title".into());
            data.insert("releaseType".into(), release_type.into());
            self.add_history_in(
                ArrApp::Sonarr,
                instance,
                HistoryRecord {
                    id: 0,
                    media_id: sonarr_id,
                    episode_id: Some(episode_id),
                    source_title: release_title.to_string(),
                    date: now,
                    download_id: Some(hash.to_uppercase()),
                    event: HistoryEvent::Grabbed,
                    data,
                },
            );
        }
        Ok(())
    }
}

/// Where Shokofin's virtual file system puts anime items in Jellyfin.
pub(crate) const JELLYFIN_VFS: &str = "/config/Shokofin/VFS/anime/";
pub(crate) const INDEXER: &str = "Sim Tracker (Prowlarr)";

pub(super) fn new_download(
    hash: &str,
    name: &str,
    size: u64,
    target: Target,
    instance: ArrInstance,
    now: DateTime<Utc>,
) -> Download {
    Download {
        hash: hash.to_string(),
        name: name.to_string(),
        size,
        progress: 0.0,
        dlspeed: 0,
        state: "downloading".into(),
        added: now,
        completed: None,
        target,
        instance,
        arr: ArrState::Tracking,
        in_client: true,
        imported_paths: Vec::new(),
        autopilot: None,
    }
}

pub(super) fn complete(d: &mut Download, now: DateTime<Utc>) {
    if !d.is_complete() {
        d.progress = 1.0;
        d.completed = Some(now);
    }
    d.completed.get_or_insert(now);
    d.dlspeed = 0;
    if !d.state.ends_with("UP") && d.state != "uploading" {
        d.state = "stalledUP".into();
    }
}

/// A new grab replaces an earlier failed download of the same target by the
/// same instance: the *arr removes the failed one from the client and the
/// queue.
pub(super) fn supersede_failed(w: &mut World, instance: ArrInstance, target: &Target) {
    for d in w.downloads.values_mut().filter(|d| d.instance == instance) {
        let overlaps = match (&d.target, target) {
            (Target::Movie { tmdb_id: a }, Target::Movie { tmdb_id: b }) => a == b,
            (
                Target::Episodes {
                    tvdb_id: a,
                    episodes: ea,
                },
                Target::Episodes {
                    tvdb_id: b,
                    episodes: eb,
                },
            ) => a == b && ea.iter().any(|e| eb.contains(e)),
            _ => false,
        };
        if overlaps && matches!(d.arr, ArrState::Failed(_)) {
            d.arr = ArrState::Gone;
            d.in_client = false;
        }
    }
}

pub(super) fn grab_data(
    release: &str,
    size: u64,
    hash: &str,
    source: ReleaseSource,
    now: DateTime<Utc>,
) -> BTreeMap<String, String> {
    let mut data = BTreeMap::new();
    let published = now - chrono::Duration::hours(30);
    data.insert("indexer".into(), INDEXER.into());
    data.insert("releaseGroup".into(), release_group(release));
    data.insert("age".into(), "1".into());
    data.insert("ageHours".into(), "30".into());
    data.insert("ageMinutes".into(), "1800".into());
    data.insert("publishedDate".into(), arr_date(published));
    data.insert("downloadClient".into(), "qBittorrent".into());
    data.insert("downloadClientName".into(), "qBittorrent".into());
    data.insert("size".into(), size.to_string());
    data.insert("guid".into(), format!("sim-{hash}"));
    data.insert("protocol".into(), "2".into());
    data.insert("customFormatScore".into(), "0".into());
    data.insert("releaseSource".into(), source.name().into());
    data.insert("indexerFlags".into(), "0".into());
    data.insert("indexerId".into(), "1".into());
    data.insert("torrentInfoHash".into(), hash.to_string());
    data
}

pub(super) fn import_data(
    file_id: u64,
    dropped: &str,
    imported: &str,
    group: &str,
    size: u64,
    release_type: Option<&str>,
) -> BTreeMap<String, String> {
    let mut data = BTreeMap::new();
    data.insert("fileId".into(), file_id.to_string());
    data.insert("droppedPath".into(), dropped.to_string());
    data.insert("importedPath".into(), imported.to_string());
    data.insert("downloadClient".into(), "qBittorrent".into());
    data.insert("downloadClientName".into(), "qBittorrent".into());
    data.insert("releaseGroup".into(), group.to_string());
    data.insert("customFormatScore".into(), "0".into());
    data.insert("size".into(), size.to_string());
    data.insert("indexerFlags".into(), "0".into());
    if let Some(t) = release_type {
        data.insert("releaseType".into(), t.to_string());
    }
    data
}

/// `SingleEpisode`, `MultiEpisode` or `SeasonPack`.
pub(super) fn release_type(episodes: &[(u32, u32)], series: Option<&Series>) -> &'static str {
    match episodes {
        [_] => "SingleEpisode",
        [(season, _), ..] => {
            let whole = series.is_some_and(|s| {
                s.episodes
                    .iter()
                    .filter(|e| e.season == *season)
                    .all(|e| episodes.contains(&(e.season, e.number)))
            });
            if whole {
                "SeasonPack"
            } else {
                "MultiEpisode"
            }
        }
        [] => "SingleEpisode",
    }
}

/// `(which *arr, movieId/seriesId, episodeId)` for each history record a
/// download's event writes (in the instance that grabbed it).
pub(super) fn history_targets(w: &World, d: &Download) -> Vec<(ArrApp, u64, Option<u64>)> {
    match &d.target {
        Target::Movie { tmdb_id } => w
            .radarr_movie(d.instance, *tmdb_id)
            .map(|m| vec![(ArrApp::Radarr, m.radarr_id, None)])
            .unwrap_or_default(),
        Target::Episodes { tvdb_id, episodes } => w
            .sonarr_series(d.instance, *tvdb_id)
            .map(|s| {
                episodes
                    .iter()
                    .filter_map(|(season, n)| s.episode(*season, *n))
                    .map(|e| (ArrApp::Sonarr, s.sonarr_id, Some(e.id)))
                    .collect()
            })
            .unwrap_or_default(),
    }
}
