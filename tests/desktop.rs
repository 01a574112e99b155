//! The desktop app for real: a window under Xvfb, the tray icon registered
//! with a StatusNotifierWatcher on a D-Bus session, native notifications
//! observed on that bus, and Quit from the tray menu.
//!
//! These need an X server and a D-Bus session, so they are ignored by a plain
//! `cargo test`; `tools/desktop-test.sh` runs them inside `xvfb-run` and
//! `dbus-run-session` (and `tools/test.sh` calls it).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use status_tracker_lib::sim::{config_toml, sim_env, SimStack};

const PY: &str = "/usr/bin/python3";
const HASH_OK: &str = "40e9c82e2a69e6214e3afa1ea6bbd0e427518310";
const HASH_BAD: &str = "ca4552774085f1b5db3c8e7d39dd220b0474fe4b";

fn support(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support")
        .join(name)
}

/// Kills a child when dropped.
struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn wait_for(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn notify_summaries(log: &Path) -> Vec<String> {
    // dbus-monitor prints a Notify call's arguments one per line: app name,
    // replaces id, icon, summary, body, ...
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.contains("member=Notify") {
            let strings: Vec<&str> = lines
                .by_ref()
                .take(6)
                .filter_map(|l| l.trim().strip_prefix("string \""))
                .collect();
            if let Some(summary) = strings.get(2) {
                out.push(summary.trim_end_matches('"').to_string());
            }
        }
    }
    out
}

fn tray_item(items: &Path) -> Option<String> {
    std::fs::read_to_string(items)
        .ok()?
        .lines()
        .next()
        .map(str::to_string)
}

fn tray_menu(item: &str) -> Vec<(bool, String)> {
    let out = Command::new(PY)
        .arg(support("tray_menu.py"))
        .args([item, "dump"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut parts = l.splitn(3, '\t');
            let _id = parts.next()?;
            let enabled = parts.next()? == "1";
            Some((enabled, parts.next()?.to_string()))
        })
        .collect()
}

struct Desktop {
    dir: tempfile::TempDir,
    _watcher: Proc,
    _monitor: Proc,
    _dunst: Option<Proc>,
}

impl Desktop {
    fn start() -> Desktop {
        assert!(
            std::env::var_os("DISPLAY").is_some()
                && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "run through tools/desktop-test.sh (needs DISPLAY and a D-Bus session)"
        );
        let dir = tempfile::tempdir().unwrap();
        let items = dir.path().join("tray-items");
        let watcher = Proc(
            Command::new(PY)
                .arg(support("sni_watcher.py"))
                .arg(&items)
                .stdout(Stdio::null())
                .spawn()
                .expect("python3 with dbus and gi (python3-dbus, python3-gi)"),
        );
        wait_for("the tray watcher", Duration::from_secs(10), || {
            items.exists()
        });
        let monitor = Proc(
            Command::new("dbus-monitor")
                .arg("interface='org.freedesktop.Notifications',member='Notify'")
                .stdout(File::create(dir.path().join("notify.log")).unwrap())
                .spawn()
                .expect("dbus-monitor"),
        );
        let dunst = Command::new("dunst")
            .stderr(Stdio::null())
            .spawn()
            .ok()
            .map(Proc);
        std::thread::sleep(Duration::from_millis(500));
        Desktop {
            dir,
            _watcher: watcher,
            _monitor: monitor,
            _dunst: dunst,
        }
    }

    fn items(&self) -> PathBuf {
        self.dir.path().join("tray-items")
    }

    fn notify_log(&self) -> PathBuf {
        self.dir.path().join("notify.log")
    }

    /// Starts the app on a config pointing at the simulated stack.
    fn app(&self, stack: &SimStack) -> Proc {
        let config = self.dir.path().join("config.toml");
        let text = format!(
            "[poll]\ndownloading_secs = 1\nactive_secs = 1\njellyseerr_secs = 1\nidle_secs = 1\n\n{}",
            config_toml(stack.urls())
        );
        std::fs::write(&config, text).unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_status-tracker"));
        cmd.env("STATUS_TRACKER_CONFIG", &config)
            .env("STATUS_TRACKER_DATA_DIR", self.dir.path().join("data"))
            .stdout(Stdio::null())
            .stderr(File::create(self.dir.path().join("app.log")).unwrap());
        for (k, v) in sim_env() {
            cmd.env(k, v);
        }
        Proc(cmd.spawn().unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb and a D-Bus session: tools/desktop-test.sh"]
async fn tray_notifications_exactly_once_and_quit() {
    let desktop = Desktop::start();
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.add_movie(693134, "Dune: Part Two", 2024, false);
    w.add_movie(129, "<img src=x onerror=alert(1)>", 2001, false);
    let dune = w.request_movie(693134, "alice").unwrap();
    let bad = w.request_movie(129, "bob").unwrap();
    w.approve(dune).unwrap();
    w.approve(bad).unwrap();

    let mut app = desktop.app(&stack);
    let items = desktop.items();
    wait_for("the tray icon to register", Duration::from_secs(30), || {
        tray_item(&items).is_some()
    });
    let item = tray_item(&items).unwrap();
    let labels = || tray_menu(&item);
    wait_for("the tray menu", Duration::from_secs(10), || {
        labels().len() >= 6
    });
    let menu = labels();
    let names: Vec<&str> = menu.iter().map(|(_, l)| l.as_str()).collect();
    for want in ["Open", "Refresh now", "Pause polling", "Settings", "Quit"] {
        assert!(names.contains(&want), "tray menu has {want}: {names:?}");
    }
    assert!(
        !menu[0].0,
        "the first entry (the counts) is disabled: {menu:?}"
    );
    wait_for("the counts in the tray", Duration::from_secs(20), || {
        labels()
            .first()
            .is_some_and(|(_, l)| l.contains("approved"))
    });

    // A film becomes available, another fails.
    w.grab_movie(693134, HASH_OK, "Dune.Part.Two.2024.2160p", 8_000_000_000)
        .unwrap();
    w.grab_movie(129, HASH_BAD, "Bad.Release.2001", 1_000_000_000)
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    w.download_failed(HASH_BAD, "The download is stalled with no connections")
        .unwrap();
    w.complete_download(HASH_OK).unwrap();
    w.import(HASH_OK).unwrap();
    w.jellyfin_add_movie(693134).unwrap();
    let log = desktop.notify_log();
    wait_for("both notifications", Duration::from_secs(30), || {
        let s = notify_summaries(&log);
        s.iter().any(|x| x.contains("is ready to watch")) && s.iter().any(|x| x.contains("failed"))
    });
    // More cycles, then a restart: still exactly one of each.
    tokio::time::sleep(Duration::from_secs(4)).await;
    drop(app);
    app = desktop.app(&stack);
    tokio::time::sleep(Duration::from_secs(6)).await;
    let summaries = notify_summaries(&log);
    let ready: Vec<_> = summaries
        .iter()
        .filter(|s| s.contains("is ready to watch"))
        .collect();
    let failed: Vec<_> = summaries.iter().filter(|s| s.contains("failed")).collect();
    assert_eq!(
        ready,
        ["Dune: Part Two (2024) is ready to watch"],
        "exactly one Notify for AVAILABLE: {summaries:?}"
    );
    assert_eq!(
        failed.len(),
        1,
        "exactly one Notify for FAILED: {summaries:?}"
    );
    assert!(
        failed[0].contains("<img src=x onerror=alert(1)>"),
        "titles pass through as text: {failed:?}"
    );

    // Quit from the tray menu ends the app cleanly.
    let item = {
        // The restarted app registered a new item: take the last one.
        let text = std::fs::read_to_string(&items).unwrap();
        text.lines().last().unwrap().to_string()
    };
    wait_for("the restarted tray menu", Duration::from_secs(20), || {
        tray_menu(&item).len() >= 6
    });
    let status = Command::new(PY)
        .arg(support("tray_menu.py"))
        .args([item.as_str(), "click", "Quit"])
        .status()
        .unwrap();
    assert!(status.success(), "clicked Quit");
    let start = Instant::now();
    let code = loop {
        if let Some(s) = app.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the app quits from its tray menu"
        );
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(code.code(), Some(0), "Quit exits with code 0");
    stack.shutdown().await;
}

#[test]
#[ignore = "needs a D-Bus session: tools/desktop-test.sh"]
fn a_credential_round_trips_through_a_real_secret_service() {
    use status_tracker_lib::secrets::{self, Secret};
    use std::io::Write;
    // gnome-keyring creates and unlocks a default keyring from the password on stdin.
    let mut daemon = Command::new("gnome-keyring-daemon")
        .args(["--foreground", "--unlock", "--components=secrets"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gnome-keyring-daemon");
    daemon.stdin.take().unwrap().write_all(b"\n").unwrap();
    let _daemon = Proc(daemon);
    std::thread::sleep(Duration::from_secs(1));

    let service = format!("test-{}", std::process::id());
    let value = Secret::new("sonarr-key-0123456789");
    let mut stored = Err(String::new());
    for _ in 0..20 {
        stored = secrets::keyring_set(&service, &value);
        if stored.is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    stored.expect("stored in the Secret Service");
    let back = secrets::keyring_get(&service).unwrap().expect("read back");
    assert_eq!(back.expose(), "sonarr-key-0123456789");
    secrets::keyring_delete(&service).unwrap();
    assert!(secrets::keyring_get(&service).unwrap().is_none(), "deleted");
    assert!(
        secrets::keyring_delete(&service).is_ok(),
        "deleting twice is fine"
    );
}
