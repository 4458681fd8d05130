import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { AlertStore } from '../../src/alerts';
import { buildServer } from '../../src/api/server';
import { ADMIN, cleanup, sampleAlert, testContext, VIEWER, writeAlerts } from './helpers';
import type { Context } from '../../src/config/context';

/**
 * What the dashboard's zone and line editor and its alert detail use: GET /api/cameras/:id/config (never the URL),
 * PUT /api/cameras/:id without `url` (the camera keeps its source) checked against the running rules as
 * `vigil config check` does, and a note on an acknowledgement.
 */
describe('camera config for the editor, PUT without url, ack notes', () => {
  let ctx: Context;
  let app: FastifyInstance;
  let store: AlertStore;
  const admin = { authorization: `Bearer ${ADMIN}` };
  const viewer = { authorization: `Bearer ${VIEWER}` };

  before(async () => {
    ctx = testContext({
      cameras: [
        {
          id: 'gate',
          url: 'rtsp://user:S3cretPw@10.0.0.9/stream',
          detect: { fps: 7 },
          transport: 'tcp',
          zones: [{ id: 'door', polygon: [[0, 0], [0.2, 0], [0.2, 0.2]] }],
          lines: [{ id: 'mid', points: [[0, 0.5], [1, 0.5]] }],
        },
        { id: 'other', url: 'rtsp://10.0.0.10/s', zones: [{ id: 'z', polygon: [[0, 0], [1, 0], [1, 1]] }] },
      ],
      rules: [
        { id: 'door-enter', type: 'zone_enter', camera: 'gate', zone: 'door', severity: 'high' },
        { id: 'mid-cross', type: 'line_cross', camera: 'gate', line: 'mid', direction: 'a_to_b' },
        { id: 'elsewhere', type: 'crowd', camera: 'other', zone: 'z', count: 3 },
        { id: 'anywhere', type: 'loiter', zone: 'door', seconds: 30 },
      ],
    });
    const redis = ctx.redis('test-api');
    store = new AlertStore(redis, ctx.keys);
    app = await buildServer(ctx, { redis, store });
  });

  after(async () => {
    await app?.close();
    await cleanup(ctx);
  });

  it('GET config answers zones, lines and the rules that use them, never the URL', async () => {
    const res = await app.inject({ url: '/api/cameras/gate/config', headers: viewer });
    assert.equal(res.statusCode, 200);
    assert.doesNotMatch(res.body, /S3cretPw|rtsp:|10\.0\.0\.9/);
    const c = res.json();
    assert.equal(c.origin, 'config');
    assert.deepEqual(c.zones, [{ id: 'door', polygon: [[0, 0], [0.2, 0], [0.2, 0.2]] }]);
    assert.deepEqual(c.rules.map((r: { id: string }) => r.id), ['door-enter', 'mid-cross', 'anywhere']);
    assert.equal(c.rules[0].severity, 'high');
    assert.equal((await app.inject({ url: '/api/cameras/nosuch/config', headers: viewer })).statusCode, 404);
  });

  it('PUT without url keeps the source; a zone a rule uses cannot be dropped; shape problems name the shape', async () => {
    const zones = [{ id: 'door', polygon: [[0.5, 0.5], [1, 0.5], [1, 1], [0.5, 1]] }];
    const lines = [{ id: 'mid', points: [[0, 0.6], [1, 0.6]] }];
    let res = await app.inject({ method: 'PUT', url: '/api/cameras/gate', headers: viewer, payload: { zones, lines } });
    assert.equal(res.statusCode, 403, 'admin only');
    res = await app.inject({ method: 'PUT', url: '/api/cameras/gate', headers: admin, payload: { zones, lines } });
    assert.equal(res.statusCode, 200, res.body);
    assert.doesNotMatch(res.body, /S3cretPw/);
    const stored = JSON.parse((await ctx.redis('t').hget(ctx.keys.cameraOverrides, 'gate')) ?? '{}');
    assert.equal(stored.url, 'rtsp://user:S3cretPw@10.0.0.9/stream', 'the source is kept');
    assert.deepEqual(stored.zones, zones);
    assert.deepEqual([stored.detect.fps, stored.transport], [7, 'tcp'], 'the fields left out keep their values');
    const cfg = (await app.inject({ url: '/api/cameras/gate/config', headers: viewer })).json();
    assert.equal(cfg.origin, 'api');
    assert.deepEqual(cfg.zones, zones);

    res = await app.inject({ method: 'PUT', url: '/api/cameras/gate', headers: admin, payload: { zones: [{ id: 'porch', polygon: zones[0].polygon }], lines } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.message, 'rules[0].zone: camera "gate" has no zone "door"; rules[3].zone: no camera has a zone "door"');

    res = await app.inject({ method: 'PUT', url: '/api/cameras/gate', headers: admin, payload: { zones: [zones[0], { id: 'x', polygon: [[0, 0], [1, 1]] }], lines } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.message, 'zones[1].polygon: a zone needs at least 3 points');

    res = await app.inject({ method: 'PUT', url: '/api/cameras/newcam', headers: admin, payload: { zones: [] } });
    assert.equal(res.statusCode, 400, 'a new camera needs its url');
    assert.match(res.json().error.message, /^url: /);
  });

  it('answers an alert timeline: start, updates and end in order, among other alerts', async () => {
    const w = await store.write('start', { ...sampleAlert({ camera: 'gate', type: 'crowd', count: 3 }) });
    await writeAlerts(store, 2, { camera: 'other' });
    await store.write('update', { ...w.alert, count: 5, updatedAt: new Date(Date.now() + 1000).toISOString() });
    await store.write('end', { ...w.alert, count: 5, state: 'ended', endedAt: new Date(Date.now() + 2000).toISOString() });
    const res = await app.inject({ url: `/api/alerts/${w.alert.id}/events`, headers: viewer });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.equal(body.complete, true);
    assert.deepEqual(body.events.map((e: { event: string; count: number }) => [e.event, e.count]), [['start', 3], ['update', 5], ['end', 5]]);
    assert.equal(body.events[0].id, w.alert.id);
    assert.equal((await app.inject({ url: '/api/alerts/1-1/events', headers: viewer })).statusCode, 404);
  });

  it('stores a note with an acknowledgement and answers it with the alert', async () => {
    const [id] = await writeAlerts(store, 1, { camera: 'gate' });
    let res = await app.inject({ method: 'POST', url: `/api/alerts/${id}/ack`, headers: admin, payload: { action: 'acknowledged', note: '  delivery driver, known  ' } });
    assert.equal(res.statusCode, 200);
    assert.deepEqual({ ...res.json().ack, at: 'x' }, { action: 'acknowledged', by: 'ops', at: 'x', note: 'delivery driver, known' });
    res = await app.inject({ url: `/api/alerts/${id}`, headers: viewer });
    assert.equal(res.json().ack.note, 'delivery driver, known');
    res = await app.inject({ url: '/api/alerts?camera=gate', headers: viewer });
    assert.equal(res.json().alerts[0].ack.note, 'delivery driver, known');
    res = await app.inject({ method: 'POST', url: `/api/alerts/${id}/ack`, headers: admin, payload: { note: 'x'.repeat(1001) } });
    assert.equal(res.statusCode, 400);
    assert.match(res.json().error.message, /^note: must be a string of at most 1000/);
    res = await app.inject({ method: 'POST', url: `/api/alerts/${id}/ack`, headers: admin, payload: { note: 5 } });
    assert.equal(res.statusCode, 400);
  });
});
