// API under load (issue 14, item 8): GET /api/alerts?limit=1000 and GET /api/cameras/:id/frame.jpg at 200
// concurrent clients, measured with autocannon against a separate `vigil start --role api` process.
//
// Run: flock /tmp/vigil-heavy.lock npx tsx scripts/bench-api-load.ts [--connections 200] [--seconds 20]
//
// The daemon's Redis prefix is seeded with 2,000 alerts (objects, snapshots) and one camera whose detections advance
// at 5 fps with a 640x480 frame each, as a live camera's would; one new alert a second arrives during the runs, so
// answers are recomputed as they would be on a live system (nothing is measured against a frozen cache).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import sharp from 'sharp';
import { AlertStore } from '../src/alerts';
import { Keys } from '../src/core/keys';
import type { Alert } from '../src/core/types';

const { values } = parseArgs({
  options: { connections: { type: 'string', default: '200' }, seconds: { type: 'string', default: '20' }, redis: { type: 'string', default: process.env.VIGIL_REDIS_URL ?? 'redis://127.0.0.1:6379' } },
});
const CONNECTIONS = Number(values.connections);
const SECONDS = Number(values.seconds);
const TOKEN = randomBytes(24).toString('hex');
const prefix = `vigil-bench-${randomBytes(4).toString('hex')}`;

function alert(i: number): Alert {
  const now = new Date().toISOString();
  return {
    id: '',
    rule: `rule-${i % 7}`,
    type: 'zone_enter',
    camera: 'yard',
    severity: 'high',
    state: 'active',
    startedAt: now,
    updatedAt: now,
    objects: Array.from({ length: 3 }, (_, k) => ({ trackId: i * 10 + k, label: 'person', score: 0.87, box: [0.1, 0.2, 0.3, 0.9] as [number, number, number, number] })),
    zone: 'lawn',
    snapshot: '',
    latencyMs: 180,
  };
}

async function main(): Promise<void> {
  const redis = new Redis(values.redis!);
  const keys = new Keys(prefix);
  const store = new AlertStore(redis, keys);
  const snapshot = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 60, g: 90, b: 60 } } }).jpeg({ quality: 80 }).toBuffer();
  for (let i = 0; i < 2000; i++) {
    await store.write('start', alert(i), snapshot);
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-api-'));
  const port = 20000 + Math.floor(Math.random() * 20000);
  const file = path.join(dir, 'vigil.yaml');
  writeFileSync(file, `redis: {url: "${values.redis}", prefix: ${prefix}}\nserver: {host: 127.0.0.1, port: ${port}, tokens: [{name: bench, token: ${TOKEN}, role: admin}]}\nlog: {level: warn, format: json}\n`);
  const bin = path.join(__dirname, '..', 'bin', 'vigil.js');
  const child = spawn(process.execPath, [bin, 'start', '--config', file, '--role', 'api'], { env: { ...process.env, VIGIL_NO_DEMO: '1' }, stdio: ['ignore', 'inherit', 'inherit'] });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) {
        break;
      }
    } catch {
      // not listening yet
    }
    if (i > 300) {
      throw new Error('the daemon did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // A live camera: a new detection result and its frame every 200 ms; a new alert every second.
  let seq = 0;
  const w = 640;
  const h = 480;
  const pixels = Buffer.alloc(w * h * 3, 70);
  const camera = setInterval(() => {
    seq++;
    const d = { camera: 'yard', seq, frameKey: keys.frame('yard', seq), width: w, height: h, format: 'rgb24', times: { capturedAt: Date.now(), queuedAt: Date.now() }, model: 'yolox', detections: [{ label: 'person', score: 0.9, box: [0.1, 0.1, 0.4, 0.9] }] };
    void redis.multi().set(keys.frame('yard', seq), pixels, 'EX', 5).xadd(keys.detections('yard'), 'MAXLEN', '~', '100', '*', 'd', JSON.stringify(d)).exec();
  }, 200);
  let n = 2000;
  const alerts = setInterval(() => void store.write('start', alert(n++), snapshot), 1000);
  const results: string[] = [];
  try {
    for (const url of ['/api/alerts?limit=1000', '/api/cameras/yard/frame.jpg']) {
      const r = await autocannon({ url: `${base}${url}`, connections: CONNECTIONS, duration: SECONDS, headers: { authorization: `Bearer ${TOKEN}` } });
      const bytes = Math.round(r.throughput.average / Math.max(1, r.requests.average) / 1024);
      results.push(
        `| \`GET ${url}\` | ${CONNECTIONS} | ${SECONDS} s | ${r.requests.total} | ${Math.round(r.requests.average)} | ${r.latency.p50} | ${r.latency.p90} | ${r.latency.p99} | ${r.latency.max} | ${r.non2xx} | ${r.errors + r.timeouts} | ${bytes} KiB |`,
      );
    }
  } finally {
    clearInterval(camera);
    clearInterval(alerts);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (found.length > 0) {
        await redis.del(...found);
      }
    } while (cursor !== '0');
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    ['| route | clients | duration | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | errors | body |', '|---|---|---|---|---|---|---|---|---|---|---|---|', ...results].join('\n') + '\n',
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exit(1);
});
