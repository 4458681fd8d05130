// Vigil operator dashboard: vanilla JS, no build step (draw.js, live.js, editor.js, alert.js, then this file). Talks
// to the REST API with the token as a Bearer header and to the WebSockets with ?token=. Images and clips are
// fetched with the header and shown as blob: URLs. Views: #/ (live grid and alerts), #/alerts, #/camera/ID (one
// camera, large, and its zone and line editor for admins), #/alert/ID (one alert in detail).
'use strict';
(function () {
  const V = (window.Vigil = window.Vigil || {});
  const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];
  const MAX_ALERTS = 200;
  /** A tile without a live frame for this long shows the camera's still frame.jpg instead. */
  const STILL_AFTER_MS = 3000;
  const $ = (id) => document.getElementById(id);

  const state = (V.state = {
    token: sessionStorage.getItem('vigil-token') || '',
    authOff: false, // the server has no tokens (loopback only): no sign-in
    admin: false,
    alerts: new Map(), // alert id -> Alert
    lastEventId: null, // resume point for the WebSocket
    ws: null,
    cameras: [],
    frameTimer: null,
    cameraTimer: null,
    stopped: true,
    view: 'home',
  });

  async function api(path, options = {}) {
    const headers = { ...(options.headers || {}) };
    if (state.token) {
      headers.authorization = `Bearer ${state.token}`;
    }
    const res = await fetch(path, { ...options, headers });
    if (res.status === 401) {
      logout('The token was refused.');
      throw new Error('unauthorized');
    }
    return res;
  }

  async function blobUrl(path) {
    const res = await api(path);
    if (!res.ok) {
      return null;
    }
    return URL.createObjectURL(await res.blob());
  }

  function setImage(img, url) {
    if (!url) {
      return;
    }
    const old = img.dataset.blob;
    img.src = url;
    img.dataset.blob = url;
    if (old) {
      URL.revokeObjectURL(old);
    }
  }

  function notice(text) {
    $('notice').textContent = text || '';
  }

  // ---------- login ----------

  async function login(token) {
    state.token = token;
    const res = await fetch('/api/cameras', { headers: { authorization: `Bearer ${token}` } });
    if (!res.ok) {
      $('login-error').textContent = res.status === 401 ? 'This token is not valid.' : `Server answered ${res.status}.`;
      state.token = '';
      return;
    }
    sessionStorage.setItem('vigil-token', token);
    await enter(res);
  }

  /** Opens the app with the answer of GET /api/cameras. */
  async function enter(res) {
    $('login').hidden = true;
    $('app').hidden = false;
    $('logout').hidden = state.authOff;
    state.stopped = false;
    // Only admins may read the audit trail: the answer says whether this token may edit and acknowledge.
    state.admin = state.authOff || (await api('/api/audit?limit=1').then((r) => r.ok, () => false));
    $('who').textContent = state.authOff ? 'no sign-in: the server has no tokens and answers this machine only' : state.admin ? 'admin' : 'viewer (read only)';
    document.body.classList.toggle('viewer', !state.admin);
    renderCameras(await res.json());
    await loadAlerts();
    connect();
    V.live.start();
    state.cameraTimer = setInterval(refreshCameras, 5000);
    state.frameTimer = setInterval(refreshStills, 2000);
    route();
  }

  function logout(message) {
    state.stopped = true;
    state.authOff = false;
    $('who').textContent = '';
    sessionStorage.removeItem('vigil-token');
    state.token = '';
    clearInterval(state.cameraTimer);
    clearInterval(state.frameTimer);
    if (state.ws) {
      state.ws.close();
    }
    V.live.stop();
    V.editor.close();
    $('app').hidden = true;
    $('login').hidden = false;
    $('logout').hidden = true;
    $('login-error').textContent = message || '';
  }

  // ---------- views ----------

  /** Shows the view the URL names: #/, #/alerts, #/camera/ID, #/camera/ID/edit, #/alert/ID. */
  function route() {
    if (state.stopped) {
      return;
    }
    const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    const [kind, id, sub] = parts;
    if (V.editor.active() && !(kind === 'camera' && id === V.editor.camera() && sub === 'edit')) {
      V.editor.close();
    }
    if (state.view === 'alert' && kind !== 'alert') {
      V.alertView.close();
    }
    const view = kind === 'camera' && id ? 'camera' : kind === 'alert' && id ? 'alert' : 'home';
    state.view = view;
    $('view-home').hidden = view !== 'home';
    $('view-camera').hidden = view !== 'camera';
    $('view-alert').hidden = view !== 'alert';
    $('grid-section').hidden = kind === 'alerts';
    document.body.dataset.view = kind === 'alerts' ? 'alerts' : view;
    $('nav-home').setAttribute('aria-current', view === 'home' && kind !== 'alerts' ? 'page' : 'false');
    $('nav-alerts').setAttribute('aria-current', kind === 'alerts' ? 'page' : 'false');
    if (view === 'home') {
      V.live.show(kind === 'alerts' ? [] : [...$('cameras').children].map((t) => ({ camera: t.dataset.camera, canvas: t.querySelector('canvas') })));
    } else if (view === 'camera') {
      openCamera(id, sub === 'edit');
    } else {
      V.live.show([]);
      V.alertView.open(id).catch((e) => notice(e.message));
      $('view-alert').querySelector('.back').focus();
    }
  }

  async function openCamera(id, edit) {
    const canvas = $('cam-canvas');
    V.live.show([{ camera: id, canvas, draft: () => V.editor.active(), paint: (out) => V.editor.paint(out) }]);
    const c = state.cameras.find((x) => x.id === id);
    $('cam-title').textContent = c ? c.name || c.id : id;
    updateCameraBar();
    $('edit-open').hidden = !state.admin || edit;
    if (edit && state.admin) {
      if (!V.editor.active()) {
        await V.editor.open(id, canvas);
      }
      canvas.focus();
    } else {
      $('editor-tools').hidden = true;
      await showCameraSide(id);
      $('view-camera').querySelector('.back').focus();
    }
  }

  function updateCameraBar() {
    if (state.view !== 'camera') {
      return;
    }
    const id = location.hash.split('/')[2];
    const c = state.cameras.find((x) => x.id === decodeURIComponent(id || ''));
    if (!c) {
      return;
    }
    $('cam-state').textContent = c.state;
    $('cam-state').className = `badge state-${c.state}`;
    const s = V.live.stats(c.id);
    $('cam-fps').textContent = `detect ${c.fps.detect.toFixed(1)} fps · live ${s.fps.toFixed(1)} fps${s.receivedMs !== null ? ` · ${Math.round(s.receivedMs)} ms behind` : ''}`;
  }

  /** The zones and lines of the camera with the rules that use them, counts and occupancy (not editing). */
  async function showCameraSide(id) {
    const cfg = await V.live.config(id);
    if (!cfg || V.editor.active()) {
      return;
    }
    $('edit-open').hidden = !state.admin;
    const cam = V.live.camera(id);
    const occ = V.draw.occupancy(cfg.zones, cam.objects || []);
    const fill = (ul, items, text) => {
      ul.innerHTML = '';
      for (const s of items) {
        const li = document.createElement('li');
        li.className = 'shape';
        li.dataset.id = s.id;
        const b = document.createElement('strong');
        b.textContent = s.id;
        const t = document.createElement('span');
        t.className = 'muted';
        t.textContent = ` ${text(s)}`;
        const rules = cfg.rules.filter((r) => r.zone === s.id || r.line === s.id);
        const r = document.createElement('div');
        r.className = 'muted rules';
        r.textContent = rules.length ? `rules: ${rules.map((x) => `${x.id} (${x.type}${x.direction && x.direction !== 'any' && x.line ? ` ${x.direction}` : ''}, ${x.severity})`).join(', ')}` : 'no rule uses it';
        li.append(b, t, r);
        ul.appendChild(li);
      }
      if (items.length === 0) {
        ul.innerHTML = '<li class="muted">none</li>';
      }
    };
    fill($('cam-zones'), cfg.zones, (z) => `· ${occ[z.id]} inside`);
    fill($('cam-lines'), cfg.lines, (l) => {
      const c = cam.counts[l.id];
      return c ? `· A→B ${c.a_to_b} · B→A ${c.b_to_a}` : '· no crossing counted yet';
    });
    const others = cfg.rules.filter((r) => !r.zone && !r.line);
    const ul = $('cam-rules');
    ul.innerHTML = others.length ? '' : '<li class="muted">none</li>';
    for (const r of others) {
      const li = document.createElement('li');
      li.textContent = `${r.id} (${r.type}, ${r.severity})`;
      ul.appendChild(li);
    }
  }
  V.showCameraSide = showCameraSide;

  // ---------- cameras ----------

  async function refreshCameras() {
    try {
      const res = await api('/api/cameras');
      if (res.ok) {
        renderCameras(await res.json());
      }
    } catch {
      // shown as offline by the WebSocket badge
    }
  }

  function renderCameras(cameras) {
    state.cameras = cameras;
    const root = $('cameras');
    let added = false;
    for (const c of cameras) {
      let tile = root.querySelector(`[data-camera="${CSS.escape(c.id)}"]`);
      if (!tile) {
        tile = document.createElement('article');
        tile.className = 'tile';
        tile.dataset.camera = c.id;
        const href = `#/camera/${encodeURIComponent(c.id)}`;
        tile.innerHTML =
          `<a class="stage" href="${href}"><img class="still" alt=""><canvas role="img"></canvas></a>` +
          `<div class="meta"><a class="name" href="${href}"></a><span class="badge state"></span><span class="fps"></span><span class="reason"></span></div>`;
        root.appendChild(tile);
        added = true;
      }
      updateTile(tile, c);
    }
    for (const tile of [...root.children]) {
      if (!cameras.some((c) => c.id === tile.dataset.camera)) {
        tile.remove();
        added = true;
      }
    }
    if (added && state.view === 'home' && !state.stopped) {
      route();
    }
    const sel = $('f-camera');
    const chosen = sel.value;
    sel.innerHTML = '<option value="">all</option>' + cameras.map((c) => `<option>${escapeHtml(c.id)}</option>`).join('');
    sel.value = chosen;
    updateCameraBar();
  }

  function updateTile(tile, c) {
    tile.querySelector('.name').textContent = c.name || c.id;
    tile.querySelector('.stage').setAttribute('aria-label', `${c.name || c.id}: open the live view`);
    tile.querySelector('canvas').setAttribute('aria-label', `live picture of ${c.name || c.id}`);
    const badge = tile.querySelector('.state');
    badge.textContent = c.state;
    badge.className = `badge state state-${c.state}`;
    if (c.fps) {
      const live = V.live.stats(c.id);
      tile.querySelector('.fps').textContent = `${c.fps.detect.toFixed(1)} fps${live.fps ? ` · live ${live.fps.toFixed(1)}` : ''} · ${c.dropped} dropped`;
    }
    // A problem (no detector loaded anywhere) outranks a green "streaming".
    tile.querySelector('.reason').textContent =
      (c.problems && c.problems.length ? c.problems.join('; ') : '') || c.reason || '';
  }

  /** Tiles without live frames (none yet, or the live socket is away) show the still frame.jpg every 2 s. */
  async function refreshStills() {
    if (state.view !== 'home') {
      return;
    }
    for (const tile of $('cameras').children) {
      const live = Date.now() - V.live.stats(tile.dataset.camera).lastAt < STILL_AFTER_MS;
      tile.classList.toggle('live', live);
      if (live || tile.querySelector('.state').textContent !== 'streaming') {
        continue;
      }
      try {
        setImage(tile.querySelector('img'), await blobUrl(`/api/cameras/${encodeURIComponent(tile.dataset.camera)}/frame.jpg`));
      } catch {
        // next round
      }
    }
  }

  // ---------- alerts ----------

  async function loadAlerts() {
    const res = await api('/api/alerts?limit=50');
    if (!res.ok) {
      return;
    }
    const { alerts } = await res.json();
    for (const a of alerts.reverse()) {
      upsertAlert(a);
      V.live.onAlert(a);
    }
    // The newest alert's id is the stream id of its start event: replay everything after it (no gap).
    if (alerts.length > 0) {
      state.lastEventId = alerts[alerts.length - 1].id;
    }
  }

  function connect() {
    if (state.stopped) {
      return;
    }
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${proto}://${location.host}/ws?token=${encodeURIComponent(state.token)}`);
    state.ws = ws;
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.type === 'detections') {
        V.live.onDetections(m);
      } else if (m.type === 'hello') {
        $('conn').textContent = 'live';
        $('conn').className = 'badge on';
        const sub = { type: 'subscribe', topics: ['alerts', 'cameras', 'detections'] };
        if (state.lastEventId) {
          sub.since = state.lastEventId;
        }
        ws.send(JSON.stringify(sub));
      } else if (m.type === 'alert') {
        state.lastEventId = m.id;
        upsertAlert(m.alert);
        V.live.onAlert(m.alert);
        V.alertView.onAlert(state.alerts.get(m.alert.id) || m.alert);
      } else if (m.type === 'camera') {
        const c = state.cameras.find((x) => x.id === m.camera);
        if (c) {
          c.state = m.state;
          c.reason = m.reason;
          renderCameras(state.cameras);
        } else {
          refreshCameras();
        }
      } else if (m.type === 'error') {
        console.warn('server says', m);
      }
    };
    ws.onclose = () => {
      $('conn').textContent = 'offline';
      $('conn').className = 'badge off';
      if (!state.stopped) {
        setTimeout(connect, 2000);
      }
    };
  }

  function upsertAlert(a) {
    const prev = state.alerts.get(a.id);
    state.alerts.set(a.id, prev && prev.ack && !a.ack ? { ...a, ack: prev.ack } : a);
    if (state.alerts.size > MAX_ALERTS) {
      state.alerts.delete(state.alerts.keys().next().value);
    }
    renderAlerts();
  }

  function visible(a) {
    const cam = $('f-camera').value;
    const rule = $('f-rule').value.trim();
    const sev = $('f-sev').value;
    if (cam && a.camera !== cam) return false;
    if (rule && !a.rule.includes(rule)) return false;
    if (SEVERITIES.indexOf(a.severity) < SEVERITIES.indexOf(sev)) return false;
    if (!$('f-dismissed').checked && a.ack && a.ack.action === 'dismissed') return false;
    return true;
  }

  function renderAlerts() {
    const list = $('alerts');
    const wanted = [...state.alerts.values()].filter(visible).reverse();
    const keep = new Set(wanted.map((a) => a.id));
    for (const li of [...list.children]) {
      if (!keep.has(li.dataset.id)) {
        li.remove();
      }
    }
    let before = list.firstChild;
    for (const a of wanted) {
      let li = list.querySelector(`[data-id="${CSS.escape(a.id)}"]`);
      if (!li) {
        li = document.createElement('li');
        li.dataset.id = a.id;
        const href = `#/alert/${encodeURIComponent(a.id)}`;
        li.innerHTML =
          `<a class="snap-link" href="${href}"><img class="snap" alt="snapshot"></a>` +
          `<div class="body"><a class="title" href="${href}"></a><div class="sub"></div></div>` +
          '<div class="actions"><button class="ack">Acknowledge</button><button class="dismiss secondary">Dismiss</button></div>';
        li.querySelector('.ack').addEventListener('click', () => ack(a.id, { action: 'acknowledged' }));
        li.querySelector('.dismiss').addEventListener('click', () => ack(a.id, { action: 'dismissed' }));
        // An alert without a stored snapshot (a camera_down before any frame) has no snapshot field.
        if (a.snapshot) {
          blobUrl(`/api/alerts/${encodeURIComponent(a.id)}/snapshot.jpg`).then((u) => setImage(li.querySelector('.snap'), u), () => undefined);
        }
      }
      li.className = `alert sev-${a.severity} ${a.state}${a.ack ? ` ${a.ack.action}` : ''}`;
      const title = `${a.rule} · ${a.camera} · ${a.severity}${a.state === 'ended' ? ' (ended)' : ''}`;
      li.querySelector('.title').textContent = title;
      li.querySelector('.snap-link').setAttribute('aria-label', `details of ${title}`);
      const labels = a.objects.map((o) => `${o.label} #${o.trackId}`).join(', ');
      const ackText = a.ack ? ` · ${a.ack.action} by ${a.ack.by} ${new Date(a.ack.at).toLocaleTimeString()}${a.ack.note ? `: “${a.ack.note}”` : ''}` : '';
      li.querySelector('.sub').textContent = `${new Date(a.startedAt).toLocaleString()} · ${labels || 'no objects'} · ${a.latencyMs} ms${a.clip ? ' · clip' : ''}${ackText}`;
      if (li !== before) {
        list.insertBefore(li, before);
      } else {
        before = before.nextSibling;
        continue;
      }
      before = li.nextSibling;
    }
  }

  /** POST /api/alerts/:id/ack with {action, note?}; answers the alert with its ack, or null. */
  async function ack(id, body) {
    const res = await api(`/api/alerts/${encodeURIComponent(id)}/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.ok) {
      const a = await res.json();
      upsertAlert(a);
      notice('');
      return a;
    }
    const b = await res.json().catch(() => ({}));
    notice(res.status === 403 ? 'Your token may only read (viewer).' : (b.error && b.error.message) || `Error ${res.status}`);
    return null;
  }

  function escapeHtml(s) {
    return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  }

  /**
   * At load: a server without tokens needs no sign-in, so the app opens at once; with tokens, a token kept from this
   * session is tried, else the sign-in form shows.
   */
  async function boot() {
    const cfg = await fetch('/dashboard/config.json').then((r) => (r.ok ? r.json() : { auth: true }), () => ({ auth: true }));
    if (cfg.auth === false) {
      state.authOff = true;
      state.token = '';
      const res = await fetch('/api/cameras');
      if (res.ok) {
        await enter(res);
        return;
      }
    }
    $('login').hidden = false;
    if (state.token) {
      await login(state.token);
    }
  }

  Object.assign(V, { api, blobUrl, setImage, notice, ack });

  // ---------- wiring ----------

  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    $('login-error').textContent = '';
    login($('token').value.trim()).catch((err) => {
      $('login-error').textContent = `Cannot reach the server (${err.message}).`;
    });
  });
  $('logout').addEventListener('click', () => logout());
  for (const id of ['f-camera', 'f-rule', 'f-sev', 'f-dismissed']) {
    $(id).addEventListener('input', renderAlerts);
  }
  $('edit-open').addEventListener('click', () => {
    const id = location.hash.split('/')[2];
    location.hash = `#/camera/${id}/edit`;
  });
  window.addEventListener('hashchange', route);
  // Escape leaves what is open: the point being placed, the editor, then the camera or alert view.
  document.addEventListener('keydown', (ev) => {
    if (ev.key !== 'Escape' || state.stopped || ev.defaultPrevented) {
      return;
    }
    if (V.editor.active()) {
      ev.preventDefault();
      V.editor.escape();
      return;
    }
    if (state.view !== 'home') {
      ev.preventDefault();
      location.hash = '#/';
    }
  });
  setInterval(() => {
    updateCameraBar();
    // Occupancy and line counts beside the picture follow the live picture.
    if (state.view === 'camera' && !V.editor.active()) {
      showCameraSide(decodeURIComponent(location.hash.split('/')[2] || '')).catch(() => undefined);
    }
  }, 1000);
  boot().catch(() => logout());
})();
