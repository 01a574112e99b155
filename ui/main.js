// @ts-check
// Main window: requests grouped by phase, filters, service health.
// Data arrives once from `list_requests`, then only through the
// 'requests-changed' event (the UI never polls the backend). A local one-minute
// timer only re-renders the relative times ("3 min ago") from the last payload.
'use strict';

(function () {
  const { h, invoke, listen, PHASES, PHASE_LABELS } = window.ST;

  // FAILED comes first: it is the one group that needs a person to act, and a
  // failure buried below a long AVAILABLE list would go unseen. The other
  // groups follow the pipeline order, so the list reads like the journey.
  const GROUP_ORDER = ['FAILED', ...PHASES.filter((p) => p !== 'FAILED')];

  const FILTER_KEY = 'st.filters.v1';
  const COLLAPSED_KEY = 'st.collapsed.v1';
  const DAY_MS = 86400 * 1000;

  const state = {
    data: null,
    filters: loadFilters(),
    collapsed: new Set(loadJson(COLLAPSED_KEY, [])),
    ackPending: new Set(),
    ackErrors: new Map(),
    // Actions in flight by Jellyseerr request id (one per request at a time),
    // the services' refusals shown on the card, and the request whose
    // Blocklist button waits for its confirming second click.
    /** @type {Map<number, Action>} */
    acting: new Map(),
    /** @type {Map<number, string>} */
    actionErrors: new Map(),
    /** @type {number|null} */
    confirming: null,
    // Poster elements reused across re-renders, so a live update every few
    // seconds does not make every image flicker.
    posters: new Map(),
  };

  /** @type {(id: string) => any} */
  const $ = (id) => document.getElementById(id);

  function loadJson(key, fallback) {
    try {
      const v = JSON.parse(localStorage.getItem(key));
      return v == null ? fallback : v;
    } catch (_) {
      return fallback;
    }
  }

  function saveJson(key, v) {
    try { localStorage.setItem(key, JSON.stringify(v)); } catch (_) { /* storage full/disabled */ }
  }

  function loadFilters() {
    const f = loadJson(FILTER_KEY, {});
    return {
      text: typeof f.text === 'string' ? f.text : '',
      requester: typeof f.requester === 'string' ? f.requester : '',
      type: ['all', 'movie', 'tv'].includes(f.type) ? f.type : 'all',
      hideDays: [0, 1, 7, 30].includes(f.hideDays) ? f.hideDays : 0,
    };
  }

  // ---------------------------------------------------------------- filters

  function matches(r, f, now) {
    if (r.deleted) return false;
    if (f.type !== 'all' && r.media_type !== f.type) return false;
    if (f.requester && r.requested_by !== f.requester) return false;
    if (f.text) {
      const t = String(r.title || '').toLocaleLowerCase();
      if (!t.includes(f.text.trim().toLocaleLowerCase())) return false;
    }
    if (f.hideDays && r.phase === 'AVAILABLE') {
      const u = ST.parseTime(r.updated_at);
      if (u && now - u.getTime() > f.hideDays * DAY_MS) return false;
    }
    return true;
  }

  function filtersActive(f) {
    return Boolean(f.text || f.requester || f.type !== 'all' || f.hideDays);
  }

  function syncFilterControls() {
    $('f-text').value = state.filters.text;
    $('f-type').value = state.filters.type;
    $('f-hide').value = String(state.filters.hideDays);
    fillRequesters();
  }

  function fillRequesters() {
    const sel = $('f-requester');
    const names = new Set();
    for (const r of (state.data && state.data.requests) || []) {
      if (!r.deleted && r.requested_by) names.add(r.requested_by);
    }
    // Keep a persisted choice selectable even when nobody by that name is in the list now.
    if (state.filters.requester) names.add(state.filters.requester);
    const sorted = [...names].sort((a, b) => a.localeCompare(b));
    const opts = [h('option', { value: '', text: 'All requesters' })];
    for (const n of sorted) opts.push(h('option', { value: n, text: n }));
    sel.replaceChildren(...opts);
    sel.value = state.filters.requester;
  }

  function onFilterChange() {
    state.filters = {
      text: $('f-text').value,
      requester: $('f-requester').value,
      type: $('f-type').value,
      hideDays: Number($('f-hide').value) || 0,
    };
    saveJson(FILTER_KEY, state.filters);
    renderGroups();
  }

  // ---------------------------------------------------------------- render

  /** @param {MainWindowState} payload */
  function render(payload) {
    if (!payload || !Array.isArray(payload.requests)) return;
    state.data = payload;
    prunePosters();
    fillRequesters();
    renderToolbar();
    renderServices();
    renderGroups();
  }

  function renderToolbar() {
    const d = state.data;
    const pause = $('btn-pause');
    pause.textContent = d.paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', d.paused ? 'true' : 'false');
    pause.classList.toggle('active', Boolean(d.paused));

    const banner = $('banner');
    if (d.demo) {
      banner.hidden = false;
      banner.replaceChildren(h('strong', { text: 'Demo mode' }),
        ' — the requests below are simulated; nothing talks to a real server.');
    } else if (d.notice) {
      banner.hidden = false;
      banner.classList.add('warn');
      banner.replaceChildren(d.notice);
    } else {
      banner.hidden = true;
      banner.replaceChildren();
    }

    // First contact with a big library: how far the reading got.
    const fc = d.first_contact;
    const box = $('first-contact');
    if (fc && fc.listed > 0) {
      box.hidden = false;
      $('first-contact-text').textContent = fc.text + ' (the list fills in as it goes)';
      const bar = $('first-contact-bar');
      bar.max = fc.listed;
      bar.value = Math.min(fc.read, fc.listed);
    } else {
      box.hidden = true;
    }

    const parts = [];
    if (d.attention > 0) {
      parts.push(h('span', { class: 'attn-count', 'data-testid': 'attention-count',
        text: d.attention + (d.attention === 1 ? ' needs attention' : ' need attention') }));
    }
    if (d.paused) parts.push(h('span', { class: 'paused-tag', text: 'Paused' }));
    if (d.updated_at) {
      parts.push(h('span', { title: ST.fullTime(d.updated_at), text: 'Updated ' + ST.shortTime(d.updated_at) }));
    }
    const summary = $('summary');
    summary.replaceChildren();
    parts.forEach((p, i) => {
      if (i) summary.append(' · ');
      summary.append(p);
    });
  }

  function serviceState(s) {
    if (s.ok) return { cls: 'ok', text: null };
    if (s.error_kind === 'unauthorized') return { cls: 'auth', text: 'wrong credentials' };
    const since = s.error_since ? 'since ' + ST.shortTime(s.error_since) : '';
    const what = s.error_kind === 'timeout' ? 'not answering' : 'unreachable';
    return { cls: 'down', text: [what, since].filter(Boolean).join(' ') + (s.error ? ': ' + s.error : '') };
  }

  function renderServices() {
    const box = $('services');
    const chips = [];
    for (const s of state.data.services || []) {
      const st = serviceState(s);
      const tip = [ST.serviceLabel(s.name)];
      if (s.ok) {
        tip.push('OK');
        if (s.version) tip.push('version ' + s.version);
        if (s.last_success) tip.push('last answer ' + ST.fullTime(s.last_success));
      } else {
        tip.push(st.text);
        if (s.last_success) tip.push('last answer ' + ST.fullTime(s.last_success));
      }
      chips.push(h('span', {
        class: 'chip ' + st.cls, 'data-testid': 'service-' + s.name, 'data-ok': s.ok ? 'true' : 'false',
        title: tip.join('\n'),
      },
      h('span', { class: 'dot', 'aria-hidden': 'true' }),
      h('span', { class: 'chip-name', text: ST.serviceLabel(s.name) }),
      st.text ? h('span', { class: 'chip-detail', dir: 'auto', text: st.text }) : null));
    }
    box.replaceChildren(...chips);
  }

  function sortRows(a, b) {
    const aa = a.attention && !a.acknowledged ? 0 : 1;
    const bb = b.attention && !b.acknowledged ? 0 : 1;
    if (aa !== bb) return aa - bb;
    const ta = ST.parseTime(a.requested_at);
    const tb = ST.parseTime(b.requested_at);
    return (tb ? tb.getTime() : 0) - (ta ? ta.getTime() : 0) || a.id - b.id;
  }

  function renderGroups() {
    const main = $('groups');
    const d = state.data;
    if (!d) return;
    /** @type {HTMLElement|null} */
    const focusedRow = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest('[data-request-id]') : null;
    const focusedId = focusedRow ? focusedRow.dataset.requestId : null;

    const now = Date.now();
    const f = state.filters;
    const byPhase = new Map(GROUP_ORDER.map((p) => [p, []]));
    const totals = new Map(GROUP_ORDER.map((p) => [p, 0]));
    let shown = 0;
    let total = 0;
    for (const r of d.requests) {
      if (r.deleted) continue;
      const phase = byPhase.has(r.phase) ? r.phase : null;
      if (!phase) continue;
      total++;
      totals.set(phase, totals.get(phase) + 1);
      if (matches(r, f, now)) {
        byPhase.get(phase).push(r);
        shown++;
      }
    }

    const sections = [];
    for (const phase of GROUP_ORDER) {
      const rows = byPhase.get(phase);
      if (!rows.length) continue; // empty groups are hidden
      rows.sort(sortRows);
      sections.push(renderGroup(phase, rows, totals.get(phase)));
    }

    if (!sections.length) {
      sections.push(emptyState(total));
    }
    main.replaceChildren(...sections);

    if (focusedId) {
      /** @type {HTMLElement|null} */
      const again = main.querySelector('[data-request-id="' + CSS.escape(focusedId) + '"]');
      if (again) again.focus({ preventScroll: true });
    }
  }

  function emptyState(total) {
    if (total > 0) {
      return h('div', { class: 'empty', 'data-testid': 'empty' },
        h('p', { text: 'No request matches the filters.' }),
        h('button', { type: 'button', onclick: clearFilters, text: 'Clear filters' }));
    }
    const services = (state.data && state.data.services) || [];
    if (!services.length) {
      return h('div', { class: 'empty', 'data-testid': 'empty' },
        h('p', { text: 'Nothing is configured yet.' }),
        h('button', { type: 'button', class: 'primary', onclick: openSettings, text: 'Open Settings' }));
    }
    return h('div', { class: 'empty', 'data-testid': 'empty' },
      h('p', { text: 'No requests yet. New Jellyseerr requests appear here on their own.' }));
  }

  function clearFilters() {
    state.filters = { text: '', requester: '', type: 'all', hideDays: 0 };
    saveJson(FILTER_KEY, state.filters);
    syncFilterControls();
    renderGroups();
  }

  function renderGroup(phase, rows, total) {
    const collapsed = state.collapsed.has(phase);
    const attn = rows.filter((r) => r.attention && !r.acknowledged).length;
    const header = h('button', {
      type: 'button', class: 'group-header', 'aria-expanded': collapsed ? 'false' : 'true',
      onclick: () => toggleGroup(phase),
    },
    h('span', { class: 'chev', 'aria-hidden': 'true' }),
    h('span', { class: 'phase-dot', 'data-phase': phase, 'aria-hidden': 'true' }),
    h('span', { class: 'group-name', text: PHASE_LABELS[phase] || phase }),
    h('span', { class: 'count', 'data-testid': 'count',
      text: rows.length === total ? String(total) : rows.length + ' of ' + total }),
    attn ? h('span', { class: 'attn-pill', title: attn + ' need attention', text: '⚠ ' + attn }) : null);

    const list = h('ul', { class: 'rows' }, rows.map(renderRow));
    list.hidden = collapsed;
    return h('section', {
      class: 'group' + (collapsed ? ' collapsed' : ''), 'data-phase': phase,
      'aria-label': PHASE_LABELS[phase] || phase,
    }, header, list);
  }

  function toggleGroup(phase) {
    if (state.collapsed.has(phase)) state.collapsed.delete(phase);
    else state.collapsed.add(phase);
    saveJson(COLLAPSED_KEY, [...state.collapsed]);
    renderGroups();
  }

  function renderRow(r) {
    const needsAttention = Boolean(r.attention && !r.acknowledged);
    const isTv = r.media_type === 'tv';

    const titleLine = h('div', { class: 'row-title' },
      h('span', { class: 'title', dir: 'auto', 'data-testid': 'title', text: r.title || '(untitled)' }),
      r.year ? h('span', { class: 'year', text: '(' + r.year + ')' }) : null,
      h('span', { class: 'tag', text: isTv ? 'Series' : 'Film' }),
      r.is_anime ? h('span', { class: 'tag anime', text: 'Anime' }) : null,
      r.is_4k ? h('span', { class: 'tag uhd', 'data-testid': 'tag-4k', title: 'A 4K request' + (r.instance ? ', followed in ' + r.instance : ''), text: '4K' }) : null);

    const meta = h('div', { class: 'row-meta' },
      h('span', { class: 'requester', dir: 'auto', 'data-testid': 'requester', text: r.requested_by || 'unknown' }),
      h('span', { class: 'sep', text: ' · ' }),
      h('span', { title: ST.fullTime(r.requested_at), text: 'requested ' + ST.ago(r.requested_at) }));

    const info = [];
    if (r.progress != null && (r.phase === 'DOWNLOADING' || r.phase === 'GRABBING')) {
      info.push(progressLine(r));
    }
    if (isTv && r.episodes) info.push(episodeLine(r.episodes));
    if (r.eta_available_secs != null) {
      info.push(h('div', {
        class: 'eta-available', 'data-testid': 'eta-available',
        title: 'The download\'s own ETA plus the usual time of the steps still ahead',
        text: 'available in about ' + ST.duration(r.eta_available_secs),
      }));
    }
    if (r.reason) {
      info.push(h('div', {
        class: 'reason' + (needsAttention ? ' warn' : '') + (r.phase === 'FAILED' ? ' failed' : ''),
        dir: 'auto', 'data-testid': 'reason', title: r.reason, text: r.reason,
      }));
    }

    const side = [];
    if (needsAttention) {
      side.push(h('span', { class: 'attn-marker', 'data-testid': 'attention', title: 'Needs attention',
        'aria-label': 'Needs attention', text: '⚠' }));
      const pending = state.ackPending.has(r.id);
      side.push(h('button', {
        type: 'button', class: 'ack', 'data-testid': 'ack', disabled: pending,
        onclick: (e) => { e.stopPropagation(); acknowledge(r.id); },
        onkeydown: (e) => e.stopPropagation(),
        text: pending ? 'Acknowledging…' : 'Acknowledge',
      }));
    }
    const actions = actionButtons(r);
    if (actions) side.push(actions);
    const actErr = state.actionErrors.get(r.jellyseerr_request_id);
    if (actErr) side.push(h('span', { class: 'error-text action-error', role: 'alert', 'data-testid': 'action-error', dir: 'auto', text: actErr }));
    const ackErr = state.ackErrors.get(r.id);
    if (ackErr) side.push(h('span', { class: 'error-text', role: 'alert', 'data-testid': 'ack-error', text: ackErr }));

    const row = h('li', {
      class: 'row' + (needsAttention ? ' attention' : '') + (r.phase === 'FAILED' ? ' failed' : ''),
      'data-request-id': String(r.id), 'data-phase': r.phase, tabindex: '0',
      'aria-label': (r.title || '') + (r.year ? ' (' + r.year + ')' : '') + ', ' + (PHASE_LABELS[r.phase] || r.phase),
      onclick: () => openDetail(r.id),
      onkeydown: (e) => {
        if (e.target === row && (e.key === 'Enter' || e.key === ' ')) {
          e.preventDefault();
          openDetail(r.id);
        }
      },
    },
    posterFor(r),
    h('div', { class: 'row-main' }, titleLine, meta, info),
    h('div', { class: 'row-side' }, side));
    return row;
  }

  function posterFor(r) {
    const key = r.id + '|' + (r.poster_path || '') + '|' + r.media_type;
    let el = state.posters.get(key);
    if (!el) {
      el = ST.poster(r.id, 'list', r.media_type);
      state.posters.set(key, el);
    }
    return el;
  }

  function prunePosters() {
    const live = new Set((state.data.requests || []).map((r) => r.id + '|' + (r.poster_path || '') + '|' + r.media_type));
    for (const k of state.posters.keys()) if (!live.has(k)) state.posters.delete(k);
  }

  function progressLine(r) {
    const bits = [h('span', { class: 'pct', text: ST.percent(r.progress) })];
    const sp = ST.speed(r.download_speed);
    if (sp) bits.push(h('span', { class: 'speed', 'data-testid': 'speed', text: sp }));
    if (r.eta_secs != null && r.eta_secs >= 0 && r.progress < 1) {
      bits.push(h('span', { class: 'eta', 'data-testid': 'eta', text: 'ETA ' + ST.duration(r.eta_secs) }));
    }
    return h('div', { class: 'progress', 'data-testid': 'progress', 'data-value': String(r.progress) },
      ST.progressBar(r.progress), h('span', { class: 'progress-text' }, bits));
  }

  function episodeLine(ep) {
    const of = ep.aired || ep.total || 0;
    const parts = [];
    if (of) {
      parts.push('grabbed ' + ep.grabbed + '/' + of);
      parts.push('downloaded ' + ep.downloaded + '/' + of);
      parts.push('available ' + ep.available + '/' + of);
    }
    const upcoming = (ep.total || 0) - (ep.aired || 0);
    if (upcoming > 0) parts.push(upcoming + ' not aired yet');
    if (!parts.length) parts.push('no episodes known yet');
    return h('div', { class: 'episodes', 'data-testid': 'episodes', text: parts.join(' · ') });
  }

  // ---------------------------------------------------------------- actions

  const ACTION_LABELS = {
    approve: 'Approve',
    decline: 'Decline',
    search: 'Search again',
    blocklist: 'Blocklist and search',
  };

  /** The card's buttons for what the backend offers on it (`r.actions`). A
   *  click sends once: the buttons stay disabled until the answer comes.
   *  Blocklist asks for a second click to confirm. */
  function actionButtons(r) {
    const offered = r.actions || [];
    if (!offered.length) return null;
    const id = r.jellyseerr_request_id;
    const busy = state.acting.get(id);
    const buttons = offered.map((action) => {
      const confirming = action === 'blocklist' && state.confirming === id;
      let text = ACTION_LABELS[action] || action;
      if (busy === action) text += '…';
      else if (confirming) text = 'Confirm: blocklist this release?';
      return h('button', {
        type: 'button',
        class: 'act' + (action === 'approve' ? ' primary' : '') + (action === 'blocklist' || action === 'decline' ? ' danger' : '') + (confirming ? ' confirm' : ''),
        'data-testid': 'act-' + action,
        'data-action': action,
        disabled: Boolean(busy),
        title: action === 'blocklist'
          ? 'Removes the download from qBittorrent, blocklists the release in ' + (r.media_type === 'tv' ? 'Sonarr' : 'Radarr') + ' and searches for another'
          : undefined,
        onclick: (e) => { e.stopPropagation(); onAction(r, action); },
        onkeydown: (e) => e.stopPropagation(),
        text,
      });
    });
    return h('div', { class: 'row-actions', 'data-testid': 'row-actions' }, buttons);
  }

  /** @param {RequestJson} r @param {Action} action */
  function onAction(r, action) {
    const id = r.jellyseerr_request_id;
    if (state.acting.has(id)) return;
    if (action === 'blocklist' && state.confirming !== id) {
      state.confirming = id;
      renderGroups();
      return;
    }
    state.confirming = null;
    sendAction(r, action);
  }

  /** @param {RequestJson} r @param {Action} action */
  async function sendAction(r, action) {
    const id = r.jellyseerr_request_id;
    state.acting.set(id, action);
    state.actionErrors.delete(id);
    renderGroups();
    try {
      /** @type {ActionJson & {ignored?: boolean}} */
      const result = await invoke('act', { jellyseerr_request_id: id, action, expected_phase: r.phase });
      if (!result.ignored && !result.ok) state.actionErrors.set(id, result.message);
    } catch (e) {
      state.actionErrors.set(id, e.message);
    } finally {
      state.acting.delete(id);
      renderGroups();
    }
  }

  function showToolbarError(msg) {
    $('toolbar-error').textContent = msg || '';
  }

  async function acknowledge(id) {
    state.ackPending.add(id);
    state.ackErrors.delete(id);
    renderGroups();
    try {
      await invoke('acknowledge', { id });
      // The backend emits 'requests-changed'; until it arrives, mark it locally.
      const r = state.data && state.data.requests.find((x) => x.id === id);
      if (r) r.acknowledged = true;
    } catch (e) {
      state.ackErrors.set(id, e.message);
    } finally {
      state.ackPending.delete(id);
      renderGroups();
    }
  }

  async function openDetail(id) {
    try {
      showToolbarError('');
      await invoke('open_detail', { id });
    } catch (e) {
      showToolbarError('Cannot open the request: ' + e.message);
    }
  }

  async function openSettings() {
    try {
      showToolbarError('');
      await invoke('open_settings');
    } catch (e) {
      showToolbarError('Cannot open Settings: ' + e.message);
    }
  }

  async function refresh() {
    const btn = $('btn-refresh');
    btn.disabled = true;
    btn.textContent = 'Refreshing…';
    showToolbarError('');
    try {
      await invoke('poll_now');
    } catch (e) {
      showToolbarError(e.message);
    } finally {
      btn.disabled = false;
      btn.textContent = 'Refresh now';
    }
  }

  async function togglePause() {
    const paused = !(state.data && state.data.paused);
    const btn = $('btn-pause');
    btn.disabled = true;
    showToolbarError('');
    try {
      await invoke('set_paused', { paused });
      if (state.data) {
        state.data.paused = paused;
        renderToolbar();
      }
    } catch (e) {
      showToolbarError(e.message);
    } finally {
      btn.disabled = false;
    }
  }

  // ---------------------------------------------------------------- start

  async function start() {
    syncFilterControls();
    $('f-text').addEventListener('input', onFilterChange);
    for (const id of ['f-requester', 'f-type', 'f-hide']) $(id).addEventListener('change', onFilterChange);
    $('btn-refresh').addEventListener('click', refresh);
    $('btn-pause').addEventListener('click', togglePause);
    $('btn-settings').addEventListener('click', openSettings);

    await listen('requests-changed', (e) => render(e.payload), (err) => showToolbarError(err.message));
    // An action from a notification (or another window) came back: its
    // refusal is shown on the card, as a button's is.
    await listen('action-done', (e) => {
      /** @type {ActionJson} */
      const done = e.payload;
      if (done.ok) state.actionErrors.delete(done.jellyseerr_request_id);
      else state.actionErrors.set(done.jellyseerr_request_id, done.message);
      renderGroups();
    }, (err) => showToolbarError(err.message));
    try {
      const first = await invoke('list_requests');
      // An event that arrived while list_requests was in flight is newer: keep it.
      if (!state.data) render(first);
    } catch (e) {
      $('groups').replaceChildren(h('div', { class: 'empty' },
        h('p', { class: 'error-text', 'data-testid': 'load-error', text: 'Cannot load the requests: ' + e.message })));
    }
    // Relative times only; no backend call.
    setInterval(() => { if (state.data) { renderToolbar(); renderServices(); renderGroups(); } }, 60000);
  }

  start();
})();
