import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import Redis from 'ioredis';
import WebSocket from 'ws';
import { parseConfig } from '../../src/config/load';
import { Context } from '../../src/config/context';
import { nullLogger } from '../../src/core/logger';
import type { DetectionResult } from '../../src/core/types';
import { startDaemon, type Daemon } from '../../src/daemon';
import { RedisTestServer } from '../../src/testing/redis-server';
import { RtspTestServer } from '../../src/testing/rtsp-server';
import { MEDIA, MODELS, sleep, waitFor } from '../helpers';

/** ffmpeg processes reading a URL (by their command line). */
function ffmpegsFor(url: string): number[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .filter((l) => /\bffmpeg\b/.test(l) && l.includes(url))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}

function ps(): string {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => /ffmpeg/.test(l))
    .join('\n');
}

/**
 * The whole daemon on a private Redis that goes away for longer than the lease TTL and comes back (with AOF, then
 * without its data): one ffmpeg and one tracker per camera throughout, detections back within 2 s, every alert
 * started once and ended at most once, API answers 503 at once while Redis is away, and a Redis that lost its data
 * is announced.
 */
describe('Redis outages under a live camera @integration', function () {
  this.timeout(150_000);
  let redis: RedisTestServer;
  let rtsp: RtspTestServer;
  let daemon: Daemon | undefined;
  let ctx: Context;
  let port: number;
  const TOKEN = 'outage-admin-token-0123456789';
  let camUrl: string;

  before(async () => {
    redis = await RedisTestServer.start({ appendonly: true });
    rtsp = await RtspTestServer.start({ file: path.join(MEDIA, 'vtest.mp4') });
    camUrl = rtsp.url();
    const yaml = `
redis: { url: "${redis.url}", prefix: outage }
server: { port: 0, tokens: [ { name: t, token: "${TOKEN}", role: admin } ] }
models: { dir: ${MODELS} }
instance: { leaseSeconds: 1.5 }
cameras:
  - id: cam
    url: "${camUrl}"
    detect: { fps: 5, width: 416 }
    lines: [ { id: mid, points: [[0.0,0.6],[1.0,0.6]] } ]
rules:
  - { id: mid-cross, type: line_cross, camera: cam, line: mid, direction: any, labels: [person] }
alerts: { endAfterSeconds: 1 }
`;
    ctx = new Context(parseConfig(yaml, { VIGIL_NO_DEMO: '1' }), nullLogger(), new Set(['ingest', 'detect', 'track', 'api'] as const), { defaultMetrics: false });
    daemon = await startDaemon(ctx);
    port = (ctx.stages.get('api') as unknown as { port: number }).port;
  });

  after(async () => {
    await daemon?.stop();
    await rtsp?.stop();
    await redis?.close();
  });

  const probe = () => {
    const r = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
    r.on('error', () => undefined);
    return r;
  };

  /** Capture time of the newest detection result, or 0. */
  async function newestDetection(r: Redis): Promise<number> {
    const rows = await r.xrevrange(ctx.keys.detections('cam'), '+', '-', 'COUNT', 1).catch(() => []);
    const d = rows[0]?.[1]?.[1];
    return d ? (JSON.parse(d) as DetectionResult).times.capturedAt : 0;
  }

  async function outage(seconds: number): Promise<{ backMs: number }> {
    const r = probe();
    try {
      await waitFor(async () => (await newestDetection(r)) > Date.now() - 2000, 30_000, 'detections flowing');
      await redis.down();
      const t = Date.now();
      // While Redis is away the API answers at once, 503 with a reason.
      const res = await fetch(`http://127.0.0.1:${port}/api/cameras`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 503);
      assert.ok(Date.now() - t < 1000, `answered in ${Date.now() - t} ms`);
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(ready.status, 503);
      await sleep(seconds * 1000); // the outage's length
      await redis.up();
      const upAt = Date.now();
      await waitFor(async () => (await newestDetection(r)) > upAt, 15_000, 'fresh detections');
      return { backMs: Date.now() - upAt };
    } finally {
      r.disconnect();
    }
  }

  it('keeps one ffmpeg and one tracker per camera through an outage longer than the lease; detections back within 2 s', async () => {
    const r = probe();
    await waitFor(async () => (await newestDetection(r)) > Date.now() - 2000, 30_000, 'detections flowing');
    r.disconnect();
    const before = ffmpegsFor(camUrl);
    assert.equal(before.length, 1, ps());
    const { backMs } = await outage(4);
    assert.ok(backMs < 2000, `detections back ${backMs} ms after Redis`);
    await sleep(3000); // nothing may happen here: no reconnect, no second FFmpeg
    assert.deepEqual(ffmpegsFor(camUrl), before, 'the same single ffmpeg (no reconnect, no second one)');
    const m = await ctx.metrics.metrics();
    assert.match(m, /vigil_leases_held\{stage="ingest"\} 1\n/);
    assert.match(m, /vigil_leases_held\{stage="track"\} 1\n/);
    const ready = await waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } });
      return res.status === 200 ? ((await res.json()) as { warnings: string[] }) : undefined;
    }, 10_000, 'ready again');
    assert.deepEqual(ready.warnings, [], 'AOF kept the data: nothing to warn about');
  });

  it('ends every alert once, whatever the outages', async () => {
    const r = probe();
    try {
      await waitFor(async () => (await r.xlen(ctx.keys.alertEvents)) > 0, 60_000, 'an alert');
      await outage(2);
      await sleep(3000); // a window after the outage for any event written twice to show
      const events = await r.xrange(ctx.keys.alertEvents, '-', '+');
      const starts = new Map<string, number>();
      const ends = new Map<string, number>();
      for (const [, f] of events) {
        const ev = f[f.indexOf('event') + 1];
        const id = (JSON.parse(f[f.indexOf('alert') + 1]) as { id: string }).id;
        const m = ev === 'start' ? starts : ev === 'end' ? ends : undefined;
        m?.set(id, (m.get(id) ?? 0) + 1);
      }
      assert.ok(starts.size > 0);
      assert.ok([...starts.values()].every((n) => n === 1), 'each alert started once');
      assert.ok([...ends.values()].every((n) => n === 1), `each alert ended once: ${JSON.stringify([...ends])}`);
    } finally {
      r.disconnect();
    }
  });

  it('announces a Redis that came back without its data (WebSocket system event, readyz warning)', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${TOKEN}`);
    const msgs: Array<{ type: string; event?: string }> = [];
    ws.on('message', (d) => msgs.push(JSON.parse(d.toString()) as { type: string }));
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', rej);
    });
    try {
      await redis.down();
      // Lose the data: the append-only file goes, as with a Redis that had no persistence.
      execFileSync('rm', ['-rf', path.join(redis.dir, 'appendonlydir')]);
      await redis.up();
      const sys = await waitFor(() => msgs.find((m) => m.type === 'system'), 15_000, 'system event');
      assert.equal(sys.event, 'redis_data_lost');
      const res = await waitFor(async () => {
        const x = await fetch(`http://127.0.0.1:${port}/readyz`, { headers: { authorization: `Bearer ${TOKEN}` } });
        return x.status === 200 ? ((await x.json()) as { warnings: string[] }) : undefined;
      }, 15_000, 'readyz answers');
      assert.ok(res.warnings.some((w) => /lost its data/.test(w)), JSON.stringify(res.warnings));
      // The camera goes on: fresh detections, still one ffmpeg.
      const r = probe();
      const t = Date.now();
      await waitFor(async () => (await newestDetection(r)) > t, 15_000, 'fresh detections after the loss');
      r.disconnect();
      assert.equal(ffmpegsFor(camUrl).length, 1);
    } finally {
      ws.terminate();
    }
  });
});
