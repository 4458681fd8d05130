/**
 * Webhook delivery benchmark: M alert events written through the alert store, delivered by the webhook service
 * (consumer group → ledger → BullMQ → signed POST) to a local receiver. Reports deliveries per second and the
 * latency from the event's XADD to the receiver, and checks every delivery id arrived exactly once, every signature
 * (X-Vigil-Signature, and the Standard Webhooks one) is valid, verified by the receiver itself, and nothing was
 * dead-lettered.
 *
 * With `--outage-seconds N` the receiver is down for the first N seconds while the events are being written:
 * its port is closed (connections refused), and for the last `--unavailable-seconds M` of the outage it listens
 * but answers 503 with `Retry-After: 5`; then it comes back (204). The webhook uses the production retry settings
 * of the config schema (`retry` defaults: first retry within 5 s, at most 1 h apart, 24 h horizon) unless
 * `--initial-seconds` / `--max-seconds` / `--horizon-seconds` say otherwise. `--lose-jobs-at S` deletes every
 * BullMQ key of the webhook queue S seconds after the start (a Redis evicting them): the reconciler (every
 * `--reconcile-seconds`, default 30) must re-create them. The run is mostly idle: retries are sparse.
 *
 *   npx tsx src/bench/webhooks.ts --alerts 1000 [--concurrency 16]
 *   npx tsx src/bench/webhooks.ts --alerts 300 --outage-seconds 1800 [--unavailable-seconds 60] [--lose-jobs-at 900]
 *
 * Over 350 lines on purpose: a benchmark program (receiver, outage schedule, measurement, report) read from top to
 * bottom.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { AlertStore } from '../alerts';
import { WebhookService } from '../sinks/webhook-service';
import { retryPolicy } from '../sinks/webhook-retry';
import { verifyStandard } from '../core/webhook-standard';
import { configSchema } from '../config/schema';
import { Context } from '../config/context';
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
  /** `retry.initialSeconds`; omitted = the config default. */
  initialSeconds?: number;
  /** `retry.maxSeconds`; omitted = the config default. */
  maxSeconds?: number;
  /** `retry.horizonSeconds`; omitted = the config default. */
  horizonSeconds?: number;
  /** Delete the webhook queue's BullMQ keys this long after the start (seconds). */
  loseJobsAtSeconds?: number;
  /** Reconciler period. @defaultValue 30 */
  reconcileSeconds?: number;
  /** Progress lines on stderr every this many seconds while waiting (0 = none). @defaultValue 60 */
  progressSeconds?: number;
}

/** What {@link runWebhookBench} measured. */
export interface WebhookBenchResult {
  /** Alert events written (each one delivery). */
  raised: number;
  /** Distinct delivery ids accepted (2xx) by the receiver. */
  delivered: number;
  /** Deliveries still pending in the ledger at the end (retrying or parked). */
  pending: number;
  /** Requests the receiver accepted (2xx), duplicates included. */
  received: number;
  /** Delivery ids accepted more than once (must be 0). */
  duplicates: number;
  /** Every request the receiver saw (503 answers included), checked against the secret, both schemes. */
  signatures: { valid: number; invalid: number };
  /** Attempts the receiver answered 503 (during the outage's 503 phase). */
  rejected503: number;
  /** Failed attempts counted by the service (refused + 503 + timeouts). */
  failedAttempts: number;
  /** Dead-letter list length at the end (must be 0). */
  deadLetters: number;
  /** Jobs re-created by the reconciler. */
  recreated: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
  retry: { initialSeconds: number; maxSeconds: number; horizonSeconds: number; timeoutMs: number };
  outage?: {
    seconds: number;
    refusedSeconds: number;
    unavailableSeconds: number;
    writeSeconds: number;
    /** Job keys deleted at this time (seconds after the start), if asked. */
    jobsLostAtSeconds?: number;
    /** Accepted before the receiver came back (must be 0). */
    deliveredBeforeReturn: number;
    /** From the receiver's return to the last accepted delivery. */
    returnToLastDeliveryMs: number;
  };
  wallSeconds: number;
  /** CPU time of this process (sender, receiver and writer together) and its peak RSS. */
  process: { cpuSeconds: number; maxRssMiB: number };
}

/** A whsec_ secret (24 random bytes) so that both signature schemes are checked. */
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
/** A signed timestamp further than this from the receiver's clock is refused, as a receiver should. */
const MAX_SKEW_S = 300;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** What a receiver does to check `X-Vigil-Signature` and the Standard Webhooks headers (independent of the sender). */
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
  if (!verifyStandard(SECRET, String(headers['webhook-id']), String(headers['webhook-timestamp']), body, String(headers['webhook-signature']))) {
    return false;
  }
  try {
    return (JSON.parse(body) as { event?: string }).event === headers['x-vigil-event'];
  } catch {
    return false;
  }
}

/** Runs the benchmark on its own random prefix; cleans up. */
export async function runWebhookBench(opts: WebhookBenchOptions): Promise<WebhookBenchResult> {
  const started = Date.now();
  const cpu0 = process.cpuUsage();
  const redisUrl = opts.redisUrl ?? 'redis://127.0.0.1:6379';
  const outageMs = Math.max(0, (opts.outageSeconds ?? 0) * 1000);
  const unavailableMs = Math.min(outageMs, Math.max(0, (opts.unavailableSeconds ?? 0) * 1000));
  const writeMs = Math.max(0, (opts.writeSeconds ?? opts.outageSeconds ?? 0) * 1000);
  const progressMs = (opts.progressSeconds ?? 60) * 1000;
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
  const retry: Record<string, number> = {};
  for (const [k, v] of [['initialSeconds', opts.initialSeconds], ['maxSeconds', opts.maxSeconds], ['horizonSeconds', opts.horizonSeconds]] as const) {
    if (v !== undefined) {
      retry[k] = v;
    }
  }
  const config = configSchema.parse({
    redis: { url: redisUrl, prefix },
    webhooks: [{ name: 'bench', url: `http://127.0.0.1:${port}/hook`, secret: SECRET, standardWebhooks: true, events: ['alert.start'], retry }],
  });
  const wh = config.webhooks[0];
  const policy = retryPolicy(wh);
  const retryShown = { initialSeconds: policy.initialMs / 1000, maxSeconds: policy.maxMs / 1000, horizonSeconds: policy.horizonMs / 1000, timeoutMs: wh.timeoutMs };
  if (outageMs > 0) {
    console.error(
      `retry: full jitter from ${retryShown.initialSeconds} s doubling, at most ${retryShown.maxSeconds} s apart, ` +
        `dead letters only after ${retryShown.horizonSeconds} s` +
        (policy.horizonMs > outageMs ? ` (> ${outageMs / 1000} s outage)` : ` — SHORTER than the ${outageMs / 1000} s outage: deliveries can be dead-lettered`),
    );
  }
  const ctx = new Context(config, nullLogger(), new Set(['api']), { defaultMetrics: false });
  const service = new WebhookService(ctx, { concurrency: opts.concurrency ?? 16, readBlockMs: 200, reconcileIntervalMs: (opts.reconcileSeconds ?? 30) * 1000 });
  const admin = new Redis(redisUrl);
  let phases: Promise<void> = Promise.resolve();
  let jobsLostAt: number | undefined;
  const metric = async (name: string) => {
    const text = await ctx.metrics.getSingleMetricAsString(name);
    return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0);
  };
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
    const lose =
      opts.loseJobsAtSeconds === undefined
        ? Promise.resolve()
        : (async () => {
            await sleep(t0 + (opts.loseJobsAtSeconds ?? 0) * 1000 - Date.now());
            const n = await purgePrefix(admin, `${ctx.keys.bullPrefix}:${ctx.keys.queues.webhooks}`);
            jobsLostAt = (Date.now() - t0) / 1000;
            console.error(`${jobsLostAt.toFixed(1)} s: deleted ${n} BullMQ keys of the webhook queue`);
          })();
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
    await lose;
    // A delivery that failed just before the return waits at most maxMs for its next attempt (less when the
    // endpoint's catch-up runs the waiting retries at once).
    const deadline = t0 + Math.max(outageMs, writeMs) + policy.maxMs + wh.timeoutMs + 60_000;
    let deadLetters = 0;
    let polls = 0;
    let nextProgress = Date.now() + progressMs;
    while (seen.size + deadLetters < opts.alerts && Date.now() < deadline) {
      await sleep(50);
      if (++polls % 20 === 0) {
        deadLetters = (await service.list()).length;
      }
      if (progressMs > 0 && Date.now() >= nextProgress) {
        nextProgress += progressMs;
        console.error(`${((Date.now() - t0) / 1000).toFixed(0)} s: receiver ${mode}, delivered ${seen.size}/${opts.alerts}, failed attempts ${await metric('vigil_webhook_failures_total')}, dead ${deadLetters}`);
      }
    }
    await phases;
    // Late duplicates (a retry of something already accepted) would arrive now.
    await sleep(2000);
    deadLetters = (await service.list()).length;
    const pending = (await service.endpoints())[0]?.pending ?? 0;
    lat.sort((a, b) => a - b);
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? NaN;
    return {
      raised: opts.alerts,
      delivered: seen.size,
      pending,
      received,
      duplicates: [...seen.values()].filter((n) => n > 1).length,
      signatures: sig,
      rejected503,
      failedAttempts: await metric('vigil_webhook_failures_total'),
      deadLetters,
      recreated: await metric('vigil_webhook_recreated_total'),
      perSecond: Math.round((seen.size / Math.max(1, last - Math.max(t0, upAt))) * 1000),
      latencyMs: { p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1] ?? NaN },
      retry: retryShown,
      ...(outageMs > 0
        ? {
            outage: {
              seconds: outageMs / 1000,
              refusedSeconds: (outageMs - unavailableMs) / 1000,
              unavailableSeconds: unavailableMs / 1000,
              writeSeconds: writeMs / 1000,
              ...(jobsLostAt !== undefined ? { jobsLostAtSeconds: jobsLostAt } : {}),
              deliveredBeforeReturn,
              returnToLastDeliveryMs: upAt > 0 && last > 0 ? last - upAt : NaN,
            },
          }
        : {}),
      wallSeconds: Math.round((Date.now() - started) / 1000),
      process: (() => {
        const c = process.cpuUsage(cpu0);
        return { cpuSeconds: Math.round((c.user + c.system) / 1e4) / 100, maxRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
      })(),
    };
  } finally {
    await phases.catch(() => undefined);
    await service.close();
    await ctx.closeConnections();
    server.closeAllConnections();
    server.close();
    await purgePrefix(admin, prefix);
    admin.disconnect();
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
    initialSeconds: arg('initial-seconds'),
    maxSeconds: arg('max-seconds'),
    horizonSeconds: arg('horizon-seconds'),
    loseJobsAtSeconds: arg('lose-jobs-at'),
    reconcileSeconds: arg('reconcile-seconds'),
    progressSeconds: arg('progress-seconds'),
  }).then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      const ok =
        r.delivered + r.pending === r.raised &&
        r.delivered === r.raised &&
        r.duplicates === 0 &&
        r.signatures.invalid === 0 &&
        r.deadLetters === 0 &&
        (r.outage?.deliveredBeforeReturn ?? 0) === 0;
      process.exit(ok ? 0 : 1);
    },
    (err) => {
      console.error(err);
      process.exit(2);
    },
  );
}
