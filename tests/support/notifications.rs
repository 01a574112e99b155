//! The desktop tests' notification server (`notification_server.py`): it
//! owns `org.freedesktop.Notifications` on the test's D-Bus session as dunst
//! or GNOME Shell does, advertises the "actions" capability (or not), logs
//! every notification with its actions, and clicks an action the way a
//! server does when its user clicks a button: the `ActionInvoked` signal
//! from the server's own connection, then `NotificationClosed`.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/notification_server.py")
}

/// A notification as the server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub id: u32,
    pub app_name: String,
    pub summary: String,
    pub body: String,
    /// `(key, label)` pairs, in the order the client sent them.
    pub actions: Vec<(String, String)>,
}

impl Shown {
    /// The `(key, label)` pairs as `&str`s, for comparing with a literal.
    pub fn action_pairs(&self) -> Vec<(&str, &str)> {
        self.actions
            .iter()
            .map(|(k, l)| (k.as_str(), l.as_str()))
            .collect()
    }
}

/// The running server; stopped when dropped.
pub struct Notifications {
    child: Child,
    log: PathBuf,
}

impl Notifications {
    /// Starts the server (logging to `dir/notifications.jsonl`) and waits
    /// until it owns the name. `actions`: whether it advertises them.
    pub fn start(dir: &Path, actions: bool) -> Notifications {
        let log = dir.join("notifications.jsonl");
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.arg(script()).arg("serve").arg(&log);
        if !actions {
            cmd.arg("--no-actions");
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 with dbus and gi (python3-dbus, python3-gi)");
        let mut line = String::new();
        let _ = BufReader::new(child.stdout.take().unwrap()).read_line(&mut line);
        if line.trim() != "ready" {
            let _ = child.kill();
            let _ = child.wait();
            let mut err = String::new();
            let _ = child.stderr.take().unwrap().read_to_string(&mut err);
            panic!("the test notification server did not start: {err}");
        }
        Notifications { child, log }
    }

    /// Every event logged so far (`notify`, `invoked`, `closed`).
    pub fn events(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Every notification received so far, oldest first.
    pub fn shown(&self) -> Vec<Shown> {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        self.events()
            .iter()
            .filter(|e| e["event"] == "notify")
            .map(|e| Shown {
                id: e["id"].as_u64().unwrap_or_default() as u32,
                app_name: text(&e["app_name"]),
                summary: text(&e["summary"]),
                body: text(&e["body"]),
                actions: e["actions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| (text(&p[0]), text(&p[1])))
                    .collect(),
            })
            .collect()
    }

    /// Waits for a notification whose summary is `summary`.
    pub fn wait_for(&self, summary: &str, timeout: Duration) -> Shown {
        let start = Instant::now();
        loop {
            if let Some(n) = self.shown().into_iter().find(|n| n.summary == summary) {
                return n;
            }
            let summaries: Vec<String> = self.shown().into_iter().map(|n| n.summary).collect();
            assert!(
                start.elapsed() < timeout,
                "timed out waiting for the notification \"{summary}\"; shown: {summaries:?}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The user clicks the action `key` of notification `id` ("default": the
    /// notification itself). Err with the server's words when that
    /// notification is not shown or offers no such action.
    pub fn invoke(&self, id: u32, key: &str) -> Result<(), String> {
        let out = Command::new("/usr/bin/python3")
            .arg(script())
            .args(["invoke", &id.to_string(), key])
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
        }
    }
}

impl Drop for Notifications {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
