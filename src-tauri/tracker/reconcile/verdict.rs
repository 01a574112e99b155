//! Verdicts: what this cycle's evidence says about one film or one episode.
//! The evidence of each service about one film or episode, and Jellyseerr's word.

use super::*;

pub(super) fn human_size(bytes: f64) -> String {
    const GB: f64 = 1024.0 * 1024.0 * 1024.0;
    const MB: f64 = 1024.0 * 1024.0;
    if bytes >= GB {
        format!("{:.1} GB", bytes / GB)
    } else {
        format!("{:.0} MB", (bytes / MB).max(0.0))
    }
}

pub(super) fn file_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// A failure seen this cycle.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Failure {
    pub(super) reason: String,
    pub(super) evidence: String,
    pub(super) download_id: Option<String>,
}

/// Evidence text. Most of it is never shown (only a phase change records
/// it), so the frequent kinds are kept as data and rendered on demand.
#[derive(Debug, Clone, Default)]
pub(super) enum Evidence<'a> {
    #[default]
    Empty,
    Static(&'static str),
    Text(String),
    /// Pieces of text (fixed ones and names from the snapshot), joined.
    Concat([&'a str; 4]),
    /// "ARR grabbed 'TITLE'", with " (SIZE)" when the size is known.
    Grabbed {
        arr: &'static str,
        title: &'a str,
        size: Option<f64>,
    },
    /// "qBittorrent P%: 'NAME'".
    TorrentAt {
        percent: f64,
        name: &'a str,
    },
    /// "Sonarr has SxxEyy's file".
    SonarrFile {
        season: i32,
        number: i32,
    },
    /// "Jellyfin has SxxEyy (playable)".
    JellyfinEpisode {
        season: i32,
        number: i32,
    },
    /// "Jellyfin has all N aired episodes (playable)".
    JellyfinAllEpisodes(usize),
    /// "K of N aired episodes at PHASE".
    EpisodesAt {
        count: usize,
        total: usize,
        phase: Phase,
    },
}

impl Evidence<'_> {
    pub(super) fn render(&self) -> String {
        match self {
            Evidence::Empty => String::new(),
            Evidence::Static(s) => (*s).to_string(),
            Evidence::Text(s) => s.clone(),
            Evidence::Concat(parts) => parts.concat(),
            Evidence::Grabbed { arr, title, size } => {
                let size = size
                    .map(|s| format!(" ({})", human_size(s)))
                    .unwrap_or_default();
                format!("{arr} grabbed '{title}'{size}")
            }
            Evidence::TorrentAt { percent, name } => format!("qBittorrent {percent:.0}%: '{name}'"),
            Evidence::SonarrFile { season, number } => {
                format!("Sonarr has S{season:02}E{number:02}'s file")
            }
            Evidence::JellyfinEpisode { season, number } => {
                format!("Jellyfin has S{season:02}E{number:02} (playable)")
            }
            Evidence::JellyfinAllEpisodes(n) => {
                format!("Jellyfin has all {n} aired episodes (playable)")
            }
            Evidence::EpisodesAt {
                count,
                total,
                phase,
            } => format!("{count} of {total} aired episodes at {phase}"),
        }
    }
}

impl From<String> for Evidence<'_> {
    fn from(s: String) -> Self {
        Evidence::Text(s)
    }
}

impl From<&'static str> for Evidence<'_> {
    fn from(s: &'static str) -> Self {
        Evidence::Static(s)
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Verdict<'a> {
    /// The most advanced non-failed phase with evidence this cycle.
    pub(super) phase: Option<Phase>,
    pub(super) evidence: Evidence<'a>,
    pub(super) reason: Option<Text>,
    pub(super) warning: bool,
    pub(super) failure: Option<Failure>,
    /// Playable in Jellyfin (or the best evidence of it): evidence text.
    pub(super) available: Option<Evidence<'a>>,
    pub(super) progress: Option<f64>,
    pub(super) eta: Option<i64>,
    pub(super) speed: Option<i64>,
    /// Something disappeared upstream (phase kept): the reason.
    pub(super) removed: Option<String>,
}

impl<'a> Verdict<'a> {
    pub(super) fn offer(
        &mut self,
        phase: Phase,
        evidence: impl Into<Evidence<'a>>,
        reason: Option<Text>,
        warning: bool,
    ) {
        let better = self.phase.is_none_or(|p| phase.rank() > p.rank());
        if better {
            self.phase = Some(phase);
            self.evidence = evidence.into();
            self.reason = reason;
            self.warning = warning;
        } else if self.phase == Some(phase) && self.reason.is_none() && reason.is_some() {
            self.reason = reason;
            self.warning |= warning;
        }
    }

    /// A grab of another download after a failure read in the same cycle:
    /// the *arr searched again (by itself, or after a blocklist) and the
    /// failure is behind it. Radarr and Sonarr often write both within
    /// seconds, so one history read carries both.
    pub(super) fn regrabbed(&mut self, download_id: &str) {
        let superseded = self.failure.as_ref().is_some_and(|f| {
            f.download_id
                .as_deref()
                .is_some_and(|failed| !same_id(failed, download_id))
        });
        if superseded {
            self.failure = None;
        }
    }

    pub(super) fn fail(&mut self, reason: String, evidence: String, download_id: Option<&str>) {
        if self.failure.is_none() {
            self.failure = Some(Failure {
                reason,
                evidence,
                download_id: download_id.map(str::to_string),
            });
        }
    }
}

pub(super) fn queue_messages(q: &ArrQueueItem) -> Option<String> {
    let msgs: Vec<&str> = q
        .messages
        .iter()
        .map(String::as_str)
        .filter(|m| !m.trim().is_empty())
        .collect();
    if msgs.is_empty() {
        q.error_message.clone().filter(|m| !m.trim().is_empty())
    } else {
        Some(msgs.join("; "))
    }
}

/// The *arr queue's word on one download.
pub(super) fn queue_verdict<'a>(
    v: &mut Verdict<'a>,
    q: &'a ArrQueueItem,
    arr: &'static str,
    wait_reason: &'static str,
) {
    let warning = matches!(q.tracked_status.as_deref(), Some("warning") | Some("error"));
    match q.tracked_state.as_deref() {
        Some("failed") | Some("failedPending") => {
            let reason = queue_messages(q).unwrap_or_else(|| "the download failed".into());
            v.fail(
                reason.clone(),
                format!("{arr}: {reason}"),
                q.download_id.as_deref(),
            );
        }
        Some("importBlocked") | Some("importPending") => {
            let reason: Text = queue_messages(q).map_or(Cow::Borrowed(wait_reason), Cow::Owned);
            v.offer(
                Phase::DownloadDone,
                format!("{arr}: {reason}"),
                Some(reason),
                warning,
            );
        }
        Some("importing") | Some("imported") => {
            v.offer(
                Phase::Importing,
                Evidence::Concat([arr, " is importing '", &q.title, "'"]),
                None,
                false,
            );
        }
        _ if q.download_id.is_none()
            && matches!(
                q.status.as_str(),
                "delay" | "downloadClientUnavailable" | "fallback"
            ) =>
        {
            v.offer(
                Phase::Approved,
                format!("{arr} holds '{}' ({})", q.title, q.status),
                Some(reasons::HELD.into()),
                false,
            );
        }
        _ if q.status == "completed" => {
            let reason: Text = if warning {
                queue_messages(q).map_or(Cow::Borrowed(wait_reason), Cow::Owned)
            } else {
                Cow::Borrowed(wait_reason)
            };
            v.offer(
                Phase::DownloadDone,
                Evidence::Concat([arr, ": download of '", &q.title, "' complete"]),
                Some(reason),
                warning,
            );
        }
        _ => {
            let reason = if warning {
                queue_messages(q).map(Cow::Owned)
            } else {
                None
            };
            v.offer(
                Phase::Downloading,
                Evidence::Grabbed {
                    arr,
                    title: &q.title,
                    size: Some(q.size),
                },
                reason,
                warning,
            );
            if q.size > 0.0 {
                let p = (1.0 - q.sizeleft / q.size).clamp(0.0, 1.0);
                if v.progress.is_none() {
                    v.progress = Some(p);
                    v.eta = q.timeleft_secs.filter(|s| *s >= 0);
                }
            }
        }
    }
}

/// qBittorrent's word on one download. Returns false when the torrent is not
/// in a complete listing (it was removed), true otherwise.
pub(super) fn torrent_verdict<'a>(
    v: &mut Verdict<'a>,
    ctx: &Lookups<'a>,
    dl: &str,
    wait_reason: &'static str,
) -> bool {
    if !is_torrent_hash(dl) || ctx.torrents.is_none() {
        return true;
    }
    let Some(t) = ctx.torrent(dl) else {
        return false;
    };
    match &t.state {
        TorrentState::Error => v.fail(
            reasons::TORRENT_ERROR.to_string(),
            format!("qBittorrent: error on '{}'", t.name),
            Some(dl),
        ),
        TorrentState::MissingFiles => v.fail(
            reasons::MISSING_FILES.to_string(),
            format!("qBittorrent: files of '{}' missing", t.name),
            Some(dl),
        ),
        state if *state == TorrentState::Completed || t.progress >= 1.0 => {
            v.offer(
                Phase::DownloadDone,
                Evidence::Concat(["qBittorrent 100%: '", &t.name, "'", ""]),
                Some(wait_reason.into()),
                false,
            );
        }
        state => {
            let (reason, warning) = match state {
                // Attention only once stalled for a while ([`super::stuck`]).
                TorrentState::Stalled => (Some(reasons::STALLED), false),
                TorrentState::StoppedDownload => (Some(reasons::PAUSED), true),
                TorrentState::FetchingMetadata => (Some(reasons::METADATA), false),
                _ => (None, false),
            };
            v.offer(
                Phase::Downloading,
                Evidence::TorrentAt {
                    percent: (t.progress * 100.0).floor(),
                    name: &t.name,
                },
                reason.map(Cow::Borrowed),
                warning,
            );
            if v.phase == Some(Phase::Downloading) {
                v.reason = reason.map(Cow::Borrowed).or(v.reason.take());
                v.warning = warning || v.warning;
            }
            v.progress = Some(t.progress.clamp(0.0, 1.0));
            v.eta = t.eta_secs;
            v.speed = Some(t.dlspeed.max(0));
        }
    }
    true
}

/// Shoko's word on an imported file; returns the AniDB ids it matched.
pub(super) fn shoko_verdict<'a>(
    v: &mut Verdict<'a>,
    ctx: &Lookups<'a>,
    path: Option<&str>,
) -> &'a [i64] {
    let Some(shoko) = ctx.shoko else {
        // Shoko failed this cycle: the phase stands on the *arr's evidence alone.
        v.offer(
            Phase::AnimeMatching,
            "imported; waiting for Shoko",
            None,
            false,
        );
        return &[];
    };
    // The key Shoko holds is the path itself, borrowed from the snapshot.
    let found = path.and_then(|p| shoko.files.get_key_value(p));
    let (reason, warning, ids) = match found.map(|(_, m)| m) {
        None | Some(ShokoMatch::NotSeen) => (reasons::SHOKO_NOT_SEEN, false, &[][..]),
        Some(ShokoMatch::Unrecognized) => (reasons::SHOKO_UNRECOGNIZED, true, &[][..]),
        Some(ShokoMatch::ImportLimbo) => (reasons::SHOKO_LIMBO, false, &[][..]),
        Some(ShokoMatch::Matched { anidb_ids, .. }) => {
            (reasons::SHOKO_MATCHED, false, anidb_ids.as_slice())
        }
    };
    let evidence = match (found, path) {
        (Some((p, _)), _) => Evidence::Concat(["Shoko: '", file_name(p), "' — ", reason]),
        (None, Some(p)) => format!("Shoko: '{}' — {reason}", file_name(p)).into(),
        (None, None) => Evidence::Concat(["Shoko: ", reason, "", ""]),
    };
    v.offer(Phase::AnimeMatching, evidence, Some(reason.into()), warning);
    if v.phase == Some(Phase::AnimeMatching) {
        v.reason = Some(reason.into());
        v.warning = warning;
    }
    ids
}

// ---------------------------------------------------------------------------
// Jellyseerr's word, shared by films and series.
// ---------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, Default)]
pub(super) struct SeerrSays {
    pub(super) declined: bool,
    pub(super) failed: bool,
    /// Media AVAILABLE in Jellyseerr (weak evidence: only used with no Jellyfin and no *arr).
    pub(super) available: bool,
}

pub(super) fn seerr_verdict<'a>(
    v: &mut Verdict<'a>,
    rec: &mut Draft<'_>,
    req: Option<&'a SeerrRequest>,
) -> SeerrSays {
    let mut word = SeerrSays::default();
    let Some(req) = req else {
        // Not in this cycle's listing: Jellyseerr said nothing new.
        return word;
    };
    set_if_changed!(rec, [seerr_status], Some(req.status));
    set_if_changed!(rec, [seerr_media_status], Some(req.media_status));
    set_if_changed!(rec, [seerr_updated_at], Some(req.updated_at));
    if let Some(id) = &req.jellyfin_media_id {
        if rec.jellyfin_id.is_none() {
            rec.to_mut().jellyfin_id = Some(id.clone());
        }
    }
    if let Some(t) = &req.title {
        if *t != rec.title {
            rec.to_mut().title.clone_from(t);
        }
    }
    if req.year.is_some() {
        set_if_changed!(rec, [year], req.year);
    }
    if req.poster_path.is_some() && rec.poster_path != req.poster_path {
        rec.to_mut().poster_path.clone_from(&req.poster_path);
    }
    if req.is_anime {
        set_if_changed!(rec, [is_anime], true);
    }
    let by = &req.requested_by;
    match req.status {
        SeerrRequestStatus::Pending => v.offer(
            Phase::Requested,
            Evidence::Concat([
                "Jellyseerr: requested by ",
                by,
                ", waiting for approval",
                "",
            ]),
            None,
            false,
        ),
        SeerrRequestStatus::Approved | SeerrRequestStatus::Completed => {
            v.offer(Phase::Approved, "Jellyseerr: request approved", None, false)
        }
        SeerrRequestStatus::Declined => word.declined = true,
        SeerrRequestStatus::Failed => word.failed = true,
        SeerrRequestStatus::Unknown(_) => {}
    }
    word.available = matches!(req.media_status, SeerrMediaStatus::Available)
        && matches!(
            req.status,
            SeerrRequestStatus::Approved | SeerrRequestStatus::Completed
        );
    word
}

/// `*slot = Some(text.to_string())`, reusing the slot's allocation.
pub(super) fn set_text(slot: &mut Option<String>, text: &str) {
    match slot {
        Some(s) if s == text => {}
        Some(s) => {
            s.clear();
            s.push_str(text);
        }
        None => *slot = Some(text.to_string()),
    }
}

/// `set_text(&mut rec.jellyfin_id, id)` on a draft.
pub(super) fn set_jellyfin_id(rec: &mut Draft<'_>, id: &str) {
    if rec.jellyfin_id.as_deref() != Some(id) {
        set_text(&mut rec.to_mut().jellyfin_id, id);
    }
}

/// Adds the AniDB ids `found` that the record does not know yet.
pub(super) fn remember_anidb(rec: &mut Draft<'_>, found: &[i64]) {
    if found.iter().all(|id| rec.anidb_ids.contains(id)) {
        return;
    }
    let known = &mut rec.to_mut().anidb_ids;
    for id in found {
        if !known.contains(id) {
            known.push(*id);
        }
    }
}

/// Records a film's download id as its newest.
pub(super) fn push_download(rec: &mut Draft<'_>, dl: &str) {
    let ids = &rec.download_ids;
    let pos = ids.iter().position(|d| same_id(d, dl));
    // Already known: it stays where it is unless it is a re-grab of an older one.
    if pos.is_some_and(|p| p + 1 == ids.len()) {
        return;
    }
    let ids = &mut rec.to_mut().download_ids;
    if let Some(p) = pos {
        ids.remove(p);
    }
    ids.push(dl.to_ascii_uppercase());
}

pub(super) fn is_failed_download(failed: Option<&str>, dl: &str) -> bool {
    failed.is_some_and(|f| same_id(f, dl))
}
