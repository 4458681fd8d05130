import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { parseConfig } from '../../src/config/load';
import { Context } from '../../src/config/context';
import { nullLogger } from '../../src/core/logger';
import { parseRecordedSegment } from '../../src/core/types';
import { startIngest, type IngestHandle } from '../../src/ingest';
import { toCameraStatus } from '../../src/api/routes/cameras';
import { RtspTestServer } from '../../src/testing/rtsp-server';
import { purgePrefix, REDIS_URL, VTEST, waitFor } from '../helpers';

/** A recording context: one RTSP camera, the ring buffer in a fresh temporary directory. */
function recordingContext(url: string, recording: Record<string, unknown>, dir: string): Context {
  const prefix = `vigil-test-${randomBytes(4).toString('hex')}`;
  const config = parseConfig(
    JSON.stringify({
      redis: { url: REDIS_URL, prefix },
      recording: { enabled: true, dir, segmentSeconds: 1, ...recording },
      cameras: [{ id: 'door', url, detect: { fps: 5, width: 320 } }],
    }),
    { VIGIL_NO_DEMO: '1' },
  );
  return new Context(config, nullLogger(), new Set(['ingest']), { defaultMetrics: false });
}

function dirBytes(dir: string): { bytes: number; files: string[] } {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
  return { bytes: files.reduce((n, f) => n + statSync(path.join(dir, f)).size, 0), files };
}

describe('camera ring buffer (real Redis, FFmpeg and GStreamer RTSP) @integration', function () {
  this.timeout(30_000);
  let server: RtspTestServer;
  let admin: Redis;
  let dir: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  before(async () => {
    server = await RtspTestServer.start({ file: VTEST });
    admin = new Redis(REDIS_URL);
  });
  after(async () => {
    await server?.stop();
    admin?.disconnect();
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vigil-rec-'));
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) {
      await c().catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  async function run(recording: Record<string, unknown>): Promise<{ ctx: Context; ingest: IngestHandle }> {
    const ctx = recordingContext(server.url(), recording, dir);
    cleanups.push(async () => purgePrefix(admin, ctx.keys.prefix));
    cleanups.push(async () => ctx.closeConnections());
    const ingest = await startIngest(ctx, { restart: { baseMs: 500, capMs: 2000 }, killGraceMs: 1000 });
    cleanups.push(async () => ingest.close());
    return { ctx, ingest };
  }

  it('keeps the camera under its cap, indexes every segment it keeps with contiguous wall-clock times', async () => {
    // vtest is ~150 kB/s with a keyframe every 2 s: 0.7 MB holds two or three segments.
    const capBytes = Math.round(0.7 * 1024 * 1024);
    const { ctx, ingest } = await run({ maxMbPerCamera: 0.7 });
    const sup = ingest.supervisors().get('door')!;
    await waitFor(() => (sup.frames > 0 ? true : undefined), 15_000, 'the first frame');
    const camDir = path.join(dir, 'door');
    let maxSeen = 0;
    // Six finished segments: at least three were deleted by the cap.
    await waitFor(
      async () => {
        maxSeen = Math.max(maxSeen, dirBytes(camDir).bytes);
        const n = await admin.zcard(ctx.keys.recordingSegments('door'));
        const written = readdirSync(camDir).filter((f) => f.endsWith('.ts')).length;
        return n > 0 && written > 0 && (await segmentsWritten()) >= 6;
      },
      25_000,
      'six finished segments',
      200,
    );
    async function segmentsWritten(): Promise<number> {
      const members = await admin.zrange(ctx.keys.recordingSegments('door'), '0', '-1');
      const last = members.map(parseRecordedSegment).at(-1);
      return last ? Number(/-(\d+)\.ts$/.exec(last.file)![1]) + 1 : 0;
    }
    const members = await admin.zrange(ctx.keys.recordingSegments('door'), '0', '-1');
    const segs = members.map((m) => parseRecordedSegment(m)!);
    const held = segs.reduce((n, s) => n + s.bytes, 0);
    assert.ok(held <= capBytes, `indexed segments ${held} B over the cap ${capBytes} B`);
    // On disk: the indexed segments plus the one being written (at most one segment more).
    const largest = Math.max(...segs.map((s) => s.bytes));
    assert.ok(maxSeen <= capBytes + 2 * largest, `disk ${maxSeen} B, cap ${capBytes} B, segment ≤ ${largest} B`);
    for (const s of segs) {
      assert.equal(statSync(path.join(dir, s.file)).size, s.bytes, `${s.file} indexed with its size`);
      assert.equal(s.instance, ctx.instanceId);
    }
    // Contiguous: each segment starts where the previous ended (within 150 ms), and the newest ended just now.
    for (let i = 1; i < segs.length; i++) {
      const gap = segs[i].startMs - (segs[i - 1].startMs + segs[i - 1].durationMs);
      assert.ok(Math.abs(gap) < 150, `gap of ${gap} ms between ${segs[i - 1].file} and ${segs[i].file}`);
    }
    const status = toCameraStatus('door', await admin.hgetall(ctx.keys.cameraStatus('door')));
    assert.equal(status.recording?.state, 'on');
    assert.ok(status.recording.seconds >= 2, `${status.recording.seconds} s held`);
    const newest = segs.at(-1)!;
    const endAgo = Date.now() - (newest.startMs + newest.durationMs);
    assert.ok(endAgo > -200 && endAgo < 3000, `newest segment ended ${endAgo} ms ago`);
  });

  it('a recording that fails (its directory removed) never stops the camera\'s frames', async () => {
    const { ctx, ingest } = await run({});
    const sup = ingest.supervisors().get('door')!;
    await waitFor(() => (sup.frames > 0 ? true : undefined), 15_000, 'the first frame');
    const camDir = path.join(dir, 'door');
    await waitFor(() => readdirSync(camDir).filter((f) => f.endsWith('.ts')).length >= 2, 10_000, 'two segments');
    rmSync(camDir, { recursive: true, force: true });
    const spawns = sup.spawns;
    const before = sup.frames;
    // The next segment cannot be opened: FFmpeg drops the recording and goes on (10 frames = 2 s at 5 fps).
    await waitFor(() => sup.recorder?.failure, 10_000, 'the recording failure noticed');
    await waitFor(() => sup.frames >= before + 15, 10_000, 'frames after the recording failed');
    assert.equal(sup.spawns, spawns, 'FFmpeg was not restarted');
    assert.equal(sup.state, 'streaming');
    const status = toCameraStatus('door', await admin.hgetall(ctx.keys.cameraStatus('door')));
    assert.equal(status.recording?.state, 'failed');
    assert.ok(status.recording.reason, 'the failure says why');
  });
});
