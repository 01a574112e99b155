//! Several Radarr and Sonarr instances: the second (4K) library, queue and
//! history of each *arr, 4K requests in Seerr, and the versions of a film
//! Jellyfin shows (merged into one item, or separate items in separate
//! libraries).
//!
//! Seerr's catalogue stays in `World::movies`/`World::series`, together
//! with the HD instance's copy; the 4K instance's copies (their own movie,
//! series, episode and file ids, their own root folder) are in
//! `World::movies_4k`/`World::series_4k`. A download remembers the instance
//! that grabbed it, so the steps that work by hash (`set_progress`,
//! `complete_download`, `import`, ...) follow it.
//!
//! Upstream: Seerr `server/entity/MediaRequest.ts` (a 4K request makes the
//! media's `status4k` PENDING), `server/subscriber/MediaRequestSubscriber.ts`
//! (the 4K server gets the request; `externalServiceId4k`,
//! `externalServiceSlug4k`, `serviceId4k` are set after it added the
//! title), `server/lib/scanners/jellyfin/index.ts` (a media source whose
//! video is wider than 2000 px is 4K); Jellyfin
//! `Emby.Naming/Video/VideoListResolver.cs` (versions in one folder are one
//! item; the primary is the file named as the folder, else the highest
//! resolution) and `BaseItem.GetMediaSources` (one source per version,
//! each with its own item Id and Path, the item's own first).

use super::*;

/// The width of the video in a file, as Jellyfin's probe would report it,
/// read from the quality in its name (`2160p`, `720p`, else 1080p).
pub(crate) fn video_width(path: &str) -> u32 {
    let name = path.to_ascii_lowercase();
    if name.contains("2160p") || name.contains("uhd") {
        3840
    } else if name.contains("720p") {
        1280
    } else {
        1920
    }
}

/// The last component of a path (`/` or `\`).
pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// How Jellyfin orders the versions of a film in one folder: the file named
/// exactly as the folder first, then those with a resolution in their name,
/// highest first, then the others by name (`OrganizeAlternateVersions`).
fn version_rank(path: &str) -> (u8, std::cmp::Reverse<u32>, String) {
    let name = file_name(path);
    let stem = name.rsplit_once('.').map_or(name, |(s, _)| s);
    let folder = path
        .rsplit(['/', '\\'])
        .nth(1)
        .unwrap_or_default()
        .to_string();
    if stem == folder {
        return (0, std::cmp::Reverse(0), String::new());
    }
    let lower = stem.to_ascii_lowercase();
    let resolution = ["2160p", "1080p", "720p", "576p", "480p"]
        .iter()
        .find(|r| lower.contains(*r))
        .and_then(|r| r.trim_end_matches('p').parse::<u32>().ok());
    match resolution {
        Some(r) => (1, std::cmp::Reverse(r), stem.to_string()),
        None => (2, std::cmp::Reverse(0), stem.to_string()),
    }
}

impl JfItem {
    /// Whether this is the film's item in the HD library (the one the
    /// single-instance steps show, replace and remove).
    pub(crate) fn is_hd_movie(&self, tmdb_id: u64) -> bool {
        self.owner == JfOwner::Movie { tmdb_id } && self.library == ArrInstance::Hd
    }

    /// The widths of the videos of every version of the item.
    pub(crate) fn source_widths(&self) -> Vec<u32> {
        self.path
            .iter()
            .map(|p| video_width(p))
            .chain(self.versions.iter().map(|v| video_width(&v.path)))
            .collect()
    }
}

impl World {
    /// One Radarr's films (the HD instance: those of Seerr's catalogue it
    /// has).
    pub(crate) fn radarr_movies(&self, instance: ArrInstance) -> impl Iterator<Item = &Movie> {
        let map = match instance {
            ArrInstance::Hd => &self.movies,
            ArrInstance::FourK => &self.movies_4k,
        };
        map.values().filter(|m| m.in_library)
    }

    /// One Radarr's copy of a film.
    pub(crate) fn radarr_movie(&self, instance: ArrInstance, tmdb_id: u64) -> Option<&Movie> {
        let map = match instance {
            ArrInstance::Hd => &self.movies,
            ArrInstance::FourK => &self.movies_4k,
        };
        map.get(&tmdb_id).filter(|m| m.in_library)
    }

    pub(crate) fn radarr_movie_mut(
        &mut self,
        instance: ArrInstance,
        tmdb_id: u64,
    ) -> Option<&mut Movie> {
        let map = match instance {
            ArrInstance::Hd => &mut self.movies,
            ArrInstance::FourK => &mut self.movies_4k,
        };
        map.get_mut(&tmdb_id).filter(|m| m.in_library)
    }

    /// One Sonarr's series.
    pub(crate) fn sonarr_series_all(&self, instance: ArrInstance) -> impl Iterator<Item = &Series> {
        let map = match instance {
            ArrInstance::Hd => &self.series,
            ArrInstance::FourK => &self.series_4k,
        };
        map.values().filter(|s| s.in_library)
    }

    /// One Sonarr's copy of a series (by TVDB id).
    pub(crate) fn sonarr_series(&self, instance: ArrInstance, tvdb_id: u64) -> Option<&Series> {
        let map = match instance {
            ArrInstance::Hd => &self.series,
            ArrInstance::FourK => &self.series_4k,
        };
        map.get(&tvdb_id).filter(|s| s.in_library)
    }

    pub(crate) fn sonarr_series_mut(
        &mut self,
        instance: ArrInstance,
        tvdb_id: u64,
    ) -> Option<&mut Series> {
        let map = match instance {
            ArrInstance::Hd => &mut self.series,
            ArrInstance::FourK => &mut self.series_4k,
        };
        map.get_mut(&tvdb_id).filter(|s| s.in_library)
    }

    /// One *arr instance's history, oldest first.
    pub(crate) fn history(&self, app: ArrApp, instance: ArrInstance) -> &[HistoryRecord] {
        match (app.is_sonarr(), instance) {
            (false, ArrInstance::Hd) => &self.radarr_history,
            (true, ArrInstance::Hd) => &self.sonarr_history,
            (false, ArrInstance::FourK) => &self.radarr_history_4k,
            (true, ArrInstance::FourK) => &self.sonarr_history_4k,
        }
    }

    pub(crate) fn history_mut(
        &mut self,
        app: ArrApp,
        instance: ArrInstance,
    ) -> &mut Vec<HistoryRecord> {
        match (app.is_sonarr(), instance) {
            (false, ArrInstance::Hd) => &mut self.radarr_history,
            (true, ArrInstance::Hd) => &mut self.sonarr_history,
            (false, ArrInstance::FourK) => &mut self.radarr_history_4k,
            (true, ArrInstance::FourK) => &mut self.sonarr_history_4k,
        }
    }

    /// The slot of `command_ids` of one *arr instance.
    pub(crate) fn command_slot(app: ArrApp, instance: ArrInstance) -> usize {
        usize::from(app.is_sonarr()) + 2 * usize::from(instance.is_4k())
    }

    /// Whether Seerr has a 4K server of this kind in its settings (the
    /// stack was started with the 4K instances): its scanners then tell 4K
    /// files from the others (`enable4kMovie`, `enable4kShow`).
    pub(crate) fn has_4k(&self, app: ArrApp) -> bool {
        self.urls.as_ref().is_some_and(|u| {
            if app.is_sonarr() {
                u.sonarr_4k.is_some()
            } else {
                u.radarr_4k.is_some()
            }
        })
    }

    /// A Seerr catalogue entry for a film only the 4K Radarr has (not in
    /// the HD library).
    fn catalogue_movie(&mut self, tmdb_id: u64, title: &str, year: i32, anime: bool) {
        if self.movies.contains_key(&tmdb_id) {
            return;
        }
        let now = Utc::now();
        let radarr_id = self.next_id();
        let seerr = self.new_media(now);
        self.movies.insert(
            tmdb_id,
            Movie {
                in_library: false,
                root: MOVIES_ROOT,
                radarr_id,
                tmdb_id,
                imdb_id: format!("tt{:07}", tmdb_id % 10_000_000),
                title: title.to_string(),
                year,
                anime,
                added: now,
                file: None,
                anidb_id: None,
                seerr,
            },
        );
    }

    /// The 4K Radarr adds a film of Seerr's catalogue to its library (own
    /// movie id, own root folder, no file). Nothing when it has it.
    pub(crate) fn add_movie_4k(
        &mut self,
        tmdb_id: u64,
        now: DateTime<Utc>,
    ) -> Result<(), SimError> {
        if self.movies_4k.contains_key(&tmdb_id) {
            return Ok(());
        }
        let mut copy = self.movie(tmdb_id)?.clone();
        copy.in_library = true;
        copy.root = MOVIES_4K_ROOT;
        copy.radarr_id = self.next_id();
        copy.added = now;
        copy.file = None;
        self.movies_4k.insert(tmdb_id, copy);
        Ok(())
    }

    /// The Sonarr instance adds a series Seerr hands it (the 4K one: its own
    /// copy, with the catalogue's seasons), unless it has it.
    pub(crate) fn ensure_in_sonarr(
        &mut self,
        instance: ArrInstance,
        tvdb_id: u64,
        now: DateTime<Utc>,
    ) {
        let Some(s) = self.series.get(&tvdb_id) else {
            return;
        };
        match instance {
            ArrInstance::Hd => {
                if let Some(s) = self.series.get_mut(&tvdb_id) {
                    s.in_library = true;
                }
            }
            ArrInstance::FourK if !self.series_4k.contains_key(&tvdb_id) => {
                let seasons: Vec<(u32, u32, NaiveDate)> = s
                    .seasons
                    .iter()
                    .filter_map(|d| {
                        let eps = s.episodes.iter().filter(|e| e.season == d.number);
                        let count = u32::try_from(eps.clone().count()).ok()?;
                        let first = eps.filter_map(|e| e.air_date).min()?;
                        Some((d.number, count, first))
                    })
                    .collect();
                let (tmdb_id, title, year, anime) = (s.tmdb_id, s.title.clone(), s.year, s.anime);
                let mut copy =
                    self.new_series(tvdb_id, tmdb_id, &title, year, anime, &seasons, now);
                copy.root = TV_4K_ROOT;
                self.series_4k.insert(tvdb_id, copy);
            }
            ArrInstance::FourK => {}
        }
    }

    /// The Radarr instance adds a film Seerr hands it (`addMovie`), unless
    /// it has it.
    pub(crate) fn ensure_in_radarr(
        &mut self,
        instance: ArrInstance,
        tmdb_id: u64,
        now: DateTime<Utc>,
    ) -> Result<(), SimError> {
        match instance {
            ArrInstance::FourK => self.add_movie_4k(tmdb_id, now),
            ArrInstance::Hd => {
                let m = self
                    .movies
                    .get_mut(&tmdb_id)
                    .ok_or(SimError::UnknownMovie(tmdb_id))?;
                if !m.in_library {
                    m.in_library = true;
                    m.added = now;
                }
                Ok(())
            }
        }
    }
}

impl SimWorld {
    // ----- libraries -----

    /// Adds a film to one Radarr's library (monitored, no file): the HD one
    /// is [`Self::add_movie`]; the 4K one gets its own copy (its own movie
    /// id, under `/media/movies-4k/`), and Seerr's catalogue gets the film
    /// when it lacks it (without putting it in the HD library).
    pub fn add_movie_in(
        &self,
        instance: ArrInstance,
        tmdb_id: u64,
        title: &str,
        year: i32,
        anime: bool,
    ) {
        match instance {
            ArrInstance::Hd => self.add_movie(tmdb_id, title, year, anime),
            ArrInstance::FourK => {
                let now = Utc::now();
                self.with(|w| {
                    w.catalogue_movie(tmdb_id, title, year, anime);
                    let _ = w.add_movie_4k(tmdb_id, now);
                });
            }
        }
    }

    /// Adds a series to one Sonarr's library: the HD one is
    /// [`Self::add_series`]; the 4K one gets its own copy (own series,
    /// episode and file ids, under `/media/tv-4k/`), and Seerr's catalogue
    /// gets the series when it lacks it.
    #[allow(clippy::too_many_arguments)]
    pub fn add_series_in(
        &self,
        instance: ArrInstance,
        tvdb_id: u64,
        tmdb_id: u64,
        title: &str,
        year: i32,
        anime: bool,
        seasons: &[(u32, u32, NaiveDate)],
    ) {
        let now = Utc::now();
        self.with(|w| {
            let known = w.series.contains_key(&tvdb_id);
            if instance == ArrInstance::Hd || !known {
                let mut s = w.new_series(tvdb_id, tmdb_id, title, year, anime, seasons, now);
                if let Some(old) = w.series.get(&tvdb_id).filter(|o| !o.in_library) {
                    // A series only the 4K Sonarr had keeps Seerr's row.
                    s.seerr = old.seerr.clone();
                }
                s.in_library = instance == ArrInstance::Hd;
                w.series_tmdb.insert(tmdb_id, tvdb_id);
                w.series.insert(tvdb_id, s);
            }
            if instance == ArrInstance::FourK {
                let mut s = w.new_series(tvdb_id, tmdb_id, title, year, anime, seasons, now);
                s.root = TV_4K_ROOT;
                w.series_4k.insert(tvdb_id, s);
            }
        });
    }

    /// Whether the world's stack has the 4K Radarr and Sonarr
    /// ([`super::super::SimStack::start_4k`]).
    pub fn has_4k_instances(&self) -> bool {
        self.with(|w| w.has_4k(ArrApp::Radarr) && w.has_4k(ArrApp::Sonarr))
    }

    // ----- 4K requests -----

    /// A PENDING 4K film request by `user`: `is4k` true, `serverId` the 4K
    /// Radarr's (1); the media's `status4k` becomes PENDING, its `status`
    /// is left alone. Returns the request id.
    pub fn request_movie_4k(&self, tmdb_id: u64, user: &str) -> Result<u64, SimError> {
        self.request_movie_as(tmdb_id, user, true)
    }

    /// A PENDING 4K series request for `seasons` (by TMDB id), sent to the
    /// 4K Sonarr (`serverId` 1).
    pub fn request_series_4k(
        &self,
        tmdb_id: u64,
        seasons: &[u32],
        user: &str,
    ) -> Result<u64, SimError> {
        self.request_series_as(tmdb_id, seasons, user, true)
    }

    /// The admin approves in Seerr and Seerr hands the request to its
    /// Radarr or Sonarr (a 4K request to the 4K one), as `POST
    /// /api/v1/request/{id}/approve` does: APPROVED, the media (its
    /// `status4k` for a 4K request) PROCESSING, and the *arr adds the title
    /// and searches; a grab is then carried on by the autopilot. When that
    /// *arr is down, the request becomes FAILED.
    pub fn approve_and_send(&self, request_id: u64) -> Result<(), SimError> {
        let now = Utc::now();
        let target = self.with(|w| {
            w.requests
                .get(&request_id)
                .map(|r| (r.media, r.is_4k))
                .ok_or(SimError::UnknownRequest(request_id))
        })?;
        let service = match target.0 {
            MediaRef::Movie { .. } => Service::Radarr,
            MediaRef::Tv { .. } => Service::Sonarr,
        };
        let up = matches!(
            self.instance_mode(service, ArrInstance::of_request(target.1)),
            FailureMode::Up | FailureMode::Slow(_)
        );
        self.with(|w| {
            if w.seerr_save_status(request_id, request_status::APPROVED, Some(1), now)? {
                w.seerr_update_parent(request_id, now);
                w.seerr_hand_off(request_id, up, now);
            }
            Ok(())
        })
    }

    /// The newest request of one kind (4K or not) for a film (`tv ==
    /// false`) or series, by TMDB id.
    pub fn newest_request_of(&self, tmdb_id: u64, tv: bool, is_4k: bool) -> Option<u64> {
        let media = if tv {
            MediaRef::Tv { tmdb_id }
        } else {
            MediaRef::Movie { tmdb_id }
        };
        self.with(|w| {
            w.requests
                .values()
                .filter(|r| r.media == media && r.is_4k == is_4k)
                .map(|r| r.id)
                .max()
        })
    }

    // ----- grabs -----

    /// One Radarr grabs a release ([`Self::grab_movie`] for the HD one): the
    /// record lands in that instance's queue and history only; the torrent
    /// in the one qBittorrent.
    pub fn grab_movie_in(
        &self,
        instance: ArrInstance,
        tmdb_id: u64,
        hash: &str,
        release_title: &str,
        size: u64,
    ) -> Result<(), SimError> {
        let now = Utc::now();
        let hash = check_hash(hash)?;
        self.with(|w| {
            w.grab_movie(
                instance,
                tmdb_id,
                &hash,
                release_title,
                size,
                ReleaseSource::Rss,
                now,
            )
        })
    }

    /// One Sonarr grabs a release for some episodes
    /// ([`Self::grab_episodes`] for the HD one).
    pub fn grab_episodes_in(
        &self,
        instance: ArrInstance,
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
                instance,
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

    // ----- Jellyfin versions -----

    /// Jellyfin shows the film from one instance's library: the HD one is
    /// [`Self::jellyfin_add_movie`]; the 4K one is a separate item in the
    /// 4K library (same `Tmdb`), whose Path is the 4K Radarr's file under
    /// Jellyfin's own mount (`/data/movies-4k/<Title (Year)>/<file name>`:
    /// another prefix than Radarr's, the same file name). Seerr's Jellyfin
    /// scan then sees it (a 2160p file makes the 4K side AVAILABLE).
    /// Returns the item id (the existing one when it is there).
    pub fn jellyfin_add_movie_in(
        &self,
        instance: ArrInstance,
        tmdb_id: u64,
    ) -> Result<String, SimError> {
        if instance == ArrInstance::Hd {
            return self.jellyfin_add_movie(tmdb_id);
        }
        let now = Utc::now();
        self.with(|w| {
            let movie = w
                .radarr_movie(ArrInstance::FourK, tmdb_id)
                .ok_or(SimError::UnknownMovie(tmdb_id))?
                .clone();
            if let Some(i) = w
                .jellyfin
                .iter()
                .find(|i| i.owner == JfOwner::Movie { tmdb_id } && i.library == ArrInstance::FourK)
            {
                return Ok(i.id.clone());
            }
            let name = movie
                .file
                .as_ref()
                .map(|f| file_name(&f.path).to_string())
                .unwrap_or_else(|| format!("{}.mkv", movie.folder()));
            let path = format!("{JELLYFIN_MOVIES_4K}{}/{name}", movie.folder());
            let size = movie.file.as_ref().map(|f| f.size).unwrap_or(1_000_000_000);
            Ok(w.jellyfin_push_version_item(tmdb_id, path, size, ArrInstance::FourK, now))
        })
    }

    /// Jellyfin shows one more version of a film, at `file_path` (as
    /// Jellyfin sees it). `merged`: the file sits in the folder of the
    /// film's HD item, named `<folder> - <label>.mkv`, and Jellyfin merges
    /// it into that item (made first from the HD file if there is none):
    /// one item, one media source per version (each with its own Id and
    /// Path). When the new file becomes the primary version (named as the
    /// folder, or the highest resolution), the item's Id and Path switch to
    /// it and the old primary stays as a source with its own Id. Not
    /// `merged`: the file is in another root folder (a second library),
    /// and Jellyfin shows a separate item with the same `Tmdb`. Seerr's
    /// Jellyfin scan then sees the item. Returns the item's Id after the
    /// change.
    pub fn jellyfin_add_movie_version(
        &self,
        tmdb_id: u64,
        file_path: &str,
        merged: bool,
    ) -> Result<String, SimError> {
        let now = Utc::now();
        if !merged {
            return self.with(|w| {
                w.movie(tmdb_id)?;
                Ok(w.jellyfin_push_version_item(
                    tmdb_id,
                    file_path.to_string(),
                    21_500_000_000,
                    ArrInstance::FourK,
                    now,
                ))
            });
        }
        self.jellyfin_add_movie(tmdb_id)?;
        self.with(|w| {
            let pos = w
                .jellyfin
                .iter()
                .position(|i| i.owner == JfOwner::Movie { tmdb_id } && i.library == ArrInstance::Hd)
                .ok_or(SimError::NotInJellyfin(tmdb_id))?;
            let version_id = w.new_jf_id();
            let new_primary_id = w.new_jf_id();
            let item = &mut w.jellyfin[pos];
            let version = JfVersion {
                id: version_id,
                path: file_path.to_string(),
                size: 21_500_000_000,
            };
            let old_primary = item.path.clone().unwrap_or_default();
            if version_rank(file_path) < version_rank(&old_primary) {
                // The new file is the primary now: the item is the new
                // file's (a new Id, its Path); the old one is a version.
                item.versions.push(JfVersion {
                    id: std::mem::replace(&mut item.id, new_primary_id),
                    path: old_primary,
                    size: item.size.unwrap_or(0),
                });
                item.path = Some(version.path);
                item.size = Some(version.size);
                item.created = now;
            } else {
                item.versions.push(version);
            }
            let id = item.id.clone();
            w.seerr_sees_jellyfin_movie(tmdb_id, &id, now);
            Ok(id)
        })
    }

    /// Jellyfin shows playable episodes from one instance's library: the
    /// HD one is [`Self::jellyfin_add_episodes`]; the 4K one puts them in a
    /// separate series item of the 4K library, with the 4K Sonarr's files
    /// under Jellyfin's mount (`/data/tv-4k/<Title (Year)>/Season NN/<file
    /// name>`).
    pub fn jellyfin_add_episodes_in(
        &self,
        instance: ArrInstance,
        tvdb_id: u64,
        episodes: &[(u32, u32)],
    ) -> Result<(), SimError> {
        self.add_jf_episodes_in(instance, tvdb_id, episodes, false)
    }

    /// The Jellyfin item ids showing a film, in every library.
    pub fn jellyfin_movie_items(&self, tmdb_id: u64) -> Vec<String> {
        self.with(|w| {
            w.jellyfin
                .iter()
                .filter(|i| i.owner == JfOwner::Movie { tmdb_id })
                .map(|i| i.id.clone())
                .collect()
        })
    }
}

impl World {
    /// A new film item with one version at `path` in `library`; Seerr's
    /// Jellyfin scan sees it. Returns its Id.
    fn jellyfin_push_version_item(
        &mut self,
        tmdb_id: u64,
        path: String,
        size: u64,
        library: ArrInstance,
        now: DateTime<Utc>,
    ) -> String {
        let id = self.new_jf_id();
        let (name, year, imdb) = self
            .movies
            .get(&tmdb_id)
            .map(|m| (m.title.clone(), m.year, m.imdb_id.clone()))
            .unwrap_or_default();
        let mut ids = BTreeMap::new();
        ids.insert("Tmdb".to_string(), tmdb_id.to_string());
        ids.insert("Imdb".to_string(), imdb);
        self.jellyfin.push(JfItem {
            id: id.clone(),
            library,
            versions: Vec::new(),
            kind: JfKind::Movie,
            owner: JfOwner::Movie { tmdb_id },
            name,
            year: Some(year),
            provider_ids: ids,
            virtual_item: false,
            path: Some(path),
            size: Some(size),
            series_id: None,
            series_name: None,
            season: None,
            index: None,
            created: now,
        });
        self.seerr_sees_jellyfin_movie(tmdb_id, &id, now);
        id
    }
}
