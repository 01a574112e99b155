//! Bad config: unknown keys, a wrong URL, a secret in the file, a file that
//! cannot be read. `poll --once`, `check` and `watch` exit 2 with a message
//! saying what to fix, and the existing data dir is left byte for byte as it
//! was.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;

use common::Stack;

/// Every file of the data dir, with its bytes.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .map(|e| {
            (
                e.file_name().to_string_lossy().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_config_exits_2_says_what_to_fix_and_leaves_the_data_alone() {
    let mut s = Stack::start().await;
    let w = s.world();
    w.add_movie(693134, "Dune: Part Two", 2024, false);
    w.request_movie(693134, "alice").unwrap();
    s.poll().await;
    let good = std::fs::read_to_string(&s.config).unwrap();
    let before = snapshot(&s.data_dir());
    assert!(!before.is_empty(), "the data dir holds the store");

    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "unknown key",
            good.replacen("[radarr]\n", "[radarr]\nurll = \"x\"\n", 1),
            &["unknown key", "radarr.urll", "url"],
        ),
        (
            "unknown section",
            format!("{good}\n[plex]\nurl = \"http://x\"\n"),
            &["unknown key", "plex"],
        ),
        (
            "a wrong URL",
            good.replacen("[radarr]\nurl = \"", "[radarr]\nurl = \"htp//", 1),
            &["radarr.url"],
        ),
        (
            "a secret in the file",
            good.replacen(
                "[radarr]\n",
                "[radarr]\napi_key = \"simradarr0123456789abcdef0123456\"\n",
                1,
            ),
            &["secret", "STATUS_TRACKER_RADARR_API_KEY", "keyring"],
        ),
        (
            "credentials in the URL",
            good.replacen("http://127.0.0.1", "http://admin:hunter2@127.0.0.1", 1),
            &["jellyseerr.url"],
        ),
        ("not TOML", "[radarr\nurl=".to_string(), &["not valid TOML"]),
    ];
    for (what, text, says) in cases {
        std::fs::write(&s.config, &text).unwrap();
        for cmd in [&["poll", "--once"][..], &["check"], &["watch"]] {
            let out = s.cli(cmd).await;
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{what}: `{cmd:?}` exits 2: {err}"
            );
            for s in says {
                assert!(err.contains(s), "{what}: the message names {s:?}: {err}");
            }
            assert!(
                !err.contains("hunter2") && !err.contains("simradarr0123456789abcdef0123456"),
                "{what}: the message never repeats a secret: {err}"
            );
        }
        assert_eq!(
            snapshot(&s.data_dir()),
            before,
            "{what}: the data dir is untouched"
        );
    }

    // Unreadable: a directory where the file should be (root reads any file
    // whatever its mode), and a missing parent directory.
    let as_dir = s.dir.path().join("config-dir.toml");
    std::fs::create_dir(&as_dir).unwrap();
    for (what, path, says) in [
        ("a directory", as_dir.clone(), "cannot read the config file"),
        (
            "a missing parent",
            s.dir.path().join("nope/config.toml"),
            "no config file",
        ),
    ] {
        s.config = path.clone();
        for cmd in [&["poll", "--once"][..], &["check"], &["watch"]] {
            let out = s.cli(cmd).await;
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{what}: {cmd:?}: {err}");
            assert!(
                err.contains(says) && err.contains(path.to_str().unwrap()),
                "{what}: the message names the file and the problem: {err}"
            );
        }
        assert_eq!(snapshot(&s.data_dir()), before, "{what}: data untouched");
    }
}
