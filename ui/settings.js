// @ts-check
// Settings window: the six services, poll intervals, notifications, autostart,
// log level. Secrets only ever travel UI -> backend: the password fields are
// always empty on load and only say whether a secret is stored.
'use strict';

(function () {
  const { h, invoke } = window.ST;

  // The services, their labels, secret kinds, usernames and ports come from
  // the backend (get_settings, from ServiceId); only where to find each
  // credential is said here.
  const HINTS = {
    jellyseerr: 'Required. API key: Jellyseerr → Settings → General. This key acts as Jellyseerr’s admin: Approve and Decline in this app use it.',
    radarr: 'Films. API key: Radarr → Settings → General.',
    sonarr: 'Series. API key: Sonarr → Settings → General.',
    qbittorrent: 'Download progress. Web UI user and password.',
    shoko: 'Anime matching. Shoko Server user and password.',
    jellyfin: 'Confirms what is watchable. API key: Dashboard → API Keys.',
  };
  const POLL_FIELDS = [
    ['downloading_secs', 'While something downloads'],
    ['active_secs', 'While requests are in progress'],
    ['jellyseerr_secs', 'New Jellyseerr requests'],
    ['idle_secs', 'When nothing is in progress'],
  ];
  const NOTIFY_FIELDS = [
    ['available', 'Became watchable'],
    ['failed', 'Failed'],
    ['stuck', 'Stuck (stalled, not imported, never reached Radarr/Sonarr)'],
    ['no_release', 'No release found for a day (this can last days)'],
    ['episodes', 'New episodes of a series'],
    ['pending', 'New requests to approve (Approve and Decline in the notification)'],
  ];
  /** `[attention]`: [key, label, unit, largest value].
   * @type {Array<[string, string, string, number]>} */
  const ATTENTION_FIELDS = [
    ['not_in_arr_minutes', 'Approved, and not in Radarr/Sonarr', 'minutes', 10080],
    ['no_release_hours', 'Searched, and no release found', 'hours', 8760],
    ['stalled_minutes', 'Download stalled', 'minutes', 10080],
    ['not_imported_minutes', 'Downloaded, and not imported', 'minutes', 10080],
  ];
  const LOG_LEVELS = ['error', 'warn', 'info', 'debug', 'trace'];

  /** @type {(id: string) => any} */
  const $ = (id) => document.getElementById(id);
  let settings = null;

  function setResult(el, kind, text) {
    el.className = 'result' + (kind ? ' ' + kind : '');
    el.textContent = text || '';
  }

  // ---------------------------------------------------------------- banners

  function renderBanners() {
    const box = $('banners');
    box.replaceChildren();
    if (settings.demo) {
      box.append(h('div', { class: 'banner warn', 'data-testid': 'demo-banner' },
        h('strong', { text: 'Demo mode' }),
        ' — the services and requests are simulated. Changes here apply to the real setup the next time the app starts normally.'));
    }
    if (settings.first_run && !settings.demo) {
      const result = h('span', { class: 'result', 'data-testid': 'result-demo' });
      const btn = h('button', { type: 'button', class: 'primary', 'data-testid': 'try-demo', text: 'Try the demo' });
      btn.addEventListener('click', async () => {
        btn.disabled = true;
        setResult(result, 'busy', 'Starting the demo…');
        try {
          await invoke('start_demo');
          setResult(result, 'ok', 'The demo is starting.');
        } catch (e) {
          btn.disabled = false;
          setResult(result, 'err', e.message);
        }
      });
      box.append(h('div', { class: 'banner', 'data-testid': 'first-run-banner' },
        h('strong', { text: 'Nothing is configured yet' }),
        h('p', { class: 'hint', text: 'Set up Jellyseerr below (the other services are optional), or look around with simulated data first.' }),
        h('div', { class: 'actions' }, btn, result)));
    }
  }

  // ---------------------------------------------------------------- services

  function renderServices() {
    /** @type {ServiceSettings[]} */
    const list = settings.services || [];
    const nodes = [];
    list.forEach((s, i) => {
      nodes.push(serviceForm(s.name, s));
      // After the last Radarr (or Sonarr): add another instance of it.
      const next = list[i + 1];
      if (s.has_instances && (!next || next.kind !== s.kind)) nodes.push(addInstanceRow(s));
    });
    $('services').replaceChildren(...nodes);
  }

  /** Reads the settings again and draws the services (after an instance
   * was added or removed: a single Radarr may have become `radarr.main`).
   * @param {string} name the service whose result line says `text`
   * @param {string} text */
  async function reloadServices(name, text) {
    settings = await invoke('get_settings');
    renderServices();
    const result = $('result-' + name);
    if (result) setResult(result, 'ok', text);
  }

  /** "Add another Radarr": a name (4k, anime...) and a new, empty card.
   * @param {ServiceSettings} last the kind's last card */
  function addInstanceRow(last) {
    const kind = last.kind;
    const label = ST.serviceLabel(kind);
    const input = h('input', {
      type: 'text', id: 'instance-' + kind, 'data-testid': 'instance-name-' + kind,
      placeholder: '4k', autocomplete: 'off', spellcheck: 'false', maxlength: '32',
    });
    const btn = h('button', { type: 'button', 'data-testid': 'add-instance-' + kind, text: 'Add another ' + label });
    const result = h('span', { class: 'result', 'data-testid': 'result-add-' + kind, role: 'status' });
    const row = h('div', { class: 'add-instance', 'data-add-instance': kind },
      h('label', { for: 'instance-' + kind, text: label + ' instance name' }), input, btn, result,
      h('p', { class: 'hint', text: 'Another ' + label + ' (4K, anime…), with its own URL and key.' }));
    btn.addEventListener('click', () => {
      const instance = input.value.trim();
      if (!/^[a-z0-9_-]{1,32}$/.test(instance)) {
        setResult(result, 'err', 'Use a-z, 0-9, _ and -, 1 to 32 characters (for example 4k).');
        return;
      }
      const name = kind + '.' + instance;
      if ((settings.services || []).some((x) => x.name === name || (x.kind === kind && x.instance === instance))) {
        setResult(result, 'err', label + ' ' + instance + ' is there already.');
        return;
      }
      /** @type {ServiceSettings} */
      const fresh = {
        ...last, name, instance, label: label + ' ' + instance, is_4k: /4k/.test(instance),
        enabled: true, url: '', username: null, timeout_secs: 10, secret_set: false,
      };
      settings.services.splice(settings.services.indexOf(last) + 1, 0, fresh);
      renderServices();
      const url = $('url-' + name);
      if (url) url.focus();
    });
    return row;
  }

  /**
   * @param {string} name
   * @param {ServiceSettings} s
   */
  function serviceForm(name, s) {
    const label = s.label || ST.serviceLabel(name);
    const example = 'http://localhost:' + s.default_port;
    const enabled = h('input', { type: 'checkbox', id: 'enabled-' + name, 'data-testid': 'enabled-' + name, checked: Boolean(s.enabled) });
    const url = h('input', {
      type: 'url', id: 'url-' + name, 'data-testid': 'url-' + name, value: s.url || '',
      placeholder: example, autocomplete: 'off', spellcheck: 'false',
    });
    const user = s.needs_username ? h('input', {
      type: 'text', id: 'user-' + name, 'data-testid': 'user-' + name, value: s.username || '',
      autocomplete: 'off', spellcheck: 'false',
    }) : null;
    // Always empty: the UI never receives a secret, only whether one is stored.
    const secret = h('input', {
      type: 'password', id: 'secret-' + name, 'data-testid': 'secret-' + name, value: '',
      placeholder: s.secret_set ? '•••••• (set)' : 'not set', autocomplete: 'new-password', spellcheck: 'false',
    });
    const timeout = h('input', {
      type: 'number', id: 'timeout-' + name, 'data-testid': 'timeout-' + name, min: '1', max: '300', step: '1',
      value: String(s.timeout_secs || 10),
    });
    const result = h('span', { class: 'result', id: 'result-' + name, 'data-testid': 'result-' + name, role: 'status' });
    const is4k = s.has_instances ? h('input', {
      type: 'checkbox', id: 'is4k-' + name, 'data-testid': 'is4k-' + name, checked: Boolean(s.is_4k),
    }) : null;
    const state = h('span', { class: 'state', text: s.enabled ? 'configured' : 'not configured' });

    const testBtn = h('button', { type: 'button', 'data-testid': 'test-' + name, text: 'Test connection' });
    const saveBtn = h('button', { type: 'submit', class: 'primary', 'data-testid': 'save-' + name, text: 'Save' });
    const removeBtn = h('button', { type: 'button', class: 'danger', 'data-testid': 'remove-' + name, text: 'Remove' });
    removeBtn.hidden = !s.enabled && !s.secret_set;

    const form = h('form', {
      class: 'service' + (s.enabled ? '' : ' disabled'), 'data-service': name, 'aria-label': label, novalidate: true,
    },
    h('div', { class: 'service-head' },
      h('label', {}, enabled, label), state, h('p', { class: 'hint', text: HINTS[s.kind || name] || '' })),
    h('div', { class: 'fields' },
      h('label', { for: 'url-' + name, text: 'URL' }), url,
      user ? h('label', { for: 'user-' + name, text: 'Username' }) : null, user,
      h('label', { for: 'secret-' + name, text: s.secret_kind === 'password' ? 'Password' : 'API key' }), secret,
      h('label', { for: 'timeout-' + name, text: 'Timeout' }), h('span', {}, timeout, h('span', { class: 'unit', text: 'seconds' })),
      is4k ? h('label', { for: 'is4k-' + name, text: '4K' }) : null,
      is4k ? h('span', {}, is4k, h('span', { class: 'unit', text: 'Follows 4K requests' })) : null),
    h('div', { class: 'actions-row' }, testBtn, saveBtn, removeBtn, result));

    enabled.addEventListener('change', () => form.classList.toggle('disabled', !enabled.checked));
    // Typing a URL into an unconfigured service means the user wants it.
    url.addEventListener('input', () => {
      if (url.value.trim() && !enabled.checked) {
        enabled.checked = true;
        form.classList.remove('disabled');
      }
    });

    const collect = () => {
      const typed = secret.value;
      return {
        name,
        enabled: enabled.checked,
        url: url.value.trim(),
        username: user ? (user.value.trim() || null) : null,
        timeout_secs: Math.round(Number(timeout.value)) || 10,
        secret: typed ? typed : null, // only if typed; null keeps the stored one
        is_4k: is4k ? is4k.checked : null,
      };
    };

    const validate = (svc) => {
      if (!svc.url) return 'Enter the URL of ' + label + '.';
      let u;
      try { u = new URL(svc.url); } catch (_) { return 'Not a valid URL (for example ' + example + ').'; }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') return 'The URL must start with http:// or https://.';
      const t = Number(timeout.value);
      if (!Number.isFinite(t) || t < 1 || t > 300) return 'Timeout must be between 1 and 300 seconds.';
      if (user && !svc.username) return 'Enter the ' + label + ' username.';
      return null;
    };

    testBtn.addEventListener('click', async () => {
      const svc = collect();
      const problem = validate(svc);
      if (problem) { setResult(result, 'err', problem); return; }
      testBtn.disabled = true;
      setResult(result, 'busy', 'Testing…');
      try {
        const r = await invoke('test_connection', { service: svc });
        if (r && r.ok) setResult(result, 'ok', '✓ Connected' + (r.version ? ' — ' + label + ' ' + r.version : ''));
        else setResult(result, 'err', '✗ ' + ((r && r.error) || 'The connection failed.'));
      } catch (e) {
        setResult(result, 'err', '✗ ' + e.message);
      } finally {
        testBtn.disabled = false;
      }
    });

    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const svc = collect();
      const problem = validate(svc);
      if (problem) { setResult(result, 'err', problem); return; }
      saveBtn.disabled = true;
      setResult(result, 'busy', 'Saving…');
      try {
        await invoke('save_service', { service: svc });
        if (s.instance) {
          // A first instance turns a single one into `<kind>.main`: redraw.
          await reloadServices(name, '✓ Saved');
          return;
        }
        secret.value = '';
        if (svc.secret) s.secret_set = true;
        s.enabled = true;
        secret.placeholder = s.secret_set ? '•••••• (set)' : 'not set';
        state.textContent = 'configured';
        removeBtn.hidden = false;
        setResult(result, 'ok', '✓ Saved');
      } catch (e) {
        setResult(result, 'err', e.message);
      } finally {
        saveBtn.disabled = false;
      }
    });

    // Two-step remove instead of confirm(): native dialogs are not reliable in webviews.
    let armed = null;
    removeBtn.addEventListener('click', async () => {
      if (!armed) {
        removeBtn.textContent = 'Click again to remove';
        removeBtn.classList.add('confirm');
        armed = setTimeout(() => {
          armed = null;
          removeBtn.textContent = 'Remove';
          removeBtn.classList.remove('confirm');
        }, 4000);
        return;
      }
      clearTimeout(armed);
      armed = null;
      removeBtn.textContent = 'Remove';
      removeBtn.classList.remove('confirm');
      removeBtn.disabled = true;
      setResult(result, 'busy', 'Removing…');
      try {
        await invoke('remove_service', { name });
        if (s.instance) {
          // The card goes (the last one of a kind leaves an empty card).
          await reloadServices(name, '');
          return;
        }
        s.enabled = false;
        s.secret_set = false;
        enabled.checked = false;
        url.value = '';
        if (user) user.value = '';
        secret.value = '';
        secret.placeholder = 'not set';
        state.textContent = 'not configured';
        form.classList.add('disabled');
        removeBtn.hidden = true;
        setResult(result, 'ok', 'Removed (and its credential deleted from the keyring).');
      } catch (e) {
        setResult(result, 'err', e.message);
      } finally {
        removeBtn.disabled = false;
      }
    });

    return form;
  }

  // ---------------------------------------------------------------- preferences

  function renderPrefs() {
    const box = $('prefs');
    const poll = settings.poll || {};
    const notif = settings.notifications || {};
    const pollGrid = h('div', { class: 'prefs-grid' });
    for (const [key, label] of POLL_FIELDS) {
      pollGrid.append(h('label', { for: 'poll-' + key, text: label }),
        h('span', {}, h('input', {
          type: 'number', id: 'poll-' + key, 'data-testid': 'poll-' + key, min: '1', max: '86400', step: '1',
          value: poll[key] != null ? String(poll[key]) : '',
        }), h('span', { class: 'unit', text: 'seconds' })));
    }
    const attention = settings.attention || {};
    const attentionGrid = h('div', { class: 'prefs-grid' });
    for (const [key, label, unit, max] of ATTENTION_FIELDS) {
      attentionGrid.append(h('label', { for: 'attention-' + key, text: label }),
        h('span', {}, h('input', {
          type: 'number', id: 'attention-' + key, 'data-testid': 'attention-' + key, min: '1', max: String(max), step: '1',
          value: attention[key] != null ? String(attention[key]) : '',
        }), h('span', { class: 'unit', text: unit })));
    }
    const checks = h('div', { class: 'checks' });
    for (const [key, label] of NOTIFY_FIELDS) {
      checks.append(h('label', {}, h('input', {
        type: 'checkbox', id: 'notify-' + key, 'data-testid': 'notify-' + key, checked: Boolean(notif[key]),
      }), label));
    }
    const level = h('select', { id: 'log-level', 'data-testid': 'log-level' },
      LOG_LEVELS.map((l) => h('option', { value: l, text: l })));
    level.value = LOG_LEVELS.includes(settings.log_level) ? settings.log_level : 'info';
    const result = h('span', { class: 'result', 'data-testid': 'result-prefs', role: 'status' });
    const save = h('button', { type: 'button', class: 'primary', 'data-testid': 'save-prefs', text: 'Save preferences' });
    save.addEventListener('click', () => savePrefs(save, result));

    box.replaceChildren(
      h('h2', { text: 'Polling' }),
      h('p', { class: 'hint', text: 'How often the services are asked. Shorter while something is moving; longer when idle.' }),
      pollGrid,
      h('h2', { class: 'spaced', text: 'Needs attention after' }),
      h('p', { class: 'hint', text: 'How long each of these may last before the request is marked stuck (and notified). Time the computer sleeps or a service is down does not count.' }),
      attentionGrid,
      h('h2', { class: 'spaced', text: 'Notifications' }),
      checks,
      h('h2', { class: 'spaced', text: 'General' }),
      h('div', { class: 'prefs-grid' },
        h('label', { for: 'autostart', text: 'Start at login' }),
        h('input', { type: 'checkbox', id: 'autostart', 'data-testid': 'autostart', checked: Boolean(settings.autostart) }),
        h('label', { for: 'log-level', text: 'Log level' }), level),
      h('div', { class: 'actions-row' }, save, result));
    box.hidden = false;
  }

  async function savePrefs(btn, result) {
    const poll = {};
    for (const [key, label] of POLL_FIELDS) {
      const v = Number($('poll-' + key).value);
      if (!Number.isInteger(v) || v < 1 || v > 86400) {
        setResult(result, 'err', label + ': enter whole seconds between 1 and 86400.');
        return;
      }
      poll[key] = v;
    }
    const attention = {};
    for (const [key, label, unit, max] of ATTENTION_FIELDS) {
      const v = Number($('attention-' + key).value);
      if (!Number.isInteger(v) || v < 1 || v > max) {
        setResult(result, 'err', label + ': enter whole ' + unit + ' between 1 and ' + max + '.');
        return;
      }
      attention[key] = v;
    }
    const notifications = {};
    for (const [key] of NOTIFY_FIELDS) notifications[key] = $('notify-' + key).checked;
    const prefs = { poll, attention, notifications, autostart: $('autostart').checked, log_level: $('log-level').value };
    btn.disabled = true;
    setResult(result, 'busy', 'Saving…');
    try {
      await invoke('save_preferences', { prefs });
      setResult(result, 'ok', '✓ Saved');
    } catch (e) {
      setResult(result, 'err', e.message);
    } finally {
      btn.disabled = false;
    }
  }

  // ---------------------------------------------------------------- start

  async function start() {
    try {
      settings = await invoke('get_settings');
    } catch (e) {
      const el = $('load-error');
      el.textContent = 'Cannot load the settings: ' + e.message;
      el.hidden = false;
      return;
    }
    renderBanners();
    renderServices();
    renderPrefs();
  }

  start();
})();
