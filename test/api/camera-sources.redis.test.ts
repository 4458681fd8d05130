import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AlertStore } from '../../src/alerts';
import { buildServer } from '../../src/api/server';
import { guardApiCameraSource } from '../../src/api/source-guard';
import { sourcesSchema } from '../../src/config/schema/sources';
import { readCameraOverrides } from '../../src/config/camera-overrides';
import type { Context } from '../../src/config/context';
import { VigilError } from '../../src/core/errors';
import { startIngest, type IngestHandle } from '../../src/ingest';
import { ADMIN, cleanup, testContext } from './helpers';
import { waitFor } from '../helpers';

/** Command lines of the running ffmpeg processes (ps), to prove none was started for a refused source. */
function ffmpegCommandLines(): string[] {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => /^\S*ffmpeg\s/.test(l));
}

describe('camera sources through the API (issue 14, item 2) @integration', function () {
  this.timeout(30_000);
  let ctx: Context;
  let app: FastifyInstance;
  let ingest: IngestHandle;

  before(async () => {
    ctx = testContext();
    const redis = ctx.redis('test-api');
    app = await buildServer(ctx, { redis, store: new AlertStore(redis, ctx.keys) });
    await app.ready();
    ingest = await startIngest(ctx, { restart: { baseMs: 60_000, capMs: 60_000 }, killGraceMs: 500 });
  });
  after(async () => {
    await ingest?.close();
    await app?.close();
    await cleanup(ctx);
  });

  const put = (id: string, body: unknown) =>
    app.inject({ method: 'PUT', url: `/api/cameras/${id}`, headers: { authorization: `Bearer ${ADMIN}` }, payload: body as object });

  it('PUT with file:///etc/passwd, concat:, subfile: or http://169.254.169.254/ is a 400 with a code, and FFmpeg never starts', async () => {
    const evil: Array<[string, string]> = [
      ['passwd', 'file:///etc/passwd'],
      ['plainpath', '/etc/passwd'],
      ['concat', 'concat:/etc/passwd|/etc/hosts'],
      ['subfile', 'subfile:,start,0,end,0,:/etc/passwd'],
      ['metadata', 'http://169.254.169.254/latest/meta-data/'],
      ['metadata-dec', 'http://2852039166/'],
      ['metadata-v6', 'http://[::ffff:169.254.169.254]/'],
      ['linklocal', 'rtsp://[fe80::1]/s'],
    ];
    for (const [id, url] of evil) {
      const res = await put(id, { url });
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      const body = res.json() as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'source_refused', url);
      assert.match(body.error.message, /^url: /);
    }
    assert.deepEqual(await app.vigil.redis.hkeys(ctx.keys.cameraOverrides), [], 'nothing stored');
    // A good camera put afterwards is applied by the ingest stage: the config channel was processed, and only it runs.
    const good = await put('good', { url: 'rtsp://127.0.0.1:1/nothing', detect: { fps: 1, width: 160 } });
    assert.equal(good.statusCode, 200, good.body);
    await waitFor(() => ingest.supervisors().has('good'), 10_000, 'the good camera started');
    assert.deepEqual([...ingest.supervisors().keys()], ['good']);
    const lines = ffmpegCommandLines();
    assert.ok(!lines.some((l) => /\/etc\/passwd|169\.254|concat:|subfile:|2852039166/.test(l)), lines.join('\n'));
  });

  it('PUT accepts loopback (a local restreamer) and LAN cameras, and applies the same checks as the YAML', async () => {
    assert.equal((await put('restream', { url: 'rtsp://127.0.0.1:8554/cam', enabled: false })).statusCode, 200);
    assert.equal((await put('lan', { url: 'rtsp://user:p%40ss@192.168.1.20:554/s', enabled: false })).statusCode, 200);
    const rt = await put('rt', { url: 'rtsp://127.0.0.1:8554/cam', realtime: false });
    assert.equal(rt.statusCode, 400);
    assert.match(rt.json().error.message, /realtime: realtime: false is only for file inputs/);
    const bad = await put('bad', { url: 'rtsp://cam:99999/s' });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.code, 'bad_request');
  });

  it('an override stored before the policy is skipped by readers given the policy', async () => {
    await app.vigil.redis.hset(ctx.keys.cameraOverrides, 'legacy', JSON.stringify({ id: 'legacy', url: 'file:///etc/passwd' }));
    const invalid: string[] = [];
    const got = await readCameraOverrides(app.vigil.redis, ctx.keys, (id) => invalid.push(id), ctx.config.sources);
    assert.ok(!got.has('legacy'));
    assert.deepEqual(invalid, ['legacy']);
    await app.vigil.redis.hdel(ctx.keys.cameraOverrides, 'legacy');
    // Readers that do not pass the policy (ingest, track) still skip what no policy allows.
    await app.vigil.redis.hset(ctx.keys.cameraOverrides, 'old-concat', JSON.stringify({ id: 'old-concat', url: 'concat:/etc/passwd|/etc/hosts' }));
    const skipped: string[] = [];
    const all = await readCameraOverrides(app.vigil.redis, ctx.keys, (id) => skipped.push(id));
    assert.ok(!all.has('old-concat'));
    assert.deepEqual(skipped, ['old-concat']);
    await app.vigil.redis.hdel(ctx.keys.cameraOverrides, 'old-concat');
  });
});

describe('guardApiCameraSource (DNS and symlinks)', () => {
  const policy = (over: Record<string, unknown> = {}) => Object.freeze(sourcesSchema.parse(over));
  const refused = async (p: Promise<void>, re: RegExp) => {
    await assert.rejects(p, (err: unknown) => err instanceof VigilError && err.code === 'source_refused' && re.test(err.message));
  };

  it('resolves host names and checks every address', async () => {
    const resolve = async (h: string) => (h === 'metadata.evil.example' ? ['10.0.0.1', '169.254.169.254'] : ['192.168.1.5']);
    await refused(guardApiCameraSource('http://metadata.evil.example/x', policy(), { resolve }), /resolves to 169\.254\.169\.254: address 169\.254\.169\.254 is denied/);
    await guardApiCameraSource('rtsp://cam.lan.example/s', policy(), { resolve });
    // An unresolvable name is accepted (the camera may be offline) unless an allow list is set.
    await guardApiCameraSource('rtsp://offline.example/s', policy(), { resolve: async () => Promise.reject(new Error('ENOTFOUND')) });
    await refused(guardApiCameraSource('rtsp://offline.example/s', policy({ allowHosts: ['10.0.0.0/8'] }), { resolve: async () => [] }), /does not resolve/);
    await guardApiCameraSource('rtsp://cam.cams.example/s', policy({ allowHosts: ['*.cams.example'] }), { resolve: async () => ['203.0.113.9'] });
  });

  it('follows symlinks out of the media roots and refuses what is not a regular file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-roots-'));
    try {
      mkdirSync(path.join(dir, 'media'));
      writeFileSync(path.join(dir, 'media', 'a.mp4'), 'x');
      symlinkSync('/etc/passwd', path.join(dir, 'media', 'link.mp4'));
      const p = policy({ files: { api: true, roots: [path.join(dir, 'media')] } });
      await guardApiCameraSource(path.join(dir, 'media', 'a.mp4'), p);
      await guardApiCameraSource(`file://${path.join(dir, 'media', 'a.mp4')}`, p);
      await refused(guardApiCameraSource(path.join(dir, 'media', 'link.mp4'), p), /leads outside sources\.files\.roots/);
      await refused(guardApiCameraSource(path.join(dir, 'media', 'none.mp4'), p), /does not exist/);
      await refused(guardApiCameraSource(path.join(dir, 'media'), p), /not a regular file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
