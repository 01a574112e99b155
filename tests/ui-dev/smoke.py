#!/usr/bin/env python3
"""DEV ONLY: smoke-test the UI pages against dev/mock-tauri.js with chromedriver.

No dependencies beyond the standard library (plain W3C WebDriver over HTTP).
Usage:  python3 -m http.server 8765 --bind 127.0.0.1 -d . &   # serve the repo root
        chromedriver --port=9515 &
        python3 tests/ui-dev/smoke.py [http://127.0.0.1:8765] [http://127.0.0.1:9515]
"""
import json
import sys
import tempfile
import time
import urllib.request

BASE = sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8765"
WD = sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:9515"
FAILS = []


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(WD + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read() or b"{}").get("value")


class Session:
    def __init__(self):
        caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--user-data-dir=" + tempfile.mkdtemp(), "--window-size=1100,750"]}}}}
        self.id = call("POST", "/session", caps)["sessionId"]

    def go(self, url):
        call("POST", f"/session/{self.id}/url", {"url": BASE + url})
        time.sleep(0.4)

    def js(self, script, *args):
        return call("POST", f"/session/{self.id}/execute/sync", {"script": script, "args": list(args)})

    def click(self, css):
        return self.js("document.querySelector(arguments[0]).click()", css)

    def close(self):
        call("DELETE", f"/session/{self.id}")


def check(cond, msg):
    print(("ok   " if cond else "FAIL ") + msg)
    if not cond:
        FAILS.append(msg)


def main_window(s):
    s.go("/tests/ui-dev/index.html")
    s.js("localStorage.clear()")
    s.go("/tests/ui-dev/index.html")
    phases = s.js("return [...document.querySelectorAll('section[data-phase]')].map(e => e.dataset.phase)")
    check(phases[0] == "FAILED", "FAILED group comes first: %s" % phases)
    check("ANIME_MATCHING" in phases and "GRABBING" in phases, "non-empty groups are shown")
    order = [p for p in ["REQUESTED", "APPROVED", "GRABBING", "DOWNLOADING", "DOWNLOAD_DONE", "IMPORTING",
                         "ANIME_MATCHING", "AVAILABLE"] if p in phases]
    check(phases[1:] == order, "the other groups follow the pipeline order")
    check(s.js("return document.querySelector('[data-request-id=\"12\"]') === null"), "deleted requests are not listed")
    title = s.js("return document.querySelector('[data-request-id=\"2\"] [data-testid=title]').textContent")
    check(title == "<img src=x onerror=alert(1)>", "a hostile title shows literally: %r" % title)
    check(s.js("return document.querySelectorAll('img[src=\"x\"], script:not([src])').length") == 0,
          "no element is created from service text")
    check(s.js("return document.querySelectorAll('.banner.warn').length") == 0, "no CSP violation or JS error banner")
    prog = s.js("return document.querySelector('[data-request-id=\"1\"] [data-testid=progress]').textContent")
    check("42.3%" in prog and "MB/s" in prog and "ETA" in prog, "downloading row shows percent, speed and ETA: %r" % prog)
    ep = s.js("return document.querySelector('[data-request-id=\"4\"] [data-testid=episodes]').textContent")
    check("downloaded 3/10" in ep, "series row shows episode counts: %r" % ep)
    check(s.js("return !!document.querySelector('[data-testid=service-sonarr].down')"), "sonarr chip is down")
    check("wrong credentials" in s.js("return document.querySelector('[data-testid=service-qbittorrent]').textContent"),
          "unauthorized service says wrong credentials")
    check(s.js("return document.querySelectorAll('[data-request-id=\"8\"] [data-testid=ack]').length") == 0,
          "acknowledged items have no Acknowledge button")
    s.click('[data-request-id="6"] [data-testid=ack]')
    time.sleep(0.3)
    check(s.js("return document.querySelectorAll('[data-request-id=\"6\"] [data-testid=ack]').length") == 0,
          "Acknowledge removes the button after the event")
    # Filters persist.
    s.js("const i = document.getElementById('f-text'); i.value = 'dune'; i.dispatchEvent(new Event('input'))")
    ids = s.js("return [...document.querySelectorAll('[data-request-id]')].map(e => e.dataset.requestId)")
    check(ids == ["1"], "title filter keeps only Dune: %s" % ids)
    s.go("/tests/ui-dev/index.html")
    ids = s.js("return [...document.querySelectorAll('[data-request-id]')].map(e => e.dataset.requestId)")
    check(ids == ["1"] and s.js("return document.getElementById('f-text').value") == "dune",
          "the filter survives a reload")
    s.js("localStorage.clear()")
    s.go("/tests/ui-dev/index.html")
    s.js("const f = document.getElementById('f-hide'); f.value = '7'; f.dispatchEvent(new Event('change'))")
    check(s.js("return document.querySelector('[data-request-id=\"9\"]') === null")
          and s.js("return document.querySelector('[data-request-id=\"10\"]') !== null"),
          "hide finished > 7 days hides the old AVAILABLE item only")
    s.js("const f = document.getElementById('f-type'); f.value = 'tv'; f.dispatchEvent(new Event('change'))")
    types = s.js("return [...document.querySelectorAll('[data-request-id] .tag:not(.anime)')].map(e => e.textContent)")
    check(set(types) == {"Series"}, "type filter keeps series only: %s" % set(types))
    s.js("localStorage.clear()")
    s.go("/tests/ui-dev/index.html")
    s.click("#btn-pause")
    time.sleep(0.2)
    check(s.js("return document.getElementById('btn-pause').textContent") == "Resume", "Pause turns into Resume")
    s.go("/tests/ui-dev/index.html?fail=poll_now")
    s.click("#btn-refresh")
    time.sleep(0.2)
    check("poll_now failed" in s.js("return document.getElementById('toolbar-error').textContent"),
          "a failing Refresh shows the error message")
    s.go("/tests/ui-dev/index.html?scenario=error")
    check("database is locked" in s.js("return document.body.textContent"), "a failing list_requests is shown")


def detail_window(s):
    s.go("/tests/ui-dev/detail.html?id=4")
    n = s.js("return document.querySelectorAll('[data-testid=timeline-row]').length")
    check(n >= 3, "timeline rows are listed (%d)" % n)
    cells = s.js("return document.querySelectorAll('[data-testid=episode]').length")
    check(cells == 12, "every episode has a cell (%d)" % cells)
    unaired = s.js("return [...document.querySelectorAll('[data-testid=episode].unaired')].map(e => e.textContent)")
    check(len(unaired) == 2 and any("TBA" in u for u in unaired), "unaired episodes show their air date: %s" % unaired)
    tip = s.js("return document.querySelector('[data-testid=episode][data-season=\"1\"][data-number=\"1\"]').title")
    check(tip.startswith("S01E01 — Anjin"), "episode title is in the tooltip: %r" % tip)
    check(s.js("return document.querySelectorAll('img[src=\"x\"], script:not([src])').length") == 0,
          "episode titles are not markup")
    s.click("[data-testid=link-arr]")
    time.sleep(0.2)
    check("xdg-open" in s.js("return document.querySelector('[data-testid=link-error]').textContent"),
          "a failing link shows its message")
    s.go("/tests/ui-dev/detail.html?id=2")
    check(s.js("return document.querySelector('[data-testid=title]').textContent") == "<img src=x onerror=alert(1)>",
          "detail title is literal")
    check(s.js("return document.querySelector('[data-testid=link-arr]') === null"), "absent links are not shown")
    s.go("/tests/ui-dev/detail.html?id=6")
    check(s.js("return !!document.querySelector('[data-testid=ack]')"), "detail offers Acknowledge when needed")
    s.js("window.__mockEmit('requests-changed', {changed_ids: [6]})")
    s.go("/tests/ui-dev/detail.html?id=999")
    check("no request 999" in s.js("return document.body.textContent"), "unknown id shows the error")
    check(s.js("return document.querySelectorAll('.banner.warn').length") == 0, "no CSP violation in detail")


def settings_window(s):
    s.go("/tests/ui-dev/settings.html")
    vals = s.js("return [...document.querySelectorAll('input[type=password]')].map(e => e.value)")
    check(len(vals) == 6 and all(v == "" for v in vals), "all six credential fields are empty on load")
    check(s.js("return document.querySelector('[data-testid=secret-radarr]').placeholder") == "•••••• (set)",
          "a stored secret shows as (set)")
    check(s.js("return document.querySelector('[data-testid=secret-jellyfin]').placeholder") == "not set",
          "a missing secret shows as not set")
    check(s.js("return document.querySelectorAll('[data-testid^=user-]').length") == 2,
          "username only for qbittorrent and shoko")
    s.click("[data-testid=test-sonarr]")
    time.sleep(0.6)
    r = s.js("return document.querySelector('[data-testid=result-sonarr]').textContent")
    check("connection refused" in r, "test shows the precise error: %r" % r)
    s.click("[data-testid=test-radarr]")
    time.sleep(0.6)
    check("1.2.3" in s.js("return document.querySelector('[data-testid=result-radarr]').textContent"),
          "test shows the version")
    s.js("document.querySelector('[data-testid=secret-jellyfin]').value = 'k'")
    s.click("[data-testid=save-jellyfin]")
    time.sleep(0.5)
    check("keyring" in s.js("return document.querySelector('[data-testid=result-jellyfin]').textContent"),
          "a failing save shows its message")
    s.js("document.querySelector('[data-testid=secret-radarr]').value = 'abc'")
    s.click("[data-testid=save-radarr]")
    time.sleep(0.5)
    check(s.js("return document.querySelector('[data-testid=secret-radarr]').value") == "",
          "the secret field is cleared after saving")
    s.js("document.querySelector('[data-testid=url-sonarr]').value = 'ftp://x'")
    s.click("[data-testid=save-sonarr]")
    check("http" in s.js("return document.querySelector('[data-testid=result-sonarr]').textContent"),
          "a non-http URL is refused before saving")
    s.click("[data-testid=save-prefs]")
    time.sleep(0.2)
    check("Saved" in s.js("return document.querySelector('[data-testid=result-prefs]').textContent"), "prefs save")
    s.go("/tests/ui-dev/settings.html?scenario=firstrun")
    check(s.js("return !!document.querySelector('[data-testid=try-demo]')"), "first run offers the demo")
    s.go("/tests/ui-dev/settings.html?scenario=demo")
    check(s.js("return !!document.querySelector('[data-testid=demo-banner]')"), "demo mode says so")
    check(s.js("return document.querySelectorAll('.banner.warn:not([data-testid])').length") == 0, "no CSP violation")


def real_pages_do_not_load_the_mock():
    for page in ["index.html", "detail.html", "settings.html"]:
        with urllib.request.urlopen(BASE + "/ui/" + page) as r:
            html = r.read().decode()
        check("mock" not in html and "<style" not in html and " style=" not in html and "<script>" not in html,
              page + " has no mock, inline script or inline style")


if __name__ == "__main__":
    real_pages_do_not_load_the_mock()
    s = Session()
    try:
        main_window(s)
        detail_window(s)
        settings_window(s)
    finally:
        s.close()
    print("%d failure(s)" % len(FAILS))
    sys.exit(1 if FAILS else 0)
