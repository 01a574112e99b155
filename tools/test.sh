#!/usr/bin/env bash
# Sets up the machine and runs every check: formatting, clippy, and the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh

cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked --all-targets
