//! Series: the sum of their episodes.

use super::*;

pub(super) fn is_wanted(e: &EpisodeRecord, now: DateTime<Utc>) -> bool {
    e.monitored && e.air_date.is_some_and(|d| d <= now)
}

pub(super) fn is_aired(e: &EpisodeRecord, now: DateTime<Utc>) -> bool {
    e.air_date.is_some_and(|d| d <= now)
}

/// The Jellyfin series item of a series request.
pub(super) fn jf_series<'a>(
    rec: &RequestRecord,
    jf: &JellyfinView<'a>,
    anidb: &[i64],
) -> Option<&'a JellyfinItem> {
    rec.jellyfin_id
        .as_deref()
        .and_then(|id| jf.by_id(id))
        .filter(|i| i.kind == JellyfinKind::Series)
        .or_else(|| rec.tvdb_id.and_then(|t| jf.series_by_tvdb(t)))
        .or_else(|| rec.tmdb_id.and_then(|t| jf.series_by_tmdb(t)))
        .or_else(|| {
            anidb
                .iter()
                .find_map(|a| jf.by_anidb(*a).find(|i| i.kind == JellyfinKind::Series))
        })
}

pub(super) fn episode_verdict<'a>(
    rec: &mut Draft<'_>,
    i: usize,
    ctx: &Lookups<'a>,
    idx: &ArrIdx<'a>,
    sonarr_ep: Option<&SonarrEpisode>,
    anidb_out: &mut Vec<i64>,
) -> Verdict<'a> {
    let mut v = Verdict::default();
    let requested_at = rec.requested_at;
    let anime = rec.is_anime;
    let e = &rec.episodes[i];
    let episode_id = e.arr_episode_id;
    let failed = if e.phase == Phase::Failed {
        e.download_id.clone()
    } else {
        None
    };
    // `rec.episodes[i].download_id = Some(dl.to_ascii_uppercase())`.
    let set_download = |rec: &mut Draft<'_>, dl: &str| {
        if !rec.episodes[i]
            .download_id
            .as_deref()
            .is_some_and(|held| is_upper_of(held, dl))
        {
            rec.to_mut().episodes[i].download_id = Some(dl.to_ascii_uppercase());
        }
    };
    let mut imported_event = false;
    for h in idx
        .history_by_episode
        .get(&episode_id)
        .into_iter()
        .flatten()
    {
        if h.date < requested_at {
            continue;
        }
        match h.kind {
            HistoryKind::Grabbed => {
                if let Some(dl) = &h.download_id {
                    if is_failed_download(failed.as_deref(), dl) {
                        continue;
                    }
                    set_download(rec, dl);
                    v.regrabbed(dl);
                }
                v.offer(
                    Phase::Downloading,
                    Evidence::Grabbed {
                        arr: "Sonarr",
                        title: &h.source_title,
                        size: h.size,
                    },
                    None,
                    false,
                );
            }
            HistoryKind::Imported => {
                imported_event = true;
                if let Some(p) = &h.imported_path {
                    if rec.episodes[i].imported_path.as_ref() != Some(p) {
                        rec.to_mut().episodes[i].imported_path = Some(p.clone());
                    }
                }
                let name = h
                    .imported_path
                    .as_deref()
                    .map(file_name)
                    .unwrap_or(&h.source_title);
                v.offer(
                    Phase::Importing,
                    Evidence::Concat(["Sonarr imported '", name, "'", ""]),
                    Some(reasons::WAIT_JELLYFIN.into()),
                    false,
                );
            }
            HistoryKind::DownloadFailed => {
                let ours = match (&h.download_id, &rec.episodes[i].download_id) {
                    (Some(dl), Some(cur)) => same_id(dl, cur),
                    _ => true,
                };
                if ours {
                    let msg = h
                        .message
                        .clone()
                        .unwrap_or_else(|| "the download failed".into());
                    v.fail(
                        msg.clone(),
                        format!("Sonarr: {msg}"),
                        h.download_id.as_deref(),
                    );
                }
            }
            HistoryKind::Ignored | HistoryKind::FileDeleted | HistoryKind::Other => {}
        }
    }
    for q in idx.queue_by_episode.get(&episode_id).into_iter().flatten() {
        if let Some(dl) = &q.download_id {
            if is_failed_download(failed.as_deref(), dl) {
                continue;
            }
            set_download(rec, dl);
        }
        queue_verdict(&mut v, q, "Sonarr", reasons::WAIT_SONARR_IMPORT);
    }
    let mut has_file = false;
    let e = &rec.episodes[i];
    let (season, number) = (e.season, e.number);
    if let Some(se) = sonarr_ep {
        if se.has_file {
            has_file = true;
            if e.imported_path.is_none() && se.file_path.is_some() {
                rec.to_mut().episodes[i]
                    .imported_path
                    .clone_from(&se.file_path);
            }
            v.offer(
                Phase::Importing,
                Evidence::SonarrFile { season, number },
                Some(reasons::WAIT_JELLYFIN.into()),
                false,
            );
        }
    }
    let e = &rec.episodes[i];
    if let Some(dl) = e.download_id.as_deref() {
        if !is_failed_download(failed.as_deref(), dl) {
            let present = torrent_verdict(&mut v, ctx, dl, reasons::WAIT_SONARR_IMPORT);
            if !present
                && e.phase == Phase::Downloading
                && v.phase.is_none_or(|p| p <= Phase::Downloading)
            {
                v.removed = Some(reasons::REMOVED_QBIT.into());
            }
        }
    }
    // Imported, as for films: a file, or Sonarr's word that it imported one.
    let imported =
        has_file || imported_event || e.phase >= Phase::AnimeMatching && e.phase != Phase::Failed;
    if anime && ctx.shoko_configured && imported {
        let ids = shoko_verdict(&mut v, ctx, e.imported_path.as_deref());
        if !ids.is_empty() && !ctx.jf_configured {
            v.available = Some(
                format!("Shoko matched S{season:02}E{number:02} (no Jellyfin configured)").into(),
            );
        }
        anidb_out.extend_from_slice(ids);
    } else if has_file && !ctx.jf_configured {
        v.available = Some(
            format!("Sonarr has S{season:02}E{number:02}'s file (no Jellyfin configured)").into(),
        );
    }
    v
}

/// Marks episodes that Jellyfin can play. An item Jellyfin had before the
/// request was made (a re-request after a deletion Jellyfin has not caught
/// up with) counts only once Sonarr has the episode's file, as for films.
pub(super) fn jellyfin_episodes(
    episodes: &Episodes<'_, '_>,
    season: i32,
    number: i32,
    newer_than: Option<DateTime<Utc>>,
) -> Option<&'static str> {
    episodes
        .iter()
        .any(|it| {
            plays_episode(it, season, number)
                && newer_than.is_none_or(|t| it.date_created.is_none_or(|d| d >= t))
        })
        .then_some("playable")
}

/// Is `it` a playable item of episode `number` of `season` (one file may
/// cover several episodes)?
fn plays_episode(it: &JellyfinItem, season: i32, number: i32) -> bool {
    it.playable
        && it.season == Some(season)
        && it.episode.is_some_and(|first| {
            let last = it.episode_end.unwrap_or(first).max(first);
            (first..=last).contains(&number)
        })
}

/// Does an episode item of `episodes` play the file named `file` for
/// episode `number` of `season`?
fn episode_with_file(episodes: &Episodes<'_, '_>, season: i32, number: i32, file: &str) -> bool {
    episodes
        .iter()
        .any(|it| plays_episode(it, season, number) && it.files.iter().any(|f| f == file))
}

pub(super) struct SeriesOutcome<'a> {
    pub(super) decision: Decision<'a>,
    pub(super) removed: Option<String>,
}

pub(super) fn series_eval<'a>(
    rec: &mut Draft<'_>,
    ctx: &Lookups<'a>,
    req: Option<&'a SeerrRequest>,
    owner: bool,
    changes: &mut Vec<Change>,
) -> SeriesOutcome<'a> {
    let now = ctx.now;
    let mut seerr_v = Verdict::default();
    let word = seerr_verdict(&mut seerr_v, rec, req);
    let mut removed = None;
    if owner {
        let service_url = req.and_then(|r| r.service_url.as_deref());
        let sonarr = follow(&ctx.sonarr, rec, service_url, rec.tvdb_id);
        if sonarr.is_none()
            && ctx.sonarr.iter().any(|v| v.data.is_some())
            && seerr_v.phase == Some(Phase::Approved)
            && seerr_v.reason.is_none()
        {
            seerr_v.reason = Some(reasons::NO_4K_SONARR.into());
        }
        if let Some((name, (_, idx, series_map))) =
            sonarr.and_then(|v| Some((v.name, v.data.as_ref()?)))
        {
            if let Some(s) = rec.tvdb_id.and_then(|t| series_map.get(&t)) {
                set_if_changed!(rec, [arr_id], Some(s.id));
                if rec.instance.as_deref() != Some(name) {
                    rec.to_mut().instance = Some(name.to_string());
                }
                if s.is_anime {
                    set_if_changed!(rec, [is_anime], true);
                }
                sync_episodes(rec, s, seerr_v.phase);
                let by_id = EpisodeFinder::new(&s.episodes);
                let mut anidb = Vec::new();
                let mut verdicts = Vec::with_capacity(rec.episodes.len());
                for i in 0..rec.episodes.len() {
                    let sonarr_ep = by_id.get(rec.episodes[i].arr_episode_id);
                    let v = episode_verdict(rec, i, ctx, idx, sonarr_ep, &mut anidb);
                    verdicts.push(v);
                }
                remember_anidb(rec, &anidb);
                let jf_eps: Option<Episodes<'_, '_>> = ctx.jf.as_ref().and_then(|jf| {
                    let series = jf_series(rec, jf, &rec.anidb_ids)?;
                    set_jellyfin_id(rec, &series.id);
                    Some(jf.episodes_of(&series.id))
                });
                // With a 4K Sonarr in the config, an HD and a 4K copy of a
                // series may both be in Jellyfin (one item, or one series
                // item per library): an episode is available only from the
                // file its own instance imported, by name.
                // Shokofin names its files itself: there, Shoko's file id
                // (of the path the episode was imported to) stands in.
                let by_file: Option<Vec<Episodes<'_, '_>>> =
                    ctx.sonarr.iter().any(|v| v.is_4k).then(|| {
                        let jf = ctx.jf.as_ref();
                        let items = jf
                            .zip(rec.tvdb_id)
                            .map(|(jf, t)| jf.all_series_by_tvdb(t))
                            .unwrap_or_default();
                        items
                            .iter()
                            .filter_map(|i| Some(jf?.episodes_of(&i.id)))
                            .chain(jf_eps)
                            .collect()
                    });
                let request_id = rec.id;
                for (i, mut v) in verdicts.into_iter().enumerate() {
                    let e = &rec.episodes[i];
                    if let Some(all) = &by_file {
                        let file = by_id
                            .get(e.arr_episode_id)
                            .and_then(|se| se.file_path.as_deref())
                            .map(file_name);
                        let shoko_file = e
                            .imported_path
                            .as_deref()
                            .and_then(|p| ctx.shoko_file_id(p));
                        let plays = |eps: &Episodes<'_, '_>| {
                            file.is_some_and(|f| episode_with_file(eps, e.season, e.number, f))
                                || shoko_file.is_some_and(|id| {
                                    eps.iter()
                                        .any(|it| it.playable && it.shoko_file_ids.contains(&id))
                                })
                        };
                        if all.iter().any(plays) {
                            v.available = Some(Evidence::JellyfinEpisode {
                                season: e.season,
                                number: e.number,
                            });
                        }
                    } else if let Some(eps) = &jf_eps {
                        let sonarr_file = by_id.get(e.arr_episode_id).is_some_and(|se| se.has_file);
                        let newer_than = (!sonarr_file).then_some(rec.requested_at);
                        if jellyfin_episodes(eps, e.season, e.number, newer_than).is_some() {
                            v.available = Some(Evidence::JellyfinEpisode {
                                season: e.season,
                                number: e.number,
                            });
                        }
                    }
                    let ep_removed = v.removed.take();
                    let ep_progress = v.progress;
                    let d = decide(v, SeerrSays::default());
                    let failed_dl =
                        (e.phase == Phase::Failed).then(|| e.download_id.as_deref().unwrap_or("-"));
                    let adv = advance(
                        e.phase,
                        &e.reason,
                        failed_dl,
                        &d,
                        ep_removed.as_ref(),
                        ctx.all_ok,
                    );
                    if adv.phase == Phase::Available && e.phase != Phase::Available {
                        changes.push(Change::EpisodeAvailable {
                            request_id,
                            at: now,
                            season: e.season,
                            number: e.number,
                        });
                    }
                    if ep_removed.is_some()
                        && adv.reason_after(e.reason.as_deref()) == ep_removed.as_deref()
                    {
                        removed = ep_removed;
                    }
                    let progress = if adv.phase == Phase::Downloading {
                        ep_progress
                    } else {
                        None
                    };
                    set_if_changed!(rec, [episodes[i].phase], adv.phase);
                    if let Some(reason) = adv.reason {
                        rec.to_mut().episodes[i].reason = reason;
                    }
                    set_if_changed!(rec, [episodes[i].progress], progress);
                }
                series_progress(rec, ctx, idx);
            } else if seerr_v.phase == Some(Phase::Approved) && seerr_v.reason.is_none() {
                seerr_v.reason = Some(reasons::NOT_IN_SONARR.into());
            }
        }
    }
    SeriesOutcome {
        decision: series_decision(rec, seerr_v, word, now),
        removed,
    }
}

/// Sonarr's episodes of a series by id. Sonarr lists them with increasing
/// ids as a rule, and then they are searched where they lie; otherwise they
/// go in a map (where an id listed twice is found as listed last).
pub(super) enum EpisodeFinder<'s> {
    Sorted(&'s [SonarrEpisode]),
    Map(FastMap<i64, &'s SonarrEpisode>),
}

impl<'s> EpisodeFinder<'s> {
    pub(super) fn new(episodes: &'s [SonarrEpisode]) -> Self {
        if episodes.windows(2).all(|w| w[0].id < w[1].id) {
            EpisodeFinder::Sorted(episodes)
        } else {
            EpisodeFinder::Map(episodes.iter().map(|e| (e.id, e)).collect())
        }
    }

    pub(super) fn get(&self, id: i64) -> Option<&'s SonarrEpisode> {
        match self {
            EpisodeFinder::Sorted(eps) => eps
                .binary_search_by_key(&id, |e| e.id)
                .ok()
                .and_then(|pos| eps.get(pos)),
            EpisodeFinder::Map(m) => m.get(&id).copied(),
        }
    }
}

/// Keeps one episode record per Sonarr episode of the requested seasons.
pub(super) fn sync_episodes(rec: &mut Draft<'_>, s: &SonarrSeries, seerr_phase: Option<Phase>) {
    if s.episodes.is_empty() {
        return; // no evidence that episodes went away
    }
    let base = match seerr_phase.or(Some(rec.phase)) {
        Some(Phase::Requested) => Phase::Requested,
        _ => Phase::Approved,
    };
    if !sync_episodes_in_place(rec, s, base) {
        let requested = rec.seasons.clone();
        rebuild_episodes(rec.to_mut(), s, &Seasons(&requested), base);
    }
}

/// Rebuilds a series record's episode list from Sonarr's, keeping what each
/// known episode already recorded.
pub(super) fn rebuild_episodes(
    rec: &mut RequestRecord,
    s: &SonarrSeries,
    seasons: &Seasons<'_>,
    base: Phase,
) {
    let mut old: FastMap<i64, EpisodeRecord> = rec
        .episodes
        .drain(..)
        .map(|e| (e.arr_episode_id, e))
        .collect();
    let mut eps: Vec<EpisodeRecord> = s
        .episodes
        .iter()
        .filter(|e| seasons.contains(&e.season))
        .map(|se| {
            let mut e = old.remove(&se.id).unwrap_or(EpisodeRecord {
                arr_episode_id: se.id,
                season: se.season,
                number: se.number,
                title: None,
                air_date: None,
                monitored: se.monitored,
                phase: base,
                download_id: None,
                imported_path: None,
                reason: None,
                progress: None,
            });
            e.season = se.season;
            e.number = se.number;
            e.title = se.title.clone();
            e.air_date = se.air_date_utc;
            e.monitored = se.monitored;
            if e.phase == Phase::Requested && base == Phase::Approved {
                e.phase = Phase::Approved;
            }
            e
        })
        .collect();
    eps.sort_by_key(|e| (e.season, e.number));
    rec.episodes = eps;
}

/// The seasons a series request follows.
pub(super) struct Seasons<'a>(pub(super) &'a [i32]);

impl Seasons<'_> {
    pub(super) fn contains(&self, season: &i32) -> bool {
        if self.0.is_empty() {
            *season > 0
        } else {
            self.0.contains(season)
        }
    }
}

/// Copies Sonarr's episode facts onto a series record's episodes, and
/// returns true, when they are already the record's episodes in the same
/// order (every cycle but those where Sonarr's list changes); returns false,
/// changing nothing, otherwise.
pub(super) fn sync_episodes_in_place(rec: &mut Draft<'_>, s: &SonarrSeries, base: Phase) -> bool {
    let seasons = Seasons(&rec.seasons);
    let wanted = || s.episodes.iter().filter(|e| seasons.contains(&e.season));
    let mut next = wanted();
    let same_ids = rec
        .episodes
        .iter()
        .all(|e| next.next().is_some_and(|se| se.id == e.arr_episode_id))
        && next.next().is_none();
    if !same_ids {
        return false;
    }
    let sorted = wanted().map(|se| (se.season, se.number)).is_sorted();
    if !sorted || !distinct_ids(&rec.episodes) {
        // The full path resolves duplicates and reorders.
        return false;
    }
    let promote = |e: &EpisodeRecord| e.phase == Phase::Requested && base == Phase::Approved;
    let stale = rec.episodes.iter().zip(wanted()).any(|(e, se)| {
        e.season != se.season
            || e.number != se.number
            || e.title != se.title
            || e.air_date != se.air_date_utc
            || e.monitored != se.monitored
            || promote(e)
    });
    if !stale {
        return true;
    }
    let requested = rec.seasons.clone();
    let seasons = Seasons(&requested);
    let wanted = s.episodes.iter().filter(|e| seasons.contains(&e.season));
    for (e, se) in rec.to_mut().episodes.iter_mut().zip(wanted) {
        e.season = se.season;
        e.number = se.number;
        e.title.clone_from(&se.title);
        e.air_date = se.air_date_utc;
        e.monitored = se.monitored;
        if e.phase == Phase::Requested && base == Phase::Approved {
            e.phase = Phase::Approved;
        }
    }
    true
}

/// No two episode records share a Sonarr episode id.
pub(super) fn distinct_ids(episodes: &[EpisodeRecord]) -> bool {
    if episodes.len() <= 64 {
        episodes.iter().enumerate().all(|(i, e)| {
            episodes[i + 1..]
                .iter()
                .all(|o| o.arr_episode_id != e.arr_episode_id)
        })
    } else {
        let mut seen = FastSet::default();
        episodes.iter().all(|e| seen.insert(e.arr_episode_id))
    }
}

/// Series progress: bytes of the downloads of wanted episodes, each download counted once.
pub(super) fn series_progress(rec: &mut Draft<'_>, ctx: &Lookups<'_>, idx: &ArrIdx<'_>) {
    let now = ctx.now;
    // Every download of the wanted episodes that is not past the download
    // step, each counted once (a season pack is one download); a finished
    // one counts as complete so the whole stays a fraction of all bytes.
    let in_flight = |p: Phase| matches!(p, Phase::Downloading | Phase::DownloadDone);
    let downloading = rec
        .episodes
        .iter()
        .any(|e| is_wanted(e, now) && e.phase == Phase::Downloading);
    let mut seen = FastSet::default();
    let (mut total, mut done) = (0.0_f64, 0.0_f64);
    let mut eta: Option<i64> = None;
    let mut speed: i64 = 0;
    for e in rec
        .episodes
        .iter()
        .filter(|e| downloading && is_wanted(e, now) && in_flight(e.phase))
    {
        let Some(dl) = &e.download_id else { continue };
        if !seen.insert(NoCase::new(dl)) {
            continue;
        }
        let finished = e.phase == Phase::DownloadDone;
        let (size, progress) = match ctx.torrent(dl) {
            Some(t) => {
                if !finished {
                    speed += t.dlspeed.max(0);
                    if let Some(s) = t.eta_secs {
                        eta = Some(eta.map_or(s, |e: i64| e.max(s)));
                    }
                }
                let p = if finished {
                    1.0
                } else {
                    t.progress.clamp(0.0, 1.0)
                };
                (t.size.max(0) as f64, p)
            }
            None => (
                idx.download_size(dl).unwrap_or(0.0),
                if finished {
                    1.0
                } else {
                    e.progress.unwrap_or(0.0)
                },
            ),
        };
        let size = if size > 0.0 { size } else { 1.0 };
        total += size;
        done += size * progress;
    }
    if downloading && total > 0.0 {
        set_if_changed!(rec, [progress], Some((done / total).clamp(0.0, 1.0)));
        set_if_changed!(rec, [eta_secs], eta);
        set_if_changed!(
            rec,
            [download_speed],
            ctx.torrents.is_some().then_some(speed)
        );
    } else {
        set_if_changed!(rec, [progress], None);
        set_if_changed!(rec, [eta_secs], None);
        set_if_changed!(rec, [download_speed], None);
    }
}

pub(super) fn ep_label(e: &EpisodeRecord) -> String {
    format!("S{:02}E{:02}", e.season, e.number)
}

pub(super) fn series_decision<'a>(
    rec: &RequestRecord,
    seerr_v: Verdict<'a>,
    word: SeerrSays,
    now: DateTime<Utc>,
) -> Decision<'a> {
    let wanted: Vec<&EpisodeRecord> = rec.episodes.iter().filter(|e| is_wanted(e, now)).collect();
    let d = |phase: Phase, reason: Option<Text>, warning: bool, evidence: Evidence<'a>| Decision {
        phase: Some(phase),
        reason,
        warning,
        evidence,
        failure_download: None,
    };
    if !wanted.is_empty() && wanted.iter().all(|e| e.phase == Phase::Available) {
        return d(
            Phase::Available,
            None,
            false,
            Evidence::JellyfinAllEpisodes(wanted.len()),
        );
    }
    if let Some(f) = wanted.iter().find(|e| e.phase == Phase::Failed) {
        let reason = format!(
            "{}: {}",
            ep_label(f),
            f.reason.as_deref().unwrap_or("the download failed")
        );
        return Decision {
            phase: Some(Phase::Failed),
            reason: Some(reason.clone().into()),
            warning: true,
            evidence: reason.into(),
            failure_download: Some(f.download_id.clone().unwrap_or_else(|| "-".into())),
        };
    }
    let grabbed = wanted
        .iter()
        .filter(|e| e.phase >= Phase::Downloading)
        .count();
    if word.declined || word.failed && grabbed == 0 {
        return decide(seerr_v, word);
    }
    if wanted.is_empty() {
        if rec.episodes.is_empty() || seerr_v.phase == Some(Phase::Requested) {
            return decide(seerr_v, word);
        }
        let next = rec
            .episodes
            .iter()
            .filter_map(|e| e.air_date)
            .filter(|d| *d > now)
            .min();
        let reason = match next {
            Some(t) => format!(
                "{} (next on {})",
                reasons::NOTHING_AIRED,
                t.format("%Y-%m-%d")
            ),
            None => reasons::NOTHING_AIRED.to_string(),
        };
        return d(
            Phase::Approved,
            Some(reason.into()),
            false,
            "Sonarr: nothing aired yet".into(),
        );
    }
    if grabbed == 0 {
        return decide(seerr_v, word);
    }
    if grabbed < wanted.len() {
        let reason = format!("grabbed {grabbed}/{} episodes", wanted.len());
        return d(
            Phase::Grabbing,
            Some(reason.clone().into()),
            false,
            format!("Sonarr {reason}").into(),
        );
    }
    let least = wanted.iter().min_by_key(|e| e.phase).copied();
    match least {
        Some(e) => {
            let reason = e.reason.clone().map(|r| {
                if wanted.len() > 1 {
                    format!("{}: {r}", ep_label(e))
                } else {
                    r
                }
            });
            let warning = reason.as_deref().is_some_and(|r| {
                // (Stalled: only once stalled for a while, [`super::stuck`].)
                [
                    reasons::PAUSED,
                    reasons::REMOVED_QBIT,
                    reasons::SHOKO_UNRECOGNIZED,
                ]
                .iter()
                .any(|w| r.contains(w))
                    || e.phase == Phase::DownloadDone && !r.contains(reasons::WAIT_SONARR_IMPORT)
            });
            d(
                e.phase,
                reason.map(Cow::Owned),
                warning,
                Evidence::EpisodesAt {
                    count: wanted.iter().filter(|x| x.phase == e.phase).count(),
                    total: wanted.len(),
                    phase: e.phase,
                },
            )
        }
        None => decide(seerr_v, word),
    }
}
