import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { parseConfig } from '../../src/config/load';
import { Context } from '../../src/config/context';
import { nullLogger } from '../../src/core/logger';
import type { Alert } from '../../src/core/types';
import { startDaemon, type Daemon } from '../../src/daemon';
import { MEDIA, MODELS, purgePrefix, REDIS_URL, waitFor } from '../helpers';
import { BUILT_MODELS } from './helpers';

const TOKEN = 'faces-admin-token-0123456789';

/**
 * The whole daemon in one process (every role) with a camera looping the Hamilton clip, faces enabled and a
 * face_match rule: Lin-Manuel Miranda, enrolled through POST /api/faces from his photo, raises face_match alerts
 * carrying his identity, name and distance; Joe Biden, also enrolled but not in the clip, raises none.
 */
describe('face_match alerts from the running daemon (Hamilton clip) @integration', function () {
  this.timeout(180_000);
  let daemon: Daemon | undefined;
  let prefix: string;
  let port: number;

  before(async () => {
    prefix = `vigil-test-faces-${Math.random().toString(36).slice(2, 8)}`;
    const yaml = `
redis: { prefix: ${prefix} }
server: { port: 0, tokens: [ { name: t, token: "\${T}", role: admin } ] }
models: { dir: ${BUILT_MODELS}, detector: { family: yolox, file: ${path.join(MODELS, 'yolox_nano.onnx')}, device: cpu } }
detect: { workers: 1, threadsPerWorker: 1 }
faces: { detector: ultraface, ultrafaceFile: ${path.join(MODELS, 'ultraface-rfb-320.onnx')}, minScore: 0.7, votes: 2 }
cameras:
  - id: hamilton
    url: ${path.join(MEDIA, 'faces', 'short_hamilton_clip.mp4')}
    loop: true
    detect: { fps: 4 }
    faces: { enabled: true }
rules:
  - { id: watchlist, type: face_match, camera: hamilton }
`;
    const config = parseConfig(yaml, { T: TOKEN, VIGIL_NO_DEMO: '1' });
    const ctx = new Context(config, nullLogger(), new Set(['ingest', 'detect', 'track', 'api'] as const), { defaultMetrics: false });
    daemon = await startDaemon(ctx);
    port = (ctx.stages.get('api') as unknown as { port: number }).port;
  });

  after(async () => {
    await daemon?.stop();
    const r = new Redis(REDIS_URL);
    await purgePrefix(r, prefix);
    await r.quit();
  });

  const api = (p: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`http://127.0.0.1:${port}${p}`, { ...init, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...init.headers } });

  it('raises face_match for the enrolled person in the clip and for no one else', async () => {
    const enrol = async (name: string, file: string): Promise<string> => {
      const res = await api('/api/faces', { method: 'POST', body: JSON.stringify({ name, image: readFileSync(path.join(MEDIA, 'faces', file)).toString('base64') }) });
      assert.equal(res.status, 201, await res.clone().text());
      return ((await res.json()) as { id: string }).id;
    };
    const lin = await enrol('Lin-Manuel Miranda', 'lin-manuel-miranda.png');
    const biden = await enrol('Joe Biden', 'biden2.jpg');
    const listed = (await (await api('/api/faces')).json()) as { faces: Array<{ id: string }> };
    assert.deepEqual(listed.faces.map((f) => f.id).sort(), [lin, biden].sort());

    let alerts: Alert[] = [];
    const hit = await waitFor(
      async () => {
        alerts = ((await (await api('/api/alerts?rule=watchlist&limit=50')).json()) as { alerts: Alert[] }).alerts;
        return alerts.find((a) => a.face?.identity === lin);
      },
      120_000,
      () => `a face_match alert for Miranda; saw ${JSON.stringify(alerts.map((a) => a.face))}`,
      500,
    );
    assert.equal(hit.type, 'face_match');
    assert.equal(hit.face!.name, 'Lin-Manuel Miranda');
    assert.ok(hit.face!.distance > 0 && hit.face!.distance < 0.6);
    assert.ok(alerts.every((a) => a.face?.identity === lin), 'no alert names anyone else');
  });
});
