import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { configSchema } from '../../src/config/schema';
import { Context } from '../../src/config/context';
import { nullLogger } from '../../src/core/logger';
import { startDaemon, type Daemon } from '../../src/daemon';

const URL = process.env.VIGIL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN = 'no-detector-token-0123456789';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) {
      return v;
    }
    if (Date.now() > end) {
      throw new Error(`timed out waiting for ${what}`);
    }
    await sleep(100);
  }
}

/**
 * A detect process whose model cannot be loaded: its own /readyz (probe listener, no api role) names the model,
 * and the api process's GET /api/cameras shows the problem on a streaming camera instead of a green "streaming".
 */
describe('a detector that is not loaded is visible @integration', function () {
  this.timeout(60_000);
  const prefix = `vigil-test-${randomBytes(4).toString('hex')}`;
  const daemons: Daemon[] = [];
  const redis = new Redis(URL);

  const context = (roles: Array<'detect' | 'api'>, models?: unknown) =>
    new Context(
      configSchema.parse({
        redis: { url: URL, prefix },
        server: { port: 0, tokens: [{ name: 'ops', token: TOKEN, role: 'viewer' }] },
        ...(models ? { models } : {}),
        cameras: [{ id: 'gate', url: '/dev/null' }],
      }),
      nullLogger(),
      new Set(roles),
      { defaultMetrics: false },
    );

  after(async () => {
    for (const d of daemons.reverse()) {
      await d.stop().catch(() => undefined);
    }
    const k = await redis.keys(`${prefix}:*`);
    if (k.length) {
      await redis.del(...k);
    }
    redis.disconnect();
  });

  it('names it in the detect process\'s /readyz and in the camera\'s status', async () => {
    const detect = await startDaemon(context(['detect'], { dir: '/nonexistent', detector: { family: 'yolox', file: 'missing.onnx', device: 'cpu' } }));
    daemons.push(detect);
    const api = await startDaemon(context(['api']));
    daemons.push(api);
    // The camera streams (as an ingest process would say).
    await redis.sadd(`${prefix}:cameras`, 'gate');
    await redis.hset(`${prefix}:camera:gate`, { state: 'streaming', at: new Date().toISOString(), fpsIngest: '5', fpsDetect: '0', dropped: '0' });
    const auth = { authorization: `Bearer ${TOKEN}` };

    const ready = await until('detect /readyz names the model', async () => {
      const r = await fetch(`http://127.0.0.1:${detect.port}/readyz`, { headers: auth });
      const body = (await r.json()) as { status: string; reasons?: string[] };
      return r.status === 503 && body.reasons?.some((x) => /missing\.onnx/.test(x)) && body;
    });
    assert.equal(ready.status, 'not_ready');
    assert.ok(ready.reasons!.every((r) => !r.startsWith('detect: detect:')), `named once: ${ready.reasons}`);
    const open = await fetch(`http://127.0.0.1:${detect.port}/readyz`);
    assert.equal(open.status, 503);
    assert.deepEqual(await open.json(), { status: 'not_ready' }, 'no details without a token');
    assert.match(await (await fetch(`http://127.0.0.1:${detect.port}/metrics`, { headers: auth })).text(), /^vigil_detector_loaded\{model="missing\.onnx",device="cpu"\} 0$/m);

    const cams = await until('the camera shows the detect problem', async () => {
      const r = await fetch(`http://127.0.0.1:${api.port}/api/cameras`, { headers: auth });
      const list = (await r.json()) as Array<{ id: string; state: string; problems?: string[] }>;
      return list[0]?.problems?.some((p) => /no detector loaded .*missing\.onnx/.test(p)) && list;
    });
    assert.equal(cams[0].state, 'streaming');
    assert.equal(cams[0].problems!.length, 1);
    assert.match(cams[0].problems![0], /^detect: no detector loaded \(.*missing\.onnx/);
  });
});
