//! Status Tracker follows every media request from Jellyseerr to Jellyfin.
//!
//! The crate is layered so that each part can be tested alone:
//!
//! - [`tracker`]: the pure domain. Phases, correlation, and
//!   `reconcile(previous, snapshot, now) -> changes`. No I/O, no clock reads.
//! - [`services`]: one HTTP client per service, with typed models and errors.
//! - [`poller`]: the async loop that fetches a [`tracker::Snapshot`] from all
//!   services, reconciles, persists and publishes changes.
//! - [`store`]: SQLite persistence (migrations, narrow read/write functions).
//! - [`sim`]: a simulated media stack over real HTTP, shared by demo mode,
//!   tests and benchmarks.
//! - [`config`] and [`secrets`]: typed settings and keyring access.
//! - [`contract`]: what leaves the process (the CLI's JSON, the windows'
//!   payloads), used by both `cli` and `app`.
//! - [`cli`]: the headless subcommands.
//! - `app`: the desktop shell; the only module that knows about Tauri.
//!
//! `run` dispatches: the CLI parses the command line and runs headless
//! commands; the desktop app is started here, so `cli` and `app` never
//! import each other.

pub mod act;
pub mod cli;
pub mod config;
pub mod contract;
pub mod logging;
pub mod memory;
pub mod poller;
pub mod secrets;
pub mod service_id;
pub mod services;
pub mod sim;
pub mod store;
#[doc(hidden)]
pub mod testkit;
pub mod tracker;

pub use service_id::{ArrApp, ServiceId};

mod app;

/// Entry point shared by the binary: headless subcommands first, the GUI otherwise.
/// Returns the process exit code.
pub fn run() -> i32 {
    memory::tune();
    match cli::main() {
        cli::Launch::Exit(code) => code,
        cli::Launch::Gui {
            config,
            data_dir,
            hidden,
        } => app::run_gui(config, data_dir, hidden),
        cli::Launch::GuiDemo { hidden } => app::run_demo(hidden),
    }
}
