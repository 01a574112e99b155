//! The desktop app for real: a window under Xvfb, the tray icon registered
//! with a StatusNotifierWatcher on a D-Bus session, native notifications
//! observed on that bus, and Quit from the tray menu.
//!
//! These need an X server and a D-Bus session, so they are ignored by a plain
//! `cargo test`; `tools/desktop-test.sh` runs them inside `xvfb-run` and
//! `dbus-run-session` (and `tools/test.sh` calls it).
//!
//! Also: the app killed with SIGKILL at random moments and restarted,
//! `STATUS_TRACKER_KILL_LOOPS` times (default 8; 100 for the long run), and
//! no secret in its trace-level log, its stderr or its crash output.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use status_tracker_lib::sim::{config_toml, sim_env, FailureMode, Service, SimStack};

#[path = "support/crash.rs"]
mod crash;
#[path = "support/keyring.rs"]
mod keyring;
#[path = "support/notifications.rs"]
mod notifications;

#[path = "desktop/actions.rs"]
mod actions;

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

/// `tray_menu.py ITEM ARGS...`: a panel's view of the icon over D-Bus.
fn tray_menu_py(item: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(PY);
    cmd.arg(support("tray_menu.py")).arg(item).args(args);
    cmd
}

fn tray_menu(item: &str) -> Vec<(bool, String)> {
    let out = tray_menu_py(item, &["dump"]).output().unwrap();
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
    /// The stand-in panel's StatusNotifierWatcher (none until
    /// [`Desktop::start_tray`] for a desktop whose tray comes late).
    watcher: Option<Proc>,
    _monitor: Proc,
    _dunst: Option<Proc>,
}

impl Desktop {
    /// A virtual desktop: notifications watched, and a tray if `with_tray`.
    fn start_with(with_tray: bool) -> Desktop {
        Desktop::start_inner(with_tray, true)
    }

    /// A virtual desktop whose notification server is the tests' own
    /// (`support/notification_server.py`, advertising actions if `actions`)
    /// instead of dunst: it logs each notification's actions and clicks them.
    fn with_test_notifications(actions: bool) -> (Desktop, notifications::Notifications) {
        let desktop = Desktop::start_inner(false, false);
        let server = notifications::Notifications::start(desktop.dir.path(), actions);
        (desktop, server)
    }

    fn start_inner(with_tray: bool, with_dunst: bool) -> Desktop {
        assert!(
            std::env::var_os("DISPLAY").is_some()
                && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "run through tools/desktop-test.sh (needs DISPLAY and a D-Bus session)"
        );
        let dir = tempfile::tempdir().unwrap();
        let monitor = Proc(
            Command::new("dbus-monitor")
                .arg("interface='org.freedesktop.Notifications',member='Notify'")
                .stdout(File::create(dir.path().join("notify.log")).unwrap())
                .spawn()
                .expect("dbus-monitor"),
        );
        let dunst = with_dunst
            .then(|| Command::new("dunst").stderr(Stdio::null()).spawn().ok())
            .flatten()
            .map(Proc);
        std::thread::sleep(Duration::from_millis(500));
        let mut desktop = Desktop {
            dir,
            watcher: None,
            _monitor: monitor,
            _dunst: dunst,
        };
        if with_tray {
            desktop.start_tray();
        }
        desktop
    }

    fn start() -> Desktop {
        Desktop::start_with(true)
    }

    /// Starts the stand-in panel's tray (the StatusNotifierWatcher).
    fn start_tray(&mut self) {
        let items = self.items();
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
        self.watcher = Some(watcher);
    }

    fn items(&self) -> PathBuf {
        self.dir.path().join("tray-items")
    }

    fn notify_log(&self) -> PathBuf {
        self.dir.path().join("notify.log")
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn app_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("app.log")).unwrap_or_default()
    }

    /// Starts the app on a config pointing at the simulated stack.
    fn app(&self, stack: &SimStack) -> Proc {
        self.app_with(stack, &[])
    }

    /// Starts the app with extra environment variables (its stderr goes to
    /// `app.log`, rewritten at each start).
    fn app_with(&self, stack: &SimStack, env: &[(&str, &OsStr)]) -> Proc {
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
        for (k, v) in env {
            cmd.env(k, v);
        }
        Proc(cmd.spawn().unwrap())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb and a D-Bus session: tools/desktop-test.sh"]
async fn the_tray_menu_says_how_far_first_contact_got() {
    let desktop = Desktop::start();
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.populate(300, 1).unwrap();
    // 0.4 s per answer: the first cycles cannot read 300 titles at once.
    w.set_mode(Service::Jellyseerr, FailureMode::Slow(400));
    let _app = desktop.app(&stack);
    let items = desktop.items();
    wait_for("the tray icon to register", Duration::from_secs(30), || {
        tray_item(&items).is_some()
    });
    let item = tray_item(&items).unwrap();
    let summary = || tray_menu(&item).first().map(|(_, l)| l.clone());
    wait_for(
        "the progress in the tray menu",
        Duration::from_secs(60),
        || {
            summary().is_some_and(|l| {
                l.starts_with("Reading your library: ") && l.ends_with(" of 300 requests")
            })
        },
    );
    w.set_mode(Service::Jellyseerr, FailureMode::Up);
    wait_for(
        "the counts once every title is read",
        Duration::from_secs(60),
        || summary().is_some_and(|l| l.contains("downloading")),
    );
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
    quit_from_tray(&mut app, &item);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb and a D-Bus session: tools/desktop-test.sh"]
async fn the_tray_tooltip_has_the_counts_and_a_left_click_opens_the_window() {
    let desktop = Desktop::start();
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.add_movie(693134, "Dune: Part Two", 2024, false);
    let dune = w.request_movie(693134, "alice").unwrap();
    w.approve(dune).unwrap();
    let app = desktop.app_with(&stack, &[("STATUS_TRACKER_START_HIDDEN", OsStr::new("1"))]);
    let pid = app.0.id();
    let items = desktop.items();
    wait_for("the tray icon to register", Duration::from_secs(30), || {
        tray_item(&items).is_some()
    });
    let item = tray_item(&items).unwrap();
    wait_for("the counts in the tooltip", Duration::from_secs(30), || {
        tray_tooltip(&item).is_some_and(|(_, text)| text == "1 approved")
    });
    let (title, _) = tray_tooltip(&item).unwrap();
    assert_eq!(title, "Status Tracker", "the tooltip's heading");
    assert!(app_windows(pid, false).is_empty(), "tray only at start");
    activate(&item);
    wait_for(
        "the main window after a left click on the icon",
        Duration::from_secs(30),
        || !app_windows(pid, false).is_empty(),
    );
    // The icon is served by the app itself: no appindicator library.
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    assert!(
        !maps.contains("appindicator"),
        "no appindicator library in the app's memory"
    );
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb and a D-Bus session: tools/desktop-test.sh"]
async fn a_tray_that_starts_after_the_app_still_gets_the_icon() {
    let mut desktop = Desktop::start_with(false);
    let stack = SimStack::start().await.unwrap();
    let mut app = desktop.app_with(&stack, &[("STATUS_TRACKER_START_HIDDEN", OsStr::new("1"))]);
    wait_for(
        "the app to say there is no tray",
        Duration::from_secs(30),
        || {
            desktop
                .app_log()
                .contains("no system tray on this desktop yet")
        },
    );
    std::thread::sleep(Duration::from_secs(3));
    // The panel starts (as at login, after the autostarted app).
    desktop.start_tray();
    let items = desktop.items();
    wait_for("the icon on the late tray", Duration::from_secs(20), || {
        tray_item(&items).is_some()
    });
    let item = tray_item(&items).unwrap();
    wait_for("the tray menu", Duration::from_secs(10), || {
        tray_menu(&item).len() >= 6
    });
    quit_from_tray(&mut app, &item);
    stack.shutdown().await;
}

/// The GL libraries a process has mapped: Mesa's GLX/EGL vendor libraries,
/// a DRI driver, and (with the llvmpipe software driver) its 26 MB LLVM.
fn gl_mappings(pid: u32) -> Vec<String> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
    let mut libs: Vec<String> = maps
        .lines()
        .filter_map(|l| l.split_whitespace().nth(5))
        .filter(|p| {
            ["libLLVM", "_dri.so", "libGLX_mesa", "libEGL_mesa"]
                .iter()
                .any(|lib| p.contains(lib))
        })
        .map(str::to_string)
        .collect();
    libs.sort();
    libs.dedup();
    libs
}

/// A Mesa DRI driver is installed (`/usr/lib/<arch>/dri/*_dri.so`).
fn dri_driver_installed() -> bool {
    std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|arch| std::fs::read_dir(arch.path().join("dri")).ok())
        .flatten()
        .flatten()
        .any(|f| f.file_name().to_string_lossy().ends_with("_dri.so"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb and a D-Bus session: tools/desktop-test.sh"]
async fn the_tray_only_app_maps_no_gl_driver() {
    let desktop = Desktop::start();
    let stack = SimStack::start().await.unwrap();
    let one = OsStr::new("1");
    let app = desktop.app_with(&stack, &[("STATUS_TRACKER_START_HIDDEN", one)]);
    let items = desktop.items();
    wait_for("the tray icon to register", Duration::from_secs(30), || {
        tray_item(&items).is_some()
    });
    std::thread::sleep(Duration::from_secs(2));
    let loaded = gl_mappings(app.0.id());
    assert!(
        loaded.is_empty(),
        "tray only, the app draws without OpenGL (GDK_GL=disable): no GL driver in memory, found {loaded:?}"
    );
    drop(app);

    // The probe sees a driver when one is loaded: with STATUS_TRACKER_GPU=1
    // GTK probes GLX visuals as it opens the display, which loads Mesa.
    if dri_driver_installed() {
        let app = desktop.app_with(
            &stack,
            &[
                ("STATUS_TRACKER_START_HIDDEN", one),
                ("STATUS_TRACKER_GPU", one),
            ],
        );
        let pid = app.0.id();
        wait_for(
            "GTK to load the GL driver with STATUS_TRACKER_GPU=1",
            Duration::from_secs(30),
            || !gl_mappings(pid).is_empty(),
        );
        eprintln!("with STATUS_TRACKER_GPU=1: {:?}", gl_mappings(pid));
    }
    stack.shutdown().await;
}

#[test]
#[ignore = "needs a D-Bus session: tools/desktop-test.sh"]
fn a_credential_round_trips_through_a_real_secret_service() {
    use status_tracker_lib::secrets::{self, Secret};
    let _daemon = keyring::SecretService::start();

    let service = format!("test-{}", std::process::id());
    let value = Secret::new("sonarr-key-0123456789");
    keyring::store(&service, value.expose());
    let back = secrets::keyring_get(&service).unwrap().expect("read back");
    assert_eq!(back.expose(), "sonarr-key-0123456789");
    secrets::keyring_delete(&service).unwrap();
    assert!(secrets::keyring_get(&service).unwrap().is_none(), "deleted");
    assert!(
        secrets::keyring_delete(&service).is_ok(),
        "deleting twice is fine"
    );
}

/// Each Radarr/Sonarr instance of the array form reads its own keyring
/// entry (`radarr.4k`, not `radarr`), as the Settings window stores it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a D-Bus session: tools/desktop-test.sh"]
async fn each_instance_reads_its_own_credential_from_the_real_keyring() {
    use status_tracker_lib::sim::SIM_SONARR_4K_API_KEY;
    use status_tracker_lib::sim::{sim_env_4k, SIM_RADARR_4K_API_KEY, SIM_RADARR_API_KEY};
    let _daemon = keyring::SecretService::start();
    let stack = SimStack::start_4k().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, config_toml(stack.urls())).unwrap();
    // The 4K instances' keys are in the keyring only.
    const FROM_KEYRING: [&str; 2] = [
        "STATUS_TRACKER_RADARR_4K_API_KEY",
        "STATUS_TRACKER_SONARR_4K_API_KEY",
    ];
    let check = |config: &Path| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_status-tracker"));
        cmd.arg("--config").arg(config).args(["check", "--json"]);
        for (k, v) in sim_env_4k() {
            if FROM_KEYRING.contains(&k) {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        let out = cmd.output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("check --json: {e}: {out:?}"));
        let ok = |name: &str| {
            v.as_array()
                .or(v["services"].as_array())
                .into_iter()
                .flatten()
                .find(|s| s["name"] == name)
                .unwrap_or_else(|| panic!("{name} in {v}"))["ok"]
                == true
        };
        (ok("radarr.hd"), ok("radarr.4k"), ok("sonarr.4k"))
    };
    keyring::store("radarr.4k", SIM_RADARR_4K_API_KEY);
    keyring::store("sonarr.4k", SIM_SONARR_4K_API_KEY);
    // A stray single-table entry must not stand in for an instance's.
    keyring::store("radarr", SIM_RADARR_API_KEY);
    let c = config.clone();
    assert_eq!(
        tokio::task::spawn_blocking(move || check(&c))
            .await
            .unwrap(),
        (true, true, true),
        "each instance found its key under radarr.<name> / sonarr.<name>"
    );
    // The 4K entry holds the HD key: only radarr.4k fails.
    keyring::store("radarr.4k", SIM_RADARR_API_KEY);
    let c = config.clone();
    assert_eq!(
        tokio::task::spawn_blocking(move || check(&c))
            .await
            .unwrap(),
        (true, false, true)
    );
    for account in ["radarr.4k", "sonarr.4k", "radarr"] {
        status_tracker_lib::secrets::keyring_delete(account).unwrap();
    }
    stack.shutdown().await;
}

/// A credential the keyring crate 3.x stored (before keyring-core): its
/// Secret Service item carries `target` and `application` besides `service`
/// and `username`. Users upgrading keep it: it is read, replaced in place
/// (not duplicated) and deleted.
#[test]
#[ignore = "needs a D-Bus session: tools/desktop-test.sh"]
fn a_credential_stored_by_the_keyring_crate_3_is_still_found() {
    use dbus_secret_service::{EncryptionType, SecretService};
    use status_tracker_lib::secrets::{self, Secret, KEYRING_SERVICE};
    use std::collections::HashMap;
    let _daemon = keyring::SecretService::start();
    let service = format!("old-{}", std::process::id());
    // The login keyring exists once a first credential is stored.
    keyring::store(&format!("warm-{service}"), "x");
    secrets::keyring_delete(&format!("warm-{service}")).unwrap();

    let svc = service.clone();
    keyring::within_limit("writing as keyring 3 did", move || {
        let ss = SecretService::connect(EncryptionType::Dh).unwrap();
        let collection = ss.get_default_collection().unwrap();
        let attributes = HashMap::from([
            ("service", KEYRING_SERVICE),
            ("username", svc.as_str()),
            ("target", "default"),
            ("application", "rust-keyring"),
        ]);
        let label = format!("{svc}@{KEYRING_SERVICE}:default (keyring v3.6.3)");
        collection
            .create_item(&label, attributes, b"old-key-0123", true, "text/plain")
            .unwrap();
    });
    let svc = service.clone();
    let back = keyring::within_limit("keyring_get", move || secrets::keyring_get(&svc));
    assert_eq!(back.unwrap().expect("found").expose(), "old-key-0123");

    let svc = service.clone();
    keyring::within_limit("keyring_set", move || {
        secrets::keyring_set(&svc, &Secret::new("new-key-4567"))
    })
    .unwrap();
    let svc = service.clone();
    let items = keyring::within_limit("search", move || {
        let ss = SecretService::connect(EncryptionType::Dh).unwrap();
        let found = ss
            .search_items(HashMap::from([
                ("service", KEYRING_SERVICE),
                ("username", svc.as_str()),
            ]))
            .unwrap();
        found
            .unlocked
            .iter()
            .map(|i| String::from_utf8(i.get_secret().unwrap()).unwrap())
            .collect::<Vec<_>>()
    });
    assert_eq!(items, ["new-key-4567"], "replaced in place, not duplicated");
    let svc = service.clone();
    keyring::within_limit("keyring_delete", move || secrets::keyring_delete(&svc)).unwrap();
    let svc = service.clone();
    let gone = keyring::within_limit("keyring_get", move || secrets::keyring_get(&svc));
    assert!(gone.unwrap().is_none(), "deleted");
}

/// No Notify call on the bus repeats another: one per transition at most.
fn assert_no_notification_twice(log: &Path, round: usize) -> usize {
    let summaries = notify_summaries(log);
    let mut seen = std::collections::HashSet::new();
    for s in &summaries {
        assert!(
            seen.insert(s),
            "round {round}: the notification {s:?} was shown twice: {summaries:?}"
        );
    }
    summaries.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb and a D-Bus session: tools/desktop-test.sh"]
async fn kill_9_of_the_desktop_app_never_corrupts_loses_or_notifies_twice() {
    let desktop = Desktop::start();
    let stack = SimStack::start().await.unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let player = tokio::spawn(crash::story(
        stack.world(),
        stop.clone(),
        Duration::from_millis(300),
        7000,
    ));
    let hidden: [(&str, &OsStr); 1] = [("STATUS_TRACKER_START_HIDDEN", OsStr::new("1"))];
    let loops = crash::kill_loops(8);
    let mut last = 0;
    for round in 0..loops {
        let mut app = desktop.app_with(&stack, &hidden);
        // While it starts, during its first cycle, or in a later one.
        tokio::time::sleep(Duration::from_millis(fastrand::u64(300..4000))).await;
        if let Some(status) = app.0.try_wait().unwrap() {
            panic!(
                "round {round}: the app ended by itself ({status}): {}",
                desktop.app_log()
            );
        }
        app.0.kill().expect("SIGKILL"); // std sends SIGKILL on Unix
        app.0.wait().unwrap();
        let checked = crash::check_store(&desktop.data(), round);
        assert!(
            checked.changes >= last,
            "round {round}: no phase change disappears"
        );
        last = checked.changes;
        assert_no_notification_twice(&desktop.notify_log(), round);
    }
    stop.store(true, Ordering::Relaxed);
    player.await.unwrap();
    // A clean run after all those crashes: it starts (no stale lock), shows
    // what was recorded but never shown, and still nothing twice.
    let mut app = desktop.app_with(&stack, &hidden);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        app.0.try_wait().unwrap().is_none(),
        "the app runs after {loops} crashes: {}",
        desktop.app_log()
    );
    app.0.kill().unwrap();
    app.0.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let checked = crash::check_store(&desktop.data(), loops);
    let shown = assert_no_notification_twice(&desktop.notify_log(), loops);
    assert!(
        checked.changes > 10 && checked.requests > 3,
        "the crashes happened while phases changed: {} changes over {} requests",
        checked.changes,
        checked.requests
    );
    assert!(
        shown > 0 && shown as i64 <= checked.notifications,
        "notifications were shown ({shown}), never more than were recorded ({})",
        checked.notifications
    );
    eprintln!(
        "{loops} kill -9 rounds of the desktop app: {} phase changes over {} requests checked, \
         {} notifications recorded, {shown} shown, none twice",
        checked.changes, checked.requests, checked.notifications
    );
    stack.shutdown().await;
}

/// Every file under `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn assert_no_secret(what: &str, text: &str) {
    for (var, secret) in sim_env() {
        assert!(
            !text.contains(secret),
            "the secret of {var} leaked into {what}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb and a D-Bus session: tools/desktop-test.sh"]
async fn no_secret_in_the_trace_log_or_the_apps_output() {
    let desktop = Desktop::start();
    let stack = SimStack::start().await.unwrap();
    let state = desktop.dir.path().join("state");
    let env: [(&str, &OsStr); 2] = [
        ("STATUS_TRACKER_LOG", OsStr::new("trace")),
        ("XDG_STATE_HOME", state.as_os_str()),
    ];
    let stop = Arc::new(AtomicBool::new(false));
    let player = tokio::spawn(crash::story(
        stack.world(),
        stop.clone(),
        Duration::from_millis(300),
        7000,
    ));
    // A full run with the main window open, every credential set (sim_env),
    // then every service refusing the credentials, failing and coming back.
    let mut app = desktop.app_with(&stack, &env);
    tokio::time::sleep(Duration::from_secs(6)).await;
    let w = stack.world();
    for mode in [FailureMode::Unauthorized, FailureMode::Status500] {
        for svc in Service::ALL {
            w.set_mode(svc, mode);
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    for svc in Service::ALL {
        w.set_mode(svc, FailureMode::Up);
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    stop.store(true, Ordering::Relaxed);
    player.await.unwrap();
    assert!(
        app.0.try_wait().unwrap().is_none(),
        "the app ran throughout: {}",
        desktop.app_log()
    );
    app.0.kill().unwrap();
    app.0.wait().unwrap();

    let logs = files_under(&state.join("status-tracker"));
    let text: String = logs
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    // The search would see a secret: the log is at its most verbose and
    // carries cycles, phase changes and the services' error messages.
    for (want, what) in [
        ("DEBUG", "debug records"),
        ("cycle:", "one line per cycle"),
        ("PhaseChanged", "the phase changes"),
        ("is down", "the services' errors"),
        ("is back", "the services' recoveries"),
    ] {
        assert!(
            text.contains(want),
            "the trace log has {what} ({want}): {logs:?}\n{text}"
        );
    }
    assert_no_secret("the log files", &text);
    let stderr = desktop.app_log();
    assert!(
        stderr.contains("is down"),
        "warnings reach stderr too: {stderr}"
    );
    assert_no_secret("the app's stderr", &stderr);
    assert_no_secret(
        "the notifications",
        &std::fs::read_to_string(desktop.notify_log()).unwrap(),
    );
    let lines = text.lines().count();
    eprintln!(
        "{} log file(s), {lines} lines at trace, {} bytes of stderr: no secret",
        logs.len(),
        stderr.len()
    );
    stack.shutdown().await;
}

#[test]
#[ignore = "needs a D-Bus session: tools/desktop-test.sh"]
fn a_crashing_start_prints_no_secret() {
    // GTK cannot open a display that does not exist: the app fails at start
    // (a panic inside the toolkit, with a full backtrace asked for). Its
    // output, with every credential in its environment, carries none.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[jellyseerr]\nurl = \"http://127.0.0.1:9\"\n\n[radarr]\nurl = \"http://127.0.0.1:9\"\n",
    )
    .unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_status-tracker"));
    cmd.env("STATUS_TRACKER_CONFIG", &config)
        .env("STATUS_TRACKER_DATA_DIR", dir.path().join("data"))
        .env("XDG_STATE_HOME", dir.path().join("state"))
        .env("STATUS_TRACKER_LOG", "trace")
        .env("DISPLAY", ":4242")
        .env("RUST_BACKTRACE", "full");
    for (k, v) in sim_env() {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("panicked") && stderr.contains("backtrace"),
        "the start crashes, with a panic message and a backtrace: {} {stderr}",
        out.status
    );
    assert_no_secret("the crash output", &stderr);
    assert_no_secret("stdout", &String::from_utf8_lossy(&out.stdout));
    let logged: String = files_under(&dir.path().join("state"))
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .collect();
    assert_no_secret("the log", &logged);
    eprintln!(
        "crash output ({}, {} bytes): no secret",
        out.status,
        stderr.len()
    );
}

/// The pid and command name of `pid` and of every process below it.
fn process_tree(pid: u32) -> Vec<(u32, String)> {
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
    let mut out = vec![(pid, comm.trim().to_string())];
    let tasks = std::fs::read_dir(format!("/proc/{pid}/task"))
        .into_iter()
        .flatten();
    for task in tasks.flatten() {
        let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
        for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
            out.extend(process_tree(child));
        }
    }
    out
}

/// Proportional set size, in MB, of `pid` and every process below it.
fn tree_pss_mb(pid: u32) -> f64 {
    let kb: u64 = process_tree(pid)
        .iter()
        .filter_map(|(p, _)| std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok())
        .filter_map(|r| {
            r.lines()
                .find_map(|l| l.strip_prefix("Pss:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .sum();
    kb as f64 / 1024.0
}

fn webkit_processes(pid: u32) -> Vec<String> {
    process_tree(pid)
        .into_iter()
        .map(|(_, comm)| comm)
        .filter(|c| c.starts_with("WebKit"))
        .collect()
}

/// The app's visible top-level windows ("<X id> <title>"), closed first when `close`.
fn app_windows(pid: u32, close: bool) -> Vec<String> {
    let mut cmd = Command::new(PY);
    cmd.arg(support("close_window.py")).arg(pid.to_string());
    if !close {
        cmd.arg("list");
    }
    let out = cmd.output().expect("python3 with Xlib (python3-xlib)");
    assert!(out.status.success(), "close_window.py: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// What each open file descriptor of `pid` points at ("3 -> socket:[123]").
fn open_files(pid: u32) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|fd| {
            let target = std::fs::read_link(fd.path()).unwrap_or_default();
            format!(
                "{} -> {}",
                fd.file_name().to_string_lossy(),
                target.display()
            )
        })
        .collect();
    out.sort();
    out
}

/// The icon's tooltip as a panel reads it: (title, text).
fn tray_tooltip(item: &str) -> Option<(String, String)> {
    let out = tray_menu_py(item, &["tooltip"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let (title, body) = text.trim_end_matches('\n').split_once('\t')?;
    Some((title.to_string(), body.to_string()))
}

/// Left-clicks the icon, as a panel does (StatusNotifierItem.Activate).
fn activate(item: &str) {
    let status = tray_menu_py(item, &["activate"]).status().unwrap();
    assert!(status.success(), "activated the tray icon");
}

fn click(item: &str, label: &str) {
    let status = tray_menu_py(item, &["click", label]).status().unwrap();
    assert!(status.success(), "clicked {label}");
}

/// Clicks Quit in the tray menu: the app must end within 20 s, with code 0.
fn quit_from_tray(app: &mut Proc, item: &str) {
    click(item, "Quit");
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb and a D-Bus session: tools/desktop-test.sh"]
async fn closing_the_window_restarts_in_place_and_gives_the_memory_back() {
    let desktop = Desktop::start();
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.add_movie(693134, "Dune: Part Two", 2024, false);
    let dune = w.request_movie(693134, "alice").unwrap();
    w.approve(dune).unwrap();
    let state_home = desktop.dir.path().join("state");
    let mut app = desktop.app_with(&stack, &[("XDG_STATE_HOME", state_home.as_os_str())]);
    let pid = app.0.id();
    let items = desktop.items();
    let registrations = || {
        std::fs::read_to_string(&items)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };

    // The main window opens at launch, with WebKit's processes.
    wait_for("the main window", Duration::from_secs(60), || {
        !app_windows(pid, false).is_empty() && !webkit_processes(pid).is_empty()
    });
    wait_for("the tray icon", Duration::from_secs(30), || {
        registrations().len() == 1
    });
    let item = registrations()[0].clone();
    wait_for("the tray menu", Duration::from_secs(10), || {
        tray_menu(&item).len() >= 6
    });
    click(&item, "Pause polling");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let open_mb = tree_pss_mb(pid);

    // Closed like a title-bar close button: the app restarts in place.
    let closed = app_windows(pid, true);
    assert_eq!(closed.len(), 1, "one window closed: {closed:?}");
    let closed_at = Instant::now();
    wait_for(
        "the app to register its tray icon again",
        Duration::from_secs(30),
        || registrations().len() == 2,
    );
    let restart_secs = closed_at.elapsed().as_secs_f64();
    assert!(
        app.0.try_wait().unwrap().is_none(),
        "the app is still running after closing its window"
    );
    let log_dir = state_home.join("status-tracker/logs");
    let log = std::fs::read_dir(&log_dir)
        .unwrap()
        .flatten()
        .map(|f| std::fs::read_to_string(f.path()).unwrap_or_default())
        .collect::<String>();
    assert!(
        log.contains("restarting in place to give its memory back"),
        "the log says why the tray icon came back: {log}"
    );
    wait_for("WebKit's processes to end", Duration::from_secs(10), || {
        webkit_processes(pid).is_empty()
    });
    assert!(
        app_windows(pid, false).is_empty(),
        "no window after closing it"
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let closed_mb = tree_pss_mb(pid);
    let fds_after_first = open_files(pid);
    eprintln!(
        "PSS of the app and its processes: {open_mb:.1} MB with the window open, {closed_mb:.1} MB \
         after closing it (restarted in place {restart_secs:.1} s after the close, same PID {pid})"
    );
    assert!(
        closed_mb < open_mb / 2.0,
        "closing the window gives its memory back: {open_mb:.1} MB open, {closed_mb:.1} MB closed"
    );

    // The new image kept what the old one knew: paused, so it says "Resume".
    let item = registrations()[1].clone();
    wait_for("the new tray menu", Duration::from_secs(10), || {
        tray_menu(&item).len() >= 6
    });
    let labels: Vec<String> = tray_menu(&item).into_iter().map(|(_, l)| l).collect();
    assert!(
        labels.iter().any(|l| l == "Resume polling"),
        "polling stays paused across the restart: {labels:?}"
    );
    click(&item, "Resume polling");

    // And it still polls and notifies, once.
    w.grab_movie(693134, HASH_OK, "Dune.Part.Two.2024.2160p", 8_000_000_000)
        .unwrap();
    w.complete_download(HASH_OK).unwrap();
    w.import(HASH_OK).unwrap();
    w.jellyfin_add_movie(693134).unwrap();
    let notify_log = desktop.notify_log();
    wait_for(
        "the notification after the restart",
        Duration::from_secs(30),
        || {
            notify_summaries(&notify_log)
                .iter()
                .any(|s| s.contains("is ready to watch"))
        },
    );

    // A second launch still finds it (the instance lock and socket were
    // handed to the new image) and the window opens again.
    let second = Command::new(env!("CARGO_BIN_EXE_status-tracker"))
        .env(
            "STATUS_TRACKER_CONFIG",
            desktop.dir.path().join("config.toml"),
        )
        .env("STATUS_TRACKER_DATA_DIR", desktop.data())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(second.success(), "a second launch wakes the running app");
    wait_for("the window to open again", Duration::from_secs(60), || {
        !app_windows(pid, false).is_empty() && !webkit_processes(pid).is_empty()
    });

    // Closing it again restarts again, without collecting open files.
    tokio::time::sleep(Duration::from_secs(2)).await;
    app_windows(pid, true);
    wait_for("the second restart", Duration::from_secs(30), || {
        registrations().len() == 3 && webkit_processes(pid).is_empty()
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    let fds_after_second = open_files(pid);
    assert!(
        fds_after_second.len() <= fds_after_first.len() + 2,
        "no file descriptor survives a restart: {} then {} open:\n{fds_after_first:#?}\n{fds_after_second:#?}",
        fds_after_first.len(),
        fds_after_second.len()
    );
    let ready = notify_summaries(&notify_log)
        .into_iter()
        .filter(|s| s.contains("is ready to watch"))
        .count();
    assert_eq!(ready, 1, "two restarts later, still one notification");

    // Quit still ends it, with code 0.
    let item = registrations()[2].clone();
    wait_for("the third tray menu", Duration::from_secs(10), || {
        tray_menu(&item).len() >= 6
    });
    quit_from_tray(&mut app, &item);
    stack.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs Xvfb and a D-Bus session: tools/desktop-test.sh"]
async fn the_app_takes_hidden_config_and_data_dir_from_its_command_line() {
    let desktop = Desktop::start();
    let stack = SimStack::start().await.unwrap();
    let w = stack.world();
    w.add_movie(693134, "Dune: Part Two", 2024, false);
    w.request_movie(693134, "alice").unwrap();
    let dir = desktop.dir.path();
    let config = dir.join("my config.toml");
    std::fs::write(&config, config_toml(stack.urls())).unwrap();
    let data = dir.join("my data");
    // The defaults live elsewhere: nothing may be created there.
    let (xdg_data, xdg_config) = (dir.join("xdg-data"), dir.join("xdg-config"));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_status-tracker"));
    cmd.arg("--hidden")
        .arg("--config")
        .arg(&config)
        .arg("--data-dir")
        .arg(&data)
        .env_remove("STATUS_TRACKER_CONFIG")
        .env_remove("STATUS_TRACKER_DATA_DIR")
        .env("XDG_DATA_HOME", &xdg_data)
        .env("XDG_CONFIG_HOME", &xdg_config)
        .stdout(Stdio::null())
        .stderr(File::create(dir.join("app.log")).unwrap());
    for (k, v) in sim_env() {
        cmd.env(k, v);
    }
    let app = Proc(cmd.spawn().unwrap());
    let pid = app.0.id();
    let items = desktop.items();
    wait_for("the tray icon to register", Duration::from_secs(30), || {
        tray_item(&items).is_some()
    });
    wait_for(
        "the poller's database in the --data-dir",
        Duration::from_secs(30),
        || data.join("status-tracker.sqlite3").exists(),
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        app_windows(pid, false).is_empty(),
        "--hidden: tray only, no window: {:?}",
        app_windows(pid, false)
    );
    assert!(
        !xdg_data.join("status-tracker").exists(),
        "the default data dir is not created when --data-dir is given"
    );
    let listed = Command::new(env!("CARGO_BIN_EXE_status-tracker"))
        .arg("--data-dir")
        .arg(&data)
        .args(["list", "--json"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&listed.stdout).contains("Dune: Part Two"),
        "the app polled the services of the --config file into the --data-dir: {}",
        desktop.app_log()
    );
    drop(app);
    stack.shutdown().await;
}
