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
import { freePort, RtspTestServer } from '../../src/testing/rtsp-server';
import { promtoolCheck } from '../promtool';
import { BIN, Children, MEDIA, MODELS, purgePrefix, REDIS_URL, sleep, testPrefix, waitFor } from '../helpers';

const TOKEN = 'roles-viewer-token-0123456789';

type RoleName = 'ingest' | 'detect' | 'track' | 'api';

/**
 * Four real `vigil start` processes, one role each, on one Redis (each with its own VIGIL_PORT): every one answers
 * /healthz and /readyz without a token, and serves /metrics that promtool accepts, with each stage's metrics where
 * that stage runs and not elsewhere. The api process answers frame.jpg for the camera that the other three ingest,
 * detect and track. The detect process holds each frame's pixels and the tracker asks it for those of the frames it
 * raises alerts on, so snapshots are real frames although no frame's pixels are ever stored in Redis.
 */
describe('every process is observable, whatever its roles @integration', function () {
  this.timeout(240_000);
  const prefix = testPrefix();
  const dir = mkdtempSync(path.join(tmpdir(), 'vigil-roles-'));
  const procs = new Map<RoleName, { p: ChildProcess; port: number; out: () => string }>();
  const children = new Children();
  let rtsp: RtspTestServer;
  let redis: Redis;

  const base = (role: RoleName) => `http://127.0.0.1:${procs.get(role)!.port}`;
  const auth = { authorization: `Bearer ${TOKEN}` };

  async function start(role: RoleName, file: string): Promise<void> {
    const port = await freePort();
    const p = spawn(process.execPath, [BIN, 'start', '--config', file, '--role', role], {
      env: { ...process.env, VIGIL_FROM_SOURCE: '1', VIGIL_NO_DEMO: '1', VIGIL_PORT: String(port), VIGIL_LOG_LEVEL: 'info', VIGIL_INSTANCE_ID: `roles-${role}` },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    children.add(p, { group: true });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    procs.set(role, { p, port, out: () => out });
  }

  before(async () => {
    rtsp = await RtspTestServer.start({ file: path.join(MEDIA, 'vtest.mp4') });
    redis = new Redis(REDIS_URL);
    const file = path.join(dir, 'vigil.yaml');
    writeFileSync(
      file,
      `redis: { prefix: ${prefix} }
server: { tokens: [ { name: probe, token: "${TOKEN}", role: viewer } ] }
models: { dir: ${MODELS} }
log: { format: json }
cameras:
  - id: cam
    url: "${rtsp.url()}"
    detect: { fps: 5, width: 416 }
    zones: [ { id: all, polygon: [[0,0],[1,0],[1,1],[0,1]] } ]
rules:
  - { id: anyone, type: zone_enter, camera: cam, zone: all, labels: [person] }
`,
    );
    for (const role of ['api', 'track', 'detect', 'ingest'] as const) {
      await start(role, file);
    }
  });

  after(async () => {
    await children.stopAll();
    await rtsp?.stop();
    await purgePrefix(redis, prefix);
    redis.disconnect();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz and /readyz without a token on each process\'s own port; details only with a token', async () => {
    for (const [role, { p, out }] of procs) {
      const ready = await waitFor(
        async () => {
          assert.equal(p.exitCode, null, `${role} exited: ${out().slice(-2000)}`);
          // Refused until the process listens.
          const r = await fetch(`${base(role)}/readyz`).catch(() => undefined);
          return r?.status === 200 && ((await r.json()) as Record<string, unknown>);
        },
        90_000,
        `${role} ready`,
        100,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${out().slice(-3000)}`);
      });
      assert.deepEqual(ready, { status: 'ready' }, `${role}: no details without a token`);
      const health = await fetch(`${base(role)}/healthz`);
      assert.equal(health.status, 200, role);
      const detailed = (await (await fetch(`${base(role)}/readyz`, { headers: auth })).json()) as { status: string; warnings: string[] };
      assert.equal(detailed.status, 'ready');
      assert.ok(Array.isArray(detailed.warnings), `${role}: warnings with a token`);
      assert.equal((await fetch(`${base(role)}/metrics`)).status, 401, `${role}: /metrics needs a token`);
    }
    // Without the api role only the probes are served.
    for (const role of ['ingest', 'detect', 'track'] as const) {
      assert.equal((await fetch(`${base(role)}/api/cameras`, { headers: auth })).status, 404, role);
    }
    assert.equal((await fetch(`${base('api')}/api/cameras`, { headers: auth })).status, 200);
  });

  it('answers frame.jpg from the api process on 20 of 20 tries while the other processes ingest, detect and track', async () => {
    await waitFor(async () => (await redis.hget(`${prefix}:camera:cam`, 'state')) === 'streaming', 30_000, 'camera streaming', 100);
    for (let i = 0; i < 20; i++) {
      const res = await fetch(`${base('api')}/api/cameras/cam/frame.jpg`, { headers: auth });
      assert.equal(res.status, 200, `try ${i + 1}: ${res.status} ${res.status === 200 ? '' : await res.text()}`);
      const jpeg = Buffer.from(await res.arrayBuffer());
      assert.deepEqual([jpeg[0], jpeg[1]], [0xff, 0xd8], `try ${i + 1}`);
      await sleep(150); // paces the tries
    }
  });

  it('serves /metrics that promtool accepts, with each stage\'s metrics where that stage runs', async () => {
    const scrape = async (role: RoleName) => (await fetch(`${base(role)}/metrics`, { headers: auth })).text();
    // Wait until every stage has counted something for the camera (an alert needs a person in the zone).
    const expected: Record<RoleName, RegExp[]> = {
      ingest: [/^vigil_ingest_fps\{camera="cam"\} [1-9]/m, /^vigil_ingest_frames_total\{camera="cam"\} [1-9]/m, /^vigil_camera_state\{camera="cam",state="streaming"\} 1$/m, /^vigil_leases_held\{stage="ingest"\} 1$/m],
      detect: [
        /^vigil_detect_frames_total\{camera="cam"\} [1-9]/m,
        /^vigil_detect_fps\{camera="cam"\} [1-9]/m,
        /^vigil_inference_seconds_count\{model="yolox_nano\.onnx",device="cpu"\} [1-9]/m,
        /^vigil_detect_batch_size_count\{model="yolox_nano\.onnx",device="cpu"\} [1-9]/m,
        /^vigil_stage_latency_seconds_count\{camera="cam",stage="published"\} [1-9]/m,
        /^vigil_detector_loaded\{model="yolox_nano\.onnx",device="cpu"\} 1$/m,
      ],
      track: [
        /^vigil_tracker_frames_total\{camera="cam"\} [1-9]/m,
        /^vigil_tracker_tracks\{camera="cam"\} \d/m,
        /^vigil_stage_latency_seconds_count\{camera="cam",stage="tracked"\} [1-9]/m,
        /^vigil_alerts_total\{camera="cam",rule="anyone",type="zone_enter",event="start"\} [1-9]/m,
        /^vigil_leases_held\{stage="track"\} 1$/m,
      ],
      api: [/^vigil_ws_clients 0$/m, /^vigil_api_auth_failures_total \d/m, /^# TYPE vigil_webhook_deliveries_total counter$/m],
    };
    // Metric families that belong to one stage's process and must not appear in the others'.
    const own: Record<RoleName, RegExp> = {
      ingest: /^# TYPE vigil_ingest_frames_total /m,
      detect: /^# TYPE vigil_detect_frames_total /m,
      track: /^# TYPE vigil_tracker_frames_total /m,
      api: /^# TYPE vigil_ws_clients /m,
    };
    for (const role of procs.keys()) {
      const text = await waitFor(
        async () => {
          const t = await scrape(role).catch(() => '');
          return expected[role].every((re) => re.test(t)) && t;
        },
        90_000,
        `${role} metrics`,
        100,
      ).catch(async (err: Error) => {
        const t = await scrape(role);
        throw new Error(`${err.message}: missing ${expected[role].filter((re) => !re.test(t)).join(', ')}`);
      });
      assert.equal(promtoolCheck(text), '', `${role}: promtool check metrics`);
      assert.match(text, /^process_cpu_user_seconds_total \d/m, role);
      assert.match(text, /^nodejs_heap_size_used_bytes \d/m, role);
      assert.match(text, new RegExp(`^vigil_info\\{version="[^"]+",roles="${role}",instance="roles-${role}"\\} 1$`, 'm'), role);
      assert.match(text, new RegExp(`^vigil_ready\\{role="${role}"\\} 1$`, 'm'), role);
      assert.doesNotMatch(text, /vigil_process_|_total(\{[^}]*\})? .*\n# TYPE .*_total gauge/, role);
      for (const [other, re] of Object.entries(own)) {
        if (other !== role) {
          assert.doesNotMatch(text, re, `${role} exposes ${other}'s metrics`);
        }
      }
    }
  });

  it('raises zone alerts with JPEG snapshots of the real frame taken through the detect process; frame pixels never stored in Redis', async () => {
    const keys = new Keys(prefix);
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
      const rows = await redis.xrevrange(keys.detections('cam'), '+', '-', 'COUNT', 1);
      const r = JSON.parse(rows[0][1][1]) as DetectionResult;
      assert.equal(r.holder, 'roles-detect', 'the detect process holds the pixels');
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
    assert.ok((await redis.llen(keys.pixelRequests('roles-detect'))) <= 2, 'pixel requests drained');
  });
});
