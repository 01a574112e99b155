#!/usr/bin/env bash
# Sets up the machine and runs every check: formatting, clippy, and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
bash tools/typecheck-ui.sh

# Two real qBittorrent instances for tests/real_qbittorrent.rs, stopped on
# any exit (success, failure or interrupt).
qbt_dir=$(mktemp -d "${TMPDIR:-/tmp}/status-tracker-qbt.XXXXXX")
cleanup_qbt() {
  bash tools/qbittorrent.sh stop "$qbt_dir" || true
  rm -rf "$qbt_dir"
}
trap cleanup_qbt EXIT
trap 'exit 130' INT TERM
bash tools/qbittorrent.sh start "$qbt_dir"
# shellcheck disable=SC1091
source "$qbt_dir/env"

# (benches are compiled by clippy above and run by tools/bench.sh)
cargo test --locked --lib --bins --tests

# The desktop app for real: window, tray over D-Bus, notifications, keyring,
# and the real webview through tauri-driver (under Xvfb and a D-Bus session).
bash tools/desktop-test.sh
