//! A small file logger for the desktop app: one line per record in
//! `<OS state dir>/status-tracker/logs/status-tracker.log` (on Linux
//! `~/.local/state/status-tracker/logs`), at the level set in the config
//! (`[app] log_level`) or `STATUS_TRACKER_LOG`. Secrets never reach it: only
//! [`crate::secrets::Secret`] holds them and it prints `<redacted>`.
//!
//! The file is rotated by size: past [`MAX_LOG_BYTES`] it becomes
//! `status-tracker.1.log` (the older ones `.2`, `.3`), and at most
//! [`KEEP_OLD`] old files are kept, so the logs never hold more than ~20 MB.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use log::{Level, LevelFilter, Log, Metadata, Record};

/// The log file's size at which it is rotated.
pub const MAX_LOG_BYTES: u64 = 5 * 1024 * 1024;
/// Rotated files kept (`status-tracker.1.log` is the newest of them).
pub const KEEP_OLD: usize = 3;
const LOG_NAME: &str = "status-tracker";

/// The current log file and its size, rotated past a size.
pub struct Rotating {
    dir: PathBuf,
    max_bytes: u64,
    keep: usize,
    file: File,
    written: u64,
}

impl Rotating {
    /// Opens (appending) `<dir>/status-tracker.log`.
    pub fn open(dir: &Path, max_bytes: u64, keep: usize) -> std::io::Result<Rotating> {
        let path = current(dir);
        let file = OpenOptions::new().create(true).append(true).open(&path)?;
        let written = file.metadata()?.len();
        Ok(Rotating {
            dir: dir.to_path_buf(),
            max_bytes,
            keep,
            file,
            written,
        })
    }

    /// Writes one line, rotating first when it would take the file past
    /// its size (a file never starts empty-handed: one line always fits).
    pub fn write_line(&mut self, line: &str) -> std::io::Result<()> {
        if self.written > 0 && self.written + line.len() as u64 > self.max_bytes {
            self.rotate()?;
        }
        self.file.write_all(line.as_bytes())?;
        self.written += line.len() as u64;
        Ok(())
    }

    /// `.log` → `.1.log` → … → `.<keep>.log`; the oldest is removed.
    fn rotate(&mut self) -> std::io::Result<()> {
        self.file.flush()?;
        let _ = std::fs::remove_file(old(&self.dir, self.keep));
        for n in (1..self.keep).rev() {
            let from = old(&self.dir, n);
            if from.exists() {
                std::fs::rename(&from, old(&self.dir, n + 1))?;
            }
        }
        let path = current(&self.dir);
        if self.keep > 0 {
            std::fs::rename(&path, old(&self.dir, 1))?;
        } else {
            std::fs::remove_file(&path)?;
        }
        self.file = OpenOptions::new().create(true).append(true).open(&path)?;
        self.written = 0;
        Ok(())
    }
}

fn current(dir: &Path) -> PathBuf {
    dir.join(format!("{LOG_NAME}.log"))
}

fn old(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("{LOG_NAME}.{n}.log"))
}

struct FileLogger {
    file: Mutex<Rotating>,
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
            let _ = f.write_line(&line);
        }
        if r.level() <= Level::Warn {
            eprint!("status-tracker: {line}");
        }
    }

    fn flush(&self) {
        if let Ok(mut f) = self.file.lock() {
            let _ = f.file.flush();
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
    let file = Rotating::open(&dir, MAX_LOG_BYTES, KEEP_OLD).ok()?;
    log::set_boxed_logger(Box::new(FileLogger {
        file: Mutex::new(file),
        level,
    }))
    .ok()?;
    log::set_max_level(level);
    Some(current(&dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sizes(dir: &Path) -> Vec<(String, u64)> {
        let mut v: Vec<(String, u64)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    e.metadata().unwrap().len(),
                )
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn the_log_is_rotated_by_size_and_keeps_a_few_old_files() {
        let dir = tempfile::tempdir().unwrap();
        let line = "2026-12-07T04:00:00.000Z INFO  a line of forty bytes or so\n";
        let mut log = Rotating::open(dir.path(), 1_000, 3).unwrap();
        for _ in 0..500 {
            log.write_line(line).unwrap();
        }
        let files = sizes(dir.path());
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "status-tracker.1.log",
                "status-tracker.2.log",
                "status-tracker.3.log",
                "status-tracker.log"
            ],
            "the current file and three old ones, no more"
        );
        assert!(
            files.iter().all(|(_, len)| *len <= 1_000),
            "none past the size: {files:?}"
        );
        // A restart appends to the current file and goes on rotating.
        let before = sizes(dir.path());
        drop(log);
        let mut log = Rotating::open(dir.path(), 1_000, 3).unwrap();
        log.write_line(line).unwrap();
        let after = sizes(dir.path());
        assert_eq!(after.len(), 4);
        assert!(after[3].1 > before[3].1 || after[3].1 == line.len() as u64);
    }
}
