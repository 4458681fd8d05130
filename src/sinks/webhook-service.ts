/**
 * One process's webhook delivery: a consumer group on the alert event stream turns each event into one delivery
 * per matching webhook, queued in BullMQ; a worker POSTs them (signed, with retries by policy, dead letters after
 * the horizon), a ledger and a reconciler make sure no delivery is lost or sent twice when Redis or a process fails,
 * and endpoints that answer 410 Gone are disabled. Started by the api role.
 *
 * Over 350 lines on purpose: WebhookService is the one class that owns the queue, the worker, the consumer, the
 * ledger and the endpoint states, and every method works on several of them; the pure and separable parts are in
 * webhook-format.ts, webhook-retry.ts, webhook-endpoints.ts, webhook-ledger.ts, webhook-reconciler.ts and
 * webhook-admin.ts (what the API sees of it).
 */
import { hostname } from 'node:os';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Counter, Gauge } from 'prom-client';
import { webhookMetrics } from '../core/metrics';
import type { WebhookConfig } from '../config/schema';
import type { Context } from '../config/context';
import { redact } from '../core/redact';
import type { Alert } from '../core/types';
import type { AlertEventEntry } from '../alerts/alert-store';
import { AlertEventConsumer } from './alert-event-consumer';
import { sendWebhook, WebhookSendError, type WebhookDelivery } from './webhook';
import { EndpointStates } from './webhook-endpoints';
import { checkTemplate } from '../core/webhook-template';
import { compareStreamIds } from '../core/stream-id';
import { webhookName } from './webhook-format';
import { DeliveryLedger } from './webhook-ledger';
import { DeliveryReconciler, deliveriesOf, entryOf, type QueuedDelivery, type ReconcileReport } from './webhook-reconciler';
import { retryDecision, retryPolicy } from './webhook-retry';
import type { DeadLetter, DeadLetters, WebhookEndpoint } from './webhook-admin';

/** Options of {@link WebhookService}. */
export interface WebhookServiceOptions {
  /** Concurrent deliveries of this process. @defaultValue 16 */
  concurrency?: number;
  /** Consumer name in the group. @defaultValue host:pid */
  consumer?: string;
  /** Blocking read of the event consumer, ms. @defaultValue 1000 */
  readBlockMs?: number;
  /** Reconciler period, ms. @defaultValue 30000 */
  reconcileIntervalMs?: number;
  /** Payloads of pending deliveries held in memory for recovery after a Redis data loss. @defaultValue 10000 */
  maxCachedPayloads?: number;
  /** Pending deliveries younger than this are not checked for a missing job. @defaultValue 10000 */
  reconcileGraceMs?: number;
  /** Shortest time between two catch-ups of one endpoint after it answers again, ms. @defaultValue 30000 */
  catchUpIntervalMs?: number;
}

/** Keep at most this many dead letters. */
const MAX_DEAD_LETTERS = 10_000;
/** BullMQ attempts: the horizon decides, not BullMQ. */
const JOB_ATTEMPTS = 10_000_000;
/** Custom BullMQ backoff type name. */
const BACKOFF_TYPE = 'vigil-retry';
/** The consumer group of webhook delivery on the alert stream. */
export const WEBHOOK_GROUP = 'webhooks';

/** Job data. Older jobs carry `backoffMs` and no `startedAt` (the job's timestamp is used). */
type JobData = QueuedDelivery | (WebhookDelivery & { backoffMs?: number; startedAt?: number; replayed?: boolean });

/** A failed attempt that BullMQ retries after `delayMs`. */
class RetryLater extends Error {
  constructor(
    message: string,
    readonly delayMs: number,
  ) {
    super(message);
    this.name = 'RetryLater';
  }
}

/** A job without its delivery data. */
class DamagedJob extends UnrecoverableError {
  constructor(message: string) {
    super(message);
    this.name = 'DamagedJob';
  }
}

/** Does the job data hold a delivery? */
function isDelivery(d: unknown): d is WebhookDelivery & { startedAt?: number } {
  const v = d as Partial<WebhookDelivery> | null | undefined;
  return typeof v?.webhook === 'string' && typeof v.delivery === 'string' && typeof v.eventId === 'string' && typeof v.event === 'string' && typeof v.alert === 'object' && v.alert !== null;
}

/** Named webhooks of the current config. */
function namedHooks(hooks: readonly WebhookConfig[]): Map<string, WebhookConfig> {
  return new Map(hooks.map((h, i) => [webhookName(h, i), h]));
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

/**
 * Webhook delivery: a consumer group on the alert events claims one ledger entry and adds one BullMQ job per
 * (event, matching webhook) (job id = delivery id); a worker POSTs, checking the ledger first so a settled delivery
 * is never sent again, and retries with exponential backoff and full jitter (or the receiver's Retry-After) until
 * the retry horizon, after which the delivery goes to the dead-letter list. A 410 Gone disables the endpoint; its
 * deliveries stay pending until an admin enables it. A reconciler re-creates lost jobs and deliveries (see
 * DeliveryReconciler). When an endpoint answers again after failures, its waiting retries are run at once.
 */
export class WebhookService implements DeadLetters {
  private readonly queue: Queue<JobData>;
  private worker?: Worker<JobData>;
  private consumer?: AlertEventConsumer;
  private readonly ledger: DeliveryLedger;
  private readonly endpointStates: EndpointStates;
  readonly reconciler: DeliveryReconciler;
  private readonly delivered: Counter<string>;
  private readonly failed: Counter<string>;
  private readonly dead: Counter<string>;
  private readonly lostCount: Counter<string>;
  private readonly recreated: Counter<string>;
  private readonly disabledGauge: Gauge<string>;
  private readonly log;
  private readonly redis;
  /** Endpoints with a failed attempt since their last success (in this process). */
  private readonly failing = new Set<string>();
  private timer?: NodeJS.Timeout;
  /** The reconciler passes of this process, one after the other. */
  private passes: Promise<unknown> = Promise.resolve();
  private kickQueued = false;
  private closed = false;

  constructor(
    private readonly ctx: Context,
    private readonly options: WebhookServiceOptions = {},
  ) {
    this.log = ctx.log.child({ stage: 'webhooks' });
    this.redis = ctx.redis('webhook-dlq');
    for (const [name, hook] of namedHooks(ctx.config.webhooks)) {
      if (hook.template !== undefined) {
        checkTemplate(name, hook.template);
      }
    }
    this.queue = new Queue<JobData>(ctx.keys.queues.webhooks, {
      connection: ctx.redis('webhook-queue'),
      prefix: ctx.keys.bullPrefix,
    });
    this.queue.on('error', (err) => this.log.debug({ err: err.message }, 'webhook queue error'));
    this.ledger = new DeliveryLedger(this.redis, ctx.keys);
    this.endpointStates = new EndpointStates(this.redis, ctx.keys);
    this.reconciler = new DeliveryReconciler(
      this.redis,
      ctx.keys,
      this.ledger,
      this.endpointStates,
      {
        hooks: () => namedHooks(this.ctx.config.webhooks),
        addJobs: (ds) => this.addJobs(ds),
        jobsExist: (ids) => this.jobsExist(ids),
        settleDead: (d, error, attempts, lost) => this.settleDead(d, error, attempts, lost),
      },
      this.log,
      { group: WEBHOOK_GROUP, maxCachedPayloads: options.maxCachedPayloads, graceMs: options.reconcileGraceMs },
    );
    ({ delivered: this.delivered, failed: this.failed, dead: this.dead, lost: this.lostCount, recreated: this.recreated, disabled: this.disabledGauge } = webhookMetrics(ctx.metrics));
  }

  /** Starts the event consumer, the worker and the reconciler. Without configured webhooks only the API works. */
  async start(): Promise<void> {
    const ctx = this.ctx;
    const consumer = this.options.consumer ?? `${hostname()}:${process.pid}`;
    // The first pass learns the ledger's epoch (so a later loss is recognised) before any event is read.
    await this.reconcile();
    this.consumer = new AlertEventConsumer(
      ctx.redis('webhook-events', { maxRetriesPerRequest: null }),
      ctx.keys,
      (entries) => this.enqueue(entries),
      {
        group: WEBHOOK_GROUP,
        consumer,
        blockMs: this.options.readBlockMs,
        startId: () => this.reconciler.groupStartId(),
        onGroupCreated: async (start) => {
          await this.reconciler.groupCreated(start);
          this.kick();
        },
      },
      this.log,
      (err) => this.log.warn({ err: (err as Error).message }, 'webhook event reader: retrying'),
    );
    await this.consumer.start();
    this.worker = new Worker<JobData>(ctx.keys.queues.webhooks, (job) => this.process(job), {
      connection: ctx.redis('webhook-worker', { maxRetriesPerRequest: null }),
      prefix: ctx.keys.bullPrefix,
      concurrency: this.options.concurrency ?? 16,
      settings: {
        backoffStrategy: (_attemptsMade, _type, err) => (err instanceof RetryLater ? err.delayMs : 5000),
      },
    });
    this.worker.on('error', (err) => this.log.warn({ err: err.message }, 'webhook worker error'));
    // A job that failed without being settled (stalled too often, or an older job out of BullMQ attempts) is
    // removed so that the reconciler re-creates it from the ledger.
    this.worker.on('failed', (job, err) => {
      if (!job || (!(err instanceof DamagedJob) && (err instanceof UnrecoverableError || err.name === 'UnrecoverableError'))) {
        return;
      }
      if (err instanceof RetryLater && job.opts.attempts === JOB_ATTEMPTS) {
        return; // retried by BullMQ
      }
      job
        .getState()
        .then(async (state) => {
          if (state === 'failed') {
            await job.remove();
            this.kick();
          }
        })
        .catch(() => undefined);
    });
    this.timer = setInterval(() => this.kick(), this.options.reconcileIntervalMs ?? 30_000);
    this.timer.unref();
  }

  /** Runs a reconciler pass soon: after the running one, and only one queued however often it is asked. */
  kick(): void {
    if (this.closed || this.kickQueued) {
      return;
    }
    this.kickQueued = true;
    void this.reconcile(() => {
      this.kickQueued = false;
    });
  }

  /**
   * One reconciler pass, after those already queued in this process (passes of other processes are kept apart
   * by a lock in Redis: then the report says `skipped`). Resolves with its report; undefined after an error,
   * which is logged.
   */
  reconcile(onStart?: () => void): Promise<ReconcileReport | undefined> {
    const run = this.passes.then(async () => {
      onStart?.();
      try {
        const r = await this.reconciler.run();
        if (!r.skipped) {
          this.recreated.inc(r.recreated + r.rederived + r.restored);
          const off = await this.endpointStates.all();
          for (const name of namedHooks(this.ctx.config.webhooks).keys()) {
            this.disabledGauge.set({ webhook: name }, off.has(name) ? 1 : 0);
          }
        }
        return r;
      } catch (err) {
        this.log.warn({ err: redact((err as Error).message) }, 'webhook reconciler pass failed');
        return undefined;
      }
    });
    this.passes = run;
    return run;
  }

  /** Claims ledger entries and adds jobs for a batch of events (idempotent per delivery id). */
  async enqueue(entries: AlertEventEntry[]): Promise<void> {
    const hooks = namedHooks(this.ctx.config.webhooks);
    if (hooks.size === 0) {
      return;
    }
    const now = Date.now();
    const ds = entries.flatMap((e) => deliveriesOf(e, hooks, now));
    if (ds.length > 0) {
      await this.reconciler.queue(ds, await this.endpointStates.all(), true);
    }
  }

  private async addJobs(ds: QueuedDelivery[]): Promise<void> {
    for (let i = 0; i < ds.length; i += 500) {
      await this.queue.addBulk(
        ds.slice(i, i + 500).map((d) => ({
          name: d.webhook,
          data: d,
          opts: {
            jobId: d.delivery,
            attempts: JOB_ATTEMPTS,
            backoff: { type: BACKOFF_TYPE },
            // The ledger remembers what was sent; job ids are freed at once so a lost or replayed delivery can
            // be queued again under the same id.
            removeOnComplete: true,
            removeOnFail: true,
          },
        })),
      );
    }
  }

  /**
   * Whether each id has a live job (waiting, delayed or active: it has its data and has not finished). A job hash
   * that finished, or that a script left without its data after the job's keys vanished mid-attempt, is removed so
   * that the delivery can be queued again under its id.
   */
  private async jobsExist(ids: string[]): Promise<boolean[]> {
    const out: boolean[] = [];
    for (let i = 0; i < ids.length; i += 1000) {
      const part = ids.slice(i, i + 1000);
      const m = this.redis.pipeline();
      for (const id of part) {
        m.exists(this.queue.toKey(id));
        m.hmget(this.queue.toKey(id), 'data', 'finishedOn');
      }
      const res = (await m.exec()) ?? [];
      for (let k = 0; k < part.length; k++) {
        const [e1, exists] = res[2 * k] ?? [];
        const [e2, fields] = res[2 * k + 1] ?? [];
        if (e1 || e2 || Number(exists) !== 1) {
          out.push(false);
          continue;
        }
        const [data, finishedOn] = fields as [string | null, string | null];
        const live = data !== null && finishedOn === null;
        if (!live) {
          await this.removeStaleJob(part[k]);
        }
        out.push(live);
      }
    }
    return out;
  }

  private async removeStaleJob(id: string): Promise<void> {
    const removed = await this.queue.remove(id).catch(() => 0);
    if (removed !== 1) {
      await this.redis.del(this.queue.toKey(id));
    }
  }

  private async process(job: Job<JobData>): Promise<void> {
    const d = job.data;
    if (!isDelivery(d)) {
      // Its keys vanished mid-attempt and a script wrote part of the hash back: removed by the 'failed' handler
      // and queued again by the reconciler from the ledger.
      throw new DamagedJob(`job ${String(job.id)} has no delivery data`);
    }
    const attempt = job.attemptsMade + 1;
    // Only configured URLs are ever called: the URL comes from the current config, never from the job.
    const hook = namedHooks(this.ctx.config.webhooks).get(d.webhook);
    if (!hook) {
      await this.settleDead(d, 'webhook is no longer configured', attempt, false);
      throw new UnrecoverableError('webhook is no longer configured');
    }
    const [entry, off, mark] = await Promise.all([this.ledger.get(d.delivery), this.endpointStates.get(d.webhook), this.ledger.mark()]);
    // The ledger's horizon start wins: it is restarted when a disabled endpoint is enabled again.
    const startedAt = entry?.t ?? d.startedAt ?? job.timestamp;
    // Below the mark every delivery was settled (and its entry pruned); older jobs (no startedAt) and replays predate
    // or bypass the mark.
    const belowMark = !entry && d.startedAt !== undefined && !d.replayed && mark !== undefined && compareStreamIds(d.eventId, mark) < 0;
    if ((entry && entry.s !== 'pending') || belowMark) {
      // Settled already (a re-created, re-read or stalled job): never sent twice.
      this.reconciler.cache.delete(d.delivery);
      return;
    }
    if (!entry) {
      // An older job, or the ledger was lost: track it from now on.
      await this.ledger.claim([[d.delivery, entryOf({ ...d, startedAt })]]);
    }
    if (off) {
      // Parked: stays pending in the ledger and is queued again when the endpoint is enabled.
      return;
    }
    try {
      await sendWebhook(hook, d);
    } catch (err) {
      this.failed.inc({ webhook: d.webhook });
      const e = err instanceof WebhookSendError ? err : new WebhookSendError(String((err as Error).message));
      const message = redact(e.message);
      if (e.status === 410) {
        await this.disableGone(d.webhook);
        return;
      }
      if (e.retryAfterMs === undefined) {
        this.failing.add(d.webhook);
      }
      const decision = retryDecision(retryPolicy(hook), { attempt, startedAt, now: Date.now(), retryAfterMs: e.retryAfterMs });
      this.log.debug({ webhook: d.webhook, delivery: d.delivery, attempt, err: message, next: decision }, 'webhook attempt failed');
      if (!decision.retry) {
        await this.settleDead({ ...d, startedAt }, `${message} (${decision.reason})`, attempt, false);
        throw new UnrecoverableError(message);
      }
      throw new RetryLater(message, decision.delayMs);
    }
    await this.ledger.set(d.delivery, { ...entryOf({ ...d, startedAt }), s: 'delivered' });
    this.reconciler.cache.delete(d.delivery);
    this.delivered.inc({ webhook: d.webhook });
    if (this.failing.delete(d.webhook)) {
      this.catchUp(d.webhook).catch((err: Error) => this.log.debug({ err: err.message }, 'webhook catch-up failed'));
    }
  }

  /** The receiver answered 410 Gone: disable the endpoint (once), keep its deliveries. */
  private async disableGone(webhook: string): Promise<void> {
    const first = await this.endpointStates.disable(webhook, { at: new Date().toISOString(), reason: 'the receiver answered 410 Gone', by: 'receiver' });
    this.disabledGauge.set({ webhook }, 1);
    if (first) {
      this.log.warn({ webhook }, 'webhook endpoint answered 410 Gone: disabled; its deliveries are kept until an admin enables it (POST /api/webhooks/:name/enable)');
    }
  }

  /**
   * An endpoint answers again after failures: run its waiting retries now rather than at their backoff times
   * (at most once per `catchUpIntervalMs` per endpoint across processes).
   */
  private async catchUp(webhook: string): Promise<void> {
    const lock = await this.redis.set(this.ctx.keys.webhookLock(`catch-up:${webhook}`), '1', 'PX', this.options.catchUpIntervalMs ?? 30_000, 'NX');
    if (lock === null) {
      return;
    }
    let promoted = 0;
    let start = 0;
    for (;;) {
      const jobs = await this.queue.getDelayed(start, start + 499);
      if (jobs.length === 0) {
        break;
      }
      let here = 0;
      for (const j of jobs) {
        if (j.name === webhook) {
          try {
            await j.promote();
            here++;
          } catch {
            // ran or moved meanwhile
          }
        }
      }
      promoted += here;
      start += jobs.length - here;
    }
    if (promoted > 0) {
      this.log.info({ webhook, promoted }, 'webhook endpoint answers again: its waiting retries are sent now');
    }
  }

  private async settleDead(d: Omit<WebhookDelivery, 'alert'> & { alert?: Alert; startedAt?: number }, error: string, attempts: number, lost: boolean): Promise<void> {
    const entry: DeadLetter = {
      id: d.delivery,
      webhook: d.webhook,
      delivery: d.delivery,
      eventId: d.eventId,
      event: d.event,
      ...(d.alert ? { alert: d.alert } : {}),
      error,
      attempts,
      failedAt: new Date().toISOString(),
      ...(lost ? { lost: true } : {}),
    };
    const k = this.ctx.keys;
    await this.redis
      .multi()
      .lpush(k.webhookDeadLetters, JSON.stringify(entry))
      .ltrim(k.webhookDeadLetters, 0, MAX_DEAD_LETTERS - 1)
      .hset(k.webhookLedger, d.delivery, JSON.stringify({ s: 'dead', w: d.webhook, e: d.eventId, k: d.event, t: d.startedAt ?? Date.now() }))
      .exec();
    this.reconciler.cache.delete(d.delivery);
    if (lost) {
      this.lostCount.inc({ webhook: d.webhook });
      this.log.error({ webhook: d.webhook, delivery: d.delivery, eventId: d.eventId }, `webhook delivery LOST: ${error}`);
    } else {
      this.dead.inc({ webhook: d.webhook });
      this.log.warn({ webhook: d.webhook, delivery: d.delivery, attempts, err: error }, 'webhook delivery dead-lettered');
    }
  }

  async list(limit = 1000): Promise<DeadLetter[]> {
    const rows = await this.redis.lrange(this.ctx.keys.webhookDeadLetters, 0, Math.max(0, limit - 1));
    const out: DeadLetter[] = [];
    for (const r of rows) {
      try {
        out.push(JSON.parse(r) as DeadLetter);
      } catch {
        // A damaged entry is not shown; it ages out with LTRIM.
      }
    }
    return out;
  }

  async replay(id: string): Promise<DeadLetter | undefined> {
    const rows = await this.redis.lrange(this.ctx.keys.webhookDeadLetters, 0, -1);
    let raw: string | undefined;
    let dl: DeadLetter | undefined;
    for (const r of rows) {
      try {
        const v = JSON.parse(r) as DeadLetter;
        if (v.id === id) {
          raw = r;
          dl = v;
          break;
        }
      } catch {
        // skip damaged entries
      }
    }
    if (raw === undefined || !dl?.alert || !namedHooks(this.ctx.config.webhooks).has(dl.webhook)) {
      return undefined;
    }
    const d: QueuedDelivery = { webhook: dl.webhook, delivery: dl.delivery, eventId: dl.eventId, event: dl.event, alert: dl.alert, startedAt: Date.now(), replayed: true };
    // An older failed job may still hold the id.
    const old = await this.queue.getJob(d.delivery);
    if (old && (await old.isFailed())) {
      await old.remove();
    }
    // Same delivery id header; a fresh retry horizon.
    await this.ledger.set(d.delivery, entryOf(d));
    this.reconciler.cache.add(d);
    await this.addJobs([d]);
    await this.redis.lrem(this.ctx.keys.webhookDeadLetters, 0, raw);
    return dl;
  }

  async endpoints(): Promise<WebhookEndpoint[]> {
    const hooks = namedHooks(this.ctx.config.webhooks);
    const off = await this.endpointStates.all();
    const pending = new Map<string, number>();
    for await (const page of this.ledger.scan()) {
      for (const [, e] of page) {
        if (e.s === 'pending') {
          pending.set(e.w, (pending.get(e.w) ?? 0) + 1);
        }
      }
    }
    const dead = new Map<string, number>();
    for (const d of await this.list(MAX_DEAD_LETTERS)) {
      dead.set(d.webhook, (dead.get(d.webhook) ?? 0) + 1);
    }
    return [...hooks].map(([name, h]) => {
      const p = retryPolicy(h);
      const disabled = off.get(name);
      return {
        name,
        origin: origin(h.url),
        events: [...h.events],
        ...(h.cameras ? { cameras: [...h.cameras] } : {}),
        ...(h.rules ? { rules: [...h.rules] } : {}),
        minSeverity: h.minSeverity,
        standardWebhooks: h.standardWebhooks,
        retry: { initialSeconds: p.initialMs / 1000, maxSeconds: p.maxMs / 1000, horizonSeconds: p.horizonMs / 1000, ...(p.maxAttempts !== undefined ? { attempts: p.maxAttempts } : {}) },
        status: disabled ? 'disabled' : 'enabled',
        ...(disabled ? { disabled } : {}),
        pending: pending.get(name) ?? 0,
        deadLetters: dead.get(name) ?? 0,
      };
    });
  }

  async enable(name: string): Promise<{ name: string; wasDisabled: boolean; requeued: number } | undefined> {
    if (!namedHooks(this.ctx.config.webhooks).has(name)) {
      return undefined;
    }
    const wasDisabled = await this.endpointStates.enable(name);
    this.disabledGauge.set({ webhook: name }, 0);
    const requeued = await this.reconciler.requeueEndpoint(name, Date.now());
    if (wasDisabled) {
      this.log.info({ webhook: name, requeued }, 'webhook endpoint enabled: its kept deliveries are queued again');
    }
    return { name, wasDisabled, requeued };
  }

  async disable(name: string, admin: string): Promise<{ name: string; wasEnabled: boolean } | undefined> {
    if (!namedHooks(this.ctx.config.webhooks).has(name)) {
      return undefined;
    }
    const wasEnabled = await this.endpointStates.disable(name, { at: new Date().toISOString(), reason: `disabled by ${admin}`, by: 'admin', admin });
    this.disabledGauge.set({ webhook: name }, 1);
    if (wasEnabled) {
      this.log.warn({ webhook: name, admin }, 'webhook endpoint disabled by an admin: its deliveries are kept until it is enabled');
    }
    return { name, wasEnabled };
  }

  /** Stops reading events and the reconciler, lets the worker finish its current attempts, closes the queue. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) {
      clearInterval(this.timer);
    }
    await Promise.allSettled([this.consumer?.close(), this.worker?.close(), this.passes]);
    await this.queue.close().catch(() => undefined);
  }
}
