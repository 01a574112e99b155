//! How long requests take, from the app's own timeline: request to
//! available, and each phase's stints. Pure: the store hands over the phase
//! changes it recorded, and the caller shapes the figures (`contract.rs`).
//!
//! - A request is *finished* when the app saw it before AVAILABLE and later
//!   saw it become AVAILABLE; one first seen AVAILABLE adds nothing.
//! - Request to available runs from Jellyseerr's `createdAt` to the (first)
//!   transition to AVAILABLE.
//! - A phase's stint runs from entering it to leaving it; the first phase
//!   starts at `createdAt`; a stint counts once left, finished request or
//!   not; every stint counts; FAILED's do not.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};

use super::model::{MediaType, Phase, Records, RequestRecord};

/// One recorded phase change of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhaseChangeAt {
    /// The tracker's own request id.
    pub request_id: i64,
    pub at: DateTime<Utc>,
    /// None at first sight.
    pub from: Option<Phase>,
    pub to: Phase,
}

/// Durations in seconds, for one group of requests (all, films, series).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Durations {
    /// Request to available, one per finished request.
    pub request_to_available: Vec<i64>,
    /// Every left stint of every phase but FAILED.
    pub phases: BTreeMap<Phase, Vec<i64>>,
}

/// The durations of every request, of the films and of the series.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timings {
    pub all: Durations,
    pub movie: Durations,
    pub tv: Durations,
}

/// Gathers the durations from the records and their phase changes (in the
/// order they were recorded).
pub fn timings(records: &Records, changes: &[PhaseChangeAt]) -> Timings {
    let mut by_request: HashMap<i64, Vec<&PhaseChangeAt>> = HashMap::new();
    for c in changes {
        by_request.entry(c.request_id).or_default().push(c);
    }
    let mut out = Timings::default();
    let mut ids: Vec<&i64> = by_request.keys().collect();
    ids.sort_unstable();
    for id in ids {
        let Some(rec) = records.get(id) else {
            continue;
        };
        let mut one = Durations::default();
        let mut stint_start = rec.requested_at;
        let mut first_seen_available = false;
        for (i, c) in by_request[id].iter().enumerate() {
            if i == 0 && c.from.is_none() && c.to == Phase::Available {
                first_seen_available = true;
            }
            if let Some(left) = c.from {
                if left != Phase::Failed {
                    one.phases
                        .entry(left)
                        .or_default()
                        .push(secs(stint_start, c.at));
                }
            }
            if c.to == Phase::Available
                && c.from.is_some()
                && !first_seen_available
                && one.request_to_available.is_empty()
            {
                one.request_to_available.push(secs(rec.requested_at, c.at));
            }
            if c.from.is_some() {
                // First sight does not end a stint: the first phase runs
                // from createdAt.
                stint_start = c.at;
            }
        }
        let group = match rec.media_type {
            MediaType::Movie => &mut out.movie,
            MediaType::Tv => &mut out.tv,
        };
        group.absorb(&one);
        out.all.absorb(&one);
    }
    out
}

impl Durations {
    fn absorb(&mut self, other: &Durations) {
        self.request_to_available
            .extend(&other.request_to_available);
        for (phase, stints) in &other.phases {
            self.phases.entry(*phase).or_default().extend(stints);
        }
    }
}

/// Each phase's median stint, for films and for series: what the ETA to
/// available adds for the phases still ahead of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Medians {
    movie: BTreeMap<Phase, i64>,
    tv: BTreeMap<Phase, i64>,
}

impl Medians {
    pub fn new(t: &Timings) -> Self {
        let medians = |d: &Durations| {
            d.phases
                .iter()
                .filter_map(|(phase, stints)| Some((*phase, percentile(stints, 50)?)))
                .collect()
        };
        Self {
            movie: medians(&t.movie),
            tv: medians(&t.tv),
        }
    }
}

/// The phases between a download's end and AVAILABLE whose medians the ETA
/// adds: those after the request's current phase.
const AFTER_DOWNLOAD: [Phase; 3] = [Phase::DownloadDone, Phase::Importing, Phase::AnimeMatching];

/// Seconds until an open request is likely AVAILABLE: the download's own
/// remaining ETA (none while stalled: `eta_secs` is then unknown), plus
/// the medians, for its media type, of DOWNLOAD_DONE, IMPORTING and (anime)
/// ANIME_MATCHING where they are still ahead of it; a phase without history
/// adds 0. None for a request that is not open, and when there is neither
/// an ETA nor any history.
pub fn eta_available(rec: &RequestRecord, medians: &Medians) -> Option<i64> {
    if !super::is_open(rec) || rec.phase == Phase::Failed {
        return None;
    }
    let stalled = rec.reason.as_deref() == Some(super::reasons::STALLED);
    let download = rec
        .eta_secs
        .filter(|_| !stalled && rec.phase <= Phase::Downloading);
    let by_phase = match rec.media_type {
        MediaType::Movie => &medians.movie,
        MediaType::Tv => &medians.tv,
    };
    let ahead: Vec<i64> = AFTER_DOWNLOAD
        .iter()
        .filter(|p| **p > rec.phase)
        .filter(|p| **p != Phase::AnimeMatching || rec.is_anime)
        .filter_map(|p| by_phase.get(p).copied())
        .collect();
    if download.is_none() && ahead.is_empty() {
        return None;
    }
    Some(download.unwrap_or(0) + ahead.iter().sum::<i64>())
}

/// The histogram's bin edges, in seconds: a ladder of human durations (1 min,
/// 5 min, 15 min, 30 min, 1 h, 2 h, 4 h, 8 h, 1 d, 2 d, 4 d, 1 week,
/// 2 weeks, 30 d), roughly doubling, so that a request done in minutes and
/// one that took weeks both read. Bin `i` runs from `BIN_EDGES[i]`
/// (inclusive) to `BIN_EDGES[i + 1]` (exclusive); the last is open.
pub const BIN_EDGES: [i64; 15] = [
    0, 60, 300, 900, 1_800, 3_600, 7_200, 14_400, 28_800, 86_400, 172_800, 345_600, 604_800,
    1_209_600, 2_592_000,
];

/// One bin of a histogram of durations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bin {
    /// Lower bound in seconds, inclusive.
    pub from: i64,
    /// Upper bound in seconds, exclusive; None for the last, open bin.
    pub to: Option<i64>,
    /// How many durations fall in it.
    pub count: usize,
}

/// Histograms of several groups of durations (films, series) on the same
/// bins of [`BIN_EDGES`]: one list per group, each running from the first
/// bin any group fills to the last, empty bins between included, so that
/// the groups' bars line up. Empty lists when no group has a duration.
pub fn histograms(groups: &[&[i64]]) -> Vec<Vec<Bin>> {
    let index = |d: i64| BIN_EDGES.partition_point(|edge| *edge <= d).max(1) - 1;
    let counts: Vec<[usize; BIN_EDGES.len()]> = groups
        .iter()
        .map(|durations| {
            let mut c = [0; BIN_EDGES.len()];
            for d in durations.iter() {
                c[index(*d)] += 1;
            }
            c
        })
        .collect();
    let filled = |i: &usize| counts.iter().any(|c| c[*i] > 0);
    let first = (0..BIN_EDGES.len()).find(filled);
    let last = (0..BIN_EDGES.len()).rev().find(filled);
    let (Some(first), Some(last)) = (first, last) else {
        return vec![Vec::new(); groups.len()];
    };
    counts
        .iter()
        .map(|c| {
            (first..=last)
                .map(|i| Bin {
                    from: BIN_EDGES[i],
                    to: BIN_EDGES.get(i + 1).copied(),
                    count: c[i],
                })
                .collect()
        })
        .collect()
}

/// Whole seconds from `a` to `b`; never negative (a clock set back).
fn secs(a: DateTime<Utc>, b: DateTime<Utc>) -> i64 {
    (b - a).num_seconds().max(0)
}

/// The `p`-th percentile by the nearest-rank method: the smallest value
/// with at least `p` % of the values at or below it. None when empty.
pub fn percentile(values: &[i64], p: u32) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    // rank = ceil(p/100 * n), at least 1.
    let rank = (p as usize * n).div_ceil(100).max(1);
    sorted.get(rank.min(n) - 1).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap() + chrono::Duration::minutes(min)
    }

    fn change(id: i64, min: i64, from: Option<Phase>, to: Phase) -> PhaseChangeAt {
        PhaseChangeAt {
            request_id: id,
            at: t(min),
            from,
            to,
        }
    }

    #[test]
    fn histograms_share_their_bins_from_the_first_filled_to_the_last() {
        // Films: 40 s, 40 min, 1 h 10 min (twice), 3 h; series: 1 d 6 h.
        let films = [40, 2_400, 4_200, 4_200, 10_800];
        let series = [108_000];
        let h = histograms(&[&films, &series]);
        let bins = |g: &[Bin]| {
            g.iter()
                .map(|b| (b.from, b.to, b.count))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            bins(&h[0]),
            [
                (0, Some(60), 1),
                (60, Some(300), 0),
                (300, Some(900), 0),
                (900, Some(1_800), 0),
                (1_800, Some(3_600), 1),
                (3_600, Some(7_200), 2),
                (7_200, Some(14_400), 1),
                (14_400, Some(28_800), 0),
                (28_800, Some(86_400), 0),
                (86_400, Some(172_800), 0),
            ],
            "the films' bins run to the series' last"
        );
        assert_eq!(h[1].len(), h[0].len(), "the same bins in both groups");
        assert_eq!(h[1].last().map(|b| b.count), Some(1));
        assert_eq!(h[1].iter().map(|b| b.count).sum::<usize>(), 1);

        // An edge belongs to the bin above it; past 30 d is the open bin;
        // a negative duration (a clock set back) counts in the first.
        let h = histograms(&[&[3_600, 5_000_000, -5]]);
        let counts: Vec<usize> = h[0].iter().map(|b| b.count).collect();
        assert_eq!(h[0].first().map(|b| b.from), Some(0));
        assert_eq!(
            h[0][5],
            Bin {
                from: 3_600,
                to: Some(7_200),
                count: 1
            }
        );
        assert_eq!(
            h[0].last(),
            Some(&Bin {
                from: 2_592_000,
                to: None,
                count: 1
            })
        );
        assert_eq!(counts.iter().sum::<usize>(), 3);

        let none: [&[i64]; 2] = [&[], &[]];
        assert_eq!(histograms(&none), [Vec::<Bin>::new(), Vec::new()]);
    }

    #[test]
    fn nearest_rank_percentiles() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 90), Some(7));
        let v = [15, 20, 35, 40, 50];
        assert_eq!(percentile(&v, 50), Some(35));
        assert_eq!(percentile(&v, 90), Some(50));
        let ten: Vec<i64> = (1..=10).rev().collect();
        assert_eq!(percentile(&ten, 50), Some(5));
        assert_eq!(percentile(&ten, 90), Some(9));
    }

    #[test]
    fn the_eta_adds_the_medians_of_the_phases_ahead_to_the_downloads_own() {
        let mut records = Records::new();
        records.insert(1, crate::testkit::film(1, Phase::Available, t(0)));
        let changes = [
            change(1, 1, None, Phase::Downloading),
            change(1, 10, Some(Phase::Downloading), Phase::DownloadDone),
            change(1, 12, Some(Phase::DownloadDone), Phase::Importing),
            change(1, 17, Some(Phase::Importing), Phase::Available),
        ];
        let medians = Medians::new(&timings(&records, &changes));
        let mut r = crate::testkit::film(2, Phase::Downloading, t(0));
        r.eta_secs = Some(600);
        // 600 s of download, DOWNLOAD_DONE's 120 s, IMPORTING's 300 s.
        assert_eq!(eta_available(&r, &medians), Some(1020));
        r.reason = Some(crate::tracker::reasons::STALLED.to_string());
        assert_eq!(
            eta_available(&r, &medians),
            Some(420),
            "no ETA while stalled"
        );
        r.reason = None;
        r.phase = Phase::Importing;
        r.eta_secs = None;
        assert_eq!(
            eta_available(&r, &medians),
            None,
            "nothing ahead with history"
        );
        r.phase = Phase::DownloadDone;
        assert_eq!(eta_available(&r, &medians), Some(300));
        r.is_anime = true;
        assert_eq!(
            eta_available(&r, &medians),
            Some(300),
            "no anime history adds 0"
        );
        r.phase = Phase::Requested;
        assert_eq!(
            eta_available(&r, &Medians::default()),
            None,
            "no ETA, no history"
        );
        r.phase = Phase::Available;
        assert_eq!(eta_available(&r, &medians), None, "not open");
    }

    #[test]
    fn stints_and_request_to_available_follow_the_timeline() {
        let mut records = Records::new();
        // A film requested at 0, seen at 1, downloading 10-40, available 60.
        records.insert(1, crate::testkit::film(1, Phase::Available, t(0)));
        // A series first seen AVAILABLE: adds nothing to request to available.
        let mut series = crate::testkit::film(2, Phase::Available, t(0));
        series.media_type = MediaType::Tv;
        records.insert(2, series);
        // A film that failed and came back: FAILED's stint is not counted,
        // DOWNLOADING's two stints are; not finished.
        records.insert(3, crate::testkit::film(3, Phase::Downloading, t(0)));
        let changes = [
            change(1, 1, None, Phase::Requested),
            change(1, 5, Some(Phase::Requested), Phase::Approved),
            change(1, 10, Some(Phase::Approved), Phase::Downloading),
            change(1, 40, Some(Phase::Downloading), Phase::Importing),
            change(1, 60, Some(Phase::Importing), Phase::Available),
            change(2, 3, None, Phase::Available),
            change(3, 2, None, Phase::Downloading),
            change(3, 12, Some(Phase::Downloading), Phase::Failed),
            change(3, 30, Some(Phase::Failed), Phase::Downloading),
            change(3, 33, Some(Phase::Downloading), Phase::Importing),
        ];
        let got = timings(&records, &changes);
        assert_eq!(got.all.request_to_available, [3600]);
        assert_eq!(got.movie.request_to_available, [3600]);
        assert!(
            got.tv.request_to_available.is_empty(),
            "first seen AVAILABLE"
        );
        assert_eq!(
            got.all.phases[&Phase::Requested],
            [300],
            "the first phase starts at createdAt"
        );
        assert_eq!(got.all.phases[&Phase::Downloading], [1800, 720, 180]);
        assert!(!got.all.phases.contains_key(&Phase::Failed));
        assert!(
            !got.all.phases.contains_key(&Phase::Available),
            "a phase counts once left"
        );
        assert_eq!(got.movie.phases[&Phase::Importing], [1200]);
    }
}
