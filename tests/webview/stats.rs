//! The statistics view in the real webview (issue 18): the store starts with
//! a history known to the second (five films and two series, finished ten
//! days ago), the view shows its finished counts, percentiles and phase
//! medians in words, and histograms whose bars are the known bins; then a
//! film and a series the simulator takes to AVAILABLE while the view is open
//! add a bar each, live. It fits the narrowest window the app allows. With
//! `STATUS_TRACKER_SCREENSHOTS=DIR` it saves `stats-view.png` and
//! `stats-view-narrow.png`.

use std::path::Path;
use std::time::Duration;

use chrono::{SubsecRound, Utc};
use serde_json::{json, Value};
use status_tracker_lib::sim::SimStack;
use status_tracker_lib::store::Store;
use status_tracker_lib::testkit::film;
use status_tracker_lib::tracker::{Change, MediaType, Phase};

use super::webdriver::Session;
use super::{assert_fits, launch, until, webdriver_shot, write_config};

const DUNE: u64 = 693134;
const HASH_FILM: &str = "6666666666666666666666666666666666666666";
const HASH_SERIES: &str = "7777777777777777777777777777777777777777";

/// `(title, media type, minutes from request to available)` of the history.
const HISTORY: [(&str, MediaType, i64); 7] = [
    ("Arrival", MediaType::Movie, 40),
    ("Heat", MediaType::Movie, 70),
    ("Alien", MediaType::Movie, 85),
    ("Contact", MediaType::Movie, 180),
    ("Solaris", MediaType::Movie, 540),
    ("Severance", MediaType::Tv, 300),
    ("Dark", MediaType::Tv, 1800),
];

/// Writes the history into the data dir's store: each request first seen
/// APPROVED a minute after it was made, DOWNLOADING from minute 5, IMPORTING
/// for its last 10 minutes, then AVAILABLE. Ids far from the simulator's.
fn write_history(data: &Path) {
    let mut store = Store::open_in(data).unwrap();
    // Whole seconds, as the timeline keeps them.
    let start = Utc::now().trunc_subsecs(0) - chrono::Duration::days(10);
    let at = |min: i64| start + chrono::Duration::minutes(min);
    let mut records = Vec::new();
    let mut changes = Vec::new();
    for (n, (title, media_type, total)) in HISTORY.iter().enumerate() {
        let id = 9001 + n as i64;
        let mut r = film(id, Phase::Available, at(0));
        r.title = (*title).into();
        r.media_type = *media_type;
        r.tmdb_id = Some(990_000 + id);
        r.tvdb_id = (*media_type == MediaType::Tv).then_some(880_000 + id);
        r.updated_at = at(*total);
        r.phase_since = at(*total);
        records.push(r);
        let mut from = None;
        for (min, to) in [
            (1, Phase::Approved),
            (5, Phase::Downloading),
            (total - 10, Phase::Importing),
            (*total, Phase::Available),
        ] {
            changes.push(Change::PhaseChanged {
                request_id: id,
                at: at(min),
                from,
                to,
                evidence: "history".into(),
            });
            from = Some(to);
        }
    }
    store.commit_cycle(&records, &changes, &[]).unwrap();
}

/// What the statistics view shows: its figures as text, the phase table's
/// cells, and each histogram's bars as `[from, to, count, height in px]`.
const VIEW: &str = "const q = (sel) => document.querySelector(sel);
    const text = (sel) => (q(sel) || {}).textContent || null;
    const fig = (name) => ({ movie: text('[data-testid=' + name + '-movie]'),
        tv: text('[data-testid=' + name + '-tv]'), all: text('[data-testid=' + name + '-all]') });
    const phases = {};
    for (const row of document.querySelectorAll('[data-testid=stats-phases] tr[data-phase]')) {
        phases[row.dataset.phase] = [...row.querySelectorAll('td')].map((td) => td.textContent);
    }
    const bars = (key) => [...document.querySelectorAll('[data-testid=histogram-' + key + '] rect.hist-bar')]
        .map((r) => [Number(r.getAttribute('data-from-secs')),
            r.getAttribute('data-to-secs') === '' ? null : Number(r.getAttribute('data-to-secs')),
            Number(r.getAttribute('data-count')), Math.round(r.getBoundingClientRect().height * 10) / 10]);
    const edges = (key) => [...document.querySelectorAll('[data-testid=histogram-' + key + '] .hist-edges text')]
        .map((t) => t.textContent);
    return {
        open: !q('[data-testid=stats]').hidden,
        finished: fig('finished'), p50: fig('p50'), p90: fig('p90'), phases,
        bars: { movie: bars('movie'), tv: bars('tv') },
        edges: { movie: edges('movie'), tv: edges('tv') },
        empty: text('[data-testid=stats-empty]'),
        error: text('[data-testid=stats-error]'),
    };";

async fn view(s: &Session) -> Value {
    s.execute(VIEW, vec![]).await.unwrap()
}

/// The bars of one histogram without their heights: `(from, to, count)`.
fn bins(v: &Value, key: &str) -> Vec<(i64, Option<i64>, u64)> {
    v["bars"][key]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| {
            (
                b[0].as_i64().unwrap(),
                b[1].as_i64(),
                b[2].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Every bar is drawn (non-zero height), taller for a larger count.
fn assert_bars_drawn(v: &Value, key: &str) {
    let bars: Vec<(u64, f64)> = v["bars"][key]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| (b[2].as_u64().unwrap(), b[3].as_f64().unwrap()))
        .collect();
    for (count, height) in &bars {
        assert!(
            *count > 0 && *height >= 2.0,
            "{key}: a bar for {count} request(s) is drawn ({height} px): {bars:?}"
        );
    }
    for (a, b) in bars.iter().zip(bars.iter().skip(1)) {
        assert_eq!(
            a.0.cmp(&b.0),
            a.1.partial_cmp(&b.1).unwrap(),
            "{key}: heights follow counts: {bars:?}"
        );
    }
}

/// Everything in the statistics view stays inside the window and its box.
const INSIDE_STATS: &str = "const box = document.querySelector('[data-testid=stats]').getBoundingClientRect();
    const out = [];
    for (const el of document.querySelectorAll('.stats-head, .stats-table, .hist, .histogram, .histogram text')) {
        const r = el.getBoundingClientRect();
        if (r.left < box.left - 0.5 || r.right > box.right + 0.5) {
            out.push((el.getAttribute('class') || el.tagName) + ' ' + (el.textContent || '').slice(0, 30)
                + ' sticks out: ' + JSON.stringify([r.left, r.right]) + ' of ' + JSON.stringify([box.left, box.right]));
        }
    }
    return out;";

async fn assert_stats_fit(s: &Session, when: &str) {
    assert_fits(
        s,
        when,
        ".toolbar, .stats, .stats-head, .stats-table, .hist, .histogram",
    )
    .await;
    let v = s.execute(INSIDE_STATS, vec![]).await.unwrap();
    assert_eq!(v, json!([]), "{when}: the statistics stay inside their box");
}

const SCROLL_TO_HISTOGRAMS: &str = "const hists = document.querySelector('.stats-hists');
    const bar = document.querySelector('.toolbar').getBoundingClientRect().height;
    window.scrollTo(0, hists.getBoundingClientRect().top + window.scrollY - bar - 8);
    return 1;";

fn at_most(secs: i64) -> impl Fn(&(i64, Option<i64>, u64)) -> bool {
    move |b| b.1.is_some_and(|to| to <= secs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: tools/desktop-test.sh"]
async fn the_statistics_view_shows_the_history_and_grows_live() {
    let dir = tempfile::tempdir().unwrap();
    write_history(&dir.path().join("data"));

    // A film and a series the app sees requested, to finish later.
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    w.add_series(
        81189,
        1396,
        "Breaking Bad",
        2008,
        false,
        &[(1, 2, chrono::NaiveDate::from_ymd_opt(2008, 1, 20).unwrap())],
    );
    let dune = w.request_movie(DUNE, "alice").unwrap();
    let bb = w.request_series(1396, &[1], "carol").unwrap();

    let config = write_config(dir.path(), &stack);
    let (_driver, s) = launch(dir.path(), &config, 4456, &[], &[]).await;
    until(
        "both requests listed",
        Duration::from_secs(40),
        async || {
            let titles = s
                .texts("[data-request-id] [data-testid=title]")
                .await
                .ok()?;
            (titles.iter().any(|t| t == "Dune: Part Two")
                && titles.iter().any(|t| t == "Breaking Bad"))
            .then_some(())
        },
    )
    .await;

    // The view opens from the toolbar with the history's figures.
    let closed = view(&s).await;
    assert_eq!(closed["open"], false, "the view starts closed");
    s.find("[data-testid=stats-toggle]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let v = until("the statistics", Duration::from_secs(20), async || {
        let v = view(&s).await;
        (v["finished"]["all"] == "7").then_some(v)
    })
    .await;
    assert_eq!(v["error"], Value::Null, "{v}");
    assert_eq!(
        (&v["finished"], &v["p50"], &v["p90"]),
        (
            &json!({"movie": "5", "tv": "2", "all": "7"}),
            // Films 40, 70, 85, 180, 540 min; series 300, 1800 min (nearest rank).
            &json!({"movie": "1 h 25 min", "tv": "5 h", "all": "3 h"}),
            &json!({"movie": "9 h", "tv": "30 h", "all": "30 h"}),
        ),
        "finished counts and request to available, median and p90: {v}"
    );
    // Films, series, all: APPROVED 5 min each; DOWNLOADING from minute 5 to
    // 10 min before the end; IMPORTING 10 min.
    assert_eq!(v["phases"]["APPROVED"], json!(["5 min", "5 min", "5 min"]));
    assert_eq!(
        v["phases"]["DOWNLOADING"],
        json!(["1 h 10 min", "4 h 45 min", "2 h 45 min"]),
        "{v}"
    );
    assert_eq!(
        v["phases"]["IMPORTING"],
        json!(["10 min", "10 min", "10 min"])
    );
    assert_eq!(
        bins(&v, "movie"),
        [
            (1_800, Some(3_600), 1),
            (3_600, Some(7_200), 2),
            (7_200, Some(14_400), 1),
            (28_800, Some(86_400), 1),
        ],
        "a bar per filled bin of the films: 40 min; 70 and 85 min; 3 h; 9 h"
    );
    assert_eq!(
        bins(&v, "tv"),
        [(14_400, Some(28_800), 1), (86_400, Some(172_800), 1)],
        "the series: 5 h; 30 h"
    );
    assert_eq!(
        (&v["edges"]["movie"], &v["edges"]["tv"]),
        (
            &json!(["30m", "1h", "2h", "4h", "8h", "1d", "2d"]),
            &json!(["30m", "1h", "2h", "4h", "8h", "1d", "2d"])
        ),
        "the x axis names the bins' edges, the same for both"
    );
    assert_bars_drawn(&v, "movie");
    assert_bars_drawn(&v, "tv");
    assert_stats_fit(&s, "the statistics view").await;

    // The film and the series become AVAILABLE while the view is open.
    w.approve(dune).unwrap();
    w.approve(bb).unwrap();
    w.grab_movie(DUNE, HASH_FILM, "Dune.Part.Two.2024.1080p", 8_000_000_000)
        .unwrap();
    w.grab_episodes(
        81189,
        &[(1, 1), (1, 2)],
        HASH_SERIES,
        "Breaking.Bad.S01",
        2_000_000_000,
    )
    .unwrap();
    for hash in [HASH_FILM, HASH_SERIES] {
        w.complete_download(hash).unwrap();
        w.import(hash).unwrap();
    }
    w.jellyfin_add_movie(DUNE).unwrap();
    w.jellyfin_add_episodes(81189, &[(1, 1), (1, 2)]).unwrap();
    let v = until(
        "the two new finished requests",
        Duration::from_secs(40),
        async || {
            let v = view(&s).await;
            (v["finished"] == json!({"movie": "6", "tv": "3", "all": "9"})).then_some(v)
        },
    )
    .await;
    // Each took well under 30 min: a bar of its own below the history's.
    let films = bins(&v, "movie");
    assert_eq!(films.len(), 5, "one more bar for the films: {films:?}");
    assert!(
        at_most(1_800)(&films[0]) && films[0].2 == 1,
        "Dune's bar comes first: {films:?}"
    );
    assert_eq!(films.iter().map(|b| b.2).sum::<u64>(), 6);
    let series = bins(&v, "tv");
    assert_eq!(series.len(), 3, "one more bar for the series: {series:?}");
    assert!(
        at_most(1_800)(&series[0]) && series[0].2 == 1,
        "Breaking Bad's bar comes first: {series:?}"
    );
    assert_eq!(
        v["edges"]["movie"], v["edges"]["tv"],
        "films and series share their bins"
    );
    assert_bars_drawn(&v, "movie");
    assert_bars_drawn(&v, "tv");
    assert_stats_fit(&s, "the statistics view, grown").await;
    webdriver_shot(&s, "stats-view.png", dir.path()).await;

    // The narrowest window the app allows.
    s.set_window_size(420, 760).await.unwrap();
    until("the narrow window", Duration::from_secs(10), async || {
        let width = s
            .execute("return document.documentElement.clientWidth;", vec![])
            .await
            .ok()?;
        (width.as_u64()? <= 420).then_some(())
    })
    .await;
    // The histograms are drawn again at the new width.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_stats_fit(&s, "the statistics view in the narrowest window").await;
    let narrow = view(&s).await;
    assert_eq!(bins(&narrow, "movie"), films, "the same bars, narrower");
    assert_bars_drawn(&narrow, "movie");
    // The histograms, under the toolbar (which stays at the top).
    s.execute(SCROLL_TO_HISTOGRAMS, vec![]).await.unwrap();
    webdriver_shot(&s, "stats-view-narrow.png", dir.path()).await;

    // Closed again, the list is as it was.
    s.execute("window.scrollTo(0, 0); return 1;", vec![])
        .await
        .unwrap();
    s.find("[data-testid=stats-close]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(view(&s).await["open"], false, "Close hides the view");
    s.close().await;
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: tools/desktop-test.sh"]
async fn the_statistics_view_says_when_nothing_has_finished() {
    let dir = tempfile::tempdir().unwrap();
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    w.request_movie(DUNE, "alice").unwrap();
    let config = write_config(dir.path(), &stack);
    let (_driver, s) = launch(dir.path(), &config, 4458, &[], &[]).await;
    s.wait_for("[data-request-id]", Duration::from_secs(40))
        .await
        .unwrap();
    s.set_window_size(420, 760).await.unwrap();
    s.find("[data-testid=stats-toggle]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let v = until(
        "the empty statistics",
        Duration::from_secs(20),
        async || {
            let v = view(&s).await;
            v["empty"].is_string().then_some(v)
        },
    )
    .await;
    assert!(
        v["empty"]
            .as_str()
            .is_some_and(|t| t.starts_with("No finished requests yet")),
        "it says so: {v}"
    );
    assert_eq!(
        (&v["finished"], &v["p50"], &v["p90"]),
        (
            &json!({"movie": "0", "tv": "0", "all": "0"}),
            &json!({"movie": "—", "tv": "—", "all": "—"}),
            &json!({"movie": "—", "tv": "—", "all": "—"}),
        ),
        "zero finished, no percentiles: {v}"
    );
    assert_eq!(
        v["bars"],
        json!({"movie": [], "tv": []}),
        "no histogram without a finished request"
    );
    let svgs = s.find_all(".histogram").await.unwrap();
    assert!(svgs.is_empty(), "no histogram is drawn");
    assert_stats_fit(&s, "the empty statistics in the narrowest window").await;
    s.close().await;
    stack.shutdown().await;
}
