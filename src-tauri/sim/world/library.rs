//! Story steps: the libraries (films and series in Seerr's catalogue and the
//! *arrs) and the requests people make in Jellyseerr.

use super::*;

impl SimWorld {
    // ----- library -----

    /// Adds a film to Seerr's catalogue and Radarr's library (monitored, no
    /// file). Anime films carry TMDB keyword 210024 and Radarr tag `anime`.
    /// A film only the 4K Radarr had keeps Seerr's media row.
    pub fn add_movie(&self, tmdb_id: u64, title: &str, year: i32, anime: bool) {
        let now = Utc::now();
        self.with(|w| {
            let radarr_id = w.next_id();
            let seerr = match w.movies.get(&tmdb_id) {
                Some(m) if !m.in_library => m.seerr.clone(),
                _ => w.new_media(now),
            };
            w.movies.insert(
                tmdb_id,
                Movie {
                    in_library: true,
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
        });
    }

    /// Adds a series to Seerr and Sonarr. `seasons` lists `(season number,
    /// episode count, first air date)`; episodes air weekly from that date,
    /// so a date in the past with more episodes than weeks gives an airing
    /// series with unaired episodes. Anime series are Sonarr `seriesType`
    /// anime with absolute numbers.
    pub fn add_series(
        &self,
        tvdb_id: u64,
        tmdb_id: u64,
        title: &str,
        year: i32,
        anime: bool,
        seasons: &[(u32, u32, NaiveDate)],
    ) {
        self.add_series_in(
            ArrInstance::Hd,
            tvdb_id,
            tmdb_id,
            title,
            year,
            anime,
            seasons,
        );
    }

    /// Renames an episode (Sonarr's and Jellyfin's `title`): episode titles
    /// are service text like any other, hostile ones included.
    pub fn set_episode_title(
        &self,
        tvdb_id: u64,
        season: u32,
        number: u32,
        title: &str,
    ) -> Result<(), SimError> {
        self.with(|w| {
            let series = w
                .series
                .get_mut(&tvdb_id)
                .ok_or(SimError::UnknownSeries(tvdb_id))?;
            let e = series
                .episodes
                .iter_mut()
                .find(|e| e.season == season && e.number == number)
                .ok_or(SimError::UnknownEpisode {
                    tvdb_id,
                    season,
                    episode: number,
                })?;
            e.title = title.to_string();
            Ok(())
        })
    }

    // ----- Seerr requests -----

    /// A PENDING film request by `user` (created on first use). Returns the
    /// request id.
    pub fn request_movie(&self, tmdb_id: u64, user: &str) -> Result<u64, SimError> {
        self.request_movie_as(tmdb_id, user, false)
    }

    /// A PENDING film request, 4K (to the 4K Radarr, `serverId` 1) or not
    /// (`serverId` null: Seerr's default server).
    pub(super) fn request_movie_as(
        &self,
        tmdb_id: u64,
        user: &str,
        is_4k: bool,
    ) -> Result<u64, SimError> {
        let now = Utc::now();
        self.with(|w| {
            w.movie(tmdb_id)?;
            let requested_by = w.user_named(user, now);
            let now = w.seerr_time(now);
            let id = w.next_id();
            w.requests.insert(
                id,
                Request {
                    id,
                    media: MediaRef::Movie { tmdb_id },
                    seasons: Vec::new(),
                    status: request_status::PENDING,
                    created: now,
                    updated: now,
                    requested_by,
                    modified_by: None,
                    is_4k,
                    server_id: is_4k.then(|| ArrInstance::FourK.seerr_server_id()),
                },
            );
            w.refresh_media_status(MediaRef::Movie { tmdb_id }, now);
            Ok(id)
        })
    }

    /// A PENDING series request for `seasons` (by TMDB id, as Seerr keys tv).
    pub fn request_series(
        &self,
        tmdb_id: u64,
        seasons: &[u32],
        user: &str,
    ) -> Result<u64, SimError> {
        self.request_series_as(tmdb_id, seasons, user, false)
    }

    /// A PENDING series request, 4K or not.
    pub(super) fn request_series_as(
        &self,
        tmdb_id: u64,
        seasons: &[u32],
        user: &str,
        is_4k: bool,
    ) -> Result<u64, SimError> {
        let now = Utc::now();
        self.with(|w| {
            if w.series_by_tmdb(tmdb_id).is_none() {
                return Err(SimError::UnknownSeries(tmdb_id));
            }
            let requested_by = w.user_named(user, now);
            let now = w.seerr_time(now);
            let id = w.next_id();
            let season_rows = seasons
                .iter()
                .map(|n| SeasonRequest {
                    id: w.next_id(),
                    number: *n,
                    status: request_status::PENDING,
                })
                .collect();
            w.requests.insert(
                id,
                Request {
                    id,
                    media: MediaRef::Tv { tmdb_id },
                    seasons: season_rows,
                    status: request_status::PENDING,
                    created: now,
                    updated: now,
                    requested_by,
                    modified_by: None,
                    is_4k,
                    server_id: is_4k.then(|| ArrInstance::FourK.seerr_server_id()),
                },
            );
            w.refresh_media_status(MediaRef::Tv { tmdb_id }, now);
            Ok(id)
        })
    }

    /// The admin approves: request APPROVED, media PROCESSING.
    pub fn approve(&self, request_id: u64) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| w.set_request_status(request_id, request_status::APPROVED, now))
    }

    /// The admin declines: request DECLINED (its season rows too). As Seerr's
    /// `updateParentStatus` does, a film's media becomes UNKNOWN unless it
    /// is DELETED (even when it was available), a series' media only while
    /// it is PENDING with no other pending request. Declining a request the
    /// admin already declined changes nothing.
    pub fn decline(&self, request_id: u64) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            if w.seerr_save_status(request_id, request_status::DECLINED, Some(1), now)? {
                w.seerr_update_parent(request_id, now);
            }
            Ok(())
        })
    }

    /// Seerr could not hand the request to Radarr/Sonarr: request FAILED.
    pub fn mark_failed(&self, request_id: u64) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| w.set_request_status(request_id, request_status::FAILED, now))
    }

    /// Seerr's bulk approve: many requests approved within one second, so
    /// they all carry the same `updatedAt` (the held second, if any). Fails,
    /// changing nothing, when one id is unknown.
    pub fn bulk_approve(&self, request_ids: &[u64]) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            if let Some(id) = request_ids.iter().find(|id| !w.requests.contains_key(id)) {
                return Err(SimError::UnknownRequest(*id));
            }
            let at = w.seerr_time(now);
            for id in request_ids {
                w.set_request_status(*id, request_status::APPROVED, at)?;
            }
            Ok(())
        })
    }

    /// The admin approves and Seerr's hand-off to Radarr/Sonarr fails at
    /// once: Seerr answers the approve with 200, then sets the request FAILED
    /// (status 4), both within one second (one `updatedAt`).
    pub fn approve_then_fail_same_second(&self, request_id: u64) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let at = w.seerr_time(now);
            w.set_request_status(request_id, request_status::APPROVED, at)?;
            w.set_request_status(request_id, request_status::FAILED, at)
        })
    }

    /// Runs `steps` with Seerr's clock held at the second of the request's
    /// last change: every Seerr change inside carries that `updatedAt`, as
    /// when a change lands in the same second as one a client already read
    /// (a decline right after a poll, a hand-off failing right after the
    /// approve). Other services keep the real clock, and so does the `Date`
    /// header of Seerr's answers: run the steps right after the poll they
    /// race with (a real second cannot be written once Seerr's clock has
    /// left it).
    pub fn seerr_in_second_of<T>(
        &self,
        request_id: u64,
        steps: impl FnOnce() -> T,
    ) -> Result<T, SimError> {
        let previous = self.with(|w| {
            let second = w
                .requests
                .get(&request_id)
                .map(|r| r.updated)
                .ok_or(SimError::UnknownRequest(request_id))?;
            Ok(w.seerr_held.replace(second))
        })?;
        /// Puts the clock back even when `steps` panics.
        struct Restore<'a>(&'a SimWorld, Option<DateTime<Utc>>);
        impl Drop for Restore<'_> {
            fn drop(&mut self) {
                let previous = self.1;
                self.0.with(|w| w.seerr_held = previous);
            }
        }
        let _restore = Restore(self, previous);
        Ok(steps())
    }

    /// The request is deleted in Seerr: it leaves every listing.
    pub fn delete_request(&self, request_id: u64) -> Result<(), SimError> {
        let now = Utc::now();
        self.with(|w| {
            let r = w
                .requests
                .remove(&request_id)
                .ok_or(SimError::UnknownRequest(request_id))?;
            w.refresh_media_status(r.media, now);
            Ok(())
        })
    }

    /// What Seerr's daily Radarr/Sonarr scan does: media whose files the *arr
    /// has are marked AVAILABLE, whether Jellyfin shows them or not.
    pub fn seerr_arr_scan(&self) {
        let now = Utc::now();
        self.with(|w| {
            let now = w.seerr_time(now);
            let mut done = Vec::new();
            for m in w.movies.values_mut() {
                if m.file.is_some() && m.seerr.status != media_status::AVAILABLE {
                    m.seerr.status = media_status::AVAILABLE;
                    m.seerr.updated = now;
                    done.push(MediaRef::Movie { tmdb_id: m.tmdb_id });
                }
            }
            // The scan of a 4K server writes `status4k` (`processMovie`
            // with `is4k`).
            let with_4k_file: Vec<u64> = w
                .movies_4k
                .values()
                .filter(|m| m.file.is_some())
                .map(|m| m.tmdb_id)
                .collect();
            for tmdb_id in with_4k_file {
                if let Some(m) = w.movies.get_mut(&tmdb_id) {
                    if m.seerr.status_4k != media_status::AVAILABLE {
                        m.seerr.status_4k = media_status::AVAILABLE;
                        m.seerr.updated = now;
                        done.push(MediaRef::Movie { tmdb_id });
                    }
                }
            }
            let today = now.date_naive();
            let mut season_updates = Vec::new();
            for s in w.series.values() {
                for def in &s.seasons {
                    let aired: Vec<&Episode> = s
                        .episodes
                        .iter()
                        .filter(|e| {
                            e.season == def.number && e.air_date.is_some_and(|d| d <= today)
                        })
                        .collect();
                    if !aired.is_empty() && aired.iter().all(|e| e.file.is_some()) {
                        season_updates.push((s.tvdb_id, def.number));
                    }
                }
            }
            for (tvdb_id, n) in season_updates {
                let existing = w
                    .series
                    .get(&tvdb_id)
                    .and_then(|s| s.seerr.seasons.get(&n).map(|x| x.0));
                let id = match existing {
                    Some(id) => id,
                    None => w.next_id(),
                };
                if let Some(s) = w.series.get_mut(&tvdb_id) {
                    s.seerr.seasons.insert(n, (id, media_status::AVAILABLE));
                    let all = s.seasons.iter().filter(|d| d.number > 0).all(|d| {
                        s.seerr
                            .seasons
                            .get(&d.number)
                            .is_some_and(|x| x.1 == media_status::AVAILABLE)
                    });
                    s.seerr.status = if all {
                        media_status::AVAILABLE
                    } else {
                        media_status::PARTIALLY_AVAILABLE
                    };
                    s.seerr.updated = now;
                    done.push(MediaRef::Tv { tmdb_id: s.tmdb_id });
                }
            }
            for media in done {
                w.complete_requests(media, now);
            }
        });
    }

    /// Seerr's daily "Media Availability Sync" (05:00), for films: a film
    /// Seerr marks AVAILABLE whose Radarr movie has no file and whose
    /// `jellyfinMediaId` item is gone from Jellyfin becomes DELETED (7), with
    /// `jellyfinMediaId` cleared; its APPROVED requests become COMPLETED
    /// (`MediaSubscriber`). Until it runs, Seerr keeps saying AVAILABLE with
    /// the old item id. A film still in either place is left alone. Once
    /// DELETED, the film can be requested again.
    pub fn seerr_availability_sync(&self) {
        let now = Utc::now();
        self.with(|w| {
            let now = w.seerr_time(now);
            let gone: Vec<u64> = w
                .movies
                .values()
                .filter(|m| m.seerr.status == media_status::AVAILABLE && m.file.is_none())
                .filter(|m| {
                    !m.seerr
                        .jellyfin_id
                        .as_ref()
                        .is_some_and(|id| w.jellyfin.iter().any(|i| &i.id == id))
                })
                .map(|m| m.tmdb_id)
                .collect();
            for tmdb_id in gone {
                if let Some(m) = w.movies.get_mut(&tmdb_id) {
                    m.seerr.status = media_status::DELETED;
                    m.seerr.jellyfin_id = None;
                    m.seerr.updated = now;
                }
                let media = MediaRef::Movie { tmdb_id };
                for r in w.requests.values_mut().filter(|r| r.media == media) {
                    if r.status == request_status::APPROVED {
                        r.status = request_status::COMPLETED;
                        r.updated = now;
                    }
                }
            }
        });
    }
}

impl World {
    /// A series as Sonarr adds it (the HD root, in the library), with fresh
    /// series and episode ids and a new Seerr media row.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new_series(
        &mut self,
        tvdb_id: u64,
        tmdb_id: u64,
        title: &str,
        year: i32,
        anime: bool,
        seasons: &[(u32, u32, NaiveDate)],
        now: DateTime<Utc>,
    ) -> Series {
        let sonarr_id = self.next_id();
        let seerr = self.new_media(now);
        let mut episodes = Vec::new();
        let mut absolute = 0;
        for (season, count, first) in seasons {
            for n in 1..=*count {
                let id = self.next_id();
                if *season > 0 {
                    absolute += 1;
                }
                episodes.push(Episode {
                    id,
                    tvdb_id: tvdb_id * 1000 + u64::from(*season) * 100 + u64::from(n),
                    season: *season,
                    number: n,
                    absolute: (anime && *season > 0).then_some(absolute),
                    title: format!("Episode {n}"),
                    air_date: Some(*first + chrono::Duration::weeks(i64::from(n) - 1)),
                    monitored: *season > 0,
                    file: None,
                });
            }
        }
        Series {
            in_library: true,
            root: TV_ROOT,
            sonarr_id,
            tvdb_id,
            tmdb_id,
            imdb_id: format!("tt{:07}", tvdb_id % 10_000_000),
            title: title.to_string(),
            year,
            anime,
            added: now,
            seasons: seasons
                .iter()
                .map(|(n, _, _)| SeasonDef { number: *n })
                .collect(),
            episodes,
            anidb_id: None,
            seerr,
        }
    }
}
