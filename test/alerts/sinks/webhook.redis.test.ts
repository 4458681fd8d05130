import assert from 'node:assert/strict';
import { AlertStore } from '../../../src/alerts';
import { WebhookService } from '../../../src/alerts/delivery';
import type { Context } from '../../../src/core/context';
import { buildServer } from '../../../src/api/server';
import { ADMIN, VIEWER, cleanup, sampleAlert, testContext, waitFor } from '../../api/helpers';
import { Receiver } from './receiver';

const SECRET = 'hook-secret-0123456789';

function hookContext(port: number, over: Record<string, unknown> = {}): Context {
  return testContext({
    webhooks: [
      { name: 'soc', url: `http://127.0.0.1:${port}/hook`, secret: SECRET, events: ['alert.start', 'alert.update', 'alert.end'], backoffMs: 50, attempts: 12, timeoutMs: 1000, ...over },
    ],
  });
}

describe('WebhookService', () => {
  let receiver: Receiver;
  let ctx: Context | undefined;
  let service: WebhookService | undefined;

  beforeEach(async () => {
    receiver = new Receiver(SECRET);
    await receiver.up();
  });
  afterEach(async () => {
    await service?.close();
    await receiver.down();
    if (ctx) {
      await cleanup(ctx);
    }
    service = undefined;
    ctx = undefined;
  });

  it('delivers every event once, signed, after the receiver was down for a while', async function () {
    this.timeout(60_000);
    ctx = hookContext(receiver.port);
    service = new WebhookService(ctx, { readBlockMs: 200 });
    await service.start();
    const store = new AlertStore(ctx.redis('w'), ctx.keys);
    await receiver.down();
    const expected: string[] = [];
    for (let i = 0; i < 40; i++) {
      const s = await store.write('start', sampleAlert({ camera: 'walkway' }));
      const e = await store.write('end', { ...s.alert, state: 'ended', endedAt: new Date().toISOString() });
      expected.push(`${s.eventId}.soc`, `${e.eventId}.soc`);
    }
    // Down for 3 s while retries back off (50 ms doubling), then back.
    await new Promise((r) => setTimeout(r, 3000));
    await receiver.up();
    await waitFor(() => new Set(receiver.received.map((r) => r.delivery)).size === expected.length, 45_000, 'every delivery');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(receiver.duplicates(), []);
    assert.deepEqual(new Set(receiver.received.map((r) => r.delivery)), new Set(expected));
    assert.ok(receiver.received.every((r) => r.signatureValid), 'every signature valid');
    const body = JSON.parse(receiver.received[0].body);
    assert.equal(`alert.${receiver.received[0].event.split('.')[1]}`, body.event);
    assert.ok(Math.abs(Number(receiver.received[0].timestamp) - Date.now() / 1000) < 60);
    assert.deepEqual(await service.list(), []);
  });

  it('dead-letters a delivery after the last attempt, and replay delivers it with the same delivery id', async function () {
    this.timeout(30_000);
    ctx = hookContext(receiver.port, { attempts: 3, backoffMs: 20 });
    service = new WebhookService(ctx, { readBlockMs: 200 });
    await service.start();
    await receiver.down();
    const store = new AlertStore(ctx.redis('w'), ctx.keys);
    const s = await store.write('start', sampleAlert());
    const id = `${s.eventId}.soc`;
    await waitFor(async () => (await service!.list()).length === 1, 15_000, 'a dead letter');
    const [dl] = await service.list();
    assert.equal(dl.id, id);
    assert.equal(dl.attempts, 3);
    assert.equal(dl.alert.id, s.alert.id);
    assert.match(dl.error, /request failed/);
    assert.ok(!JSON.stringify(dl).includes(SECRET) && !JSON.stringify(dl).includes('127.0.0.1'));
    await receiver.up();
    // Through the API: viewers list, admins replay.
    const app = await buildServer(ctx, { redis: ctx.redis('api'), store, deadLetters: service });
    const listed = await app.inject({ url: '/api/webhooks/dead-letters', headers: { authorization: `Bearer ${VIEWER}` } });
    assert.deepEqual(listed.json().deadLetters.map((d: { id: string }) => d.id), [id]);
    assert.ok(!listed.body.includes(SECRET));
    const replayed = await app.inject({ method: 'POST', url: `/api/webhooks/dead-letters/${id}/replay`, headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(replayed.statusCode, 202);
    assert.deepEqual(replayed.json(), { id, replayed: true });
    await app.close();
    await waitFor(() => receiver.received.length === 1, 10_000, 'the replayed delivery');
    assert.equal(receiver.received[0].delivery, id);
    assert.ok(receiver.received[0].signatureValid);
    assert.deepEqual(await service.list(), []);
    assert.equal(await service.replay(id), undefined);
    assert.ok((await ctx.metrics.getSingleMetricAsString('vigil_webhook_dead_letters_total')).includes('webhook="soc"} 1'));
  });

  it('applies filters and body templates', async function () {
    this.timeout(20_000);
    ctx = hookContext(receiver.port, { events: ['alert.start'], cameras: ['yard'], minSeverity: 'high', template: '{"text":"{{alert.camera}}: {{alert.rule}}","sev":"{{alert.severity}}","id":"{{delivery}}"}' });
    service = new WebhookService(ctx, { readBlockMs: 200 });
    await service.start();
    const store = new AlertStore(ctx.redis('w'), ctx.keys);
    await store.write('start', sampleAlert({ camera: 'walkway', severity: 'critical' }));
    await store.write('start', sampleAlert({ camera: 'yard', severity: 'low' }));
    const hit = await store.write('start', sampleAlert({ camera: 'yard', severity: 'critical', rule: 'yard-rule' }));
    await store.write('end', { ...hit.alert, state: 'ended' });
    await waitFor(() => receiver.received.length >= 1, 10_000, 'the matching delivery');
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(receiver.received.length, 1);
    assert.deepEqual(JSON.parse(receiver.received[0].body), { text: 'yard: yard-rule', sev: 'critical', id: `${hit.eventId}.soc` });
    assert.ok(receiver.received[0].signatureValid);
  });

  it('refuses a template that does not render to JSON at construction (config built in code)', () => {
    const c = hookContext(1);
    (c.config.webhooks[0] as { template?: string }).template = '{"a": {{alert.camera}';
    assert.throws(() => new WebhookService(c), TypeError);
    void c.closeConnections();
  });
});
