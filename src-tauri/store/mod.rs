//! SQLite persistence: versioned migrations, one transaction per poll cycle,
//! and narrow read/write functions. Every connection runs in WAL mode with
//! foreign keys on and a busy timeout, so the CLI can read while a poller writes.

mod migrations;
mod poster_cache;
mod recover;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::tracker::stats::{timings, Medians, PhaseChangeAt};
pub use crate::tracker::NewNotification;
use crate::tracker::{Change, EpisodeRecord, Phase, Records, RequestRecord};

pub use migrations::MIGRATIONS;
pub use poster_cache::PosterCache;
pub use recover::MovedAside;

/// The database file inside the data dir.
pub const DB_FILE: &str = "status-tracker.sqlite3";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("the database {path} was written by a newer Status Tracker (schema {found}, this build knows {known}); upgrade the app")]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("a stored record could not be read: {0}")]
    Corrupt(String),
    #[error("the database work did not finish: {0}")]
    Interrupted(String),
    #[error("the database failed SQLite's integrity check: {0}")]
    Damaged(String),
    #[error("cannot move the unusable database {path} aside: {source}")]
    MoveAside {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The last known state of one service.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ServiceStatus {
    /// Config section name.
    pub name: String,
    pub ok: bool,
    /// The current error, when not ok.
    pub error: Option<String>,
    /// ErrorKind as snake_case text.
    pub error_kind: Option<String>,
    /// Since when it has been failing (the first failed cycle of this outage).
    pub error_since: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub version: Option<String>,
}

/// One line of a request's timeline.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TimelineEntry {
    pub at: DateTime<Utc>,
    /// phase_change, reason, episode_available, action
    pub kind: String,
    pub from: Option<Phase>,
    pub to: Option<Phase>,
    pub evidence: String,
}

/// A recorded notification.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Notification {
    pub id: i64,
    pub request_id: i64,
    pub created_at: DateTime<Utc>,
    pub kind: String,
    pub summary: String,
    pub body: String,
}

/// The store: one SQLite file.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store in a data dir and migrates it.
    pub fn open_in(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        Self::open(&data_dir.join(DB_FILE))
    }

    /// Opens (creating if needed) a database file and migrates it.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        configure(&conn)?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.migrate()?;
        Ok(store)
    }

    /// An in-memory store, for tests and benchmarks.
    pub fn in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory()?;
        configure(&conn)?;
        let mut store = Store {
            conn,
            path: PathBuf::from(":memory:"),
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let current: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let known = MIGRATIONS.len() as i64;
        if current > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: current,
                known,
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// Schema version (the number of migrations applied).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))?)
    }

    /// One request as stored, without its episodes (`None`: no such id).
    pub fn load_record(&self, id: i64) -> Result<Option<RequestRecord>, StoreError> {
        let json: Option<String> = self
            .conn
            .query_row("SELECT record FROM requests WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .optional()?;
        json.map(|json| {
            serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("request {id}: {e}")))
        })
        .transpose()
    }

    /// Every record, deleted ones included, with their episodes.
    pub fn load_records(&self) -> Result<Records, StoreError> {
        let mut records = Records::new();
        let mut stmt = self.conn.prepare("SELECT id, record FROM requests")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (id, json) = row?;
            let rec: RequestRecord = serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("request {id}: {e}")))?;
            records.insert(id, rec);
        }
        self.read_episodes(None, |rid, episode| {
            if let Some(rec) = records.get_mut(&rid) {
                rec.episodes.push(episode);
            }
        })?;
        Ok(records)
    }

    /// Every stored episode (of one request, or of all), in order, handed to
    /// `put` with its request's id.
    fn read_episodes(
        &self,
        request_id: Option<i64>,
        mut put: impl FnMut(i64, EpisodeRecord),
    ) -> Result<(), StoreError> {
        let columns =
            "SELECT request_id, arr_episode_id, season, number, title, air_date, monitored, \
             phase, download_id, imported_path, reason, progress FROM episodes";
        let mut stmt = match request_id {
            Some(_) => self.conn.prepare(&format!(
                "{columns} WHERE request_id = ?1 ORDER BY season, number"
            ))?,
            None => self
                .conn
                .prepare(&format!("{columns} ORDER BY request_id, season, number"))?,
        };
        let params: Vec<i64> = request_id.into_iter().collect();
        let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i32>(2)?,
                r.get::<_, i32>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, bool>(6)?,
                r.get::<_, String>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, Option<String>>(10)?,
                r.get::<_, Option<f64>>(11)?,
            ))
        })?;
        for row in rows {
            let (
                rid,
                eid,
                season,
                number,
                title,
                air,
                monitored,
                phase,
                dl,
                path,
                reason,
                progress,
            ) = row?;
            let phase: Phase = phase
                .parse()
                .map_err(|e| StoreError::Corrupt(format!("episode {eid}: {e}")))?;
            let air_date = match air {
                Some(s) => Some(parse_time(&s)?),
                None => None,
            };
            put(
                rid,
                EpisodeRecord {
                    arr_episode_id: eid,
                    season,
                    number,
                    title,
                    air_date,
                    monitored,
                    phase,
                    download_id: dl,
                    imported_path: path,
                    reason,
                    progress,
                },
            );
        }
        Ok(())
    }

    /// Writes one poll cycle in a single transaction: the changed records, the
    /// timeline entries for the changes, and the service statuses.
    pub fn commit_cycle(
        &mut self,
        changed: &[RequestRecord],
        changes: &[Change],
        services: &[ServiceStatus],
    ) -> Result<(), StoreError> {
        self.commit_cycle_with(changed, changes, services, &[], Utc::now())
    }

    /// [`Self::commit_cycle`] plus the notifications those changes cause, in
    /// the same transaction: a crash can never record a change without its
    /// notification, nor notify a change that was not saved.
    pub fn commit_cycle_with(
        &mut self,
        changed: &[RequestRecord],
        changes: &[Change],
        services: &[ServiceStatus],
        notifications: &[NewNotification],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for rec in changed {
            upsert_record(&tx, rec)?;
        }
        for change in changes {
            insert_change(&tx, change)?;
        }
        for s in services {
            upsert_service(&tx, s)?;
        }
        for n in notifications {
            tx.execute(
                "INSERT INTO notifications(request_id, created_at, kind, summary, body) VALUES (?1,?2,?3,?4,?5)",
                params![n.request_id, ts(&now), n.kind, n.summary, n.body],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Takes the notifications not shown yet: marks them shown (committed)
    /// and returns them, so each is displayed at most once even if the app
    /// dies while showing it. Pending ones older than `max_age` are dropped
    /// unshown (no burst of old news after a long pause).
    pub fn take_pending_notifications(
        &mut self,
        now: DateTime<Utc>,
        max_age: chrono::TimeDelta,
    ) -> Result<Vec<Notification>, StoreError> {
        let tx = self.conn.transaction()?;
        let mut out = Vec::new();
        {
            let mut stmt = tx.prepare(
                "SELECT id, request_id, created_at, kind, summary, body FROM notifications \
                 WHERE shown_at IS NULL ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?;
            for row in rows {
                let (id, request_id, created, kind, summary, body) = row?;
                let created_at = parse_time(&created)?;
                if now - created_at <= max_age {
                    out.push(Notification {
                        id,
                        request_id,
                        created_at,
                        kind,
                        summary,
                        body,
                    });
                }
            }
        }
        tx.execute(
            "UPDATE notifications SET shown_at = ?1 WHERE shown_at IS NULL",
            [ts(&now)],
        )?;
        tx.commit()?;
        Ok(out)
    }

    /// How many notifications were ever recorded for a request (for tests).
    pub fn notification_count(&self, request_id: i64) -> Result<i64, StoreError> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM notifications WHERE request_id = ?1",
            [request_id],
            |r| r.get(0),
        )?)
    }

    /// The per-service status rows.
    pub fn service_statuses(&self) -> Result<Vec<ServiceStatus>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT name, ok, error, error_kind, error_since, last_success, version FROM service_status ORDER BY name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, bool>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, Option<String>>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (name, ok, error, error_kind, since, last, version) = row?;
            out.push(ServiceStatus {
                name,
                ok,
                error,
                error_kind,
                error_since: since.as_deref().map(parse_time).transpose()?,
                last_success: last.as_deref().map(parse_time).transpose()?,
                version,
            });
        }
        Ok(out)
    }

    /// A request's timeline, oldest first.
    pub fn timeline(&self, request_id: i64) -> Result<Vec<TimelineEntry>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT at, kind, from_phase, to_phase, evidence FROM timeline WHERE request_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map([request_id], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (at, kind, from, to, evidence) = row?;
            let phase = |s: Option<String>| -> Result<Option<Phase>, StoreError> {
                s.map(|s| s.parse().map_err(|e| StoreError::Corrupt(format!("{e}"))))
                    .transpose()
            };
            out.push(TimelineEntry {
                at: parse_time(&at)?,
                kind,
                from: phase(from)?,
                to: phase(to)?,
                evidence,
            });
        }
        Ok(out)
    }

    /// The stored request Jellyseerr knows by `jellyseerr_request_id`, with
    /// its episodes.
    pub fn record_by_jellyseerr_id(
        &self,
        jellyseerr_request_id: i64,
    ) -> Result<Option<RequestRecord>, StoreError> {
        let id: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM requests WHERE jellyseerr_request_id = ?1",
                [jellyseerr_request_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(mut record) = id.map(|id| self.load_record(id)).transpose()?.flatten() else {
            return Ok(None);
        };
        self.read_episodes(Some(record.id), |_, episode| record.episodes.push(episode))?;
        Ok(Some(record))
    }

    /// Writes an action the user sent (and the service accepted) on the
    /// request's timeline: kind `action`, the sentence as its evidence.
    pub fn record_action(
        &mut self,
        request_id: i64,
        at: DateTime<Utc>,
        text: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO timeline(request_id, at, kind, evidence) VALUES (?1, ?2, 'action', ?3)",
            params![request_id, ts(&at), text],
        )?;
        Ok(())
    }

    /// Every recorded phase change of every request, in the order recorded
    /// (for `tracker::stats`).
    pub fn phase_changes(&self) -> Result<Vec<PhaseChangeAt>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT request_id, at, from_phase, to_phase FROM timeline \
             WHERE kind = 'phase_change' AND to_phase IS NOT NULL ORDER BY request_id, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let phase = |s: &str| -> Result<Phase, StoreError> {
            s.parse().map_err(|e| StoreError::Corrupt(format!("{e}")))
        };
        let mut out = Vec::new();
        for row in rows {
            let (request_id, at, from, to) = row?;
            out.push(PhaseChangeAt {
                request_id,
                at: parse_time(&at)?,
                from: from.as_deref().map(phase).transpose()?,
                to: phase(&to)?,
            });
        }
        Ok(out)
    }

    /// Each phase's median stint from the whole timeline (for the ETA to
    /// available).
    pub fn phase_medians(&self) -> Result<Medians, StoreError> {
        let records = self.load_records()?;
        Ok(Medians::new(&timings(&records, &self.phase_changes()?)))
    }

    /// Per-service client state (cursors and caches) saved between runs.
    /// (Saved as text by older versions, as a blob of JSON now.)
    pub fn client_state(&self, service: &str) -> Result<Option<String>, StoreError> {
        let bytes: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT state FROM client_state WHERE service = ?1",
                [service],
                |r| Ok(r.get_ref(0)?.as_bytes()?.to_vec()),
            )
            .optional()?;
        bytes
            .map(|b| {
                String::from_utf8(b).map_err(|_| {
                    StoreError::Corrupt(format!("{service}'s saved state is not UTF-8"))
                })
            })
            .transpose()
    }

    /// Saves per-service client state as JSON, written into the database as
    /// it serializes: a cache of tens of megabytes (Jellyfin's items at
    /// 10,000 requests) is never held as one string, nor copied by SQLite.
    pub fn save_client_state_json(
        &mut self,
        service: &str,
        state: &impl serde::Serialize,
    ) -> Result<(), StoreError> {
        use std::io::Write;
        let corrupt = |e: &dyn std::fmt::Display| {
            StoreError::Corrupt(format!("{service}'s state cannot be saved: {e}"))
        };
        // Its length first, counted without keeping it.
        let mut count = ByteCount(0);
        serde_json::to_writer(&mut count, state).map_err(|e| corrupt(&e))?;
        let len = i64::try_from(count.0).map_err(|e| corrupt(&e))?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO client_state(service, state) VALUES (?1, zeroblob(?2)) \
             ON CONFLICT(service) DO UPDATE SET state = excluded.state",
            params![service, len],
        )?;
        let rowid: i64 = tx.query_row(
            "SELECT rowid FROM client_state WHERE service = ?1",
            [service],
            |r| r.get(0),
        )?;
        {
            let blob = tx.blob_open(rusqlite::MAIN_DB, "client_state", "state", rowid, false)?;
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, blob);
            serde_json::to_writer(&mut out, state).map_err(|e| corrupt(&e))?;
            out.flush().map_err(|e| corrupt(&e))?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Saves per-service client state.
    pub fn save_client_state(&mut self, service: &str, state: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO client_state(service, state) VALUES (?1, ?2) \
             ON CONFLICT(service) DO UPDATE SET state = excluded.state",
            params![service, state],
        )?;
        Ok(())
    }

    /// Marks a request's attention acknowledged (or not).
    pub fn set_acknowledged(&mut self, request_id: i64, ack: bool) -> Result<bool, StoreError> {
        let tx = self.conn.transaction()?;
        let json: Option<String> = tx
            .query_row(
                "SELECT record FROM requests WHERE id = ?1",
                [request_id],
                |r| r.get(0),
            )
            .optional()?;
        let Some(json) = json else {
            return Ok(false);
        };
        let mut rec: RequestRecord = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("request {request_id}: {e}")))?;
        rec.acknowledged = ack;
        upsert_request_row(&tx, &rec)?;
        tx.commit()?;
        Ok(true)
    }
}

fn configure(conn: &Connection) -> Result<(), StoreError> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // journal_mode returns a row; query it rather than execute.
    let _mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(())
}

fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("time {s:?}: {e}")))
}

fn upsert_record(tx: &Transaction<'_>, rec: &RequestRecord) -> Result<(), StoreError> {
    upsert_request_row(tx, rec)?;
    tx.execute("DELETE FROM episodes WHERE request_id = ?1", [rec.id])?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO episodes(request_id, arr_episode_id, season, number, title, air_date, monitored, \
         phase, download_id, imported_path, reason, progress) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12)",
    )?;
    for ep in &rec.episodes {
        stmt.execute(params![
            rec.id,
            ep.arr_episode_id,
            ep.season,
            ep.number,
            ep.title,
            ep.air_date.as_ref().map(ts),
            ep.monitored,
            ep.phase.as_str(),
            ep.download_id,
            ep.imported_path,
            ep.reason,
            ep.progress,
        ])?;
    }
    Ok(())
}

fn upsert_request_row(tx: &Transaction<'_>, rec: &RequestRecord) -> Result<(), StoreError> {
    // The record column holds everything but the episodes (they have their own table).
    let mut slim = rec.clone();
    slim.episodes.clear();
    let json = serde_json::to_string(&slim).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    tx.execute(
        "INSERT INTO requests(id, jellyseerr_request_id, media_type, title, year, tmdb_id, tvdb_id, \
         is_anime, requested_by, phase, reason, attention, acknowledged, deleted, updated_at, record) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16) \
         ON CONFLICT(id) DO UPDATE SET jellyseerr_request_id = excluded.jellyseerr_request_id, \
         media_type = excluded.media_type, title = excluded.title, year = excluded.year, \
         tmdb_id = excluded.tmdb_id, tvdb_id = excluded.tvdb_id, is_anime = excluded.is_anime, \
         requested_by = excluded.requested_by, phase = excluded.phase, reason = excluded.reason, \
         attention = excluded.attention, acknowledged = excluded.acknowledged, \
         deleted = excluded.deleted, updated_at = excluded.updated_at, record = excluded.record",
        params![
            rec.id,
            rec.jellyseerr_request_id,
            rec.media_type.as_str(),
            rec.title,
            rec.year,
            rec.tmdb_id,
            rec.tvdb_id,
            rec.is_anime,
            rec.requested_by,
            rec.phase.as_str(),
            rec.reason,
            rec.attention,
            rec.acknowledged,
            rec.deleted,
            ts(&rec.updated_at),
            json,
        ],
    )?;
    Ok(())
}

fn insert_change(tx: &Transaction<'_>, change: &Change) -> Result<(), StoreError> {
    let mut stmt = tx.prepare_cached(
        "INSERT INTO timeline(request_id, at, kind, from_phase, to_phase, evidence, season, episode) \
         VALUES (?1,?2,?3,?4,?5,?6,?7,?8)",
    )?;
    match change {
        Change::PhaseChanged {
            request_id,
            at,
            from,
            to,
            evidence,
        } => stmt.execute(params![
            request_id,
            ts(at),
            "phase_change",
            from.map(Phase::as_str),
            to.as_str(),
            evidence,
            None::<i32>,
            None::<i32>
        ])?,
        Change::ReasonChanged {
            request_id,
            at,
            phase,
            reason,
        } => stmt.execute(params![
            request_id,
            ts(at),
            "reason",
            phase.as_str(),
            phase.as_str(),
            reason.clone().unwrap_or_default(),
            None::<i32>,
            None::<i32>
        ])?,
        Change::EpisodeAvailable {
            request_id,
            at,
            season,
            number,
        } => stmt.execute(params![
            request_id,
            ts(at),
            "episode_available",
            None::<&str>,
            None::<&str>,
            format!("S{season:02}E{number:02} is watchable"),
            season,
            number
        ])?,
    };
    Ok(())
}

fn upsert_service(tx: &Transaction<'_>, s: &ServiceStatus) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO service_status(name, ok, error, error_kind, error_since, last_success, version) \
         VALUES (?1,?2,?3,?4,?5,?6,?7) ON CONFLICT(name) DO UPDATE SET ok = excluded.ok, \
         error = excluded.error, error_kind = excluded.error_kind, error_since = excluded.error_since, \
         last_success = excluded.last_success, version = COALESCE(excluded.version, service_status.version)",
        params![
            s.name,
            s.ok,
            s.error,
            s.error_kind,
            s.error_since.as_ref().map(ts),
            s.last_success.as_ref().map(ts),
            s.version,
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests;

/// A writer that only counts what it is given.
struct ByteCount(u64);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
