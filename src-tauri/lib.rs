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
//! - [`cli`]: the headless subcommands.
//! - `app`: the desktop shell; the only module that knows about Tauri.

pub mod cli;
pub mod config;
pub mod logging;
pub mod memory;
pub mod poller;
pub mod secrets;
pub mod services;
pub mod sim;
pub mod store;
pub mod tracker;

mod app;

/// Entry point shared by the binary: headless subcommands first, the GUI otherwise.
/// Returns the process exit code.
pub fn run() -> i32 {
    memory::tune();
    cli::main()
}
