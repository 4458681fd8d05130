import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import sharp from 'sharp';
import { AlertStore } from '../../src/alerts';
import { Keys } from '../../src/core/keys';
import type { DetectionResult } from '../../src/core/types';
import { RtspTestServer } from '../../src/testing/rtsp-server';
import { BIN, Children, MEDIA, MODELS, purgePrefix, REDIS_URL, testPrefix, waitFor } from '../helpers';

/**
 * Real processes with the roles split as a scaled-out deployment splits them: one process ingests, tracks and serves
 * the API, another detects. The detect process holds each frame's pixels; the tracker asks it for the pixels of
 * the frames it raises alerts on, so snapshots are real frames although no frame's pixels are ever stored in Redis.
 */
describe('roles in two processes: detect holds the pixels, the tracker elsewhere takes its snapshots @integration', function () {
  this.timeout(120_000);
  const prefix = testPrefix();
  const keys = new Keys(prefix);
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-split-'));
  const children = new Children();
  let rtsp: RtspTestServer;
  let redis: Redis;

  async function daemon(file: string, instance: string, roles: string[]): Promise<ChildProcess> {
    const p = spawn(process.execPath, [BIN, 'start', '--config', file, ...roles.flatMap((r) => ['--role', r])], {
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

  it('raises zone alerts with JPEG snapshots of the real frame; frame pixels never stored in Redis', async () => {
    const file = path.join(dir, 'vigil.yaml');
    writeFileSync(
      file,
      `redis: { prefix: ${prefix} }
server: { port: 0 }
models: { dir: ${MODELS} }
cameras:
  - id: walkway
    url: "${rtsp.url()}"
    detect: { fps: 5 }
    zones: [ { id: path, polygon: [[0,0.3],[1,0.3],[1,1],[0,1]] } ]
rules:
  - { id: path-enter, type: zone_enter, camera: walkway, zone: path, labels: [person] }
`,
    );
    await daemon(file, 'front-a', ['ingest', 'track', 'api']);
    await daemon(file, 'detect-b', ['detect']);
    // Frame keys are scanned for while the pipeline runs: none may appear.
    let frameKeysSeen = 0;
    const scan = setInterval(() => {
      void redis.keys(`${prefix}:frame:*`).then((k) => (frameKeysSeen += k.length));
    }, 200);
    const store = new AlertStore(redis, keys);
    try {
      const start = await waitFor(
        async () => (await store.readEvents('0', 1000)).find((e) => e.event === 'start' && e.alert.type === 'zone_enter' && e.alert.snapshot !== undefined),
        60_000,
        'a zone_enter alert with a snapshot',
      );
      const rows = await redis.xrevrange(keys.detections('walkway'), '+', '-', 'COUNT', 1);
      const r = JSON.parse(rows[0][1][1]) as DetectionResult;
      assert.equal(r.holder, 'detect-b', 'the detect process holds the pixels');
      assert.equal(r.pixels, undefined);
      const jpeg = await store.getSnapshot(start.alert.id);
      assert.ok(jpeg, 'snapshot stored');
      const meta = await sharp(jpeg).metadata();
      assert.equal(meta.format, 'jpeg');
      assert.equal(meta.width, r.width);
      assert.equal(meta.height, r.height);
      // A real frame of the scene, not a blank: the JPEG's pixels vary.
      const stats = await sharp(jpeg).stats();
      assert.ok(stats.channels[0].stdev > 20, `stdev ${stats.channels[0].stdev}`);
    } finally {
      clearInterval(scan);
    }
    assert.equal(frameKeysSeen, 0, 'no frame pixels stored in Redis');
    // The detect process reads its requests as they come (gets and batched releases): nothing piles up.
    assert.ok((await redis.llen(keys.pixelRequests('detect-b'))) <= 2, 'pixel requests drained');
  });
});
