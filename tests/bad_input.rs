//! Bad input from services: every client's fetch against a tiny local HTTP
//! server that answers every API path with the bytes a test chooses (logins
//! succeed, so the payload reaches the parsers). Malformed JSON, wrong types,
//! missing fields, unknown enum values, absurd numbers, a 50 MB body, a body
//! that never ends, HTML with status 200, and proptest-generated JSON (random,
//! and mutations of the real fixtures): each fetch returns Ok or a classified
//! error, never panics, never waits past the request timeout.
//!
//! `PROPTEST_CASES` sets the number of generated inputs (default 32 here).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::{json, Value};
use status_tracker_lib::config::ServiceConfig;
use status_tracker_lib::secrets::Secret;
use status_tracker_lib::services::{
    ErrorKind, HttpStats, JellyfinClient, JellyseerrClient, QbittorrentClient, RadarrClient,
    ServiceError, ShokoClient, SonarrClient,
};
use status_tracker_lib::tracker::{TorrentState, Wants};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The request timeout every client gets here.
const TIMEOUT: Duration = Duration::from_secs(1);
/// Generous bound for a whole fetch (a few requests, each ≤ TIMEOUT).
const FETCH_BOUND: Duration = Duration::from_secs(8);

/// What the server answers on every API path.
#[derive(Debug, Clone)]
enum Answer {
    Body {
        status: u16,
        content_type: &'static str,
        body: Vec<u8>,
    },
    /// `size` bytes, chunked, without a Content-Length.
    Huge { size: usize },
    /// Headers, then one byte every 50 ms, forever.
    Drip,
}

impl Answer {
    fn json(v: &Value) -> Answer {
        Answer::Body {
            status: 200,
            content_type: "application/json",
            body: serde_json::to_vec(v).unwrap(),
        }
    }
    fn raw(status: u16, content_type: &'static str, body: &[u8]) -> Answer {
        Answer::Body {
            status,
            content_type,
            body: body.to_vec(),
        }
    }
}

/// A raw HTTP/1.1 server on 127.0.0.1 (raw, so it can send what no framework
/// would: a body that never ends, a chunked 50 MB body).
struct Server {
    url: String,
    answer: Arc<Mutex<Answer>>,
}

impl Server {
    async fn start(answer: Answer) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let answer = Arc::new(Mutex::new(answer));
        let shared = answer.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let a = shared.lock().unwrap().clone();
                tokio::spawn(serve(sock, a));
            }
        });
        Server { url, answer }
    }

    fn set(&self, answer: Answer) {
        *self.answer.lock().unwrap() = answer;
    }
}

async fn serve(mut sock: TcpStream, answer: Answer) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    // Read the head (and ignore any body: the logins' forms are small).
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match sock.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let head = String::from_utf8_lossy(&buf).to_string();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let answer = if path.starts_with("/api/v2/auth/login") {
        let _ = sock
            .write_all(
                b"HTTP/1.1 200 OK\r\nSet-Cookie: SID=abc; path=/\r\nContent-Length: 3\r\nConnection: close\r\n\r\nOk.",
            )
            .await;
        return;
    } else if path.starts_with("/api/auth") {
        Answer::json(&json!({"apikey": "token"}))
    } else {
        answer
    };
    match answer {
        Answer::Body {
            status,
            content_type,
            body,
        } => {
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = sock.write_all(head.as_bytes()).await;
            let _ = sock.write_all(&body).await;
        }
        Answer::Huge { size } => {
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
                .await;
            let piece = vec![b' '; 64 * 1024];
            let mut sent = 0;
            while sent < size {
                let mut c = format!("{:x}\r\n", piece.len()).into_bytes();
                c.extend_from_slice(&piece);
                c.extend_from_slice(b"\r\n");
                if sock.write_all(&c).await.is_err() {
                    return;
                }
                sent += piece.len();
            }
            let _ = sock.write_all(b"0\r\n\r\n").await;
        }
        Answer::Drip => {
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n[")
                .await;
            for _ in 0..600 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                if sock.write_all(b" ").await.is_err() {
                    return;
                }
            }
        }
    }
}

fn cfg(name: &str, url: &str) -> ServiceConfig {
    ServiceConfig {
        name: name.to_string(),
        instance: None,
        is_4k: false,
        url: url.parse().unwrap(),
        username: Some("admin".to_string()),
        timeout: TIMEOUT,
        ca_file: None,
    }
}

fn wants() -> Wants {
    Wants {
        movie_tmdb_ids: vec![693134],
        series_tvdb_ids: vec![81189],
        shoko_paths: vec!["/anime/Film/Film.mkv".into()],
        jellyfin_series_ids: vec!["a1b2c3".into()],
        jellyfin_item_ids: vec!["d4e5f6".into()],
        anidb_ids: vec![112],
        downloading: true,
    }
}

const CLIENTS: [&str; 6] = [
    "jellyseerr",
    "radarr",
    "sonarr",
    "qbittorrent",
    "shoko",
    "jellyfin",
];

/// One fresh client's fetch against `url`, in its own task: Err(panic text)
/// if it panicked or did not return within [`FETCH_BOUND`].
async fn fetch(name: &'static str, url: String) -> Result<Result<(), ServiceError>, String> {
    let task = tokio::spawn(async move {
        let c = cfg(name, &url);
        let k = Secret::new("key");
        let s = HttpStats::new();
        let w = wants();
        match name {
            "jellyseerr" => JellyseerrClient::new(&c, k, s)?.fetch(true).await.map(drop),
            "radarr" => RadarrClient::new(&c, k, s)?.fetch(&w, true).await.map(drop),
            "sonarr" => SonarrClient::new(&c, k, s)?.fetch(&w, true).await.map(drop),
            "qbittorrent" => QbittorrentClient::new(&c, k, s)?.fetch().await.map(drop),
            "shoko" => ShokoClient::new(&c, k, s)?.fetch(&w).await.map(drop),
            _ => JellyfinClient::new(&c, k, s)?
                .fetch(&w, true)
                .await
                .map(drop),
        }
    });
    let started = Instant::now();
    match tokio::time::timeout(FETCH_BOUND, task).await {
        Err(_) => Err(format!("{name}: fetch still running after {FETCH_BOUND:?}")),
        Ok(Err(e)) if e.is_panic() => Err(format!("{name}: fetch panicked: {e}")),
        Ok(Err(e)) => Err(format!("{name}: task failed: {e}")),
        Ok(Ok(r)) => {
            if let Err(e) = &r {
                assert_eq!(e.service, name, "the error names its service: {e}");
                assert!(!e.message.is_empty(), "{name}: an error says what happened");
            }
            let _ = started;
            Ok(r)
        }
    }
}

/// Every client against one answer: each returns (Ok or Err) in time.
async fn every_client(server: &Server) -> Vec<(&'static str, Result<(), ServiceError>)> {
    let mut out = Vec::new();
    for name in CLIENTS {
        match fetch(name, server.url.clone()).await {
            Ok(r) => out.push((name, r)),
            Err(failure) => panic!("{failure} (answer: {:?})", short(&server.answer)),
        }
    }
    out
}

fn short(a: &Arc<Mutex<Answer>>) -> String {
    let text = format!("{:?}", a.lock().unwrap());
    text.chars().take(300).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_json_html_and_wrong_shapes_are_clear_errors_per_service() {
    let cases: Vec<(&str, Answer)> = vec![
        (
            "truncated JSON",
            Answer::raw(
                200,
                "application/json",
                b"{\"page\":1,\"records\":[{\"id\":12,",
            ),
        ),
        (
            "HTML with status 200",
            Answer::raw(
                200,
                "text/html",
                b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
            ),
        ),
        ("empty body", Answer::raw(200, "application/json", b"")),
        ("a JSON string", Answer::json(&json!("hello"))),
        ("a JSON number", Answer::json(&json!(-1.5e300))),
        ("null", Answer::json(&Value::Null)),
        (
            "wrong types",
            Answer::json(
                &json!({"page": "one", "records": "none", "results": 5, "Items": {}, "rid": "x",
                         "torrents": [1, 2], "pageInfo": "?", "totalRecords": -3}),
            ),
        ),
        (
            "invalid UTF-8",
            Answer::raw(200, "application/json", b"\xff\xfe{\"a\":\xc3\x28}"),
        ),
    ];
    for (what, answer) in cases {
        let server = Server::start(answer).await;
        for (name, r) in every_client(&server).await {
            let e = r.expect_err(&format!("{name}: {what} is not data"));
            assert!(
                matches!(e.kind, ErrorKind::BadResponse | ErrorKind::ServerError),
                "{name}: {what} is a bad response: {e:?}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_fields_and_empty_listings_never_panic() {
    for v in [
        json!({}),
        json!([]),
        json!([{}]),
        json!({"page": 1, "records": [{}], "totalRecords": 1}),
        json!({"pageInfo": {"pages": 1, "results": 1}, "results": [{}]}),
        json!({"Items": [{}], "TotalRecordCount": 1}),
        json!({"rid": 1, "full_update": true, "torrents": {"ABC": {}}}),
    ] {
        let server = Server::start(Answer::json(&v)).await;
        every_client(&server).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qbittorrent_unknown_states_and_absurd_numbers_are_tolerated_field_by_field() {
    let hash = "40e9c82e2a69e6214e3afa1ea6bbd0e427518310";
    let server = Server::start(Answer::json(&json!({
        "rid": 7, "full_update": true,
        "torrents": {
            hash: {"name": "Film", "state": "someStateFromQbittorrent6", "progress": 7.5,
                   "size": -5, "amount_left": -1, "eta": 8640000, "dlspeed": -100}
        }
    })))
    .await;
    let mut c = QbittorrentClient::new(
        &cfg("qbittorrent", &server.url),
        Secret::new("k"),
        HttpStats::new(),
    )
    .unwrap();
    let data = c.fetch().await.expect("odd fields do not fail the listing");
    let t = &data.torrents[hash];
    assert_eq!(
        t.state,
        TorrentState::Unknown("someStateFromQbittorrent6".into()),
        "a new state is kept as unknown, not guessed"
    );
    assert_eq!(t.progress, 1.0, "progress 7.5 is clamped to 1");
    assert_eq!(t.size, 0, "a negative size is not a size");
    assert_eq!(t.amount_left, 0);
    assert_eq!(t.dlspeed, 0);
    assert_eq!(t.eta_secs, None, "eta 8640000 means unknown");
    assert_eq!(t.name, "Film");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_50_mb_body_and_a_body_that_never_ends_fail_within_the_timeout() {
    let server = Server::start(Answer::Huge {
        size: 50 * 1024 * 1024,
    })
    .await;
    for (name, r) in every_client(&server).await {
        let e = r.expect_err("50 MB is refused");
        assert!(
            matches!(e.kind, ErrorKind::BadResponse | ErrorKind::Timeout),
            "{name}: a 50 MB answer is refused: {e:?}"
        );
    }
    server.set(Answer::raw(
        200,
        "application/json",
        &vec![b' '; 50 * 1024 * 1024],
    ));
    for (name, r) in every_client(&server).await {
        let e = r.expect_err("50 MB is refused");
        assert_eq!(
            e.kind,
            ErrorKind::BadResponse,
            "{name}: a 50 MB Content-Length is refused: {e:?}"
        );
    }
    server.set(Answer::Drip);
    for name in CLIENTS {
        let started = Instant::now();
        let r = fetch(name, server.url.clone())
            .await
            .unwrap_or_else(|f| panic!("{f}"));
        let e = r.expect_err("an endless body fails");
        assert_eq!(e.kind, ErrorKind::Timeout, "{name}: {e:?}");
        assert!(
            started.elapsed() < TIMEOUT * 3,
            "{name}: an endless body costs the request timeout, not more: {:?}",
            started.elapsed()
        );
    }
}

/// The real payloads in tests/fixtures (JSON files only).
fn fixtures() -> Vec<Value> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
    let mut out: Vec<Value> = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(root)];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "json") {
                if let Ok(v) = serde_json::from_slice(&std::fs::read(&p).unwrap()) {
                    out.push(v);
                }
            }
        }
    }
    out.sort_by_key(|v| v.to_string());
    assert!(out.len() >= 20, "the fixtures are found: {}", out.len());
    out
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just("downloading".to_string()),
            Just("completed".to_string()),
            Just("importBlocked".to_string()),
            Just("".to_string()),
            ".{0,12}",
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("records".to_string()),
                    Just("results".to_string()),
                    Just("Items".to_string()),
                    Just("torrents".to_string()),
                    Just("status".to_string()),
                    Just("id".to_string()),
                    "[a-zA-Z_]{1,10}",
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Replaces the node at a pseudo-random position (by `pick`) with `new`.
fn mutate(v: &mut Value, pick: &mut u64, new: &Value) -> bool {
    if *pick == 0 {
        *v = new.clone();
        return true;
    }
    *pick -= 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|x| mutate(x, pick, new)),
        Value::Object(m) => m.values_mut().any(|x| mutate(x, pick, new)),
        _ => false,
    }
}

fn fixture_mutation() -> impl Strategy<Value = Value> {
    let n = fixtures().len();
    (0..n, any::<u64>(), 1..4usize, any_json()).prop_map(|(i, seed, count, new)| {
        let mut v = fixtures()[i].clone();
        let mut rng = seed;
        for _ in 0..count {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let mut pick = (rng >> 33) % 200;
            mutate(&mut v, &mut pick, &new);
        }
        v
    })
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(32)
}

/// The property: whatever JSON a service sends, every fetch returns (Ok or a
/// classified error) within the bound and does not panic.
fn check_every_client(rt: &tokio::runtime::Runtime, server: &Server, v: &Value) {
    server.set(Answer::json(v));
    rt.block_on(every_client(server));
}

fn runtime_and_server() -> (tokio::runtime::Runtime, Server) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(Server::start(Answer::json(&Value::Null)));
    (rt, server)
}

/// Feeds `cases()` inputs drawn from `inputs` to all six clients.
fn fuzz_every_client(name: &str, inputs: impl Strategy<Value = Value>) {
    let (rt, server) = runtime_and_server();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&inputs, |v| {
            check_every_client(&rt, &server, &v);
            Ok(())
        })
        .unwrap();
    eprintln!("{name}: {} inputs x 6 clients passed", cases());
}

#[test]
fn fuzz_random_json_against_every_client() {
    fuzz_every_client("fuzz_random_json_against_every_client", any_json());
}

#[test]
fn fuzz_mutated_fixtures_against_every_client() {
    fuzz_every_client(
        "fuzz_mutated_fixtures_against_every_client",
        fixture_mutation(),
    );
}
