import { AlertStore } from '../../src/alerts';
import { buildServer } from '../../src/api/server';
import { WsHub, type WsHubOptions } from '../../src/ws';
import { configSchema, type VigilConfig } from '../../src/config/schema';
import { Context } from '../../src/config/context';
import { nullLogger } from '../../src/core/logger';
import type { Alert } from '../../src/core/types';
import { purge, REDIS_URL, testPrefix } from '../helpers';

// The generic helpers moved to test/helpers; these names stay importable from here for files written against the old
// location (prefer '../helpers').
export { REDIS_URL, waitFor } from '../helpers';

/** Tokens used by the API tests (at least 16 characters each). */
export const ADMIN = 'admin-token-0123456789abcdef';
export const VIEWER = 'viewer-token-0123456789abcdef';

/** A context on its own random prefix (`vigil-test-<random>`) with the test tokens, without default process metrics. */
export function testContext(overrides: Record<string, unknown> = {}, redisUrl = REDIS_URL): Context {
  const prefix = testPrefix();
  const raw = {
    redis: { url: redisUrl, prefix },
    server: {
      host: '127.0.0.1',
      port: 0,
      tokens: [
        { name: 'ops', token: ADMIN, role: 'admin' },
        { name: 'guard', token: VIEWER, role: 'viewer' },
      ],
      // The route x credential tests fail authentication on purpose hundreds of times from 127.0.0.1; the limiter
      // has its own tests with the default limits.
      authFailures: { burst: 1_000_000, perMinute: 1_000_000 },
    },
    ...overrides,
  };
  const config: VigilConfig = configSchema.parse(raw);
  return new Context(config, nullLogger(), new Set(['api']), { defaultMetrics: false });
}

/** Deletes every key of the context's prefix (SCAN, not KEYS) and closes its connections. */
export async function cleanup(ctx: Context, redisUrl = REDIS_URL): Promise<void> {
  await ctx.closeConnections();
  await purge(ctx.keys.prefix, redisUrl);
}

let counter = 0;
/** A plausible alert (id is assigned by the store on `start`). */
export function sampleAlert(over: Partial<Alert> = {}): Alert {
  counter++;
  const now = new Date().toISOString();
  return {
    id: '',
    rule: 'lawn-intrusion',
    type: 'zone_enter',
    camera: 'walkway',
    severity: 'high',
    state: 'active',
    startedAt: now,
    updatedAt: now,
    objects: [{ trackId: counter, label: 'person', score: 0.9, box: [0.1, 0.2, 0.3, 0.9] }],
    snapshot: '',
    latencyMs: 100,
    ...over,
  };
}

/** Writes `n` start events through the alert store; returns their event ids in order. */
export async function writeAlerts(store: AlertStore, n: number, over: Partial<Alert> = {}): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = await store.write('start', sampleAlert(over));
    ids.push(w.eventId);
  }
  return ids;
}

/** A running API (HTTP + WebSocket hub) on a free loopback port, for integration tests. */
export interface TestApi {
  ctx: Context;
  store: AlertStore;
  hub: WsHub;
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Starts buildServer + WsHub on port 0 with the given hub options. */
export async function startTestApi(
  ctx: Context,
  hubOptions: Partial<WsHubOptions> = {},
): Promise<TestApi> {
  const redis = ctx.redis('test-api');
  const store = new AlertStore(redis, ctx.keys);
  const app = await buildServer(ctx, { redis, store });
  const hub = new WsHub(ctx, app.server, store, redis, {
    maxPayload: ctx.config.server.wsMaxMessageBytes,
    maxBufferedBytes: ctx.config.server.wsMaxBufferedBytes,
    pingIntervalMs: 30_000,
    ...(app.vigil.limiter ? { limiter: app.vigil.limiter } : {}),
    ...hubOptions,
  });
  await hub.start();
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    ctx,
    store,
    hub,
    port,
    url: `ws://127.0.0.1:${port}/ws`,
    close: async () => {
      await hub.close();
      await app.close();
    },
  };
}

/** Heap used after a full garbage collection (exposes gc at run time; mocha runs without --expose-gc). */
export function heapAfterGc(): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only by the memory tests that call this
  const v8 = require('node:v8') as typeof import('node:v8');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded only by the memory tests that call this
  const vm = require('node:vm') as typeof import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
