//! A small file logger for the desktop app: one line per record in
//! `<OS state dir>/status-tracker/logs/status-tracker.log` (on Linux
//! `~/.local/state/status-tracker/logs`), at the level set in the config
//! (`[app] log_level`) or `STATUS_TRACKER_LOG`. Secrets never reach it: only
//! [`crate::secrets::Secret`] holds them and it prints `<redacted>`.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use log::{Level, LevelFilter, Log, Metadata, Record};

struct FileLogger {
    file: Mutex<File>,
    level: LevelFilter,
}

impl Log for FileLogger {
    fn enabled(&self, m: &Metadata<'_>) -> bool {
        m.level() <= self.level && m.target().starts_with("status_tracker")
    }

    fn log(&self, r: &Record<'_>) {
        if !self.enabled(r.metadata()) {
            return;
        }
        let line = format!(
            "{} {:<5} {}\n",
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            r.level(),
            r.args()
        );
        if let Ok(mut f) = self.file.lock() {
            let _ = f.write_all(line.as_bytes());
        }
        if r.level() <= Level::Warn {
            eprint!("status-tracker: {line}");
        }
    }

    fn flush(&self) {
        if let Ok(mut f) = self.file.lock() {
            let _ = f.flush();
        }
    }
}

/// The log directory.
pub fn log_dir() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("status-tracker")
        .join("logs")
}

/// Parses a level name; unknown names give `info`.
pub fn level(name: Option<&str>) -> LevelFilter {
    match name.map(str::to_ascii_lowercase).as_deref() {
        Some("error") => LevelFilter::Error,
        Some("warn") => LevelFilter::Warn,
        Some("debug") => LevelFilter::Debug,
        Some("trace") => LevelFilter::Trace,
        _ => LevelFilter::Info,
    }
}

/// Starts logging to the log file (the environment's level wins over the config's).
pub fn init(config_level: Option<&str>) -> Option<PathBuf> {
    let env = std::env::var("STATUS_TRACKER_LOG").ok();
    let level = level(env.as_deref().or(config_level));
    let dir = log_dir();
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("status-tracker.log");
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    log::set_boxed_logger(Box::new(FileLogger {
        file: Mutex::new(file),
        level,
    }))
    .ok()?;
    log::set_max_level(level);
    Some(path)
}
