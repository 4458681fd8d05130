import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Redis from 'ioredis';
import type { FastifyInstance } from 'fastify';
import WebSocket from 'ws';
import { AlertStore } from '../../src/alerts';
import { LiveFeed } from '../../src/ws/live-feed';
import { buildServer } from '../../src/api/server';
import type { Context } from '../../src/config/context';
import { decodeLiveFrame, type LiveFrame } from '../../src/core/live-frame';
import { startIngest, type IngestHandle } from '../../src/ingest';
import { LiveSocket } from '../../src/ws/live';
import { testContext } from '../ingest/helpers';
import { purgePrefix, REDIS_URL, VTEST, waitFor } from '../helpers';

const FPS = 5;

/**
 * The live view's transport: a real ingest (FFmpeg on vtest.mp4 at 5 fps) publishes each frame while a viewer is
 * subscribed; the api process forwards it over /ws/live (binary envelope) and live.mjpeg (multipart).
 */
describe('live view over /ws/live and live.mjpeg @integration', function () {
  this.timeout(60_000);
  let ctx: Context;
  let ingest: IngestHandle;
  let app: FastifyInstance;
  let redis: Redis;
  let feed: LiveFeed;
  let socket: LiveSocket;
  let port: number;

  before(async () => {
    ctx = testContext([{ id: 'lobby', url: VTEST, detect: { fps: FPS, width: 320 } }]);
    ingest = await startIngest(ctx);
    redis = new Redis(REDIS_URL);
    feed = new LiveFeed(ctx);
    app = await buildServer(ctx, { redis, store: new AlertStore(redis, ctx.keys), live: feed });
    socket = new LiveSocket(ctx, app.server, feed, { maxBufferedBytes: 256 * 1024 });
    socket.start();
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
    await waitFor(async () => (await redis.hget(ctx.keys.cameraStatus('lobby'), 'state')) === 'streaming', 20_000, 'streaming');
  });

  after(async () => {
    socket?.close();
    await app?.close();
    await feed?.close();
    await ingest?.close();
    await ctx?.closeConnections();
    await purgePrefix(redis, ctx.keys.prefix);
    redis.disconnect();
  });

  it('sends every frame at the detect rate while subscribed, and the channel is left once the viewer leaves', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/live`);
    const frames: Array<LiveFrame & { at: number }> = [];
    ws.on('message', (d: Buffer, binary: boolean) => {
      assert.ok(binary);
      frames.push({ ...decodeLiveFrame(d)!, at: Date.now() });
    });
    await new Promise((r) => ws.once('open', r));
    ws.send(JSON.stringify({ type: 'subscribe', cameras: ['lobby'] }));
    await waitFor(() => frames.length > 0, 5000, 'a first frame');
    const from = frames.length;
    const t0 = Date.now();
    // The rate over the next 3 s worth of frames at the configured fps, however long they take to come.
    await waitFor(() => frames.length - from >= 3 * FPS, 15_000, `${3 * FPS} more frames`);
    const got = frames.slice(from);
    const fps = (got.length * 1000) / (Date.now() - t0);
    assert.ok(fps >= 0.8 * FPS, `${fps.toFixed(2)} frames/s, want >= ${0.8 * FPS}`);
    for (const f of got) {
      assert.equal(f.camera, 'lobby');
      assert.equal(f.width, 320);
      assert.deepEqual([f.jpeg[0], f.jpeg[1]], [0xff, 0xd8]);
    }
    for (let i = 1; i < got.length; i++) {
      assert.ok(got[i].seq > got[i - 1].seq && got[i].capturedAt >= got[i - 1].capturedAt, 'in order');
    }
    ws.close();
    await waitFor(() => feed.cameras.length === 0, 2000, 'the feed unsubscribed');
    // No subscriber left on the channel: the ingest side stops encoding at its next poll (src/ingest/live-frames.ts).
    await waitFor(async () => Number(((await redis.pubsub('NUMSUB', ctx.keys.liveChannel('lobby'))) as unknown[])[1]) === 0, 2000, 'no subscriber');
  });

  it('refuses a bad subscribe with an error message and keeps the connection', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/live`);
    const texts: string[] = [];
    ws.on('message', (d: Buffer, binary: boolean) => !binary && texts.push(d.toString()));
    await new Promise((r) => ws.once('open', r));
    ws.send('{"type":"subscribe","cameras":"lobby"}');
    await waitFor(() => texts.length > 0, 2000, 'an error');
    assert.match(JSON.parse(texts[0]).message, /cameras: must be an array/);
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
  });

  it('serves live.mjpeg as multipart JPEG parts at the detect rate; 404 for an unknown camera', async () => {
    const parts = await new Promise<number>((resolve, reject) => {
      const req = http.get({ port, host: '127.0.0.1', path: '/api/cameras/lobby/live.mjpeg' }, (res) => {
        assert.equal(res.statusCode, 200);
        assert.match(String(res.headers['content-type']), /^multipart\/x-mixed-replace; boundary=vigilframe/);
        let n = 0;
        let text = '';
        res.on('data', (d: Buffer) => {
          text += d.toString('latin1');
          n = (text.match(/--vigilframe\r\nContent-Type: image\/jpeg\r\nContent-Length: \d+\r\nX-Captured-At: [\d.]+\r\n\r\n\xff\xd8/g) ?? []).length;
        });
        // A 3 s measuring window: the parts counted in it decide, not the wait.
        setTimeout(() => {
          req.destroy();
          resolve(n);
        }, 3000);
      });
      req.on('error', (e) => (e.message.includes('aborted') || e.message.includes('socket hang up') ? undefined : reject(e)));
    });
    assert.ok(parts >= 0.8 * FPS * 2, `${parts} parts in 3 s`);
    assert.equal((await app.inject({ url: '/api/cameras/nosuch/live.mjpeg' })).statusCode, 404);
  });
});
