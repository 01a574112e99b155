// @ts-check
// Main window: the statistics view. The Statistics button in the toolbar
// opens a section above the list with how long requests take, from the
// app's own timeline (the `statistics` command: the figures of
// `status-tracker stats`, with histogram bins the app computes): finished
// counts, request to available (median and 90th percentile), each phase's
// median, and a histogram of request-to-available times for films and for
// series, drawn here as SVG with DOM calls (no markup from strings).
// It asks again only when a phase changed in a `requests-changed` payload.
'use strict';

(function () {
  const { h, invoke, listen, PHASES, PHASE_SHORT, PHASE_LABELS } = window.ST;

  const SVG_NS = 'http://www.w3.org/2000/svg';
  /** At most one read of the statistics per this many ms while phases move. */
  const MIN_INTERVAL_MS = 2000;
  const GROUPS = /** @type {const} */ ([['movie', 'Films'], ['tv', 'Series']]);

  const state = {
    open: false,
    /** @type {StatisticsJson|null} */
    data: null,
    /** @type {string|null} */
    error: null,
    loading: false,
    /** Another read is wanted once the one in flight is back. */
    again: false,
    last: 0,
    /** @type {number|null} */
    timer: null,
    /** Each request's id and phase in the last payload: a change means new figures. */
    phases: '',
    drawnWidth: 0,
  };

  /** @type {(id: string) => any} */
  const $ = (id) => document.getElementById(id);

  // ---------------------------------------------------------------- svg

  /** An SVG element; `attrs` become attributes, text children text nodes. */
  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v != null) el.setAttribute(k, String(v));
    }
    for (const c of children) {
      if (c == null) continue;
      el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return el;
  }

  /** A bin edge on the axis: "0", "15m", "4h", "2d", "1w". */
  function edgeLabel(secs) {
    if (secs <= 0) return '0';
    if (secs < 3600) return Math.round(secs / 60) + 'm';
    if (secs < 86400) return Math.round(secs / 3600) + 'h';
    if (secs < 604800 || secs % 604800) return Math.round(secs / 86400) + 'd';
    return Math.round(secs / 604800) + 'w';
  }

  /** A bin in words: "1 h to 2 h", "30 d or more", "under 1 min". */
  function binLabel(b) {
    if (b.to_secs == null) return ST.duration(b.from_secs) + ' or more';
    if (b.from_secs <= 0) return 'under ' + ST.duration(b.to_secs);
    return ST.duration(b.from_secs) + ' to ' + ST.duration(b.to_secs);
  }

  /** Whole-number ticks from 0 to at least `max`, at most five. */
  function countTicks(max) {
    const step = Math.max(1, Math.ceil(max / 4));
    const ticks = [];
    for (let v = 0; v < max + step; v += step) ticks.push(v);
    return ticks;
  }

  /**
   * One media type's histogram: a bar per bin (none where the bin is
   * empty), its count above it, the bins' edges along the x axis.
   * @param {'movie'|'tv'} key
   * @param {string} label
   * @param {StatisticsGroupJson} g
   * @param {number} width
   */
  function histogram(key, label, g, width) {
    const bins = g.histogram || [];
    const height = 168;
    const m = { left: 40, right: 10, top: 18, bottom: 40 };
    const pw = width - m.left - m.right;
    const ph = height - m.top - m.bottom;
    const bottom = m.top + ph;
    const max = bins.reduce((a, b) => Math.max(a, b.count), 0);
    const ticks = countTicks(Math.max(max, 1));
    const top = ticks[ticks.length - 1];
    const y = (v) => bottom - (v / top) * ph;
    const slot = bins.length ? pw / bins.length : pw;
    const noun = key === 'tv' ? ['series', 'series'] : ['film', 'films'];

    const svg = s('svg', {
      class: 'histogram', 'data-testid': 'histogram-' + key, 'data-group': key,
      width, height, viewBox: '0 0 ' + width + ' ' + height, role: 'img',
      'aria-label': label + ': request to available, ' + g.finished + ' finished',
    });
    const grid = s('g', { class: 'hist-grid' });
    for (const t of ticks) {
      grid.append(
        s('line', { x1: m.left, x2: m.left + pw, y1: y(t), y2: y(t), class: t ? 'grid' : 'axis' }),
        s('text', { x: m.left - 6, y: y(t) + 3.5, 'text-anchor': 'end', class: 'tick' }, String(t)));
    }
    svg.append(grid);
    // The y axis' name, turned along it.
    svg.append(s('text', {
      class: 'axis-title', 'text-anchor': 'middle',
      transform: 'translate(11 ' + (m.top + ph / 2) + ') rotate(-90)',
    }, 'requests'));

    const bars = s('g', { class: 'hist-bars' });
    const barWidth = Math.max(2, Math.min(slot * 0.78, 46));
    bins.forEach((b, i) => {
      if (!b.count) return;
      const x = m.left + i * slot + (slot - barWidth) / 2;
      const barHeight = Math.max(2, bottom - y(b.count));
      bars.append(s('rect', {
        class: 'hist-bar ' + key, x: x.toFixed(1), y: (bottom - barHeight).toFixed(1),
        width: barWidth.toFixed(1), height: barHeight.toFixed(1), rx: 2,
        'data-count': b.count, 'data-from-secs': b.from_secs,
        'data-to-secs': b.to_secs == null ? '' : b.to_secs,
      }, s('title', {}, binLabel(b) + ': ' + b.count + ' ' + (b.count === 1 ? noun[0] : noun[1]))));
      bars.append(s('text', {
        class: 'bar-count', x: (x + barWidth / 2).toFixed(1), y: (bottom - barHeight - 4).toFixed(1),
        'text-anchor': 'middle',
      }, String(b.count)));
    });
    svg.append(bars);

    // Bin edges under the axis; every other one when they would crowd.
    const every = slot < 30 ? 2 : 1;
    const edges = s('g', { class: 'hist-edges' });
    bins.forEach((b, i) => {
      if (i % every === 0) {
        edges.append(s('text', { class: 'tick', x: (m.left + i * slot).toFixed(1), y: bottom + 14, 'text-anchor': 'middle' },
          edgeLabel(b.from_secs)));
      }
    });
    const last = bins[bins.length - 1];
    if (last && last.to_secs != null && bins.length % every === 0) {
      edges.append(s('text', { class: 'tick', x: (m.left + pw).toFixed(1), y: bottom + 14, 'text-anchor': 'middle' },
        edgeLabel(last.to_secs)));
    }
    svg.append(edges);
    svg.append(s('text', {
      class: 'axis-title', x: (m.left + pw / 2).toFixed(1), y: height - 6, 'text-anchor': 'middle',
    }, 'time from request to available'));
    if (!g.finished) {
      svg.append(s('text', {
        class: 'hist-none', x: (m.left + pw / 2).toFixed(1), y: (m.top + ph / 2).toFixed(1), 'text-anchor': 'middle',
      }, 'No finished ' + noun[1] + ' yet'));
    }
    return svg;
  }

  // ---------------------------------------------------------------- tables

  function secs(v) {
    return v == null ? '—' : ST.duration(v);
  }

  /** @param {StatisticsJson} d */
  function summary(d) {
    const cols = [['movie', 'Films', d.movie], ['tv', 'Series', d.tv], ['all', 'All', d.all]];
    const row = (name, label, cell) => h('tr', { 'data-testid': 'row-' + name },
      h('th', { scope: 'row', text: label }),
      cols.map(([key, , g]) => h('td', { 'data-testid': name + '-' + key }, cell(g))));
    return h('table', { class: 'stats-table stats-summary', 'data-testid': 'stats-summary' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, h('span', { class: 'visually-hidden', text: 'Figure' })),
        cols.map(([, label]) => h('th', { scope: 'col', text: label })))),
      h('tbody', {},
        row('finished', 'Finished', (g) => String(g.finished)),
        row('p50', 'Request → available, median', (g) => secs(g.request_to_available.p50_secs)),
        row('p90', '90 % available within', (g) => secs(g.request_to_available.p90_secs))));
  }

  /** @param {StatisticsJson} d */
  function phaseTable(d) {
    const phases = PHASES.filter((p) => d.all.phases[p]);
    if (!phases.length) return null;
    const cell = (g, p) => {
      const st = g.phases[p];
      if (!st) return h('td', { class: 'muted', text: '—' });
      return h('td', {
        title: st.count + (st.count === 1 ? ' stint' : ' stints') + ', 90 % within ' + secs(st.p90_secs),
        text: secs(st.p50_secs),
      });
    };
    return h('table', { class: 'stats-table stats-phases', 'data-testid': 'stats-phases' },
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col', text: 'Median time in' }),
        h('th', { scope: 'col', text: 'Films' }), h('th', { scope: 'col', text: 'Series' }), h('th', { scope: 'col', text: 'All' }))),
      h('tbody', {}, phases.map((p) => h('tr', { 'data-phase': p, 'data-testid': 'phase-row' },
        h('th', { scope: 'row', title: PHASE_LABELS[p] || p },
          h('span', { class: 'phase-dot', 'data-phase': p, 'aria-hidden': 'true' }), ' ', PHASE_SHORT[p] || p),
        cell(d.movie, p), cell(d.tv, p), cell(d.all, p)))));
  }

  // ---------------------------------------------------------------- render

  /** The histograms' width: their column's, within bounds. */
  function histogramWidth(column) {
    const el = column || document.querySelector('#stats .stats-hists');
    const w = el ? el.clientWidth : 0;
    return Math.max(240, Math.min(Math.floor(w) || 360, 560));
  }

  function render() {
    const body = $('stats-body');
    if (!state.open) return;
    const d = state.data;
    const parts = [];
    if (state.error) {
      parts.push(h('p', { class: 'error-text', role: 'alert', 'data-testid': 'stats-error', text: 'Cannot read the statistics: ' + state.error }));
    }
    if (!d) {
      if (!state.error) parts.push(h('p', { class: 'muted', text: 'Reading the history…' }));
      body.replaceChildren(...parts);
      return;
    }
    // Figures on the left, histograms on the right where the window is
    // wide enough (styles.css), one above the other where it is not.
    const figures = h('div', { class: 'stats-figures' }, summary(d), phaseTable(d));
    const hists = h('div', { class: 'stats-hists' });
    parts.push(figures, hists);
    body.replaceChildren(...parts);
    const width = histogramWidth(hists);
    state.drawnWidth = width;
    if (d.all.finished) {
      hists.append(h('h3', { class: 'stats-sub', text: 'Request to available' }));
      for (const [key, label] of GROUPS) {
        const g = d[key];
        hists.append(h('figure', { class: 'hist', 'data-testid': 'hist-' + key },
          h('figcaption', {},
            h('span', { class: 'swatch ' + key, 'aria-hidden': 'true' }),
            h('strong', { text: label }),
            h('span', { class: 'muted', text: ' · ' + g.finished + ' finished' +
              (g.request_to_available.p50_secs != null ? ', median ' + secs(g.request_to_available.p50_secs) : '') })),
          histogram(key, label, g, width)));
      }
    } else {
      hists.append(h('p', { class: 'stats-empty muted', 'data-testid': 'stats-empty',
        text: 'No finished requests yet: the histogram appears once a request the app followed becomes available.' }));
    }
  }

  // ---------------------------------------------------------------- data

  async function load() {
    if (state.loading) {
      state.again = true;
      return;
    }
    state.loading = true;
    state.last = Date.now();
    try {
      state.data = await invoke('statistics');
      state.error = null;
    } catch (e) {
      state.error = e.message;
    } finally {
      state.loading = false;
    }
    render();
    if (state.again) {
      state.again = false;
      schedule();
    }
  }

  /** Reads the statistics again, at most once per MIN_INTERVAL_MS. */
  function schedule() {
    if (!state.open || state.timer != null) return;
    const wait = Math.max(0, state.last + MIN_INTERVAL_MS - Date.now());
    state.timer = window.setTimeout(() => {
      state.timer = null;
      load();
    }, wait);
  }

  /** @param {MainWindowState} payload */
  function onRequestsChanged(payload) {
    if (!payload || !Array.isArray(payload.requests)) return;
    const phases = payload.requests.map((r) => r.id + ':' + r.phase).join(',');
    if (phases === state.phases) return;
    state.phases = phases;
    if (state.open) schedule();
  }

  function setOpen(open) {
    state.open = open;
    const btn = $('btn-stats');
    btn.setAttribute('aria-pressed', open ? 'true' : 'false');
    btn.classList.toggle('pressed', open);
    $('stats').hidden = !open;
    if (open) {
      render();
      load();
    }
  }

  async function start() {
    $('btn-stats').addEventListener('click', () => setOpen(!state.open));
    $('btn-stats-close').addEventListener('click', () => setOpen(false));
    // The histograms are drawn at the section's width: again when it changes.
    new ResizeObserver(() => {
      if (state.open && state.data && Math.abs(histogramWidth() - state.drawnWidth) > 4) render();
    }).observe($('stats'));
    await listen('requests-changed', (e) => onRequestsChanged(e.payload), null);
  }

  start();
})();
