#!/usr/bin/env bash
# Installs what building, running and testing Status Tracker needs on Debian/Ubuntu.
# Idempotent: installs only what is missing. Needs root or sudo for apt.
# Arguments: more Debian packages to install the same way.
set -euo pipefail

pkgs=(
  # build
  build-essential pkg-config libwebkit2gtk-4.1-dev
  # headless run and tests: X server, D-Bus session, Secret Service, notifications
  xvfb xauth dbus-daemon dbus-bin gnome-keyring dunst
  # desktop tests: a tray watcher, a menu client and a window closer
  # (tests/support/*.py), the real webview driver
  python3-dbus python3-gi python3-xlib webkit2gtk-driver
  # tests/tls.rs: a local HTTPS server with its own CA
  openssl
  # tests/stuck.rs: the CLI on a faked wall clock (libfaketime)
  faketime
  # tests against a real qBittorrent (tools/qbittorrent.sh, tests/real_qbittorrent.rs)
  qbittorrent-nox mktorrent curl
  # and whatever the caller needs beyond these (tools/bench.sh: valgrind)
  "$@"
)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found. Install Rust 1.90 or later with rustup (https://rustup.rs) and run this again." >&2
  exit 1
fi

# tauri-driver drives the app's real webview in tests/webview.rs.
if ! command -v tauri-driver >/dev/null 2>&1; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --version ^2 --locked --quiet
fi
