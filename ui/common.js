// @ts-check
// Shared helpers for the three windows. Plain script (no bundler, no modules):
// everything hangs off `window.ST`.
//
// SECURITY: every piece of text that came from a service is put into the DOM
// through `textContent` / text nodes (see `h`). Nothing here ever assigns
// innerHTML, so a title like `<img src=x onerror=alert(1)>` shows literally.
'use strict';

(function () {
  const PHASES = [
    'REQUESTED', 'APPROVED', 'GRABBING', 'DOWNLOADING', 'DOWNLOAD_DONE',
    'IMPORTING', 'ANIME_MATCHING', 'AVAILABLE', 'FAILED',
  ];

  const PHASE_LABELS = {
    REQUESTED: 'Requested',
    APPROVED: 'Approved · searching',
    GRABBING: 'Grabbing',
    DOWNLOADING: 'Downloading',
    DOWNLOAD_DONE: 'Downloaded · waiting for import',
    IMPORTING: 'Importing',
    ANIME_MATCHING: 'Anime matching',
    AVAILABLE: 'Available',
    FAILED: 'Failed',
  };

  /** Short names for badges where space is tight. */
  const PHASE_SHORT = {
    REQUESTED: 'Requested', APPROVED: 'Approved', GRABBING: 'Grabbing', DOWNLOADING: 'Downloading',
    DOWNLOAD_DONE: 'Downloaded', IMPORTING: 'Importing', ANIME_MATCHING: 'Anime matching',
    AVAILABLE: 'Available', FAILED: 'Failed',
  };

  const SERVICE_LABELS = {
    jellyseerr: 'Jellyseerr',
    radarr: 'Radarr',
    sonarr: 'Sonarr',
    qbittorrent: 'qBittorrent',
    shoko: 'Shoko',
    jellyfin: 'Jellyfin',
  };


  function tauri() {
    const t = window.__TAURI__;
    if (!t || !t.core || !t.event) {
      throw new Error('Tauri API not available (withGlobalTauri must be on)');
    }
    return t;
  }

  /** invoke(), with rejections normalised to an Error whose message is the
   *  `{code, message}.message` the Rust side sends. */
  async function invoke(cmd, args) {
    try {
      return await tauri().core.invoke(cmd, args);
    } catch (e) {
      /** @type {Error & {code?: string}} */
      const err = new Error(errorMessage(e));
      err.code = e && typeof e === 'object' ? e.code : undefined;
      throw err;
    }
  }

  function errorMessage(e) {
    if (e == null) return 'unknown error';
    if (typeof e === 'string') return e;
    if (typeof e.message === 'string' && e.message) return e.message;
    try { return JSON.stringify(e); } catch (_) { return String(e); }
  }

  /** listen(); a failure (for example a window without the event
   *  permission) is reported through `onError` instead of breaking the page. */
  async function listen(name, handler, onError) {
    try {
      return await tauri().event.listen(name, handler);
    } catch (e) {
      if (onError) onError(new Error('live updates unavailable: ' + errorMessage(e)));
      return null;
    }
  }

  /**
   * Element builder. `attrs` values are set as attributes (or properties for
   * a few keys); children may be nodes, strings (text nodes), or arrays;
   * null/undefined/false children are skipped. Strings NEVER become markup.
   */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v == null || v === false) continue;
        if (k === 'class') el.className = v;
        else if (k === 'text') el.textContent = String(v);
        else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
        else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected') el[k] = v;
        else if (k === 'dataset') Object.assign(el.dataset, v);
        else el.setAttribute(k, v === true ? '' : String(v));
      }
    }
    append(el, children);
    return el;
  }

  function append(el, children) {
    for (const c of children) {
      if (c == null || c === false) continue;
      if (Array.isArray(c)) append(el, c);
      else if (c instanceof Node) el.appendChild(c);
      else el.appendChild(document.createTextNode(String(c)));
    }
  }

  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
  }

  /** A poster frame: the request's poster, which the app serves on its
   *  `poster:` protocol (from its cache, or fetched through the user's own
   *  Jellyseerr, Radarr/Sonarr or Jellyfin), or a neutral placeholder box when
   *  no service has one. `size` is 'list' or 'detail'. The frame element
   *  itself is stable, so callers may cache and re-insert it. */
  function poster(id, size, mediaType) {
    const glyph = () => h('span', { class: 'poster-glyph', text: mediaType === 'tv' ? 'TV' : 'FILM' });
    const frame = h('div', { class: 'poster', 'aria-hidden': 'true' });
    const core = window.__TAURI__ && window.__TAURI__.core;
    if (!Number.isSafeInteger(id) || !core || typeof core.convertFileSrc !== 'function') {
      frame.classList.add('poster-placeholder');
      frame.append(glyph());
      return frame;
    }
    const img = h('img', {
      alt: '', decoding: 'async', referrerpolicy: 'no-referrer',
      src: core.convertFileSrc(id + '/' + size, 'poster'),
    });
    img.addEventListener('error', () => {
      frame.classList.add('poster-placeholder');
      frame.replaceChildren(glyph());
    }, { once: true });
    frame.append(img);
    return frame;
  }

  function parseTime(s) {
    if (!s) return null;
    const d = new Date(s);
    return isNaN(d.getTime()) ? null : d;
  }

  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
  const dateFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
  const dateYearFmt = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
  const fullFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

  function sameDay(a, b) {
    return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
  }

  /** "14:05" today, "3 Mar 14:05" this year, "3 Mar 2024" before. */
  function shortTime(s) {
    const d = parseTime(s);
    if (!d) return '—';
    const now = new Date();
    if (sameDay(d, now)) return timeFmt.format(d);
    if (d.getFullYear() === now.getFullYear()) return dateFmt.format(d) + ' ' + timeFmt.format(d);
    return dateYearFmt.format(d);
  }

  function fullTime(s) {
    const d = parseTime(s);
    return d ? fullFmt.format(d) : '—';
  }

  /** A date-only string ("2025-04-05") in the user's format. */
  function airDate(s) {
    if (!s) return 'TBA';
    const d = /^\d{4}-\d{2}-\d{2}$/.test(s) ? new Date(s + 'T00:00:00') : parseTime(s);
    if (!d || isNaN(d.getTime())) return String(s);
    return d.getFullYear() === new Date().getFullYear() ? dateFmt.format(d) : dateYearFmt.format(d);
  }

  /** "45 s", "12 min", "2 h 5 min", "3 d 4 h". */
  function duration(secs) {
    if (secs == null || !isFinite(secs) || secs < 0) return '—';
    secs = Math.round(secs);
    if (secs < 60) return secs + ' s';
    const m = Math.floor(secs / 60);
    if (m < 60) return m + ' min';
    const hh = Math.floor(m / 60);
    if (hh < 48) return hh + ' h' + (m % 60 ? ' ' + (m % 60) + ' min' : '');
    const d = Math.floor(hh / 24);
    return d + ' d' + (hh % 24 ? ' ' + (hh % 24) + ' h' : '');
  }

  /** "just now", "5 min ago", "3 h ago", "2 d ago". */
  function ago(s) {
    const d = parseTime(s);
    if (!d) return '—';
    const secs = (Date.now() - d.getTime()) / 1000;
    if (secs < 45) return 'just now';
    return duration(secs).replace(/ \d+ (min|h)$/, '') + ' ago';
  }

  function speed(bytesPerSec) {
    if (bytesPerSec == null || !isFinite(bytesPerSec)) return null;
    const mb = bytesPerSec / 1e6;
    return (mb >= 100 ? mb.toFixed(0) : mb >= 10 ? mb.toFixed(1) : mb.toFixed(2)) + ' MB/s';
  }

  function percent(p) {
    if (p == null || !isFinite(p)) return null;
    const v = Math.max(0, Math.min(1, p)) * 100;
    return (v >= 99.95 || v === 0 ? v.toFixed(0) : v.toFixed(1)) + '%';
  }

  /** A progress bar whose fill width is set through a CSS custom property
   *  (CSSOM writes are allowed by the CSP; style attributes are not). */
  function progressBar(p) {
    const v = Math.max(0, Math.min(1, Number(p) || 0));
    const fill = h('div', { class: 'bar-fill' });
    fill.style.setProperty('--p', (v * 100).toFixed(2) + '%');
    return h('div', {
      class: 'bar', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100',
      'aria-valuenow': (v * 100).toFixed(1),
    }, fill);
  }

  function phaseBadge(phase, short) {
    const label = (short ? PHASE_SHORT : PHASE_LABELS)[phase] || phase;
    return h('span', { class: 'phase-badge', 'data-phase': phase, title: PHASE_LABELS[phase] || phase, text: label });
  }

  function serviceLabel(name) {
    return SERVICE_LABELS[name] || name;
  }

  window.ST = {
    PHASES, PHASE_LABELS, PHASE_SHORT, SERVICE_LABELS, invoke, listen, errorMessage, h, clear, poster,
    parseTime, shortTime, fullTime, airDate, duration, ago, speed, percent, progressBar,
    phaseBadge, serviceLabel,
  };
})();
