//! A database the store cannot use is moved aside, never deleted, and a new
//! one is started: the requests' phases come back from the services on the
//! next cycle; their timelines are what is lost, and the old file keeps them
//! for whoever wants to look.
//!
//! Unusable means: the file is not a SQLite database, SQLite finds it
//! damaged (`PRAGMA integrity_check`), or a newer build wrote a schema this
//! one does not know. Anything else (a permission, a full disk, a lock) is
//! an error as before: a transient fault never costs the user their file.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::ErrorCode;

use super::{Store, StoreError, DB_FILE};

/// The sidecar files SQLite keeps next to a database in WAL mode.
const SIDECARS: [&str; 2] = ["-wal", "-shm"];

/// A database moved aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovedAside {
    pub from: PathBuf,
    pub to: PathBuf,
    /// What was wrong with it, as a sentence's end ("is not a SQLite
    /// database").
    pub why: String,
}

impl MovedAside {
    /// What the CLI's stderr and the main window say.
    pub fn message(&self) -> String {
        format!(
            "The database {} {}; it was moved to {} and a new one was started. The requests' \
             timelines are lost; their phases come back from the services on the next cycle.",
            self.from.display(),
            self.why,
            self.to.display()
        )
    }
}

impl Store {
    /// [`Store::open_in`] for a poller: checks the database whole, and moves
    /// an unusable one aside (see the module doc) before starting anew.
    /// The check reads every page: ~55 ms for the 36 MB database of 10,000
    /// requests, once per poller start (a `poll --once` of that library
    /// takes ~0.95 s).
    pub fn open_or_recover(data_dir: &Path) -> Result<(Store, Option<MovedAside>), StoreError> {
        let opened = Store::open_in(data_dir).and_then(|s| s.check_integrity().map(|()| s));
        let error = match opened {
            Ok(store) => return Ok((store, None)),
            Err(e) => e,
        };
        let Some((tag, why)) = unusable(&error) else {
            return Err(error);
        };
        let from = data_dir.join(DB_FILE);
        let to = move_aside(&from, tag, Utc::now())?;
        let store = Store::open_in(data_dir)?;
        Ok((store, Some(MovedAside { from, to, why })))
    }

    /// `PRAGMA integrity_check`, its first finding as the error.
    pub fn check_integrity(&self) -> Result<(), StoreError> {
        let first: String = self
            .conn
            .query_row("PRAGMA integrity_check(1)", [], |r| r.get(0))?;
        if first == "ok" {
            Ok(())
        } else {
            Err(StoreError::Damaged(first))
        }
    }
}

/// The tag for the moved file's name and the reason, when `e` means the
/// database cannot be used at all.
fn unusable(e: &StoreError) -> Option<(&'static str, String)> {
    match e {
        StoreError::TooNew { found, known, .. } => Some((
            "newer",
            format!(
                "was written by a newer Status Tracker (schema {found}, this build knows {known})"
            ),
        )),
        StoreError::Damaged(finding) => Some((
            "corrupt",
            format!("failed SQLite's integrity check ({finding})"),
        )),
        StoreError::Sql(rusqlite::Error::SqliteFailure(f, _)) => match f.code {
            ErrorCode::NotADatabase => Some(("corrupt", "is not a SQLite database".into())),
            ErrorCode::DatabaseCorrupt => Some(("corrupt", "is damaged".into())),
            _ => None,
        },
        _ => None,
    }
}

/// Renames the database and its sidecars to
/// `status-tracker.<tag>-<UTC time>.sqlite3[-wal|-shm]`; returns the new
/// database path.
fn move_aside(db: &Path, tag: &str, now: DateTime<Utc>) -> Result<PathBuf, StoreError> {
    let dir = db.parent().unwrap_or(Path::new("."));
    let stem = DB_FILE.trim_end_matches(".sqlite3");
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    let to = dir.join(format!("{stem}.{tag}-{stamp}.sqlite3"));
    let rename = |from: PathBuf, to: PathBuf| {
        std::fs::rename(&from, &to).map_err(|source| StoreError::MoveAside { path: from, source })
    };
    for sidecar in SIDECARS {
        let from = PathBuf::from(format!("{}{sidecar}", db.display()));
        if from.exists() {
            rename(from, PathBuf::from(format!("{}{sidecar}", to.display())))?;
        }
    }
    rename(db.to_path_buf(), to.clone())?;
    Ok(to)
}
