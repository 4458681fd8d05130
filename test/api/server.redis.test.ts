import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { AlertStore } from '../../src/alerts';
import { buildServer, routeList, type RouteSummary } from '../../src/api/server';
import { openApiDocument } from '../../src/api/openapi';
import type { Context } from '../../src/config/context';
import { ADMIN, VIEWER, cleanup, testContext, writeAlerts } from './helpers';

/** Turns `/api/alerts/:id` into `/api/alerts/{id}`. */
const toOpenApi = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
/** A concrete URL for a route pattern. */
const concrete = (url: string) => url.replace(/:id/g, '1700000000000-0').replace(/:file/g, 'app.js');

describe('api server', () => {
  let ctx: Context;
  let app: FastifyInstance;
  let store: AlertStore;
  let routes: readonly RouteSummary[] = [];

  before(async () => {
    ctx = testContext();
    const redis = ctx.redis('test-api');
    store = new AlertStore(redis, ctx.keys);
    const dead = { list: async () => [], replay: async () => undefined };
    app = await buildServer(ctx, { redis, store, deadLetters: dead });
    await app.ready();
    routes = routeList(app);
  });
  after(async () => {
    await app.close();
    await cleanup(ctx);
  });

  it('registers the CONTRACT routes with their roles', () => {
    assert.ok(routes.some((r) => r.url === '/api/alerts' && r.method === 'GET'));
    assert.ok(routes.some((r) => r.url === '/api/cameras/:id' && r.method === 'PUT' && r.role === 'admin'));
    assert.deepEqual(routes.filter((r) => r.public && r.method === 'GET').map((r) => r.url).sort(), ['/', '/dashboard/:file', '/healthz', '/readyz']);
  });

  it('has every registered route in /openapi.json and every documented path registered', () => {
    const doc = openApiDocument() as { paths: Record<string, Record<string, unknown>> };
    const documented = new Set<string>();
    for (const [p, ops] of Object.entries(doc.paths)) {
      for (const m of Object.keys(ops)) {
        if (['get', 'put', 'post', 'delete', 'patch'].includes(m)) {
          documented.add(`${m.toUpperCase()} ${p}`);
        }
      }
    }
    const registered = new Set(routes.filter((r) => r.method !== 'HEAD').map((r) => `${r.method} ${toOpenApi(r.url)}`));
    assert.deepEqual([...registered].filter((r) => !documented.has(r)), [], 'routes missing from the document');
    assert.deepEqual([...documented].filter((r) => !registered.has(r)), [], 'documented paths not registered');
  });

  it('answers 401 with nothing else said on every non-public route without a valid token', async () => {
    for (const r of routes.filter((x) => !x.public && x.method !== 'HEAD')) {
      for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: `Basic ${ADMIN}` }]) {
        const res = await app.inject({ method: r.method as 'GET', url: concrete(r.url), headers });
        assert.equal(res.statusCode, 401, `${r.method} ${r.url} ${JSON.stringify(headers)}`);
        assert.deepEqual(res.json(), { error: { code: 'unauthorized', message: 'unauthorized' } });
      }
    }
  });

  it('refuses writes to a viewer (403) and lets an admin through', async () => {
    // HEAD answers carry no body (GET /api/audit is admin, and fastify adds its HEAD route).
    const writes = routes.filter((r) => r.role === 'admin' && r.method !== 'HEAD');
    assert.ok(writes.length >= 5, 'expected the admin routes');
    for (const r of writes) {
      const res = await app.inject({ method: r.method as 'POST', url: concrete(r.url), headers: { authorization: `Bearer ${VIEWER}` }, payload: {} });
      assert.equal(res.statusCode, 403, `${r.method} ${r.url}`);
      assert.equal(res.json().error.code, 'forbidden');
    }
  });

  it('serves /healthz without a token', async () => {
    const res = await app.inject({ url: '/healthz' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().status, 'ok');
  });

  it('answers /readyz without a token and without details; a wrong token gets no details either', async () => {
    ctx.stages.set('track', { readiness: () => ['no lease yet'], close: async () => undefined });
    try {
      let res = await app.inject({ url: '/readyz' });
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json(), { status: 'not_ready' });
      res = await app.inject({ url: '/readyz', headers: { authorization: 'Bearer not-a-token-0123456789' } });
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json(), { status: 'not_ready' });
    } finally {
      ctx.stages.delete('track');
    }
    const res = await app.inject({ url: '/readyz' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ready' });
  });

  it('names a stage of a process still starting in /readyz', async () => {
    ctx.starting = true;
    try {
      const res = await app.inject({ url: '/readyz', headers: { authorization: `Bearer ${VIEWER}` } });
      assert.equal(res.statusCode, 503);
      assert.deepEqual(res.json().reasons, ['api: starting']);
    } finally {
      ctx.starting = false;
    }
  });

  it('reports readiness with reasons', async () => {
    ctx.stages.set('track', { readiness: () => ['no lease yet'], close: async () => undefined });
    let res = await app.inject({ url: '/readyz', headers: { authorization: `Bearer ${VIEWER}` } });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json().reasons, ['track: no lease yet']);
    ctx.stages.delete('track');
    res = await app.inject({ url: '/readyz', headers: { authorization: `Bearer ${VIEWER}` } });
    assert.equal(res.statusCode, 200);
  });

  it('lists cameras from the status hashes without URLs or credentials', async () => {
    const r = ctx.redis('t');
    await r.sadd(ctx.keys.cameraIndex, 'walkway');
    await r.hset(ctx.keys.cameraStatus('walkway'), {
      name: 'Walkway',
      state: 'reconnecting',
      reason: 'ffmpeg exited (rtsp://admin:hunter2@10.0.0.7/stream)',
      at: new Date().toISOString(),
      lastFrameAt: '2026-01-01T00:00:00.000Z',
      fpsIngest: '5',
      fpsDetect: '4.5',
      dropped: '3',
      corrupt: '2',
      transport: 'udp',
    });
    const res = await app.inject({ url: '/api/cameras', headers: { authorization: `Bearer ${VIEWER}` } });
    assert.equal(res.statusCode, 200);
    const [cam] = res.json();
    assert.deepEqual({ ...cam, reason: undefined }, { id: 'walkway', name: 'Walkway', state: 'reconnecting', lastFrameAt: '2026-01-01T00:00:00.000Z', fps: { ingest: 5, detect: 4.5 }, dropped: 3, corrupt: 2, transport: 'udp', reason: undefined });
    assert.ok(!res.body.includes('hunter2'));
  });

  it('PUT /api/cameras/:id stores the camera, answers without its URL, and lists zod problems by path', async () => {
    const auth = { authorization: `Bearer ${ADMIN}` };
    let res = await app.inject({ method: 'PUT', url: '/api/cameras/gate', headers: auth, payload: { url: 'rtsp://u:secretpw@10.0.0.9/s', detect: { fps: 5 } } });
    assert.equal(res.statusCode, 200, res.body);
    assert.ok(!res.body.includes('secretpw') && !res.body.includes('rtsp'));
    res = await app.inject({ method: 'PUT', url: '/api/cameras/gate', headers: auth, payload: { url: 'rtsp://x/y', detect: { fps: 100 } } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'bad_request');
    assert.match(res.json().error.message, /^detect\.fps: /);
    res = await app.inject({ method: 'DELETE', url: '/api/cameras/gate', headers: auth });
    assert.equal(res.statusCode, 204);
    res = await app.inject({ method: 'DELETE', url: '/api/cameras/nosuch', headers: auth });
    assert.equal(res.statusCode, 404);
  });

  it('queries alerts, gets one, its snapshot, and acknowledges it', async () => {
    const ids = await writeAlerts(store, 3, { camera: 'walkway' });
    await writeAlerts(store, 1, { camera: 'yard' });
    const v = { authorization: `Bearer ${VIEWER}` };
    let res = await app.inject({ url: '/api/alerts?camera=walkway&limit=2', headers: v });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json().alerts.map((a: { id: string }) => a.id), [ids[2], ids[1]]);
    res = await app.inject({ url: `/api/alerts?since=${ids[1]}&camera=walkway`, headers: v });
    assert.deepEqual(res.json().alerts.map((a: { id: string }) => a.id), [ids[2]]);
    res = await app.inject({ url: '/api/alerts?limit=0', headers: v });
    assert.equal(res.statusCode, 400);
    res = await app.inject({ url: `/api/alerts/${ids[0]}`, headers: v });
    assert.equal(res.json().id, ids[0]);
    res = await app.inject({ url: '/api/alerts/1-1', headers: v });
    assert.equal(res.statusCode, 404);
    const w = await store.write('start', { ...(await store.getAlert(ids[0]))!, id: '' }, Buffer.from([0xff, 0xd8, 0xff, 0xd9]));
    res = await app.inject({ url: `/api/alerts/${w.alert.id}/snapshot.jpg`, headers: v });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'image/jpeg');
    assert.equal(res.rawPayload.length, 4);
    res = await app.inject({ method: 'POST', url: `/api/alerts/${ids[0]}/ack`, headers: { authorization: `Bearer ${ADMIN}` }, payload: { action: 'dismissed' } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().ack.action, 'dismissed');
    assert.equal(res.json().ack.by, 'ops');
    res = await app.inject({ url: `/api/alerts/${ids[0]}`, headers: v });
    assert.equal(res.json().ack.action, 'dismissed');
  });

  it('serves the live frame its tracker renders, marking the camera watched; 404 for a camera not known', async () => {
    const r = ctx.redis('t');
    const v = { authorization: `Bearer ${VIEWER}` };
    let t = Date.now();
    let res = await app.inject({ url: '/api/cameras/yard/frame.jpg', headers: v });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'not_found');
    assert.ok(Date.now() - t < 1000, 'an unknown camera is answered at once');
    await r.sadd(ctx.keys.cameraIndex, 'yard');
    t = Date.now();
    res = await app.inject({ url: '/api/cameras/yard/frame.jpg', headers: v });
    assert.equal(res.statusCode, 404, 'known but no tracker renders it');
    assert.ok(Date.now() - t >= 2000, 'waited for a tracker to render the first frame');
    const ttl = await r.pttl(ctx.keys.liveWanted('yard'));
    assert.ok(ttl > 10_000, `the camera is marked watched (pttl ${ttl})`);
    // The tracker renders one a moment after being asked: the waiting request gets it.
    const jpeg = await sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 80, g: 80, b: 80 } } }).jpeg().toBuffer();
    // The frame arrives 300 ms into the request, as a tracker's would.
    const later = setTimeout(() => void r.set(ctx.keys.liveFrame('yard'), jpeg, 'PX', 3000), 300);
    res = await app.inject({ url: '/api/cameras/yard/frame.jpg', headers: v });
    clearTimeout(later);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'image/jpeg');
    assert.equal(res.headers['cache-control'], 'no-store');
    const meta = await sharp(res.rawPayload).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 32, 24]);
    res = await app.inject({ url: '/api/cameras/Bad%20Id/frame.jpg', headers: v });
    assert.equal(res.statusCode, 400);
  });

  it('rejects oversized and malformed bodies with clear JSON errors', async () => {
    const auth = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    let res = await app.inject({ method: 'PUT', url: '/api/cameras/gate', headers: auth, payload: '{"url":' });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.code, 'bad_request');
    res = await app.inject({ method: 'PUT', url: '/api/cameras/gate', headers: auth, payload: JSON.stringify({ name: 'x'.repeat(70_000) }) });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json().error.code, 'payload_too_large');
    res = await app.inject({ method: 'PUT', url: '/api/cameras/gate', headers: { ...auth, 'content-type': 'text/x-nope' }, payload: 'hi' });
    assert.equal(res.statusCode, 415);
    assert.equal(res.json().error.code, 'unsupported_media_type');
  });
});
