//! Poll-cycle cost against the simulated stack (issue 4). Not a criterion
//! bench: a plain `main` that prints markdown tables (`tools/bench.sh` puts
//! them in `docs/performance.md`).
//!
//! 1. HTTP requests (counted by each simulated server) and bytes received
//!    (counted by each client) per service, for the first cycle, a steady
//!    cycle and the sweep cycle, at 1, 100, 1,000 and 5,000 requests.
//! 2. Cycle latency end to end (fetch, reconcile, persist) at 1,000
//!    requests: median of 25 steady cycles.
//! 3. Detection latency: the real loop (`poller::run`) at the default cadence
//!    (`PollConfig::default()`), timed from a change in the simulated stack to
//!    the phase change reaching `publish`.
//!
//! `cargo bench --bench cycle` runs everything; `-- --quick` skips the
//! 5,000-request world and takes fewer detection samples; `-- --latency`
//! measures traffic and latency at 1,000 requests only.

use std::collections::HashMap;
use std::error::Error;
use std::path::Path;
use std::time::{Duration, Instant};

use status_tracker_lib::config::{self, Config, PollConfig};
use status_tracker_lib::poller::{self, Command, Poller};
use status_tracker_lib::sim::{config_toml, sim_env_4k, Service, SimStack, SimWorld};
use status_tracker_lib::store::Store;
use status_tracker_lib::tracker::{Change, Phase};
use tokio::sync::mpsc;

type Res<T> = Result<T, Box<dyn Error>>;

/// Per service: requests the server saw, bytes the client received.
type Counts = HashMap<&'static str, (u64, u64)>;

fn counts(t: &Poller, world: &SimWorld) -> Counts {
    let bytes: HashMap<&str, u64> = t
        .service_stats()
        .into_iter()
        .map(|(n, _, b)| (n, b))
        .collect();
    Service::ALL
        .iter()
        .map(|s| {
            let b = bytes.get(s.name()).copied().unwrap_or(0);
            (s.name(), (world.requests_served(*s), b))
        })
        .collect()
}

fn delta(before: &Counts, after: &Counts) -> Counts {
    after
        .iter()
        .map(|(k, (r, b))| {
            let (r0, b0) = before.get(k).copied().unwrap_or((0, 0));
            (*k, (r - r0, b - b0))
        })
        .collect()
}

fn total(c: &Counts) -> (u64, u64) {
    c.values().fold((0, 0), |(r, b), (x, y)| (r + x, b + y))
}

fn kb(bytes: u64) -> String {
    format!("{:.1}", bytes as f64 / 1024.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "pass"
    } else {
        "**miss**"
    }
}

/// A config for the sim; `sweep` sets how often the full sweep runs.
fn sim_config(stack: &SimStack, dir: &Path, poll: PollConfig) -> Res<Config> {
    let path = dir.join("config.toml");
    let mut c = config::parse(&config_toml(stack.urls()), &path)?;
    c.poll = poll;
    Ok(c)
}

fn no_sweep() -> PollConfig {
    PollConfig {
        sweep: Duration::from_secs(24 * 3600),
        ..PollConfig::default()
    }
}

struct Traffic {
    n: usize,
    first: Counts,
    steady: Counts,
    sweep: Counts,
    first_ms: f64,
    steady_ms: f64,
    sweep_ms: f64,
}

/// First, steady and sweep cycles over a world of `n` requests.
async fn traffic(n: usize) -> Res<Traffic> {
    let world = SimWorld::new();
    world.populate(n, 42)?;
    let stack = SimStack::start_with(world.clone(), None).await?;
    let dir = tempfile::tempdir()?;
    let cfg = sim_config(&stack, dir.path(), no_sweep())?;
    let mut t = Poller::new(&cfg, Store::open_in(dir.path())?)?;

    let c0 = counts(&t, &world);
    let first = t.cycle(true).await?;
    let c1 = counts(&t, &world);
    // Two more cycles warm every cache; the third one is measured.
    t.cycle(true).await?;
    t.cycle(true).await?;
    let c2 = counts(&t, &world);
    let steady = t.cycle(true).await?;
    let c3 = counts(&t, &world);
    t.save_client_states()?;
    drop(t);

    // The sweep: a tracker over the same store whose every cycle is a sweep;
    // its second cycle has warm caches and live sessions.
    let sweep_cfg = PollConfig {
        sweep: Duration::ZERO,
        ..PollConfig::default()
    };
    let cfg = sim_config(&stack, dir.path(), sweep_cfg)?;
    let mut t = Poller::new(&cfg, Store::open_in(dir.path())?)?;
    t.cycle(true).await?;
    let c4 = counts(&t, &world);
    let sweep = t.cycle(true).await?;
    let c5 = counts(&t, &world);
    drop(t);
    stack.shutdown().await;
    Ok(Traffic {
        n,
        first: delta(&c0, &c1),
        steady: delta(&c2, &c3),
        sweep: delta(&c4, &c5),
        first_ms: first.duration.as_secs_f64() * 1e3,
        steady_ms: steady.duration.as_secs_f64() * 1e3,
        sweep_ms: sweep.duration.as_secs_f64() * 1e3,
    })
}

/// The steady cycle's cost per polled service, instances apart, with an HD
/// and a 4K Radarr and Sonarr (the array form) over a world of `n`
/// requests and one 4K film: `(name, requests, bytes)` as each client
/// counted them.
async fn instances(n: usize) -> Res<Vec<(String, u64, u64)>> {
    let world = SimWorld::new();
    world.populate(n, 42)?;
    let stack = SimStack::start_4k_with(world.clone(), None).await?;
    world.add_movie_in(
        status_tracker_lib::sim::ArrInstance::FourK,
        329865,
        "Arrival",
        2016,
        false,
    );
    let r = world.request_movie_4k(329865, "dave")?;
    world.approve_and_send(r)?;
    let dir = tempfile::tempdir()?;
    let cfg = sim_config(&stack, dir.path(), no_sweep())?;
    let mut t = Poller::new(&cfg, Store::open_in(dir.path())?)?;
    for _ in 0..3 {
        t.cycle(true).await?;
    }
    let before: Vec<(String, u64, u64)> = t
        .service_stats()
        .into_iter()
        .map(|(n, r, b)| (n.to_string(), r, b))
        .collect();
    t.cycle(true).await?;
    let after = t.service_stats();
    let out = before
        .iter()
        .zip(after)
        .map(|((name, r0, b0), (_, r1, b1))| (name.clone(), r1 - r0, b1 - b0))
        .collect();
    drop(t);
    stack.shutdown().await;
    Ok(out)
}

fn print_instances(rows: &[(String, u64, u64)]) {
    println!(
        "### Cost per Radarr/Sonarr instance
"
    );
    println!("An HD and a 4K Radarr and Sonarr (`[[radarr]]`, `[[sonarr]]`), 100 requests and a 4K film: the steady cycle (every service polled, nothing changed, caches warm) as each client counted it. Target: each instance ≤ 2 requests.
");
    println!("| service | steady: req | steady: KB | result |");
    println!("|---|---:|---:|---|");
    for (name, r, b) in rows {
        let arr = name.starts_with("radarr") || name.starts_with("sonarr");
        let result = if arr { verdict(*r <= 2) } else { "" };
        println!("| {name} | {r} | {} | {result} |", kb(*b));
    }
    println!();
}

fn print_traffic(all: &[Traffic]) {
    println!("### Requests and bytes per poll cycle\n");
    println!("HTTP requests counted by each simulated server, bytes received counted by each client (decompressed body bytes as the client counts them). Steady cycle: every service polled (`cycle(true)`), nothing changed, caches warm. Sweep: the slow full re-read (every 15 min by default).\n");
    println!("| requests | service | first: req | first: KB | steady: req | steady: KB | sweep: req | sweep: KB |");
    println!("|---:|---|---:|---:|---:|---:|---:|---:|");
    for t in all {
        for s in Service::ALL {
            let f = t.first.get(s.name()).copied().unwrap_or_default();
            let st = t.steady.get(s.name()).copied().unwrap_or_default();
            let sw = t.sweep.get(s.name()).copied().unwrap_or_default();
            println!(
                "| {} | {} | {} | {} | {} | {} | {} | {} |",
                t.n,
                s.name(),
                f.0,
                kb(f.1),
                st.0,
                kb(st.1),
                sw.0,
                kb(sw.1)
            );
        }
        let (f, st, sw) = (total(&t.first), total(&t.steady), total(&t.sweep));
        println!(
            "| {} | **total** | **{}** | **{}** | **{}** | **{}** | **{}** | **{}** |",
            t.n,
            f.0,
            kb(f.1),
            st.0,
            kb(st.1),
            sw.0,
            kb(sw.1)
        );
    }
    println!();
    println!("| requests | first cycle ms | steady cycle ms | sweep cycle ms |");
    println!("|---:|---:|---:|---:|");
    for t in all {
        println!(
            "| {} | {:.1} | {:.1} | {:.1} |",
            t.n, t.first_ms, t.steady_ms, t.sweep_ms
        );
    }
    println!();
    let steady_req: Vec<(usize, u64)> = all.iter().map(|t| (t.n, total(&t.steady).0)).collect();
    let smallest = steady_req.first().map_or(0, |x| x.1);
    let largest = steady_req.last().map_or(0, |x| x.1);
    let qbit_max = all
        .iter()
        .map(|t| t.steady.get("qbittorrent").map_or(0, |x| x.1))
        .max()
        .unwrap_or(0);
    let list: Vec<String> = steady_req
        .iter()
        .map(|(n, r)| format!("{r} at {n}"))
        .collect();
    println!("| target | measured | result |");
    println!("|---|---|---|");
    println!(
        "| steady-cycle HTTP requests do not grow with the number of requests (a handful, ≤ 3, per configured service) | {} (growth {:+}) | {} |",
        list.join(", "),
        largest as i64 - smallest as i64,
        verdict(all.iter().all(|t| total(&t.steady).0 <= 3 * 6))
    );
    println!(
        "| idle qBittorrent cycle receives < 2 KB | {} bytes (largest steady qBittorrent cycle) | {} |",
        qbit_max,
        verdict(qbit_max < 2048)
    );
    println!();
}

/// Percentiles of one measure over the latency run, in ms.
struct Spread {
    median: f64,
    min: f64,
    p90: f64,
}

impl Spread {
    fn of(mut ms: Vec<f64>) -> Spread {
        ms.sort_by(f64::total_cmp);
        let p = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
        Spread {
            median: p(0.5),
            min: p(0.0),
            p90: p(0.9),
        }
    }
}

/// 25 steady cycles at 1,000 requests: the whole cycle, then each stage.
async fn latency() -> Res<[(&'static str, Spread); 4]> {
    let world = SimWorld::new();
    world.populate(1_000, 42)?;
    let stack = SimStack::start_with(world.clone(), None).await?;
    let dir = tempfile::tempdir()?;
    let cfg = sim_config(&stack, dir.path(), no_sweep())?;
    let mut t = Poller::new(&cfg, Store::open_in(dir.path())?)?;
    for _ in 0..3 {
        t.cycle(true).await?;
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (mut total, mut fetch, mut reconcile, mut persist) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..25 {
        let r = t.cycle(true).await?;
        total.push(ms(r.duration));
        fetch.push(ms(r.stages.fetch));
        reconcile.push(ms(r.stages.reconcile));
        persist.push(ms(r.stages.persist));
    }
    drop(t);
    stack.shutdown().await;
    Ok([
        ("whole cycle", Spread::of(total)),
        ("fetch (six services, concurrently)", Spread::of(fetch)),
        ("reconcile and notification rules", Spread::of(reconcile)),
        ("persist (store transaction)", Spread::of(persist)),
    ])
}

/// A phase change seen by `publish`: when, which Jellyseerr request, to what.
type Seen = (Instant, i64, Phase);

async fn wait_phase(
    rx: &mut mpsc::UnboundedReceiver<Seen>,
    seerr_id: i64,
    after: Instant,
    timeout: Duration,
) -> Option<(Duration, Phase)> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some((at, id, to))) if id == seerr_id && at >= after => {
                return Some((at.duration_since(after), to));
            }
            Ok(Some(_)) => continue,
            Ok(None) | Err(_) => return None,
        }
    }
}

struct Detection {
    what: &'static str,
    target: Duration,
    samples: Vec<Option<(Duration, Phase)>>,
    bound: String,
}

/// The real loop at the default cadence over a world of 100 requests plus
/// `samples` films that go downloading → done → imported → in Jellyfin.
async fn detection(samples: usize, timeout: Duration) -> Res<Vec<Detection>> {
    let world = SimWorld::new();
    world.populate(100, 7)?;
    let mut films = Vec::new();
    for k in 0..samples as u64 {
        let tmdb = 9_000_000 + k;
        world.add_movie(tmdb, &format!("Detection {k}"), 2024, false);
        let r = world.request_movie(tmdb, "alice")?;
        world.approve(r)?;
        let hash = format!("{:040x}", 0xdede_0000_u64 + k);
        world.grab_movie(
            tmdb,
            &hash,
            &format!("Detection.{k}.2024.1080p"),
            4_000_000_000,
        )?;
        world.set_progress(&hash, 0.5, 2_000_000)?;
        films.push((tmdb, r as i64, hash));
    }
    let stack = SimStack::start_with(world.clone(), None).await?;
    let dir = tempfile::tempdir()?;
    let cfg = sim_config(&stack, dir.path(), PollConfig::default())?;
    let mut t = Poller::new(&cfg, Store::open_in(dir.path())?)?;
    let (cmd_tx, cmd_rx) = mpsc::channel(4);
    let (seen_tx, mut seen_rx) = mpsc::unbounded_channel::<Seen>();
    let looper = tokio::spawn(async move {
        poller::run(
            &mut t,
            cmd_rx,
            |report, tracker| {
                let now = Instant::now();
                for c in &report.changes {
                    if let Change::PhaseChanged { request_id, to, .. } = c {
                        if let Some(r) = tracker.records().get(request_id) {
                            let _ = seen_tx.send((now, r.jellyseerr_request_id, *to));
                        }
                    }
                }
            },
            |e| eprintln!("cycle error: {e}"),
        )
        .await;
    });
    // Let the first cycles settle (every film DOWNLOADING).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut torrent = Vec::new();
    let mut import = Vec::new();
    let mut jellyfin = Vec::new();
    for (tmdb, seerr_id, hash) in &films {
        tokio::time::sleep(Duration::from_millis(fastrand::u64(0..5_000))).await;
        let t0 = Instant::now();
        world.complete_download(hash)?;
        torrent.push(wait_phase(&mut seen_rx, *seerr_id, t0, timeout).await);
        tokio::time::sleep(Duration::from_millis(fastrand::u64(0..5_000))).await;
        let t0 = Instant::now();
        world.import(hash)?;
        import.push(wait_phase(&mut seen_rx, *seerr_id, t0, timeout).await);
        tokio::time::sleep(Duration::from_millis(fastrand::u64(0..5_000))).await;
        let t0 = Instant::now();
        world.jellyfin_add_movie(*tmdb)?;
        jellyfin.push(wait_phase(&mut seen_rx, *seerr_id, t0, timeout).await);
        eprintln!(
            "detection sample: torrent {:?}, import {:?}, jellyfin {:?}",
            torrent.last(),
            import.last(),
            jellyfin.last()
        );
    }
    let _ = cmd_tx.send(Command::Stop).await;
    let _ = looper.await;
    stack.shutdown().await;
    let p = PollConfig::default();
    Ok(vec![
        Detection {
            what: "torrent completes (qBittorrent)",
            target: Duration::from_secs(5),
            samples: torrent,
            bound: format!(
                "qBittorrent every {} s while downloading",
                p.downloading.as_secs()
            ),
        },
        Detection {
            what: "import (Radarr)",
            target: Duration::from_secs(30),
            samples: import,
            bound: format!("Radarr every {} s while a film moves", p.active.as_secs()),
        },
        Detection {
            what: "Jellyfin item appears",
            target: Duration::from_secs(30),
            samples: jellyfin,
            bound: format!(
                "Jellyfin every {} s while a request is done/importing",
                p.active.as_secs()
            ),
        },
    ])
}

fn print_detection(d: &[Detection], timeout: Duration) {
    println!("### Detection latency\n");
    println!("The real loop (`poller::run`) at the default cadence (`PollConfig::default()`: downloading 5 s, active 30 s, Jellyseerr 60 s, idle 300 s) over 100 requests plus the sampled films; each change is made at a random moment (0–5 s after the previous one was seen) and timed until its phase change reaches `publish`. A sample that saw nothing within {} s counts as a miss.\n", timeout.as_secs());
    println!("| change | cadence | samples (s) | phases reached | worst | target | result |");
    println!("|---|---|---|---|---:|---:|---|");
    for x in d {
        let secs: Vec<String> = x
            .samples
            .iter()
            .map(|s| match s {
                Some((d, _)) => format!("{:.1}", d.as_secs_f64()),
                None => "none".into(),
            })
            .collect();
        let mut phases: Vec<&str> = x
            .samples
            .iter()
            .flatten()
            .map(|(_, p)| p.as_str())
            .collect();
        phases.dedup();
        let worst = x
            .samples
            .iter()
            .map(|s| s.map_or(Duration::MAX, |(d, _)| d))
            .max()
            .unwrap_or(Duration::MAX);
        let worst_s = if worst == Duration::MAX {
            format!("> {} s", timeout.as_secs())
        } else {
            format!("{:.1} s", worst.as_secs_f64())
        };
        println!(
            "| {} | {} | {} | {} | {} | ≤ {} s | {} |",
            x.what,
            x.bound,
            secs.join(", "),
            phases.join(", "),
            worst_s,
            x.target.as_secs(),
            verdict(worst <= x.target)
        );
    }
    println!();
}

#[tokio::main]
async fn main() -> Res<()> {
    let quick = std::env::args().any(|a| a == "--quick");
    let only_latency = std::env::args().any(|a| a == "--latency");
    if std::env::args().any(|a| a == "--instances") {
        for (k, v) in sim_env_4k() {
            std::env::set_var(k, v);
        }
        print_instances(&instances(100).await?);
        return Ok(());
    }
    // The six services' keys, and the 4K instances' (`instances`).
    for (k, v) in sim_env_4k() {
        std::env::set_var(k, v);
    }
    let sizes: &[usize] = if only_latency {
        &[1_000]
    } else if quick {
        &[1, 100, 1_000]
    } else {
        &[1, 100, 1_000, 5_000]
    };
    let mut all = Vec::new();
    for &n in sizes {
        eprintln!("cycle bench: traffic at {n} requests");
        all.push(traffic(n).await?);
    }
    print_traffic(&all);
    if !only_latency {
        eprintln!("cycle bench: cost per Radarr/Sonarr instance");
        print_instances(&instances(100).await?);
    }

    eprintln!("cycle bench: latency at 1,000 requests");
    let spreads = latency().await?;
    println!("### Cycle latency at 1,000 requests\n");
    println!("End to end (fetch from the six simulated services on loopback, reconcile, persist), every service polled, nothing changed; 25 cycles after 3 warm-up cycles. The stages do not add up to the whole: the rest is building the wanted-media list, the service bookkeeping and scheduling.\n");
    println!("| stage | median | min | p90 |");
    println!("|---|---:|---:|---:|");
    for (name, s) in &spreads {
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.1} ms |",
            s.median, s.min, s.p90
        );
    }
    let median = spreads[0].1.median;
    println!("\n| target | measured | result |");
    println!("|---|---:|---|");
    println!(
        "| whole cycle < 100 ms median | {median:.1} ms | {} |\n",
        verdict(median < 100.0)
    );

    if only_latency {
        return Ok(());
    }
    let samples = if quick { 1 } else { 3 };
    let timeout = Duration::from_secs(75);
    eprintln!("cycle bench: detection latency ({samples} samples per change)");
    let d = detection(samples, timeout).await?;
    print_detection(&d, timeout);
    Ok(())
}
