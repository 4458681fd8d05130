/**
 * `vigil bench faults [--cameras N] [--fps F] [--outages 1,15,60] [--no-takeover] [--json] [--no-write]`
 *
 * Faults injected under live cameras, measured from outside the daemon the way an operator would see them:
 * - its own Redis (a private `redis-server` with AOF, production settings) killed for each outage length and started
 *   again; its own GStreamer RTSP server with N mounts of vtest.mp4; the daemon (every role) in its own process;
 * - observers: a WebSocket client connected throughout, a `since` client that reconnects every 10 s with the last id
 *   it saw, a webhook receiver that checks each signature, the detections streams, FFmpeg processes per camera, the
 *   daemon's /metrics;
 * - per outage: time from Redis's return to fresh detections on every camera, FFmpeg processes and leases held per
 *   camera afterwards;
 * - takeover: a standby process started, the owner SIGKILLed (with its FFmpeg): time to the standby holding ingest
 *   and tracking of every camera, and to fresh detections on every camera;
 * - at the end, every alert event stored in Redis compared with what the `since` client, the live client and the
 *   webhook receiver got: duplicates and losses.
 * Writes the "Faults" section of BENCHMARKS.md.
 *
 * Over 350 lines on purpose: a benchmark program (setup, fault injection, observers, report) read from top to
 * bottom; what other benchmarks share is in daemon-process.ts, live-*.ts and proc.ts.
 */
import { execFileSync } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { commandArgsOrUsage } from '../core/cli-args';
import Redis from 'ioredis';
import WebSocket from 'ws';
import type { Logger } from '../core/logger';
import { Keys } from '../core/keys';
import type { DetectionResult } from '../core/types';
import { RedisTestServer } from '../testing/redis-server';
import { freePort, RtspTestServer } from '../testing/rtsp-server';
import { DaemonProcess } from './daemon-process';
import type { PromSample } from './live-stats';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { updateSection } from './live-report';

export const FAULTS_USAGE = 'usage: vigil bench faults [--cameras N] [--fps F] [--outages 1,15,60] [--no-takeover] [--media DIR] [--json] [--no-write]';
const SECRET = 'bench-faults-secret';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the bench measured. */
export interface FaultsResult {
  cameras: number;
  fps: number;
  outages: Array<{
    seconds: number;
    /** Redis back → a fresh detection on every camera (ms): max over cameras, and the median camera. */
    backMaxMs: number;
    backMedianMs: number;
    /** FFmpeg processes per camera afterwards (min, max). */
    ffmpegPerCamera: [number, number];
    leasesHeld: { ingest: number; track: number };
    ffmpegRestarts: number;
  }>;
  takeover?: { ingestMaxMs: number; trackMaxMs: number; detectMaxMs: number; detectMedianMs: number };
  events: {
    stored: number;
    since: { got: number; duplicates: number; lost: number };
    live: { got: number; duplicates: number; lost: number; reconnects: number };
    webhook: { deliveries: number; unique: number; duplicates: number; lost: number; badSignatures: number };
    endedTwice: number;
  };
  load: number[];
}

/** Identity of one alert event, the same from the stream, the WebSocket and the webhook body. */
function eventKey(event: string, alert: { id: string; updatedAt?: string }): string {
  return `${event.replace(/^alert\./, '')} ${alert.id} ${event.endsWith('start') ? '' : (alert.updatedAt ?? '')}`;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

/** A WebSocket client that keeps what it receives; with `resumeEveryMs` it reconnects with `since`. */
class Observer {
  readonly seen = new Map<string, number>();
  reconnects = 0;
  private ws: WebSocket | undefined;
  private lastId: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private base: () => string,
    private readonly resumeEveryMs?: number,
  ) {}

  start(): void {
    this.connect();
    if (this.resumeEveryMs) {
      this.timer = setInterval(() => this.ws?.terminate(), this.resumeEveryMs);
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.ws?.terminate();
  }

  private connect(): void {
    if (this.closed) {
      return;
    }
    const ws = new WebSocket(`${this.base().replace('http', 'ws')}/ws`);
    this.ws = ws;
    ws.on('open', () => {
      const since = this.resumeEveryMs ? this.lastId : undefined;
      ws.send(JSON.stringify({ type: 'subscribe', topics: ['alerts'], ...(since ? { since } : {}) }));
    });
    ws.on('message', (d) => {
      const m = JSON.parse(d.toString()) as { type: string; event?: string; id?: string; alert?: { id: string; updatedAt?: string } };
      if (m.type === 'alert' && m.alert && m.event) {
        const k = eventKey(m.event, m.alert);
        this.seen.set(k, (this.seen.get(k) ?? 0) + 1);
        this.lastId = m.id;
      }
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (!this.closed) {
        this.reconnects++;
        setTimeout(() => this.connect(), 200);
      }
    });
  }
}

/** Receives webhooks, checks each signature, counts deliveries by id and events by identity. */
async function receiver(): Promise<{ url: string; byDelivery: Map<string, number>; events: Set<string>; bad: number; close: () => void }> {
  const byDelivery = new Map<string, number>();
  const events = new Set<string>();
  const state = { bad: 0 };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ts = String(req.headers['x-vigil-timestamp'] ?? '');
      const sig = String(req.headers['x-vigil-signature'] ?? '');
      const want = `sha256=${createHmac('sha256', SECRET).update(`${ts}.${body}`).digest('hex')}`;
      if (sig !== want) {
        state.bad++;
      }
      const id = String(req.headers['x-vigil-delivery'] ?? '');
      byDelivery.set(id, (byDelivery.get(id) ?? 0) + 1);
      try {
        const b = JSON.parse(body) as { event: string; alert: { id: string; updatedAt?: string } };
        events.add(eventKey(b.event, b.alert));
      } catch {
        state.bad++;
      }
      res.writeHead(200).end();
    });
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${port}/hook`,
    byDelivery,
    events,
    get bad() {
      return state.bad;
    },
    close: () => server.close(),
  };
}

/** FFmpeg processes (any parent) reading each camera's RTSP URL. */
function ffmpegPerCamera(urls: string[]): number[] {
  const ps = execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).split('\n').filter((l) => /(^|\/)ffmpeg /.test(l));
  return urls.map((u) => ps.filter((l) => l.includes(`${u} `) || l.endsWith(u)).length);
}

function metricValue(samples: PromSample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}

/** Runs the bench (see the module comment). */
export async function runFaults(args: string[], log: Logger): Promise<number> {
  const parsed = commandArgsOrUsage({
    command: 'vigil bench faults',
    usage: FAULTS_USAGE,
    options: {
      cameras: { type: 'string', default: '12' },
      fps: { type: 'string', default: '5' },
      outages: { type: 'string', default: '1,15,60' },
      'no-takeover': { type: 'boolean', default: false },
      media: { type: 'string' },
      json: { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      benchmarks: { type: 'string', default: 'BENCHMARKS.md' },
    },
  }, args);
  if (!parsed) {
    return 2;
  }
  const { values } = parsed;
  const n = Number(values.cameras);
  const fps = Number(values.fps);
  const outages = values.outages.split(',').map(Number);
  if (!(n >= 1 && n <= 64) || !(fps > 0 && fps <= 30) || outages.some((s) => !(s >= 0 && s <= 600))) {
    process.stderr.write(`${FAULTS_USAGE}\n`);
    return 2;
  }
  const media = values.media ?? process.env.VIGIL_TEST_MEDIA ?? join(process.cwd(), '..', 'shared', 'media');
  const models = process.env.VIGIL_MODELS_DIR ?? join(process.cwd(), '..', 'shared', 'models');
  const result = await faults({ cameras: n, fps, outages, takeover: !values['no-takeover'], video: join(media, 'vtest.mp4'), models, log });
  const cmd = `vigil bench faults --cameras ${n} --fps ${fps} --outages ${outages.join(',')}${values['no-takeover'] ? ' --no-takeover' : ''}`;
  const md = report(result, cmd);
  process.stdout.write(values.json ? `${JSON.stringify(result, null, 2)}\n` : `${md}\n`);
  if (!values['no-write']) {
    const file = values.benchmarks;
    const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
    writeFileSync(file, updateSection(text, 'faults', 'Faults (vigil bench faults)', md));
  }
  return 0;
}

/** The measurement itself (also used by the test with small numbers). */
export async function faults(o: { cameras: number; fps: number; outages: number[]; takeover: boolean; video: string; models: string; log: Logger; settleMs?: number }): Promise<FaultsResult> {
  const settle = o.settleMs ?? 15_000;
  const redis = await RedisTestServer.start({ appendonly: true });
  const paths = Array.from({ length: o.cameras }, (_, i) => `/cam${i}`);
  const rtsp = await RtspTestServer.start({ file: o.video, paths });
  const urls = paths.map((p) => rtsp.url(p));
  const hook = await receiver();
  const prefix = `bench-faults-${randomBytes(3).toString('hex')}`;
  const keys = new Keys(prefix);
  const ids = paths.map((_, i) => `cam${i}`);
  const config = {
    redis: { url: redis.url, prefix },
    models: { dir: o.models },
    cameras: ids.map((id, i) => ({ id, url: urls[i], detect: { fps: o.fps, width: 416 }, lines: [{ id: 'mid', points: [[0, 0.6], [1, 0.6]] }] })),
    rules: ids.map((id) => ({ id: `cross-${id}`, type: 'line_cross', camera: id, line: 'mid', direction: 'any', labels: ['person'] })),
    alerts: { endAfterSeconds: 2 },
    webhooks: [{ name: 'bench', url: hook.url, secret: SECRET, events: ['alert.start', 'alert.update', 'alert.end'] }],
  };
  const probe = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 });
  probe.on('error', () => undefined);
  const daemons: DaemonProcess[] = [];
  let owner: DaemonProcess | undefined;
  const live = new Observer(() => owner!.baseUrl);
  const since = new Observer(() => owner!.baseUrl, 10_000);
  const newest = async (): Promise<number[]> => {
    const p = probe.pipeline();
    ids.forEach((id) => p.xrevrange(keys.detections(id), '+', '-', 'COUNT', 1));
    const res = (await p.exec().catch(() => [])) ?? [];
    return ids.map((_, i) => {
      const rows = (res[i]?.[1] as Array<[string, string[]]> | undefined) ?? [];
      const d = rows[0]?.[1]?.[1];
      return d ? (JSON.parse(d) as DetectionResult).times.capturedAt : 0;
    });
  };
  /** Waits until every camera has a detection captured after `t`; per-camera delays (ms). */
  const freshAfter = async (t: number, timeoutMs: number): Promise<number[]> => {
    const at: number[] = ids.map(() => NaN);
    const end = Date.now() + timeoutMs;
    while (at.some((x) => Number.isNaN(x)) && Date.now() < end) {
      const cap = await newest();
      cap.forEach((c, i) => {
        if (Number.isNaN(at[i]) && c > t) {
          at[i] = Date.now() - t;
        }
      });
      await sleep(50);
    }
    return at.map((x) => (Number.isNaN(x) ? timeoutMs : x));
  };
  const out: FaultsResult = {
    cameras: o.cameras,
    fps: o.fps,
    outages: [],
    events: { stored: 0, since: { got: 0, duplicates: 0, lost: 0 }, live: { got: 0, duplicates: 0, lost: 0, reconnects: 0 }, webhook: { deliveries: 0, unique: 0, duplicates: 0, lost: 0, badSignatures: 0 }, endedTwice: 0 },
    load: [],
  };
  try {
    owner = await DaemonProcess.start({ config: { ...config, instance: { id: 'bench-owner' } } });
    daemons.push(owner);
    live.start();
    since.start();
    o.log.info({ cameras: o.cameras }, 'faults: warming up');
    await freshAfter(Date.now(), 60_000);
    await sleep(settle);
    for (const seconds of o.outages) {
      const before = metricValue(await owner.metrics(), 'vigil_ingest_restarts_total');
      o.log.info({ seconds }, 'faults: Redis down');
      owner.sample();
      await redis.down();
      await sleep(seconds * 1000);
      await redis.up();
      const upAt = Date.now();
      const back = await freshAfter(upAt, 30_000);
      await sleep(5000);
      const m = await owner.metrics();
      const counts = ffmpegPerCamera(urls);
      out.outages.push({
        seconds,
        backMaxMs: Math.max(...back),
        backMedianMs: percentile(back, 50),
        ffmpegPerCamera: [Math.min(...counts), Math.max(...counts)],
        leasesHeld: { ingest: metricValue(m, 'vigil_leases_held', { stage: 'ingest' }), track: metricValue(m, 'vigil_leases_held', { stage: 'track' }) },
        ffmpegRestarts: metricValue(m, 'vigil_ingest_restarts_total') - before,
      });
      o.log.info(out.outages[out.outages.length - 1], 'faults: outage measured');
      await sleep(settle);
    }
    if (o.takeover) {
      const standby = await DaemonProcess.start({ config: { ...config, instance: { id: 'bench-standby' } } });
      daemons.push(standby);
      await sleep(2000);
      owner.sample();
      const killedAt = Date.now();
      await owner.crash();
      owner = standby;
      const holds = async (stage: string): Promise<number> => {
        const end = Date.now() + 30_000;
        for (;;) {
          const vals = await probe.mget(...ids.map((id) => keys.lease(stage, id)));
          if (vals.every((v) => v === 'bench-standby') || Date.now() > end) {
            return Date.now() - killedAt;
          }
          await sleep(50);
        }
      };
      const [ingestMaxMs, trackMaxMs, detect] = await Promise.all([holds('ingest'), holds('track'), freshAfter(killedAt, 30_000)]);
      out.takeover = { ingestMaxMs, trackMaxMs, detectMaxMs: Math.max(...detect), detectMedianMs: percentile(detect, 50) };
      o.log.info(out.takeover, 'faults: takeover measured');
      await sleep(settle);
    }
    await sleep(settle);
    // The events stored by now are the ones judged; every client and the webhook get up to 90 s to have them all
    // (a delivery of the killed owner waits for BullMQ's stall check, one in backoff for its retry), and the
    // events raised meanwhile are not judged.
    const rows = await probe.xrange(keys.alertEvents, '-', '+');
    const stored = new Set<string>();
    const ends = new Map<string, number>();
    for (const [, f] of rows) {
      const ev = f[f.indexOf('event') + 1];
      const alert = JSON.parse(f[f.indexOf('alert') + 1]) as { id: string; updatedAt?: string };
      stored.add(eventKey(ev, alert));
      if (ev === 'end') {
        ends.set(alert.id, (ends.get(alert.id) ?? 0) + 1);
      }
    }
    const compare = (seen: Map<string, number> | Set<string>) => {
      const keysSeen = seen instanceof Map ? [...seen.keys()] : [...seen];
      const dup = seen instanceof Map ? [...seen.values()].filter((v) => v > 1).length : 0;
      return { got: keysSeen.length, duplicates: dup, lost: [...stored].filter((k) => !keysSeen.includes(k)).length };
    };
    const allIn = (seen: Map<string, number> | Set<string>) => [...stored].every((k) => seen.has(k));
    const drainEnd = Date.now() + 90_000;
    while (!(allIn(hook.events) && allIn(since.seen)) && Date.now() < drainEnd) {
      await sleep(250);
    }
    const wh = compare(hook.events);
    if (wh.lost > 0) {
      o.log.warn({ missing: [...stored].filter((k) => !hook.events.has(k)) }, 'faults: events the webhook never got');
    }
    out.events = {
      stored: stored.size,
      since: compare(since.seen),
      live: { ...compare(live.seen), reconnects: live.reconnects },
      webhook: {
        deliveries: [...hook.byDelivery.values()].reduce((a, b) => a + b, 0),
        unique: hook.byDelivery.size,
        duplicates: [...hook.byDelivery.values()].filter((v) => v > 1).length,
        lost: wh.lost,
        badSignatures: hook.bad,
      },
      endedTwice: [...ends.values()].filter((v) => v > 1).length,
    };
    out.load = loadavg().map((x) => Math.round(x * 100) / 100);
    return out;
  } finally {
    live.close();
    since.close();
    for (const d of daemons) {
      await d.stop().catch(() => undefined);
    }
    hook.close();
    probe.disconnect();
    await rtsp.stop();
    await redis.close();
  }
}

/** The BENCHMARKS.md section. */
export function report(r: FaultsResult, cmd: string): string {
  const lines = [
    `### Faults under ${r.cameras} live cameras at ${r.fps} fps (${new Date().toISOString().slice(0, 16)}Z)`,
    '',
    `Command: \`${cmd}\`. Machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), load average ${r.load.join(' / ')}. Redis: a private redis-server with AOF (appendfsync always), SIGKILLed and started again; the daemon (every role) in its own process; GStreamer RTSP server with one mount per camera.`,
    '',
    '| Redis down | detections back: every camera / median camera | FFmpeg per camera after (min-max) | leases held ingest / track | FFmpeg restarts |',
    '|---|---|---|---|---|',
    ...r.outages.map((x) => `| ${x.seconds} s | ${x.backMaxMs} ms / ${x.backMedianMs} ms | ${x.ffmpegPerCamera.join('-')} | ${x.leasesHeld.ingest} / ${x.leasesHeld.track} | ${x.ffmpegRestarts} |`),
    '',
  ];
  if (r.takeover) {
    lines.push(
      `Owner SIGKILLed (with its FFmpeg) with a standby running: the standby holds ingest of every camera after ${r.takeover.ingestMaxMs} ms, tracking after ${r.takeover.trackMaxMs} ms; fresh detections on every camera after ${r.takeover.detectMaxMs} ms (median camera ${r.takeover.detectMedianMs} ms). Targets: 5 s and 7 s.`,
      '',
    );
  }
  const e = r.events;
  lines.push(
    `Alert events stored: ${e.stored}. \`since\` client (reconnecting every 10 s): ${e.since.got} received, ${e.since.duplicates} duplicates, ${e.since.lost} lost. Live client: ${e.live.got} received, ${e.live.duplicates} duplicates, ${e.live.lost} missed (${e.live.reconnects} reconnects: a live client without \`since\` misses what is sent while it is away). Webhook: ${e.webhook.deliveries} deliveries, ${e.webhook.unique} unique, ${e.webhook.duplicates} duplicates, ${e.webhook.lost} events not delivered, ${e.webhook.badSignatures} bad signatures. Alerts ended twice: ${e.endedTwice}.`,
  );
  return lines.join('\n');
}
