// Vigil dashboard: the live view. Frames come from /ws/live (binary envelope: camera, capture time, size, JPEG;
// docs/api.md) at each camera's detect rate; the objects come from the `detections` topic of /ws. A frame waits
// (at most HOLD_MS) for the detections of its own capture time, so boxes sit on the picture they were found in.
'use strict';
(function () {
  const V = (window.Vigil = window.Vigil || {});
  /** Longest wait of a frame for its detections; then it is drawn with the newest earlier ones. */
  const HOLD_MS = 600;
  /** Frames held per camera at most (older ones are skipped). */
  const MAX_HELD = 8;
  const cams = new Map(); // camera id -> per-camera state
  let views = []; // [{camera, canvas, draft?: () => shapes}]
  let socket = null;
  let stopped = true;
  let retry = 1000;
  let timer = null;

  function cam(id) {
    let c = cams.get(id);
    if (!c) {
      c = { held: [], dets: [], shown: null, objects: [], received: [], drawn: 0, latency: [], display: [], config: null, counts: {}, aspect: 16 / 9 };
      cams.set(id, c);
    }
    return c;
  }

  function parse(buf) {
    const dv = new DataView(buf);
    if (buf.byteLength < 19 || dv.getUint8(0) !== 1) {
      return null;
    }
    const n = dv.getUint8(1);
    const camera = new TextDecoder().decode(new Uint8Array(buf, 2, n));
    const o = 2 + n;
    return {
      camera,
      capturedAt: dv.getFloat64(o, true),
      seq: dv.getUint32(o + 8, true),
      width: dv.getUint16(o + 12, true),
      height: dv.getUint16(o + 14, true),
      jpeg: new Blob([new Uint8Array(buf, o + 16)], { type: 'image/jpeg' }),
    };
  }

  function connect() {
    if (stopped) {
      return;
    }
    const proto = location.protocol === 'https:' ? 'wss' : 'ws';
    const token = V.state.token ? `?token=${encodeURIComponent(V.state.token)}` : '';
    const ws = new WebSocket(`${proto}://${location.host}/ws/live${token}`);
    ws.binaryType = 'arraybuffer';
    socket = ws;
    ws.onopen = () => {
      retry = 1000;
      subscribe();
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        console.warn('live view:', ev.data);
        return;
      }
      const f = parse(ev.data);
      if (f) {
        receive(f);
      }
    };
    ws.onclose = () => {
      if (socket === ws) {
        socket = null;
      }
      if (!stopped) {
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 10000);
      }
    };
  }

  function subscribe() {
    if (socket && socket.readyState === WebSocket.OPEN) {
      const cameras = [...new Set(views.map((v) => v.camera))];
      socket.send(JSON.stringify({ type: 'subscribe', cameras }));
    }
  }

  async function receive(f) {
    const c = cam(f.camera);
    const now = Date.now();
    c.received.push(now);
    while (c.received.length > 0 && now - c.received[0] > 5000) {
      c.received.shift();
    }
    c.latency.push(now - f.capturedAt);
    if (c.latency.length > 100) {
      c.latency.shift();
    }
    c.aspect = f.width / f.height || c.aspect;
    let bitmap;
    try {
      bitmap = await createImageBitmap(f.jpeg);
    } catch {
      return;
    }
    if (c.shown && f.capturedAt <= c.shown.capturedAt) {
      bitmap.close();
      return; // decoded after a newer frame was shown
    }
    c.held.push({ bitmap, capturedAt: f.capturedAt, seq: f.seq, at: Date.now() });
    while (c.held.length > MAX_HELD) {
      c.held.shift().bitmap.close();
    }
    match(f.camera);
  }

  function onDetections(m) {
    const c = cam(m.camera);
    c.dets.push({ t: Date.parse(m.capturedAt), objects: m.objects });
    if (c.dets.length > 50) {
      c.dets.shift();
    }
    if (views.every((v) => v.camera !== m.camera)) {
      c.objects = m.objects;
      return;
    }
    match(m.camera);
  }

  function detectionsAt(c, t) {
    for (let i = c.dets.length - 1; i >= 0; i--) {
      if (Math.abs(c.dets[i].t - t) < 2) {
        return c.dets[i];
      }
    }
    return null;
  }

  /** Shows the newest held frame whose detections arrived (skipping older ones), or frames held too long. */
  function match(id) {
    const c = cam(id);
    let pick = -1;
    let objects = null;
    for (let i = c.held.length - 1; i >= 0; i--) {
      const d = detectionsAt(c, c.held[i].capturedAt);
      if (d) {
        pick = i;
        objects = d.objects;
        break;
      }
    }
    if (pick < 0 && c.held.length > 0 && Date.now() - c.held[0].at >= HOLD_MS) {
      pick = 0;
      // The newest detections not after the frame.
      const before = c.dets.filter((d) => d.t <= c.held[0].capturedAt + 1);
      objects = before.length > 0 ? before[before.length - 1].objects : c.objects;
    }
    if (pick < 0) {
      return;
    }
    const f = c.held[pick];
    for (const old of c.held.splice(0, pick + 1)) {
      if (old !== f) {
        old.bitmap.close();
      }
    }
    if (c.shown) {
      c.shown.bitmap.close();
    }
    c.shown = f;
    c.objects = objects || [];
    c.drawn++;
    c.display.push(Date.now() - f.capturedAt);
    if (c.display.length > 100) {
      c.display.shift();
    }
    render(id);
  }

  function render(id) {
    const c = cam(id);
    for (const v of views) {
      if (v.camera !== id) {
        continue;
      }
      const cfg = c.config || { zones: [], lines: [] };
      const draft = v.draft ? v.draft() : null;
      const out = V.draw.frame(v.canvas, {
        bitmap: c.shown ? c.shown.bitmap : null,
        aspect: c.aspect,
        zones: draft ? [] : cfg.zones,
        lines: draft ? [] : cfg.lines,
        counts: c.counts,
        objects: c.objects,
      });
      v.canvas.dataset.frames = String(c.drawn);
      if (draft && v.paint) {
        v.paint(out);
      }
    }
  }

  function median(xs) {
    if (xs.length === 0) {
      return null;
    }
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  }

  /** Frames per second received over the last 5 s, latencies (median ms from capture to receipt and to display). */
  function stats(id) {
    const c = cam(id);
    const r = c.received;
    const fps = r.length > 1 ? ((r.length - 1) * 1000) / (r[r.length - 1] - r[0]) : 0;
    return { fps, frames: c.drawn, receivedMs: median(c.latency), displayMs: median(c.display), lastAt: r.length ? r[r.length - 1] : 0 };
  }

  /** Loads (once, or again with `fresh`) the zones, lines and rules of a camera. */
  async function config(id, fresh) {
    const c = cam(id);
    if (c.config && !fresh) {
      return c.config;
    }
    const res = await V.api(`/api/cameras/${encodeURIComponent(id)}/config`);
    if (res.ok) {
      c.config = await res.json();
      render(id);
    }
    return c.config;
  }

  /** Line counts shown on the lines come from line_cross alerts (their per-direction totals). */
  function onAlert(a) {
    if (a.line && a.counts) {
      const c = cam(a.camera);
      const prev = c.counts[a.line];
      if (!prev || Date.parse(a.updatedAt) >= prev.at) {
        c.counts[a.line] = { a_to_b: a.counts.a_to_b, b_to_a: a.counts.b_to_a, at: Date.parse(a.updatedAt) };
      }
    }
  }

  /** Replaces the canvases on screen (the grid, or one camera) and subscribes to their cameras. */
  function show(next) {
    views = next;
    for (const v of views) {
      config(v.camera).catch(() => undefined);
      render(v.camera);
    }
    subscribe();
  }

  function start() {
    stopped = false;
    connect();
    timer = setInterval(() => {
      for (const id of new Set(views.map((v) => v.camera))) {
        match(id);
      }
    }, 100);
  }

  function stop() {
    stopped = true;
    clearInterval(timer);
    if (socket) {
      socket.close();
    }
    views = [];
  }

  window.addEventListener('resize', () => {
    for (const id of new Set(views.map((v) => v.camera))) {
      render(id);
    }
  });

  V.live = { start, stop, show, onDetections, onAlert, stats, config, render, camera: cam };
})();
