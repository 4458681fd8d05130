import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import sharp from 'sharp';
import { toHttpError } from '../../src/api/http-errors';
import { facesRoutes } from '../../src/api/routes/faces';
import type { Context } from '../../src/config/context';
import { UltraFaceDetector } from '../../src/faces/detector';
import { provideFaceModels } from '../../src/faces/models';
import { cleanup, testContext } from '../api/helpers';
import { BUILT_MODELS, builtFaceNets, FACE_API_DEMO, fakeFaceNets, pngClaiming } from './helpers';
import { MEDIA, MODELS } from '../helpers';

const photo = (name: string): Buffer => readFileSync(path.join(MEDIA, 'faces', name));
const b64 = (b: Buffer): string => b.toString('base64');

function multipartBody(fields: Record<string, string>, files: Buffer[]): { body: Buffer; type: string } {
  const boundary = '----vigiltest' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  }
  files.forEach((f, i) => {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="f${i}.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`),
      f,
      Buffer.from('\r\n'),
    );
  });
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

describe('facesRoutes (POST/GET/DELETE /api/faces)', function () {
  this.timeout(60_000);
  let ctx: Context;
  let app: FastifyInstance;
  let detector: UltraFaceDetector;

  before(async () => {
    detector = await UltraFaceDetector.load(path.join(MODELS, 'ultraface-rfb-320.onnx'));
  });
  beforeEach(async () => {
    ctx = testContext({ faces: { maxImageBytes: 200_000 } });
    provideFaceModels(ctx, { detector, ...fakeFaceNets() });
    app = Fastify();
    app.setErrorHandler((err, _req, reply) => {
      const a = toHttpError(err);
      void reply.code(a.status).send(a.body);
    });
    await facesRoutes(app, ctx);
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await cleanup(ctx);
  });

  const list = async (): Promise<Array<{ id: string; name: string; images: number }>> =>
    (await app.inject({ method: 'GET', url: '/api/faces' })).json().faces;

  it('enrols from JSON base64, lists, adds images to the identity and deletes every embedding', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/faces', payload: { name: 'Rose', image: b64(photo('rose-leslie1.jpg')) } });
    assert.equal(res.statusCode, 201, res.body);
    const { id, name } = res.json();
    assert.equal(name, 'Rose');
    assert.deepEqual((await list()).map((f) => [f.id, f.images]), [[id, 1]]);
    const add = await app.inject({ method: 'POST', url: '/api/faces', payload: { id, images: [b64(photo('rose-leslie1.jpg'))] } });
    assert.equal(add.statusCode, 200, add.body);
    assert.equal(add.json().images, 2);
    const del = await app.inject({ method: 'DELETE', url: `/api/faces/${id}` });
    assert.equal(del.statusCode, 204);
    assert.deepEqual(await list(), []);
    assert.equal(await ctx.redis('check').exists(ctx.keys.faces), 0);
    const again = await app.inject({ method: 'DELETE', url: `/api/faces/${id}` });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().error.code, 'not_found');
  });

  it('enrols several images per identity from multipart', async () => {
    const mp = multipartBody({ name: 'Rose' }, [photo('rose-leslie1.jpg'), photo('rose-leslie2.jpg')]);
    const res = await app.inject({ method: 'POST', url: '/api/faces', payload: mp.body, headers: { 'content-type': mp.type } });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().images, 2);
  });

  it('declares the admin role on the routes that write', () => {
    const routes: Array<{ method: string; url: string; role?: string }> = [];
    // printRoutes does not show config; check the declarations through a second app with an onRoute hook
    const probe = Fastify();
    probe.addHook('onRoute', (r) => {
      const methods = Array.isArray(r.method) ? r.method : [r.method];
      for (const m of methods) {routes.push({ method: m, url: r.url, role: (r.config as { role?: string } | undefined)?.role });}
    });
    return facesRoutes(probe, ctx).then(async () => {
      await probe.ready();
      await probe.close();
      assert.equal(routes.find((r) => r.method === 'POST')?.role, 'admin');
      assert.equal(routes.find((r) => r.method === 'DELETE')?.role, 'admin');
      assert.equal(routes.find((r) => r.method === 'GET' && r.url === '/api/faces')?.role, undefined);
    });
  });

  it('answers 503 not_ready when the face models cannot be loaded', async () => {
    // face-api nets present (built by the other face tests), the UltraFace file missing
    await builtFaceNets();
    const broken = testContext({ models: { dir: BUILT_MODELS }, faces: { detector: 'ultraface', ultrafaceFile: '/nonexistent/ultraface.onnx' } });
    const app2 = Fastify();
    app2.setErrorHandler((err, _req, reply) => {
      const a = toHttpError(err);
      void reply.code(a.status).send(a.body);
    });
    await facesRoutes(app2, broken);
    try {
      const res = await app2.inject({ method: 'POST', url: '/api/faces', payload: { name: 'Rose', image: b64(photo('rose-leslie1.jpg')) } });
      assert.equal(res.statusCode, 503, res.body);
      assert.equal(res.json().error.code, 'not_ready');
      assert.doesNotMatch(res.body, /nonexistent/, 'paths stay in the log');
    } finally {
      await app2.close();
      await cleanup(broken);
    }
  });

  describe('bad input: 400 with the reason, nothing stored', () => {
    const expect400 = async (payload: object | Buffer, code: string, headers: Record<string, string> = {}): Promise<string> => {
      const res = await app.inject({ method: 'POST', url: '/api/faces', payload: payload as object, headers });
      assert.equal(res.statusCode, 400, res.body);
      const body = res.json();
      assert.equal(body.error.code, code, res.body);
      assert.ok(body.error.message.length > 0);
      assert.deepEqual(await list(), [], 'nothing stored');
      return body.error.message;
    };

    it('no_face: an image without a face', async () => {
      const blank = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#88aa99' } }).jpeg().toBuffer();
      await expect400({ name: 'Nobody', image: b64(blank) }, 'no_face');
    });

    it('several_faces: a group photo, unless a face is chosen by box', async () => {
      const group = readFileSync(path.join(FACE_API_DEMO, 'sample1.jpg'));
      const msg = await expect400({ name: 'Group', image: b64(group) }, 'several_faces');
      const boxes = JSON.parse(msg.slice(msg.indexOf('[['))) as number[][];
      assert.equal(boxes.length, 3);
      const res = await app.inject({ method: 'POST', url: '/api/faces', payload: { name: 'One of them', image: b64(group), box: boxes[1] } });
      assert.equal(res.statusCode, 201, res.body);
    });

    it('bad_image: not an image, and a corrupt (truncated) JPEG', async () => {
      await expect400({ name: 'X', image: b64(Buffer.from('this is not an image at all, just text')) }, 'bad_image');
      const jpeg = photo('rose-leslie1.jpg');
      await expect400({ name: 'X', image: b64(jpeg.subarray(0, 2000)) }, 'bad_image');
      await expect400({ name: 'X', image: '!!!not base64!!!' }, 'bad_image');
    });

    it('payload_too_large: more bytes than faces.maxImageBytes, or more pixels than allowed', async () => {
      await expect400({ name: 'Big', image: b64(photo('obama.jpg')) }, 'payload_too_large');
      const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#000' } }).png().toBuffer();
      await expect400({ name: 'Huge', image: b64(pngClaiming(tiny, 30_000, 30_000)) }, 'payload_too_large');
      const mp = multipartBody({ name: 'Big' }, [photo('obama.jpg')]);
      await expect400(mp.body, 'payload_too_large', { 'content-type': mp.type });
    });

    it('one bad image among several rejects the whole request', async () => {
      const blank = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#fff' } }).jpeg().toBuffer();
      const msg = await expect400({ name: 'Rose', images: [b64(photo('rose-leslie1.jpg')), b64(blank)] }, 'no_face');
      assert.match(msg, /^image 2: /);
    });

    it('bad_request: missing name or image, bad box', async () => {
      await expect400({ image: b64(photo('rose-leslie1.jpg')) }, 'bad_request');
      await expect400({ name: 'X' }, 'bad_request');
      await expect400({ name: 'X', image: b64(photo('rose-leslie1.jpg')), box: [0.5, 0.5, 0.1, 0.1] }, 'bad_request');
    });
  });
});
