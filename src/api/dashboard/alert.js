// Vigil dashboard: one alert in detail: its clip (when the camera recorded one), the large snapshot, the objects
// with their track ids, the rule and its settings, the timeline (start, updates, end) and acknowledge with a note.
'use strict';
(function () {
  const V = (window.Vigil = window.Vigil || {});
  const $ = (id) => document.getElementById(id);
  let current = null; // alert id shown
  let clipUrl = null;

  function time(iso) {
    return iso ? new Date(iso).toLocaleString() : '';
  }

  function kv(dl, pairs) {
    dl.innerHTML = '';
    for (const [k, v] of pairs) {
      if (v === undefined || v === null || v === '') {
        continue;
      }
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = Array.isArray(v) ? v.join(', ') : typeof v === 'object' ? JSON.stringify(v) : String(v);
      dl.append(dt, dd);
    }
  }

  function ackText(ack) {
    if (!ack) {
      return 'Not acknowledged yet.';
    }
    return `${ack.action} by ${ack.by} at ${time(ack.at)}${ack.note ? `: “${ack.note}”` : ''}`;
  }

  function render(a) {
    $('al-title').textContent = `${a.rule} · ${a.camera} · ${a.severity}`;
    const st = $('al-state');
    st.textContent = a.state;
    st.className = `badge ${a.state === 'active' ? 'state-stalled' : ''}`;
    const tbody = $('al-objects');
    tbody.innerHTML = '';
    for (const o of a.objects) {
      const tr = document.createElement('tr');
      for (const v of [`#${o.trackId}`, o.label, `${Math.round(o.score * 100)}%`]) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
    if (a.objects.length === 0) {
      tbody.innerHTML = '<tr><td colspan="3" class="muted">no objects</td></tr>';
    }
    $('al-ack-state').textContent = ackText(a.ack);
    if (a.ack && a.ack.note && !$('al-note').value) {
      $('al-note').value = a.ack.note;
    }
  }

  async function rule(a) {
    const cfg = await V.live.config(a.camera).catch(() => null);
    const r = cfg && cfg.rules ? cfg.rules.find((x) => x.id === a.rule) : null;
    const pairs = [['id', a.rule], ['type', a.type]];
    if (r) {
      for (const [k, v] of Object.entries(r)) {
        if (k !== 'id' && k !== 'type') {
          pairs.push([k, v]);
        }
      }
    } else {
      pairs.push(['settings', 'not in the running configuration any more']);
    }
    pairs.push(['zone (alert)', a.zone], ['line (alert)', a.line], ['direction (alert)', a.direction], ['count (alert)', a.count]);
    if (a.counts) {
      pairs.push(['line totals', `A→B ${a.counts.a_to_b} · B→A ${a.counts.b_to_a}`]);
    }
    kv($('al-rule'), pairs);
  }

  async function timeline(id) {
    const ol = $('al-timeline');
    const res = await V.api(`/api/alerts/${encodeURIComponent(id)}/events`);
    ol.innerHTML = '';
    if (!res.ok) {
      ol.innerHTML = '<li class="muted">The timeline is not stored any more.</li>';
      return;
    }
    const { events, complete } = await res.json();
    for (const e of events) {
      const li = document.createElement('li');
      li.className = `ev-${e.event}`;
      const extra = [
        `${e.objects.length} object${e.objects.length === 1 ? '' : 's'}`,
        e.count !== undefined ? `count ${e.count}` : '',
        e.counts ? `A→B ${e.counts.a_to_b} · B→A ${e.counts.b_to_a}` : '',
      ].filter(Boolean);
      li.textContent = `${e.event} · ${new Date(e.at).toLocaleTimeString()} · ${extra.join(' · ')}`;
      ol.appendChild(li);
    }
    if (!complete) {
      const li = document.createElement('li');
      li.className = 'muted';
      li.textContent = 'still active';
      ol.appendChild(li);
    }
  }

  /** The clip: fetched with the token (a <video> cannot send it) and played from memory. */
  async function clip(a) {
    const video = $('al-video');
    const note = $('al-clip-note');
    video.hidden = true;
    if (!a.clip) {
      note.textContent = a.state === 'active' ? 'The clip is recorded once the alert has ended.' : 'No clip for this alert.';
      return;
    }
    note.textContent = 'Loading the clip…';
    const res = await V.api(`/api/alerts/${encodeURIComponent(a.id)}/clip.mp4`);
    if (current !== a.id) {
      return;
    }
    if (!res.ok) {
      const b = await res.json().catch(() => ({}));
      note.textContent = `No clip: ${(b.error && b.error.message) || res.status}`;
      return;
    }
    if (clipUrl) {
      URL.revokeObjectURL(clipUrl);
    }
    clipUrl = URL.createObjectURL(await res.blob());
    video.src = clipUrl;
    video.hidden = false;
    note.textContent = '';
  }

  async function open(id) {
    current = id;
    $('al-note').value = '';
    $('al-video').hidden = true;
    $('al-video').removeAttribute('src');
    $('al-snap').removeAttribute('src');
    $('al-timeline').innerHTML = '';
    $('al-rule').innerHTML = '';
    const res = await V.api(`/api/alerts/${encodeURIComponent(id)}`);
    if (current !== id) {
      return;
    }
    if (!res.ok) {
      $('al-title').textContent = 'This alert is not stored (unknown, or removed by retention).';
      return;
    }
    const a = await res.json();
    render(a);
    if (a.snapshot) {
      V.blobUrl(`/api/alerts/${encodeURIComponent(id)}/snapshot.jpg`).then((u) => V.setImage($('al-snap'), u), () => undefined);
    }
    await Promise.all([rule(a), timeline(id), clip(a)]).catch((e) => V.notice(e.message));
  }

  /** A live alert message about the alert on screen (update, end, clip ready) refreshes it. */
  function onAlert(a) {
    if (a.id === current) {
      render(a);
      timeline(a.id).catch(() => undefined);
      if (a.clip && $('al-video').hidden) {
        clip(a).catch(() => undefined);
      }
    }
  }

  async function ack(action) {
    const note = $('al-note').value.trim();
    const body = { action };
    if (note) {
      body.note = note;
    }
    const a = await V.ack(current, body);
    if (a) {
      render(a);
    }
  }

  function close() {
    current = null;
    const v = $('al-video');
    v.pause();
    v.removeAttribute('src');
    if (clipUrl) {
      URL.revokeObjectURL(clipUrl);
      clipUrl = null;
    }
  }

  $('al-ack-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    ack('acknowledged');
  });
  $('al-dismiss').addEventListener('click', () => ack('dismissed'));

  V.alertView = { open, close, onAlert, current: () => current };
})();
