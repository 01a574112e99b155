#!/usr/bin/env bash
# Type-checks the UI's JavaScript against its JSDoc types (ui/types.js) with
# TypeScript (`tsc -p ui`; nothing is compiled or bundled). TypeScript comes
# from npm once into a cache outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${XDG_CACHE_HOME:-$HOME/.cache}/status-tracker-typescript"
tsc="$cache/node_modules/.bin/tsc"
if ! command -v npm >/dev/null 2>&1; then
  # Debian's Node.js and npm (a machine with another Node.js keeps its own).
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi
if [ ! -x "$tsc" ]; then
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-save --no-audit --no-fund --silent typescript@5 >/dev/null
fi
"$tsc" -p ui
echo "typecheck-ui: ui/*.js agree with ui/types.js"
