import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { configSchema } from '../../src/config/schema';
import { Context } from '../../src/config/context';
import { nullLogger } from '../../src/core/logger';
import { startDaemon, type Daemon } from '../../src/daemon';
import { purgePrefix, REDIS_URL, testPrefix, waitFor } from '../helpers';

const TOKEN = 'no-detector-token-0123456789';

/**
 * A detect process whose model cannot be loaded: its own /readyz (probe listener, no api role) names the model,
 * and the api process's GET /api/cameras shows the problem on a streaming camera instead of a green "streaming".
 */
describe('a detector that is not loaded is visible @integration', function () {
  this.timeout(60_000);
  const prefix = testPrefix();
  const daemons: Daemon[] = [];
  const redis = new Redis(REDIS_URL);

  const context = (roles: Array<'detect' | 'api'>, models?: unknown) =>
    new Context(
      configSchema.parse({
        redis: { url: REDIS_URL, prefix },
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
    await purgePrefix(redis, prefix);
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

    const ready = await waitFor(async () => {
      const r = await fetch(`http://127.0.0.1:${detect.port}/readyz`, { headers: auth });
      const body = (await r.json()) as { status: string; reasons?: string[] };
      return r.status === 503 && body.reasons?.some((x) => /missing\.onnx/.test(x)) && body;
    }, 20_000, 'detect /readyz names the model', 100);
    assert.equal(ready.status, 'not_ready');
    assert.ok(ready.reasons!.every((r) => !r.startsWith('detect: detect:')), `named once: ${ready.reasons}`);
    const open = await fetch(`http://127.0.0.1:${detect.port}/readyz`);
    assert.equal(open.status, 503);
    assert.deepEqual(await open.json(), { status: 'not_ready' }, 'no details without a token');
    assert.match(await (await fetch(`http://127.0.0.1:${detect.port}/metrics`, { headers: auth })).text(), /^vigil_detector_loaded\{model="missing\.onnx",device="cpu"\} 0$/m);

    const cams = await waitFor(async () => {
      const r = await fetch(`http://127.0.0.1:${api.port}/api/cameras`, { headers: auth });
      const list = (await r.json()) as Array<{ id: string; state: string; problems?: string[] }>;
      return list[0]?.problems?.some((p) => /no detector loaded .*missing\.onnx/.test(p)) && list;
    }, 20_000, 'the camera shows the detect problem', 100);
    assert.equal(cams[0].state, 'streaming');
    assert.equal(cams[0].problems!.length, 1);
    assert.match(cams[0].problems![0], /^detect: no detector loaded \(.*missing\.onnx/);
  });
});
