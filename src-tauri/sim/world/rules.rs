//! The world's own consistency rules: what every story step keeps true
//! across the six services (ids, Seerr's clock and statuses, what each
//! service derives from the others).

use super::*;

impl World {
    pub(super) fn new(seed: u64) -> Self {
        let mut rng = fastrand::Rng::with_seed(seed);
        let server_id = hex_id(&mut rng, 32);
        let mut users = BTreeMap::new();
        let created = Utc::now() - chrono::Duration::days(400);
        users.insert(
            1,
            User {
                id: 1,
                username: None,
                jellyfin_username: Some("Admin".into()),
                email: "admin@example.com".into(),
                user_type: 3,
                permissions: 2,
                created,
            },
        );
        Self {
            rng,
            server_id,
            users,
            movies: BTreeMap::new(),
            series: BTreeMap::new(),
            movies_4k: BTreeMap::new(),
            series_4k: BTreeMap::new(),
            series_tmdb: HashMap::new(),
            requests: BTreeMap::new(),
            downloads: BTreeMap::new(),
            radarr_history: Vec::new(),
            sonarr_history: Vec::new(),
            radarr_history_4k: Vec::new(),
            sonarr_history_4k: Vec::new(),
            shoko_files: Vec::new(),
            shoko_series: BTreeMap::new(),
            jellyfin: Vec::new(),
            qb_sessions: HashMap::new(),
            qb_failed_logins: 0,
            qb_session_timeout: Duration::from_secs(3600),
            shoko_keys: HashMap::new(),
            urls: None,
            seerr_held: None,
            tmdb_unreachable: false,
            blocklist: Vec::new(),
            search_grabs: true,
            command_ids: [0; 4],
            next_id: 100,
        }
    }

    /// A fresh id, unique across all kinds of rows.
    pub fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// The time Seerr writes for a change made at `now`. Seerr's
    /// `createdAt`/`updatedAt` have one-second resolution (TypeORM on SQLite
    /// stores `datetime('now')`; every captured payload ends in `.000Z`), so
    /// several changes share one `updatedAt`. While a second is held, it is
    /// that second.
    pub fn seerr_time(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.seerr_held
            .unwrap_or_else(|| chrono::SubsecRound::trunc_subsecs(now, 0))
    }

    pub fn new_media(&mut self, now: DateTime<Utc>) -> SeerrMedia {
        let now = self.seerr_time(now);
        SeerrMedia {
            id: self.next_id(),
            status: media_status::UNKNOWN,
            created: now,
            updated: now,
            jellyfin_id: None,
            seasons: BTreeMap::new(),
            status_4k: media_status::UNKNOWN,
            jellyfin_id_4k: None,
            seasons_4k: BTreeMap::new(),
        }
    }

    pub fn series_by_tmdb(&self, tmdb_id: u64) -> Option<&Series> {
        self.series_tmdb
            .get(&tmdb_id)
            .and_then(|t| self.series.get(t))
    }

    pub(super) fn series_by_tmdb_mut(&mut self, tmdb_id: u64) -> Option<&mut Series> {
        let tvdb_id = *self.series_tmdb.get(&tmdb_id)?;
        self.series.get_mut(&tvdb_id)
    }

    pub fn media_of(&self, media: MediaRef) -> Option<&SeerrMedia> {
        match media {
            MediaRef::Movie { tmdb_id } => self.movies.get(&tmdb_id).map(|m| &m.seerr),
            MediaRef::Tv { tmdb_id } => self.series_by_tmdb(tmdb_id).map(|s| &s.seerr),
        }
    }

    pub(super) fn media_of_mut(&mut self, media: MediaRef) -> Option<&mut SeerrMedia> {
        match media {
            MediaRef::Movie { tmdb_id } => self.movies.get_mut(&tmdb_id).map(|m| &mut m.seerr),
            MediaRef::Tv { tmdb_id } => self.series_by_tmdb_mut(tmdb_id).map(|s| &mut s.seerr),
        }
    }

    pub(super) fn user_named(&mut self, name: &str, now: DateTime<Utc>) -> u64 {
        if let Some(u) = self
            .users
            .values()
            .find(|u| u.display_name().eq_ignore_ascii_case(name))
        {
            return u.id;
        }
        let id = self.users.keys().max().copied().unwrap_or(1) + 1;
        let slug: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        self.users.insert(
            id,
            User {
                id,
                username: Some(name.to_string()),
                jellyfin_username: None,
                email: format!("{slug}@example.com"),
                user_type: 2,
                permissions: 32,
                created: now - chrono::Duration::days(100),
            },
        );
        id
    }

    pub(super) fn request_mut(&mut self, id: u64) -> Result<&mut Request, SimError> {
        self.requests
            .get_mut(&id)
            .ok_or(SimError::UnknownRequest(id))
    }

    pub(super) fn download_mut(&mut self, hash: &str) -> Result<&mut Download, SimError> {
        let key = hash.to_lowercase();
        self.downloads
            .get_mut(&key)
            .ok_or(SimError::UnknownDownload(key))
    }

    /// Recomputes a media's status from its requests (pending/processing/unknown),
    /// keeping availability that Jellyfin or a scan established: `status`
    /// from the HD requests, `status4k` from the 4K ones.
    pub(super) fn refresh_media_status(&mut self, media: MediaRef, now: DateTime<Utc>) {
        self.refresh_media_status_of(media, false, now);
        self.refresh_media_status_of(media, true, now);
    }

    fn refresh_media_status_of(&mut self, media: MediaRef, is_4k: bool, now: DateTime<Utc>) {
        let now = self.seerr_time(now);
        let statuses: Vec<u8> = self
            .requests
            .values()
            .filter(|r| r.media == media && r.is_4k == is_4k)
            .map(|r| r.status)
            .collect();
        let Some(media_row) = self.media_of_mut(media) else {
            return;
        };
        let updated = &mut media_row.updated;
        let m = if is_4k {
            &mut media_row.status_4k
        } else {
            &mut media_row.status
        };
        if matches!(
            *m,
            media_status::AVAILABLE | media_status::PARTIALLY_AVAILABLE
        ) {
            return;
        }
        // DELETED stays while nothing is approved: a new request does not
        // reset it (only UNKNOWN becomes PENDING), an approval makes it
        // PROCESSING (`MediaRequestSubscriber.updateParentStatus`).
        if *m == media_status::DELETED && !statuses.contains(&request_status::APPROVED) {
            return;
        }
        let status = if statuses.contains(&request_status::APPROVED)
            || statuses.contains(&request_status::FAILED)
        {
            media_status::PROCESSING
        } else if statuses.contains(&request_status::PENDING) {
            media_status::PENDING
        } else {
            media_status::UNKNOWN
        };
        if status != *m {
            *m = status;
            *updated = now;
        }
    }

    pub(super) fn set_request_status(
        &mut self,
        id: u64,
        status: u8,
        now: DateTime<Utc>,
    ) -> Result<(), SimError> {
        let now = self.seerr_time(now);
        let r = self.request_mut(id)?;
        r.status = status;
        r.updated = now;
        r.modified_by = Some(1);
        for s in &mut r.seasons {
            s.status = status;
        }
        let media = r.media;
        self.refresh_media_status(media, now);
        Ok(())
    }

    pub(super) fn add_history(&mut self, app: ArrApp, rec: HistoryRecord) {
        self.add_history_in(app, ArrInstance::Hd, rec);
    }

    /// Writes a record into one instance's history (ids are unique across
    /// both instances, as the world's ids are).
    pub(super) fn add_history_in(
        &mut self,
        app: ArrApp,
        instance: ArrInstance,
        mut rec: HistoryRecord,
    ) {
        rec.id = self.next_id();
        self.history_mut(app, instance).push(rec);
    }

    /// Marks the media of every open request for this film/series available
    /// when Jellyfin shows it (the Jellyfin scan of Seerr), and completes the
    /// approved requests (v2.6+ behaviour). As Seerr's scanner
    /// (`processJellyfinMovie`) does, the item's media sources decide which:
    /// a video wider than 2000 px makes the 4K side AVAILABLE (with
    /// `jellyfinMediaId4k`) when a 4K Radarr is configured, any other the
    /// HD side; an item with both versions merged makes both AVAILABLE with
    /// the same item Id. Without a 4K Radarr every version counts as HD.
    pub(super) fn seerr_sees_jellyfin_movie(
        &mut self,
        tmdb_id: u64,
        item_id: &str,
        now: DateTime<Utc>,
    ) {
        let now = self.seerr_time(now);
        let enable_4k = self.has_4k(ArrApp::Radarr);
        let widths: Vec<u32> = self
            .jellyfin
            .iter()
            .find(|i| i.id == item_id)
            .map(|i| i.source_widths())
            .unwrap_or_else(|| vec![1920]);
        let has_4k = widths.iter().any(|w| *w > 2000);
        let has_other = widths.iter().any(|w| *w <= 2000);
        if let Some(m) = self.movies.get_mut(&tmdb_id) {
            if m.anime {
                // Jellyseerr ≤2.7 does not understand Shokofin's AniDB ids.
                return;
            }
            // The scan saves the media only when something changed: the
            // status, or `jellyfinMediaId` when the item has a new Id.
            if (has_other || (has_4k && !enable_4k))
                && (m.seerr.status != media_status::AVAILABLE
                    || m.seerr.jellyfin_id.as_deref() != Some(item_id))
            {
                m.seerr.status = media_status::AVAILABLE;
                m.seerr.jellyfin_id = Some(item_id.to_string());
                m.seerr.updated = now;
            }
            if has_4k
                && enable_4k
                && (m.seerr.status_4k != media_status::AVAILABLE
                    || m.seerr.jellyfin_id_4k.as_deref() != Some(item_id))
            {
                m.seerr.status_4k = media_status::AVAILABLE;
                m.seerr.jellyfin_id_4k = Some(item_id.to_string());
                m.seerr.updated = now;
            }
        }
        self.complete_requests(MediaRef::Movie { tmdb_id }, now);
    }

    pub(super) fn complete_requests(&mut self, media: MediaRef, now: DateTime<Utc>) {
        let now = self.seerr_time(now);
        let season_status: BTreeMap<u32, u8> = self
            .media_of(media)
            .map(|m| m.seasons.iter().map(|(n, (_, st))| (*n, *st)).collect())
            .unwrap_or_default();
        let season_status_4k = self
            .media_of(media)
            .map(|m| m.seasons_4k.clone())
            .unwrap_or_default();
        let media_available = self
            .media_of(media)
            .is_some_and(|m| m.status == media_status::AVAILABLE);
        let media_available_4k = self
            .media_of(media)
            .is_some_and(|m| m.status_4k == media_status::AVAILABLE);
        for r in self.requests.values_mut().filter(|r| r.media == media) {
            match media {
                MediaRef::Movie { .. } => {
                    let available = if r.is_4k {
                        media_available_4k
                    } else {
                        media_available
                    };
                    if r.status == request_status::APPROVED && available {
                        r.status = request_status::COMPLETED;
                        r.updated = now;
                    }
                }
                MediaRef::Tv { .. } => {
                    let seasons = if r.is_4k {
                        &season_status_4k
                    } else {
                        &season_status
                    };
                    let mut all = true;
                    for s in &mut r.seasons {
                        let available = seasons
                            .get(&s.number)
                            .is_some_and(|st| *st == media_status::AVAILABLE);
                        if available && s.status == request_status::APPROVED {
                            s.status = request_status::COMPLETED;
                        }
                        all &= available;
                    }
                    if all && r.status == request_status::APPROVED {
                        r.status = request_status::COMPLETED;
                        r.updated = now;
                    }
                }
            }
        }
    }

    /// Seerr's Jellyfin scan for a series: season status from the playable
    /// episodes Jellyfin holds. With a 4K Sonarr configured, Seerr reads
    /// each episode's media sources: a video wider than 2000 px counts for
    /// the season's `status4k`, any other for its `status` (an episode with
    /// both counts for both); without one every episode counts for `status`.
    pub(super) fn seerr_sees_jellyfin_series(&mut self, tvdb_id: u64, now: DateTime<Utc>) {
        let now = self.seerr_time(now);
        let today = now.date_naive();
        let enable_4k = self.has_4k(ArrApp::Sonarr);
        let Some(series) = self.series.get(&tvdb_id) else {
            return;
        };
        if series.anime {
            return;
        }
        let series_item = |library: ArrInstance| {
            self.jellyfin
                .iter()
                .find(|i| i.owner == JfOwner::Series { tvdb_id } && i.library == library)
                .map(|i| i.id.clone())
        };
        let hd_item = series_item(ArrInstance::Hd);
        let uhd_item = series_item(ArrInstance::FourK).or_else(|| hd_item.clone());
        let mut standard_eps = std::collections::BTreeSet::new();
        let mut eps_4k = std::collections::BTreeSet::new();
        for i in self.jellyfin.iter().filter(|i| !i.virtual_item) {
            let JfOwner::Episode {
                tvdb_id: t,
                season,
                number,
            } = i.owner
            else {
                continue;
            };
            if t != tvdb_id {
                continue;
            }
            let widths = i.source_widths();
            if !enable_4k || widths.iter().any(|w| *w <= 2000) {
                standard_eps.insert((season, number));
            }
            if enable_4k && widths.iter().any(|w| *w > 2000) {
                eps_4k.insert((season, number));
            }
        }
        let per_season = |playable_eps: &std::collections::BTreeSet<(u32, u32)>| {
            let mut out: BTreeMap<u32, u8> = BTreeMap::new();
            for def in &series.seasons {
                let aired: Vec<&Episode> = series
                    .episodes
                    .iter()
                    .filter(|e| e.season == def.number && e.air_date.is_some_and(|d| d <= today))
                    .collect();
                let playable = aired
                    .iter()
                    .filter(|e| playable_eps.contains(&(e.season, e.number)))
                    .count();
                let status = if aired.is_empty() || playable == 0 {
                    continue;
                } else if playable == aired.len() {
                    media_status::AVAILABLE
                } else {
                    media_status::PARTIALLY_AVAILABLE
                };
                out.insert(def.number, status);
            }
            out
        };
        let per_season_hd = per_season(&standard_eps);
        let per_season_4k = per_season(&eps_4k);
        let tmdb_id = series.tmdb_id;
        let season_count = series.seasons.iter().filter(|d| d.number > 0).count();
        let mut ids = Vec::new();
        for n in per_season_hd.keys().chain(per_season_4k.keys()) {
            let existing = self
                .series
                .get(&tvdb_id)
                .and_then(|s| s.seerr.seasons.get(n).map(|x| x.0));
            ids.push((*n, existing));
        }
        let mut assigned = Vec::new();
        for (n, id) in ids {
            if assigned.iter().any(|(m, _)| *m == n) {
                continue;
            }
            let id = match id {
                Some(id) => id,
                None => self.next_id(),
            };
            assigned.push((n, id));
        }
        if let Some(s) = self.series.get_mut(&tvdb_id) {
            for (n, id) in assigned {
                let status = per_season_hd
                    .get(&n)
                    .copied()
                    .or_else(|| s.seerr.seasons.get(&n).map(|x| x.1))
                    .unwrap_or(media_status::UNKNOWN);
                s.seerr.seasons.insert(n, (id, status));
            }
            for (n, status) in &per_season_4k {
                s.seerr.seasons_4k.insert(*n, *status);
            }
            let rollup = |seasons: &mut dyn Iterator<Item = (u32, u8)>, current: u8| {
                let seasons: Vec<(u32, u8)> = seasons.collect();
                let available = seasons
                    .iter()
                    .filter(|(n, st)| *n > 0 && *st == media_status::AVAILABLE)
                    .count();
                let any = seasons
                    .iter()
                    .any(|(_, st)| *st >= media_status::PARTIALLY_AVAILABLE);
                if available >= season_count && season_count > 0 {
                    media_status::AVAILABLE
                } else if any {
                    media_status::PARTIALLY_AVAILABLE
                } else {
                    current
                }
            };
            s.seerr.status = rollup(
                &mut s.seerr.seasons.iter().map(|(n, (_, st))| (*n, *st)),
                s.seerr.status,
            );
            if !per_season_4k.is_empty() {
                s.seerr.status_4k = rollup(
                    &mut s.seerr.seasons_4k.iter().map(|(n, st)| (*n, *st)),
                    s.seerr.status_4k,
                );
                s.seerr.jellyfin_id_4k = uhd_item;
            }
            s.seerr.jellyfin_id = hd_item.or(s.seerr.jellyfin_id.take());
            s.seerr.updated = now;
        }
        self.complete_requests(MediaRef::Tv { tmdb_id }, now);
    }

    /// The film with this TMDB id.
    pub(super) fn movie(&self, tmdb_id: u64) -> Result<&Movie, SimError> {
        self.movies
            .get(&tmdb_id)
            .ok_or(SimError::UnknownMovie(tmdb_id))
    }

    /// A playable Jellyfin item `id` for a film, built from what the world
    /// holds now (Radarr's file, Shoko's match for anime).
    pub(super) fn jellyfin_movie_item(
        &self,
        tmdb_id: u64,
        id: String,
        now: DateTime<Utc>,
    ) -> Result<JfItem, SimError> {
        let movie = self.movie(tmdb_id)?.clone();
        let mut ids = BTreeMap::new();
        let path = if movie.anime {
            let shoko = self.shoko_file_of(FileOwner::Movie { tmdb_id }).cloned();
            if let Some(anidb) = movie.anidb_id {
                ids.insert("AniDB".to_string(), anidb.to_string());
                if let Some(series) = self.shoko_series.get(&anidb) {
                    ids.insert("Shoko Series".to_string(), series.to_string());
                }
            }
            if let Some(f) = &shoko {
                ids.insert("Shoko File".to_string(), f.id.to_string());
                if f.shoko_episode_id != 0 {
                    ids.insert("Shoko Episode".to_string(), f.shoko_episode_id.to_string());
                }
            }
            format!(
                "{JELLYFIN_VFS}{}",
                movie
                    .file
                    .as_ref()
                    .map(|f| shoko_relative(&f.path))
                    .unwrap_or_else(|| movie.folder())
            )
        } else {
            ids.insert("Tmdb".to_string(), tmdb_id.to_string());
            ids.insert("Imdb".to_string(), movie.imdb_id.clone());
            movie
                .file
                .as_ref()
                .map(|f| f.path.clone())
                .unwrap_or_else(|| format!("{}/{}.mkv", movie.path(), movie.folder()))
        };
        Ok(JfItem {
            id,
            library: ArrInstance::Hd,
            versions: Vec::new(),
            kind: JfKind::Movie,
            owner: JfOwner::Movie { tmdb_id },
            name: movie.title.clone(),
            year: Some(movie.year),
            provider_ids: ids,
            virtual_item: false,
            path: Some(path),
            size: Some(movie.file.as_ref().map(|f| f.size).unwrap_or(1_000_000_000)),
            series_id: None,
            series_name: None,
            season: None,
            index: None,
            created: now,
        })
    }

    /// Jellyfin shows a new film item; Seerr's Jellyfin scan sees it.
    pub(super) fn jellyfin_push_movie(
        &mut self,
        tmdb_id: u64,
        now: DateTime<Utc>,
    ) -> Result<String, SimError> {
        let id = self.new_jf_id();
        let item = self.jellyfin_movie_item(tmdb_id, id.clone(), now)?;
        self.jellyfin.push(item);
        self.seerr_sees_jellyfin_movie(tmdb_id, &id, now);
        Ok(id)
    }

    pub(super) fn new_jf_id(&mut self) -> String {
        hex_id(&mut self.rng, 32)
    }

    /// The library files imported from one download (in the library of the
    /// instance that grabbed it), with their owners.
    pub(super) fn imported_files(&self, hash: &str) -> Vec<(FileOwner, MediaFile)> {
        let Some(d) = self.downloads.get(hash) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        match &d.target {
            Target::Movie { tmdb_id } => {
                if let Some(f) = self
                    .radarr_movie(d.instance, *tmdb_id)
                    .and_then(|m| m.file.clone())
                {
                    if d.imported_paths.contains(&f.path) {
                        out.push((FileOwner::Movie { tmdb_id: *tmdb_id }, f));
                    }
                }
            }
            Target::Episodes { tvdb_id, episodes } => {
                if let Some(s) = self.sonarr_series(d.instance, *tvdb_id) {
                    for (season, number) in episodes {
                        if let Some(f) = s.episode(*season, *number).and_then(|e| e.file.clone()) {
                            if d.imported_paths.contains(&f.path) {
                                let owner = FileOwner::Episode {
                                    tvdb_id: *tvdb_id,
                                    season: *season,
                                    number: *number,
                                };
                                out.push((owner, f));
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Every library file, with its owner.
    pub(super) fn all_files(&self) -> Vec<(FileOwner, MediaFile)> {
        let mut out = Vec::new();
        for m in self.movies.values() {
            if let Some(f) = &m.file {
                out.push((FileOwner::Movie { tmdb_id: m.tmdb_id }, f.clone()));
            }
        }
        for s in self.series.values() {
            for e in &s.episodes {
                if let Some(f) = &e.file {
                    let owner = FileOwner::Episode {
                        tvdb_id: s.tvdb_id,
                        season: e.season,
                        number: e.number,
                    };
                    out.push((owner, f.clone()));
                }
            }
        }
        out
    }

    pub(super) fn shoko_set_file(
        &mut self,
        owner: FileOwner,
        file: &MediaFile,
        state: ShokoState,
        now: DateTime<Utc>,
    ) {
        let relative = shoko_relative(&file.path);
        let server_path = format!("{SHOKO_ROOT}{relative}");
        if state == ShokoState::NotSeen {
            self.shoko_files.retain(|f| f.server_path != server_path);
            return;
        }
        if let ShokoState::Matched { anidb_id } | ShokoState::ImportLimbo { anidb_id } = state {
            match owner {
                FileOwner::Movie { tmdb_id } => {
                    if let Some(m) = self.movies.get_mut(&tmdb_id) {
                        m.anidb_id = Some(anidb_id);
                    }
                }
                FileOwner::Episode { tvdb_id, .. } => {
                    if let Some(s) = self.series.get_mut(&tvdb_id) {
                        s.anidb_id = Some(anidb_id);
                    }
                }
            }
            if matches!(state, ShokoState::Matched { .. })
                && !self.shoko_series.contains_key(&anidb_id)
            {
                let id = self.next_id();
                self.shoko_series.insert(anidb_id, id);
            }
        }
        let anidb_episode_id = match (owner, state) {
            (_, ShokoState::Matched { anidb_id } | ShokoState::ImportLimbo { anidb_id }) => {
                let n = match owner {
                    FileOwner::Movie { .. } => 1,
                    FileOwner::Episode {
                        tvdb_id,
                        season,
                        number,
                    } => self
                        .series
                        .get(&tvdb_id)
                        .and_then(|s| s.episode(season, number))
                        .and_then(|e| e.absolute)
                        .map(u64::from)
                        .unwrap_or(u64::from(season) * 100 + u64::from(number)),
                };
                anidb_id * 1000 + n
            }
            _ => 0,
        };
        if let Some(existing) = self
            .shoko_files
            .iter()
            .position(|f| f.server_path == server_path)
        {
            let shoko_episode_id = if self.shoko_files[existing].shoko_episode_id == 0
                && matches!(state, ShokoState::Matched { .. })
            {
                self.next_id()
            } else {
                self.shoko_files[existing].shoko_episode_id
            };
            let f = &mut self.shoko_files[existing];
            f.state = state;
            f.updated = now;
            f.anidb_episode_id = anidb_episode_id;
            f.shoko_episode_id = shoko_episode_id;
        } else {
            let id = self.next_id();
            let shoko_episode_id = if matches!(state, ShokoState::Matched { .. }) {
                self.next_id()
            } else {
                0
            };
            self.shoko_files.push(ShokoFile {
                id,
                server_path,
                relative_path: relative,
                size: file.size,
                state,
                owner,
                created: now,
                updated: now,
                shoko_episode_id,
                anidb_episode_id,
            });
        }
    }

    /// The Shoko file of a library file owner, if Shoko matched it.
    pub fn shoko_file_of(&self, owner: FileOwner) -> Option<&ShokoFile> {
        self.shoko_files.iter().find(|f| f.owner == owner)
    }
}
