//! Which records can be left as they are this cycle without evaluating them
//! (nothing they depend on changed): the fast path. Each rule here must give
//! the same result as evaluating the record.

use super::*;

/// Would Jellyseerr's word leave this record as it is? (What
/// `seerr_verdict` writes, read without writing.)
pub(super) fn seerr_unchanged(r: &RequestRecord, req: &SeerrRequest) -> bool {
    r.seerr_status == Some(req.status)
        && r.seerr_media_status == Some(req.media_status)
        && r.seerr_updated_at == Some(req.updated_at)
        && (req.jellyfin_media_id.is_none() || r.jellyfin_id.is_some())
        && req.title.as_ref().is_none_or(|t| *t == r.title)
        && (req.year.is_none() || req.year == r.year)
        && (req.poster_path.is_none() || req.poster_path == r.poster_path)
        && (!req.is_anime || r.is_anime)
}

/// Is a finished record that Jellyseerr lists this cycle certain to come out
/// of evaluation unchanged? Finished records are frozen (`advance`), so only
/// what the evaluation copies onto them can change: Jellyseerr's fields, and
/// for a series what Sonarr, Jellyfin and Shoko say of it and its episodes.
/// Any doubt (a Sonarr listing that differs, any queue or history entry for
/// one of its episodes, an AniDB id from Shoko it lacks) means "evaluate". The
/// proptest `fast_path_equals_full_evaluation` holds this to the full
/// evaluation of every record.
pub(super) fn settled(r: &RequestRecord, req: &SeerrRequest, ctx: &Lookups<'_>) -> bool {
    if r.deleted
        || r.phase != Phase::Available
        || r.progress.is_some()
        || r.eta_secs.is_some()
        || r.download_speed.is_some()
        || !seerr_unchanged(r, req)
    {
        return false;
    }
    match r.media_type {
        // A finished film owns no evidence (see `reconcile_with`) but hears
        // of its file being deleted, and of its Jellyfin item.
        MediaType::Movie => !file_deletion_unrecorded(r, ctx) && !film_item_news(r, ctx),
        MediaType::Tv => series_settled(r, ctx),
    }
}

pub(super) fn series_settled(r: &RequestRecord, ctx: &Lookups<'_>) -> bool {
    if r.episodes
        .iter()
        .any(|e| e.phase != Phase::Available || e.progress.is_some())
    {
        return false;
    }
    if let Some(jf) = &ctx.jf {
        // `jf_series` looks the series up by the record's id first, then by
        // its Tvdb id: found either way with the record's id, it is the
        // record's already. (The Tvdb map is the small one: most end there.)
        let own = r.jellyfin_id.as_deref();
        let found_as_own = own
            .and_then(hex_id)
            .zip(r.tvdb_id)
            .is_some_and(|(id, tvdb)| jf.series_by_tvdb_is(tvdb, id))
            || own.and_then(|id| jf.kind_of(id)) == Some(JellyfinKind::Series);
        if !found_as_own
            && jf_series(r, jf, &r.anidb_ids).is_some_and(|s| own != Some(s.id.as_str()))
        {
            return false;
        }
    }
    let Some((_, idx, series_map)) =
        follow(&ctx.sonarr, r, None, r.tvdb_id).and_then(|v| v.data.as_ref())
    else {
        return true;
    };
    let Some(s) = r.tvdb_id.and_then(|t| series_map.get(&t)) else {
        return true;
    };
    if r.arr_id != Some(s.id) || (s.is_anime && !r.is_anime) {
        return false;
    }
    let seasons = Seasons(&r.seasons);
    let mut wanted = s.episodes.iter().filter(|e| seasons.contains(&e.season));
    let mut last = (i32::MIN, i32::MIN);
    for e in &r.episodes {
        let Some(se) = wanted.next() else {
            return false;
        };
        let same = se.id == e.arr_episode_id
            && se.season == e.season
            && se.number == e.number
            && se.title == e.title
            && se.air_date_utc == e.air_date
            && se.monitored == e.monitored
            && (se.season, se.number) >= last
            && !(se.has_file && e.imported_path.is_none() && se.file_path.is_some())
            && !idx.history_by_episode.contains_key(&e.arr_episode_id)
            && !idx.queue_by_episode.contains_key(&e.arr_episode_id)
            && shoko_adds_nothing(r, e, ctx);
        if !same {
            return false;
        }
        last = (se.season, se.number);
    }
    wanted.next().is_none() && distinct_ids(&r.episodes)
}

/// Would Shoko's word on a finished episode's file leave its series as it is?
/// Shoko is asked of an anime's imported episodes (`episode_verdict`), and a
/// match only adds the AniDB ids the record lacks (`remember_anidb`): the
/// episode itself is finished.
pub(super) fn shoko_adds_nothing(r: &RequestRecord, e: &EpisodeRecord, ctx: &Lookups<'_>) -> bool {
    if !(r.is_anime && ctx.shoko_configured) {
        return true;
    }
    let Some(shoko) = ctx.shoko else {
        return true; // Shoko failed: nothing said
    };
    match e.imported_path.as_deref().and_then(|p| shoko.files.get(p)) {
        Some(ShokoMatch::Matched { anidb_ids, .. }) => {
            anidb_ids.iter().all(|a| r.anidb_ids.contains(a))
        }
        _ => true,
    }
}

/// Does a record need looking at this cycle at all?
/// `req`: its request in this cycle's Jellyseerr listing.
/// Without the shortcut: every record in this cycle's listing is evaluated;
/// one not listed by the same rule as in [`needs_eval`] (nothing else can
/// have changed it).
pub(super) fn needs_full_eval(
    r: &RequestRecord,
    req: Option<&SeerrRequest>,
    ctx: &Lookups<'_>,
) -> bool {
    req.is_some() || needs_eval(r, None, ctx)
}

pub(super) fn needs_eval(r: &RequestRecord, req: Option<&SeerrRequest>, ctx: &Lookups<'_>) -> bool {
    if let Some(req) = req {
        return !settled(r, req, ctx);
    }
    if r.deleted {
        return false;
    }
    if ctx.seerr_complete {
        return true; // a complete listing without it: deleted upstream
    }
    match r.phase {
        Phase::Available => match r.media_type {
            // A finished film only hears of its file being deleted and of
            // its Jellyfin item.
            MediaType::Movie => file_deletion_unrecorded(r, ctx) || film_item_news(r, ctx),
            // A finished series follows episodes that air later.
            MediaType::Tv => r
                .episodes
                .iter()
                .any(|e| e.phase != Phase::Available && (e.air_date.is_none_or(|d| d <= ctx.now))),
        },
        _ => true,
    }
}
