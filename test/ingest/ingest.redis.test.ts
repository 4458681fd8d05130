import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, type Job } from 'bullmq';
import Redis from 'ioredis';
import { deleteCameraOverride, putCameraOverride } from '../../src/config/camera-overrides';
import type { Context } from '../../src/config/context';
import type { FrameJob, FrameTicket } from '../../src/core/types';
import { RemoteFrames } from '../../src/detect/remote-frames';
import { nullLogger } from '../../src/core/logger';
import { startIngest, type IngestHandle, type IngestOptions } from '../../src/ingest';
import { RtspTestServer } from '../../src/testing/rtsp-server';
import { StateRecorder, testContext } from './helpers';
import { alive, purgePrefix, REDIS_URL, sleep, VTEST, waitFor } from '../helpers';

const FAST: IngestOptions = { restart: { baseMs: 500, capMs: 2000 }, killGraceMs: 1000 };

describe('ingest stage (real Redis, FFmpeg and GStreamer RTSP) @integration', function () {
  this.timeout(40_000);
  let server: RtspTestServer;
  let admin: Redis;
  const cleanups: Array<() => Promise<unknown>> = [];

  before(async () => {
    server = await RtspTestServer.start({ file: VTEST });
    admin = new Redis(REDIS_URL);
  });
  after(async () => {
    await server?.stop();
    admin?.disconnect();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) {
      await c().catch(() => undefined);
    }
  });

  async function run(cameras: unknown[], options: IngestOptions = FAST): Promise<{ ctx: Context; ingest: IngestHandle; states: StateRecorder }> {
    const ctx = testContext(cameras);
    const states = await StateRecorder.start(ctx);
    cleanups.push(async () => purgePrefix(admin, ctx.keys.prefix));
    cleanups.push(async () => ctx.closeConnections());
    cleanups.push(async () => states.close());
    const ingest = await startIngest(ctx, options);
    cleanups.push(async () => ingest.close());
    return { ctx, ingest, states };
  }

  /** A detect worker of another process: takes tickets and asks the ingest process for each frame. */
  function consumer(ctx: Context, seen: FrameJob[], sizes: number[]): Worker<FrameTicket> {
    const conn = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const cmd = new Redis(REDIS_URL);
    const blocking = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const remote = new RemoteFrames(cmd, blocking, ctx.keys, `test-consumer-${randomBytes(3).toString('hex')}`, nullLogger());
    const w = new Worker<FrameTicket>(
      ctx.keys.queues.frames,
      async (job: Job<FrameTicket>) => {
        const f = await remote.request(job.data, job.id!);
        if (typeof f !== 'string') {
          const { pixels, ...meta } = f;
          seen.push(meta);
          sizes.push(pixels.length);
        }
      },
      { connection: conn, prefix: ctx.keys.bullPrefix, concurrency: 2 },
    );
    cleanups.push(async () => {
      await w.close();
      await remote.close();
      conn.disconnect();
      cmd.disconnect();
      blocking.disconnect();
    });
    return w;
  }

  it('streams an RTSP camera at about the configured fps to a detect worker of another process; no pixels in Redis', async () => {
    const { ctx, ingest, states } = await run([{ id: 'cam1', url: server.url(), detect: { fps: 5, width: 320 }, maxInFlight: 4 }]);
    await waitFor(() => states.find('cam1', 'streaming'), 15_000, 'cam1 streaming');
    assert.ok(states.find('cam1', 'starting'), 'starting was published first');
    // While nobody consumes, one ticket waits and the frames stay in memory.
    await waitFor(async () => (await ingestQueueJobs(ctx)).length === 1, 5000, 'one ticket');
    assert.deepEqual(await admin.keys(`${ctx.keys.prefix}:frame:*`), []);

    const seen: FrameJob[] = [];
    const sizes: number[] = [];
    consumer(ctx, seen, sizes);
    await waitFor(() => seen.length > 0, 5000, 'the first job');
    const n0 = seen.length;
    await waitFor(() => seen.length >= n0 + 16, 15_000, '16 more frames at the consumer');
    // The camera's rate from its frames (sequence numbers over capture times: the ingest's own clock, not this
    // process's scheduling), and the consumer got most of them (only a superseded frame is skipped).
    const win = seen.slice(n0);
    const seqSpan = win[win.length - 1].seq - win[0].seq;
    const fps = seqSpan / ((win[win.length - 1].capturedAt - win[0].capturedAt) / 1000);
    assert.ok(fps > 3.5 && fps < 6.5, `ingest at ${fps.toFixed(2)} fps, configured 5`);
    assert.ok(win.length >= 0.7 * (seqSpan + 1), `consumer saw ${win.length} of ${seqSpan + 1} frames`);
    const last = seen[seen.length - 1];
    assert.equal(last.camera, 'cam1');
    assert.equal(last.format, 'rgb24');
    assert.deepEqual([last.width, last.height], [320, 240]);
    assert.equal(last.key, ctx.keys.frame('cam1', last.seq));
    assert.ok(last.capturedAt <= last.queuedAt);
    assert.ok(Date.now() - last.capturedAt < 1000, 'the newest frame, not one that waited');
    assert.ok(sizes.slice(-5).every((s) => s === 320 * 240 * 3), `sizes ${sizes.slice(-5)}`);
    const seqs = seen.map((j) => j.seq);
    assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1] - 4), 'seq increases');

    const status = await admin.hgetall(ctx.keys.cameraStatus('cam1'));
    assert.equal(status.state, 'streaming');
    assert.equal(status.name, 'cam1');
    assert.ok(Number(status.fpsIngest) > 3, `fpsIngest ${status.fpsIngest}`);
    assert.ok(Date.now() - Date.parse(status.lastFrameAt) < 3000);
    assert.deepEqual(await admin.smembers(ctx.keys.cameraIndex), ['cam1']);
    const metrics = await ctx.metrics.getSingleMetricAsString('vigil_ingest_frames_total');
    assert.match(metrics, /vigil_ingest_frames_total\{camera="cam1"\} \d+/);

    const pid = ingest.supervisors().get('cam1')?.pid;
    assert.ok(alive(pid));
    const tc = Date.now();
    await ingest.close();
    assert.ok(Date.now() - tc < 5000, 'close within a few seconds');
    assert.equal(alive(pid), false, 'ffmpeg is gone after close');
    const after = await admin.hgetall(ctx.keys.cameraStatus('cam1'));
    assert.equal(after.state, 'stopped', 'a clean stop says so (not a stale streaming)');
    assert.ok(states.find('cam1', 'stopped'), 'and publishes it');
    // Nothing of the camera's frames is left: no pixels, no waiting ticket.
    assert.deepEqual(await admin.keys(`${ctx.keys.prefix}:frame*`), []);
    assert.deepEqual((await ingestQueueJobs(ctx)).filter((j) => j.camera === 'cam1' && j.queuedAt > tc), []);
  });

  it('keeps only the newest frame when nobody consumes: one ticket, the older frames counted as superseded', async () => {
    const { ctx, ingest } = await run([{ id: 'bp', url: VTEST, detect: { fps: 10, width: 160 }, maxInFlight: 2 }]);
    const sup = (await waitFor(() => ingest.supervisors().get('bp'), 5000, 'supervisor'))!;
    await waitFor(() => sup.frames >= 12, 15_000, '12 frames');
    assert.deepEqual(await admin.keys(`${ctx.keys.prefix}:frame:*`), [], 'no pixels in Redis');
    const jobs = await ingestQueueJobs(ctx);
    assert.equal(jobs.length, 1, 'one ticket for the camera');
    const depth = await ctx.metrics.getSingleMetric('vigil_queue_depth')!.get();
    assert.equal(depth.values.find((v) => v.labels.camera === 'bp')?.value, 1);
    await waitFor(async () => Number(await admin.hget(ctx.keys.cameraStatus('bp'), 'dropped')) > 0, 3000, 'dropped in status');
    await sup.stop();
    assert.equal((await ingestQueueJobs(ctx)).length, 0, 'its ticket is removed when the camera stops');
    const dropped = await ctx.metrics.getSingleMetric('vigil_frames_dropped_total')!.get();
    const sup2 = dropped.values.find((v) => v.labels.camera === 'bp' && v.labels.reason === 'superseded');
    assert.ok(sup2 && sup2.value >= sup.frames - 2, `dropped ${sup2?.value} of ${sup.frames}`);
  });

  it('reads a file at full speed with realtime: false: ffmpeg paused while the queue is full, no stall, every frame in order', async () => {
    const { ctx, ingest, states } = await run([
      { id: 'pull', url: VTEST, realtime: false, detect: { fps: 10, width: 160 }, maxInFlight: 2, stallSeconds: 1 },
    ]);
    const sup = (await waitFor(() => ingest.supervisors().get('pull'), 5000, 'supervisor'))!;
    await waitFor(() => sup.frames >= 2, 15_000, 'the first frames');
    // Nobody consumes for 2.5 s, 2.5 times the stall limit: ffmpeg is paused, not stalled, and nothing is dropped
    // (a window in which nothing may happen, not a wait for something).
    await sleep(2500);
    assert.ok(sup.frames <= 5, `ffmpeg paused: ${sup.frames} frames read (2 waiting for detection, a chunk's worth)`);
    assert.equal(sup.state, 'streaming');
    assert.equal(states.find('pull', 'stalled'), undefined, 'no stall while paused');
    const pid = sup.pid;

    const seen: FrameJob[] = [];
    const sizes: number[] = [];
    consumer(ctx, seen, sizes);
    const t0 = Date.now();
    await waitFor(() => seen.length >= 200, 20_000, '200 frames');
    const fps = seen.length / ((Date.now() - t0) / 1000);
    // vtest.mp4 plays at 10 fps: 200 frames take 20 s at real time.
    assert.ok(fps > 20, `full speed: ${fps.toFixed(1)} frames/s`);
    const seqs = seen.map((j) => j.seq).sort((a, b) => a - b);
    assert.ok(seqs.every((s, i) => i === 0 || s === seqs[i - 1] + 1), 'every frame was queued: consecutive sequence numbers');
    assert.equal(sup.pid, pid, 'the same ffmpeg run throughout');
    const dropped = await ctx.metrics.getSingleMetric('vigil_frames_dropped_total')!.get();
    assert.equal(dropped.values.filter((v) => v.labels.camera === 'pull').reduce((a, v) => a + v.value, 0), 0, 'nothing dropped');
    assert.ok(sizes.every((n) => n === 160 * 120 * 3));
  });

  it('plays a file with loop: false once at full speed, every frame, then stops without replaying it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-short-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const clip = join(dir, 'short.mp4');
    // The first 3 s of vtest.mp4 (10 fps): 30 frames.
    execFileSync('ffmpeg', ['-v', 'error', '-i', VTEST, '-t', '3', '-an', '-c:v', 'libx264', '-preset', 'ultrafast', '-y', clip]);
    const { ctx, ingest, states } = await run([{ id: 'once', url: clip, loop: false, realtime: false, detect: { fps: 10, width: 160 }, maxInFlight: 2 }]);
    const seen: FrameJob[] = [];
    consumer(ctx, seen, []);
    const ended = await waitFor(() => states.find('once', 'failed'), 20_000, 'the end of the file');
    assert.equal(ended?.reason, 'end of file (loop: false): not restarted');
    await waitFor(() => seen.length >= 30, 5000, 'every frame consumed');
    await sleep(2000); // nothing may happen here: no second run of the file
    const sup = ingest.supervisors().get('once')!;
    assert.equal(sup.spawns, 1, 'not replayed');
    assert.equal(seen.length, 30, 'each frame of the clip once');
  });

  async function ingestQueueJobs(ctx: Context): Promise<FrameTicket[]> {
    const { Queue } = await import('bullmq');
    const conn = new Redis(REDIS_URL);
    const q = new Queue<FrameTicket>(ctx.keys.queues.frames, { connection: conn, prefix: ctx.keys.bullPrefix });
    try {
      return (await q.getJobs(['waiting', 'active'])).map((j) => j.data);
    } finally {
      await q.close();
      conn.disconnect();
    }
  }

  it('keeps retrying a camera with a bad URL while a good one streams undisturbed', async () => {
    const { ingest, states } = await run([
      { id: 'good', url: server.url(), detect: { fps: 5, width: 160 }, maxInFlight: 64 },
      { id: 'bad', url: 'rtsp://user:secret@127.0.0.1:1/nothing', detect: { fps: 5, width: 160 } },
    ]);
    await waitFor(() => states.find('good', 'streaming'), 15_000, 'good streaming');
    const good = ingest.supervisors().get('good')!;
    const bad = ingest.supervisors().get('bad')!;
    const f0 = good.frames;
    const t0 = Date.now();
    // While the bad camera fails and is retried three times, the good one streams on at its rate.
    const s0 = bad.spawns;
    await waitFor(() => bad.spawns >= s0 + 3 && Date.now() - t0 >= 2000, 20_000, 'the bad camera retried three times');
    const fps = (good.frames - f0) / ((Date.now() - t0) / 1000);
    assert.ok(fps > 3.5, `good camera at ${fps.toFixed(2)} fps while the bad one was retried`);
    const msg = states.find('bad', 'reconnecting');
    assert.ok(msg, 'bad camera published reconnecting');
    assert.match(msg.reason, /connection refused/);
    assert.ok(!JSON.stringify(states.messages).includes('secret'), 'no credentials in published messages');
  });

  it('applies a camera added and removed at run time (overrides + config channel)', async () => {
    const { ctx, ingest, states } = await run([]);
    assert.equal(ingest.supervisors().size, 0);
    await putCameraOverride(admin, ctx.keys, { id: 'live', url: server.url(), detect: { fps: 5, width: 160 } });
    await waitFor(() => states.find('live', 'streaming'), 15_000, 'runtime camera streaming');
    const pid = ingest.supervisors().get('live')?.pid;
    assert.deepEqual(await admin.smembers(ctx.keys.cameraIndex), ['live']);
    await deleteCameraOverride(admin, ctx.keys, 'live');
    await waitFor(() => ingest.supervisors().size === 0, 5000, 'camera removed');
    await waitFor(async () => (await admin.exists(ctx.keys.cameraStatus('live'))) === 0, 3000, 'status hash deleted');
    assert.deepEqual(await admin.smembers(ctx.keys.cameraIndex), []);
    await waitFor(() => !alive(pid), 3000, 'ffmpeg killed');
  });

  it('runs each camera in one process only (lease)', async () => {
    const cams = [{ id: 'solo', url: server.url(), detect: { fps: 5, width: 160 } }];
    const a = await run(cams);
    const ctxB = testContext(cams, a.ctx.keys.prefix);
    cleanups.push(async () => ctxB.closeConnections());
    const b = await startIngest(ctxB, FAST);
    cleanups.push(async () => b.close());
    await waitFor(() => a.ingest.supervisors().size + b.supervisors().size > 0, 8000, 'one process runs the camera');
    await sleep(1000); // nothing may happen here: the other process does not start it too
    assert.equal(a.ingest.supervisors().size + b.supervisors().size, 1);
    // The owner goes away: the other takes over after the lease expires.
    await a.ingest.close();
    await waitFor(() => b.supervisors().get('solo'), 8000, 'failover to the second process');
  });
});

describe('ingest stage when the RTSP server fails @integration', function () {
  this.timeout(60_000);
  let server: RtspTestServer;
  let admin: Redis;
  const cleanups: Array<() => Promise<unknown>> = [];

  before(async () => {
    server = await RtspTestServer.start({ file: VTEST });
    admin = new Redis(REDIS_URL);
  });
  after(async () => {
    await server?.stop();
    admin?.disconnect();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) {
      await c().catch(() => undefined);
    }
  });

  async function streaming(stallSeconds = 5): Promise<{ ingest: IngestHandle; states: StateRecorder }> {
    const ctx = testContext([{ id: 'cam', url: server.url(), detect: { fps: 5, width: 160 }, stallSeconds, maxInFlight: 64 }]);
    const states = await StateRecorder.start(ctx);
    cleanups.push(async () => purgePrefix(admin, ctx.keys.prefix));
    cleanups.push(async () => ctx.closeConnections());
    cleanups.push(async () => states.close());
    const ingest = await startIngest(ctx, FAST);
    cleanups.push(async () => ingest.close());
    await waitFor(() => states.find('cam', 'streaming'), 15_000, 'streaming');
    return { ingest, states };
  }

  it('server killed → reconnecting within 6 s; restarted → streaming again', async () => {
    const { states } = await streaming();
    const killedAt = Date.now();
    await server.kill();
    const rec = await waitFor(() => states.find('cam', 'reconnecting', killedAt), 6000, 'reconnecting');
    assert.ok(rec!.receivedAt - killedAt <= 6000);
    await sleep(1500); // the server stays down a while (retries meanwhile) before it comes back
    const restartedAt = Date.now();
    await server.restart();
    await waitFor(() => states.find('cam', 'streaming', restartedAt), 15_000, 'streaming after restart');
  });

  it('server frozen (SIGSTOP) → stalled within 9 s; SIGCONT → streaming again', async () => {
    const { ingest, states } = await streaming(5);
    const pid = ingest.supervisors().get('cam')?.pid;
    const frozenAt = Date.now();
    server.freeze();
    // stallSeconds 5, checked every second, after the last frame: what the socket buffers held when the server froze
    // still decodes for up to a second or two (seen under load). ffmpeg's own -timeout would only end it after ~10 s,
    // as `reconnecting`, so `stalled` with "no frame for" is the watchdog's doing.
    const st = await waitFor(() => states.find('cam', 'stalled', frozenAt), 9000, 'stalled');
    assert.match(st!.reason, /no frame for/);
    await waitFor(() => !alive(pid), 4000, 'the hung ffmpeg killed');
    await waitFor(() => states.find('cam', 'reconnecting', frozenAt), 3000, 'reconnecting');
    const thawedAt = Date.now();
    server.thaw();
    await waitFor(() => states.find('cam', 'streaming', thawedAt), 25_000, 'streaming after SIGCONT');
  });
});
