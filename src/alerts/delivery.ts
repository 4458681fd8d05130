import { hostname } from 'node:os';
import { Queue, UnrecoverableError, Worker, type Job } from 'bullmq';
import { Counter, type Registry } from 'prom-client';
import type { WebhookConfig } from '../config/schema';
import type { Context } from '../core/context';
import { redact } from '../core/redact';
import type { AlertEventEntry } from './alert-store';
import { AlertEventConsumer } from './delivery-reader';
import { sendWebhook, type WebhookDelivery } from './sinks/webhook';
import { backoffDelay, checkTemplate, deliveryId, webhookMatches, webhookName } from './sinks/webhook-format';

/** A delivery that failed its last attempt (GET /api/webhooks/dead-letters). */
export interface DeadLetter extends WebhookDelivery {
  /** = `delivery`; the id used by the replay route. */
  id: string;
  error: string;
  attempts: number;
  failedAt: string;
}

/** What the API needs of the dead-letter list. */
export interface DeadLetters {
  /** Newest first. */
  list(limit?: number): Promise<DeadLetter[]>;
  /** Enqueues the delivery again (same delivery id) and removes it from the list; undefined when unknown. */
  replay(id: string): Promise<DeadLetter | undefined>;
}

/** Keep at most this many dead letters. */
const MAX_DEAD_LETTERS = 10_000;
/** Custom BullMQ backoff type name. */
const BACKOFF_TYPE = 'vigil-jitter';

/** Job data: the delivery plus the retry base of its webhook at enqueue time. */
interface JobData extends WebhookDelivery {
  backoffMs: number;
}

function counter(reg: Registry, name: string, help: string, labelNames: string[]): Counter<string> {
  return (reg.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames, registers: [reg] });
}

/** Named webhooks of the current config. */
function namedHooks(hooks: readonly WebhookConfig[]): Map<string, WebhookConfig> {
  return new Map(hooks.map((h, i) => [webhookName(h, i), h]));
}

/**
 * Webhook delivery: a consumer group on the alert events enqueues one BullMQ job per (event, matching webhook)
 * with jobId = delivery id (so an event is enqueued once, even when re-read after a crash); a worker POSTs with
 * retries (exponential backoff with jitter); after the last attempt the delivery goes to the dead-letter list.
 */
export class WebhookService implements DeadLetters {
  private readonly queue: Queue<JobData>;
  private worker?: Worker<JobData>;
  private consumer?: AlertEventConsumer;
  private readonly delivered: Counter<string>;
  private readonly failed: Counter<string>;
  private readonly dead: Counter<string>;
  private readonly log;
  private readonly redis;

  constructor(
    private readonly ctx: Context,
    private readonly options: { concurrency?: number; consumer?: string; readBlockMs?: number } = {},
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
    this.delivered = counter(ctx.metrics, 'vigil_webhook_deliveries_total', 'Webhook deliveries accepted by the receiver', ['webhook']);
    this.failed = counter(ctx.metrics, 'vigil_webhook_failures_total', 'Failed webhook attempts (retried or dead-lettered)', ['webhook']);
    this.dead = counter(ctx.metrics, 'vigil_webhook_dead_letters_total', 'Webhook deliveries moved to the dead-letter list', ['webhook']);
  }

  /** Starts the event consumer and the worker. Without configured webhooks only the dead-letter API works. */
  async start(): Promise<void> {
    const ctx = this.ctx;
    const consumer = this.options.consumer ?? `${hostname()}:${process.pid}`;
    this.consumer = new AlertEventConsumer(
      ctx.redis('webhook-events', { maxRetriesPerRequest: null }),
      ctx.keys,
      (entries) => this.enqueue(entries),
      { group: 'webhooks', consumer, blockMs: this.options.readBlockMs },
      this.log,
      (err) => this.log.warn({ err: (err as Error).message }, 'webhook event reader: retrying'),
    );
    await this.consumer.start();
    this.worker = new Worker<JobData>(ctx.keys.queues.webhooks, (job) => this.process(job), {
      connection: ctx.redis('webhook-worker', { maxRetriesPerRequest: null }),
      prefix: ctx.keys.bullPrefix,
      concurrency: this.options.concurrency ?? 16,
      settings: {
        backoffStrategy: (attemptsMade, _type, _err, job) =>
          backoffDelay(attemptsMade, (job?.data as JobData | undefined)?.backoffMs ?? 1000),
      },
    });
    this.worker.on('error', (err) => this.log.warn({ err: err.message }, 'webhook worker error'));
  }

  /** Enqueues the deliveries of a batch of events (idempotent per delivery id). */
  async enqueue(entries: AlertEventEntry[]): Promise<void> {
    const hooks = namedHooks(this.ctx.config.webhooks);
    const jobs: Array<{ name: string; data: JobData; opts: object }> = [];
    for (const e of entries) {
      for (const [name, hook] of hooks) {
        if (!webhookMatches(hook, e.event, e.alert)) {
          continue;
        }
        const id = deliveryId(e.id, name);
        jobs.push({ name, data: this.jobData(hook, { webhook: name, delivery: id, eventId: e.id, event: e.event, alert: e.alert }), opts: this.jobOpts(hook, id) });
      }
    }
    if (jobs.length > 0) {
      await this.queue.addBulk(jobs);
    }
  }

  private jobData(hook: WebhookConfig, d: WebhookDelivery): JobData {
    return { webhook: d.webhook, delivery: d.delivery, eventId: d.eventId, event: d.event, alert: d.alert, backoffMs: hook.backoffMs };
  }

  private jobOpts(hook: WebhookConfig, jobId: string): object {
    return {
      jobId,
      attempts: hook.attempts,
      backoff: { type: BACKOFF_TYPE },
      // Completed ids are kept a day so that an event read twice is not delivered twice.
      removeOnComplete: { age: 86_400, count: 100_000 },
      removeOnFail: { age: 86_400, count: 10_000 },
    };
  }

  private async process(job: Job<JobData>): Promise<void> {
    const d = job.data;
    // Only configured URLs are ever called: the URL comes from the current config, never from the job.
    const hook = namedHooks(this.ctx.config.webhooks).get(d.webhook);
    if (!hook) {
      await this.toDeadLetters(d, 'webhook is no longer configured', job.attemptsMade + 1);
      throw new UnrecoverableError('webhook is no longer configured');
    }
    try {
      await sendWebhook(hook, d);
      this.delivered.inc({ webhook: d.webhook });
    } catch (err) {
      this.failed.inc({ webhook: d.webhook });
      const attempt = job.attemptsMade + 1;
      const message = redact((err as Error).message);
      if (attempt >= (job.opts.attempts ?? 1)) {
        await this.toDeadLetters(d, message, attempt);
      }
      this.log.debug({ webhook: d.webhook, delivery: d.delivery, attempt, err: message }, 'webhook attempt failed');
      throw new Error(message);
    }
  }

  private async toDeadLetters(d: WebhookDelivery, error: string, attempts: number): Promise<void> {
    const entry: DeadLetter = { id: d.delivery, webhook: d.webhook, delivery: d.delivery, eventId: d.eventId, event: d.event, alert: d.alert, error, attempts, failedAt: new Date().toISOString() };
    const redis = this.redis;
    await redis.multi().lpush(this.ctx.keys.webhookDeadLetters, JSON.stringify(entry)).ltrim(this.ctx.keys.webhookDeadLetters, 0, MAX_DEAD_LETTERS - 1).exec();
    this.dead.inc({ webhook: d.webhook });
    this.log.warn({ webhook: d.webhook, delivery: d.delivery, attempts, err: error }, 'webhook delivery dead-lettered');
  }

  async list(limit = 1000): Promise<DeadLetter[]> {
    const redis = this.redis;
    const rows = await redis.lrange(this.ctx.keys.webhookDeadLetters, 0, Math.max(0, limit - 1));
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
    const redis = this.redis;
    const rows = await redis.lrange(this.ctx.keys.webhookDeadLetters, 0, -1);
    const raw = rows.find((r: string) => {
      try {
        return (JSON.parse(r) as DeadLetter).id === id;
      } catch {
        return false;
      }
    });
    if (raw === undefined) {
      return undefined;
    }
    const dl = JSON.parse(raw) as DeadLetter;
    const hook = namedHooks(this.ctx.config.webhooks).get(dl.webhook);
    if (!hook) {
      return undefined;
    }
    // A new job id (the old failed job may still be kept) but the same delivery id header.
    await this.queue.add(dl.webhook, this.jobData(hook, dl), this.jobOpts(hook, `${dl.delivery}.replay-${Date.now()}`));
    await redis.lrem(this.ctx.keys.webhookDeadLetters, 0, raw);
    return dl;
  }

  /** Stops reading events, lets the worker finish its current attempts, closes the queue. Idempotent. */
  async close(): Promise<void> {
    await Promise.allSettled([this.consumer?.close(), this.worker?.close()]);
    await this.queue.close().catch(() => undefined);
  }
}
