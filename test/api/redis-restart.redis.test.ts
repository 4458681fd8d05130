import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AlertStore } from '../../src/alerts';
import { WebhookService } from '../../src/alerts/delivery';
import type { Context } from '../../src/config/context';
import { Receiver } from '../alerts/sinks/receiver';
import { TestClient } from '../ws/ws-client';
import { VIEWER, cleanup, sampleAlert, startTestApi, testContext, waitFor, type TestApi } from './helpers';

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

/** Our own redis-server with an append-only file, so a restart keeps the data. */
class OwnRedis {
  proc?: ChildProcess;
  constructor(
    readonly port: number,
    readonly dir: string,
  ) {}
  async start(): Promise<void> {
    const p = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--appendonly', 'yes', '--dir', this.dir, '--save', '', '--protected-mode', 'no'], { stdio: 'ignore' });
    this.proc = p;
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const s = net.connect(this.port, '127.0.0.1', () => {
            s.destroy();
            resolve(true);
          });
          s.on('error', () => resolve(false));
        }),
      10_000,
      'redis-server to listen',
    );
  }
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (p && p.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
  }
}

describe('a Redis restart in the middle of a burst', () => {
  const SECRET = 'hook-secret-0123456789';
  let redis: OwnRedis;
  let dir: string;
  let ctx: Context;
  let api: TestApi | undefined;
  let hooks: WebhookService | undefined;
  let receiver: Receiver;
  const clients: TestClient[] = [];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-redis-'));
    redis = new OwnRedis(await freePort(), dir);
    await redis.start();
    receiver = new Receiver(SECRET);
    await receiver.up();
  });
  after(async () => {
    clients.forEach((c) => c.close());
    await hooks?.close();
    await api?.close();
    await receiver.down();
    if (ctx) {
      await cleanup(ctx, `redis://127.0.0.1:${redis.port}`).catch(() => undefined);
    }
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('loses no alert on the WebSocket (since) or the webhooks', async function () {
    this.timeout(90_000);
    const url = `redis://127.0.0.1:${redis.port}`;
    ctx = testContext({ webhooks: [{ name: 'soc', url: `http://127.0.0.1:${receiver.port}/h`, secret: SECRET, events: ['alert.start'], backoffMs: 50, attempts: 20 }] }, url);
    api = await startTestApi(ctx);
    hooks = new WebhookService(ctx, { readBlockMs: 200 });
    await hooks.start();
    const ws = await TestClient.open(`${api.url}?token=${VIEWER}`);
    clients.push(ws);
    ws.send({ type: 'subscribe', since: '0' });

    const writer = ctx.redis('writer', { maxRetriesPerRequest: null });
    const store = new AlertStore(writer, ctx.keys);
    const written: string[] = [];
    for (let i = 0; i < 200; i++) {
      if (i === 100) {
        await redis.stop();
        setTimeout(() => void redis.start(), 1500);
      }
      for (;;) {
        try {
          written.push((await store.write('start', sampleAlert())).eventId);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    }
    const stream = (await writer.xrange(ctx.keys.alertEvents, '-', '+')).map((r) => r[0]);
    assert.deepEqual(stream, written, 'the stream holds every write (append-only file)');

    // WebSocket: the live client gets them all (resuming with since if it was cut), and a new one replays all.
    await waitFor(() => ws.alerts.length >= written.length || ws.closeCode !== undefined, 30_000, 'ws alerts');
    let got = ws.alerts.map((a) => a.id);
    if (ws.closeCode !== undefined) {
      const again = await TestClient.open(`${api.url}?token=${VIEWER}`);
      clients.push(again);
      again.send({ type: 'subscribe', since: got[got.length - 1] ?? '0' });
      await again.until(() => got.length + again.alerts.length >= written.length, 30_000, 'resumed alerts');
      got = [...got, ...again.alerts.map((a) => a.id)];
    }
    assert.deepEqual(got, written);
    const late = await TestClient.open(`${api.url}?token=${VIEWER}`);
    clients.push(late);
    late.send({ type: 'subscribe', since: '0' });
    await late.until(() => late.alerts.length === written.length, 30_000, 'full replay');
    assert.deepEqual(late.alerts.map((a) => a.id), written);

    // Webhooks: every event delivered exactly once.
    await waitFor(() => new Set(receiver.received.map((r) => r.delivery)).size === written.length, 60_000, 'every webhook');
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(receiver.duplicates(), []);
    assert.deepEqual(new Set(receiver.received.map((r) => r.delivery)), new Set(written.map((id) => `${id}.soc`)));
    assert.ok(receiver.received.every((r) => r.signatureValid));
  });
});
