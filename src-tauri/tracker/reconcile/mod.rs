//! The reconcile engine: `(previous records, snapshot, now) -> (changed records, events)`.
//!
//! Pure: no I/O, no clock reads. The rules are those of docs/domain.md:
//! phases move forward only on evidence; a failed service is no evidence; a
//! complete listing without an item is evidence of removal; FAILED is left on
//! new evidence; finished records are frozen; evidence for a media belongs to
//! the newest open request for it.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use hashbrown::HashTable;

use super::model::*;

/// A reason text: one of [`reasons`] borrowed, or a service's message owned
/// (most verdicts offer a fixed text, and most are never written).
type Text = Cow<'static, str>;

/// A record under evaluation: borrowed from the previous records until a
/// write changes something, then owned. Most records change nothing in a
/// cycle, so most are never copied.
type Draft<'r> = Cow<'r, RequestRecord>;

/// `rec.<place> = value` on a [`Draft`], cloning a borrowed record only when
/// the value differs from the one it holds.
macro_rules! set_if_changed {
    ($rec:ident, [$($place:tt)+], $value:expr) => {{
        let value = $value;
        if $rec.$($place)+ != value {
            $rec.to_mut().$($place)+ = value;
        }
    }};
}

mod fast_hash;
mod film;
mod lookups;
pub mod reasons;
mod series;
mod skip;
mod stuck;
mod transition;
mod verdict;

use self::fast_hash::*;
use self::film::*;
use self::lookups::*;
use self::series::*;
use self::skip::*;
use self::stuck::*;
pub use self::stuck::{human_duration, shown_reason, stuck_reason, AttentionRules, Clock};
use self::transition::*;
use self::verdict::*;

/// Is this record still being followed (not finished, not deleted)?
pub fn is_open(rec: &RequestRecord) -> bool {
    !rec.deleted && rec.phase != Phase::Available
}

/// The media a request's evidence is about: the film or series, in HD or in
/// 4K (a 4K request follows its own copy, in its own Radarr/Sonarr).
fn media_key(r: &RequestRecord) -> Option<MediaKey> {
    match r.media_type {
        MediaType::Movie => r.tmdb_id.map(|t| (MediaType::Movie, t, r.is_4k)),
        MediaType::Tv => r.tvdb_id.or(r.tmdb_id).map(|t| (MediaType::Tv, t, r.is_4k)),
    }
}

/// (media type, TMDB or TVDB id, 4K).
type MediaKey = (MediaType, i64, bool);

fn new_record(id: i64, req: &SeerrRequest, now: DateTime<Utc>) -> RequestRecord {
    let title = req
        .title
        .clone()
        .unwrap_or_else(|| match (req.media_type, req.tmdb_id) {
            (MediaType::Movie, Some(t)) => format!("TMDB movie {t}"),
            (MediaType::Tv, Some(t)) => format!("TMDB series {t}"),
            _ => format!("Jellyseerr request {}", req.id),
        });
    RequestRecord {
        id,
        jellyseerr_request_id: req.id,
        media_type: req.media_type,
        title,
        year: req.year,
        poster_path: req.poster_path.clone(),
        tmdb_id: req.tmdb_id,
        tvdb_id: req.tvdb_id,
        is_anime: req.is_anime,
        is_4k: req.is_4k,
        requested_by: req.requested_by.clone(),
        requested_at: req.created_at,
        seasons: req.seasons.clone(),
        phase: Phase::Requested,
        reason: None,
        attention: false,
        acknowledged: false,
        progress: None,
        eta_secs: None,
        download_speed: None,
        updated_at: now,
        phase_since: now,
        deleted: false,
        arr_id: None,
        download_ids: Vec::new(),
        failed_download_id: None,
        imported_path: None,
        anidb_ids: Vec::new(),
        jellyfin_id: req.jellyfin_media_id.clone(),
        instance: None,
        seerr_status: None,
        seerr_media_status: None,
        seerr_updated_at: None,
        episodes: Vec::new(),
        watch: None,
    }
}

/// Records for requests seen for the first time, in Jellyseerr's order,
/// with the local ids after the last one in `prev`.
fn records_for_new(
    prev: &Records,
    mut fresh: Vec<&SeerrRequest>,
    now: DateTime<Utc>,
) -> Vec<RequestRecord> {
    fresh.sort_by_key(|r| r.id);
    let first_id = prev.keys().next_back().map_or(1, |k| k + 1);
    fresh
        .into_iter()
        .zip(first_id..)
        .map(|(req, id)| new_record(id, req, now))
        .collect()
}

/// [`reconcile`] that keeps its index of Jellyfin's items from one call to
/// the next while Jellyfin's data is the same allocation (the poller passes
/// the same `Arc` when Jellyfin said nothing new): a library of 10,000 items
/// is then not indexed again every cycle. Same results as [`reconcile`].
#[derive(Default)]
pub struct Reconciler {
    jellyfin: Option<(Arc<JellyfinData>, JellyfinIndex)>,
}

impl Reconciler {
    pub fn reconcile(&mut self, prev: &Records, snap: &Snapshot, now: DateTime<Utc>) -> Reconciled {
        self.reconcile_at(prev, snap, &Clock::at(now), &AttentionRules::default())
    }

    /// [`Reconciler::reconcile`] with the cycle's [`Clock`] (what the app
    /// could not watch since the last cycle) and the user's thresholds.
    pub fn reconcile_at(
        &mut self,
        prev: &Records,
        snap: &Snapshot,
        clock: &Clock,
        rules: &AttentionRules,
    ) -> Reconciled {
        let now = clock.now;
        // Jellyfin's data is new when it is not the allocation indexed last.
        let mut jf_new = false;
        match &snap.jellyfin {
            Source::Ok(data) => {
                jf_new = !self
                    .jellyfin
                    .as_ref()
                    .is_some_and(|(kept, _)| Arc::ptr_eq(kept, data));
                if jf_new {
                    self.jellyfin = Some((data.clone(), JellyfinIndex::build(data)));
                }
            }
            // Kept: an outage does not make the next answer new.
            Source::Failed => {}
            Source::NotConfigured => self.jellyfin = None,
        }
        let kept = self.jellyfin.as_ref().map(|(_, idx)| idx);
        reconcile_with(
            prev,
            Lookups::build_with(snap, now, kept, jf_new).watching(clock, rules),
            now,
            Shortcuts::On,
        )
    }
}

/// (previous records, snapshot of all services, now) -> (changed records, events). Pure.
pub fn reconcile(prev: &Records, snap: &Snapshot, now: DateTime<Utc>) -> Reconciled {
    reconcile_at(prev, snap, &Clock::at(now), &AttentionRules::default())
}

/// [`reconcile`] with the cycle's [`Clock`] and the user's thresholds.
pub fn reconcile_at(
    prev: &Records,
    snap: &Snapshot,
    clock: &Clock,
    rules: &AttentionRules,
) -> Reconciled {
    let ctx = Lookups::build(snap, clock.now).watching(clock, rules);
    reconcile_with(prev, ctx, clock.now, Shortcuts::On)
}

/// The same engine with its shortcuts off: every record in this cycle's
/// listing is evaluated (none skipped as settled) and every index is built
/// anew. The oracle of the fast path (`fast_path_equals_full_evaluation`);
/// same results as [`reconcile`], only slower.
pub fn reconcile_full(prev: &Records, snap: &Snapshot, now: DateTime<Utc>) -> Reconciled {
    reconcile_with(prev, Lookups::build(snap, now), now, Shortcuts::Off)
}

/// Whether an evaluation skips the records nothing touched ([`skip`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shortcuts {
    On,
    Off,
}

fn reconcile_with(
    prev: &Records,
    ctx: Lookups<'_>,
    now: DateTime<Utc>,
    shortcuts: Shortcuts,
) -> Reconciled {
    let mut out = Reconciled::default();

    // Evidence for a media belongs to its newest open request (a finished
    // series still follows its later episodes when no newer request is open).
    // One pass over the records: each one's request in this cycle's listing
    // (in the order of `prev`), whether it needs looking at, and its claim
    // on its media, written down in order: only the media of the records
    // that need looking at (few) get a map.
    let mut next = 0;
    let mut matched = 0;
    let mut claims: Vec<(MediaKey, Claim)> = Vec::with_capacity(prev.len());
    let mut todo: Vec<(&RequestRecord, Option<&SeerrRequest>)> = Vec::new();
    for r in prev.values() {
        claims.extend(claim(r));
        let req = ctx.seerr.get_next(&mut next, r.jellyseerr_request_id);
        matched += usize::from(req.is_some());
        let evaluate = match shortcuts {
            Shortcuts::On => needs_eval(r, req, &ctx),
            Shortcuts::Off => needs_full_eval(r, req, &ctx),
        };
        if evaluate {
            todo.push((r, req));
        }
    }
    // New requests become new records with the next local ids. No two
    // records share a Jellyseerr id (the store holds it UNIQUE, and records
    // are only made for unknown ids), so when every listed request has its
    // record there is nothing new, and no set of known ids to build.
    let fresh: Vec<&SeerrRequest> = if matched == ctx.seerr.len() {
        Vec::new()
    } else {
        let known: FastSet<i64> = prev.values().map(|r| r.jellyseerr_request_id).collect();
        ctx.seerr
            .values()
            .copied()
            .filter(|r| !known.contains(&r.id))
            .collect()
    };
    let new_records = records_for_new(prev, fresh, now);
    claims.extend(new_records.iter().filter_map(claim));
    // The newest claim on each media a record to evaluate has.
    let mut owners: FastMap<MediaKey, Option<Claim>> =
        FastMap::with_capacity_and_hasher(todo.len() + new_records.len(), Fast::default());
    for r in todo.iter().map(|(r, _)| *r).chain(&new_records) {
        if let Some(key) = media_key(r) {
            owners.insert(key, None);
        }
    }
    for (key, cand) in &claims {
        if let Some(cur) = owners.get_mut(key) {
            if cur.is_none_or(|c| *cand > c) {
                *cur = Some(*cand);
            }
        }
    }
    let is_owner = |r: &RequestRecord| {
        media_key(r)
            .and_then(|k| *owners.get(&k)?)
            .is_some_and(|o| o.2 == r.id)
    };

    // Each record is evaluated borrowed, and copied only when something
    // changes (most do not).
    for (r, req) in todo {
        let mut rec = Draft::Borrowed(r);
        evaluate(&mut rec, &ctx, req, is_owner(r), false, &mut out.changes);
        if let Draft::Owned(rec) = rec {
            if rec != *r {
                out.changed.push(rec);
            }
        }
    }
    for rec in new_records {
        let owner = is_owner(&rec);
        let req = ctx.seerr.get(&rec.jellyseerr_request_id).copied();
        let mut rec = Draft::Owned(rec);
        evaluate(&mut rec, &ctx, req, owner, true, &mut out.changes);
        out.changed.push(rec.into_owned());
    }
    out
}

/// A record's claim on the evidence for its media: (open, requested at,
/// local id), the greatest wins.
type Claim = (bool, DateTime<Utc>, i64);

fn claim(r: &RequestRecord) -> Option<(MediaKey, Claim)> {
    if r.deleted || r.seerr_status == Some(SeerrRequestStatus::Declined) {
        return None;
    }
    let key = media_key(r)?;
    let open = r.phase != Phase::Available;
    if !open && r.media_type == MediaType::Movie {
        return None;
    }
    Some((key, (open, r.requested_at, r.id)))
}

/// A line on a finished record's timeline (its phase stays: it was true),
/// once: nothing when the record says it already.
fn note_on_finished(
    rec: &mut Draft<'_>,
    reason: &str,
    now: DateTime<Utc>,
    changes: &mut Vec<Change>,
) {
    if rec.reason.as_deref() == Some(reason) {
        return;
    }
    changes.push(Change::ReasonChanged {
        request_id: rec.id,
        at: now,
        phase: rec.phase,
        reason: Some(reason.into()),
    });
    let rec = rec.to_mut();
    rec.reason = Some(reason.into());
    rec.updated_at = now;
}

/// `req`: the record's request in this cycle's Jellyseerr listing.
fn evaluate<'a>(
    rec: &mut Draft<'_>,
    ctx: &Lookups<'a>,
    req: Option<&'a SeerrRequest>,
    owner: bool,
    is_new: bool,
    changes: &mut Vec<Change>,
) {
    let now = ctx.now;
    let (phase_before, changes_before) = (rec.phase, changes.len());
    let mut episode_changes = Vec::new();
    let (decision, removed, progress) = match rec.media_type {
        MediaType::Movie => {
            let (mut v, facts) = film_verdict(rec, ctx, req, owner);
            // A finished film follows its item to a replacement, or notes it gone.
            let gone = finished_film_item(rec, ctx);
            if let Some(ItemGone::Replaced(i)) = gone {
                set_jellyfin_id(rec, &i.id);
            }
            if facts.file_deleted && rec.phase == Phase::Available {
                note_on_finished(rec, reasons::FILE_DELETED, now, changes);
                return;
            }
            if let Some(ItemGone::Removed) = gone {
                note_on_finished(rec, reasons::REMOVED_JELLYFIN, now, changes);
                return;
            }
            let progress = (v.progress, v.eta, v.speed);
            let removed = v.removed.take();
            (decide(v, facts.word), removed, Some(progress))
        }
        MediaType::Tv => {
            let o = series_eval(rec, ctx, req, owner, &mut episode_changes);
            (o.decision, o.removed, None)
        }
    };
    let failed_download = if rec.phase == Phase::Failed && rec.media_type == MediaType::Movie {
        rec.failed_download_id.as_deref().or(None)
    } else {
        None
    };
    let adv = advance(
        rec.phase,
        &rec.reason,
        failed_download,
        &decision,
        removed.as_ref(),
        ctx.all_ok,
    );
    apply_step(
        rec,
        adv,
        decision.failure_download.clone(),
        is_new,
        now,
        changes,
    );
    if !is_new {
        // A request seen for the first time brings no episode news: its
        // episodes were watchable before we knew it.
        changes.extend(episode_changes);
    }

    if let Some((p, eta, speed)) = progress {
        if rec.phase == Phase::Downloading {
            // A service that failed this cycle leaves the last figures.
            if p.is_some() || ctx.all_ok {
                set_if_changed!(rec, [progress], p);
                set_if_changed!(rec, [eta_secs], eta);
                set_if_changed!(rec, [download_speed], speed);
            }
        } else {
            set_if_changed!(rec, [progress], None);
            set_if_changed!(rec, [eta_secs], None);
            set_if_changed!(rec, [download_speed], None);
        }
    }

    // Deleted upstream: a complete listing without the request.
    if ctx.seerr_complete && req.is_none() && !rec.deleted {
        let rec = rec.to_mut();
        rec.deleted = true;
        if rec.phase != Phase::Available {
            rec.attention = true;
            rec.acknowledged = false;
        }
        rec.reason = Some(reasons::DELETED.into());
        rec.updated_at = now;
        changes.push(Change::ReasonChanged {
            request_id: rec.id,
            at: now,
            phase: rec.phase,
            reason: rec.reason.clone(),
        });
    }

    let reason_kept = !changes[changes_before..].iter().any(|c| {
        c.request_id() == rec.id
            && matches!(
                c,
                Change::PhaseChanged { .. } | Change::ReasonChanged { .. }
            )
    });
    run_clock(rec, ctx, (phase_before, reason_kept), changes);
}

/// What the clients must fetch beyond their always-polled feeds.
pub fn wants(records: &Records) -> Wants {
    wants_of(records.values())
}

/// [`wants`] of `records` as they stand once `changed` (a cycle's changed
/// records, not yet merged) replaces them.
pub fn wants_after(records: &Records, changed: &[RequestRecord]) -> Wants {
    let ids: FastSet<i64> = changed.iter().map(|r| r.id).collect();
    wants_of(
        changed
            .iter()
            .chain(records.values().filter(|r| !ids.contains(&r.id))),
    )
}

fn wants_of<'a>(records: impl Iterator<Item = &'a RequestRecord>) -> Wants {
    let mut w = Wants::default();
    let mut movies = FastSet::default();
    let mut series = FastSet::default();
    let mut jf_series = FastSet::default();
    for r in records.filter(|r| !r.deleted) {
        let open = is_open(r);
        let airing =
            r.media_type == MediaType::Tv && r.episodes.iter().any(|e| e.phase != Phase::Available);
        if !open && !airing {
            continue;
        }
        match r.media_type {
            MediaType::Movie => {
                if let Some(t) = r.tmdb_id {
                    movies.insert(t);
                }
                if let Some(j) = &r.jellyfin_id {
                    w.jellyfin_item_ids.push(j.clone());
                }
            }
            MediaType::Tv => {
                if let Some(t) = r.tvdb_id {
                    series.insert(t);
                }
                if let Some(j) = &r.jellyfin_id {
                    jf_series.insert(j.clone());
                }
                w.anidb_ids.extend(r.anidb_ids.iter().copied());
            }
        }
        if r.phase == Phase::Downloading || r.episodes.iter().any(|e| e.phase == Phase::Downloading)
        {
            w.downloading = true;
        }
        if r.is_anime {
            let late = |p: Phase| matches!(p, Phase::Importing | Phase::AnimeMatching);
            if late(r.phase) {
                if let Some(p) = &r.imported_path {
                    w.shoko_paths.push(p.clone());
                }
            }
            for e in r.episodes.iter().filter(|e| late(e.phase)) {
                if let Some(p) = &e.imported_path {
                    w.shoko_paths.push(p.clone());
                }
            }
        }
    }
    w.movie_tmdb_ids = movies.into_iter().collect();
    w.movie_tmdb_ids.sort_unstable();
    w.series_tvdb_ids = series.into_iter().collect();
    w.series_tvdb_ids.sort_unstable();
    w.jellyfin_series_ids = jf_series.into_iter().collect();
    w.jellyfin_series_ids.sort_unstable();
    w.jellyfin_item_ids.sort_unstable();
    w.jellyfin_item_ids.dedup();
    w.anidb_ids.sort_unstable();
    w.anidb_ids.dedup();
    w.shoko_paths.sort_unstable();
    w.shoko_paths.dedup();
    w
}

/// Episode counts of a series record (None for films).
pub fn episode_counts(rec: &RequestRecord, now: DateTime<Utc>) -> Option<EpisodeCounts> {
    if rec.media_type != MediaType::Tv {
        return None;
    }
    let mut c = EpisodeCounts {
        total: rec.episodes.len() as u32,
        ..EpisodeCounts::default()
    };
    for e in rec.episodes.iter().filter(|e| is_aired(e, now)) {
        c.aired += 1;
        let p = e.phase;
        if p == Phase::Failed {
            continue;
        }
        if p >= Phase::Downloading {
            c.grabbed += 1;
        }
        if p >= Phase::DownloadDone {
            c.downloaded += 1;
        }
        if p >= Phase::Importing {
            c.imported += 1;
        }
        if p == Phase::Available {
            c.available += 1;
        }
    }
    Some(c)
}

#[cfg(test)]
mod tests;
