//! First contact with a library that already holds many requests: the first
//! `poll --once` (an empty data dir) shows every request in its right phase,
//! and a first contact cut short (a slow Jellyseerr, a service down) keeps
//! what it read, so the next poll goes on instead of starting over.
//!
//! The library is `SimWorld::populate`: films and series, 10 % anime, most
//! available, the rest spread over the pipeline, each with the phase it is
//! in.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Poll, Stack};
use status_tracker_lib::sim::{FailureMode, Service};
use status_tracker_lib::tracker::Phase;

/// Every request the poll lists whose phase is not the one it is in, as
/// "request: shown (is)".
fn wrong(poll: &Poll, truth: &[(u64, Phase)]) -> Vec<String> {
    truth
        .iter()
        .filter_map(|(id, phase)| {
            let shown = poll.phase(*id);
            (shown != phase.to_string()).then(|| format!("{id}: {shown} (is {phase})"))
        })
        .collect()
}

/// The first-contact progress line the CLI printed, if any.
fn progress(out: &std::process::Output) -> Option<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .find(|l| l.contains("Reading your library"))
        .map(str::to_string)
}

fn parse(out: &std::process::Output) -> Poll {
    assert!(
        out.status.success(),
        "poll --once exits 0: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Poll(serde_json::from_slice(&out.stdout).expect("poll --json prints JSON"))
}

/// Titles that are not the library's own ("Film 12", "Series 40").
fn untitled(poll: &Poll) -> usize {
    poll.0["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            let t = r["title"].as_str().unwrap_or_default();
            !(t.starts_with("Film ") || t.starts_with("Series "))
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_poll_shows_every_request_of_a_library_in_its_phase() {
    let s = Stack::start().await;
    let truth = s.world().populate(300, 1).unwrap();
    let anime_late = truth
        .iter()
        .filter(|(_, p)| *p == Phase::AnimeMatching)
        .count();
    assert!(anime_late > 0, "the library has anime waiting for Jellyfin");

    let p = s.poll().await;
    let wrong = wrong(&p, &truth);
    assert!(
        wrong.is_empty(),
        "the first poll shows {} of {} requests in a wrong phase: {:?}",
        wrong.len(),
        truth.len(),
        &wrong[..wrong.len().min(10)]
    );
    assert_eq!(untitled(&p), 0, "every title was read in the first poll");

    // The second poll is a steady one: the change feeds and what the first kept.
    let p2 = s.poll().await;
    assert!(self::wrong(&p2, &truth).is_empty());
    assert!(
        p2.http_requests() <= 15,
        "a steady poll --once at 300 requests costs {} HTTP requests",
        p2.http_requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_contact_cut_short_by_a_slow_jellyseerr_keeps_its_progress() {
    let s = Stack::start().await;
    let w = s.world();
    let truth = w.populate(200, 5).unwrap();
    // 0.4 s per answer: eight titles at a time, the title budget runs out
    // before the 200 titles are read.
    w.set_mode(Service::Jellyseerr, FailureMode::Slow(400));
    let out = s.cli(&["poll", "--once", "--json"]).await;
    let p1 = parse(&out);
    let line = progress(&out).expect("the first poll says how far it got");
    let left = untitled(&p1);
    assert!(
        left > 0 && left < truth.len(),
        "the budget cut the title reads short ({left} of {} untitled): {line}",
        truth.len()
    );
    assert!(
        wrong(&p1, &truth).is_empty(),
        "a request's phase does not wait for its title: {:?}",
        wrong(&p1, &truth)
    );

    // The next poll goes on where the first stopped: it reads the titles
    // left, not the ones it has.
    w.set_mode(Service::Jellyseerr, FailureMode::Up);
    let before = w.requests_served(Service::Jellyseerr);
    let out = s.cli(&["poll", "--once", "--json"]).await;
    let p2 = parse(&out);
    let seerr = w.requests_served(Service::Jellyseerr) - before;
    assert_eq!(untitled(&p2), 0, "the second poll read the rest");
    assert_eq!(
        progress(&out),
        None,
        "nothing left to read: no progress line"
    );
    assert!(
        seerr <= left as u64 + 3,
        "the second poll asked Jellyseerr {seerr} times for {left} titles left"
    );
    assert!(wrong(&p2, &truth).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_down_during_first_contact_loses_nothing_already_read() {
    let s = Stack::start().await;
    let w = s.world();
    let truth = w.populate(150, 9).unwrap();
    w.set_mode(Service::Jellyfin, FailureMode::Refused);
    let p1 = s.poll().await;
    assert_eq!(p1.service("jellyfin")["ok"], false);
    for (id, _) in &truth {
        let shown = p1.phase(*id);
        assert_ne!(shown, "FAILED", "Jellyfin down is no evidence of failure");
        assert_ne!(
            shown, "AVAILABLE",
            "nothing is AVAILABLE without Jellyfin's word"
        );
    }
    assert_eq!(untitled(&p1), 0);

    // Jellyfin is back: everything it shows becomes AVAILABLE; what the
    // other services gave (every title, the *arr libraries) is not asked again.
    w.set_mode(Service::Jellyfin, FailureMode::Up);
    let seerr_before = w.requests_served(Service::Jellyseerr);
    let p2 = s.poll().await;
    assert!(
        wrong(&p2, &truth).is_empty(),
        "{:?}",
        &wrong(&p2, &truth)[..wrong(&p2, &truth).len().min(10)]
    );
    let seerr = w.requests_served(Service::Jellyseerr) - seerr_before;
    assert!(
        seerr <= 3,
        "the titles read in the first poll are kept ({seerr} Jellyseerr requests)"
    );
}
