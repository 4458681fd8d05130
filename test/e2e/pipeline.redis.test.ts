import assert from 'node:assert/strict';
import path from 'node:path';
import Redis from 'ioredis';
import WebSocket from 'ws';
import { parseConfig } from '../../src/config/load';
import { Context } from '../../src/config/context';
import { nullLogger } from '../../src/core/logger';
import type { AlertMessage, CameraStateMessage, DetectionsMessage } from '../../src/core/types';
import { startDaemon, type Daemon } from '../../src/daemon';
import { RtspTestServer } from '../../src/testing/rtsp-server';
import { MEDIA, MODELS, purgePrefix, REDIS_URL, waitFor } from '../helpers';

const TOKEN = 'e2e-admin-token-0123456789';

/**
 * The whole daemon in one process, every role, against real Redis, a real GStreamer RTSP camera serving
 * vtest.mp4, real FFmpeg and the real YOLOX-nano model: a WebSocket client sees the camera stream, detections
 * with track ids, and line-crossing / zone alerts whose snapshots are JPEGs.
 */
describe('pipeline end to end @integration', function () {
  this.timeout(120_000);
  let rtsp: RtspTestServer;
  let daemon: Daemon | undefined;
  let prefix: string;
  let port: number;
  const seen: Array<Record<string, unknown>> = [];
  let ws: WebSocket | undefined;

  before(async () => {
    prefix = `vigil-test-e2e-${Math.random().toString(36).slice(2, 8)}`;
    rtsp = await RtspTestServer.start({ file: path.join(MEDIA, 'vtest.mp4') });
    const yaml = `
redis: { prefix: ${prefix} }
server: { port: 0, tokens: [ { name: e2e, token: "\${E2E_TOKEN}", role: admin } ] }
models: { dir: ${MODELS} }
cameras:
  - id: walkway
    url: "${rtsp.url().replace('rtsp://', 'rtsp://viewer:s3cret@')}"
    detect: { fps: 5 }
    zones: [ { id: path, polygon: [[0,0.3],[1,0.3],[1,1],[0,1]] } ]
    lines: [ { id: mid, points: [[0.0,0.6],[1.0,0.6]] } ]
rules:
  - { id: path-enter, type: zone_enter, camera: walkway, zone: path, labels: [person] }
  - { id: mid-cross, type: line_cross, camera: walkway, line: mid, direction: any, labels: [person] }
`;
    const config = parseConfig(yaml, { E2E_TOKEN: TOKEN, VIGIL_NO_DEMO: '1' });
    const ctx = new Context(config, nullLogger(), new Set(['ingest', 'detect', 'track', 'api'] as const), { defaultMetrics: false });
    daemon = await startDaemon(ctx);
    port = (ctx.stages.get('api') as unknown as { port: number }).port;
    ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${TOKEN}`);
    ws.on('message', (d) => seen.push(JSON.parse(d.toString()) as Record<string, unknown>));
    await new Promise<void>((resolve, reject) => {
      ws!.once('open', () => resolve());
      ws!.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'subscribe', topics: ['alerts', 'cameras', 'detections'] }));
  });

  after(async () => {
    ws?.terminate();
    await daemon?.stop();
    await rtsp?.stop();
    const r = new Redis(REDIS_URL);
    await purgePrefix(r, prefix);
    await r.quit();
  });

  /** A timeout message naming the messages seen so far. */
  const saw = (what: string) => () => `${what}; saw ${seen.map((m) => m.type).join(',').slice(0, 300)}`;

  it('greets, streams the camera and never shows its credentials', async () => {
    // The greeting is sent after the server's first Redis reads, so it can land after 'open' resolved the hook.
    const hello = await waitFor(() => seen.find((m) => m.type === 'hello'), 10_000, saw('hello'), 100);
    assert.equal(seen[0], hello, 'hello first');
    assert.deepEqual(hello.cameras, ['walkway']);
    await waitFor(() => seen.find((m) => m.type === 'camera' && (m as unknown as CameraStateMessage).state === 'streaming'), 30_000, saw('camera streaming'), 100);
    const res = await fetch(`http://127.0.0.1:${port}/api/cameras`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await res.text();
    assert.equal(res.status, 200);
    assert.doesNotMatch(text, /s3cret|viewer:/);
    const cams = JSON.parse(text) as Array<{ id: string; state: string }>;
    assert.equal(cams[0].state, 'streaming');
  });

  it('publishes detections with track ids', async () => {
    const det = await waitFor(
      () => seen.find((m) => m.type === 'detections' && (m as unknown as DetectionsMessage).objects.some((o) => o.label === 'person')) as DetectionsMessage | undefined,
      30_000,
      saw('detections with a person'),
      100,
    );
    assert.equal(det.camera, 'walkway');
    for (const o of det.objects) {
      assert.ok(Number.isInteger(o.trackId));
      assert.ok(o.box.every((v) => v >= 0 && v <= 1));
    }
  });

  it('raises line and zone alerts with a JPEG snapshot stored before the alert is published', async () => {
    const start = await waitFor(
      () =>
        seen.find((m) => m.type === 'alert' && (m as unknown as AlertMessage).event === 'start' && (m as unknown as AlertMessage).alert.type === 'line_cross') as
          | AlertMessage
          | undefined,
      60_000,
      saw('a line_cross alert'),
      100,
    );
    assert.ok(start.alert.latencyMs >= 0 && start.alert.latencyMs < 5000, `latency ${start.alert.latencyMs}`);
    const snap = await fetch(`http://127.0.0.1:${port}${start.alert.snapshot}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(snap.status, 200);
    const jpeg = Buffer.from(await snap.arrayBuffer());
    assert.equal(jpeg[0], 0xff);
    assert.equal(jpeg[1], 0xd8);
    const zone = seen.find((m) => m.type === 'alert' && (m as unknown as AlertMessage).alert.type === 'zone_enter');
    assert.ok(zone, 'a zone_enter alert');
    const listed = await fetch(`http://127.0.0.1:${port}/api/alerts?camera=walkway&limit=50`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const body = (await listed.json()) as { alerts: Array<{ id: string }> };
    assert.ok(body.alerts.some((a) => a.id === start.alert.id));
  });

  it('answers frame.jpg with the live frame on 20 of 20 tries while the camera streams; no pixels pass through Redis', async () => {
    const r = new Redis(REDIS_URL);
    try {
      for (let i = 0; i < 20; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/api/cameras/walkway/frame.jpg`, { headers: { authorization: `Bearer ${TOKEN}` } });
        assert.equal(res.status, 200, `try ${i + 1}: ${res.status}`);
        const jpeg = Buffer.from(await res.arrayBuffer());
        assert.deepEqual([jpeg[0], jpeg[1]], [0xff, 0xd8]);
        await new Promise((res2) => setTimeout(res2, 150)); // paces the tries
      }
      // Ingest, detect and track in one process: frames stay in memory (the tracker's snapshots included).
      assert.deepEqual(await r.keys(`${prefix}:frame:*`), []);
    } finally {
      r.disconnect();
    }
  });

  it('stops every role within 10 s and leaves no frame, ticket or lease in Redis', async () => {
    const t0 = Date.now();
    await daemon!.stop();
    daemon = undefined;
    assert.ok(Date.now() - t0 < 10_000, `stop took ${Date.now() - t0} ms`);
    const r = new Redis(REDIS_URL);
    try {
      const left = (await r.keys(`${prefix}:*`)).filter((k) => /:frame:|:frame-req:|:lease:[a-z]+:[^:]+$|:bull:frames:[^:]+\.\d+$/.test(k));
      assert.deepEqual(left, []);
    } finally {
      r.disconnect();
    }
  });
});
