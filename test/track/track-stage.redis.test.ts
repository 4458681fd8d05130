import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import sharp from 'sharp';
import { AlertStore } from '../../src/alerts';
import { replay } from '../../src/track/replay';
import { readDetections } from '../../src/cli/replay';
import { loadConfig } from '../../src/config/load';
import type { VigilConfig } from '../../src/config/schema';
import { Context, type StageHandle } from '../../src/config/context';
import { createLogger, nullLogger } from '../../src/core/logger';
import { PixelServer } from '../../src/detect/pixel-server';
import type { DetectionResult, DetectionsMessage } from '../../src/core/types';
import { start } from '../../src/track';
import { VTEST_CONFIG, vtestDetections } from './vtest-fixture';
import { Keys } from '../../src/core/keys';
import { MEDIA, purgePrefix, REDIS_URL, testPrefix, waitFor } from '../helpers';
import { tailAlertEvents, type AlertTail } from '../alerts/tail-events';

/** rgb24 pixels of the given frame numbers of a video (ffmpeg select), in order. */
function framesOf(file: string, seqs: number[], size: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const sel = seqs.map((n) => `eq(n\\,${n})`).join('+');
    const ff = spawn('ffmpeg', ['-v', 'error', '-i', file, '-vf', `select='${sel}'`, '-vsync', '0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
    const chunks: Buffer[] = [];
    ff.stdout.on('data', (c: Buffer) => chunks.push(c));
    ff.on('error', reject);
    ff.on('close', () => {
      const all = Buffer.concat(chunks);
      resolve(seqs.map((_, i) => all.subarray(i * size, (i + 1) * size)));
    });
  });
}

function pct(v: number[], p: number): number {
  const s = [...v].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

describe('track stage (live, Redis) over vtest detections', function () {
  this.timeout(90_000);
  const prefix = testPrefix();
  const recordFile = join(tmpdir(), `${prefix}.jsonl`);
  let redis: Redis;
  let sub: Redis;
  let ctx: Context | undefined;
  let stage: StageHandle | undefined;
  let config: VigilConfig;
  let tail: AlertTail | undefined;

  before(() => {
    const base = loadConfig(VTEST_CONFIG).config;
    config = {
      ...base,
      redis: { ...base.redis, url: REDIS_URL, prefix },
      alerts: { ...base.alerts, recordFile },
      instance: { ...base.instance, leaseSeconds: 2 },
    };
    redis = new Redis(REDIS_URL);
    sub = new Redis(REDIS_URL);
  });
  after(async () => {
    await tail?.stop();
    await stage?.close().catch(() => undefined);
    await ctx?.closeConnections();
    await purgePrefix(redis, prefix);
    redis.disconnect();
    sub.disconnect();
    rmSync(recordFile, { force: true });
  });

  it('raises the same alerts as `vigil replay` of its recording, snapshots stored before publish, frames freed', async () => {
    const frames = vtestDetections().slice(0, 210);
    // Real pixels for the frames where the sign-zone alerts start (from a replay of the fixture), so their
    // snapshots are the real scene; other frames have no pixels (evicted), as can happen live. A detect process
    // elsewhere holds them (its PixelServer, played here): the tracker asks it for the pixels it needs.
    const starts = replay(config, frames).filter((e) => e.event === 'start' && e.alert.rule !== 'walkway-count');
    const t0 = frames[0].times.capturedAt;
    const seqs = [...new Set(starts.flatMap((e) => {
      const s = Math.round((Date.parse(e.alert.startedAt) - t0) / 100);
      return [s - 1, s, s + 1];
    }))].sort((a, b) => a - b);
    const { width, height } = frames[0];
    const pixels = await framesOf(join(MEDIA, 'vtest.mp4'), seqs, width * height * 3);
    const keys = new Keys(prefix);
    const holderConn = new Redis(REDIS_URL);
    const holderRead = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const holder = new PixelServer(holderConn, holderRead, keys, 'detect-elsewhere', { get: () => ({ detect: { fps: 10 }, frameTtlSeconds: 30 }) }, nullLogger());
    holder.start();

    const detMsgs: DetectionsMessage[] = [];
    const probe = new Redis(REDIS_URL);
    const snapWithEvent: boolean[] = [];
    sub.on('message', (ch, raw) => {
      if (ch === keys.channels.detections) {
        detMsgs.push(JSON.parse(raw) as DetectionsMessage);
      }
    });
    await sub.subscribe(keys.channels.detections);
    // As the WebSocket hub reads them: every start event read from the stream finds its alert and snapshot stored.
    tail = await tailAlertEvents(REDIS_URL, keys, (m) => {
      if (m.event === 'start' && m.alert.type === 'zone_enter') {
        void probe.exists(keys.snapshot(m.alert.id), keys.alert(m.alert.id)).then((n) => snapWithEvent.push(n === 2));
      }
    });

    ctx = new Context(config, createLogger({ level: 'silent' }), new Set(['track']), { defaultMetrics: false });
    stage = await start(ctx);
    assert.deepEqual(stage.readiness(), []);

    // Feed at real time (10 fps) with the capture time set to now, swapping neighbours now and then as
    // parallel detect workers do.
    const order = frames.map((_, i) => i);
    for (let i = 5; i + 1 < order.length; i += 7) {
      [order[i], order[i + 1]] = [order[i + 1], order[i]];
    }
    const begin = Date.now();
    for (let k = 0; k < order.length; k++) {
      const f = frames[order[k]];
      const r: DetectionResult = {
        ...f,
        frameKey: keys.frame('walkway', f.seq),
        holder: 'detect-elsewhere',
        times: { capturedAt: Date.now(), queuedAt: Date.now() },
      };
      const i = seqs.indexOf(f.seq);
      if (i >= 0) {
        holder.hold({ camera: 'walkway', seq: f.seq, capturedAt: r.times.capturedAt, queuedAt: r.times.queuedAt, key: r.frameKey, width, height, format: 'rgb24', pixels: pixels[i] });
      }
      await redis.xadd(keys.detections('walkway'), 'MAXLEN', '~', '1000', '*', 'd', JSON.stringify(r));
      const wait = begin + (k + 1) * 100 - Date.now();
      if (wait > 0) {
        await new Promise((res) => setTimeout(res, wait)); // paces the feed: real time
      }
    }
    // Every frame tracked and published (the stage holds none back for reordering any more).
    await waitFor(() => detMsgs.length === frames.length, 15_000, 'every frame published');
    await stage.close();
    stage = undefined;

    const store = new AlertStore(redis, keys);
    const live = await store.readEvents('0', 10_000);
    const recorded = await readDetections(recordFile);
    assert.equal(recorded.length, frames.length);
    const offline = replay(config, recorded);
    const key = (e: { event: string; alert: { rule: string; direction?: string; startedAt: string; updatedAt: string; objects: Array<{ trackId: number }> } }) =>
      `${e.event} ${e.alert.rule} ${e.alert.direction ?? ''} ${e.event === 'start' ? e.alert.startedAt : e.alert.updatedAt} ${e.alert.objects.map((o) => o.trackId).join(',')}`;
    const liveKeys = live.filter((e) => e.event !== 'end').map(key);
    const offKeys = offline.filter((e) => e.event !== 'end').map(key);
    assert.deepEqual(liveKeys, offKeys);
    assert.ok(liveKeys.filter((k) => k.startsWith('start sign-loiter')).length >= 2);
    assert.ok(liveKeys.some((k) => k.startsWith('start walkway-count')));
    // Graceful close ended every alert it had started.
    const startIds = live.filter((e) => e.event === 'start').map((e) => e.alert.id);
    const endIds = new Set(live.filter((e) => e.event === 'end').map((e) => e.alert.id));
    assert.ok(startIds.every((id) => endIds.has(id)));

    // Snapshots: stored before the publish, JPEG of the real frame with the boxes drawn.
    const zoneStarts = live.filter((e) => e.event === 'start' && e.alert.type === 'zone_enter').length;
    await waitFor(() => snapWithEvent.length === zoneStarts, 5000, 'the snapshot probe of every zone_enter start');
    await tail.stop();
    tail = undefined;
    probe.disconnect();
    assert.ok(snapWithEvent.length >= 1 && snapWithEvent.every(Boolean), `snapshot present when its event is read: ${snapWithEvent}`);
    const enter = live.find((e) => e.event === 'start' && e.alert.type === 'zone_enter')!;
    const jpeg = await store.getSnapshot(enter.alert.id);
    assert.ok(jpeg, 'zone_enter snapshot stored');
    const meta = await sharp(jpeg).metadata();
    assert.equal(meta.format, 'jpeg');
    assert.equal(meta.width, width);
    assert.equal(enter.alert.snapshot, `/api/alerts/${enter.alert.id}/snapshot.jpg`);
    // The box outline is drawn in red on the real frame.
    const { data } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
    const b = enter.alert.objects[0].box;
    const x = Math.round(b[0] * width);
    const y = Math.round(((b[1] + b[3]) / 2) * height);
    const p = data.subarray((y * width + x) * 3, (y * width + x) * 3 + 3);
    assert.ok(p[0] > 150 && p[0] - p[1] > 60 && p[0] - p[2] > 60, `box edge pixel ${[...p]}`);

    // Every frame was published on the detections topic in seq order; the pixels asked for were served (never
    // written under the frame key), and the tracker released every held frame.
    assert.equal(detMsgs.length, frames.length);
    assert.deepEqual(
      detMsgs.map((m) => m.seq),
      frames.map((f) => f.seq),
    );
    assert.ok(holder.counts.served >= zoneStarts, `pixels served for every snapshot: ${JSON.stringify(holder.counts)}`);
    await waitFor(() => holder.held.size === 0, 5000, 'every held frame released by the tracker');
    assert.equal(holder.held.evicted, 0, 'none had to be evicted');
    for (const s of seqs) {
      assert.equal(await redis.exists(keys.frame('walkway', s)), 0, `frame ${s} never stored`);
    }
    await holder.close();
    holderConn.disconnect();
    holderRead.disconnect();
    assert.ok(existsSync(recordFile));

    const lat = live.filter((e) => e.event === 'start').map((e) => e.alert.latencyMs);
    // Detection result available -> alert published (the track stage's share of capture -> alert).
    process.stdout.write(
      `      alert latency (detections published -> alert published), ${lat.length} alerts: p50 ${pct(lat, 50)} ms, p95 ${pct(lat, 95)} ms, p99 ${pct(lat, 99)} ms\n`,
    );
    assert.ok(pct(lat, 95) < 1500, `p95 ${pct(lat, 95)}`);
  });
});
