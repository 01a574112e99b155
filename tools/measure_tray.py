#!/usr/bin/env python3
"""Measures the desktop app's tray: binary size, time from launch to the
tray icon registered on D-Bus, and the memory of the tray-only app.

    tools/measure-tray.sh [BINARY] [RUNS]

Runs inside a virtual X server and a private D-Bus session (measure-tray.sh
starts both), with the test suite's StatusNotifierWatcher standing in for
a panel. The app runs `--hidden demo` (tray only, the built-in simulated
stack, its own data dir), so no window and no GL driver count.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WATCHER = os.path.join(HERE, "..", "tests", "support", "sni_watcher.py")


def wait_for(what, secs, pred):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.005)
    raise SystemExit(f"timed out waiting for {what}")


def kb(pid, field, path="status"):
    with open(f"/proc/{pid}/{path}", encoding="utf-8") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def one_run(binary):
    with tempfile.TemporaryDirectory() as d:
        items = os.path.join(d, "tray-items")
        watcher = subprocess.Popen([sys.executable, WATCHER, items], stdout=subprocess.DEVNULL)
        try:
            wait_for("the watcher", 10, lambda: os.path.exists(items))
            env = dict(os.environ, XDG_STATE_HOME=os.path.join(d, "state"),
                       XDG_CONFIG_HOME=os.path.join(d, "config"),
                       XDG_DATA_HOME=os.path.join(d, "data"))
            start = time.monotonic()
            app = subprocess.Popen([binary, "--hidden", "--data-dir", os.path.join(d, "app"),
                                    "--config", os.path.join(d, "config.toml"), "demo"],
                                   env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_for("the tray icon", 60, lambda: os.path.getsize(items) > 0)
                to_tray = time.monotonic() - start
                time.sleep(5)
                rss = kb(app.pid, "VmRSS")
                pss = kb(app.pid, "Pss", "smaps_rollup")
                with open(f"/proc/{app.pid}/maps", encoding="utf-8") as f:
                    maps = f.read()
                indicator = sorted({l.split()[-1].rsplit("/", 1)[-1] for l in maps.splitlines()
                                    if "appindicator" in l})
            finally:
                app.terminate()
                app.wait(20)
        finally:
            watcher.terminate()
            watcher.wait(10)
    return to_tray, rss, pss, indicator


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "target/release/status-tracker")
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    results = [one_run(binary) for _ in range(runs)]
    med = lambda i: statistics.median(r[i] for r in results)
    print(f"binary: {binary}")
    print(f"| binary size | {os.path.getsize(binary) / 1e6:.2f} MB |")
    print(f"| time to tray (median of {runs}) | {med(0) * 1000:.0f} ms "
          f"(min {min(r[0] for r in results) * 1000:.0f}, max {max(r[0] for r in results) * 1000:.0f}) |")
    print(f"| RSS, tray only, 5 s after (median) | {med(1) / 1024:.1f} MB |")
    print(f"| PSS, tray only, 5 s after (median) | {med(2) / 1024:.1f} MB |")
    print(f"| appindicator library mapped | {', '.join(results[0][3]) or 'none'} |")


if __name__ == "__main__":
    main()
