//! Deciding and advancing (forward only; FAILED left only on new evidence).

use super::*;

/// How long a phase may last before the request needs attention.
pub(super) fn stuck_after(phase: Phase) -> Option<TimeDelta> {
    match phase {
        Phase::Requested => Some(TimeDelta::days(7)),
        Phase::Approved => Some(TimeDelta::days(7)),
        Phase::Grabbing => Some(TimeDelta::days(2)),
        Phase::Downloading => Some(TimeDelta::days(2)),
        // Not imported: [`super::stuck`], with the user's threshold.
        Phase::DownloadDone => None,
        Phase::Importing => Some(TimeDelta::hours(12)),
        Phase::AnimeMatching => Some(TimeDelta::hours(6)),
        Phase::Available | Phase::Failed => None,
    }
}

#[derive(Debug, Clone, Default)]
pub(super) struct Decision<'a> {
    pub(super) phase: Option<Phase>,
    pub(super) reason: Option<Text>,
    pub(super) warning: bool,
    pub(super) evidence: Evidence<'a>,
    pub(super) failure_download: Option<String>,
}

pub(super) fn decide(v: Verdict<'_>, word: SeerrSays) -> Decision<'_> {
    if let Some(ev) = v.available {
        return Decision {
            phase: Some(Phase::Available),
            reason: None,
            warning: false,
            evidence: ev,
            failure_download: None,
        };
    }
    if let Some(f) = v.failure {
        return Decision {
            phase: Some(Phase::Failed),
            reason: Some(f.reason.into()),
            warning: true,
            evidence: f.evidence.into(),
            // Remember which download failed; "-" when the *arr named none.
            failure_download: Some(f.download_id.unwrap_or_else(|| "-".into())),
        };
    }
    let seerr_fail = if word.declined {
        Some(reasons::DECLINED)
    } else if word.failed && v.phase.is_none_or(|p| p <= Phase::Approved) {
        Some(reasons::SEERR_FAILED)
    } else {
        None
    };
    if let Some(reason) = seerr_fail {
        return Decision {
            phase: Some(Phase::Failed),
            reason: Some(reason.into()),
            warning: true,
            evidence: format!("Jellyseerr: {reason}").into(),
            failure_download: None,
        };
    }
    Decision {
        phase: v.phase,
        reason: v.reason,
        warning: v.warning,
        evidence: v.evidence,
        failure_download: None,
    }
}

/// The outcome of advancing one phase/reason pair.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct PhaseStep {
    pub(super) phase: Phase,
    /// Some(the new reason) when it is not the one given (most cycles
    /// change no reason, and then nothing is copied).
    pub(super) reason: Option<Option<String>>,
    /// Some(new attention flag) when phase or reason changed.
    pub(super) warning: Option<bool>,
    /// Some(evidence) when the phase changed.
    pub(super) evidence: Option<String>,
}

impl PhaseStep {
    /// The reason after the advance, given the one before.
    pub(super) fn reason_after<'s>(&'s self, before: Option<&'s str>) -> Option<&'s str> {
        match &self.reason {
            Some(changed) => changed.as_deref(),
            None => before,
        }
    }
}

pub(super) fn advance<'x>(
    phase: Phase,
    reason: &'x Option<String>,
    failed_download: Option<&str>,
    d: &'x Decision<'_>,
    removed: Option<&'x String>,
    all_ok: bool,
) -> PhaseStep {
    // `PhaseStep` with the reason borrowed: it is copied at the end, and
    // only when it changed.
    struct Out<'x> {
        phase: Phase,
        reason: Option<&'x str>,
        warning: Option<bool>,
        evidence: Option<String>,
    }
    let mut out = Out {
        phase,
        reason: reason.as_deref(),
        warning: None,
        evidence: None,
    };
    let set = |out: &mut Out<'x>, p: Phase| {
        if p != phase {
            out.evidence = Some(d.evidence.render());
        }
        out.phase = p;
        out.reason = d.reason.as_deref();
        out.warning = Some(d.warning);
    };
    match d.phase {
        None => {}
        Some(_) if phase == Phase::Available => {} // finished records are frozen
        Some(Phase::Available) => set(&mut out, Phase::Available),
        Some(Phase::Failed)
            if phase != Phase::Failed || reason.as_deref() != d.reason.as_deref() =>
        {
            set(&mut out, Phase::Failed);
        }
        Some(Phase::Failed) => {}
        Some(p) if phase == Phase::Failed => {
            // A failed download is left only for new positive evidence (a new
            // grab, an import); a Jellyseerr failure when Jellyseerr changes its mind.
            let recover = match failed_download {
                Some(_) => p >= Phase::Downloading,
                None => true,
            };
            if recover {
                set(&mut out, p);
            }
        }
        Some(p) if p > phase => set(&mut out, p),
        // Same phase: refresh the reason, but a service that failed this
        // cycle cannot clear one.
        Some(p)
            if p == phase
                && (d.reason.is_some() || all_ok)
                && out.reason != d.reason.as_deref() =>
        {
            out.warning = Some(d.warning);
            out.reason = d.reason.as_deref();
        }
        Some(_) => {} // never backwards
    }
    if let Some(r) = removed {
        if out.phase == phase && !matches!(phase, Phase::Available | Phase::Failed) {
            if out.reason != Some(r.as_str()) {
                out.warning = Some(true);
            }
            out.reason = Some(r);
        }
    }
    PhaseStep {
        phase: out.phase,
        reason: (out.reason != reason.as_deref()).then(|| out.reason.map(str::to_string)),
        warning: out.warning,
        evidence: out.evidence,
    }
}

/// Writes an advance into a record, with its events and attention.
pub(super) fn apply_step(
    rec: &mut Draft<'_>,
    adv: PhaseStep,
    failure_download: Option<String>,
    is_new: bool,
    now: DateTime<Utc>,
    changes: &mut Vec<Change>,
) {
    let phase_changed = adv.phase != rec.phase || is_new;
    let reason_changed = adv.reason.is_some();
    if phase_changed {
        changes.push(Change::PhaseChanged {
            request_id: rec.id,
            at: now,
            from: if is_new { None } else { Some(rec.phase) },
            to: adv.phase,
            evidence: adv.evidence.clone().unwrap_or_else(|| {
                adv.reason_after(rec.reason.as_deref())
                    .unwrap_or("first seen in Jellyseerr")
                    .to_string()
            }),
        });
        if adv.phase != rec.phase || is_new {
            set_if_changed!(rec, [phase_since], now);
        }
    } else if reason_changed {
        changes.push(Change::ReasonChanged {
            request_id: rec.id,
            at: now,
            phase: adv.phase,
            reason: adv.reason.clone().flatten(),
        });
    }
    if adv.phase == Phase::Failed && (phase_changed || reason_changed) {
        // On recovery the failed id is kept, so its late evidence stays ignored.
        set_if_changed!(rec, [failed_download_id], failure_download);
    }
    if phase_changed || reason_changed {
        set_if_changed!(rec, [updated_at], now);
        set_if_changed!(rec, [acknowledged], false);
        set_if_changed!(rec, [attention], adv.warning.unwrap_or(rec.attention));
    }
    set_if_changed!(rec, [phase], adv.phase);
    if let Some(reason) = adv.reason {
        rec.to_mut().reason = reason;
    }
    if rec.phase == Phase::Failed {
        set_if_changed!(rec, [attention], true);
    } else if rec.phase == Phase::Available && phase_changed {
        set_if_changed!(rec, [attention], false);
    }
    if let Some(limit) = stuck_after(rec.phase) {
        if now - rec.phase_since > limit && !rec.attention {
            let rec = rec.to_mut();
            rec.attention = true;
            rec.acknowledged = false;
        }
    }
}
