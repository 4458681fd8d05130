import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { AlertStore } from '../../src/alerts';
import { buildServer } from '../../src/api/server';
import type { Context } from '../../src/config/context';
import { ADMIN, cleanup, heapAfterGc, testContext } from './helpers';

/** Deterministic PRNG so a failure can be replayed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function malformedBody(r: () => number, i: number): { payload: string | Buffer; type: string } {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  switch (i % 10) {
    case 0:
      return { payload: Buffer.from(Array.from({ length: Math.floor(r() * 200) }, () => Math.floor(r() * 256))), type: 'application/json' };
    case 1:
      return { payload: '{"url":"rtsp://x/y","detect":{"fps":'.slice(0, Math.floor(r() * 36)), type: 'application/json' };
    case 2:
      return { payload: '['.repeat(1 + Math.floor(r() * 3000)), type: 'application/json' };
    case 3:
      return { payload: JSON.stringify({ url: pick([1, null, [], 'ftp://x', 'rtsp://']), detect: { fps: pick([-1, 1e308, 'x', null]) } }), type: 'application/json' };
    case 4:
      return { payload: '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}', type: 'application/json' };
    case 5:
      return { payload: JSON.stringify({ action: pick(['nope', 1, null, {}, 'ACKNOWLEDGED']) }), type: 'application/json' };
    case 6:
      return { payload: 'x'.repeat(Math.floor(r() * 100)), type: pick(['text/plain', 'application/xml', 'multipart/form-data']) };
    case 7:
      return { payload: JSON.stringify(pick(['a string', 42, true, null, []])), type: 'application/json' };
    case 8:
      return { payload: `{"id":"${'Z'.repeat(Math.floor(r() * 300))}","url":"rtsp://a/b"}`, type: 'application/json' };
    default:
      return { payload: '\u0000\ud800' + String(r()), type: 'application/json; charset=utf-8' };
  }
}

describe('HTTP fuzz', () => {
  let ctx: Context;
  let app: FastifyInstance;

  before(async () => {
    ctx = testContext();
    const redis = ctx.redis('fuzz');
    app = await buildServer(ctx, { redis, store: new AlertStore(redis, ctx.keys), deadLetters: { list: async () => [], replay: async () => undefined } });
    await app.ready();
  });
  after(async () => {
    await app.close();
    await cleanup(ctx);
  });

  it('answers 10,000 malformed bodies with clear 4xx JSON errors, no crash, flat memory', async function () {
    this.timeout(120_000);
    const r = rng(42);
    const routes = [
      { method: 'PUT' as const, url: '/api/cameras/fuzz' },
      { method: 'POST' as const, url: '/api/alerts/1700000000000-0/ack' },
      { method: 'POST' as const, url: '/api/webhooks/dead-letters/x/replay' },
      { method: 'PUT' as const, url: '/api/cameras/%00%ff' },
    ];
    const statuses = new Map<number, number>();
    let heapAt1000 = 0;
    for (let i = 0; i < 10_000; i++) {
      const { payload, type } = malformedBody(r, i);
      const route = routes[i % routes.length];
      const res = await app.inject({ ...route, payload, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': type } });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `#${i} ${route.method} ${route.url} -> ${res.statusCode} ${res.body.slice(0, 200)}`);
      const body = res.json() as { error?: { code?: unknown; message?: unknown } };
      assert.ok(typeof body.error?.code === 'string' && typeof body.error.message === 'string', `#${i}: ${res.body.slice(0, 200)}`);
      if (i === 1000) {
        heapAt1000 = heapAfterGc();
      }
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
    const grown = heapAfterGc() - heapAt1000;
    assert.ok(grown < 10 * 1024 * 1024, `heap grew ${Math.round(grown / 1e6)} MB over 9,000 requests`);
    const health = await app.inject({ url: '/healthz' });
    assert.equal(health.statusCode, 200);
    assert.ok((statuses.get(400) ?? 0) > 0 && (statuses.get(415) ?? 0) > 0, JSON.stringify([...statuses]));
  });
});
