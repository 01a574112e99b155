//! After a full run with every credential set, no secret appears in the
//! database, the config file, or anything the CLI prints (JSON or errors).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use common::Stack;
use status_tracker_lib::sim::sim_env;

const HASH: &str = "40e9c82e2a69e6214e3afa1ea6bbd0e427518310";

fn assert_clean(what: &str, bytes: &[u8], secrets: &[&str]) {
    let text = String::from_utf8_lossy(bytes);
    for s in secrets {
        assert!(!text.contains(s), "a secret leaked into {what}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_the_store_the_config_or_any_output() {
    let s = Stack::start().await;
    let w = s.world();
    let secrets: Vec<&str> = sim_env().into_iter().map(|(_, v)| v).collect();
    w.add_movie(693134, "Dune: Part Two", 2024, false);
    w.add_series(
        267440,
        1429,
        "Attack on Titan",
        2013,
        true,
        &[(1, 2, chrono::NaiveDate::from_ymd_opt(2013, 4, 7).unwrap())],
    );
    let a = w.request_movie(693134, "alice").unwrap();
    let b = w.request_series(1429, &[1], "bob").unwrap();
    w.approve(a).unwrap();
    w.approve(b).unwrap();
    w.grab_movie(693134, HASH, "Dune.Part.Two.2024", 8_000_000_000)
        .unwrap();

    let mut outputs = Vec::new();
    for args in [
        vec!["check", "--json"],
        vec!["poll", "--once", "--json"],
        vec!["poll", "--once"],
        vec!["list", "--json", "--include-deleted"],
    ] {
        outputs.push((format!("{args:?}"), s.cli(&args).await));
    }
    w.complete_download(HASH).unwrap();
    w.import(HASH).unwrap();
    w.jellyfin_add_movie(693134).unwrap();
    // watch for a few cycles, then stop it.
    let watch = tokio::time::timeout(Duration::from_secs(4), s.cli(&["watch", "--json"])).await;
    assert!(watch.is_err(), "watch keeps running until stopped");
    outputs.push((
        "poll again".into(),
        s.cli(&["poll", "--once", "--json"]).await,
    ));

    // Errors too: every service refused, and a wrong key.
    for svc in status_tracker_lib::sim::Service::ALL {
        w.set_mode(svc, status_tracker_lib::sim::FailureMode::Unauthorized);
    }
    outputs.push((
        "poll while unauthorized".into(),
        s.cli(&["poll", "--once", "--json"]).await,
    ));
    outputs.push((
        "check while unauthorized".into(),
        s.cli(&["check", "--json"]).await,
    ));

    for (what, out) in &outputs {
        assert_clean(&format!("stdout of {what}"), &out.stdout, &secrets);
        assert_clean(&format!("stderr of {what}"), &out.stderr, &secrets);
    }
    assert_clean(
        "the config file",
        &std::fs::read(&s.config).unwrap(),
        &secrets,
    );
    let mut files = 0;
    for e in std::fs::read_dir(s.data_dir()).unwrap().flatten() {
        assert_clean(
            &format!("{}", e.path().display()),
            &std::fs::read(e.path()).unwrap(),
            &secrets,
        );
        files += 1;
    }
    assert!(files >= 2, "the database (and its WAL) were searched");
    // The checked outputs were real: the poll saw both requests.
    let poll = &outputs[1].1;
    let v: serde_json::Value = serde_json::from_slice(&poll.stdout).unwrap();
    assert_eq!(v["requests"].as_array().map(Vec::len), Some(2));
}
