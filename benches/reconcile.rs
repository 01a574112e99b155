//! Reconcile cost: `tracker::reconcile` over snapshots of 100, 1,000 and
//! 10,000 requests with as many torrents.
//!
//! The snapshots look like a real library: about 60 % films and 40 % series
//! (one season of 8 episodes), 10 % anime (Shoko files), about 80 % available
//! in Jellyfin and 20 % somewhere in the pipeline (pending, approved,
//! downloading, import blocked, imported). Every grabbed request has its
//! torrent; finished ones seed, and unrelated torrents fill the client up to
//! `n` torrents.
//!
//! Four cases per size:
//! - `first`: empty records (the first cycle ever: every request is new);
//! - `steady`: an ordinary cycle of a steady state: the records the previous
//!   cycles left, and what the clients hand over then (no Jellyseerr request
//!   modified, no *arr history event not yet read, the *arr details and
//!   Jellyfin episodes of the wanted media only: see `ordinary`), so nothing
//!   changes (checked before timing), through one `Reconciler` as the poller
//!   runs it (Jellyfin's data is the same allocation, its index kept);
//! - `steady_jellyfin_changed`: the same, but Jellyfin's items are indexed
//!   again (`tracker::reconcile`), as in a cycle where Jellyfin's answer changed;
//! - `sweep`: the slow full re-read (every 15 min by default): Jellyseerr's
//!   complete listing, so every record is looked at, and every series with
//!   its episodes (the *arr history already read is not read again).
//!
//! Target (issue 4): 10,000 requests < 10 ms per cycle, growth no worse than
//! linear. `tools/bench.sh` reads criterion's `estimates.json` files, and
//! judges the growth on the work: the instructions of each case counted
//! under cachegrind (`RECONCILE_RUN`, see `run_plain`), since time per
//! request also grows with the size of the data against the caches.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use criterion::{criterion_group, BenchmarkId, Criterion, Throughput};

use status_tracker_lib::sim::Stage;
use status_tracker_lib::tracker::{
    self, ArrHistoryEvent, ArrQueueItem, HistoryKind, JellyfinData, JellyfinItem, JellyfinKind,
    MediaType, QbitData, RadarrData, RadarrMovie, Records, SeerrData, SeerrMediaStatus,
    SeerrRequest, SeerrRequestStatus, ShokoData, ShokoMatch, Snapshot, SonarrData, SonarrEpisode,
    SonarrSeries, Source, Torrent, TorrentState,
};

/// The sizes measured. 20,000 is past the target's sizes: beside 10,000, it
/// shows how the cost grows once the data no longer fits in the caches.
const SIZES: [usize; 4] = [100, 1_000, 10_000, 20_000];

/// Episodes per generated series (one season).
const EPISODES: i32 = 8;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .unwrap_or_default()
}

/// An empty snapshot with every service configured and answering.
fn empty() -> (
    SeerrData,
    RadarrData,
    SonarrData,
    QbitData,
    ShokoData,
    JellyfinData,
) {
    (
        SeerrData {
            requests: Vec::new(),
            complete: true,
        },
        RadarrData::default(),
        SonarrData::default(),
        QbitData::default(),
        ShokoData::default(),
        JellyfinData {
            items: Vec::new(),
            server_id: Some("0123456789abcdef0123456789abcdef".into()),
        },
    )
}

fn torrent(hash: &str, name: &str, progress: f64) -> Torrent {
    let size = 8_000_000_000_i64;
    let done = progress >= 1.0;
    Torrent {
        hash: hash.to_string(),
        infohash_v1: Some(hash.to_string()),
        infohash_v2: None,
        name: name.to_string(),
        progress,
        state: if done {
            TorrentState::Completed
        } else {
            TorrentState::Downloading
        },
        dlspeed: if done { 0 } else { 5_000_000 },
        eta_secs: (!done).then_some(600),
        size,
        amount_left: ((1.0 - progress) * size as f64) as i64,
    }
}

fn queue_item(
    download_id: &str,
    media_id: i64,
    episode_id: Option<i64>,
    stage: Stage,
) -> ArrQueueItem {
    let blocked = stage == Stage::Blocked;
    ArrQueueItem {
        download_id: Some(download_id.to_string()),
        media_id: Some(media_id),
        episode_id,
        title: format!("Release.{media_id}.1080p.WEB-DL.H.264-SIM"),
        size: 8_000_000_000.0,
        sizeleft: if blocked { 0.0 } else { 4_000_000_000.0 },
        timeleft_secs: (!blocked).then_some(600),
        status: if blocked { "completed" } else { "downloading" }.into(),
        tracked_status: Some(if blocked { "warning" } else { "ok" }.into()),
        tracked_state: Some(
            if blocked {
                "importBlocked"
            } else {
                "downloading"
            }
            .into(),
        ),
        messages: if blocked {
            vec!["No files found are eligible for import".into()]
        } else {
            vec![]
        },
        error_message: None,
        protocol: Some("torrent".into()),
    }
}

fn grabbed(id: i64, download_id: &str, media_id: i64, episode_id: Option<i64>) -> ArrHistoryEvent {
    ArrHistoryEvent {
        id,
        kind: HistoryKind::Grabbed,
        date: now() - TimeDelta::hours(2),
        download_id: Some(download_id.to_string()),
        media_id,
        episode_id,
        source_title: format!("Release.{media_id}.1080p.WEB-DL.H.264-SIM"),
        message: None,
        imported_path: None,
        size: Some(8_000_000_000.0),
    }
}

fn jf_item(id: String, kind: JellyfinKind, name: String) -> JellyfinItem {
    JellyfinItem {
        id,
        kind,
        name,
        tmdb_id: None,
        tvdb_id: None,
        anidb_id: None,
        playable: true,
        series_id: None,
        season: None,
        episode: None,
        episode_end: None,
        date_created: None,
        files: Vec::new(),
        shoko_file_ids: Vec::new(),
    }
}

/// A snapshot of `n` requests and `n` torrents, deterministic for a seed.
fn snapshot(n: usize, seed: u64) -> Snapshot {
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut seerr, mut radarr, mut sonarr, mut qbit, mut shoko, mut jf) = empty();
    let mut history_id = 0_i64;
    let add_torrent = |qbit: &mut QbitData, hash: String, name: String, p: f64| {
        std::sync::Arc::make_mut(&mut qbit.torrents).insert(hash.clone(), torrent(&hash, &name, p));
    };
    for i in 0..n as i64 {
        let st = Stage::draw(&mut rng);
        let anime = rng.u32(0..10) == 0;
        let film = rng.u32(0..10) < 6;
        let hash = format!("{:040x}", 0xa000_0000_0000_u64 + i as u64);
        let download_id = hash.to_ascii_uppercase();
        let tmdb = 1_000_000 + i;
        let tvdb = 2_000_000 + i;
        let grabbed_yet = !matches!(st, Stage::Pending | Stage::Approved);
        let has_file = matches!(st, Stage::Imported | Stage::Available);
        let progress = match st {
            Stage::Downloading => rng.f64() * 0.95,
            _ => 1.0,
        };
        let created = now() - TimeDelta::days(rng.i64(1..400));
        seerr.requests.push(SeerrRequest {
            id: i + 1,
            status: match st {
                Stage::Pending => SeerrRequestStatus::Pending,
                Stage::Available => SeerrRequestStatus::Completed,
                _ => SeerrRequestStatus::Approved,
            },
            media_type: if film {
                MediaType::Movie
            } else {
                MediaType::Tv
            },
            tmdb_id: Some(tmdb),
            tvdb_id: (!film).then_some(tvdb),
            media_status: match st {
                Stage::Pending => SeerrMediaStatus::Pending,
                Stage::Available => SeerrMediaStatus::Available,
                _ => SeerrMediaStatus::Processing,
            },
            jellyfin_media_id: (st == Stage::Available).then(|| format!("{tmdb:032x}")),
            requested_by: ["alice", "bob", "carol", "dave", "erin"][rng.usize(0..5)].into(),
            created_at: created,
            updated_at: created + TimeDelta::hours(3),
            seasons: if film { vec![] } else { vec![1] },
            is_4k: false,
            service_url: None,
            title: Some(if film {
                format!("Film {i}")
            } else {
                format!("Series {i}")
            }),
            year: Some(1990 + rng.i32(0..35)),
            poster_path: Some(format!("/poster{i}.jpg")),
            is_anime: anime,
        });
        if st == Stage::Pending {
            continue;
        }
        if film {
            let movie_id = i + 1;
            let path = format!("/media/movies/Film {i}/Film.{i}.1080p.WEB-DL.mkv");
            radarr.movies.push(RadarrMovie {
                id: movie_id,
                tmdb_id: tmdb,
                title: format!("Film {i}"),
                has_file,
                monitored: true,
                is_available: true,
                status: Some("released".into()),
                is_anime: anime,
                file_path: has_file.then(|| path.clone()),
                added: None,
            });
            if grabbed_yet {
                add_torrent(&mut qbit, hash.clone(), format!("Film.{i}"), progress);
            }
            if matches!(st, Stage::Downloading | Stage::Blocked) {
                radarr
                    .queue
                    .push(queue_item(&download_id, movie_id, None, st));
                history_id += 1;
                radarr
                    .history
                    .push(grabbed(history_id, &download_id, movie_id, None));
            }
            if has_file && anime {
                shoko.files.insert(
                    path,
                    ShokoMatch::Matched {
                        anidb_ids: vec![10_000 + i],
                        file_id: None,
                    },
                );
            }
            if st == Stage::Available {
                let mut item = jf_item(
                    format!("{tmdb:032x}"),
                    JellyfinKind::Movie,
                    format!("Film {i}"),
                );
                item.tmdb_id = Some(tmdb);
                jf.items.push(Arc::new(item));
            }
        } else {
            let series_id = i + 1;
            let first_ep = series_id * 100;
            let episodes: Vec<SonarrEpisode> = (1..=EPISODES)
                .map(|k| SonarrEpisode {
                    id: first_ep + i64::from(k),
                    season: 1,
                    number: k,
                    title: Some(format!("Episode 1x{k}")),
                    air_date_utc: Some(now() - TimeDelta::weeks(40) + TimeDelta::weeks(k.into())),
                    monitored: true,
                    has_file,
                    file_path: has_file.then(|| {
                        format!("/media/tv/Series {i}/Season 01/Series.{i}.S01E{k:02}.mkv")
                    }),
                })
                .collect();
            if grabbed_yet {
                add_torrent(&mut qbit, hash.clone(), format!("Series.{i}.S01"), progress);
            }
            if matches!(st, Stage::Downloading | Stage::Blocked) {
                for e in &episodes {
                    sonarr
                        .queue
                        .push(queue_item(&download_id, series_id, Some(e.id), st));
                    history_id += 1;
                    sonarr
                        .history
                        .push(grabbed(history_id, &download_id, series_id, Some(e.id)));
                }
            }
            if has_file && anime {
                for e in &episodes {
                    if let Some(p) = &e.file_path {
                        shoko.files.insert(
                            p.clone(),
                            ShokoMatch::Matched {
                                anidb_ids: vec![10_000 + i],
                                file_id: None,
                            },
                        );
                    }
                }
            }
            if st == Stage::Available {
                let jf_series = format!("{tvdb:032x}");
                let mut s = jf_item(
                    jf_series.clone(),
                    JellyfinKind::Series,
                    format!("Series {i}"),
                );
                s.tvdb_id = Some(tvdb);
                s.playable = false;
                jf.items.push(Arc::new(s));
                for e in &episodes {
                    let mut item = jf_item(
                        format!("{:032x}", 0xe000_0000_u64 + e.id as u64),
                        JellyfinKind::Episode,
                        format!("Episode 1x{}", e.number),
                    );
                    item.series_id = Some(jf_series.clone());
                    item.season = Some(1);
                    item.episode = Some(e.number);
                    jf.items.push(Arc::new(item));
                }
            }
            sonarr.series.push(SonarrSeries {
                id: series_id,
                tvdb_id: tvdb,
                title: format!("Series {i}"),
                is_anime: anime,
                added: None,
                episodes: episodes.into(),
            });
        }
    }
    // Unrelated torrents (other categories, old seeds) up to n torrents.
    let mut k = 0_u64;
    while qbit.torrents.len() < n {
        let hash = format!("{:040x}", 0xf000_0000_0000_u64 + k);
        add_torrent(&mut qbit, hash, format!("Other.{k}"), 1.0);
        k += 1;
    }
    Snapshot {
        jellyseerr: Source::Ok(seerr),
        radarr: vec![status_tracker_lib::tracker::ArrInstance::single(
            "radarr",
            Source::Ok(radarr),
        )],
        sonarr: vec![status_tracker_lib::tracker::ArrInstance::single(
            "sonarr",
            Source::Ok(sonarr),
        )],
        qbittorrent: Source::Ok(qbit),
        shoko: Source::Ok(shoko),
        jellyfin: Source::Ok(Arc::new(jf)),
    }
}

/// What the clients hand over in an ordinary (not sweep) cycle of a steady
/// state: no Jellyseerr request modified since the last cycle; Radarr's
/// movies and Sonarr's series (with episodes) of the wanted media only;
/// Jellyfin's movies and series, and the episodes of wanted series only.
fn ordinary(sweep: &Snapshot, records: &Records) -> Snapshot {
    let wants = tracker::wants(records);
    let mut s = sweep.clone();
    if let Source::Ok(d) = &mut s.jellyseerr {
        d.requests.clear();
        d.complete = false;
    }
    if let Source::Ok(d) = &mut s.radarr[0].data {
        d.movies
            .retain(|m| wants.movie_tmdb_ids.binary_search(&m.tmdb_id).is_ok());
    }
    if let Source::Ok(d) = &mut s.sonarr[0].data {
        d.series
            .retain(|x| wants.series_tvdb_ids.binary_search(&x.tvdb_id).is_ok());
    }
    if let Source::Ok(jf) = &s.jellyfin {
        let mut wanted: Vec<String> = wants.jellyfin_series_ids.clone();
        wanted.extend(
            jf.items
                .iter()
                .filter(|i| i.kind == JellyfinKind::Series)
                .filter(|i| {
                    i.tvdb_id
                        .is_some_and(|t| wants.series_tvdb_ids.binary_search(&t).is_ok())
                })
                .map(|i| i.id.clone()),
        );
        wanted.sort_unstable();
        let mut items = (**jf).clone();
        items.items.retain(|i| {
            i.kind != JellyfinKind::Episode
                || i.series_id
                    .as_ref()
                    .is_some_and(|id| wanted.binary_search(id).is_ok())
        });
        s.jellyfin = Source::Ok(Arc::new(items));
    }
    s
}

/// Runs reconcile until it settles (the poller applies each cycle's changed
/// records); returns the records of a steady state.
fn apply_step(snap: &Snapshot) -> Records {
    let mut records = Records::new();
    for round in 0..5 {
        let out = tracker::reconcile(&records, snap, now() + TimeDelta::seconds(round));
        if out.changed.is_empty() && out.changes.is_empty() {
            return records;
        }
        for r in out.changed {
            records.insert(r.id, r);
        }
    }
    records
}

/// The inputs of the cases at one size.
struct Fixture {
    /// What the services say on the first cycle ever.
    first: Snapshot,
    /// The records of the steady state.
    records: Records,
    /// An ordinary cycle's snapshot.
    cycle: Snapshot,
    /// A sweep's snapshot.
    sweep: Snapshot,
}

fn fixture(n: usize) -> Fixture {
    let first = snapshot(n, 42);
    let records = apply_step(&first);
    // Later cycles: the *arr history feed reports each event once
    // (`history/since` with a cursor), so a steady cycle's history is empty.
    let mut sweep = first.clone();
    if let Source::Ok(d) = &mut sweep.radarr[0].data {
        d.history.clear();
    }
    if let Source::Ok(d) = &mut sweep.sonarr[0].data {
        d.history.clear();
    }
    // That is a sweep: Jellyseerr's complete listing makes every listed
    // series wanted. An ordinary cycle reads Jellyseerr's requests
    // modified since the last one (none), and the *arr and Jellyfin
    // details of the wanted media only (open or airing).
    let cycle = ordinary(&sweep, &records);
    Fixture {
        first,
        records,
        cycle,
        sweep,
    }
}

/// When the later cycles run.
fn later() -> DateTime<Utc> {
    now() + TimeDelta::seconds(10)
}

/// `RECONCILE_RUN=case:n:iterations`: runs one case that many times and
/// prints what it changed, without criterion (for `valgrind --tool=cachegrind`,
/// which counts the instructions: `tools/bench.sh` runs each case once and
/// four times and takes the difference, the work of three cycles without the
/// setup). Cases: first, steady, steady_jellyfin_changed, sweep.
fn run_plain(spec: &str) -> Result<(), String> {
    let parts: Vec<&str> = spec.split(':').collect();
    let [case, n, iterations] = parts[..] else {
        return Err(format!("RECONCILE_RUN={spec}: want case:n:iterations"));
    };
    let n: usize = n.parse().map_err(|e| format!("n {n:?}: {e}"))?;
    let iterations: usize = iterations
        .parse()
        .map_err(|e| format!("iterations {iterations:?}: {e}"))?;
    let f = fixture(n);
    let empty = Records::new();
    let mut engine = tracker::Reconciler::default();
    let mut changed = 0;
    for _ in 0..iterations {
        let out = match case {
            "first" => tracker::reconcile(black_box(&empty), black_box(&f.first), later()),
            "steady" => engine.reconcile(black_box(&f.records), black_box(&f.cycle), later()),
            "steady_jellyfin_changed" => {
                tracker::reconcile(black_box(&f.records), black_box(&f.cycle), later())
            }
            "sweep" => engine.reconcile(black_box(&f.records), black_box(&f.sweep), later()),
            _ => return Err(format!("unknown case {case:?}")),
        };
        changed += black_box(out).changed.len();
    }
    println!("{case} n={n} iterations={iterations} changed={changed}");
    Ok(())
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("reconcile");
    group.sample_size(20);
    for n in SIZES {
        let Fixture {
            first,
            records,
            cycle,
            sweep,
        } = fixture(n);
        let later = later();
        let steady = tracker::reconcile(&records, &cycle, later);
        let swept = tracker::reconcile(&records, &sweep, later);
        assert!(
            swept.changed.is_empty() && swept.changes.is_empty(),
            "a sweep over the same answers changes nothing"
        );
        let mut phases: HashMap<String, usize> = HashMap::new();
        for r in records.values() {
            *phases.entry(r.phase.as_str().to_string()).or_default() += 1;
        }
        let active = records
            .values()
            .filter(|r| r.phase != tracker::Phase::Available)
            .count();
        eprintln!(
            "n={n}: {} records, {active} not AVAILABLE, steady cycle changes {} records; phases {phases:?}",
            records.len(),
            steady.changed.len(),
        );
        assert_eq!(records.len(), n, "every request becomes one record");
        assert!(
            steady.changed.is_empty() && steady.changes.is_empty(),
            "a steady cycle over the same snapshot changes nothing"
        );
        group.throughput(Throughput::Elements(n as u64));
        let empty = Records::new();
        group.bench_with_input(BenchmarkId::new("first", n), &n, |b, _| {
            b.iter(|| tracker::reconcile(black_box(&empty), black_box(&first), later));
        });
        // The poller's way: one Reconciler, the same Jellyfin data as the
        // cycle before (it keeps its index of Jellyfin's items).
        let mut engine = tracker::Reconciler::default();
        group.bench_with_input(BenchmarkId::new("steady", n), &n, |b, _| {
            b.iter(|| engine.reconcile(black_box(&records), black_box(&cycle), later));
        });
        // A cycle where Jellyfin's answer changed: its items indexed again.
        group.bench_with_input(
            BenchmarkId::new("steady_jellyfin_changed", n),
            &n,
            |b, _| {
                b.iter(|| tracker::reconcile(black_box(&records), black_box(&cycle), later));
            },
        );
        let mut engine = tracker::Reconciler::default();
        group.bench_with_input(BenchmarkId::new("sweep", n), &n, |b, _| {
            b.iter(|| engine.reconcile(black_box(&records), black_box(&sweep), later));
        });
        // The same three cycles with cold caches: 48 MB written before each
        // iteration (not timed), as other programs do between two polls (a
        // sweep comes 15 minutes after the last). At 1,000 requests a hot
        // cycle's data stays in the caches from one iteration to the next
        // and at 10,000 it does not: cold, both sizes pay for memory. (No
        // target: `tools/bench.sh` judges "no worse than linear" on the
        // instruction counts, and prints these beside them. Not at 100:
        // each iteration costs a 48 MB write.)
        if n < 1_000 {
            continue;
        }
        let mut scratch = vec![0_u8; 48 << 20];
        let mut flush = move || {
            for i in (0..scratch.len()).step_by(64) {
                scratch[i] = scratch[i].wrapping_add(1);
            }
            black_box(&scratch);
        };
        for (name, snap, keep_index) in [
            ("sweep_cold", &sweep, true),
            ("steady_cold", &cycle, true),
            ("steady_jellyfin_changed_cold", &cycle, false),
        ] {
            let mut engine = tracker::Reconciler::default();
            engine.reconcile(&records, snap, later);
            group.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter_batched(
                    &mut flush,
                    |_| {
                        if keep_index {
                            engine.reconcile(black_box(&records), black_box(snap), later)
                        } else {
                            tracker::reconcile(black_box(&records), black_box(snap), later)
                        }
                    },
                    criterion::BatchSize::PerIteration,
                );
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(spec) = std::env::var("RECONCILE_RUN") {
        if let Err(e) = run_plain(&spec) {
            eprintln!("reconcile bench: {e}");
            std::process::exit(2);
        }
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
