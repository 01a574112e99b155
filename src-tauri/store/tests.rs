use chrono::TimeZone;

use super::*;
use crate::tracker::MediaType;

fn t(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, h, 0, 0).single().unwrap()
}

fn record(id: i64, phase: Phase) -> RequestRecord {
    RequestRecord {
        jellyseerr_request_id: 100 + id,
        media_type: MediaType::Tv,
        title: "<img src=x onerror=alert(1)> 'quoted' \"title\"".into(),
        poster_path: Some("/p.jpg".into()),
        tvdb_id: Some(2),
        requested_at: t(1),
        seasons: vec![1],
        progress: Some(0.5),
        eta_secs: Some(60),
        arr_id: Some(7),
        download_ids: vec!["ABC".into()],
        episodes: vec![EpisodeRecord {
            arr_episode_id: 11,
            season: 1,
            number: 1,
            title: Some("Pilot".into()),
            air_date: Some(t(0)),
            monitored: true,
            phase,
            download_id: Some("ABC".into()),
            imported_path: None,
            reason: None,
            progress: Some(0.5),
        }],
        ..crate::testkit::film(id, phase, t(2))
    }
}

#[test]
fn migrations_apply_in_order_and_leave_a_sound_schema() {
    let store = Store::in_memory().unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        MIGRATIONS.len() as i64,
        "every migration is applied once"
    );
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let fk: Vec<String> = store
        .conn
        .prepare("PRAGMA foreign_key_check")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(fk.is_empty(), "no dangling foreign keys: {fk:?}");
}

#[test]
fn migration_3_keeps_the_timeline_and_notifications_and_takes_actions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v2.sqlite3");
    {
        // A database as version 2 left it, with a timeline line and a notification.
        let conn = rusqlite::Connection::open(&path).unwrap();
        for sql in &MIGRATIONS[..2] {
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute_batch(
            "INSERT INTO requests(id, jellyseerr_request_id, media_type, title, is_anime, requested_by, \
             phase, attention, acknowledged, deleted, updated_at, record) \
             VALUES (7, 42, 'movie', 'Dune', 0, 'alice', 'REQUESTED', 0, 0, 0, '2026-11-01T00:00:00.000Z', '{}'); \
             INSERT INTO timeline(id, request_id, at, kind, to_phase, evidence) \
             VALUES (5, 7, '2026-11-01T00:00:00.000Z', 'phase_change', 'REQUESTED', 'Jellyseerr: pending'); \
             INSERT INTO notifications(request_id, created_at, kind, summary, body) \
             VALUES (7, '2026-11-01T00:00:00.000Z', 'failed', 's', 'b');",
        )
        .unwrap();
    }
    let mut s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    s.record_action(7, t(3), "approved from Status Tracker")
        .unwrap();
    let timeline = s.timeline(7).unwrap();
    let kinds: Vec<(&str, &str)> = timeline
        .iter()
        .map(|e| (e.kind.as_str(), e.evidence.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("phase_change", "Jellyseerr: pending"),
            ("action", "approved from Status Tracker")
        ],
        "the old line is kept, the action follows it"
    );
    let notifications: i64 = s
        .conn
        .query_row("SELECT count(*) FROM notifications", [], |r| r.get(0))
        .unwrap();
    assert_eq!(notifications, 1, "the notification is kept");
    s.conn
        .execute(
            "INSERT INTO notifications(request_id, created_at, kind, summary, body) \
             VALUES (7, '2026-11-01T00:00:00.000Z', 'pending', 's', 'b')",
            [],
        )
        .expect("a pending-request notification is allowed");
    assert_eq!(s.integrity_check().unwrap(), "ok");
}

#[test]
fn a_request_found_by_its_jellyseerr_id_comes_with_its_episodes() {
    let mut s = Store::in_memory().unwrap();
    let mut r = record(1, Phase::Downloading);
    r.jellyseerr_request_id = 42;
    s.commit_cycle(&[r.clone(), record(2, Phase::Available)], &[], &[])
        .unwrap();
    let found = s.record_by_jellyseerr_id(42).unwrap().expect("found");
    assert_eq!(found.id, 1);
    assert_eq!(found.episodes, r.episodes, "with its episodes");
    assert!(!found.episodes.is_empty());
    assert_eq!(s.record_by_jellyseerr_id(7).unwrap(), None);
}

#[test]
fn reopening_migrates_nothing_twice_and_keeps_data() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut s = Store::open_in(dir.path()).unwrap();
        s.commit_cycle(&[record(1, Phase::Downloading)], &[], &[])
            .unwrap();
    }
    let s = Store::open_in(dir.path()).unwrap();
    assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len() as i64);
    assert_eq!(
        s.load_records().unwrap().len(),
        1,
        "data survives reopening"
    );
    let mode: String = s
        .conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_database_from_a_newer_version_is_refused_not_touched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(DB_FILE);
    {
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let err = Store::open(&path).err().expect("must refuse");
    assert!(matches!(err, StoreError::TooNew { found: 99, .. }), "{err}");
}

#[test]
fn records_round_trip_with_their_episodes() {
    let mut s = Store::in_memory().unwrap();
    let rec = record(1, Phase::Downloading);
    s.commit_cycle(std::slice::from_ref(&rec), &[], &[])
        .unwrap();
    let loaded = s.load_records().unwrap();
    assert_eq!(
        loaded.get(&1),
        Some(&rec),
        "a record reads back exactly as written"
    );
}

#[test]
fn a_cycle_writes_records_timeline_and_service_status_together() {
    let mut s = Store::in_memory().unwrap();
    let rec = record(1, Phase::Importing);
    let change = Change::PhaseChanged {
        request_id: 1,
        at: t(3),
        from: Some(Phase::DownloadDone),
        to: Phase::Importing,
        evidence: "Sonarr imported 'x.mkv'".into(),
    };
    let status = ServiceStatus {
        name: "sonarr".into(),
        ok: false,
        error: Some("connection refused".into()),
        error_kind: Some("unreachable".into()),
        error_since: Some(t(3)),
        last_success: Some(t(2)),
        version: None,
    };
    s.commit_cycle(&[rec], &[change], std::slice::from_ref(&status))
        .unwrap();
    let tl = s.timeline(1).unwrap();
    assert_eq!(tl.len(), 1);
    assert_eq!(tl[0].to, Some(Phase::Importing));
    assert_eq!(tl[0].evidence, "Sonarr imported 'x.mkv'");
    assert_eq!(s.service_statuses().unwrap(), vec![status]);
}

#[test]
fn a_failed_cycle_writes_nothing() {
    let mut s = Store::in_memory().unwrap();
    // A change for a request that does not exist violates the foreign key:
    // the whole cycle must roll back, including the valid record before it.
    let change = Change::PhaseChanged {
        request_id: 42,
        at: t(3),
        from: None,
        to: Phase::Requested,
        evidence: "x".into(),
    };
    let err = s.commit_cycle(&[record(1, Phase::Approved)], &[change], &[]);
    assert!(err.is_err(), "a foreign-key violation fails the cycle");
    assert!(
        s.load_records().unwrap().is_empty(),
        "one transaction per cycle: nothing of a failed cycle is kept"
    );
}

#[test]
fn acknowledging_updates_the_stored_record() {
    let mut s = Store::in_memory().unwrap();
    s.commit_cycle(&[record(1, Phase::Failed)], &[], &[])
        .unwrap();
    assert!(s.set_acknowledged(1, true).unwrap());
    assert!(s.load_records().unwrap()[&1].acknowledged);
    assert!(!s.set_acknowledged(99, true).unwrap(), "unknown id");
}

#[test]
fn client_state_is_saved_per_service() {
    let mut s = Store::in_memory().unwrap();
    assert_eq!(s.client_state("qbittorrent").unwrap(), None);
    s.save_client_state("qbittorrent", "{\"rid\":5}").unwrap();
    s.save_client_state("qbittorrent", "{\"rid\":6}").unwrap();
    assert_eq!(
        s.client_state("qbittorrent").unwrap().as_deref(),
        Some("{\"rid\":6}")
    );
}

#[test]
fn client_state_is_written_as_it_serializes_and_read_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open_in(dir.path()).unwrap();
    // A state saved as text by an older version reads as before.
    s.save_client_state("jellyfin", "{\"old\":1}").unwrap();
    assert_eq!(
        s.client_state("jellyfin").unwrap().as_deref(),
        Some("{\"old\":1}")
    );
    let big: Vec<String> = (0..20_000).map(|i| format!("item {i} \u{e9}")).collect();
    s.save_client_state_json("jellyfin", &big).unwrap();
    let back: Vec<String> =
        serde_json::from_str(&s.client_state("jellyfin").unwrap().unwrap()).unwrap();
    assert_eq!(back, big);
    // Saving again replaces it (shorter this time).
    s.save_client_state_json("jellyfin", &vec!["x"]).unwrap();
    assert_eq!(
        s.client_state("jellyfin").unwrap().as_deref(),
        Some("[\"x\"]")
    );
}

/// A data dir holding a store with one record, closed.
fn dir_with_a_record() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open_in(dir.path()).unwrap();
    let rec = record(1, Phase::Downloading);
    s.commit_cycle_with(&[rec], &[], &[], &[], t(2)).unwrap();
    drop(s);
    dir
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Opens with recovery; checks the old file was moved aside (named with
/// `tag`), kept byte for byte, and a new empty store started.
fn assert_moved_aside(dir: &Path, tag: &str, before: &[u8], why: &str) {
    let (store, moved) = Store::open_or_recover(dir).unwrap();
    let moved = moved.expect("the unusable database is moved aside");
    assert!(moved.why.contains(why), "{moved:?}");
    let name = moved.to.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with(&format!("status-tracker.{tag}-")) && name.ends_with(".sqlite3"),
        "{name}"
    );
    assert_eq!(
        std::fs::read(&moved.to).unwrap(),
        before,
        "the user's file is kept as it was"
    );
    assert!(store.load_records().unwrap().is_empty(), "a new store");
    assert!(
        moved.message().contains(&moved.to.display().to_string()),
        "the message says where the old file went"
    );
    drop(store);
    // The next start opens the new store as it is.
    let (_, again) = Store::open_or_recover(dir).unwrap();
    assert_eq!(again, None, "{:?}", files(dir));
}

#[test]
fn a_file_that_is_not_a_database_is_moved_aside_and_a_new_store_started() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = b"this is not a database, it is a shopping list".repeat(100);
    std::fs::write(dir.path().join(DB_FILE), &garbage).unwrap();
    assert!(
        Store::open_in(dir.path()).is_err(),
        "the plain open refuses it"
    );
    assert_moved_aside(dir.path(), "corrupt", &garbage, "is not a SQLite database");
}

#[test]
fn a_database_that_fails_the_integrity_check_is_moved_aside() {
    let dir = dir_with_a_record();
    let path = dir.path().join(DB_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    let page = 4096;
    assert!(bytes.len() >= 4 * page, "a few pages: {}", bytes.len());
    // Scribble over the pages after the schema page (b-tree headers and cells).
    for b in &mut bytes[page..] {
        *b = 0x5a;
    }
    std::fs::write(&path, &bytes).unwrap();
    assert!(
        Store::open_in(dir.path()).is_ok(),
        "the damage is past what opening reads"
    );
    assert_moved_aside(dir.path(), "corrupt", &bytes, "integrity check");
}

#[test]
fn a_database_of_a_newer_build_is_moved_aside_not_migrated() {
    let dir = dir_with_a_record();
    let path = dir.path().join(DB_FILE);
    let newer = MIGRATIONS.len() + 1;
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(&format!("PRAGMA user_version = {newer};"))
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    assert_moved_aside(dir.path(), "newer", &before, "newer Status Tracker");
}

#[test]
fn a_database_that_cannot_be_opened_for_another_reason_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the database file should be: an error, not a
    // reason to move anything.
    std::fs::create_dir(dir.path().join(DB_FILE)).unwrap();
    assert!(Store::open_or_recover(dir.path()).is_err());
    assert_eq!(files(dir.path()), vec![DB_FILE.to_string()]);
}
