import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import WebSocket from 'ws';
import { ADMIN, VIEWER, cleanup, heapAfterGc, sampleAlert, startTestApi, testContext, type TestApi } from '../api/helpers';
import { TestClient, upgradeStatus } from './ws-client';
import { stopChild, waitFor } from '../helpers';

describe('WsHub', () => {
  let api: TestApi;
  const clients: TestClient[] = [];
  const open = async (query = `?token=${VIEWER}`, options: WebSocket.ClientOptions = {}) => {
    const c = await TestClient.open(api.url + query, options);
    clients.push(c);
    return c;
  };

  beforeEach(async function () {
    const pingIntervalMs = this.currentTest?.title.includes('pings') ? 300 : 30_000;
    api = await startTestApi(testContext({ server: { host: '127.0.0.1', port: 0, wsMaxMessageBytes: 1024, wsMaxBufferedBytes: 4 * 1024 * 1024, tokens: [{ name: 'ops', token: ADMIN, role: 'admin' }, { name: 'guard', token: VIEWER, role: 'viewer' }] } }), { pingIntervalMs });
  });
  afterEach(async () => {
    clients.splice(0).forEach((c) => c.close());
    await api.close();
    await cleanup(api.ctx);
  });

  it('refuses the upgrade with 401 without a valid token, accepts header or ?token=', async () => {
    assert.equal(await upgradeStatus(api.url), 401);
    assert.equal(await upgradeStatus(`${api.url}?token=nope-nope-nope-nope`), 401);
    assert.equal(await upgradeStatus(api.url, { authorization: 'Bearer nope-nope-nope-nope' }), 401);
    assert.equal(await upgradeStatus(api.url.replace('/ws', '/other') + `?token=${VIEWER}`), 404);
    assert.equal(await upgradeStatus(`${api.url}?token=${VIEWER}`), 101);
    assert.equal(await upgradeStatus(api.url, { authorization: `Bearer ${ADMIN}` }), 101);
  });

  it('says hello with the version and cameras, then sends alerts, camera states and (subscribed) detections', async () => {
    const redis = api.ctx.redis('t');
    await redis.sadd(api.ctx.keys.cameraIndex, 'walkway', 'yard');
    const a = await open();
    const hello = a.messages[0] as { type: string; version: string; cameras: string[] };
    assert.equal(hello.type, 'hello');
    assert.deepEqual(hello.cameras, ['walkway', 'yard']);
    const b = await open();
    b.send({ type: 'subscribe', cameras: ['yard'], topics: ['alerts', 'detections'] });
    // The hub answers a subscribe with nothing; a malformed message sent after it is answered once both were read.
    b.send('{"type":');
    await b.until(() => b.messages.some((m) => m.type === 'error'), 5000, 'the subscribe read');
    const w1 = await api.store.write('start', sampleAlert({ camera: 'walkway' }));
    const w2 = await api.store.write('start', sampleAlert({ camera: 'yard' }));
    await redis.publish(api.ctx.keys.channels.camera, JSON.stringify({ type: 'camera', camera: 'walkway', state: 'stalled', reason: 'no frame for 5 s', at: new Date().toISOString() }));
    await redis.publish(api.ctx.keys.channels.detections, JSON.stringify({ type: 'detections', camera: 'yard', seq: 7, capturedAt: new Date().toISOString(), objects: [] }));
    await a.until(() => a.alerts.length === 2 && a.messages.some((m) => m.type === 'camera'), 5000, 'a: alerts + camera');
    await b.until(() => b.messages.some((m) => m.type === 'detections') && b.alerts.length === 1, 5000, 'b: yard alert + detections');
    assert.deepEqual(a.alerts.map((x) => x.id), [w1.eventId, w2.eventId]);
    assert.equal(a.alerts[0].alert.id, w1.alert.id);
    assert.ok(!a.messages.some((m) => m.type === 'detections'), 'detections only when subscribed');
    assert.deepEqual(b.alerts.map((x) => x.id), [w2.eventId]);
    assert.ok(!b.messages.some((m) => m.type === 'camera'), 'b did not subscribe to cameras');
  });

  it('replays with since across a reconnect during a burst: no gap, no duplicate, in order', async () => {
    const writer = (async () => {
      const ids: string[] = [];
      for (let i = 0; i < 300; i++) {
        ids.push((await api.store.write('start', sampleAlert())).eventId);
        if (i % 50 === 0) {
          await new Promise((r) => setTimeout(r, 5)); // paces the burst
        }
      }
      return ids;
    })();
    const first = await open();
    first.send({ type: 'subscribe', since: '0' });
    await first.until(() => first.alerts.length >= 60, 10_000, '60 alerts');
    first.close();
    const got = first.alerts.map((x) => x.id);
    const since = got[got.length - 1];
    const second = await open();
    second.send({ type: 'subscribe', since });
    const ids = await writer;
    await second.until(() => second.alerts.length > 0 && second.alerts[second.alerts.length - 1].id === ids[ids.length - 1], 15_000, 'the last alert');
    const all = [...got, ...second.alerts.map((x) => x.id)];
    assert.deepEqual(all, ids);
  });

  it('replays a backlog far larger than the send buffer at the pace the client reads, without cutting it off', async function () {
    this.timeout(60_000);
    const objects = Array.from({ length: 100 }, (_, i) => ({ trackId: i, label: 'person', score: 0.5, box: [0.1, 0.1, 0.2, 0.2] as [number, number, number, number] }));
    const ids: string[] = [];
    // ~1,500 alerts of ~8 KB = ~12 MB, three times the 4 MiB send buffer.
    for (let i = 0; i < 30; i++) {
      const batch = await Promise.all(Array.from({ length: 50 }, () => api.store.write('start', sampleAlert({ objects }))));
      ids.push(...batch.map((w) => w.eventId));
    }
    const c = await open();
    c.send({ type: 'subscribe', since: '0' });
    await c.until(() => c.alerts.length === ids.length, 45_000, 'the whole backlog');
    assert.deepEqual(c.alerts.map((x) => x.id), ids);
    assert.equal(c.closeCode, undefined);
  });

  it('does not send an alert twice when since overlaps what was already sent live', async () => {
    const c = await open();
    const w = [await api.store.write('start', sampleAlert()), await api.store.write('start', sampleAlert())];
    await c.until(() => c.alerts.length === 2);
    c.send({ type: 'subscribe', since: '0' });
    const w3 = await api.store.write('start', sampleAlert());
    await c.until(() => c.alerts.some((x) => x.id === w3.eventId));
    await new Promise((r) => setTimeout(r, 200)); // nothing may happen here: no alert sent a second time
    assert.deepEqual(c.alerts.map((x) => x.id), [w[0].eventId, w[1].eventId, w3.eventId]);
  });

  it('answers malformed messages with a JSON error and keeps the connection; closes 1009 when oversized', async () => {
    const c = await open();
    c.send('{"type":');
    c.send({ type: 'subscribe', topics: ['nope'] });
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    await c.until(() => c.messages.filter((m) => m.type === 'error').length === 3);
    assert.ok(c.messages.filter((m) => m.type === 'error').every((m) => m.code === 'bad_request' && typeof m.message === 'string'));
    const w = await api.store.write('start', sampleAlert());
    await c.until(() => c.alerts.some((x) => x.id === w.eventId), 5000, 'still open');
    c.send({ type: 'subscribe', cameras: Array.from({ length: 200 }, (_, i) => `camera-${i}`) });
    await c.until(() => c.closeCode !== undefined, 5000, 'close');
    assert.equal(c.closeCode, 1009);
  });

  it('closes clients whose token was removed by a config reload (1008), keeps the others', async () => {
    const viewer = await open();
    const admin = await open(`?token=${ADMIN}`);
    const next = { ...api.ctx.config, server: { ...api.ctx.config.server, tokens: api.ctx.config.server.tokens.filter((t) => t.role === 'admin') } };
    api.ctx.reload(next);
    await viewer.until(() => viewer.closeCode !== undefined, 5000, 'viewer closed').catch(() => undefined);
    assert.equal(viewer.closeCode, 1008);
    assert.equal(admin.closeCode, undefined);
    assert.equal(await upgradeStatus(`${api.url}?token=${VIEWER}`), 401);
  });

  it('terminates a peer that does not answer pings', async () => {
    const dead = await open(`?token=${VIEWER}`, { autoPong: false });
    const live = await open();
    await dead.until(() => dead.closeCode !== undefined, 5000, 'dead peer terminated');
    assert.equal(live.closeCode, undefined);
    assert.equal(api.hub.size, 1);
  });

  it('cuts off a slow client while the others stay on time', async function () {
    this.timeout(60_000);
    // The slow client is a separate process that never reads (tiny SO_RCVBUF); killed by pid afterwards.
    const slow = spawn('python3', [path.join(__dirname, 'slow-client.py'), String(api.port), VIEWER], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve, reject) => {
        slow.stdout.once('data', () => resolve());
        slow.once('exit', (code) => reject(new Error(`slow client exited ${code}`)));
      });
      const fast = await Promise.all([open(), open(), open()]);
      await waitFor(() => api.hub.size === 4, 5000, 'four clients');
      const objects = Array.from({ length: 100 }, (_, i) => ({ trackId: i, label: 'person', score: 0.5, box: [0.1, 0.1, 0.2, 0.2] as [number, number, number, number] }));
      const ids: string[] = [];
      const cutOff = async () => (await api.ctx.metrics.getSingleMetricAsString('vigil_ws_cutoff_total')).includes('reason="slow"} 1');
      for (let i = 0; i < 80 && !(await cutOff()); i++) {
        const batch = await Promise.all(Array.from({ length: 25 }, () => api.store.write('start', sampleAlert({ objects }))));
        ids.push(...batch.map((w) => w.eventId));
        // Pace the burst by the fast clients (they share this process's event loop with the server): only the
        // slow client, which never reads, may fall behind.
        for (const f of fast) {
          await f.until(() => f.alerts.length === ids.length, 20_000, 'the fast clients to keep up');
        }
      }
      await waitFor(cutOff, 20_000, `slow client cut off (after ${ids.length} alerts)`).catch(async (err) => {
        const m = await api.ctx.metrics.getSingleMetricAsString('vigil_ws_cutoff_total');
        throw new Error(`${(err as Error).message}; clients ${api.hub.size}; ${m.split('\n').slice(2).join(' ')}`);
      });
      for (const f of fast) {
        await f.until(() => f.alerts.length === ids.length, 20_000, 'every alert on the fast clients');
        assert.deepEqual(f.alerts.map((x) => x.id), ids);
        const late = f.alerts.map((x) => x.at - Number(x.id.split('-')[0])).sort((a, b) => a - b);
        const p99 = late[Math.floor(late.length * 0.99)];
        assert.ok(p99 < 5000, `fast client p99 latency ${p99} ms`);
      }
      assert.equal(api.hub.size, 3);
    } finally {
      await stopChild(slow);
    }
  });

  it('drops detections for a slow client instead of cutting it off', async function () {
    this.timeout(60_000);
    const slow = spawn('python3', [path.join(__dirname, 'slow-client.py'), String(api.port), VIEWER, '{"type":"subscribe","topics":["detections"]}'], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise<void>((resolve, reject) => {
        slow.stdout.once('data', () => resolve());
        slow.once('exit', (code) => reject(new Error(`slow client exited ${code}`)));
      });
      await waitFor(() => api.hub.size === 1, 5000, 'the slow client');
      await new Promise((r) => setTimeout(r, 300)); // time to read the client's subscribe (no ack); the loop below publishes until drops show
      const pub = api.ctx.redis('p');
      const objects = Array.from({ length: 100 }, (_, i) => ({ trackId: i, label: 'person', score: 0.5, box: [0.1, 0.1, 0.2, 0.2] }));
      const msg = JSON.stringify({ type: 'detections', camera: 'walkway', seq: 1, capturedAt: new Date().toISOString(), objects });
      const dropped = async () =>
        Number(/^vigil_ws_detections_dropped_total (\d+)$/m.exec(await api.ctx.metrics.getSingleMetricAsString('vigil_ws_detections_dropped_total'))?.[1] ?? 0) > 0;
      for (let i = 0; i < 60 && !(await dropped()); i++) {
        const p = pub.pipeline();
        for (let k = 0; k < 50; k++) {
          p.publish(api.ctx.keys.channels.detections, msg);
        }
        await p.exec();
      }
      await waitFor(dropped, 10_000, 'detections dropped');
      // Keep publishing well past the cut-off size: detections never get the client cut off.
      for (let i = 0; i < 20; i++) {
        const p = pub.pipeline();
        for (let k = 0; k < 50; k++) {
          p.publish(api.ctx.keys.channels.detections, msg);
        }
        await p.exec();
      }
      await new Promise((r) => setTimeout(r, 300)); // nothing may happen here: the client is not cut off
      assert.equal(api.hub.size, 1);
      assert.ok(!(await api.ctx.metrics.getSingleMetricAsString('vigil_ws_cutoff_total')).includes('reason="slow"'));
    } finally {
      await stopChild(slow);
    }
  });

  it('survives 10,000 malformed messages with clear errors and flat memory', async function () {
    this.timeout(60_000);
    const c = await open();
    const before = heapAfterGc();
    const samples = ['', '{', 'null', '[]', '{"type":1}', '{"type":"subscribe","since":{}}', '{"type":"subscribe","cameras":[1]}', '\u0000\u0001', '{"type":"subscribe","topics":"all"}', '"x"'];
    for (let i = 0; i < 10_000; i++) {
      const base = samples[i % samples.length];
      c.send(i % 7 === 0 ? base + Math.random().toString(36) : base);
      if (i % 500 === 499) {
        await c.until(() => c.messages.length >= i - 200, 10_000, 'errors to come back');
      }
    }
    await c.until(() => c.messages.filter((m) => m.type === 'error').length === 10_000, 30_000, '10,000 errors');
    assert.ok(c.messages.slice(1).every((m) => m.type === 'error' && m.code === 'bad_request'));
    c.messages.splice(1);
    const grown = heapAfterGc() - before;
    // What is left after GC must not grow with the number of bad messages (10,000 here).
    assert.ok(grown < 10 * 1024 * 1024, `heap grew ${Math.round(grown / 1e6)} MB`);
    const w = await api.store.write('start', sampleAlert());
    await c.until(() => c.alerts.some((x) => x.id === w.eventId), 5000, 'connection still works');
  });
});
