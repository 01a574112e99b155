//! Story steps: Shoko matching files and Jellyfin showing items.

use super::*;

impl SimWorld {
    // ----- Shoko -----

    /// Sets what Shoko knows about the imported file whose library path ends
    /// with `path_tail` (a full `/media/...` or `/mnt/anime/...` path works
    /// too). Shoko sees the file under `/mnt/anime/<Title (Year)>/...`.
    pub fn shoko_set(&self, path_tail: &str, state: ShokoState) -> Result<(), SimError> {
        let now = Utc::now();
        let tail = path_tail.replace('\\', "/").to_lowercase();
        let tail = tail
            .strip_prefix(SHOKO_ROOT)
            .map(|t| format!("/{t}"))
            .unwrap_or(tail);
        self.with(|w| {
            let files = w.all_files();
            let Some((owner, file)) = files
                .iter()
                .find(|(_, f)| f.path.to_lowercase().ends_with(&tail))
            else {
                return Err(SimError::UnknownPath(path_tail.to_string()));
            };
            w.shoko_set_file(*owner, file, state, now);
            Ok(())
        })
    }

    /// Sets Shoko's state for every file imported from one download.
    pub fn shoko_set_download(&self, hash: &str, state: ShokoState) -> Result<(), SimError> {
        let now = Utc::now();
        let key = hash.to_lowercase();
        self.with(|w| {
            if !w.downloads.contains_key(&key) {
                return Err(SimError::UnknownDownload(key));
            }
            for (owner, file) in w.imported_files(&key) {
                w.shoko_set_file(owner, &file, state, now);
            }
            Ok(())
        })
    }

    // ----- Jellyfin -----

    /// Jellyfin shows the film as a playable item (its imported file).
    /// Regular films carry `Tmdb`/`Imdb` ProviderIds; anime films (Shokofin)
    /// carry only `AniDB` and the Shoko ids. Seerr's Jellyfin scan then marks
    /// a regular film AVAILABLE and completes its request. Returns the item id.
    pub fn jellyfin_add_movie(&self, tmdb_id: u64) -> Result<String, SimError> {
        let now = Utc::now();
        self.with(|w| {
            w.movie(tmdb_id)?;
            if let Some(existing) = w.jellyfin.iter().find(|i| i.is_hd_movie(tmdb_id)) {
                return Ok(existing.id.clone());
            }
            w.jellyfin_push_movie(tmdb_id, now)
        })
    }

    /// The film's file is deleted (or moved out of the library) and
    /// Jellyfin's scan drops its item: `GET /Items` no longer lists it, and
    /// `ids=<old id>` returns nothing. Seerr is not told: it keeps saying
    /// AVAILABLE with the old `jellyfinMediaId` until its own availability
    /// sync ([`Self::seerr_availability_sync`]).
    pub fn jellyfin_remove_movie(&self, tmdb_id: u64) -> Result<(), SimError> {
        self.with(|w| {
            w.movie(tmdb_id)?;
            w.jellyfin.retain(|i| !i.is_hd_movie(tmdb_id));
            Ok(())
        })
    }

    /// Jellyfin derives an item's Id from its path: when the film's file is
    /// replaced by one under another name (an upgrade Radarr imported), the
    /// old item disappears and a new one appears, with a new Id, a new
    /// `DateCreated`, the current file's Path and the same ProviderIds.
    /// Seerr's recently-added scan then points `jellyfinMediaId` at the new
    /// item (the requests' `updatedAt` does not change). Returns the new Id.
    /// Call it after importing the new file; a file replaced under the same
    /// name keeps its Id ([`Self::jellyfin_touch_movie`]).
    pub fn jellyfin_replace_movie(&self, tmdb_id: u64) -> Result<String, SimError> {
        let now = Utc::now();
        self.with(|w| {
            w.movie(tmdb_id)?;
            w.jellyfin.retain(|i| !i.is_hd_movie(tmdb_id));
            w.jellyfin_push_movie(tmdb_id, now)
        })
    }

    /// Jellyfin refreshes the film's item in place (same path, so same Id and
    /// `DateCreated`): Path, size and ProviderIds are read again from the
    /// current file, as after a file rewritten under the same name or a
    /// metadata refresh. Nothing in the DateCreated feed shows the change.
    pub fn jellyfin_touch_movie(&self, tmdb_id: u64) -> Result<String, SimError> {
        let now = Utc::now();
        self.with(|w| {
            w.movie(tmdb_id)?;
            let Some(pos) = w.jellyfin.iter().position(|i| i.is_hd_movie(tmdb_id)) else {
                return Err(SimError::NotInJellyfin(tmdb_id));
            };
            let fresh = w.jellyfin_movie_item(tmdb_id, w.jellyfin[pos].id.clone(), now)?;
            let item = &mut w.jellyfin[pos];
            item.provider_ids = fresh.provider_ids;
            item.path = fresh.path;
            item.size = fresh.size;
            Ok(item.id.clone())
        })
    }

    /// Jellyfin shows playable episodes (creating the series item on first
    /// use). Regular series carry `Tvdb`/`Tmdb`; anime only AniDB and Shoko
    /// ids. A virtual placeholder for the same episode is replaced.
    pub fn jellyfin_add_episodes(
        &self,
        tvdb_id: u64,
        episodes: &[(u32, u32)],
    ) -> Result<(), SimError> {
        self.add_jf_episodes_in(ArrInstance::Hd, tvdb_id, episodes, false)
    }

    /// Jellyfin shows a metadata-only (virtual) episode: no file, no path,
    /// `LocationType` Virtual. Unaired episodes appear like this.
    pub fn jellyfin_add_virtual_episode(
        &self,
        tvdb_id: u64,
        season: u32,
        episode: u32,
    ) -> Result<(), SimError> {
        self.add_jf_episodes_in(ArrInstance::Hd, tvdb_id, &[(season, episode)], true)
    }

    /// Jellyfin shows episodes of one library: the HD one from the HD
    /// Sonarr's files (Jellyfin's paths are Sonarr's), the 4K one, in its
    /// own series item, from the 4K Sonarr's files under `/data/tv-4k/`.
    pub(super) fn add_jf_episodes_in(
        &self,
        library: ArrInstance,
        tvdb_id: u64,
        episodes: &[(u32, u32)],
        virtual_item: bool,
    ) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let series = match library {
                ArrInstance::Hd => w.series.get(&tvdb_id),
                ArrInstance::FourK => w.sonarr_series(library, tvdb_id),
            }
            .ok_or(SimError::UnknownSeries(tvdb_id))?
            .clone();
            for (season, number) in episodes {
                if series.episode(*season, *number).is_none() {
                    return Err(SimError::UnknownEpisode {
                        tvdb_id,
                        season: *season,
                        episode: *number,
                    });
                }
            }
            let series_item = match w
                .jellyfin
                .iter()
                .find(|i| i.owner == JfOwner::Series { tvdb_id } && i.library == library)
            {
                Some(i) => i.id.clone(),
                None => {
                    let id = w.new_jf_id();
                    let mut ids = BTreeMap::new();
                    if series.anime {
                        if let Some(anidb) = series.anidb_id {
                            ids.insert("AniDB".to_string(), anidb.to_string());
                            if let Some(s) = w.shoko_series.get(&anidb) {
                                ids.insert("Shoko Series".to_string(), s.to_string());
                            }
                        }
                    } else {
                        ids.insert("Tvdb".to_string(), tvdb_id.to_string());
                        ids.insert("Tmdb".to_string(), series.tmdb_id.to_string());
                        ids.insert("Imdb".to_string(), series.imdb_id.clone());
                    }
                    let path = if series.anime {
                        format!("{JELLYFIN_VFS}{}", series.folder())
                    } else if library.is_4k() {
                        format!("{JELLYFIN_TV_4K}{}", series.folder())
                    } else {
                        series.path()
                    };
                    w.jellyfin.push(JfItem {
                        id: id.clone(),
                        library,
                        versions: Vec::new(),
                        kind: JfKind::Series,
                        owner: JfOwner::Series { tvdb_id },
                        name: series.title.clone(),
                        year: Some(series.year),
                        provider_ids: ids,
                        virtual_item: false,
                        path: Some(path),
                        size: None,
                        series_id: None,
                        series_name: None,
                        season: None,
                        index: None,
                        created: now,
                    });
                    id
                }
            };
            let existing: HashMap<(u32, u32), bool> = w
                .jellyfin
                .iter()
                .filter(|i| i.library == library)
                .filter_map(|i| match i.owner {
                    JfOwner::Episode {
                        tvdb_id: t,
                        season,
                        number,
                    } if t == tvdb_id => Some(((season, number), i.virtual_item)),
                    _ => None,
                })
                .collect();
            for (season, number) in episodes {
                let owner = JfOwner::Episode {
                    tvdb_id,
                    season: *season,
                    number: *number,
                };
                if let Some(was_virtual) = existing.get(&(*season, *number)) {
                    if virtual_item || !was_virtual {
                        continue;
                    }
                    w.jellyfin
                        .retain(|i| i.owner != owner || i.library != library);
                }
                let Some(e) = series.episode(*season, *number) else {
                    continue;
                };
                let mut ids = BTreeMap::new();
                let mut path = None;
                let mut size = None;
                if !virtual_item {
                    let file = e.file.clone();
                    size = Some(file.as_ref().map(|f| f.size).unwrap_or(500_000_000));
                    if series.anime {
                        let fowner = FileOwner::Episode {
                            tvdb_id,
                            season: *season,
                            number: *number,
                        };
                        if let Some(f) = w.shoko_file_of(fowner) {
                            ids.insert("AniDB".to_string(), f.anidb_episode_id.to_string());
                            ids.insert("Shoko File".to_string(), f.id.to_string());
                            if f.shoko_episode_id != 0 {
                                ids.insert(
                                    "Shoko Episode".to_string(),
                                    f.shoko_episode_id.to_string(),
                                );
                            }
                        }
                        if let Some(s) = series.anidb_id.and_then(|a| w.shoko_series.get(&a)) {
                            ids.insert("Shoko Series".to_string(), s.to_string());
                        }
                        path = Some(format!(
                            "{JELLYFIN_VFS}{}",
                            file.as_ref()
                                .map(|f| shoko_relative(&f.path))
                                .unwrap_or_else(|| format!(
                                    "{}/S{season:02}E{number:02}.mkv",
                                    series.folder()
                                ))
                        ));
                    } else {
                        ids.insert("Tvdb".to_string(), e.tvdb_id.to_string());
                        let default = || {
                            format!(
                                "{}/Season {season:02}/{} - S{season:02}E{number:02}.mkv",
                                series.path(),
                                series.title
                            )
                        };
                        path = Some(if library.is_4k() {
                            let full = file.map(|f| f.path).unwrap_or_else(default);
                            format!(
                                "{JELLYFIN_TV_4K}{}/Season {season:02}/{}",
                                series.folder(),
                                super::instances::file_name(&full)
                            )
                        } else {
                            file.map(|f| f.path).unwrap_or_else(default)
                        });
                    }
                } else if !series.anime {
                    ids.insert("Tvdb".to_string(), e.tvdb_id.to_string());
                }
                let id = w.new_jf_id();
                w.jellyfin.push(JfItem {
                    id,
                    library,
                    versions: Vec::new(),
                    kind: JfKind::Episode,
                    owner,
                    name: e.title.clone(),
                    year: e.air_date.map(|d| chrono::Datelike::year(&d)),
                    provider_ids: ids,
                    virtual_item,
                    path,
                    size,
                    series_id: Some(series_item.clone()),
                    series_name: Some(series.title.clone()),
                    season: Some(*season),
                    index: Some(*number),
                    created: now,
                });
            }
            w.seerr_sees_jellyfin_series(tvdb_id, now);
            Ok(())
        })
    }

    /// The newest request for a film (`tv == false`) or series, by TMDB id.
    pub fn newest_request(&self, tmdb_id: u64, tv: bool) -> Option<u64> {
        let media = if tv {
            MediaRef::Tv { tmdb_id }
        } else {
            MediaRef::Movie { tmdb_id }
        };
        self.with(|w| {
            w.requests
                .values()
                .filter(|r| r.media == media)
                .map(|r| r.id)
                .max()
        })
    }

    /// The library paths imported from a download (empty before `import`).
    pub fn imported_paths(&self, hash: &str) -> Vec<String> {
        let key = hash.to_lowercase();
        self.with(|w| {
            w.downloads
                .get(&key)
                .map(|d| d.imported_paths.clone())
                .unwrap_or_default()
        })
    }

    /// The Jellyfin server id (`ServerId`, `/System/Info/Public` `Id`).
    pub fn jellyfin_server_id(&self) -> String {
        self.with(|w| w.server_id.clone())
    }
}
