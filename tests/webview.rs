//! The real webview, driven: tauri-driver + WebKitWebDriver start the app on
//! the simulated stack; requests appear in their phase groups, one moves to
//! AVAILABLE, its detail window shows the timeline, a hostile title renders
//! as text, and Settings never shows a saved credential back.
//!
//! Needs Xvfb, a D-Bus session and tauri-driver: `tools/desktop-test.sh`.
//! With `STATUS_TRACKER_SCREENSHOTS=DIR` it also saves the README's screenshots.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/keyring.rs"]
mod keyring;
#[path = "support/webdriver.rs"]
mod webdriver;

#[path = "webview/actions.rs"]
mod actions;
#[path = "webview/instances.rs"]
mod instances;
#[path = "webview/stats.rs"]
mod stats;
#[path = "webview/stuck.rs"]
mod stuck;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use status_tracker_lib::sim::{config_toml, sim_env, FailureMode, Service, SimStack};
use webdriver::Session;

const HOSTILE: &str = "<img src=x onerror=alert(1)>";
const HASH: &str = "40e9c82e2a69e6214e3afa1ea6bbd0e427518310";
const HASH2: &str = "ca4552774085f1b5db3c8e7d39dd220b0474fe4b";
const TYPED_SECRET: &str = "typed-secret-never-shown-0451";

struct Proc(Child);
impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn until<T>(what: &str, timeout: Duration, mut f: impl AsyncFnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Waits for a window that is none of `known` (the one just asked for) and
/// switches the session to it.
async fn switch_to_new_window(s: &Session, what: &str, known: &[&str]) -> String {
    let window = until(what, Duration::from_secs(15), async || {
        s.windows()
            .await
            .ok()
            .and_then(|h| h.into_iter().find(|x| !known.contains(&x.as_str())))
    })
    .await;
    s.switch_to(&window).await.unwrap();
    window
}

/// Saves what the X display shows (windows open at the top left of Xvfb,
/// the newest on top), cropped to the window's size.
async fn shot(name: &str, size: (u32, u32)) {
    if let Some(dir) = std::env::var_os("STATUS_TRACKER_SCREENSHOTS") {
        tokio::time::sleep(Duration::from_millis(800)).await;
        std::fs::create_dir_all(&dir).unwrap();
        let status = Command::new("import")
            .args([
                "-window",
                "root",
                "-crop",
                &format!("{}x{}+0+0", size.0, size.1),
            ])
            .arg(Path::new(&dir).join(name))
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("screenshot {name} not taken (ImageMagick's import is needed)");
        }
    }
}

/// A config on the simulated stack with a one-second cadence.
fn write_config(dir: &Path, stack: &SimStack) -> PathBuf {
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[poll]\ndownloading_secs = 1\nactive_secs = 1\njellyseerr_secs = 1\nidle_secs = 2\n\n{}",
            config_toml(stack.urls())
        ),
    )
    .unwrap();
    config
}

/// Starts tauri-driver on `port` (WebKitWebDriver on `port + 1`) and the app
/// through it, with the simulated stack's credentials in its environment
/// (except the variables in `without`) and `env`.
async fn launch(
    dir: &Path,
    config: &Path,
    port: u16,
    env: &[(&str, &OsStr)],
    without: &[&str],
) -> (Proc, Session) {
    let mut driver = Command::new("tauri-driver");
    driver
        .args(["--port", &port.to_string()])
        .args(["--native-port", &(port + 1).to_string()])
        .env("STATUS_TRACKER_CONFIG", config)
        .env("STATUS_TRACKER_DATA_DIR", dir.join("data"))
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in sim_env() {
        if !without.contains(&k) {
            driver.env(k, v);
        }
    }
    for (k, v) in env {
        driver.env(k, v);
    }
    let driver = Proc(
        driver
            .spawn()
            .expect("tauri-driver (cargo install tauri-driver)"),
    );
    let addr = format!("127.0.0.1:{port}");
    until("tauri-driver", Duration::from_secs(20), async || {
        tokio::net::TcpStream::connect(&addr).await.ok()
    })
    .await;
    let s = Session::start(
        &format!("http://{addr}"),
        env!("CARGO_BIN_EXE_status-tracker"),
        &[],
    )
    .await
    .unwrap();
    (driver, s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: tools/desktop-test.sh"]
async fn the_app_in_its_real_webview() {
    let dir = tempfile::tempdir().unwrap();
    // A Secret Service for the Settings window's credential.
    let _keyring = keyring::SecretService::start();

    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.add_movie(693134, "Dune: Part Two", 2024, false);
    w.add_movie(129, HOSTILE, 2001, false);
    w.add_series(
        81189,
        1396,
        "Breaking Bad",
        2008,
        false,
        &[(1, 7, chrono::NaiveDate::from_ymd_opt(2008, 1, 20).unwrap())],
    );
    let dune = w.request_movie(693134, "alice").unwrap();
    let hostile = w.request_movie(129, "\u{202e}bob\u{200b}").unwrap();
    let bb = w.request_series(1396, &[1], "carol").unwrap();
    for id in [dune, hostile, bb] {
        w.approve(id).unwrap();
    }
    w.grab_movie(
        693134,
        HASH,
        "Dune.Part.Two.2024.2160p.WEB-DL",
        8_000_000_000,
    )
    .unwrap();
    w.set_progress(HASH, 0.42, 12_000_000).unwrap();
    let eps: Vec<(u32, u32)> = (1..=7).map(|n| (1, n)).collect();
    w.grab_episodes(81189, &eps, HASH2, "Breaking.Bad.S01.1080p", 20_000_000_000)
        .unwrap();
    w.set_progress(HASH2, 0.7, 9_000_000).unwrap();
    w.download_failed(HASH2, "qBittorrent is reporting an error")
        .unwrap();

    let config = write_config(dir.path(), &stack);
    let (_driver, s) = launch(dir.path(), &config, 4444, &[], &[]).await;

    // Requests appear in their phase groups.
    until("Dune downloading", Duration::from_secs(30), async || {
        s.find("section[data-phase=DOWNLOADING] [data-request-id]")
            .await
            .ok()
            .map(|_| ())
    })
    .await;
    let reason = until("the FAILED reason", Duration::from_secs(20), async || {
        let t = s
            .texts("section[data-phase=FAILED] [data-testid=reason]")
            .await
            .ok()?;
        t.into_iter().find(|t| !t.is_empty())
    })
    .await;
    assert!(
        reason.contains("qBittorrent is reporting an error"),
        "the reason is shown: {reason}"
    );

    // The hostile title is shown literally and creates no element.
    let texts = s.texts("[data-testid=title]").await.unwrap();
    assert!(
        texts.iter().any(|t| t == HOSTILE),
        "the title renders as text: {texts:?}"
    );
    let injected = s
        .execute("return document.querySelectorAll('img[src=\"x\"]').length + (window.__pwned ? 100 : 0);", vec![])
        .await
        .unwrap();
    assert_eq!(injected, json!(0), "no element was created from a title");
    // Every row shows its poster, served by the app's poster: protocol from
    // the user's own services (here Seerr's image proxy), never from TMDB.
    let srcs = until("the posters", Duration::from_secs(30), async || {
        let v = s
            .execute(
                "const imgs = [...document.querySelectorAll('[data-request-id] .poster img')];\
                 return imgs.length >= 3 && imgs.every((i) => i.complete && i.naturalWidth > 0)\
                 ? imgs.map((i) => i.src) : null;",
                vec![],
            )
            .await
            .ok()?;
        v.as_array().cloned()
    })
    .await;
    assert!(
        srcs.iter().all(|src| src
            .as_str()
            .is_some_and(|u| u.starts_with("poster://localhost/"))),
        "posters come from the app: {srcs:?}"
    );
    let cached = std::fs::read_dir(dir.path().join("data/posters"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert!(
        cached >= 3,
        "the posters are cached in the data dir: {cached}"
    );
    shot("main-window.png", (1000, 720)).await;

    // Dune moves to AVAILABLE, live.
    w.complete_download(HASH).unwrap();
    w.import(HASH).unwrap();
    w.jellyfin_add_movie(693134).unwrap();
    let available = s
        .wait_for(
            "section[data-phase=AVAILABLE] [data-request-id]",
            Duration::from_secs(30),
        )
        .await
        .unwrap();
    let in_group = s
        .texts("section[data-phase=AVAILABLE] [data-testid=title]")
        .await
        .unwrap();
    assert_eq!(in_group, ["Dune: Part Two"], "Dune moved to AVAILABLE");

    // Its detail window shows the timeline.
    let main = s.windows().await.unwrap()[0].clone();
    drop(available);
    // The list is drawn again after every cycle (one a second here): an
    // element found before may be gone by the click, so find it again.
    until(
        "a click on Dune's title",
        Duration::from_secs(10),
        async || {
            let title = s
                .find("section[data-phase=AVAILABLE] [data-request-id] [data-testid=title]")
                .await
                .ok()?;
            title.click().await.ok()
        },
    )
    .await;
    let detail = switch_to_new_window(&s, "the detail window", &[&main]).await;
    s.wait_for("[data-testid=timeline-row]", Duration::from_secs(15))
        .await
        .unwrap();
    until(
        "the detail window's poster",
        Duration::from_secs(20),
        async || {
            let v = s
                .execute(
                    "const i = document.querySelector('.poster img');\
                 return i && i.complete && i.naturalWidth > 0 ? i.src : null;",
                    vec![],
                )
                .await
                .ok()?;
            v.as_str().map(str::to_string)
        },
    )
    .await;
    let timeline = s
        .texts("[data-testid=timeline-row]")
        .await
        .unwrap()
        .join("\n");
    // (Completed, imported and in Jellyfin within one cycle: DOWNLOAD_DONE may be skipped.)
    for phase in ["DOWNLOADING", "AVAILABLE"] {
        assert!(
            timeline.to_uppercase().contains(phase),
            "the timeline shows {phase}:\n{timeline}"
        );
    }
    assert!(
        timeline.contains("Dune.Part.Two.2024.2160p.WEB-DL"),
        "with its evidence:\n{timeline}"
    );
    shot("detail-window.png", (820, 720)).await;

    // Settings: a saved credential is never shown back.
    s.switch_to(&main).await.unwrap();
    s.find("[data-testid=settings]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    switch_to_new_window(&s, "the settings window", &[&main, &detail]).await;
    let secret = s
        .wait_for("[data-testid=secret-radarr]", Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(
        secret.prop("value").await.unwrap(),
        json!(""),
        "the credential field starts empty"
    );
    secret.send_keys(TYPED_SECRET).await.unwrap();
    s.find("[data-testid=save-radarr]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let result = until("the save result", Duration::from_secs(20), async || {
        let t = s.texts("[data-testid=result-radarr]").await.ok()?;
        t.into_iter().find(|t| !t.trim().is_empty())
    })
    .await;
    assert!(
        !result.contains(TYPED_SECRET),
        "the result does not echo the secret: {result}"
    );
    s.execute("location.reload(); return 1;", vec![])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let secret = s
        .wait_for("[data-testid=secret-radarr]", Duration::from_secs(15))
        .await
        .unwrap();
    assert_eq!(
        secret.prop("value").await.unwrap(),
        json!(""),
        "a saved credential is never shown back"
    );
    let placeholder = secret
        .attr("placeholder")
        .await
        .unwrap()
        .unwrap_or_default();
    assert!(
        placeholder.contains("set"),
        "it only says it is set: {placeholder}"
    );
    let leaked = s
        .execute(
            "return document.documentElement.outerHTML.includes(arguments[0]);",
            vec![json!(TYPED_SECRET)],
        )
        .await
        .unwrap();
    assert_eq!(leaked, json!(false), "the secret is nowhere in the page");
    shot("settings-window.png", (760, 760)).await;

    // And it went to the keyring, not to the config file.
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        !text.contains(TYPED_SECRET),
        "never written to the config file"
    );
    let stored = keyring::within_limit("keyring_get", || {
        status_tracker_lib::secrets::keyring_get("radarr")
    })
    .unwrap();
    assert_eq!(
        stored.map(|s| s.expose().to_string()).as_deref(),
        Some(TYPED_SECRET)
    );
    s.close().await;
    stack.shutdown().await;
}

// ---------------------------------------------------------------- hostile text

/// Markup and script: each payload would set `window.__pwned` or create an
/// element of class `pwned` if it were ever parsed as HTML.
const SCRIPT: &str = "<script>window.__pwned=1</script><b class=pwned>bold</b>";
const IMG: &str = "<img class=pwned src=x onerror=\"window.__pwned=2\">";
const SVG: &str = "<svg class=pwned onload=\"window.__pwned=3\"></svg>&amp;&lt;";
/// Right-to-left override, zero-width space and joiner, an isolate, a BOM.
const RTL: &str = "\u{202e}\u{200b}evil\u{200d}\u{2067}مرحبا\u{feff}";
const HASH3: &str = "1111111111111111111111111111111111111111";
const HASH4: &str = "2222222222222222222222222222222222222222";

/// Texts cut to 40 characters each, for readable failure messages.
fn short(texts: &[String]) -> Vec<String> {
    texts.iter().map(|t| t.chars().take(40).collect()).collect()
}

/// A 5,000-character word: nothing to break it at.
fn long(c: char) -> String {
    std::iter::repeat_n(c, 5000).collect()
}

/// Nothing parsed from a payload: no element, no script run, no inline script.
const INERT: &str = "return {
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    elements: document.querySelectorAll('.pwned, img[src=\"x\"]').length,
    inline_scripts: [...document.scripts].filter((s) => !s.src).length,
};";

/// What sticks out of the window: the page scrolling sideways, or an
/// element (matching the selector) wider than the window or past its right edge.
const OVERFLOW: &str = "const vw = document.documentElement.clientWidth;
    const out = [];
    const sw = document.documentElement.scrollWidth;
    if (sw > vw) out.push('the page scrolls sideways: ' + sw + ' > ' + vw);
    for (const el of document.querySelectorAll(arguments[0])) {
        const r = el.getBoundingClientRect();
        if (r.right > vw + 1 || r.width > vw) {
            out.push(el.tagName + '.' + el.className + ' is ' + Math.round(r.width)
                + 'px wide, right edge at ' + Math.round(r.right) + ' of ' + vw);
        }
    }
    return out;";

async fn assert_inert(s: &Session, window: &str) {
    let v = s.execute(INERT, vec![]).await.unwrap();
    assert_eq!(
        v,
        json!({"pwned": null, "elements": 0, "inline_scripts": 0}),
        "{window}: no payload was parsed as HTML or ran as script"
    );
}

async fn assert_fits(s: &Session, window: &str, css: &str) {
    let v = s.execute(OVERFLOW, vec![json!(css)]).await.unwrap();
    assert_eq!(
        v,
        json!([]),
        "{window}: hostile text stays inside the window (no sideways scrolling)"
    );
}

/// Saves a WebDriver screenshot of the current window to
/// `$STATUS_TRACKER_SCREENSHOTS` (else `fallback`); returns its size.
async fn webdriver_shot(s: &Session, name: &str, fallback: &Path) -> usize {
    tokio::time::sleep(Duration::from_millis(800)).await;
    let png = s.screenshot().await.unwrap();
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 10_000,
        "{name}: the screenshot is a PNG of a drawn window ({} bytes)",
        png.len()
    );
    let dir = std::env::var_os("STATUS_TRACKER_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| fallback.to_path_buf());
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), &png).unwrap();
    png.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: tools/desktop-test.sh"]
async fn hostile_text_renders_inert_and_fits_both_windows() {
    let dir = tempfile::tempdir().unwrap();
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    let long_title = long('W');
    let long_user = long('R');
    let long_episode = long('E');
    let series_title = format!("{IMG}{RTL}");
    let series_reason = format!("{SVG} {}", long('F'));
    let film_reason = format!("{IMG} {}", long('X'));

    // Titles, requester names, reasons and episode titles, all hostile.
    w.add_movie(131, SCRIPT, 2001, false);
    w.add_movie(132, &long_title, 2002, false);
    w.add_movie(133, RTL, 2003, false);
    w.add_series(
        81190,
        1397,
        &series_title,
        2010,
        false,
        &[(1, 5, chrono::NaiveDate::from_ymd_opt(2010, 1, 3).unwrap())],
    );
    for (n, title) in [SCRIPT, IMG, SVG, RTL, long_episode.as_str()]
        .iter()
        .enumerate()
    {
        w.set_episode_title(81190, 1, n as u32 + 1, title).unwrap();
    }
    let a = w.request_movie(131, IMG).unwrap();
    let b = w.request_movie(132, &long_user).unwrap();
    let c = w.request_movie(133, RTL).unwrap();
    let d = w.request_series(1397, &[1], SCRIPT).unwrap();
    for id in [a, b, c, d] {
        w.approve(id).unwrap();
    }
    w.grab_movie(131, HASH, "Hostile.2001.1080p", 1_000_000_000)
        .unwrap();
    w.download_failed(HASH, &film_reason).unwrap();
    w.grab_movie(132, HASH3, "Long.2002.1080p", 1_000_000_000)
        .unwrap();
    w.set_progress(HASH3, 0.3, 5_000_000).unwrap();
    let eps: Vec<(u32, u32)> = (1..=5).map(|n| (1, n)).collect();
    w.grab_episodes(81190, &eps, HASH4, "Hostile.S01.1080p", 5_000_000_000)
        .unwrap();
    w.set_progress(HASH4, 0.5, 1_000_000).unwrap();
    w.download_failed(HASH4, &series_reason).unwrap();

    let config = write_config(dir.path(), &stack);
    let (_driver, s) = launch(dir.path(), &config, 4446, &[], &[]).await;

    // Main window: every hostile text is there, literally.
    let titles = until("all four requests", Duration::from_secs(40), async || {
        let t = s
            .texts("[data-request-id] [data-testid=title]")
            .await
            .ok()?;
        let reasons = s.texts("[data-testid=reason]").await.ok()?;
        (t.len() >= 4 && reasons.iter().filter(|r| !r.is_empty()).count() >= 2).then_some(t)
    })
    .await;
    for want in [SCRIPT, long_title.as_str(), RTL, series_title.as_str()] {
        assert!(
            titles.iter().any(|t| t == want),
            "the title {:.60}… renders as its own text: {:?}",
            want,
            short(&titles)
        );
    }
    let requesters = s.texts("[data-testid=requester]").await.unwrap();
    for want in [IMG, long_user.as_str(), RTL, SCRIPT] {
        assert!(
            requesters.iter().any(|t| t == want),
            "the requester {:.60}… renders as text: {:?}",
            want,
            short(&requesters)
        );
    }
    let reasons = s.texts("[data-testid=reason]").await.unwrap().join("\n");
    for want in [film_reason.as_str(), series_reason.as_str()] {
        assert!(
            reasons.contains(want),
            "the reason {:.60}… renders as text: {reasons:.300}",
            want
        );
    }
    assert_inert(&s, "main window").await;
    assert_fits(
        &s,
        "main window",
        ".toolbar, .toolbar > *, section[data-phase], [data-request-id], .row-main, .row-side, [data-testid=reason]",
    )
    .await;
    let main_png = webdriver_shot(&s, "hostile-main.png", dir.path()).await;

    // Detail window of the hostile series: title, requester, reason, and the
    // episode grid whose tooltips carry the episode titles.
    let main = s.windows().await.unwrap()[0].clone();
    let id = s
        .execute(
            "const row = [...document.querySelectorAll('[data-request-id]')]
                .find((r) => r.querySelector('[data-testid=title]').textContent === arguments[0]);
             return row ? Number(row.dataset.requestId) : null;",
            vec![json!(series_title)],
        )
        .await
        .unwrap();
    assert!(id.is_number(), "the series has a row: {id}");
    s.execute(
        "window.__TAURI__.core.invoke('open_detail', { id: arguments[0] }); return 1;",
        vec![id],
    )
    .await
    .unwrap();
    switch_to_new_window(&s, "the detail window", &[&main]).await;
    s.wait_for("[data-testid=episode]", Duration::from_secs(15))
        .await
        .unwrap();
    let h1 = s.texts("h1[data-testid=title]").await.unwrap();
    assert_eq!(h1, [series_title.as_str()], "the detail title is text");
    let requester = s.texts("[data-testid=requester]").await.unwrap();
    assert_eq!(requester, [SCRIPT], "the requester is text");
    let reason = s.texts("[data-testid=reason]").await.unwrap().join("");
    assert!(
        reason.contains(&series_reason),
        "the reason is text: {reason:.200}"
    );
    let tips = s
        .execute(
            "return [...document.querySelectorAll('[data-testid=episode]')].map((e) => e.getAttribute('title'));",
            vec![],
        )
        .await
        .unwrap();
    let tips: Vec<String> = serde_json::from_value(tips).unwrap();
    for want in [SCRIPT, IMG, SVG, RTL, long_episode.as_str()] {
        assert!(
            tips.iter().any(|t| t.contains(want)),
            "the episode title {:.60}… is shown as text: {:?}",
            want,
            short(&tips)
        );
    }
    assert_inert(&s, "detail window").await;
    assert_fits(
        &s,
        "detail window",
        ".detail-head, .detail-body, h1, [data-testid=reason], .facts, .card, .timeline, .ep-grid",
    )
    .await;
    let detail_png = webdriver_shot(&s, "hostile-detail.png", dir.path()).await;
    eprintln!(
        "hostile text: 4 titles, 4 requesters, 2 reasons, 5 episode titles inert and inside \
         both windows; screenshots {main_png} and {detail_png} bytes"
    );
    s.close().await;
    stack.shutdown().await;
}

// ---------------------------------------------------------------- secrets

/// The main window's read commands (the list and the statistics), and every
/// `requests-changed` payload seen so far.
const MAIN_READS: &str = "const done = arguments[arguments.length - 1];
(async () => {
    const invoke = window.__TAURI__.core.invoke;
    const out = { list: await invoke('list_requests'), statistics: await invoke('statistics') };
    out.events = window.__events.slice();
    return out;
})().then((v) => done(JSON.stringify(v)), (e) => done('failed: ' + String(e)));";

/// A detail window's read command, for every request id in `arguments[0]`
/// and one that does not exist.
const DETAIL_READS: &str = "const done = arguments[arguments.length - 1];
const ids = arguments[0];
(async () => {
    const invoke = window.__TAURI__.core.invoke;
    const out = { details: [] };
    for (const id of ids) out.details.push(await invoke('request_detail', { id }));
    out.missing = await invoke('request_detail', { id: 999999 }).catch((e) => e);
    return out;
})().then((v) => done(JSON.stringify(v)), (e) => done('failed: ' + String(e)));";

/// The settings window's reads: the settings and a connection test per
/// enabled service, with what the UI passes.
const SETTINGS_READS: &str = "const done = arguments[arguments.length - 1];
(async () => {
    const invoke = window.__TAURI__.core.invoke;
    const out = { settings: await invoke('get_settings'), tests: [] };
    for (const s of out.settings.services) {
        if (!s.enabled) continue;
        out.tests.push(await invoke('test_connection', { service: {
            name: s.name, url: s.url, username: s.username, timeout_secs: s.timeout_secs,
        } }).catch((e) => e));
    }
    return out;
})().then((v) => done(JSON.stringify(v)), (e) => done('failed: ' + String(e)));";

/// Calls the command `arguments[0]` with the arguments `arguments[1]`;
/// answers what it answered or the error it was refused with.
const CALL: &str = "const done = arguments[arguments.length - 1];
window.__TAURI__.core.invoke(arguments[0], arguments[1])
    .then((v) => done('answered: ' + JSON.stringify(v)), (e) => done('refused: ' + String(e)));";

/// The three windows of the secrets test: every read command the UI uses,
/// each from the window that uses it, merged into one object.
async fn read_everything(s: &Session, windows: &[String; 3], ids: &serde_json::Value) -> String {
    let mut all = serde_json::Map::new();
    for (window, script, args) in [
        (&windows[0], MAIN_READS, vec![]),
        (&windows[1], DETAIL_READS, vec![ids.clone()]),
        (&windows[2], SETTINGS_READS, vec![]),
    ] {
        s.switch_to(window).await.unwrap();
        let v = s.execute_async(script, args).await.unwrap();
        let text = v.as_str().unwrap_or_default();
        let part: serde_json::Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("the UI's calls answered ({e}): {text:.500}"));
        if let serde_json::Value::Object(m) = part {
            all.extend(m);
        }
    }
    s.switch_to(&windows[0]).await.unwrap();
    serde_json::Value::Object(all).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: tools/desktop-test.sh"]
async fn no_secret_in_ipc_answers_events_or_the_trace_log() {
    use status_tracker_lib::sim::{FailureMode, Service, SIM_SHOKO_PASSWORD};
    let dir = tempfile::tempdir().unwrap();
    // Every credential set: five in the environment, Shoko's in the keyring.
    let _keyring = keyring::SecretService::start();
    keyring::store("shoko", SIM_SHOKO_PASSWORD);
    let all_secrets: Vec<&str> = sim_env().into_iter().map(|(_, v)| v).collect();

    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.add_movie(693134, "Dune: Part Two", 2024, false);
    w.add_series(
        267440,
        1429,
        "Attack on Titan",
        2013,
        true,
        &[(1, 3, chrono::NaiveDate::from_ymd_opt(2013, 4, 7).unwrap())],
    );
    let a = w.request_movie(693134, "alice").unwrap();
    let b = w.request_series(1429, &[1], "bob").unwrap();
    w.approve(a).unwrap();
    w.approve(b).unwrap();
    w.grab_movie(693134, HASH, "Dune.Part.Two.2024", 8_000_000_000)
        .unwrap();
    w.set_progress(HASH, 0.4, 5_000_000).unwrap();

    let config = write_config(dir.path(), &stack);
    let state = dir.path().join("state");
    let env: [(&str, &OsStr); 2] = [
        ("STATUS_TRACKER_LOG", OsStr::new("trace")),
        ("XDG_STATE_HOME", state.as_os_str()),
    ];
    let (_driver, s) = launch(
        dir.path(),
        &config,
        4448,
        &env,
        &["STATUS_TRACKER_SHOKO_PASSWORD"],
    )
    .await;
    s.wait_for("[data-request-id]", Duration::from_secs(30))
        .await
        .unwrap();
    s.execute(
        "window.__events = [];
         window.__TAURI__.event.listen('requests-changed', (e) => window.__events.push(e.payload));
         return 1;",
        vec![],
    )
    .await
    .unwrap();

    // The film moves on; then every service refuses the credentials, so the
    // answers and events carry the services' error messages.
    w.complete_download(HASH).unwrap();
    w.import(HASH).unwrap();
    w.jellyfin_add_movie(693134).unwrap();
    // A detail window and the settings window, opened as the main window's
    // buttons open them.
    let main = s.windows().await.unwrap()[0].clone();
    let ids = s
        .execute(
            "return [...document.querySelectorAll('[data-request-id]')].map((r) => Number(r.dataset.requestId));",
            vec![],
        )
        .await
        .unwrap();
    s.execute(
        "window.__TAURI__.core.invoke('open_detail', { id: arguments[0] }); return 1;",
        vec![ids[0].clone()],
    )
    .await
    .unwrap();
    let detail = switch_to_new_window(&s, "the detail window", &[&main]).await;
    s.switch_to(&main).await.unwrap();
    s.execute(
        "window.__TAURI__.core.invoke('open_settings'); return 1;",
        vec![],
    )
    .await
    .unwrap();
    let settings = switch_to_new_window(&s, "the settings window", &[&main, &detail]).await;
    let windows = [main.clone(), detail.clone(), settings.clone()];

    // Each window may call only what its page needs: a detail window (or
    // the main window) asking for the settings or saving a service is
    // refused, whatever it passes.
    let save =
        json!({ "service": { "name": "radarr", "url": "http://evil.example", "secret": "x" } });
    for (window, command, args) in [
        (&detail, "save_service", save.clone()),
        (&detail, "remove_service", json!({ "name": "radarr" })),
        (&detail, "get_settings", json!({})),
        (&detail, "start_demo", json!({})),
        (&main, "save_service", save.clone()),
        (&main, "get_settings", json!({})),
        (
            &main,
            "test_connection",
            json!({ "service": { "name": "radarr", "url": "http://x" } }),
        ),
        (&settings, "list_requests", json!({})),
        (&settings, "statistics", json!({})),
        (&detail, "statistics", json!({})),
        (&settings, "open_link", json!({ "id": 1, "kind": "arr" })),
    ] {
        s.switch_to(window).await.unwrap();
        let answer = s
            .execute_async(CALL, vec![json!(command), args])
            .await
            .unwrap();
        let answer = answer.as_str().unwrap_or_default();
        assert!(
            answer.starts_with("refused:") && answer.contains("not allowed"),
            "{command} from the {} window: {answer:.300}",
            if *window == detail {
                "detail"
            } else if *window == main {
                "main"
            } else {
                "settings"
            }
        );
    }
    s.switch_to(&main).await.unwrap();
    let config_text = std::fs::read_to_string(&config).unwrap();
    assert!(
        !config_text.contains("evil.example"),
        "nothing was saved: {config_text}"
    );

    tokio::time::sleep(Duration::from_secs(4)).await;
    let healthy = read_everything(&s, &windows, &ids).await;
    for svc in Service::ALL {
        w.set_mode(svc, FailureMode::Unauthorized);
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    let refused = read_everything(&s, &windows, &ids).await;

    for (when, text) in [("healthy", &healthy), ("refused", &refused)] {
        let text = text.as_str();
        let parsed: serde_json::Value = serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{when}: the UI's calls answered ({e}): {text:.500}"));
        // The search is meaningful: the answers are the real ones.
        let requests = parsed["list"]["requests"].as_array().map_or(0, Vec::len);
        assert_eq!(requests, 2, "{when}: both requests listed");
        assert_eq!(
            parsed["details"].as_array().map(Vec::len),
            Some(2),
            "{when}: a detail per request"
        );
        let services = parsed["settings"]["services"].as_array().unwrap();
        assert!(
            services.len() == 6 && services.iter().all(|s| s["secret_set"] == json!(true)),
            "{when}: every credential is set, Shoko's from the keyring: {services:?}"
        );
        assert_eq!(
            parsed["tests"].as_array().map(Vec::len),
            Some(6),
            "{when}: every service's connection was tested"
        );
        assert!(
            parsed["events"].as_array().is_some_and(|e| !e.is_empty()),
            "{when}: requests-changed events were received"
        );
        for secret in &all_secrets {
            assert!(
                !text.contains(secret),
                "{when}: a secret reached the UI through IPC or an event"
            );
        }
    }
    assert!(
        healthy.contains("\"ok\":true"),
        "healthy: a connection test succeeded"
    );
    let refused_text = refused.as_str();
    assert!(
        refused_text.contains("\"ok\":false") && refused_text.contains("401"),
        "refused: the errors reached the UI"
    );
    s.close().await;

    // The trace log of that run: verbose, and clean.
    let mut logs = Vec::new();
    let mut stack_dirs = vec![state.clone()];
    while let Some(d) = stack_dirs.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            if e.path().is_dir() {
                stack_dirs.push(e.path());
            } else {
                logs.push(std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    let log = logs.concat();
    assert!(
        log.contains("DEBUG") && log.contains("cycle:") && log.contains("is down"),
        "the log is at its most verbose, with cycles and errors:\n{log:.2000}"
    );
    for secret in &all_secrets {
        assert!(!log.contains(secret), "a secret reached the trace log");
    }
    eprintln!(
        "IPC: 2 sweeps of list_requests, request_detail x2, get_settings, test_connection x6 and \
         the requests-changed events ({} + {} bytes); trace log {} lines: no secret",
        healthy.len(),
        refused_text.len(),
        log.lines().count()
    );
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: tools/desktop-test.sh"]
async fn first_contact_progress_shows_in_the_main_window() {
    let dir = tempfile::tempdir().unwrap();
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.populate(300, 1).unwrap();
    // 0.4 s per answer: the first cycles cannot read 300 titles at once.
    w.set_mode(Service::Jellyseerr, FailureMode::Slow(400));
    let config = write_config(dir.path(), &stack);
    let (_driver, s) = launch(dir.path(), &config, 4450, &[], &[]).await;

    let text = until(
        "the first-contact note",
        Duration::from_secs(60),
        async || {
            s.texts("[data-testid=first-contact]:not([hidden])")
                .await
                .ok()?
                .into_iter()
                .find(|t| t.contains("Reading your library: "))
        },
    )
    .await;
    assert!(text.contains(" of 300 requests"), "{text}");
    let listed = s.find_all("[data-request-id]").await.unwrap().len();
    assert!(listed > 0, "the requests read so far are listed meanwhile");
    webdriver_shot(&s, "first-contact.png", dir.path()).await;

    // Every title read: the note goes.
    w.set_mode(Service::Jellyseerr, FailureMode::Up);
    until("the note to go", Duration::from_secs(60), async || {
        s.find_all("[data-testid=first-contact]:not([hidden])")
            .await
            .ok()
            .filter(Vec::is_empty)
            .map(|_| ())
    })
    .await;
    s.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: tools/desktop-test.sh"]
async fn a_link_opens_in_the_browser_and_leaves_no_process_behind() {
    let dir = tempfile::tempdir().unwrap();
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.add_movie(693134, "Dune: Part Two", 2024, false);
    let dune = w.request_movie(693134, "alice").unwrap();
    w.approve(dune).unwrap();
    // The desktop's opener, as the app finds it on PATH: it notes the URL.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let opened = dir.path().join("opened.txt");
    let opener = bin.join("xdg-open");
    std::fs::write(
        &opener,
        format!("#!/bin/sh\necho \"$1\" >> '{}'\n", opened.display()),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&opener, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::join_paths(std::iter::once(bin.clone()).chain(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    )))
    .unwrap();

    let config = write_config(dir.path(), &stack);
    let (_driver, s) = launch(
        dir.path(),
        &config,
        4452,
        &[("PATH", path.as_os_str())],
        &[],
    )
    .await;
    s.wait_for("[data-request-id]", Duration::from_secs(30))
        .await
        .unwrap();
    let main = s.windows().await.unwrap()[0].clone();
    let id = s
        .execute(
            "return Number(document.querySelector('[data-request-id]').dataset.requestId);",
            vec![],
        )
        .await
        .unwrap();
    s.execute(
        "window.__TAURI__.core.invoke('open_detail', { id: arguments[0] }); return 1;",
        vec![id.clone()],
    )
    .await
    .unwrap();
    switch_to_new_window(&s, "the detail window", &[&main]).await;
    for _ in 0..3 {
        let answer = s
            .execute_async(
                CALL,
                vec![
                    json!("open_link"),
                    json!({ "id": id, "kind": "jellyseerr" }),
                ],
            )
            .await
            .unwrap();
        assert!(
            answer.as_str().is_some_and(|a| a.starts_with("answered:")),
            "open_link: {answer}"
        );
    }
    let urls = until(
        "the opener to run three times",
        Duration::from_secs(10),
        async || {
            let text = std::fs::read_to_string(&opened).unwrap_or_default();
            (text.lines().count() >= 3).then_some(text)
        },
    )
    .await;
    assert!(
        urls.lines().all(
            |u| u.starts_with(stack.urls().jellyseerr.trim_end_matches('/'))
                && u.contains("693134")
        ),
        "Jellyseerr's page of the film, from the configured URL: {urls}"
    );
    // The app reaped every opener: none of its children is a zombie.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let app = app_pid(dir.path());
    let zombies: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .filter(|stat| {
            // "pid (comm) state ppid ..."
            let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
            let mut f = rest.split_whitespace();
            let (state, ppid) = (f.next(), f.next());
            state == Some("Z") && ppid == Some(app.to_string().as_str())
        })
        .collect();
    assert!(
        zombies.is_empty(),
        "no exited opener left unreaped: {zombies:?}"
    );
    s.close().await;
    stack.shutdown().await;
}

/// The app's PID: the status-tracker process whose environment names this
/// test's data dir.
fn app_pid(dir: &Path) -> u32 {
    let want = format!("STATUS_TRACKER_DATA_DIR={}", dir.join("data").display());
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
            let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
            exe.file_name().is_some_and(|n| n == "status-tracker")
                && env.split(|b| *b == 0).any(|v| v == want.as_bytes())
        })
        .expect("the app is running")
}
