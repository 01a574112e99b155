#!/usr/bin/env bash
# Sets up the machine, builds Status Tracker and starts it on the built-in
# simulated media stack (nothing to configure, nothing written to your real data).
set -euo pipefail
cd "$(dirname "$0")/.."

bash tools/setup.sh
cargo run --locked --quiet -- demo "$@"
