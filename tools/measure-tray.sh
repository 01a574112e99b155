#!/usr/bin/env bash
# Binary size, time to tray and tray-only memory of the desktop app, under a
# virtual X server and a private D-Bus session: tools/measure-tray.sh [BINARY] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
exec xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- /usr/bin/python3 tools/measure_tray.py "$@"
