//! The real webview, driven: tauri-driver + WebKitWebDriver start the app on
//! the simulated stack; requests appear in their phase groups, one moves to
//! AVAILABLE, its detail window shows the timeline, a hostile title renders
//! as text, and Settings never shows a saved credential back.
//!
//! Needs Xvfb, a D-Bus session and tauri-driver: `tools/desktop-test.sh`.
//! With `STATUS_TRACKER_SCREENSHOTS=DIR` it also saves the README's screenshots.

#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/webdriver.rs"]
mod webdriver;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use status_tracker_lib::sim::{config_toml, sim_env, SimStack};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb, a D-Bus session and tauri-driver: tools/desktop-test.sh"]
async fn the_app_in_its_real_webview() {
    let dir = tempfile::tempdir().unwrap();
    // A Secret Service for the Settings window's credential.
    let mut keyring = Command::new("gnome-keyring-daemon")
        .args(["--foreground", "--unlock", "--components=secrets"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnome-keyring-daemon");
    keyring.stdin.take().unwrap().write_all(b"\n").unwrap();
    let _keyring = Proc(keyring);

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

    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[poll]\ndownloading_secs = 1\nactive_secs = 1\njellyseerr_secs = 1\nidle_secs = 2\n\n{}",
            config_toml(stack.urls())
        ),
    )
    .unwrap();
    let mut driver = Command::new("tauri-driver");
    driver
        .args(["--port", "4444", "--native-port", "4445"])
        .env("STATUS_TRACKER_CONFIG", &config)
        .env("STATUS_TRACKER_DATA_DIR", dir.path().join("data"))
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in sim_env() {
        driver.env(k, v);
    }
    let _driver = Proc(
        driver
            .spawn()
            .expect("tauri-driver (cargo install tauri-driver)"),
    );
    until("tauri-driver", Duration::from_secs(20), async || {
        tokio::net::TcpStream::connect("127.0.0.1:4444").await.ok()
    })
    .await;
    let s = Session::start(
        "http://127.0.0.1:4444",
        env!("CARGO_BIN_EXE_status-tracker"),
        &[],
    )
    .await
    .unwrap();

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
    available
        .find("[data-testid=title]")
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let detail = until("the detail window", Duration::from_secs(15), async || {
        s.windows()
            .await
            .ok()
            .and_then(|h| h.into_iter().find(|x| *x != main))
    })
    .await;
    s.switch_to(&detail).await.unwrap();
    s.wait_for("[data-testid=timeline-row]", Duration::from_secs(15))
        .await
        .unwrap();
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
    let settings = until("the settings window", Duration::from_secs(15), async || {
        s.windows()
            .await
            .ok()
            .and_then(|h| h.into_iter().find(|x| *x != main && *x != detail))
    })
    .await;
    s.switch_to(&settings).await.unwrap();
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
    let stored = status_tracker_lib::secrets::keyring_get("radarr").unwrap();
    assert_eq!(
        stored.map(|s| s.expose().to_string()).as_deref(),
        Some(TYPED_SECRET)
    );
    let _ = status_tracker_lib::secrets::keyring_delete("radarr");
    s.close().await;
    stack.shutdown().await;
}
