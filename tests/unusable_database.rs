//! A database the app cannot use (not a database, damaged, written by a
//! newer build) is moved aside, never deleted; a new one is started, stderr
//! says so, and the poll goes on (exit 0) with every request back in its
//! phase from the services.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};

use common::Stack;
use status_tracker_lib::store::{DB_FILE, MIGRATIONS};

/// Files in the data dir named `status-tracker.<tag>-….sqlite3`.
fn moved(data: &Path, tag: &str) -> Vec<PathBuf> {
    std::fs::read_dir(data)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            name.starts_with(&format!("status-tracker.{tag}-")) && name.ends_with(".sqlite3")
        })
        .collect()
}

/// A stack with two requests, polled once (so a real database exists).
async fn stack_with_a_database() -> Stack {
    let stack = Stack::start().await;
    stack.world().populate(2, 3).unwrap();
    stack.poll().await;
    stack
}

/// `poll --once` on the broken database: exit 0, the message, the old file
/// kept under a name with `tag`, the requests back.
async fn recovers(stack: &Stack, tag: &str, why: &str) {
    let data = stack.data_dir();
    let before = std::fs::read(data.join(DB_FILE)).unwrap();
    let out = stack.cli(&["poll", "--once", "--json"]).await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit 0: {:?} {stderr}", out.status);
    let aside = moved(&data, tag);
    assert_eq!(aside.len(), 1, "one file moved aside: {stderr}");
    assert!(
        stderr.contains(why)
            && stderr.contains(&aside[0].display().to_string())
            && stderr.contains("timelines are lost"),
        "stderr says what happened, where the file went and what was lost: {stderr}"
    );
    assert_eq!(std::fs::read(&aside[0]).unwrap(), before, "kept as it was");
    let list = stack.cli(&["list", "--json"]).await;
    assert!(list.status.success());
    let listed: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(
        listed["requests"].as_array().map(Vec::len),
        Some(2),
        "both requests are back from the services: {listed}"
    );
    // The next run finds nothing wrong.
    let again = stack.cli(&["poll", "--once", "--json"]).await;
    assert!(again.status.success());
    assert!(
        !String::from_utf8_lossy(&again.stderr).contains("moved to"),
        "the new database is used as it is"
    );
    assert_eq!(moved(&data, tag).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_is_not_a_database() {
    let stack = stack_with_a_database().await;
    let db = stack.data_dir().join(DB_FILE);
    for sidecar in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{sidecar}", db.display()));
    }
    std::fs::write(&db, b"PK\x03\x04 a zip file, not a database".repeat(50)).unwrap();
    recovers(&stack, "corrupt", "is not a SQLite database").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_database() {
    let stack = stack_with_a_database().await;
    let db = stack.data_dir().join(DB_FILE);
    let mut bytes = std::fs::read(&db).unwrap();
    for b in &mut bytes[4096..] {
        *b = 0xa5;
    }
    std::fs::write(&db, &bytes).unwrap();
    recovers(&stack, "corrupt", "integrity check").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_of_a_newer_build() {
    let stack = stack_with_a_database().await;
    let conn = rusqlite::Connection::open(stack.data_dir().join(DB_FILE)).unwrap();
    conn.execute_batch(&format!("PRAGMA user_version = {};", MIGRATIONS.len() + 1))
        .unwrap();
    drop(conn);
    recovers(&stack, "newer", "newer Status Tracker").await;
}
