//! Test support: a simulated media stack plus the real CLI binary, driven the
//! way a user scripts it (`poll --once --json`).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use serde_json::Value;
use status_tracker_lib::sim::{config_toml, sim_env_4k, SimStack, SimWorld};

pub struct Stack {
    pub sim: SimStack,
    pub dir: tempfile::TempDir,
    pub config: PathBuf,
}

impl Stack {
    /// Starts the six simulated services and writes a config file for them.
    pub async fn start() -> Stack {
        let sim = SimStack::start().await.expect("the simulated stack starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("config.toml");
        std::fs::write(&config, config_toml(sim.urls())).expect("config written");
        Stack { sim, dir, config }
    }

    /// The stack with a second Radarr and Sonarr (4K), in the config's
    /// array form (`[[radarr]]` hd and 4k).
    pub async fn start_4k() -> Stack {
        let sim = SimStack::start_4k()
            .await
            .expect("the simulated stack starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("config.toml");
        std::fs::write(&config, config_toml(sim.urls())).expect("config written");
        Stack { sim, dir, config }
    }

    pub fn world(&self) -> SimWorld {
        self.sim.world()
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs the CLI with the sim's secrets in the environment.
    pub async fn cli(&self, args: &[&str]) -> std::process::Output {
        self.cli_in(
            tokio::process::Command::new(env!("CARGO_BIN_EXE_status-tracker")),
            args,
        )
        .await
    }

    /// Runs the CLI with its wall clock set to `when` ("2026-12-07
    /// 10:00:00", UTC) by libfaketime (Debian's `faketime`), its monotonic
    /// clock left alone: the app's clock as after a restart at that time.
    pub async fn cli_at(&self, when: &str, args: &[&str]) -> std::process::Output {
        let mut cmd = tokio::process::Command::new("faketime");
        cmd.arg(when)
            .arg(env!("CARGO_BIN_EXE_status-tracker"))
            .env("TZ", "UTC")
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
        self.cli_in(cmd, args).await
    }

    async fn cli_in(
        &self,
        mut cmd: tokio::process::Command,
        args: &[&str],
    ) -> std::process::Output {
        cmd.arg("--config")
            .arg(&self.config)
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args)
            .env_remove("STATUS_TRACKER_CONFIG")
            .env_remove("STATUS_TRACKER_DATA_DIR")
            .kill_on_drop(true);
        // Every instance's secret (the six, and the array form's per instance).
        for (k, v) in sim_env_4k() {
            cmd.env(k, v);
        }
        cmd.output()
            .await
            .expect("the CLI runs (`cli_at` needs faketime: bash tools/setup.sh)")
    }

    /// One `poll --once --json` cycle; panics unless it exits 0 with JSON.
    pub async fn poll(&self) -> Poll {
        let out = self.cli(&["poll", "--once", "--json"]).await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "poll --once must exit 0 (even with services down): {:?}\nstdout: {stdout}\nstderr: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        Poll(
            serde_json::from_str(stdout.trim())
                .unwrap_or_else(|e| panic!("poll --json printed JSON: {e}: {stdout}")),
        )
    }
}

/// The JSON of one `poll --once --json`.
#[derive(Debug, Clone)]
pub struct Poll(pub Value);

impl Poll {
    /// The request with this Jellyseerr id.
    pub fn request(&self, seerr_id: u64) -> &Value {
        self.0["requests"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|r| r["jellyseerr_request_id"].as_u64() == Some(seerr_id))
            })
            .unwrap_or_else(|| panic!("request {seerr_id} is listed: {}", self.0))
    }

    pub fn phase(&self, seerr_id: u64) -> String {
        self.request(seerr_id)["phase"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn reason(&self, seerr_id: u64) -> String {
        self.request(seerr_id)["reason"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn service(&self, name: &str) -> &Value {
        self.0["services"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["name"] == name))
            .unwrap_or_else(|| panic!("service {name} is listed: {}", self.0))
    }

    pub fn http_requests(&self) -> u64 {
        self.0["cycle"]["http_requests"]
            .as_u64()
            .unwrap_or(u64::MAX)
    }
}

/// Collects the distinct phases a request went through, in order.
#[derive(Debug, Default)]
pub struct Phases(pub Vec<String>);

impl Phases {
    pub fn see(&mut self, poll: &Poll, seerr_id: u64) -> String {
        let p = poll.phase(seerr_id);
        if self.0.last() != Some(&p) {
            self.0.push(p.clone());
        }
        p
    }
}
