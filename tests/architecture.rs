//! The architecture invariants of docs/ARCHITECTURE.md that can be seen in
//! the source text: the domain core does no I/O, reads no clock and speaks
//! no SQL; only `app/` knows Tauri; `cli` and `app` never import each other;
//! no source file grows past 1,000 lines (tests aside).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src-tauri")
}

/// Every `.rs` file below `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// A test file (`tests.rs`, `*_tests.rs`, anything in a `tests/` folder) or not.
fn is_test_file(path: &Path) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    name == "tests.rs"
        || name.ends_with("_tests.rs")
        || path
            .parent()
            .is_some_and(|p| p.components().any(|c| c.as_os_str() == "tests"))
}

/// The code lines of a file, without comments and without its trailing
/// `#[cfg(test)]` module (unit tests may read clocks and files).
fn code_lines(path: &Path) -> Vec<(usize, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") {
            break;
        }
        if trimmed.starts_with("//") {
            continue;
        }
        let code = line.split(" //").next().unwrap_or(line);
        out.push((i + 1, code.to_string()));
    }
    out
}

fn rel(path: &Path) -> String {
    path.strip_prefix(env!("CARGO_MANIFEST_DIR"))
        .unwrap()
        .display()
        .to_string()
}

/// `(file:line, the line)` of every code line below `dir` (tests aside)
/// containing one of `needles`.
fn find(dir: &Path, needles: &[&str], skip: impl Fn(&Path) -> bool) -> Vec<String> {
    let mut hits = Vec::new();
    for file in rust_files(dir) {
        if is_test_file(&file) || skip(&file) {
            continue;
        }
        for (n, line) in code_lines(&file) {
            if needles.iter().any(|needle| line.contains(needle)) {
                hits.push(format!("{}:{n}: {}", rel(&file), line.trim()));
            }
        }
    }
    hits
}

#[test]
fn the_domain_core_does_no_io_reads_no_clock_and_speaks_no_sql() {
    let hits = find(
        &root().join("tracker"),
        &[
            "std::fs",
            "std::net",
            "std::env",
            "std::process",
            "std::io",
            "tokio",
            "reqwest",
            "rusqlite",
            "Utc::now",
            "Local::now",
            "SystemTime",
            "Instant::now",
            "println!",
            "eprintln!",
            "crate::store",
            "crate::services",
            "crate::poller",
            "SELECT ",
        ],
        |_| false,
    );
    assert!(
        hits.is_empty(),
        "tracker/ is pure (the clock comes in as `now`, the data as a snapshot):\n{}",
        hits.join("\n")
    );
}

#[test]
fn only_the_desktop_shell_knows_tauri() {
    let app = root().join("app");
    let hits = find(&root(), &["tauri::", "tauri_plugin", "use tauri"], |f| {
        f.starts_with(&app) || f.ends_with("build.rs")
    });
    assert!(
        hits.is_empty(),
        "only app/ (and build.rs) may use Tauri:\n{}",
        hits.join("\n")
    );
}

#[test]
fn the_cli_and_the_desktop_shell_never_import_each_other() {
    let app_uses_cli = find(&root().join("app"), &["crate::cli"], |_| false);
    assert!(
        app_uses_cli.is_empty(),
        "app/ imports cli (shared shapes belong in contract.rs):\n{}",
        app_uses_cli.join("\n")
    );
    let cli = root().join("cli.rs");
    let cli_uses_app: Vec<String> = code_lines(&cli)
        .into_iter()
        .filter(|(_, l)| l.contains("crate::app") || l.contains("app::"))
        .map(|(n, l)| format!("cli.rs:{n}: {}", l.trim()))
        .collect();
    assert!(
        cli_uses_app.is_empty(),
        "cli.rs starts the GUI itself (lib.rs dispatches):\n{}",
        cli_uses_app.join("\n")
    );
}

const MAX_LINES: usize = 1000;

#[test]
fn no_source_file_grows_past_a_thousand_lines() {
    let mut over = Vec::new();
    for file in rust_files(&root()) {
        if is_test_file(&file) {
            continue;
        }
        let lines = std::fs::read_to_string(&file).unwrap().lines().count();
        if lines > MAX_LINES {
            over.push(format!("{}: {lines} lines", rel(&file)));
        }
    }
    assert!(
        over.is_empty(),
        "split by concern (tests may live in a tests.rs or *_tests.rs beside the code):\n{}",
        over.join("\n")
    );
}
