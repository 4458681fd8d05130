import assert from 'node:assert/strict';
import { AlertStore } from '../../src/alerts';
import { WebhookService } from '../../src/sinks/webhook-service';
import type { Context } from '../../src/config/context';
import { Receiver } from '../sinks/receiver';
import { TestClient } from '../ws/ws-client';
import { VIEWER, cleanup, sampleAlert, startTestApi, testContext, type TestApi } from './helpers';
import { RedisTestServer, waitFor } from '../helpers';

describe('a Redis restart in the middle of a burst', () => {
  const SECRET = 'hook-secret-0123456789';
  let redis: RedisTestServer;
  let ctx: Context;
  let api: TestApi | undefined;
  let hooks: WebhookService | undefined;
  let receiver: Receiver;
  const clients: TestClient[] = [];

  before(async () => {
    // A private redis-server with an append-only file (fsync always): a restart keeps every acknowledged write.
    redis = await RedisTestServer.start({ appendonly: true });
    receiver = new Receiver(SECRET);
    await receiver.up();
  });
  after(async () => {
    clients.forEach((c) => c.close());
    await hooks?.close();
    await api?.close();
    await receiver.down();
    if (ctx) {
      await cleanup(ctx, redis.url).catch(() => undefined);
    }
    await redis?.close();
  });

  it('loses no alert on the WebSocket (since) or the webhooks', async function () {
    this.timeout(90_000);
    const url = redis.url;
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
        await redis.down();
        setTimeout(() => void redis.up(), 1500); // the outage lasts 1.5 s
      }
      for (;;) {
        try {
          written.push((await store.write('start', sampleAlert())).eventId);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100)); // paces the writer's retries
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
    await new Promise((r) => setTimeout(r, 500)); // nothing may happen here: no webhook twice
    assert.deepEqual(receiver.duplicates(), []);
    assert.deepEqual(new Set(receiver.received.map((r) => r.delivery)), new Set(written.map((id) => `${id}.soc`)));
    assert.ok(receiver.received.every((r) => r.signatureValid));
  });
});
