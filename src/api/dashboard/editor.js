// Vigil dashboard: the zone and line editor (admin). Click on the picture to place points, drag a point to move it,
// name each shape, swap a line's ends to reverse its direction; Save sends the shapes through PUT /api/cameras/:id
// (without url: the camera keeps its source and settings), which checks them as `vigil config check` does. Problems
// come back as `PATH: message` and are shown beside the shape they name.
'use strict';
(function () {
  const V = (window.Vigil = window.Vigil || {});
  const $ = (id) => document.getElementById(id);
  /** A point is grabbed within this many CSS pixels. */
  const GRAB = 12;
  let ed = null; // {camera, canvas, zones, lines, sel: {kind, i, v}, placing: {kind, i} | null, drag, errors: Map}

  function copy(x) {
    return JSON.parse(JSON.stringify(x));
  }

  function uniqueId(base, list) {
    let n = list.length + 1;
    while (list.some((s) => s.id === `${base}-${n}`)) {
      n++;
    }
    return `${base}-${n}`;
  }

  function at(ev) {
    const r = V.draw.contentRect(ed.canvas);
    const clamp = (v) => Math.min(1, Math.max(0, Math.round(v * 10000) / 10000));
    return [clamp((ev.clientX - r.left) / r.width), clamp((ev.clientY - r.top) / r.height)];
  }

  function pointsOf(kind, i) {
    return kind === 'zone' ? ed.zones[i].polygon : ed.lines[i].points;
  }

  /** The vertex under a pointer position, if any: {kind, i, v}. */
  function hit(p) {
    const r = V.draw.contentRect(ed.canvas);
    let best = null;
    let bestD = GRAB;
    const scan = (kind, list) =>
      list.forEach((s, i) =>
        pointsOf(kind, i).forEach(([x, y], v) => {
          const d = Math.hypot((x - p[0]) * r.width, (y - p[1]) * r.height);
          if (d <= bestD) {
            bestD = d;
            best = { kind, i, v };
          }
        }),
      );
    scan('zone', ed.zones);
    scan('line', ed.lines);
    return best;
  }

  function redraw() {
    V.live.render(ed.camera);
    list();
  }

  /** Draws the shapes being edited over the frame, with handles; the selected one highlighted, wrong ones red. */
  function paint({ ctx, W, H, scale }) {
    if (!ed) {
      return;
    }
    ed.zones.forEach((z, i) => {
      const sel = ed.sel && ed.sel.kind === 'zone' && ed.sel.i === i;
      const bad = ed.errors.has(`zone:${i}`);
      const color = bad ? '#ff7b72' : sel ? '#ffffff' : '#58a6ff';
      if (z.polygon.length >= 2) {
        V.draw.drawZone(ctx, z, W, H, scale, color, z.id, sel ? 'rgba(255,255,255,.14)' : 'rgba(88,166,255,.12)');
      }
      handles(ctx, z.polygon, W, H, scale, color, sel ? ed.sel.v : -1);
    });
    ed.lines.forEach((ln, i) => {
      const sel = ed.sel && ed.sel.kind === 'line' && ed.sel.i === i;
      const bad = ed.errors.has(`line:${i}`);
      const color = bad ? '#ff7b72' : sel ? '#ffffff' : '#d29922';
      if (ln.points.length === 2) {
        V.draw.drawLine(ctx, ln, W, H, scale, color, ln.id);
      }
      handles(ctx, ln.points, W, H, scale, color, sel ? ed.sel.v : -1);
    });
  }

  function handles(ctx, pts, W, H, scale, color, selected) {
    pts.forEach(([x, y], v) => {
      ctx.beginPath();
      ctx.arc(x * W, y * H, (v === selected ? 7 : 5) * scale, 0, Math.PI * 2);
      ctx.fillStyle = v === selected ? '#ffffff' : color;
      ctx.fill();
      ctx.strokeStyle = '#000';
      ctx.lineWidth = 1.5 * scale;
      ctx.stroke();
    });
  }

  function onDown(ev) {
    if (!ed || ev.button !== 0) {
      return;
    }
    const p = at(ev);
    if (ed.placing) {
      const pts = pointsOf(ed.placing.kind, ed.placing.i);
      // Clicking the first point of a zone closes it.
      const h = hit(p);
      if (ed.placing.kind === 'zone' && h && h.kind === 'zone' && h.i === ed.placing.i && h.v === 0 && pts.length >= 3) {
        finish();
        return;
      }
      pts.push(p);
      ed.sel = { kind: ed.placing.kind, i: ed.placing.i, v: pts.length - 1 };
      if (ed.placing.kind === 'line' && pts.length === 2) {
        finish();
      }
      redraw();
      return;
    }
    const h = hit(p);
    ed.sel = h;
    if (h) {
      ed.drag = h;
      ed.canvas.setPointerCapture(ev.pointerId);
    }
    redraw();
  }

  function onMove(ev) {
    if (!ed || !ed.drag) {
      return;
    }
    const pts = pointsOf(ed.drag.kind, ed.drag.i);
    pts[ed.drag.v] = at(ev);
    V.live.render(ed.camera);
  }

  function onUp() {
    if (ed && ed.drag) {
      ed.drag = null;
      redraw();
    }
  }

  /** Keyboard: arrows move the selected point (Shift: faster), Delete removes it, Enter closes a zone being drawn. */
  function onKey(ev) {
    if (!ed) {
      return;
    }
    if (ev.key === 'Enter' && ed.placing) {
      ev.preventDefault();
      finish();
      return;
    }
    const s = ed.sel;
    if (!s || s.v === undefined || s.v < 0) {
      return;
    }
    const pts = pointsOf(s.kind, s.i);
    const step = ev.shiftKey ? 0.02 : 0.005;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
    if (moves[ev.key]) {
      ev.preventDefault();
      const [dx, dy] = moves[ev.key];
      const [x, y] = pts[s.v];
      pts[s.v] = [Math.min(1, Math.max(0, x + dx)), Math.min(1, Math.max(0, y + dy))];
      redraw();
    } else if ((ev.key === 'Delete' || ev.key === 'Backspace') && s.kind === 'zone' && pts.length > 3) {
      ev.preventDefault();
      pts.splice(s.v, 1);
      ed.sel = { ...s, v: Math.min(s.v, pts.length - 1) };
      redraw();
    }
  }

  function add(kind) {
    finish();
    ed.errors = new Map();
    $('ed-error').textContent = '';
    if (kind === 'zone') {
      ed.zones.push({ id: uniqueId('zone', ed.zones), polygon: [] });
      ed.placing = { kind, i: ed.zones.length - 1 };
    } else {
      ed.lines.push({ id: uniqueId('line', ed.lines), points: [] });
      ed.placing = { kind, i: ed.lines.length - 1 };
    }
    ed.sel = { kind, i: ed.placing.i, v: -1 };
    $('ed-finish').hidden = kind !== 'zone';
    $('edit-help').textContent = kind === 'zone' ? 'Click the zone\'s corners on the picture; Finish shape (or Enter, or the first point) closes it.' : 'Click the line\'s two ends: A, then B.';
    ed.canvas.focus();
    redraw();
  }

  /** Ends placing points; a shape with too few points is dropped. */
  function finish() {
    if (!ed || !ed.placing) {
      return;
    }
    const { kind, i } = ed.placing;
    ed.placing = null;
    $('ed-finish').hidden = true;
    $('edit-help').textContent = 'Drag a point to move it (or select it and use the arrow keys); Delete removes the selected point of a zone.';
    const pts = pointsOf(kind, i);
    if ((kind === 'zone' && pts.length < 3) || (kind === 'line' && pts.length < 2)) {
      (kind === 'zone' ? ed.zones : ed.lines).splice(i, 1);
      ed.sel = null;
    }
    redraw();
  }

  function rulesFor(kind, id) {
    const cfg = V.live.camera(ed ? ed.camera : '').config;
    return ((cfg && cfg.rules) || []).filter((r) => (kind === 'zone' ? r.zone === id : r.line === id));
  }

  /** The shape list beside the picture while editing: name, rules, swap/delete, problems. */
  function list() {
    for (const kind of ['zone', 'line']) {
      const ul = $(kind === 'zone' ? 'cam-zones' : 'cam-lines');
      const shapes = kind === 'zone' ? ed.zones : ed.lines;
      ul.innerHTML = '';
      shapes.forEach((s, i) => {
        const li = document.createElement('li');
        li.className = 'shape' + (ed.sel && ed.sel.kind === kind && ed.sel.i === i ? ' selected' : '');
        li.dataset.kind = kind;
        li.dataset.index = String(i);
        const name = document.createElement('input');
        name.value = s.id;
        name.className = 'shape-name';
        name.setAttribute('aria-label', `${kind} name`);
        name.addEventListener('change', () => {
          s.id = name.value.trim();
          V.live.render(ed.camera);
        });
        name.addEventListener('focus', () => {
          ed.sel = { kind, i, v: -1 };
          V.live.render(ed.camera);
        });
        li.appendChild(name);
        if (kind === 'line') {
          li.appendChild(button('Swap A/B', `reverse the direction of line ${s.id}`, () => {
            s.points.reverse();
            redraw();
          }));
        }
        li.appendChild(button('Delete', `delete ${kind} ${s.id}`, () => {
          shapes.splice(i, 1);
          ed.sel = null;
          // The problems named shapes by index: they are shown again at the next Save.
          ed.errors = new Map();
          $('ed-error').textContent = '';
          redraw();
        }));
        const rules = rulesFor(kind, s.id);
        const p = document.createElement('div');
        p.className = 'muted rules';
        p.textContent = rules.length ? `used by: ${rules.map((r) => `${r.id} (${r.type})`).join(', ')}` : 'no rule uses it';
        li.appendChild(p);
        const err = ed.errors.get(`${kind}:${i}`);
        if (err) {
          const e = document.createElement('div');
          e.className = 'error shape-error';
          e.setAttribute('role', 'alert');
          e.textContent = err.join('; ');
          li.appendChild(e);
        }
        ul.appendChild(li);
      });
    }
  }

  function button(text, aria, fn) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'secondary small';
    b.textContent = text;
    b.setAttribute('aria-label', aria);
    b.addEventListener('click', fn);
    return b;
  }

  /** Splits the 400 answer's `PATH: message; PATH: message` among the shapes it names. */
  function placeErrors(message) {
    ed.errors = new Map();
    const general = [];
    for (const part of message.split('; ')) {
      const m = /^(zones|lines)\[(\d+)\]/.exec(part);
      const r = /^rules\[\d+\]\.(zone|line): .*"([^"]+)"$/.exec(part);
      let key = null;
      if (m) {
        key = `${m[1] === 'zones' ? 'zone' : 'line'}:${m[2]}`;
      } else if (r) {
        const list = r[1] === 'zone' ? ed.zones : ed.lines;
        const i = list.findIndex((s) => s.id === r[2]);
        key = i >= 0 ? `${r[1]}:${i}` : null;
      }
      if (key) {
        ed.errors.set(key, [...(ed.errors.get(key) || []), part]);
      } else {
        general.push(part);
      }
    }
    $('ed-error').textContent = general.join('; ') || (ed.errors.size ? 'Fix the shapes marked in red.' : '');
    redraw();
  }

  async function save() {
    finish();
    $('ed-error').textContent = '';
    const body = { zones: ed.zones, lines: ed.lines };
    const res = await V.api(`/api/cameras/${encodeURIComponent(ed.camera)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.ok) {
      const camera = ed.camera;
      close();
      await V.live.config(camera, true);
      V.notice(`Zones and lines of ${camera} saved.`);
      location.hash = `#/camera/${encodeURIComponent(camera)}`;
      return;
    }
    const b = await res.json().catch(() => ({}));
    placeErrors(res.status === 403 ? 'Your token may only read (viewer).' : (b.error && b.error.message) || `Error ${res.status}`);
  }

  async function open(camera, canvas) {
    const cfg = await V.live.config(camera, true);
    if (!cfg) {
      V.notice('This camera\'s configuration could not be read.');
      return false;
    }
    ed = { camera, canvas, zones: copy(cfg.zones), lines: copy(cfg.lines), sel: null, placing: null, drag: null, errors: new Map() };
    canvas.tabIndex = 0;
    canvas.classList.add('editing');
    canvas.setAttribute('aria-label', 'zone and line editor: click to place points, drag to move them');
    canvas.addEventListener('pointerdown', onDown);
    canvas.addEventListener('pointermove', onMove);
    canvas.addEventListener('pointerup', onUp);
    canvas.addEventListener('keydown', onKey);
    $('editor-tools').hidden = false;
    $('edit-open').hidden = true;
    $('ed-error').textContent = '';
    $('ed-finish').hidden = true;
    redraw();
    return true;
  }

  function close() {
    if (!ed) {
      return;
    }
    const { canvas, camera } = ed;
    canvas.removeEventListener('pointerdown', onDown);
    canvas.removeEventListener('pointermove', onMove);
    canvas.removeEventListener('pointerup', onUp);
    canvas.removeEventListener('keydown', onKey);
    canvas.classList.remove('editing');
    canvas.setAttribute('aria-label', 'live picture');
    ed = null;
    $('editor-tools').hidden = true;
    V.live.render(camera);
  }

  /** Escape: first stops placing points, then leaves the editor without saving. */
  function escape() {
    if (ed && ed.placing) {
      finish();
      return true;
    }
    if (ed) {
      const camera = ed.camera;
      close();
      location.hash = `#/camera/${encodeURIComponent(camera)}`;
      return true;
    }
    return false;
  }

  $('ed-add-zone').addEventListener('click', () => add('zone'));
  $('ed-add-line').addEventListener('click', () => add('line'));
  $('ed-finish').addEventListener('click', finish);
  $('ed-save').addEventListener('click', () => save().catch((e) => ($('ed-error').textContent = e.message)));
  $('ed-cancel').addEventListener('click', escape);

  V.editor = { open, close, escape, paint, active: () => ed !== null, camera: () => (ed ? ed.camera : null) };
})();
