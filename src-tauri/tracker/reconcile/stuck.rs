//! Stuck by duration: a situation that is normal for a while and a problem
//! after its threshold (an approved request not in Radarr/Sonarr, a search
//! with no release, a stalled torrent, a download not imported). Each open
//! record carries the clock of its current situation ([`Watch`]); crossing
//! the threshold sets attention once, with a line on the timeline; the
//! evidence moving on ends the situation and the attention it raised.
//!
//! The clock is the app's own, and counts only what the app watched: a
//! stretch of wall time it did not see (suspend, a clock set forward:
//! [`Clock::unwatched`]) or a cycle in which a service the situation
//! depends on did not answer moves the start later by as much.

use super::*;

/// How long each situation may last before the request needs attention
/// (`[attention]` in the config; the defaults are issue 18's contract).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttentionRules {
    /// APPROVED and in no Radarr/Sonarr that would follow it.
    pub not_in_arr_minutes: u32,
    /// In the *arr, monitored and released, and no grab.
    pub no_release_hours: u32,
    /// The torrent stalled in qBittorrent.
    pub stalled_minutes: u32,
    /// Downloaded, and the *arr has not imported it.
    pub not_imported_minutes: u32,
}

impl Default for AttentionRules {
    fn default() -> Self {
        Self {
            not_in_arr_minutes: 10,
            no_release_hours: 24,
            stalled_minutes: 60,
            not_imported_minutes: 60,
        }
    }
}

impl AttentionRules {
    /// How long `kind` may last before it is stuck.
    pub fn threshold(&self, kind: StuckKind) -> TimeDelta {
        match kind {
            StuckKind::NotInArr => TimeDelta::minutes(self.not_in_arr_minutes.into()),
            StuckKind::NoRelease => TimeDelta::hours(self.no_release_hours.into()),
            StuckKind::Stalled => TimeDelta::minutes(self.stalled_minutes.into()),
            StuckKind::NotImported => TimeDelta::minutes(self.not_imported_minutes.into()),
        }
    }
}

/// The app's clock as one cycle sees it. The tracker never reads the clock
/// itself: the poller says what time it is and what it could not watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub now: DateTime<Utc>,
    /// Wall time since the previous cycle (zero on the first one after a
    /// start): a cycle in which a service did not answer takes this much off
    /// the clocks that depend on that service.
    pub since_last: TimeDelta,
    /// The part of `since_last` the app did not watch (the machine slept,
    /// the clock was set forward): it counts toward no duration.
    pub unwatched: TimeDelta,
}

impl Clock {
    /// A cycle that knows only what time it is (tests, the CLI's `poll`).
    pub fn at(now: DateTime<Utc>) -> Self {
        Self {
            now,
            since_last: TimeDelta::zero(),
            unwatched: TimeDelta::zero(),
        }
    }
}

/// Which services answered this cycle (a service not configured answers
/// nothing and stops no clock).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Answered {
    pub(super) jellyseerr: bool,
    pub(super) radarr: bool,
    pub(super) sonarr: bool,
    pub(super) qbittorrent: bool,
}

/// The situation a record is in after this cycle's evaluation, if it is one
/// that becomes stuck.
fn situation(r: &RequestRecord) -> Option<StuckKind> {
    if !is_open(r) {
        return None;
    }
    let reason = r.reason.as_deref();
    match r.phase {
        Phase::Approved
            if reason == Some(reasons::NOT_IN_RADARR) || reason == Some(reasons::NOT_IN_SONARR) =>
        {
            Some(StuckKind::NotInArr)
        }
        // In the *arr with nothing to wait for (not "not monitored", not
        // "not released yet", not "nothing aired"): it searches.
        Phase::Approved if r.arr_id.is_some() && reason.is_none() => Some(StuckKind::NoRelease),
        Phase::Downloading if reason.is_some_and(|r| r.contains(reasons::STALLED)) => {
            Some(StuckKind::Stalled)
        }
        // Downloading by qBittorrent's word, and nothing comes in.
        Phase::Downloading
            if reason.is_none()
                && r.download_speed == Some(0)
                && r.progress.is_some_and(|p| p < 1.0) =>
        {
            Some(StuckKind::Stalled)
        }
        Phase::DownloadDone => Some(StuckKind::NotImported),
        _ => None,
    }
}

/// Did every service `kind` depends on answer this cycle?
fn watched(kind: StuckKind, r: &RequestRecord, ctx: &Lookups<'_>) -> bool {
    let a = ctx.answered;
    let arr = match r.media_type {
        MediaType::Movie => a.radarr,
        MediaType::Tv => a.sonarr,
    };
    match kind {
        StuckKind::NotInArr => a.jellyseerr && arr,
        StuckKind::NoRelease => arr,
        StuckKind::Stalled => a.qbittorrent,
        StuckKind::NotImported => arr && a.qbittorrent,
    }
}

/// When a situation first seen this cycle began.
fn began(kind: StuckKind, r: &RequestRecord, ctx: &Lookups<'_>) -> DateTime<Utc> {
    let now = ctx.clock.now;
    let start = match kind {
        // From when the app saw it approved, or it entered DOWNLOAD_DONE.
        StuckKind::NotInArr | StuckKind::NotImported => r.phase_since,
        // From the later of the approval (Jellyseerr's last change of the
        // request) and the *arr's `added`: that is when searching began.
        StuckKind::NoRelease => {
            let added = arr_added(r, ctx);
            [r.seerr_updated_at, added]
                .into_iter()
                .flatten()
                .max()
                .unwrap_or(r.phase_since)
        }
        StuckKind::Stalled => now,
    };
    start.min(now)
}

/// The `added` date of the film or series in the *arr that follows it.
fn arr_added(r: &RequestRecord, ctx: &Lookups<'_>) -> Option<DateTime<Utc>> {
    match r.media_type {
        MediaType::Movie => {
            let (_, _, movies) = follow(&ctx.radarr, r, None, r.tmdb_id)?.data.as_ref()?;
            movies.get(&r.tmdb_id?)?.added
        }
        MediaType::Tv => {
            let (_, _, series) = follow(&ctx.sonarr, r, None, r.tvdb_id)?.data.as_ref()?;
            series.get(&r.tvdb_id?)?.added
        }
    }
}

/// Runs the clock of a record's situation after its evaluation, and sets or
/// clears the attention it causes. `before`: the phase and reason the
/// record had before this cycle (when they changed, the step that changed
/// them already set attention from the new evidence).
pub(super) fn run_clock(
    rec: &mut Draft<'_>,
    ctx: &Lookups<'_>,
    before: (Phase, bool),
    changes: &mut Vec<Change>,
) {
    let now = ctx.clock.now;
    let kind = situation(rec);
    let old = rec.watch;
    // A stalled download that made progress since its clock started is a
    // new stall, if it is one still.
    let moved = |w: &Watch| {
        w.kind == StuckKind::Stalled
            && rec
                .progress
                .zip(w.progress)
                .is_some_and(|(now, then)| now > then + 1e-9)
    };
    let watch = match (old, kind) {
        (_, None) => None,
        (Some(w), Some(k)) if w.kind == k && !moved(&w) => {
            let unwatched = if watched(k, rec, ctx) {
                ctx.clock.unwatched
            } else {
                ctx.clock.since_last
            };
            let since = (w.since + unwatched.max(TimeDelta::zero())).min(now);
            Some(Watch { since, ..w })
        }
        (_, Some(k)) => Some(Watch {
            kind: k,
            since: began(k, rec, ctx),
            stuck: false,
            progress: rec.progress.filter(|_| k == StuckKind::Stalled),
        }),
    };
    // The situation that was stuck is over: so is its attention, unless
    // the step changed phase or reason (and set attention from that).
    let (phase_before, reason_kept) = before;
    let ended = old.is_some_and(|w| w.stuck && watch.is_none_or(|n| !n.stuck));
    if ended && rec.phase == phase_before && reason_kept && rec.phase != Phase::Failed {
        set_if_changed!(rec, [attention], false);
    }
    let watch = watch.map(|mut w| {
        if !w.stuck && now - w.since >= ctx.rules.threshold(w.kind) {
            w.stuck = true;
            let r = rec.to_mut();
            r.attention = true;
            r.acknowledged = false;
            changes.push(Change::ReasonChanged {
                request_id: r.id,
                at: now,
                phase: r.phase,
                reason: Some(stuck_reason(r, &w, now)),
            });
        }
        w
    });
    set_if_changed!(rec, [watch], watch);
}

/// "1 h 10 min", "12 min", "25 h", "3 days": how long, in a reason.
pub fn human_duration(d: TimeDelta) -> String {
    let mins = d.num_minutes().max(0);
    match mins {
        m if m < 60 => format!("{m} min"),
        m if m < 10 * 60 && m % 60 != 0 => format!("{} h {} min", m / 60, m % 60),
        m if m < 48 * 60 => format!("{} h", m / 60),
        m => format!("{} days", m / (24 * 60)),
    }
}

/// The reason a stuck record shows: what is stuck and for how long, with
/// the service's own words where it has some.
pub fn stuck_reason(r: &RequestRecord, w: &Watch, now: DateTime<Utc>) -> String {
    let lasted = human_duration(now - w.since);
    let arr = match r.media_type {
        MediaType::Movie => "Radarr",
        MediaType::Tv => "Sonarr",
    };
    let reason = r.reason.as_deref().unwrap_or_default();
    match w.kind {
        StuckKind::NotInArr => {
            format!("not in {arr} {lasted} after approval: Jellyseerr may have failed to send it")
        }
        StuckKind::NoRelease => format!("no release found by {arr} in {lasted}"),
        StuckKind::Stalled => {
            // "S01E02: stalled in qBittorrent: ..." keeps its episode.
            let episode = reason
                .split_once(reasons::STALLED)
                .map(|(before, _)| before)
                .unwrap_or_default();
            if reason.contains(reasons::STALLED) {
                format!("{episode}stalled for {lasted} in qBittorrent: no connection to peers")
            } else {
                format!("stalled for {lasted} in qBittorrent: no progress at 0 B/s")
            }
        }
        StuckKind::NotImported => {
            let waiting = reason.is_empty()
                || reason.contains(reasons::WAIT_RADARR_IMPORT)
                || reason.contains(reasons::WAIT_SONARR_IMPORT);
            if waiting {
                format!("downloaded {lasted} ago and not imported by {arr}")
            } else {
                format!("downloaded {lasted} ago and not imported by {arr}: {reason}")
            }
        }
    }
}

/// The reason to show for a record now: the stuck reason while it is stuck
/// (its duration grows), else the stored one.
pub fn shown_reason(r: &RequestRecord, now: DateTime<Utc>) -> Option<Cow<'_, str>> {
    match &r.watch {
        Some(w) if w.stuck && is_open(r) => Some(Cow::Owned(stuck_reason(r, w, now))),
        _ => r.reason.as_deref().map(Cow::Borrowed),
    }
}
