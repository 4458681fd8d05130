/**
 * Webhook delivery benchmark: M alert events written through the alert store, delivered by the webhook service
 * (consumer group → BullMQ → signed POST) to a local receiver. Reports deliveries per second and the latency
 * from the event's XADD to the receiver, and checks every delivery id arrived exactly once, every signature
 * (HMAC-SHA256 of `TIMESTAMP.BODY`, verified by the receiver itself) is valid and nothing was dead-lettered.
 *
 * With `--outage-seconds N` the receiver is down for the first N seconds while the events are being written:
 * its port is closed (connections refused), and for the last `--unavailable-seconds M` of the outage it listens
 * but answers 503; then it comes back (204). The webhook uses the production retry settings of the config schema
 * (attempts, backoffMs, timeoutMs defaults) unless `--attempts` / `--backoff-ms` say otherwise.
 *
 *   npx tsx src/bench/webhooks.ts --alerts 1000 [--concurrency 16]
 *   npx tsx src/bench/webhooks.ts --alerts 200 --outage-seconds 60 [--unavailable-seconds 15] [--write-seconds 60]
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { AlertStore } from '../alerts';
import { WebhookService } from '../alerts/delivery';
import { backoffDelay } from '../alerts/sinks/webhook-format';
import { configSchema } from '../config/schema';
import { Context } from '../core/context';
import { nullLogger } from '../core/logger';
import type { Alert } from '../core/types';
import { purgePrefix } from '../core/purge';

/** Options of {@link runWebhookBench}. */
export interface WebhookBenchOptions {
  alerts: number;
  /** Concurrent deliveries of the worker. @defaultValue 16 */
  concurrency?: number;
  /** @defaultValue redis://127.0.0.1:6379 */
  redisUrl?: string;
  /** The receiver is down for this long from the first write (refused, then the 503 phase). @defaultValue 0 */
  outageSeconds?: number;
  /** The last part of the outage during which the receiver listens but answers 503. @defaultValue 0 */
  unavailableSeconds?: number;
  /** Spread the writes evenly over this long (0 = one burst, 100 in flight). @defaultValue outageSeconds */
  writeSeconds?: number;
  /** Webhook `attempts`; omitted = the config default. */
  attempts?: number;
  /** Webhook `backoffMs`; omitted = the config default. */
  backoffMs?: number;
}

/** What {@link runWebhookBench} measured. */
export interface WebhookBenchResult {
  alerts: number;
  /** Distinct delivery ids accepted (2xx) by the receiver. */
  delivered: number;
  /** Requests the receiver accepted (2xx), duplicates included. */
  received: number;
  /** Delivery ids accepted more than once (must be 0). */
  duplicates: number;
  /** Every request the receiver saw (503 answers included), checked against the secret. */
  signatures: { valid: number; invalid: number };
  /** Attempts the receiver answered 503 (during the outage's 503 phase). */
  rejected503: number;
  /** Failed attempts counted by the service (refused + 503 + timeouts). */
  failedAttempts: number;
  /** Dead-letter list length at the end (must be 0). */
  deadLetters: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  retry: { attempts: number; backoffMs: number; timeoutMs: number; windowMs: { min: number; max: number } };
  outage?: {
    seconds: number;
    refusedSeconds: number;
    unavailableSeconds: number;
    writeSeconds: number;
    /** Accepted before the receiver came back (must be 0). */
    deliveredBeforeReturn: number;
    /** From the receiver's return to the last accepted delivery. */
    returnToLastDeliveryMs: number;
  };
}

const SECRET = 'bench-secret-1234';
/** A signed timestamp further than this from the receiver's clock is refused, as a receiver should. */
const MAX_SKEW_S = 300;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** What a receiver does to check `X-Vigil-Signature` (independent of the sender's code). */
function signatureValid(headers: http.IncomingHttpHeaders, body: string, nowMs: number): boolean {
  const ts = String(headers['x-vigil-timestamp'] ?? '');
  const sig = String(headers['x-vigil-signature'] ?? '');
  if (!/^\d+$/.test(ts) || Math.abs(Number(ts) - nowMs / 1000) > MAX_SKEW_S || headers['content-type'] !== 'application/json') {
    return false;
  }
  const want = Buffer.from(`sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`);
  const got = Buffer.from(sig);
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    return false;
  }
  try {
    return (JSON.parse(body) as { event?: string }).event === headers['x-vigil-event'];
  } catch {
    return false;
  }
}

/** Shortest and longest total wait over every retry of one delivery (the project's backoff, jitter at both ends). */
export function retryWindowMs(attempts: number, backoffMs: number): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (let n = 1; n < attempts; n++) {
    min += backoffDelay(n, backoffMs, () => 0);
    max += backoffDelay(n, backoffMs, () => 1);
  }
  return { min, max };
}

/** Runs the benchmark on its own random prefix; cleans up. */
export async function runWebhookBench(opts: WebhookBenchOptions): Promise<WebhookBenchResult> {
  const redisUrl = opts.redisUrl ?? 'redis://127.0.0.1:6379';
  const outageMs = Math.max(0, (opts.outageSeconds ?? 0) * 1000);
  const unavailableMs = Math.min(outageMs, Math.max(0, (opts.unavailableSeconds ?? 0) * 1000));
  const writeMs = Math.max(0, (opts.writeSeconds ?? opts.outageSeconds ?? 0) * 1000);
  const seen = new Map<string, number>();
  const lat: number[] = [];
  const sig = { valid: 0, invalid: 0 };
  let mode: 'down' | 'unavailable' | 'up' = outageMs > 0 ? 'down' : 'up';
  let received = 0;
  let rejected503 = 0;
  let deliveredBeforeReturn = 0;
  let upAt = 0;
  let last = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const now = Date.now();
      if (signatureValid(req.headers, Buffer.concat(chunks).toString('utf8'), now)) {
        sig.valid++;
      } else {
        sig.invalid++;
      }
      if (mode !== 'up') {
        rejected503++;
        res.writeHead(503, { 'retry-after': '5' }).end();
        return;
      }
      const d = String(req.headers['x-vigil-delivery']);
      seen.set(d, (seen.get(d) ?? 0) + 1);
      received++;
      if (upAt === 0) {
        deliveredBeforeReturn++;
      }
      lat.push(now - Number(d.split('-')[0]));
      last = now;
      res.writeHead(204).end();
    });
  });
  const listen = (port: number) => new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  // Take a free port, then (for an outage) close it again: connections to it are refused until it comes back.
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  if (mode === 'down') {
    await new Promise<void>((r) => server.close(() => r()));
  } else {
    upAt = Date.now();
  }
  const prefix = `vigil-bench-${randomBytes(4).toString('hex')}`;
  const hook: Record<string, unknown> = { name: 'bench', url: `http://127.0.0.1:${port}/hook`, secret: SECRET, events: ['alert.start'] };
  if (opts.attempts !== undefined) {
    hook.attempts = opts.attempts;
  }
  if (opts.backoffMs !== undefined) {
    hook.backoffMs = opts.backoffMs;
  }
  const config = configSchema.parse({ redis: { url: redisUrl, prefix }, webhooks: [hook] });
  const wh = config.webhooks[0];
  const retry = { attempts: wh.attempts, backoffMs: wh.backoffMs, timeoutMs: wh.timeoutMs, windowMs: retryWindowMs(wh.attempts, wh.backoffMs) };
  if (outageMs > 0) {
    console.error(
      `retry: ${retry.attempts} attempts, backoff ${retry.backoffMs} ms doubling with jitter: last attempt ` +
        `${(retry.windowMs.min / 1000).toFixed(1)}-${(retry.windowMs.max / 1000).toFixed(1)} s after the first` +
        (retry.windowMs.min > outageMs ? ` (> ${outageMs / 1000} s outage)` : ` — SHORTER than the ${outageMs / 1000} s outage: deliveries can be dead-lettered`),
    );
  }
  const ctx = new Context(config, nullLogger(), new Set(['api']), { defaultMetrics: false });
  const service = new WebhookService(ctx, { concurrency: opts.concurrency ?? 16, readBlockMs: 200 });
  let phases: Promise<void> = Promise.resolve();
  try {
    await service.start();
    const store = new AlertStore(ctx.redis('bench-writer'), ctx.keys);
    const t0 = Date.now();
    if (outageMs > 0) {
      phases = (async () => {
        await sleep(t0 + outageMs - unavailableMs - Date.now());
        if (unavailableMs > 0) {
          mode = 'unavailable';
          await listen(port);
          console.error(`${((Date.now() - t0) / 1000).toFixed(1)} s: receiver listening, answering 503`);
          await sleep(t0 + outageMs - Date.now());
        }
        mode = 'up';
        if (!server.listening) {
          await listen(port);
        }
        upAt = Date.now();
        console.error(`${((upAt - t0) / 1000).toFixed(1)} s: receiver back (204)`);
      })();
    }
    const alert = (i: number): Alert => ({
      id: '', rule: 'bench', type: 'zone_enter', camera: 'bench', severity: 'medium', state: 'active',
      startedAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
      objects: [{ trackId: i, label: 'person', score: 0.9, box: [0.1, 0.2, 0.3, 0.9] }], snapshot: '', latencyMs: 0,
    });
    if (writeMs > 0) {
      const writes: Array<Promise<unknown>> = [];
      for (let i = 0; i < opts.alerts; i++) {
        await sleep(t0 + (i * writeMs) / opts.alerts - Date.now());
        writes.push(store.write('start', alert(i)));
      }
      await Promise.all(writes);
    } else {
      for (let i = 0; i < opts.alerts; i += 100) {
        await Promise.all(Array.from({ length: Math.min(100, opts.alerts - i) }, (_, k) => store.write('start', alert(i + k))));
      }
    }
    console.error(`${((Date.now() - t0) / 1000).toFixed(1)} s: ${opts.alerts} alerts written`);
    // Long enough for the last retry of an event written at the end of the writes or the outage.
    const deadline = t0 + Math.max(outageMs, writeMs) + retry.windowMs.max + retry.attempts * retry.timeoutMs + 30_000;
    let deadLetters = 0;
    let polls = 0;
    while (seen.size + deadLetters < opts.alerts && Date.now() < deadline) {
      await sleep(50);
      if (++polls % 20 === 0) {
        deadLetters = (await service.list()).length;
      }
    }
    await phases;
    // Late duplicates (a retry of something already accepted) would arrive now.
    await sleep(2000);
    deadLetters = (await service.list()).length;
    const failedText = await ctx.metrics.getSingleMetricAsString('vigil_webhook_failures_total');
    const failedAttempts = [...failedText.matchAll(/^vigil_webhook_failures_total\{[^}]*\} (\d+)/gm)].reduce((s, m) => s + Number(m[1]), 0);
    lat.sort((a, b) => a - b);
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? NaN;
    return {
      alerts: opts.alerts,
      delivered: seen.size,
      received,
      duplicates: [...seen.values()].filter((n) => n > 1).length,
      signatures: sig,
      rejected503,
      failedAttempts,
      deadLetters,
      perSecond: Math.round((seen.size / Math.max(1, last - Math.max(t0, upAt))) * 1000),
      latencyMs: { p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1] ?? NaN },
      retry,
      ...(outageMs > 0
        ? {
            outage: {
              seconds: outageMs / 1000,
              refusedSeconds: (outageMs - unavailableMs) / 1000,
              unavailableSeconds: unavailableMs / 1000,
              writeSeconds: writeMs / 1000,
              deliveredBeforeReturn,
              returnToLastDeliveryMs: upAt > 0 && last > 0 ? last - upAt : NaN,
            },
          }
        : {}),
    };
  } finally {
    await phases.catch(() => undefined);
    await service.close();
    await ctx.closeConnections();
    server.closeAllConnections();
    server.close();
    const r = new Redis(redisUrl);
    await purgePrefix(r, prefix);
    r.disconnect();
  }
}

if (require.main === module) {
  const arg = (name: string): number | undefined => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  runWebhookBench({
    alerts: arg('alerts') ?? 1000,
    concurrency: arg('concurrency') ?? 16,
    outageSeconds: arg('outage-seconds'),
    unavailableSeconds: arg('unavailable-seconds'),
    writeSeconds: arg('write-seconds'),
    attempts: arg('attempts'),
    backoffMs: arg('backoff-ms'),
  }).then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      const ok =
        r.delivered === r.alerts && r.duplicates === 0 && r.signatures.invalid === 0 && r.deadLetters === 0 && (r.outage?.deliveredBeforeReturn ?? 0) === 0;
      process.exit(ok ? 0 : 1);
    },
    (err) => {
      console.error(err);
      process.exit(2);
    },
  );
}
