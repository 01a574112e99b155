#!/usr/bin/env bash
# Runs every performance measurement of issue 4 and writes docs/performance.md:
#   1. reconcile cost (criterion, benches/reconcile.rs), and its work in
#      instructions (the same bench under valgrind's cachegrind)
#   2. requests/bytes per cycle, cycle latency, detection latency (benches/cycle.rs)
#   3. first contact (issue 13): the release binary's first poll --once and
#      watch at 1,000 and 10,000 requests (benches/first_contact.rs)
#   4. footprint of the real app under Xvfb on the simulated stack: PSS in three
#      states, idle CPU, time to tray icon, stripped binary size.
# Needs: xvfb-run, dbus-run-session, /usr/bin/python3 with python3-dbus,
# python3-gi, python3-xlib and valgrind (tools/setup.sh installs them).
# Takes about 20 minutes on 2 cores (two optimized builds, then ~7 minutes of runs).
#
# Options: --quick (smaller cycle bench), --skip-build (use existing binaries).
#
# The benches are built with the release settings except LTO and codegen-units
# (CARGO_PROFILE_BENCH_*): cargo builds bench targets with panic=unwind, so they
# cannot share the release artifacts anyway, and a fat-LTO build of every
# dependency a second time would double the run time. The app's figures come
# from the real release binary (target/release/status-tracker).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
PY=/usr/bin/python3

quick=""
skip_build=""
for a in "$@"; do
  case "$a" in
    --quick) quick="--quick" ;;
    --skip-build) skip_build=1 ;;
    *) echo "usage: tools/bench.sh [--quick] [--skip-build]" >&2; exit 2 ;;
  esac
done

# valgrind: the reconcile growth check counts instructions with cachegrind;
# GNU time: the first-contact bench's peak RSS of each run.
bash tools/setup.sh valgrind time

out=docs/performance.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CARGO_PROFILE_BENCH_LTO=false CARGO_PROFILE_BENCH_CODEGEN_UNITS=16

if [ -z "$skip_build" ]; then
  echo "bench: building the release app" >&2
  cargo build --release --locked
  echo "bench: building the benches" >&2
  cargo bench --locked --no-run
fi

# ---------------------------------------------------------------- reconcile
echo "bench: reconcile (criterion)" >&2
cargo bench --locked --bench reconcile -- --warm-up-time 1 --measurement-time 3 >"$work/reconcile.log" 2>&1 \
  || { cat "$work/reconcile.log" >&2; exit 1; }
# The work of one cycle, counted: instructions (cachegrind) of 4 cycles minus
# those of 1, over 3. Unlike time, the count does not depend on the caches or
# on what else the host runs, so it is what the growth check judges.
echo "bench: reconcile instruction counts (cachegrind)" >&2
rbin=$(cargo bench --locked --bench reconcile --no-run 2>&1 \
  | sed -n 's/.*Executable benches\/reconcile.rs (\(.*\))$/\1/p')
[ -x "$rbin" ] || { echo "bench: no reconcile bench binary" >&2; exit 1; }
instructions() { # case:n:iterations -> instruction count
  RECONCILE_RUN=$1 valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$rbin" 2>&1 \
    | awk '/I +refs:/ {gsub(",", "", $4); print $4}'
}
: >"$work/instructions.tsv"
for c in first steady steady_jellyfin_changed sweep; do
  for n in 1000 10000 20000; do
    one=$(instructions "$c:$n:1"); four=$(instructions "$c:$n:4")
    [ -n "$one" ] && [ -n "$four" ] || { echo "bench: cachegrind counted nothing for $c at $n" >&2; exit 1; }
    echo "$c $n $(( (four - one) / 3 ))" >>"$work/instructions.tsv"
  done
done
$PY - "$work/reconcile.md" "$work/instructions.tsv" <<'EOF'
import json, os, sys
rows = []
base = "target/criterion/reconcile"
ms = {}
cases = ("first", "steady", "steady_jellyfin_changed", "sweep")
for case in cases:
    for n in (100, 1000, 10000, 20000):
        p = os.path.join(base, case, str(n), "new", "estimates.json")
        with open(p) as f:
            e = json.load(f)
        ms[(case, n)] = (e["median"]["point_estimate"] / 1e6, e["mean"]["confidence_interval"])
for case in ("steady_cold", "steady_jellyfin_changed_cold", "sweep_cold"):
    for n in (1000, 10000, 20000):
        with open(os.path.join(base, case, str(n), "new", "estimates.json")) as f:
            ms[(case, n)] = (json.load(f)["median"]["point_estimate"] / 1e6, None)
out = ["### Reconcile cost (criterion)\n",
       "Reconcile over n requests and n torrents (60 % films, 40 % series of 8 episodes, "
       "10 % anime, ~80 % available, ~20 % in the pipeline). *first*: empty records, every request "
       "new (once in the life of a database). *steady*: an ordinary cycle of a steady state, what the "
       "clients hand over then (no Jellyseerr request modified, no unread *arr history, the *arr "
       "details and Jellyfin episodes of the wanted media only), through one `Reconciler` as the poller "
       "runs it (Jellyfin's data unchanged, its index kept); *Jellyfin changed*: the same cycle with "
       "Jellyfin's items indexed again; *sweep*: the full re-read every 15 min (Jellyseerr's complete "
       "listing, every series with its episodes). Nothing changes in the three steady cases (checked). "
       "Median of criterion's samples.\n",
       "| requests | first cycle | steady cycle | steady, Jellyfin changed | sweep | steady µs per request | sweep µs per request |",
       "|---:|---:|---:|---:|---:|---:|---:|"]
for n in (100, 1000, 10000, 20000):
    f, s, j, w = (ms[(c, n)][0] for c in cases)
    out.append(f"| {n:,} | {f:.3f} ms | {s:.3f} ms | {j:.3f} ms | {w:.3f} ms | {s * 1000 / n:.2f} | {w * 1000 / n:.2f} |")
at = lambda c: ms[(c, 10000)][0]
worst = max(at(c) for c in cases[1:])
# Instructions per request, by case and size.
ins = {}
for line in open(sys.argv[2]):
    c, n, count = line.split()
    ins[(c, int(n))] = int(count) / int(n)
out += ["", "Work per request, counted: instructions of one cycle over n (cachegrind, `RECONCILE_RUN`; unlike time, nearly the same from one run to the next, and blind to the caches).", "",
        "| requests | first cycle | steady cycle | steady, Jellyfin changed | sweep |", "|---:|---:|---:|---:|---:|"]
for n in (1000, 10000, 20000):
    out.append(f"| {n:,} | " + " | ".join(f"{ins[(c, n)]:,.0f}" for c in cases) + " |")
# Growth no worse than linear: the work per request at 10,000 within 1.5x of
# that at 1,000. Time per request is printed beside it: it also grows with the
# price of reaching memory (1,000 requests stay in the caches between two
# iterations, 10,000 do not) and varies between runs on a shared host.
gi = {c: ins[(c, 10000)] / ins[(c, 1000)] for c in cases}
gi2 = {c: ins[(c, 20000)] / ins[(c, 10000)] for c in cases}
g = {c: ms[(c, 10000)][0] / 10000 / (ms[(c, 1000)][0] / 1000) for c in cases}
g2 = {c: ms[(c, 20000)][0] / 20000 / (ms[(c, 10000)][0] / 10000) for c in cases}
gc = {c: ms[(c + "_cold", 10000)][0] / 10000 / (ms[(c + "_cold", 1000)][0] / 1000) for c in cases[1:]}
g2c = {c: ms[(c + "_cold", 20000)][0] / 20000 / (ms[(c + "_cold", 10000)][0] / 10000) for c in cases[1:]}
names = {"first": "first", "steady": "steady", "steady_jellyfin_changed": "Jellyfin changed", "sweep": "sweep"}
each = lambda d, cs: ", ".join(f"{names[c]} {d[c]:.2f}x" for c in cs)
v = lambda ok: "pass" if ok else "**miss**"
out += ["", "| target | measured | result |", "|---|---|---|",
        f"| 10,000 requests < 10 ms per cycle | steady {at('steady'):.2f} ms, Jellyfin changed {at('steady_jellyfin_changed'):.2f} ms, sweep {at('sweep'):.2f} ms | {v(worst < 10)} |",
        f"| growth no worse than linear: instructions per request at 10,000 / at 1,000 ≤ 1.5x | {each(gi, cases[1:])} (first {gi['first']:.2f}x) | {v(max(gi[c] for c in cases[1:]) <= 1.5)} |",
        f"| (no target) instructions per request, 20,000 / 10,000 | {each(gi2, cases)} | — |",
        f"| (no target) time per request, 10,000 / 1,000, hot caches | {each(g, cases)} | — |",
        f"| (no target) time per request, 10,000 / 1,000, cold caches (48 MB written before each iteration) | {each(gc, cases[1:])}; at 10,000: " + ", ".join(f"{names[c]} {ms[(c + '_cold', 10000)][0]:.2f} ms" for c in cases[1:]) + " | — |",
        f"| (no target) time per request, 20,000 / 10,000 | hot: {each(g2, cases)}; cold: {each(g2c, cases[1:])} | — |",
        f"| (no per-cycle target) first cycle ever, 10,000 new requests | {at('first'):.2f} ms | — |", ""]
open(sys.argv[1], "w").write("\n".join(out) + "\n")
EOF

# ---------------------------------------------------------------- cycle
echo "bench: poll cycles against the simulated stack" >&2
cargo bench --locked --bench cycle -- $quick >"$work/cycle.md" 2>"$work/cycle.log" \
  || { cat "$work/cycle.log" >&2; exit 1; }

# ---------------------------------------------------------------- footprint
echo "bench: footprint of the real app (Xvfb)" >&2
# `cargo bench` writes its own (unwind, no-LTO) build of the binary to the
# same target/release/status-tracker path: put the release build back (a
# re-link when it is fresh) and measure a copy of it.
cargo build --release --locked
bin=$work/status-tracker
cp target/release/status-tracker "$bin"
cat >"$work/footprint.sh" <<'EOF'
#!/usr/bin/env bash
# Runs inside xvfb-run + dbus-run-session.
set -euo pipefail
bin=$1; work=$2; PY=/usr/bin/python3
items=$work/items; : >"$items"
$PY tests/support/sni_watcher.py "$items" & watcher=$!
for _ in $(seq 50); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.ListNames 2>/dev/null \
    | grep -q org.kde.StatusNotifierWatcher && break
  sleep 0.1
done
mkdir -p "$work/cfg" "$work/data"
# 100 requests, ~20 % active, on 127.0.0.1:47310..47315, with a config for them.
"$bin" sim --port 47310 --requests 100 --write-config "$work/cfg/config.toml" >"$work/sim.log" 2>&1 & sim=$!
for _ in $(seq 100); do [ -s "$work/cfg/config.toml" ] && break; sleep 0.1; done
sleep 1
# The sim's secrets (the same as sim::sim_env).
export STATUS_TRACKER_JELLYSEERR_API_KEY=sim-jellyseerr-0123456789abcdef
export STATUS_TRACKER_RADARR_API_KEY=simradarr0123456789abcdef0123456
export STATUS_TRACKER_SONARR_API_KEY=simsonarr0123456789abcdef0123456
export STATUS_TRACKER_JELLYFIN_API_KEY=simjellyfin0123456789abcdef01234
export STATUS_TRACKER_QBITTORRENT_PASSWORD=adminadmin
export STATUS_TRACKER_SHOKO_PASSWORD=sim-shoko-password
export STATUS_TRACKER_CONFIG=$work/cfg/config.toml STATUS_TRACKER_DATA_DIR=$work/data
export NO_AT_BRIDGE=1

descendants() { # pid and every descendant
  local p=$1; echo "$p"
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do descendants "$c"; done
}
pss() { # total PSS in kB of the app and its descendants, plus the list
  local total=0 line=""
  for p in $(descendants "$1"); do
    local k; k=$(awk '/^Pss:/ {print $2}' /proc/"$p"/smaps_rollup 2>/dev/null || echo 0)
    total=$((total + ${k:-0})); line+="$(cat /proc/"$p"/comm 2>/dev/null)=${k:-0} "
  done
  echo "$total $line"
}
now_ms() { date +%s%3N; }

t0=$(now_ms)
STATUS_TRACKER_START_HIDDEN=1 "$bin" >"$work/app.log" 2>&1 & app=$!
while [ ! -s "$items" ] && [ $(( $(now_ms) - t0 )) -lt 20000 ]; do sleep 0.02; done
t_tray=$(( $(now_ms) - t0 ))
[ -s "$items" ] || t_tray=-1
sleep 10
echo "tray_ms $t_tray"
echo "pss_tray $(pss $app)"
# Idle CPU over 60 s of polling (tray only).
ticks() { awk '{print $14 + $15}' /proc/"$1"/stat; }
c0=$(ticks $app); s0=$(now_ms); sleep 60; c1=$(ticks $app); s1=$(now_ms)
hz=$(getconf CLK_TCK)
echo "cpu_idle $(awk -v c=$((c1 - c0)) -v hz=$hz -v ms=$((s1 - s0)) 'BEGIN {printf "%.3f", 100 * c / hz / (ms / 1000)}')"
# Open the main window: a second launch wakes the running instance.
"$bin" >/dev/null 2>&1 || true
win=""
for _ in $(seq 100); do
  win=$($PY tests/support/close_window.py "$app" list 2>/dev/null | head -1 | cut -d' ' -f1 || true)
  [ -n "$win" ] && break; sleep 0.1
done
sleep 10
echo "window_id ${win:-none}"
echo "pss_window $(pss $app)"
# Close it the way a window manager does when the user clicks the close
# button (tests/support/close_window.py: a WM_DELETE_WINDOW client message).
if [ -n "$win" ]; then
  $PY tests/support/close_window.py "$app" >/dev/null
fi
sleep 10
echo "pss_closed $(pss $app)"
echo "alive $(kill -0 $app 2>/dev/null && echo yes || echo no)"
kill $app $sim $watcher 2>/dev/null || true
wait 2>/dev/null || true
EOF
chmod +x "$work/footprint.sh"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- "$work/footprint.sh" "$bin" "$work" >"$work/footprint.txt" 2>"$work/footprint.log" \
  || { cat "$work/footprint.log" >&2; exit 1; }
# The app's own log of that run, kept for a look when a figure is odd.
cp "$work/app.log" target/bench-app.log 2>/dev/null || true
cp "$bin" "$work/stripped" && strip "$work/stripped"
size_bytes=$(stat -c %s "$work/stripped")
$PY - "$work/footprint.txt" "$size_bytes" "$work/footprint.md" <<'EOF'
import sys
vals = {}
for line in open(sys.argv[1]):
    k, _, rest = line.strip().partition(" ")
    vals[k] = rest
size = int(sys.argv[2])
def pss(k):
    total, _, detail = vals.get(k, "0").partition(" ")
    return int(total) / 1024, detail
v = lambda ok: "pass" if ok else "**miss**"
tray, dt = pss("pss_tray"); win, dw = pss("pss_window"); closed, dc = pss("pss_closed")
cpu = float(vals.get("cpu_idle", "nan")); tray_ms = int(vals.get("tray_ms", "-1"))
opened = vals.get("window_id", "none") != "none"
out = ["### Footprint of the desktop app\n",
       "The release build (`cargo build --release`: LTO, opt-level s, stripped) under `xvfb-run -a dbus-run-session` with `tests/support/sni_watcher.py` as the tray host, "
       "polling `status-tracker sim` (the simulated stack) at the default cadence. PSS from `/proc/PID/smaps_rollup`, "
       "summed over the app and its descendants (WebKitWebProcess, WebKitNetworkProcess). "
       "Tray only: `STATUS_TRACKER_START_HIDDEN=1`, 10 s after launch. Window: opened by a second launch, measured 10 s later. "
       "Closed: the window manager's close message (WM_DELETE_WINDOW, as the title bar's close button sends), 10 s later.\n",
       "| measure | value | target | result |", "|---|---:|---:|---|",
       f"| PSS, tray only | {tray:.1f} MB | < 80 MB | {v(tray < 80)} |",
       f"| PSS, main window open | {win:.1f} MB | < 250 MB | {v(opened and win < 250)} |",
       f"| PSS, 10 s after closing the window | {closed:.1f} MB | < 100 MB | {v(opened and closed < 100)} |",
       f"| CPU, 60 s of idle polling (tray only) | {cpu:.2f} % of a core | < 0.5 % | {v(cpu < 0.5)} |",
       f"| launch to tray icon registered | {tray_ms} ms | < 1000 ms | {v(0 <= tray_ms < 1000)} |",
       f"| stripped release binary | {size / 1e6:.1f} MB | < 15 MB | {v(size < 15e6)} |", "",
       "Per process (kB): tray only: " + dt + "; window open: " + dw + "; after closing: " + dc + ".", ""]
if not opened:
    out.append("The main window was not found (tests/support/close_window.py, by pid), so the window figures are not valid.\n")
open(sys.argv[3], "w").write("\n".join(out) + "\n")
EOF

# ---------------------------------------------------------------- first contact
# The release binary copied above ($bin), not the bench build of it.
echo "bench: first contact with a library of 1,000 and 10,000 requests" >&2
STATUS_TRACKER_BIN=$bin cargo bench --locked --bench first_contact -- $quick \
  >"$work/first_contact.md" 2>"$work/first_contact.log" \
  || { cat "$work/first_contact.log" >&2; exit 1; }

# ---------------------------------------------------------------- report
{
  echo "# Performance"
  echo
  echo "Written by \`tools/bench.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); targets from issue 4."
  echo
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo) memory; $(rustc --version)."
  echo
  cat "$work/reconcile.md"
  echo
  cat "$work/cycle.md"
  cat "$work/first_contact.md"
  cat "$work/footprint.md"
} >"$out"
echo "bench: wrote $out" >&2
