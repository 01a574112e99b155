#!/usr/bin/env bash
# Runs the desktop tests (real window, tray over D-Bus, notifications) inside
# a virtual X server and a private D-Bus session.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# A test that waits on something nobody will answer (a password prompt on the
# virtual display, say) fails the run after 30 minutes instead of eating CI's.
exec timeout --kill-after=60 1800 \
  xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- \
  cargo test --locked --test desktop --test webview -- --ignored --test-threads=1 "$@"
