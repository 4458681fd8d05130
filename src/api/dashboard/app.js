// Vigil operator dashboard: vanilla JS, no build step. Talks to the REST API with the token as a Bearer header and
// to the WebSocket with ?token=. Images are fetched with the header and shown as blob: URLs.
'use strict';

const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];
const MAX_ALERTS = 200;
const $ = (id) => document.getElementById(id);

const state = {
  token: sessionStorage.getItem('vigil-token') || '',
  authOff: false, // the server has no tokens (loopback only): no sign-in
  alerts: new Map(), // alert id -> Alert
  lastEventId: null, // resume point for the WebSocket
  ws: null,
  cameras: [],
  frameTimer: null,
  cameraTimer: null,
  stopped: true,
};

async function api(path, options = {}) {
  const res = await fetch(path, { ...options, headers: { ...(options.headers || {}), authorization: `Bearer ${state.token}` } });
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
  $('who').textContent = state.authOff ? 'no sign-in: the server has no tokens and answers this machine only' : '';
  state.stopped = false;
  renderCameras(await res.json());
  await loadAlerts();
  connect();
  state.cameraTimer = setInterval(refreshCameras, 5000);
  state.frameTimer = setInterval(refreshFrames, 2000);
  refreshFrames();
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
  $('app').hidden = true;
  $('login').hidden = false;
  $('logout').hidden = true;
  $('login-error').textContent = message || '';
}

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
  for (const c of cameras) {
    let tile = root.querySelector(`[data-camera="${CSS.escape(c.id)}"]`);
    if (!tile) {
      tile = document.createElement('div');
      tile.className = 'tile';
      tile.dataset.camera = c.id;
      tile.innerHTML = '<img alt=""><div class="meta"><strong class="name"></strong><span class="badge state"></span><span class="fps"></span><span class="reason"></span></div>';
      root.appendChild(tile);
    }
    updateTile(tile, c);
  }
  for (const tile of [...root.children]) {
    if (!cameras.some((c) => c.id === tile.dataset.camera)) {
      tile.remove();
    }
  }
  const sel = $('f-camera');
  const chosen = sel.value;
  sel.innerHTML = '<option value="">all</option>' + cameras.map((c) => `<option>${escapeHtml(c.id)}</option>`).join('');
  sel.value = chosen;
}

function updateTile(tile, c) {
  tile.querySelector('.name').textContent = c.name || c.id;
  const badge = tile.querySelector('.state');
  badge.textContent = c.state;
  badge.className = `badge state state-${c.state}`;
  if (c.fps) {
    tile.querySelector('.fps').textContent = `${c.fps.ingest.toFixed(1)} / ${c.fps.detect.toFixed(1)} fps, ${c.dropped} dropped`;
  }
  // A problem (no detector loaded anywhere) outranks a green "streaming".
  tile.querySelector('.reason').textContent =
    (c.problems && c.problems.length ? c.problems.join('; ') : '') || c.reason || (c.lastFrameAt ? `last frame ${new Date(c.lastFrameAt).toLocaleTimeString()}` : '');
}

async function refreshFrames() {
  for (const tile of $('cameras').children) {
    if (tile.querySelector('.state').textContent !== 'streaming') {
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
    if (m.type === 'hello') {
      $('conn').textContent = 'live';
      $('conn').className = 'badge on';
      const sub = { type: 'subscribe', topics: ['alerts', 'cameras'] };
      if (state.lastEventId) {
        sub.since = state.lastEventId;
      }
      ws.send(JSON.stringify(sub));
    } else if (m.type === 'alert') {
      state.lastEventId = m.id;
      upsertAlert(m.alert);
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
      li.innerHTML = '<img class="snap" alt="snapshot"><div class="body"><div class="title"></div><div class="sub"></div></div>' +
        '<button class="ack">Acknowledge</button><button class="dismiss secondary">Dismiss</button>';
      li.querySelector('.snap').addEventListener('click', () => openSnapshot(a.id));
      li.querySelector('.ack').addEventListener('click', () => ack(a.id, 'acknowledged'));
      li.querySelector('.dismiss').addEventListener('click', () => ack(a.id, 'dismissed'));
      // An alert without a stored snapshot (a camera_down before any frame) has no snapshot field.
      if (a.snapshot) {
        blobUrl(`/api/alerts/${encodeURIComponent(a.id)}/snapshot.jpg`).then((u) => setImage(li.querySelector('.snap'), u), () => undefined);
      }
    }
    li.className = `alert sev-${a.severity} ${a.state}${a.ack ? ` ${a.ack.action}` : ''}`;
    li.querySelector('.title').textContent = `${a.rule} · ${a.camera} · ${a.severity}${a.state === 'ended' ? ' (ended)' : ''}`;
    const labels = a.objects.map((o) => o.label).join(', ');
    const ackText = a.ack ? ` · ${a.ack.action} by ${a.ack.by}` : '';
    li.querySelector('.sub').textContent = `${new Date(a.startedAt).toLocaleString()} · ${labels || 'no objects'} · ${a.latencyMs} ms${ackText}`;
    if (li !== before) {
      list.insertBefore(li, before);
    } else {
      before = before.nextSibling;
      continue;
    }
    before = li.nextSibling;
  }
}

async function ack(id, action) {
  const res = await api(`/api/alerts/${encodeURIComponent(id)}/ack`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ action }),
  });
  if (res.ok) {
    upsertAlert(await res.json());
    $('notice').textContent = '';
  } else {
    const body = await res.json().catch(() => ({}));
    $('notice').textContent = res.status === 403 ? 'Your token may only read (viewer).' : (body.error && body.error.message) || `Error ${res.status}`;
  }
}

async function openSnapshot(id) {
  const url = await blobUrl(`/api/alerts/${encodeURIComponent(id)}/snapshot.jpg`);
  if (!url) {
    $('notice').textContent = 'This alert has no snapshot.';
    return;
  }
  setImage($('viewer-img'), url);
  $('viewer').showModal();
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
boot().catch(() => logout());
