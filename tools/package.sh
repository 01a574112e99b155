#!/usr/bin/env bash
# Builds the Debian and RPM packages with tauri-cli; installs the .deb with
# apt and checks that the installed binary starts; checks with rpm that the
# .rpm declares its runtime dependencies and holds the binary, the desktop
# entry and the icons. Usage: bash tools/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

bash tools/setup.sh
# tauri-cli looks up the appindicator library when bundling any tray app
# (the app itself never loads it: its tray speaks D-Bus, see below); rpm
# reads the .rpm back;
# tauri-cli comes from crates.io.
for pkg in libayatana-appindicator3-dev rpm; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
  fi
done
if ! cargo tauri --version >/dev/null 2>&1; then
  echo "package: installing tauri-cli (takes several minutes on 2 cores)"
  cargo install tauri-cli --version ^2 --locked --quiet
fi

cargo tauri build --bundles deb,rpm
target="${CARGO_TARGET_DIR:-target}"
built=$(ls -t "$target"/release/bundle/deb/*.deb | head -n 1)
# tauri names the file after the product name ("Status Tracker_..."); the
# package itself is status-tracker: give the file the usual Debian name.
version=$(dpkg-deb --field "$built" Version)
arch=$(dpkg-deb --field "$built" Architecture)
deb="$target/release/bundle/deb/status-tracker_${version}_${arch}.deb"
# tauri-cli declares libayatana-appindicator3-1 for every tray app; this
# one's tray is a StatusNotifierItem served over D-Bus by the app itself
# (tray-icon's ksni backend) and never loads the library: take the
# dependency out so a desktop without it can install the package.
unpacked=$(mktemp -d)
dpkg-deb -R "$built" "$unpacked"
sed -i -E '/^Depends:/{s/libayatana-appindicator3-1(, )?//; s/, *$//}' "$unpacked/DEBIAN/control"
rm -f "$deb"
dpkg-deb --root-owner-group -b "$unpacked" "$deb" >/dev/null
rm -rf "$unpacked"
if dpkg-deb --field "$deb" Depends | grep -q appindicator; then
  echo "package: the .deb still depends on appindicator" >&2; exit 1
fi
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

# The .rpm (for Fedora/openSUSE; not installed here): its requirements and files.
built_rpm=$(ls -t "$target"/release/bundle/rpm/*.rpm | head -n 1)
# As for the .deb: the usual name-version-release.arch.rpm.
rpm_file="$target/release/bundle/rpm/$(rpm -qp --qf '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}.rpm' "$built_rpm" 2>/dev/null)"
[ "$built_rpm" = "$rpm_file" ] || cp "$built_rpm" "$rpm_file"
echo "package: built $rpm_file ($(du -h "$rpm_file" | cut -f1))"
requires=$(rpm -qpR "$rpm_file" 2>/dev/null)
files=$(rpm -qpl "$rpm_file" 2>/dev/null)
echo "$requires" | grep -v '^rpmlib' | sed 's/^/package: rpm requires /'
for dep in webkit2gtk4.1 gtk3; do
  echo "$requires" | grep -qx "$dep" || { echo "package: the .rpm does not require $dep" >&2; exit 1; }
done
# tauri-cli also makes every tray app's .rpm require libayatana-appindicator3.so.1
# (an automatic library requirement, which cannot be taken out without
# rebuilding the .rpm); the app never loads it. Fedora and openSUSE ship it.
for f in '/usr/bin/status-tracker' '/usr/share/applications/.*\.desktop' \
         '/usr/share/icons/hicolor/128x128/apps/status-tracker\.png'; do
  echo "$files" | grep -qx "$f" || { echo "package: the .rpm lacks $f" >&2; echo "$files" >&2; exit 1; }
done
echo "package: rpm holds $(echo "$files" | wc -l) files, the binary, the desktop entry and the icons among them"
echo "package: ok"
