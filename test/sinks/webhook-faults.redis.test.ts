import assert from 'node:assert/strict';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import pino from 'pino';
import { AlertStore } from '../../src/alerts';
import { WebhookService, type WebhookServiceOptions } from '../../src/sinks/webhook-service';
import { Context } from '../../src/config/context';
import { purgePrefix } from '../../src/core/purge';
import { cleanup, sampleAlert, testContext } from '../api/helpers';
import { Receiver } from './receiver';
import { REDIS_URL, waitFor } from '../helpers';

const SECRET = 'hook-secret-0123456789';

/** Log lines at warn and above, parsed. */
type Line = { level: number; msg: string } & Record<string, unknown>;

/**
 * Faults below the webhook service: BullMQ jobs lost, the ledger evicted, Redis restarted without persistence
 * (every key gone). Each is injected on the test's own prefix of the real Redis.
 */
describe('WebhookService under Redis faults', () => {
  let receiver: Receiver;
  let ctx: Context | undefined;
  let service: WebhookService | undefined;
  let lines: Line[];
  let admin: Redis;

  async function start(opts: WebhookServiceOptions = {}, retry = { initialSeconds: 0.05, maxSeconds: 60, horizonSeconds: 120 }): Promise<{ store: AlertStore; service: WebhookService; ctx: Context }> {
    const base = testContext({
      webhooks: [{ name: 'soc', url: `http://127.0.0.1:${receiver.port}/hook`, secret: SECRET, events: ['alert.start', 'alert.end'], retry }],
    });
    const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(JSON.parse(s) as Line) });
    ctx = new Context(base.config, log, new Set(['api']), { defaultMetrics: false });
    service = new WebhookService(ctx, { readBlockMs: 200, reconcileIntervalMs: 60_000, reconcileGraceMs: 0, ...opts });
    await service.start();
    return { store: new AlertStore(ctx.redis('w'), ctx.keys), service, ctx };
  }

  /** Deletes every BullMQ key of the webhooks queue (a Redis evicting job keys, or a queue wiped). */
  async function dropJobs(c: Context): Promise<number> {
    return purgePrefix(admin, `${c.keys.bullPrefix}:${c.keys.queues.webhooks}`);
  }

  /**
   * The receiver answers 503 with Retry-After: 60 until `open()`: every delivery is tried once, then waits in
   * BullMQ's delayed set, so no attempt is in flight when the fault is injected. (Keys vanishing under an attempt
   * in flight can make that delivery go out twice: at-least-once.)
   */
  function holdOff(): { open(): void } {
    let closed = true;
    receiver.reply = () => (closed ? { status: 503, headers: { 'retry-after': '60' } } : { status: 204 });
    return { open: () => void (closed = false) };
  }

  /** Waits until each of `n` deliveries was tried once and none is active. */
  async function allWaiting(c: Context, n: number): Promise<void> {
    const q = `${c.keys.bullPrefix}:${c.keys.queues.webhooks}`;
    await waitFor(async () => new Set(receiver.received.map((r) => r.delivery)).size === n && (await admin.zcard(`${q}:delayed`)) === n && (await admin.llen(`${q}:active`)) === 0, 10_000, `${n} deliveries waiting for their retry`);
  }

  async function dump(c: Context, e: unknown): Promise<never> {
    const out: Record<string, unknown> = {};
    for (const k of await admin.keys(`${c.keys.prefix}:*`)) {
      const t = await admin.type(k);
      out[k] = t === 'hash' ? await admin.hgetall(k) : t === 'list' ? await admin.lrange(k, 0, -1) : t === 'zset' ? await admin.zrange(k, '0', '-1', 'WITHSCORES') : t === 'string' ? await admin.get(k) : t;
    }
    console.log('DIAG', JSON.stringify({ accepted: receiver.accepted().map((x) => x.delivery), out, lines }, null, 1));
    throw e;
  }

  const pendingCount = async (s: WebhookService) => (await s.endpoints())[0].pending;

  beforeEach(async () => {
    lines = [];
    admin = new Redis(REDIS_URL);
    receiver = new Receiver(SECRET);
    await receiver.up();
  });
  afterEach(async () => {
    await service?.close();
    await receiver.down();
    if (ctx) {
      await cleanup(ctx);
    }
    admin.disconnect();
    service = undefined;
    ctx = undefined;
  });

  it('re-creates deliveries whose BullMQ jobs were lost, from the ledger and the alert stream', async function () {
    this.timeout(30_000);
    const { store, service: s, ctx: c } = await start({ maxCachedPayloads: 0 });
    const gate = holdOff();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(`${(await store.write('start', sampleAlert())).eventId}.soc`);
    }
    await allWaiting(c, 5);
    assert.ok((await dropJobs(c)) > 0, 'job keys deleted');
    gate.open();
    const r = await s.reconcile();
    assert.equal(r?.recreated, 5);
    assert.equal(r?.lost, 0);
    await waitFor(() => receiver.accepted().length === 5, 10_000, 'the five deliveries').catch((e) => dump(c, e));
    assert.deepEqual(new Set(receiver.accepted().map((x) => x.delivery)), new Set(ids));
    assert.deepEqual(receiver.duplicates(), []);
    assert.ok(lines.some((l) => l.level === 40 && /5 re-created/.test(l.msg)), `logged: ${JSON.stringify(lines)}`);
    assert.ok((await c.metrics.getSingleMetricAsString('vigil_webhook_recreated_total')).includes('vigil_webhook_recreated_total 5'));
  });

  it('sends nothing twice when nothing failed, however often the reconciler runs, and prunes settled entries', async function () {
    this.timeout(30_000);
    const { store, service: s, ctx: c } = await start();
    const ids: string[] = [];
    const passes: Array<Promise<unknown>> = [];
    for (let i = 0; i < 60; i++) {
      ids.push(`${(await store.write('start', sampleAlert())).eventId}.soc`);
      if (i % 5 === 0) {
        passes.push(s.reconcile());
      }
    }
    await waitFor(() => receiver.accepted().length >= 60, 15_000, 'sixty deliveries');
    await Promise.all(passes);
    const r = await s.reconcile();
    assert.equal(r?.recreated, 0);
    await new Promise((res) => setTimeout(res, 500)); // nothing may happen here: no delivery beyond the sixty
    assert.equal(receiver.received.length, 60);
    assert.deepEqual(receiver.duplicates(), []);
    assert.deepEqual(new Set(receiver.accepted().map((x) => x.delivery)), new Set(ids));
    // Everything settled: the mark moves past the last event and the ledger is pruned to its epoch field.
    const last = await s.reconcile();
    assert.equal(last?.pending, 0);
    assert.equal(await admin.hlen(c.keys.webhookLedger), 1);
    // A job of a settled, pruned delivery that comes back (a stalled job re-run, a job key restored) is not sent.
    const q = new Queue(c.keys.queues.webhooks, { connection: admin, prefix: c.keys.bullPrefix });
    const first = JSON.parse(receiver.accepted()[0].body) as { alert: unknown };
    await q.add('soc', { webhook: 'soc', delivery: ids[0], eventId: ids[0].split('.')[0], event: 'start', alert: first.alert, startedAt: Date.now() }, { jobId: ids[0], removeOnComplete: true });
    await waitFor(async () => (await q.getJobCounts('wait', 'active', 'delayed', 'completed')).wait === 0 && (await q.getJob(ids[0])) === undefined, 5000, 'the zombie job done');
    assert.equal(receiver.received.length, 60);
    assert.ok(lines.every((l) => l.level < 40), JSON.stringify(lines));
  });

  it('re-derives the deliveries from the alert stream when the ledger and the jobs were evicted', async function () {
    this.timeout(30_000);
    const { store, service: s, ctx: c } = await start({ maxCachedPayloads: 0 });
    const gate = holdOff();
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const w = await store.write('start', sampleAlert());
      ids.push(`${w.eventId}.soc`);
      ids.push(`${(await store.write('end', { ...w.alert, state: 'ended' })).eventId}.soc`);
    }
    await allWaiting(c, 8);
    await s.reconcile(); // the mark is set below the first pending event
    await admin.del(c.keys.webhookLedger);
    await dropJobs(c);
    gate.open();
    const r = await s.reconcile();
    assert.equal(r?.ledgerLost, true);
    assert.equal(r?.rederived, 8);
    assert.equal(r?.lost, 0);
    await waitFor(() => receiver.accepted().length === 8, 10_000, 'the eight deliveries').catch((e) => dump(c, e));
    assert.deepEqual(new Set(receiver.accepted().map((x) => x.delivery)), new Set(ids));
    assert.deepEqual(receiver.duplicates(), []);
    assert.ok(lines.some((l) => l.level === 50 && /LOST from Redis.*8 deliveries re-derived from the alert stream/.test(l.msg)), 'logged as an error');
  });

  it('after Redis lost every key: sends what it held in memory, dead-letters and counts the rest as lost, and delivers new events', async function () {
    this.timeout(40_000);
    // Two payloads held in memory; the other three pending deliveries are known by id only.
    const { store, service: s, ctx: c } = await start({ maxCachedPayloads: 2 });
    // Disabled by an admin, so the deliveries wait with no attempt in flight when the data goes (an attempt in
    // flight at that moment may be sent twice: it is sent, and restored).
    await s.disable('soc', 'test');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push(`${(await store.write('start', sampleAlert())).eventId}.soc`);
    }
    await waitFor(async () => (await pendingCount(s)) === 5, 10_000, 'five pending deliveries');
    const q = `${c.keys.bullPrefix}:${c.keys.queues.webhooks}`;
    await waitFor(async () => (await admin.llen(`${q}:wait`)) + (await admin.llen(`${q}:active`)) === 0, 10_000, 'no job left');
    await s.reconcile();
    assert.equal(receiver.received.length, 0);
    // Redis restarted without persistence: stream, consumer group, ledger, mark, jobs, endpoint states, dead
    // letters all gone.
    await purgePrefix(admin, c.keys.prefix);
    const r = await s.reconcile();
    assert.equal(r?.ledgerLost, true);
    assert.equal(r?.restored, 2);
    assert.equal(r?.lost, 3);
    await waitFor(() => receiver.accepted().length === 2, 10_000, 'the two deliveries held in memory');
    assert.deepEqual(new Set(receiver.accepted().map((x) => x.delivery)), new Set(ids.slice(0, 2)));
    const dead = await s.list();
    assert.deepEqual(new Set(dead.map((d) => d.id)), new Set(ids.slice(2)));
    assert.ok(dead.every((d) => d.lost === true && d.alert === undefined && /lost/.test(d.error)));
    assert.ok((await c.metrics.getSingleMetricAsString('vigil_webhook_lost_total')).includes('webhook="soc"} 3'));
    assert.ok(lines.filter((l) => l.level === 50 && /LOST/.test(l.msg)).length >= 4, 'a summary and one line per lost delivery');
    assert.equal(await s.replay(ids[2]), undefined, 'a lost delivery without its alert cannot be replayed');
    // Events written after the loss are delivered (the consumer group is recreated from the last mark seen).
    const after = `${(await store.write('start', sampleAlert())).eventId}.soc`;
    await waitFor(() => receiver.accepted().some((x) => x.delivery === after), 10_000, 'a delivery of an event written after the loss');
    assert.deepEqual(receiver.duplicates(), []);
  });
});
