#!/usr/bin/env bash
# Builds the Debian package with tauri-cli, installs it with apt, and checks
# that the installed binary starts. Usage: bash tools/package-deb.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash tools/setup.sh
# Bundling needs the appindicator headers; tauri-cli comes from crates.io.
if ! dpkg-query -W -f='${Status}' libayatana-appindicator3-dev 2>/dev/null | grep -q "install ok installed"; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends libayatana-appindicator3-dev >/dev/null
fi
if ! cargo tauri --version >/dev/null 2>&1; then
  echo "package: installing tauri-cli (takes several minutes on 2 cores)"
  cargo install tauri-cli --version ^2 --locked --quiet
fi

cargo tauri build --bundles deb
target="${CARGO_TARGET_DIR:-target}"
built=$(ls -t "$target"/release/bundle/deb/*.deb | head -n 1)
# tauri names the file after the product name ("Status Tracker_..."); the
# package itself is status-tracker: give the file the usual Debian name.
version=$(dpkg-deb --field "$built" Version)
arch=$(dpkg-deb --field "$built" Architecture)
deb="$target/release/bundle/deb/status-tracker_${version}_${arch}.deb"
[ "$built" = "$deb" ] || cp "$built" "$deb"
echo "package: built $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --field "$deb" Package Version Depends

sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$(realpath "$deb")" >/dev/null
test -x /usr/bin/status-tracker
ls /usr/share/applications/ | grep -i status
/usr/bin/status-tracker --version
# The installed app starts: the terminal demo runs its simulated stack and polls.
out=$(timeout 8 /usr/bin/status-tracker demo --headless 2>&1 || true)
echo "$out" | head -5
echo "$out" | grep -q "demo: simulated stack on http://127.0.0.1:" || { echo "package: the installed binary did not start" >&2; exit 1; }
echo "package: ok"
