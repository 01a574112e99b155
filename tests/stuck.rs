//! Stuck by duration through the real CLI and a simulated stack, on a
//! wall clock faked by libfaketime (the monotonic clock left alone): each
//! `poll --once` is the app started again at that time, with the clock of
//! each situation kept in its store. (Each run's clock starts at the given
//! second and runs: the checks are half a minute past the whole minute they
//! expect, so that a slow start of a run does not change the minute.)

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Stack;

const DUNE: u64 = 693134;
const HASH: &str = "3333333333333333333333333333333333333333";

/// `poll --once --json` at `when` (UTC): the request's phase, reason and
/// attention.
async fn poll_at(s: &Stack, when: &str, seerr_id: u64) -> (String, String, bool) {
    let out = s.cli_at(when, &["poll", "--once", "--json"]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "poll at {when}: {:?}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let r = v["requests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["jellyseerr_request_id"] == seerr_id)
        .unwrap_or_else(|| panic!("request {seerr_id} in {v}"))
        .clone();
    (
        r["phase"].as_str().unwrap().to_string(),
        r["reason"].as_str().unwrap_or_default().to_string(),
        r["attention"].as_bool().unwrap(),
    )
}

/// Dune approved, grabbed, and its torrent stalled at 23 %.
async fn stalled_dune() -> (Stack, u64) {
    let s = Stack::start().await;
    let w = s.world();
    w.add_movie(DUNE, "Dune: Part Two", 2024, false);
    let id = w.request_movie(DUNE, "alice").unwrap();
    w.approve(id).unwrap();
    w.grab_movie(DUNE, HASH, "Dune.Part.Two.2024.1080p", 9_000_000_000)
        .unwrap();
    w.set_progress(HASH, 0.23, 0).unwrap();
    w.set_torrent_state(HASH, "stalledDL").unwrap();
    (s, id)
}

#[tokio::test]
async fn a_stalled_download_needs_attention_an_hour_after_the_app_saw_it_stall() {
    let (s, dune) = stalled_dune().await;
    let (phase, reason, attention) = poll_at(&s, "2026-12-07 10:00:00", dune).await;
    assert_eq!(phase, "DOWNLOADING");
    assert_eq!(reason, "stalled in qBittorrent: no connection to peers");
    assert!(!attention, "just stalled: no attention yet");

    let (_, reason, attention) = poll_at(&s, "2026-12-07 10:59:00", dune).await;
    assert!(!attention, "59 minutes: not yet ({reason})");

    let (phase, reason, attention) = poll_at(&s, "2026-12-07 11:10:30", dune).await;
    assert!(attention, "stalled for over an hour");
    assert_eq!(
        phase, "DOWNLOADING",
        "the phase stays what the evidence says"
    );
    assert_eq!(
        reason,
        "stalled for 1 h 10 min in qBittorrent: no connection to peers"
    );
    let show = s
        .cli_at(
            "2026-12-07 11:10:40",
            &["show", &dune.to_string(), "--json"],
        )
        .await;
    let show: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
    let lines: Vec<&str> = show["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["evidence"].as_str().or(e["text"].as_str()))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("stalled for 1 h 10 min in qBittorrent")),
        "becoming stuck is on the timeline: {lines:?}"
    );

    // It moves again: the attention goes by itself.
    s.world().set_torrent_state(HASH, "downloading").unwrap();
    s.world().set_progress(HASH, 0.3, 2_000_000).unwrap();
    let (_, reason, attention) = poll_at(&s, "2026-12-07 11:11:00", dune).await;
    assert!(!attention, "downloading again: {reason}");
    assert!(!reason.contains("stall"), "{reason}");
}

#[tokio::test]
async fn the_thresholds_come_from_the_config() {
    let (s, dune) = stalled_dune().await;
    let mut config = std::fs::read_to_string(&s.config).unwrap();
    config.push_str("\n[attention]\nstalled_minutes = 5\n");
    std::fs::write(&s.config, config).unwrap();
    let (_, _, attention) = poll_at(&s, "2026-12-07 10:00:00", dune).await;
    assert!(!attention);
    let (_, _, attention) = poll_at(&s, "2026-12-07 10:04:00", dune).await;
    assert!(!attention, "4 of the 5 minutes the user allows");
    let (_, reason, attention) = poll_at(&s, "2026-12-07 10:05:30", dune).await;
    assert!(attention, "5 minutes, as the config says");
    assert_eq!(
        reason,
        "stalled for 5 min in qBittorrent: no connection to peers"
    );
}
