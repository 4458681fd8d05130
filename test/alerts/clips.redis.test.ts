import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import Redis from 'ioredis';
import { AlertStore, parseEntry } from '../../src/alerts';
import { ClipMaker } from '../../src/alerts/clips';
import { buildServer } from '../../src/api/server';
import { Context } from '../../src/config/context';
import { configSchema } from '../../src/config/schema';
import { nullLogger } from '../../src/core/logger';
import { parseRecordedSegment, type Alert, type ClipRecord } from '../../src/core/types';
import { startIngest, type IngestHandle } from '../../src/ingest';
import { RtspTestServer } from '../../src/testing/rtsp-server';
import { REDIS_URL, VTEST, deletePrefix, waitFor } from '../ingest/helpers';

const TOKEN = 'viewer-token-0123456789abcdef';
const PRE = 3;
const POST = 2;
const EVENT_MS = 4000;

/** ffprobe's format duration of a file (s). */
function probeDuration(file: string): number {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]).toString().trim());
}

describe('alert clips from a live RTSP camera (real Redis, FFmpeg, GStreamer RTSP) @integration', function () {
  this.timeout(30_000);
  let server: RtspTestServer;
  let admin: Redis;
  let dir: string;
  let ctx: Context;
  let ingest: IngestHandle;
  let maker: ClipMaker;
  let app: FastifyInstance;
  let store: AlertStore;
  /** The alert whose clip the first test makes (the later tests use it). */
  let clipped: Alert | undefined;

  before(async function () {
    this.timeout(30_000);
    server = await RtspTestServer.start({ file: VTEST });
    admin = new Redis(REDIS_URL);
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-clips-'));
    const config = configSchema.parse({
      redis: { url: REDIS_URL, prefix: `vigil-test-${randomBytes(4).toString('hex')}` },
      server: { port: 0, tokens: [{ name: 'guard', token: TOKEN, role: 'viewer' }] },
      recording: { enabled: true, dir, segmentSeconds: 1 },
      cameras: [
        { id: 'door', url: server.url(), detect: { fps: 5, width: 320 }, zones: [{ id: 'z', polygon: [[0, 0], [1, 0], [1, 1]] }] },
        { id: 'yard', url: server.url(), enabled: false, recording: { enabled: false } },
      ],
      rules: [
        { id: 'door-zone', type: 'zone_enter', camera: 'door', zone: 'z', clip: { pre: PRE, post: POST } },
        { id: 'yard-any', type: 'speed', camera: 'yard', speed: 1 },
      ],
    });
    ctx = new Context(config, nullLogger(), new Set(['ingest', 'api']), { defaultMetrics: false });
    ingest = await startIngest(ctx, { restart: { baseMs: 500, capMs: 2000 }, killGraceMs: 1000 });
    maker = new ClipMaker(ctx, { sweepEveryMs: 3_600_000 });
    await maker.start();
    const redis = ctx.redis('test-api');
    store = new AlertStore(redis, ctx.keys);
    app = await buildServer(ctx, { redis, store, deadLetters: { list: async () => [], replay: async () => undefined } });
    await app.ready();
  });
  after(async () => {
    await app?.close();
    await maker?.close();
    await ingest?.close();
    await server?.stop();
    if (ctx) {
      await ctx.closeConnections();
      await deletePrefix(admin, ctx.keys.prefix);
    }
    admin?.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}`, ...headers } });

  /** Writes an alert's start and end through the store, as the tracker does. */
  async function alertOf(camera: string, rule: string, startMs: number, endMs: number | undefined): Promise<Alert> {
    const start: Alert = {
      id: '',
      rule,
      type: 'zone_enter',
      camera,
      severity: 'high',
      state: 'active',
      startedAt: new Date(startMs).toISOString(),
      updatedAt: new Date(startMs).toISOString(),
      objects: [{ trackId: 1, label: 'person', score: 0.9, box: [0.1, 0.1, 0.3, 0.9] }],
      latencyMs: 50,
    };
    const { alert } = await store.write('start', start);
    if (endMs === undefined) {
      return alert;
    }
    const end = { ...alert, state: 'ended' as const, updatedAt: new Date(endMs).toISOString(), endedAt: new Date(endMs).toISOString() };
    await store.write('end', end);
    return end;
  }

  it(`an alert gets a clip of pre + event + post (${PRE} + ${EVENT_MS / 1000} + ${POST} s, ffprobe within 1 s), linked by a clip event`, async () => {
    // The recording's first segment: the alert starts PRE + 0.5 s after it, so its pre is recorded.
    const first = await waitFor(
      async () => (await admin.zrange(ctx.keys.recordingSegments('door'), '0', '0')).map(parseRecordedSegment)[0],
      15_000,
      'the first recorded segment',
    );
    const startMs = first!.startMs + (PRE + 0.5) * 1000;
    const endMs = startMs + EVENT_MS;
    await waitFor(() => Date.now() > endMs, 15_000, 'the alert end time');
    const alert = await alertOf('door', 'door-zone', startMs, endMs);
    const early = await get(`/api/alerts/${alert.id}/clip.mp4`);
    assert.equal(early.statusCode, 404);
    assert.equal(early.json().error.code, 'clip_pending');
    assert.ok(Number(early.headers['retry-after']) >= 1);

    const record = await waitFor(
      async () => {
        const raw = await admin.get(ctx.keys.clip(alert.id));
        return raw === null ? undefined : (JSON.parse(raw) as ClipRecord);
      },
      15_000,
      'the clip record',
      200,
    );
    assert.equal(record!.state, 'ready', JSON.stringify(record));
    const file = path.join(dir, 'clips', `${alert.id}.mp4`);
    const seconds = probeDuration(file);
    const want = PRE + EVENT_MS / 1000 + POST;
    assert.ok(Math.abs(seconds - want) <= 1, `clip of ${seconds} s, want ${want} ± 1 s`);
    const stored = await store.getAlert(alert.id);
    assert.equal(stored?.clip, `/api/alerts/${alert.id}/clip.mp4`);
    // The clip event follows the end on the alert stream, once.
    const events = (await admin.xrange(ctx.keys.alertEvents, '-', '+')).map(([id, f]) => parseEntry(id, f)!).filter((e) => e.alert.id === alert.id);
    assert.deepEqual(events.map((e) => e.event), ['start', 'end', 'clip']);
    assert.equal(events[2].alert.clip, `/api/alerts/${alert.id}/clip.mp4`);
    clipped = stored;
  });

  it('serves the clip: whole (200), a range (206 with the right bytes), a bad range (416)', async () => {
    assert.ok(clipped, 'needs the clip of the previous test');
    const bytes = readFileSync(path.join(dir, 'clips', `${clipped.id}.mp4`));
    const url = `/api/alerts/${clipped.id}/clip.mp4`;
    const whole = await get(url);
    assert.equal(whole.statusCode, 200);
    assert.equal(whole.headers['content-type'], 'video/mp4');
    assert.equal(whole.headers['accept-ranges'], 'bytes');
    assert.ok(whole.rawPayload.equals(bytes));
    // faststart: the index (moov) comes before the media (mdat).
    assert.ok(bytes.indexOf('moov') < bytes.indexOf('mdat'), 'moov before mdat');
    const part = await get(url, { range: 'bytes=100-1099' });
    assert.equal(part.statusCode, 206);
    assert.equal(part.headers['content-range'], `bytes 100-1099/${bytes.length}`);
    assert.equal(part.headers['content-length'], '1000');
    assert.ok(part.rawPayload.equals(bytes.subarray(100, 1100)));
    const tail = await get(url, { range: 'bytes=-10' });
    assert.equal(tail.statusCode, 206);
    assert.ok(tail.rawPayload.equals(bytes.subarray(bytes.length - 10)));
    for (const range of [`bytes=${bytes.length}-`, 'bytes=9-3', 'bytes=x-1']) {
      const bad = await get(url, { range });
      assert.equal(bad.statusCode, 416, range);
      assert.equal(bad.json().error.code, 'range_not_satisfiable');
      assert.equal(bad.headers['content-range'], `bytes */${bytes.length}`);
    }
    const unauth = await app.inject({ method: 'GET', url });
    assert.equal(unauth.statusCode, 401);
  });

  it('a camera without recording: 404 no_recording; an unknown alert: 404 not_found', async () => {
    const now = Date.now();
    const alert = await alertOf('yard', 'yard-any', now - 10_000, now - 5_000);
    const res = await get(`/api/alerts/${alert.id}/clip.mp4`);
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'no_recording');
    assert.match(res.json().error.message, /yard is not recorded/);
    const unknown = await get('/api/alerts/1700000000000-0/clip.mp4');
    assert.equal(unknown.json().error.code, 'not_found');
  });

  it('retention: the clip goes with its alert', async () => {
    assert.ok(clipped, 'needs the clip of the first test');
    const file = path.join(dir, 'clips', `${clipped.id}.mp4`);
    assert.ok(existsSync(file));
    // The alert expires (alerts.maxAgeSeconds is its key's TTL): the sweep deletes its clip and record.
    await admin.del(ctx.keys.alert(clipped.id));
    await maker.sweep();
    assert.ok(!existsSync(file), 'clip file deleted');
    assert.equal(await admin.exists(ctx.keys.clip(clipped.id)), 0);
    assert.equal((await get(`/api/alerts/${clipped.id}/clip.mp4`)).json().error.code, 'not_found');
  });
});
