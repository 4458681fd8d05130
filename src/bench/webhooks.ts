/**
 * Webhook delivery benchmark: M alert events written through the alert store, delivered by the webhook service
 * (consumer group → BullMQ → signed POST) to a local receiver. Reports deliveries per second and the latency
 * from the event's XADD to the receiver, and checks every delivery id arrived exactly once.
 *
 *   npx tsx src/bench/webhooks.ts --alerts 1000 [--concurrency 16]
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import { AlertStore } from '../alerts';
import { WebhookService } from '../alerts/delivery';
import { configSchema } from '../config/schema';
import { Context } from '../core/context';
import { nullLogger } from '../core/logger';

/** What {@link runWebhookBench} measured. */
export interface WebhookBenchResult {
  alerts: number;
  delivered: number;
  duplicates: number;
  perSecond: number;
  latencyMs: { p50: number; p99: number; max: number };
}

/** Runs the benchmark on its own random prefix; cleans up. */
export async function runWebhookBench(opts: { alerts: number; concurrency?: number; redisUrl?: string }): Promise<WebhookBenchResult> {
  const redisUrl = opts.redisUrl ?? 'redis://127.0.0.1:6379';
  const seen = new Map<string, number>();
  const lat: number[] = [];
  let last = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const now = Date.now();
      const d = String(req.headers['x-vigil-delivery']);
      seen.set(d, (seen.get(d) ?? 0) + 1);
      lat.push(now - Number(d.split('-')[0]));
      last = now;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  const prefix = `vigil-bench-${randomBytes(4).toString('hex')}`;
  const config = configSchema.parse({
    redis: { url: redisUrl, prefix },
    webhooks: [{ name: 'bench', url: `http://127.0.0.1:${port}/hook`, secret: 'bench-secret-1234', events: ['alert.start'] }],
  });
  const ctx = new Context(config, nullLogger(), new Set(['api']), { defaultMetrics: false });
  const service = new WebhookService(ctx, { concurrency: opts.concurrency ?? 16, readBlockMs: 200 });
  try {
    await service.start();
    const store = new AlertStore(ctx.redis('bench-writer'), ctx.keys);
    const t0 = Date.now();
    for (let i = 0; i < opts.alerts; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, opts.alerts - i) }, (_, k) =>
          store.write('start', {
            id: '', rule: 'bench', type: 'zone_enter', camera: 'bench', severity: 'medium', state: 'active',
            startedAt: new Date().toISOString(), updatedAt: new Date().toISOString(),
            objects: [{ trackId: i + k, label: 'person', score: 0.9, box: [0.1, 0.2, 0.3, 0.9] }], snapshot: '', latencyMs: 0,
          }),
        ),
      );
    }
    const deadline = Date.now() + 120_000;
    while (seen.size < opts.alerts && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    lat.sort((a, b) => a - b);
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? NaN;
    return {
      alerts: opts.alerts,
      delivered: seen.size,
      duplicates: [...seen.values()].filter((n) => n > 1).length,
      perSecond: Math.round((seen.size / Math.max(1, last - t0)) * 1000),
      latencyMs: { p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1] ?? NaN },
    };
  } finally {
    await service.close();
    await ctx.closeConnections();
    server.close();
    const r = new Redis(redisUrl);
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) {
        await r.del(...keys);
      }
    } while (cursor !== '0');
    r.disconnect();
  }
}

if (require.main === module) {
  const arg = (name: string, d: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : d;
  };
  runWebhookBench({ alerts: arg('alerts', 1000), concurrency: arg('concurrency', 16) }).then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      process.exit(r.delivered === r.alerts && r.duplicates === 0 ? 0 : 1);
    },
    (err) => {
      console.error(err);
      process.exit(2);
    },
  );
}
