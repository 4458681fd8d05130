/**
 * WebSocket fan-out benchmark: N clients on loopback (in a worker thread, so the server keeps its own core), a
 * burst of M alerts written through the alert store; every client must receive every alert, in order. Reports
 * the fan-out latency percentiles over every (client, alert) pair: from the event's XADD (its stream id is the
 * Redis server time in ms, same clock on loopback) to the message being parsed by the client.
 *
 *   npx tsx src/bench/fanout.ts --clients 500 --alerts 1000 [--redis redis://127.0.0.1:6379]
 */
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import Redis from 'ioredis';
import { AlertStore } from '../alerts';
import { start } from '../api';
import { configSchema } from '../config/schema';
import { Context } from '../config/context';
import { nullLogger } from '../core/logger';
import type { Alert } from '../core/types';
import { purgePrefix } from '../core/purge';

/** Options of {@link runFanout}. */
export interface FanoutOptions {
  clients: number;
  alerts: number;
  /** @defaultValue redis://127.0.0.1:6379 */
  redisUrl?: string;
  /** Alerts written concurrently (pipelined). @defaultValue 100 */
  batch?: number;
}

/** What {@link runFanout} measured. */
export interface FanoutResult {
  clients: number;
  alerts: number;
  /** Messages received over all clients (should be clients × alerts). */
  delivered: number;
  /** Clients that received every alert in stream order. */
  clientsComplete: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** From the first write to the last message received, ms. */
  burstMs: number;
  /** Clients the hub cut off (should be 0). */
  cutOff: number;
}

// Plain JS so it runs the same under tsx and from dist/.
const CLIENT_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const WebSocket = require('ws');
const { url, clients, alerts } = workerData;
const lat = new Float64Array(clients * alerts);
let n = 0, complete = 0, done = 0, hellos = 0, lastAt = 0;
const socks = [];
for (let i = 0; i < clients; i++) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  let count = 0, last = -1, ordered = true;
  ws.on('message', (data) => {
    const now = performance.timeOrigin + performance.now();
    const m = JSON.parse(data.toString());
    if (m.type === 'hello') { if (++hellos === clients) parentPort.postMessage({ type: 'ready' }); return; }
    if (m.type !== 'alert') return;
    const k = m.alert.count;
    if (k !== last + 1) ordered = false;
    last = k;
    lat[n++] = now - Number(m.id.split('-')[0]);
    lastAt = now;
    if (++count === alerts) { if (ordered) complete++; if (++done === clients) finish(); }
  });
  ws.on('close', () => { if (count < alerts && ++done === clients) finish(); });
  ws.on('error', () => {});
  socks.push(ws);
}
function finish() {
  const l = Array.from(lat.subarray(0, n)).sort((a, b) => a - b);
  const q = (p) => (l.length ? l[Math.min(l.length - 1, Math.floor(l.length * p))] : NaN);
  parentPort.postMessage({ type: 'done', delivered: n, complete, p50: q(0.5), p99: q(0.99), max: l[l.length - 1], lastAt });
  socks.forEach((s) => s.terminate());
}
parentPort.on('message', (m) => { if (m === 'stop') { socks.forEach((s) => s.terminate()); } });
`;

/** Runs the benchmark on its own random key prefix and cleans up after itself. */
export async function runFanout(opts: FanoutOptions): Promise<FanoutResult> {
  const redisUrl = opts.redisUrl ?? 'redis://127.0.0.1:6379';
  const prefix = `vigil-bench-${randomBytes(4).toString('hex')}`;
  const token = `bench-${randomBytes(12).toString('hex')}`;
  const config = configSchema.parse({
    redis: { url: redisUrl, prefix },
    // A burst of 1,000 alerts is ~0.5 MB per client: room enough that nobody is cut off for being slow.
    server: { host: '127.0.0.1', port: 0, tokens: [{ name: 'bench', token, role: 'viewer' }], wsMaxBufferedBytes: 16 * 1024 * 1024 },
  });
  const ctx = new Context(config, nullLogger(), new Set(['api']), { defaultMetrics: false });
  const stage = await start(ctx);
  const worker = new Worker(CLIENT_WORKER, { eval: true, workerData: { url: `ws://127.0.0.1:${stage.port}/ws?token=${token}`, clients: opts.clients, alerts: opts.alerts } });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (m: { type: string }) => m.type === 'ready' && resolve());
    });
    // Past the hub's subscribe window, so the burst is measured live.
    await new Promise((r) => setTimeout(r, 700));
    const done = new Promise<{ delivered: number; complete: number; p50: number; p99: number; max: number; lastAt: number }>((resolve) =>
      worker.on('message', (m: { type: string }) => m.type === 'done' && resolve(m as never)),
    );
    const store = new AlertStore(ctx.redis('bench-writer'), ctx.keys);
    const batch = opts.batch ?? 100;
    const t0 = performance.timeOrigin + performance.now();
    for (let i = 0; i < opts.alerts; i += batch) {
      const writes: Array<Promise<unknown>> = [];
      for (let k = i; k < Math.min(opts.alerts, i + batch); k++) {
        writes.push(store.write('start', benchAlert(k)));
      }
      await Promise.all(writes);
    }
    const r = await done;
    const cut = await ctx.metrics.getSingleMetricAsString('vigil_ws_cutoff_total');
    const cutOff = [...cut.matchAll(/^vigil_ws_cutoff_total\{[^}]*\} (\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0);
    return {
      clients: opts.clients,
      alerts: opts.alerts,
      delivered: r.delivered,
      clientsComplete: r.complete,
      latencyMs: { p50: round(r.p50), p99: round(r.p99), max: round(r.max) },
      burstMs: round(r.lastAt - t0),
      cutOff,
    };
  } finally {
    worker.postMessage('stop');
    await worker.terminate();
    await stage.close();
    await ctx.closeConnections();
    const r = new Redis(redisUrl);
    await purgePrefix(r, prefix);
    r.disconnect();
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

/** `count` carries the burst index (order check). Latency is measured from the event's stream id (Redis time of the XADD). */
function benchAlert(k: number): Alert {
  const now = new Date().toISOString();
  return {
    id: '',
    rule: 'bench',
    type: 'zone_enter',
    camera: 'bench',
    severity: 'medium',
    state: 'active',
    startedAt: now,
    updatedAt: now,
    objects: [{ trackId: k, label: 'person', score: 0.9, box: [0.1, 0.2, 0.3, 0.9] }],
    count: k,
    snapshot: '',
    latencyMs: 0,
  };
}

if (require.main === module) {
  const arg = (name: string, d: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : d;
  };
  const ri = process.argv.indexOf('--redis');
  runFanout({ clients: arg('clients', 500), alerts: arg('alerts', 1000), batch: arg('batch', 100), redisUrl: ri > 0 ? process.argv[ri + 1] : undefined }).then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(r.delivered === r.clients * r.alerts && r.clientsComplete === r.clients ? 0 : 1);
    },
    (err) => {
      console.error(err);
      process.exit(2);
    },
  );
}
