// @ts-check
// Detail window for one request: facts, timeline, episode grid, links.
// Opened as detail.html?id=<id>; re-fetches when 'requests-changed' names its id.
'use strict';

(function () {
  const { h, invoke, listen, PHASE_LABELS } = window.ST;
  const root = document.getElementById('detail');
  const id = Number(new URLSearchParams(location.search).get('id'));
  /** @type {DetailState|null} */
  let current = null;
  let listenError = null;
  let linkError = '';
  let ackError = '';

  const LINK_LABELS = {
    jellyfin: () => 'Open in Jellyfin',
    jellyseerr: () => 'Open in Jellyseerr',
    arr: (r) => (r.media_type === 'tv' ? 'Open in Sonarr' : 'Open in Radarr'),
  };

  function fail(msg) {
    root.replaceChildren(h('p', { class: 'error-text load-error', role: 'alert', 'data-testid': 'load-error', text: msg }));
  }

  async function load() {
    if (!Number.isInteger(id) || id <= 0) {
      fail('No request id given.');
      return;
    }
    try {
      current = await invoke('request_detail', { id });
      render();
    } catch (e) {
      fail('Cannot load request ' + id + ': ' + e.message);
    }
  }

  function render() {
    const d = current;
    if (!d || !d.request) return;
    const r = d.request;
    document.title = (r.title || 'Request') + (r.year ? ' (' + r.year + ')' : '') + ' — Status Tracker';
    const scroll = window.scrollY;
    root.replaceChildren(...[
      header(d),
      timelineCard(d),
      r.media_type === 'tv' ? episodesCard(d) : null,
      listenError ? h('p', { class: 'hint', text: listenError }) : null,
    ].filter(Boolean));
    window.scrollTo(0, scroll);
  }

  function header(d) {
    const r = d.request;
    const needsAttention = Boolean(r.attention && !r.acknowledged);
    const facts = h('dl', { class: 'facts', 'data-testid': 'facts' });
    const fact = (label, value, testid) => {
      if (value == null || value === '') return;
      // dir=auto on an inline span: an RTL value reads right-to-left but stays
      // aligned with the other values.
      facts.append(h('dt', { text: label }),
        h('dd', { 'data-testid': testid || null },
          typeof value === 'string' ? h('span', { dir: 'auto', text: value }) : value));
    };
    fact('Type', (r.media_type === 'tv' ? 'Series' : 'Film') + (r.is_anime ? ' · anime' : '') + (r.is_4k ? ' · 4K' : ''), 'type');
    if (r.instance) fact('Followed in', r.instance, 'instance');
    fact('Phase', h('span', {}, ST.phaseBadge(r.phase), ' ',
      h('span', { class: 'muted', text: 'since ' + ST.shortTime(phaseSince(d)) })), 'phase');
    if (r.progress != null && (r.phase === 'DOWNLOADING' || r.phase === 'GRABBING')) {
      const bits = [ST.percent(r.progress), ST.speed(r.download_speed),
        r.eta_secs != null && r.progress < 1 ? 'ETA ' + ST.duration(r.eta_secs) : null].filter(Boolean);
      fact('Progress', h('div', { class: 'progress', 'data-testid': 'progress', 'data-value': String(r.progress) },
        ST.progressBar(r.progress), h('span', { class: 'progress-text', text: bits.join(' · ') })));
    }
    if (r.media_type === 'tv' && r.episodes) {
      const e = r.episodes;
      const of = e.aired || e.total || 0;
      fact('Episodes', 'grabbed ' + e.grabbed + '/' + of + ' · downloaded ' + e.downloaded + '/' + of
        + ' · imported ' + e.imported + '/' + of + ' · available ' + e.available + '/' + of
        + (e.total > e.aired ? ' · ' + (e.total - e.aired) + ' not aired yet' : ''), 'episode-counts');
    }
    fact('Requested by', r.requested_by, 'requester');
    fact('Requested', ST.fullTime(r.requested_at) + ' (' + ST.ago(r.requested_at) + ')');
    // Evidence can be a whole log line: a box that scrolls, like the reason.
    fact('Evidence', d.evidence ? h('div', { class: 'scroll-clamp', dir: 'auto', text: d.evidence }) : null, 'evidence');
    fact('TMDB', r.tmdb_id != null ? String(r.tmdb_id) : null, 'tmdb');
    fact('TVDB', r.tvdb_id != null ? String(r.tvdb_id) : null, 'tvdb');
    fact('Jellyseerr request', '#' + r.jellyseerr_request_id);
    if (r.deleted) fact('Status', 'Deleted in Jellyseerr (kept as history)');

    const reason = r.reason ? h('div', {
      class: 'reason-box' + (r.phase === 'FAILED' ? ' failed' : needsAttention ? ' warn' : ''),
      dir: 'auto', 'data-testid': 'reason',
    }, needsAttention ? '⚠ ' : null, r.reason) : null;

    const actions = h('div', { class: 'links' });
    if (needsAttention) {
      actions.append(h('button', { type: 'button', class: 'primary', 'data-testid': 'ack', onclick: acknowledge, text: 'Acknowledge' }));
    }
    const links = d.links || {};
    for (const kind of ['jellyfin', 'jellyseerr', 'arr']) {
      if (!links[kind]) continue;
      actions.append(h('button', {
        type: 'button', 'data-testid': 'link-' + kind, onclick: () => openLink(kind), text: LINK_LABELS[kind](r) + ' ↗',
      }));
    }
    if (ackError) actions.append(h('span', { class: 'error-text', role: 'alert', text: ackError }));
    if (linkError) actions.append(h('span', { class: 'error-text', role: 'alert', 'data-testid': 'link-error', text: linkError }));

    return h('section', { class: 'detail-head', 'data-request-id': String(r.id), 'data-phase': r.phase },
      ST.poster(r.id, 'detail', r.media_type),
      h('div', { class: 'detail-body' },
        h('div', { class: 'detail-title' },
          h('h1', { dir: 'auto', 'data-testid': 'title', text: r.title || '(untitled)' }),
          r.year ? h('span', { class: 'year', text: '(' + r.year + ')' }) : null),
        reason,
        facts,
        actions.childNodes.length ? actions : null));
  }

  /** When the request entered its current phase: the last phase change. */
  function phaseSince(d) {
    const changes = (d.timeline || []).filter((e) => e.kind === 'phase_change' && e.to === d.request.phase);
    return changes.length ? changes[changes.length - 1].at : d.request.requested_at;
  }

  function timelineCard(d) {
    const entries = (d.timeline || []).slice().sort((a, b) => {
      const ta = ST.parseTime(a.at); const tb = ST.parseTime(b.at);
      return (ta ? ta.getTime() : 0) - (tb ? tb.getTime() : 0);
    });
    if (!entries.length) {
      return h('section', { class: 'card' }, h('h2', { text: 'Timeline' }),
        h('p', { class: 'muted', text: 'No events recorded yet.' }));
    }
    // How long the previous phase took: from the previous phase change (or the
    // request itself) to this one.
    let prevAt = ST.parseTime(d.request.requested_at);
    const rows = entries.map((e) => {
      const at = ST.parseTime(e.at);
      let took = '';
      if (e.kind === 'phase_change') {
        if (e.from && prevAt && at) took = ST.duration((at - prevAt) / 1000);
        if (at) prevAt = at;
      }
      return h('tr', { 'data-testid': 'timeline-row', 'data-kind': e.kind },
        h('td', { class: 'col-at', title: ST.fullTime(e.at), text: ST.shortTime(e.at) }),
        h('td', { class: 'col-change' }, changeCell(e)),
        h('td', { class: 'col-took', title: took ? 'time spent in the previous phase' : null, text: took }),
        h('td', { class: 'evidence' }, h('div', { class: 'scroll-clamp', dir: 'auto', text: e.evidence || '' })));
    });
    return h('section', { class: 'card' }, h('h2', { text: 'Timeline' }),
      h('table', { class: 'timeline', 'data-testid': 'timeline' },
        h('thead', {}, h('tr', {},
          h('th', { class: 'col-at', text: 'When' }),
          h('th', { class: 'col-change', text: 'Change' }),
          h('th', { class: 'col-took', text: 'Took' }),
          h('th', { text: 'Evidence' }))),
        h('tbody', {}, rows)));
  }

  function changeCell(e) {
    if (e.kind === 'phase_change') {
      return h('span', { class: 'change' },
        e.from ? ST.phaseBadge(e.from, true) : h('span', { class: 'kind-note', text: 'new' }),
        h('span', { class: 'arrow', text: '→' }),
        e.to ? ST.phaseBadge(e.to, true) : h('span', { class: 'kind-note', text: '?' }));
    }
    if (e.kind === 'episode_available') return h('span', { class: 'kind-note', text: 'episode available' });
    if (e.kind === 'reason') return h('span', { class: 'kind-note', text: 'note' });
    if (e.kind === 'action') return h('span', { class: 'kind-note action', text: 'you acted' });
    return h('span', { class: 'kind-note', text: String(e.kind || '') });
  }

  function isUnaired(ep, today) {
    if (!ep.air_date) return true; // no air date means not aired (DOMAIN.md)
    return String(ep.air_date).slice(0, 10) > today;
  }

  function episodesCard(d) {
    const eps = d.episodes || [];
    const card = h('section', { class: 'card', 'data-testid': 'episode-grid' }, h('h2', { text: 'Episodes' }));
    if (!eps.length) {
      card.append(h('p', { class: 'muted', text: 'No episodes known yet.' }));
      return card;
    }
    const now = new Date();
    const today = now.getFullYear() + '-' + String(now.getMonth() + 1).padStart(2, '0') + '-'
      + String(now.getDate()).padStart(2, '0');
    const seasons = new Map();
    for (const ep of eps) {
      if (!seasons.has(ep.season)) seasons.set(ep.season, []);
      seasons.get(ep.season).push(ep);
    }
    const seen = new Set();
    for (const season of [...seasons.keys()].sort((a, b) => Number(a === 0) - Number(b === 0) || a - b)) {
      const list = seasons.get(season).sort((a, b) => a.number - b.number);
      const avail = list.filter((e) => e.phase === 'AVAILABLE').length;
      const aired = list.filter((e) => !isUnaired(e, today)).length;
      const cells = list.map((ep) => {
        const unaired = isUnaired(ep, today);
        seen.add(unaired ? 'unaired' : ep.phase);
        return episodeCell(ep, unaired);
      });
      card.append(h('div', { class: 'season', 'data-season': String(season) },
        h('h3', {}, season === 0 ? 'Specials' : 'Season ' + season,
          h('span', { class: 'muted', text: [aired ? 'available ' + avail + '/' + aired : null,
            list.length > aired ? (list.length - aired) + ' not aired yet' : null].filter(Boolean).join(' · ') })),
        h('div', { class: 'ep-grid' }, cells)));
    }
    const legend = h('div', { class: 'legend', 'aria-label': 'Legend' });
    for (const p of ST.PHASES) {
      if (!seen.has(p)) continue;
      legend.append(h('span', {}, h('i', { class: 'sw', 'data-phase': p }), PHASE_LABELS[p]));
    }
    if (seen.has('unaired')) legend.append(h('span', {}, h('i', { class: 'sw unaired' }), 'Not aired yet'));
    card.append(legend);
    return card;
  }

  function episodeCell(ep, unaired) {
    const code = 'S' + String(ep.season).padStart(2, '0') + 'E' + String(ep.number).padStart(2, '0');
    const tip = [code + (ep.title ? ' — ' + ep.title : '')];
    tip.push(unaired ? 'Airs ' + ST.airDate(ep.air_date)
      : (PHASE_LABELS[ep.phase] || ep.phase) + (ep.progress != null && ep.phase === 'DOWNLOADING' ? ' ' + ST.percent(ep.progress) : ''));
    if (!unaired && ep.air_date) tip.push('Aired ' + ST.airDate(ep.air_date));
    if (ep.reason) tip.push(ep.reason);
    const cell = h('div', {
      class: 'ep' + (unaired ? ' unaired' : '') + (ep.reason ? ' has-reason' : ''),
      'data-testid': 'episode', 'data-phase': ep.phase, 'data-season': String(ep.season),
      'data-number': String(ep.number), title: tip.join('\n'), tabindex: '0',
    }, h('span', { class: 'ep-num', text: String(ep.number) }),
    unaired ? h('span', { class: 'ep-date', text: ST.airDate(ep.air_date) }) : null);
    if (!unaired && ep.phase === 'DOWNLOADING' && ep.progress != null) {
      const fill = h('span');
      fill.style.setProperty('--p', (Math.max(0, Math.min(1, ep.progress)) * 100).toFixed(1) + '%');
      cell.append(h('span', { class: 'ep-bar', 'aria-hidden': 'true' }, fill));
    }
    return cell;
  }

  async function openLink(kind) {
    linkError = '';
    try {
      await invoke('open_link', { id, kind });
    } catch (e) {
      linkError = e.message;
    }
    render();
  }

  async function acknowledge() {
    ackError = '';
    try {
      await invoke('acknowledge', { id });
      if (current && current.request) current.request.acknowledged = true;
    } catch (e) {
      ackError = e.message;
    }
    render();
  }

  async function start() {
    await listen('requests-changed', (e) => {
      const ids = (e.payload && e.payload.changed_ids) || [];
      if (ids.map(Number).includes(id)) load();
    }, (err) => { listenError = err.message; render(); });
    await load();
  }

  start();
})();
