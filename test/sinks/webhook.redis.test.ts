import assert from 'node:assert/strict';
import { AlertStore } from '../../src/alerts';
import { WebhookService } from '../../src/sinks/webhook-service';
import type { Context } from '../../src/config/context';
import { buildServer } from '../../src/api/server';
import { ADMIN, VIEWER, cleanup, sampleAlert, testContext } from '../api/helpers';
import { Receiver, type Received } from './receiver';
import { waitFor } from '../helpers';

const SECRET = 'hook-secret-0123456789';
/** Short retry settings: first retry within 50 ms, at most 0.5 s apart, dead letters after 60 s. */
const FAST = { initialSeconds: 0.05, maxSeconds: 0.5, horizonSeconds: 60 };

function hookContext(port: number, over: Record<string, unknown> = {}, secret = SECRET): Context {
  return testContext({
    webhooks: [{ name: 'soc', url: `http://127.0.0.1:${port}/hook/t0ken-in-path?k=v`, secret, events: ['alert.start', 'alert.update', 'alert.end'], retry: FAST, ...over }],
  });
}

/** Requests of one delivery id, in arrival order. */
const attemptsOf = (rx: Receiver, id: string): Received[] => rx.received.filter((r) => r.delivery === id);

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

  // (A receiver slower than timeoutMs gets the delivery again: at-least-once. The default 5 s timeout keeps a
  // loaded test machine from doing that here.)
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
    // Down while retries back off (50 ms doubling, at most 0.5 s apart): back once every delivery has failed four times
    // on average (the backoff reached its cap), whatever the machine's speed.
    const registry = ctx.metrics;
    const failures = async () => Number(/vigil_webhook_failures_total\{webhook="soc"\} (\d+)/.exec(await registry.getSingleMetricAsString('vigil_webhook_failures_total'))?.[1] ?? 0);
    await waitFor(async () => (await failures()) >= 4 * expected.length, 30_000, 'every delivery retried with backoff', 100);
    await receiver.up();
    await waitFor(() => new Set(receiver.accepted().map((r) => r.delivery)).size === expected.length, 45_000, 'every delivery');
    await new Promise((r) => setTimeout(r, 300)); // nothing may happen here: no delivery twice
    assert.deepEqual(receiver.duplicates(), []);
    assert.deepEqual(new Set(receiver.received.map((r) => r.delivery)), new Set(expected));
    assert.ok(receiver.received.every((r) => r.signatureValid), 'every signature valid');
    assert.ok(receiver.received.every((r) => r.standardValid === undefined), 'no Standard Webhooks headers unless configured');
    const body = JSON.parse(receiver.received[0].body);
    assert.equal(`alert.${receiver.received[0].event.split('.')[1]}`, body.event);
    assert.ok(Math.abs(Number(receiver.received[0].timestamp) - Date.now() / 1000) < 60);
    assert.deepEqual(await service.list(), []);
  });

  it('honours Retry-After on 503 (seconds) and 429 (HTTP-date), capped at retry.maxSeconds, with the same delivery id on every attempt', async function () {
    this.timeout(40_000);
    ctx = hookContext(receiver.port, { retry: { initialSeconds: 0.05, maxSeconds: 4, horizonSeconds: 60 } });
    // First attempt of each alert: walkway 503 "2" s; yard 429 with a date 3 s ahead; gate 503 "3600" s (capped).
    receiver.reply = (r) => {
      if (attemptsOf(receiver, r.delivery).length > 0) {
        return { status: 204 };
      }
      const camera = (JSON.parse(r.body) as { alert: { camera: string } }).alert.camera;
      if (camera === 'walkway') {
        return { status: 503, headers: { 'retry-after': '2' } };
      }
      if (camera === 'yard') {
        return { status: 429, headers: { 'retry-after': new Date(Date.now() + 3000).toUTCString() } };
      }
      return { status: 503, headers: { 'retry-after': '3600' } };
    };
    service = new WebhookService(ctx, { readBlockMs: 200 });
    await service.start();
    const store = new AlertStore(ctx.redis('w'), ctx.keys);
    const ids: Record<string, string> = {};
    for (const camera of ['walkway', 'yard', 'gate']) {
      ids[camera] = `${(await store.write('start', sampleAlert({ camera }))).eventId}.soc`;
    }
    await waitFor(() => receiver.accepted().length === 3, 20_000, 'three deliveries');
    const gap = (camera: string) => {
      const a = attemptsOf(receiver, ids[camera]);
      assert.equal(a.length, 2, `${camera}: two attempts`);
      assert.deepEqual(a.map((x) => x.delivery), [ids[camera], ids[camera]]);
      return a[1].at - a[0].at;
    };
    // Lower bounds: the wait asked for; upper bounds loose enough for a loaded machine, far below the uncapped 3600 s.
    const walkway = gap('walkway');
    assert.ok(walkway >= 1950 && walkway < 6000, `Retry-After: 2 → ${walkway} ms`);
    // The date has a resolution of one second: 2-3 s.
    const yard = gap('yard');
    assert.ok(yard >= 1950 && yard < 6000, `Retry-After: <date in 3 s> → ${yard} ms`);
    const gate = gap('gate');
    assert.ok(gate >= 3950 && gate < 9000, `Retry-After: 3600 capped at 4 s → ${gate} ms`);
    assert.deepEqual(receiver.duplicates(), []);
  });

  it('sends the Standard Webhooks headers beside its own when configured, signed as the spec says', async function () {
    this.timeout(20_000);
    const whsec = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    await receiver.down();
    receiver = new Receiver(whsec);
    await receiver.up();
    ctx = hookContext(receiver.port, { standardWebhooks: true }, whsec);
    receiver.reply = (r) => ({ status: attemptsOf(receiver, r.delivery).length === 0 ? 500 : 204 });
    service = new WebhookService(ctx, { readBlockMs: 200 });
    await service.start();
    const store = new AlertStore(ctx.redis('w'), ctx.keys);
    const s = await store.write('start', sampleAlert());
    await waitFor(() => receiver.accepted().length === 1, 10_000, 'the delivery');
    const [first, second] = receiver.received;
    for (const r of [first, second]) {
      assert.equal(r.delivery, `${s.eventId}.soc`);
      assert.equal(r.headers['webhook-id'], `${s.eventId}_soc`, 'webhook-id: the delivery id without dots, the same on the retry');
      assert.equal(r.headers['webhook-timestamp'], r.timestamp);
      assert.match(String(r.headers['webhook-signature']), /^v1,[A-Za-z0-9+/]{43}=$/);
      assert.equal(r.standardValid, true);
      assert.equal(r.signatureValid, true);
    }
  });

  it('disables an endpoint that answers 410 Gone, keeps its deliveries, shows it in the API, and sends them once enabled again', async function () {
    this.timeout(30_000);
    ctx = hookContext(receiver.port);
    receiver.reply = () => ({ status: 410 });
    service = new WebhookService(ctx, { readBlockMs: 200 });
    await service.start();
    const store = new AlertStore(ctx.redis('w'), ctx.keys);
    const app = await buildServer(ctx, { redis: ctx.redis('api'), store, deadLetters: service });
    const get = async () => (await app.inject({ url: '/api/webhooks', headers: { authorization: `Bearer ${VIEWER}` } })).json().webhooks;
    const first = await store.write('start', sampleAlert());
    await waitFor(async () => (await get())[0].status === 'disabled', 10_000, 'the endpoint disabled');
    const ids = [`${first.eventId}.soc`];
    for (let i = 0; i < 3; i++) {
      ids.push(`${(await store.write('start', sampleAlert())).eventId}.soc`);
    }
    await waitFor(async () => (await get())[0].pending === 4, 10_000, 'four kept deliveries');
    assert.equal(receiver.received.length, 1, 'nothing sent to a disabled endpoint');
    const [shown] = await get();
    assert.equal(shown.name, 'soc');
    assert.equal(shown.origin, `http://127.0.0.1:${receiver.port}`);
    assert.equal(shown.disabled.by, 'receiver');
    assert.match(shown.disabled.reason, /410 Gone/);
    assert.deepEqual(shown.retry, { initialSeconds: 0.05, maxSeconds: 0.5, horizonSeconds: 60 });
    const text = JSON.stringify(await get());
    assert.ok(!text.includes(SECRET) && !text.includes('t0ken-in-path') && !text.includes('k=v'), 'no secret, no URL path or query');
    assert.ok((await ctx.metrics.getSingleMetricAsString('vigil_webhook_endpoint_disabled')).includes('webhook="soc"} 1'));
    assert.deepEqual(await service.list(), [], 'nothing dead-lettered');

    receiver.reply = () => ({ status: 204 });
    const denied = await app.inject({ method: 'POST', url: '/api/webhooks/soc/enable', headers: { authorization: `Bearer ${VIEWER}` } });
    assert.equal(denied.statusCode, 403);
    const unknown = await app.inject({ method: 'POST', url: '/api/webhooks/nope/enable', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(unknown.statusCode, 404);
    const enabled = await app.inject({ method: 'POST', url: '/api/webhooks/soc/enable', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(enabled.statusCode, 200);
    assert.deepEqual(enabled.json(), { name: 'soc', status: 'enabled', wasDisabled: true, requeued: 4 });
    await waitFor(() => receiver.accepted().length === 4, 10_000, 'the four kept deliveries');
    assert.deepEqual(new Set(receiver.accepted().map((r) => r.delivery)), new Set(ids));
    assert.deepEqual(receiver.duplicates(), []);
    await waitFor(async () => (await get())[0].pending === 0, 5000, 'nothing pending');
    assert.equal((await get())[0].status, 'enabled');

    // An admin can disable it too; deliveries are kept the same way.
    const off = await app.inject({ method: 'POST', url: '/api/webhooks/soc/disable', headers: { authorization: `Bearer ${ADMIN}` } });
    assert.deepEqual(off.json(), { name: 'soc', status: 'disabled', wasEnabled: true });
    assert.deepEqual((await get())[0].disabled, { ...(await get())[0].disabled, by: 'admin', admin: 'ops', reason: 'disabled by ops' });
    await app.close();
  });

  it('dead-letters a delivery only after the retry horizon, and replay delivers it with the same delivery id', async function () {
    this.timeout(30_000);
    ctx = hookContext(receiver.port, { retry: { initialSeconds: 0.02, maxSeconds: 0.2, horizonSeconds: 1.5 } });
    service = new WebhookService(ctx, { readBlockMs: 200 });
    await service.start();
    await receiver.down();
    const store = new AlertStore(ctx.redis('w'), ctx.keys);
    const written = Date.now();
    const s = await store.write('start', sampleAlert());
    const id = `${s.eventId}.soc`;
    await waitFor(async () => (await service!.list()).length === 1, 15_000, 'a dead letter');
    const [dl] = await service.list();
    assert.equal(dl.id, id);
    assert.ok(Date.parse(dl.failedAt) - written >= 1500, `dead-lettered ${Date.parse(dl.failedAt) - written} ms after the event, horizon 1.5 s`);
    assert.ok(dl.attempts >= 4, `${dl.attempts} attempts`);
    assert.equal(dl.alert?.id, s.alert.id);
    assert.match(dl.error, /request failed.*horizon \(1\.5 s\)/);
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

  it('stops at `attempts` when set, before the horizon', async function () {
    this.timeout(20_000);
    ctx = hookContext(receiver.port, { attempts: 3, retry: { initialSeconds: 0.02, maxSeconds: 0.1, horizonSeconds: 3600 } });
    service = new WebhookService(ctx, { readBlockMs: 200 });
    await service.start();
    await receiver.down();
    const store = new AlertStore(ctx.redis('w'), ctx.keys);
    await store.write('start', sampleAlert());
    await waitFor(async () => (await service!.list()).length === 1, 15_000, 'a dead letter');
    assert.equal((await service.list())[0].attempts, 3);
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
    await new Promise((r) => setTimeout(r, 800)); // nothing may happen here: the filtered events are not delivered
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
