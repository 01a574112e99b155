//! The built-in demo, shared by `status-tracker demo` (GUI) and
//! `status-tracker demo --headless`: the simulated stack telling its story,
//! a fresh data dir, and a config that points at the stack.

use std::path::PathBuf;

use super::{config_toml, demo_timeline, demo_world, run_timeline, sim_env, sim_env_4k, SimStack};

/// A compressed story wants a brisk cadence (seconds, not minutes).
const DEMO_POLL: &str =
    "[poll]\ndownloading_secs = 2\nactive_secs = 3\njellyseerr_secs = 3\nidle_secs = 5\n\n";

/// A running demo: the stack, and where its config and data live.
pub struct Demo {
    pub stack: SimStack,
    /// A fresh directory, so nothing lands in the user's real history.
    pub dir: PathBuf,
    /// `dir/config.toml`, pointing at the stack.
    pub config_path: PathBuf,
}

impl Demo {
    /// Starts the stack with the demo world, writes the config into a fresh
    /// directory, puts the simulated services' secrets in the environment
    /// (credentials never go into a config file, not even the demo's) and
    /// starts the story's timeline on the current Tokio runtime.
    pub async fn start() -> Result<Demo, String> {
        let stack = SimStack::start()
            .await
            .map_err(|e| format!("cannot start the simulated stack: {e}"))?;
        Self::run(stack, &sim_env()).await
    }

    /// [`Self::start`] with the 4K Radarr and Sonarr
    /// ([`SimStack::start_4k`]): the config has the `[[radarr]]` and
    /// `[[sonarr]]` array form, the environment the instances' keys
    /// ([`sim_env_4k`]), and the demo world adds a 4K request
    /// (`demo_world`).
    pub async fn start_4k() -> Result<Demo, String> {
        let stack = SimStack::start_4k()
            .await
            .map_err(|e| format!("cannot start the simulated stack: {e}"))?;
        Self::run(stack, &sim_env_4k()).await
    }

    async fn run(stack: SimStack, env: &[(&str, &str)]) -> Result<Demo, String> {
        let world = stack.world();
        demo_world(world.clone()).await;
        let dir = std::env::temp_dir().join(format!("status-tracker-demo-{}", std::process::id()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create the demo data dir: {e}"))?;
        let config_path = dir.join("config.toml");
        let text = format!("{DEMO_POLL}{}", config_toml(stack.urls()));
        std::fs::write(&config_path, text)
            .map_err(|e| format!("cannot write the demo config: {e}"))?;
        for (k, v) in env {
            std::env::set_var(k, v);
        }
        tokio::spawn(async move {
            if let Err(e) = run_timeline(world, demo_timeline(), 1.0).await {
                eprintln!("status-tracker: the demo timeline stopped: {e}");
            }
        });
        Ok(Demo {
            stack,
            dir,
            config_path,
        })
    }
}
