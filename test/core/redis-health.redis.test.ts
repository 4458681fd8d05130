import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { Keys } from '../../src/core/keys';
import { nullLogger } from '../../src/core/logger';
import { RedisHealth } from '../../src/core/redis-health';
import type { SystemMessage } from '../../src/core/types';
import { RedisTestServer } from '../../src/testing/redis-server';
import { configSchema } from '../../src/config/schema';
import { Context } from '../../src/config/context';
import { startDaemon } from '../../src/daemon';
import { waitFor } from '../helpers';

describe('RedisHealth: data loss, persistence and eviction (private redis-server)', function () {
  this.timeout(30_000);
  const keys = new Keys('vigil-health');
  const made: Array<{ close(): unknown }> = [];
  let server: RedisTestServer;

  async function watch(s: RedisTestServer): Promise<{ health: RedisHealth; metrics: Registry; conn: Redis }> {
    // They reconnect after 400 ms, the test's subscriber after 20 ms: it listens before they look.
    const conn = new Redis(s.url, { retryStrategy: () => 400 });
    conn.on('error', () => undefined);
    const metrics = new Registry();
    const health = new RedisHealth(conn, keys, nullLogger(), metrics, { checkEveryMs: 200 });
    made.push({ close: () => health.close() }, { close: () => conn.disconnect() });
    await waitFor(() => conn.status === 'ready', 8000, 'connected', 25);
    await health.start();
    return { health, metrics, conn };
  }

  afterEach(async () => {
    for (const m of made.splice(0).reverse()) {
      m.close();
    }
    await server?.close();
  });

  it('notices a Redis restarted without its data: warning, one system event, a metric; a fresh epoch after', async () => {
    server = await RedisTestServer.start({ appendonly: false });
    const a = await watch(server);
    const b = await watch(server);
    assert.deepEqual(
      a.health.warnings().filter((w) => /lost/.test(w)),
      [],
    );
    assert.ok(a.health.warnings().some((w) => /no persistence/.test(w)), 'no AOF and no save points: warned');
    const probe = new Redis(server.url);
    probe.on('error', () => undefined);
    made.push({ close: () => probe.disconnect() });
    const epoch = await probe.get(keys.epoch);
    assert.ok(epoch);
    const sub = new Redis(server.url, { retryStrategy: () => 20 });
    sub.on('error', () => undefined);
    made.push({ close: () => sub.disconnect() });
    const events: SystemMessage[] = [];
    sub.on('message', (_c, m) => events.push(JSON.parse(m) as SystemMessage));
    await sub.subscribe(keys.channels.system);
    await server.down();
    await server.up();
    await waitFor(() => a.health.warnings().some((w) => /lost its data/.test(w)) && b.health.warnings().some((w) => /lost its data/.test(w)), 8000, 'both processes noticed', 25);
    await new Promise((r) => setTimeout(r, 300)); // nothing may happen here: no second system event
    assert.equal(events.length, 1, 'one system event, whichever process noticed first');
    assert.equal(events[0].event, 'redis_data_lost');
    assert.match(await a.metrics.metrics(), /vigil_redis_data_lost_total \d/);
    const again = await probe.get(keys.epoch);
    assert.ok(again && again !== epoch, 'a new epoch was written');
  });

  it('keeps quiet through a restart that kept the data (AOF), and accepts a persistent, non-evicting Redis', async () => {
    server = await RedisTestServer.start({ appendonly: true });
    const a = await watch(server);
    assert.deepEqual(a.health.warnings(), [], 'AOF on, noeviction: no warning');
    await server.down();
    await server.up();
    await waitFor(() => a.conn.status === 'ready', 8000, 'reconnected', 25);
    await a.health.check();
    assert.deepEqual(a.health.warnings(), []);
  });

  it('warns about an evicting maxmemory-policy', async () => {
    server = await RedisTestServer.start({ appendonly: true, maxmemoryPolicy: 'allkeys-lru' });
    const a = await watch(server);
    assert.ok(a.health.warnings().some((w) => /maxmemory-policy is allkeys-lru/.test(w)));
  });

  it('lists the eviction warning in /readyz with a token, and nothing without one', async () => {
    server = await RedisTestServer.start({ appendonly: true, maxmemoryPolicy: 'allkeys-lru' });
    const token = 'readyz-warning-token-0123456789';
    const config = configSchema.parse({ redis: { url: server.url, prefix: 'vigil-health-readyz' }, server: { port: 0, tokens: [{ name: 'probe', token, role: 'viewer' }] } });
    // A process with no stage at all still answers its probes on its own listener.
    const daemon = await startDaemon(new Context(config, nullLogger(), new Set(), { defaultMetrics: false }));
    made.push({ close: () => void daemon.stop() });
    const url = `http://127.0.0.1:${daemon.port}/readyz`;
    const open = await fetch(url);
    assert.equal(open.status, 200);
    assert.deepEqual(await open.json(), { status: 'ready' });
    const detailed = (await (await fetch(url, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string; warnings: string[] };
    assert.equal(detailed.status, 'ready', 'a warning does not make the process unready');
    assert.ok(detailed.warnings.some((w) => /maxmemory-policy is allkeys-lru/.test(w)), detailed.warnings.join('; '));
    await daemon.stop();
  });
});
