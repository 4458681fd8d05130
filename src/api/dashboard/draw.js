// Vigil dashboard: drawing the live picture and its overlays on a canvas (frame fractions -> pixels). Overlays are
// vectors drawn at the canvas's device resolution, so they stay sharp at any size; the frame is the only raster.
'use strict';
(function () {
  const V = (window.Vigil = window.Vigil || {});
  const COLORS = ['#3fb950', '#d29922', '#58a6ff', '#bc8cff', '#ff7b72', '#39c5cf', '#e3b341', '#f778ba'];

  function colorOf(n) {
    return COLORS[Math.abs(n) % COLORS.length];
  }

  /** Bottom centre of a box: where the rules place an object (its feet). */
  function feet(box) {
    return [(box[0] + box[2]) / 2, box[3]];
  }

  function inside(p, poly) {
    let c = false;
    for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
      const [xi, yi] = poly[i];
      const [xj, yj] = poly[j];
      if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) {
        c = !c;
      }
    }
    return c;
  }

  /** Objects whose feet are inside each zone: zone id -> count. */
  function occupancy(zones, objects) {
    const out = {};
    for (const z of zones) {
      out[z.id] = objects.filter((o) => inside(feet(o.box), z.polygon)).length;
    }
    return out;
  }

  /** Sizes the canvas to its box at the device pixel ratio; returns [width, height] in device pixels. */
  function fit(canvas, aspect) {
    const dpr = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.round(canvas.clientWidth * dpr));
    const h = Math.max(1, Math.round(w / aspect));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    return [w, h];
  }

  /** Where the picture is drawn inside the canvas element (object-fit: contain letterboxes it), in client pixels. */
  function contentRect(canvas) {
    const r = canvas.getBoundingClientRect();
    const aspect = canvas.width / canvas.height || 16 / 9;
    let width = r.width;
    let height = width / aspect;
    if (height > r.height) {
      height = r.height;
      width = height * aspect;
    }
    return { left: r.left + (r.width - width) / 2, top: r.top + (r.height - height) / 2, width, height };
  }

  function label(ctx, text, x, y, color, scale) {
    ctx.font = `${Math.round(12 * scale)}px system-ui, sans-serif`;
    const w = ctx.measureText(text).width + 8 * scale;
    const h = 16 * scale;
    const top = Math.max(0, y - h);
    ctx.fillStyle = 'rgba(0,0,0,.65)';
    ctx.fillRect(x, top, w, h);
    ctx.fillStyle = color;
    ctx.fillText(text, x + 4 * scale, top + 12 * scale);
  }

  function arrow(ctx, x1, y1, x2, y2, scale) {
    const a = Math.atan2(y2 - y1, x2 - x1);
    const s = 9 * scale;
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
    ctx.moveTo(x2, y2);
    ctx.lineTo(x2 - s * Math.cos(a - 0.45), y2 - s * Math.sin(a - 0.45));
    ctx.moveTo(x2, y2);
    ctx.lineTo(x2 - s * Math.cos(a + 0.45), y2 - s * Math.sin(a + 0.45));
    ctx.stroke();
  }

  /**
   * Draws a line with its a→b crossing direction: the arrow points from the side a crossing `a_to_b` starts on to
   * the side it ends on (right of a→b on screen, as src/track/geometry.ts defines it).
   */
  function drawLine(ctx, ln, W, H, scale, color, text) {
    const [[ax, ay], [bx, by]] = ln.points;
    const x1 = ax * W;
    const y1 = ay * H;
    const x2 = bx * W;
    const y2 = by * H;
    ctx.strokeStyle = color;
    ctx.lineWidth = 3 * scale;
    ctx.beginPath();
    ctx.moveTo(x1, y1);
    ctx.lineTo(x2, y2);
    ctx.stroke();
    const len = Math.hypot(x2 - x1, y2 - y1) || 1;
    const nx = -(y2 - y1) / len;
    const ny = (x2 - x1) / len;
    const mx = (x1 + x2) / 2;
    const my = (y1 + y2) / 2;
    const d = 22 * scale;
    ctx.lineWidth = 2 * scale;
    arrow(ctx, mx - nx * d, my - ny * d, mx + nx * d, my + ny * d, scale);
    label(ctx, 'A', x1 + 4 * scale, y1 - 4 * scale, color, scale);
    label(ctx, 'B', x2 + 4 * scale, y2 - 4 * scale, color, scale);
    if (text) {
      label(ctx, text, mx + nx * d + 6 * scale, my + ny * d + 8 * scale, color, scale);
    }
  }

  function drawZone(ctx, z, W, H, scale, color, text, fill) {
    if (z.polygon.length === 0) {
      return;
    }
    ctx.beginPath();
    z.polygon.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(x * W, y * H) : ctx.lineTo(x * W, y * H)));
    ctx.closePath();
    ctx.fillStyle = fill || 'rgba(88,166,255,.12)';
    ctx.fill();
    ctx.strokeStyle = color;
    ctx.lineWidth = 2 * scale;
    ctx.stroke();
    if (text) {
      const [x, y] = z.polygon[0];
      label(ctx, text, x * W + 2 * scale, y * H + 18 * scale, color, scale);
    }
  }

  /**
   * Draws one frame: the picture (or a dark background), the zones with their occupancy, the lines with their
   * direction and per-direction counts, then each object's box with label, track id and score.
   * `o`: {bitmap, zones, lines, counts: {line: {a_to_b, b_to_a}}, objects, aspect, boxes: true}
   */
  function frame(canvas, o) {
    const [W, H] = fit(canvas, o.aspect || 16 / 9);
    const ctx = canvas.getContext('2d');
    // Overlay sizes in CSS pixels: readable on a small tile, not heavy on a large view.
    const dpr = window.devicePixelRatio || 1;
    const scale = dpr * Math.min(1.4, Math.max(0.85, W / dpr / 700));
    if (o.bitmap) {
      ctx.drawImage(o.bitmap, 0, 0, W, H);
    } else {
      ctx.fillStyle = '#05070a';
      ctx.fillRect(0, 0, W, H);
    }
    const objects = o.objects || [];
    const occ = occupancy(o.zones || [], objects);
    for (const z of o.zones || []) {
      drawZone(ctx, z, W, H, scale, '#58a6ff', `${z.id} · ${occ[z.id]} inside`);
    }
    for (const ln of o.lines || []) {
      const c = (o.counts || {})[ln.id];
      drawLine(ctx, ln, W, H, scale, '#d29922', c ? `${ln.id} · A→B ${c.a_to_b} · B→A ${c.b_to_a}` : ln.id);
    }
    if (o.boxes !== false) {
      for (const ob of objects) {
        const [x1, y1, x2, y2] = ob.box;
        const color = colorOf(ob.trackId);
        ctx.strokeStyle = color;
        ctx.lineWidth = 2 * scale;
        ctx.strokeRect(x1 * W, y1 * H, (x2 - x1) * W, (y2 - y1) * H);
        label(ctx, `${ob.label} #${ob.trackId} ${Math.round(ob.score * 100)}%`, x1 * W, y1 * H, color, scale);
      }
    }
    return { ctx, W, H, scale };
  }

  V.draw = { contentRect, frame, drawZone, drawLine, label, occupancy, colorOf, fit };
})();
