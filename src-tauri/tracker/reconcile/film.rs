//! Films: one film request's verdict from the *arr, qBittorrent, Shoko and Jellyfin.

use super::*;

/// Has Radarr deleted a finished film's file since it became AVAILABLE, and
/// the record not said so yet?
pub(super) fn file_deletion_unrecorded(r: &RequestRecord, ctx: &Lookups<'_>) -> bool {
    file_deleted_since_available(r, ctx) && r.reason.as_deref() != Some(reasons::FILE_DELETED)
}

/// Has Radarr deleted a finished film's file since it became AVAILABLE? (A
/// finished record is frozen: this only adds a line to its timeline.)
pub(super) fn file_deleted_since_available(r: &RequestRecord, ctx: &Lookups<'_>) -> bool {
    r.phase == Phase::Available
        && r.arr_id.is_some_and(|id| {
            follow(&ctx.radarr, r, None, r.tmdb_id)
                .and_then(|v| v.data.as_ref())
                .is_some_and(|(_, idx, _)| {
                    idx.history_by_media.get(&id).is_some_and(|h| {
                        h.iter()
                            .any(|e| e.kind == HistoryKind::FileDeleted && e.date > r.phase_since)
                    })
                })
        })
}

/// A finished film whose Jellyfin item Jellyfin no longer has.
pub(super) enum ItemGone<'a> {
    /// Another playable item of the same film took its place (a replaced or
    /// upgraded file is a new item, with a new id): the record follows it.
    Replaced(&'a JellyfinItem),
    /// No playable item of the film is left, and the record does not say so
    /// yet. It stays AVAILABLE (it was true) with a line on its timeline.
    Removed,
}

/// What Jellyfin's data says of a finished film's item, when it is gone.
/// (Jellyfin's data holds every movie of the library: its absence there,
/// in an answer that came, is evidence.)
pub(super) fn finished_film_item<'a>(r: &RequestRecord, ctx: &Lookups<'a>) -> Option<ItemGone<'a>> {
    if r.phase != Phase::Available || r.media_type != MediaType::Movie || r.deleted {
        return None;
    }
    let jf = ctx.jf.as_ref()?;
    let id = r.jellyfin_id.as_deref()?;
    if jf.by_id(id).is_some_and(|i| i.playable) {
        return None;
    }
    let other = r
        .tmdb_id
        .and_then(|t| jf.movie_by_tmdb(t))
        .filter(|i| i.playable)
        .or_else(|| {
            r.anidb_ids
                .iter()
                .find_map(|a| jf.by_anidb(*a).find(|i| i.playable))
        });
    match other {
        Some(i) => Some(ItemGone::Replaced(i)),
        None => {
            let said = matches!(
                r.reason.as_deref(),
                Some(reasons::REMOVED_JELLYFIN) | Some(reasons::FILE_DELETED)
            );
            (!said).then_some(ItemGone::Removed)
        }
    }
}

/// Must a finished film be evaluated for its Jellyfin item? Only looked at
/// when Jellyfin's data is new (the rule's outcome cannot change otherwise).
pub(super) fn film_item_news(r: &RequestRecord, ctx: &Lookups<'_>) -> bool {
    ctx.jf_new && finished_film_item(r, ctx).is_some()
}

pub(super) struct FilmFacts {
    pub(super) word: SeerrSays,
    pub(super) file_deleted: bool,
}

pub(super) fn film_verdict<'a>(
    rec: &mut Draft<'_>,
    ctx: &Lookups<'a>,
    req: Option<&'a SeerrRequest>,
    owner: bool,
) -> (Verdict<'a>, FilmFacts) {
    let mut v = Verdict::default();
    let word = seerr_verdict(&mut v, rec, req);
    let mut facts = FilmFacts {
        word,
        file_deleted: false,
    };
    if !owner {
        facts.file_deleted = file_deleted_since_available(rec, ctx);
        return (v, facts);
    }
    let mut has_file = false;
    let mut imported = false;
    let failed = rec.failed_download_id.clone();
    let service_url = req.and_then(|r| r.service_url.as_deref());
    let radarr = follow(&ctx.radarr, rec, service_url, rec.tmdb_id);
    if radarr.is_none() && ctx.radarr_configured && v.phase == Some(Phase::Approved) {
        v.reason = Some(reasons::NO_4K_RADARR.into());
    }
    if let Some((name, (_, idx, movies))) = radarr.and_then(|r| Some((r.name, r.data.as_ref()?))) {
        if let Some(m) = rec.tmdb_id.and_then(|t| movies.get(&t)) {
            set_if_changed!(rec, [arr_id], Some(m.id));
            if rec.instance.as_deref() != Some(name) {
                rec.to_mut().instance = Some(name.to_string());
            }
            if m.is_anime {
                set_if_changed!(rec, [is_anime], true);
            }
            for h in idx.history_by_media.get(&m.id).into_iter().flatten() {
                if h.date < rec.requested_at {
                    continue; // belongs to an older request
                }
                match h.kind {
                    HistoryKind::Grabbed => {
                        if let Some(dl) = &h.download_id {
                            if is_failed_download(failed.as_deref(), dl) {
                                continue;
                            }
                            push_download(rec, dl);
                            v.regrabbed(dl);
                        }
                        v.offer(
                            Phase::Downloading,
                            Evidence::Grabbed {
                                arr: "Radarr",
                                title: &h.source_title,
                                size: h.size,
                            },
                            None,
                            false,
                        );
                    }
                    HistoryKind::Imported => {
                        imported = true;
                        if let Some(p) = &h.imported_path {
                            if rec.imported_path.as_ref() != Some(p) {
                                rec.to_mut().imported_path = Some(p.clone());
                            }
                        }
                        let name = h
                            .imported_path
                            .as_deref()
                            .map(file_name)
                            .unwrap_or(&h.source_title);
                        v.offer(
                            Phase::Importing,
                            Evidence::Concat(["Radarr imported '", name, "'", ""]),
                            Some(reasons::WAIT_JELLYFIN.into()),
                            false,
                        );
                    }
                    HistoryKind::DownloadFailed => {
                        let current = rec.download_ids.last();
                        let ours = match (&h.download_id, current) {
                            (Some(dl), Some(cur)) => same_id(dl, cur),
                            (None, _) => true,
                            (Some(_), None) => true,
                        };
                        if ours {
                            let msg = h
                                .message
                                .clone()
                                .unwrap_or_else(|| "the download failed".into());
                            v.fail(
                                msg.clone(),
                                format!("Radarr: {msg}"),
                                h.download_id.as_deref(),
                            );
                        }
                    }
                    HistoryKind::Ignored => {
                        if h.download_id
                            .as_deref()
                            .zip(rec.download_ids.last())
                            .is_some_and(|(a, b)| same_id(a, b))
                        {
                            v.removed = Some("removed from the Radarr queue".into());
                        }
                    }
                    HistoryKind::FileDeleted => facts.file_deleted = true,
                    HistoryKind::Other => {}
                }
            }
            for q in idx.queue_by_media.get(&m.id).into_iter().flatten() {
                if let Some(dl) = &q.download_id {
                    if is_failed_download(failed.as_deref(), dl) {
                        continue;
                    }
                    push_download(rec, dl);
                }
                queue_verdict(&mut v, q, "Radarr", reasons::WAIT_RADARR_IMPORT);
            }
            if m.has_file {
                has_file = true;
                if rec.imported_path.is_none() && m.file_path.is_some() {
                    rec.to_mut().imported_path.clone_from(&m.file_path);
                }
                v.offer(
                    Phase::Importing,
                    "Radarr has the film's file",
                    Some(reasons::WAIT_JELLYFIN.into()),
                    false,
                );
            }
            if v.phase == Some(Phase::Approved) && v.reason.is_none() {
                if !m.monitored {
                    v.reason = Some(reasons::NOT_MONITORED_RADARR.into());
                } else if !m.is_available {
                    v.reason = Some(reasons::NOT_RELEASED.into());
                }
            }
        } else if v.phase == Some(Phase::Approved) && v.reason.is_none() {
            v.reason = Some(reasons::NOT_IN_RADARR.into());
        }
    }
    if let Some(dl) = rec.download_ids.last() {
        if !is_failed_download(failed.as_deref(), dl) {
            let present = torrent_verdict(&mut v, ctx, dl, reasons::WAIT_RADARR_IMPORT);
            if !present
                && rec.phase == Phase::Downloading
                && v.phase.is_none_or(|p| p <= Phase::Downloading)
            {
                v.removed = Some(reasons::REMOVED_QBIT.into());
            }
        }
    }
    // Imported: Radarr has the file or says it imported it. A queue item
    // still being imported is IMPORTING, not yet Shoko's (ANIME_MATCHING
    // means imported and not playable yet).
    let imported_any =
        has_file || imported || rec.phase >= Phase::AnimeMatching && rec.phase != Phase::Failed;
    let mut found: &[i64] = &[];
    if rec.is_anime && ctx.shoko_configured && imported_any {
        found = shoko_verdict(&mut v, ctx, rec.imported_path.as_deref());
        remember_anidb(rec, found);
    }
    let known;
    let anidb = if found.is_empty() {
        known = rec.anidb_ids.clone();
        &known
    } else {
        found
    };
    // A new download for this request while Radarr has no file: a Jellyfin
    // item is then a leftover of an older copy, not this request's film.
    let new_download_running = !has_file
        && !imported
        && matches!(
            v.phase,
            Some(Phase::Downloading) | Some(Phase::DownloadDone)
        );
    // With a 4K Radarr in the config, an HD and a 4K copy of one film may
    // both be in Jellyfin: each request is available only from the file its
    // own instance imported (by name: the *arr and Jellyfin may mount the
    // library under different prefixes).
    // Shokofin names its files itself: there, Shoko's file id stands in.
    let by_file = ctx.radarr.iter().any(|r| r.is_4k);
    if let Some(jf) = &ctx.jf {
        let item = if by_file {
            rec.imported_path.as_deref().and_then(|p| {
                jf.movie_with_file(rec.jellyfin_id.as_deref(), rec.tmdb_id, file_name(p))
                    .or_else(|| jf.with_shoko_file(ctx.shoko_file_id(p)?))
            })
        } else {
            rec.jellyfin_id
                .as_deref()
                .and_then(|id| jf.by_id(id))
                .filter(|i| i.playable && i.kind == JellyfinKind::Movie)
                .or_else(|| {
                    rec.tmdb_id
                        .and_then(|t| jf.movie_by_tmdb(t))
                        .filter(|i| i.playable)
                })
                .or_else(|| {
                    anidb
                        .iter()
                        .find_map(|a| jf.by_anidb(*a).find(|i| i.playable))
                })
        };
        // An item Jellyfin had before this request was made belongs to an
        // older copy (a re-request after a deletion Jellyfin may not have
        // caught up with): it counts only once Radarr has this request's file.
        let older_copy = |i: &JellyfinItem| {
            i.date_created.is_some_and(|d| d < rec.requested_at)
                && ctx.radarr_configured
                && !has_file
                && !imported
        };
        if let Some(i) = item.filter(|i| !new_download_running && !older_copy(i)) {
            set_jellyfin_id(rec, &i.id);
            v.available = Some(Evidence::Concat([
                "Jellyfin has '",
                &i.name,
                "' (playable)",
                "",
            ]));
        }
    } else if !ctx.jf_configured {
        if rec.is_anime && ctx.shoko_configured {
            if !anidb.is_empty() {
                v.available = Some("Shoko matched the file (no Jellyfin configured)".into());
            }
        } else if has_file {
            v.available = Some("Radarr has the film's file (no Jellyfin configured)".into());
        } else if !ctx.radarr_configured && facts.word.available {
            v.available =
                Some("Jellyseerr says it is available (no Radarr or Jellyfin configured)".into());
        }
    }
    (v, facts)
}
