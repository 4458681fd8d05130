import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Keys } from '../../src/core/keys';
import type { DetectionResult } from '../../src/core/types';
import { RtspTestServer } from '../../src/testing/rtsp-server';
import { BIN, Children, killPid, MEDIA, MODELS, purgePrefix, REDIS_URL, sleep, testPrefix, waitFor } from '../helpers';

/**
 * Real processes: an owner is SIGKILLed (with its ffmpeg) and a standby takes the camera over; a process restarted
 * with its instance id reclaims its cameras at once.
 */
describe('takeover between processes @integration', function () {
  this.timeout(180_000);
  const prefix = testPrefix();
  const keys = new Keys(prefix);
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-takeover-'));
  const children = new Children();
  let rtsp: RtspTestServer;
  let redis: Redis;

  function config(leaseSeconds: number): string {
    const file = path.join(dir, `vigil-${leaseSeconds}.yaml`);
    writeFileSync(
      file,
      `redis: { prefix: ${prefix} }
server: { port: 0 }
models: { dir: ${MODELS} }
instance: { leaseSeconds: ${leaseSeconds} }
cameras:
  - { id: cam, url: "${rtsp.url()}", detect: { fps: 5, width: 416 } }
`,
    );
    return file;
  }

  /** Starts `vigil start` in a process group of its own (so a SIGKILL takes its ffmpeg too); resolves when running. */
  async function daemon(file: string, instance: string): Promise<ChildProcess> {
    const p = spawn(process.execPath, [BIN, 'start', '--config', file], {
      env: { ...process.env, VIGIL_FROM_SOURCE: '1', VIGIL_NO_DEMO: '1', VIGIL_INSTANCE_ID: instance, VIGIL_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.add(p, { group: true });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => /vigil running/.test(out) || p.exitCode !== null, 60_000, `${instance} running`);
    assert.equal(p.exitCode, null, out.slice(-2000));
    return p;
  }

  /** SIGKILL to the daemon's process group (its FFmpeg too). */
  function kill(p: ChildProcess): void {
    killPid(-p.pid!);
  }

  /** Capture time of the newest detection result. */
  async function newest(): Promise<number> {
    const rows = await redis.xrevrange(keys.detections('cam'), '+', '-', 'COUNT', 1);
    const d = rows[0]?.[1]?.[1];
    return d ? (JSON.parse(d) as DetectionResult).times.capturedAt : 0;
  }

  before(async () => {
    rtsp = await RtspTestServer.start({ file: path.join(MEDIA, 'vtest.mp4') });
    redis = new Redis(REDIS_URL);
  });
  after(async () => {
    await children.stopAll();
    await rtsp?.stop();
    await purgePrefix(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a standby takes ingest and tracking within 5 s of the owner\'s SIGKILL and has fresh detections within 7 s', async () => {
    const file = config(3);
    const a = await daemon(file, 'owner-a');
    await waitFor(async () => (await redis.get(keys.lease('ingest', 'cam'))) === 'owner-a', 20_000, 'a owns the camera');
    await waitFor(async () => (await newest()) > Date.now() - 2000, 30_000, 'detections');
    const b = await daemon(file, 'standby-b');
    await sleep(1000); // nothing may happen here: the standby takes nothing
    assert.equal(await redis.get(keys.lease('track', 'cam')), 'owner-a', 'the standby waits');
    const killedAt = Date.now();
    kill(a);
    const ingestMs = await waitFor(async () => (await redis.get(keys.lease('ingest', 'cam'))) === 'standby-b' && Date.now() - killedAt, 15_000, 'b ingests');
    const trackMs = await waitFor(async () => (await redis.get(keys.lease('track', 'cam'))) === 'standby-b' && Date.now() - killedAt, 15_000, 'b tracks');
    const detectMs = await waitFor(async () => (await newest()) > killedAt && Date.now() - killedAt, 20_000, 'fresh detections');
    kill(b);
    assert.ok(ingestMs < 5000, `ingest taken over after ${ingestMs} ms`);
    assert.ok(trackMs < 5000, `tracking taken over after ${trackMs} ms`);
    assert.ok(detectMs < 7000, `fresh detections after ${detectMs} ms (ingest ${ingestMs}, tracking ${trackMs})`);
  });

  it('a daemon SIGKILLed and restarted at once reclaims its own cameras without waiting for its old lease', async () => {
    // A long lease: a different instance would wait up to 30 s for it to expire.
    const file = config(30);
    const first = await daemon(file, 'slot-1');
    await waitFor(async () => (await redis.get(keys.lease('ingest', 'cam'))) === 'slot-1', 30_000, 'slot-1 owns the camera');
    kill(first);
    const restartedAt = Date.now();
    await daemon(file, 'slot-1');
    await waitFor(async () => (await newest()) > restartedAt, 30_000, 'fresh detections after the restart');
    const took = Date.now() - restartedAt;
    assert.ok(took < 20_000, `detections again ${took} ms after the restart (lease 30 s)`);
    assert.ok((await redis.pttl(keys.lease('ingest', 'cam'))) > 25_000, 'the lease was renewed by the restarted process');
  });
});
