//! A real Secret Service for the desktop tests: gnome-keyring-daemon on the test's
//! D-Bus session, with a keyring directory of its own, unlocked, and owning
//! `org.freedesktop.secrets` before the first call.
//!
//! Both precautions matter on a fresh machine. A call made before our daemon owns
//! the name makes D-Bus start gnome-keyring on its own (its service file), and that
//! daemon finds the login keyring a previous test left locked and asks a password
//! prompter on the X display, which nobody answers: the call hangs for ever. With a
//! directory of its own and an empty password on stdin, our daemon creates and
//! unlocks a fresh login keyring without asking anyone.

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a keyring call may take before the test fails instead of hanging.
pub const CALL_LIMIT: Duration = Duration::from_secs(20);

/// A running gnome-keyring-daemon; stopped when dropped.
pub struct SecretService {
    daemon: Child,
    _dir: tempfile::TempDir,
}

impl SecretService {
    /// Starts the daemon and waits until it, not another one, owns the bus name.
    pub fn start() -> SecretService {
        let dir = tempfile::tempdir().expect("keyring dir");
        let control = dir.path().join("control");
        std::fs::create_dir_all(&control).expect("control dir");
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args([
                "--replace",
                "--foreground",
                "--unlock",
                "--components=secrets",
            ])
            .arg(format!("--control-directory={}", control.display()))
            .env("XDG_DATA_HOME", dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("gnome-keyring-daemon (tools/setup.sh installs it)");
        // The login keyring's password: empty. Closing stdin ends the read.
        let mut stdin = daemon.stdin.take().expect("daemon stdin");
        stdin
            .write_all(b"\n")
            .expect("password to gnome-keyring-daemon");
        drop(stdin);
        let service = SecretService { daemon, _dir: dir };
        service.wait_for_the_bus_name();
        service
    }

    fn wait_for_the_bus_name(&self) {
        let ours = self.daemon.id();
        let deadline = Instant::now() + Duration::from_secs(15);
        let mut seen = None;
        while Instant::now() < deadline {
            seen = name_owner_pid("org.freedesktop.secrets");
            if seen == Some(ours) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!(
            "gnome-keyring-daemon (pid {ours}) never owned org.freedesktop.secrets \
             within 15 s (owner pid: {seen:?})"
        );
    }
}

impl Drop for SecretService {
    fn drop(&mut self) {
        let _ = self.daemon.kill();
        let _ = self.daemon.wait();
    }
}

/// The process id behind a bus name on the session bus, if anyone owns it.
/// Asks the bus itself, which never activates a service to answer.
fn name_owner_pid(name: &str) -> Option<u32> {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--reply-timeout=2000",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
        ])
        .arg(format!("string:{name}"))
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    // The reply's last line: "   uint32 12345".
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .last()?
        .parse()
        .ok()
}

/// Runs a keyring call on its own thread and fails the test if it has not
/// answered within [`CALL_LIMIT`] (a password prompt nobody answers, say).
pub fn within_limit<T: Send + 'static>(what: &str, call: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(call());
    });
    match rx.recv_timeout(CALL_LIMIT) {
        Ok(v) => v,
        Err(_) => panic!("{what}: no answer from the Secret Service within {CALL_LIMIT:?}"),
    }
}

/// Stores a credential, retrying while the fresh daemon finishes creating its
/// login keyring; every attempt is bounded by [`CALL_LIMIT`].
pub fn store(service: &str, value: &str) {
    use status_tracker_lib::secrets::{self, Secret};
    let mut stored = Err(String::new());
    for _ in 0..20 {
        let (service, value) = (service.to_string(), value.to_string());
        stored = within_limit("keyring_set", move || {
            secrets::keyring_set(&service, &Secret::new(value))
        });
        if stored.is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!("{service}'s credential not stored in the Secret Service: {stored:?}");
}
