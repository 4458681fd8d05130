/**
 * Webhook delivery's reconciler: finds deliveries that the ledger says are due but that have no BullMQ job (a Redis
 * that lost data or evicted keys) and re-creates them, once, across processes.
 *
 * Over 350 lines on purpose: DeliveryReconciler's pass reads the ledger, the queue and the event stream together and
 * keeps its progress between passes; PendingCache is its memory of what it already checked.
 */
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { WebhookConfig } from '../config/schema';
import type { Keys } from '../core/keys';
import type { Logger } from '../core/logger';
import { parseEntry, type AlertEventEntry } from '../alerts/alert-store';
import type { WebhookDelivery } from './webhook';
import type { EndpointStates } from './webhook-endpoints';
import { deliveryId, webhookMatches } from './webhook-format';
import { compareStreamIds, nextStreamId, streamIdBefore } from '../core/stream-id';
import type { DeliveryLedger, LedgerEntry } from './webhook-ledger';

/** A delivery as queued: the payload plus when its retry horizon started. */
export interface QueuedDelivery extends WebhookDelivery {
  /** ms; the retry horizon counts from here. */
  startedAt: number;
  /** Sent again from the dead-letter list (its event may be below the mark). */
  replayed?: boolean;
}

/** What the reconciler needs of the webhook service. */
export interface ReconcilerHost {
  /** Configured webhooks by name. */
  hooks(): Map<string, WebhookConfig>;
  /** Adds one BullMQ job per delivery (job id = delivery id, so an existing job is kept). */
  addJobs(ds: QueuedDelivery[]): Promise<void>;
  /** Whether a job exists for each id (in any state). */
  jobsExist(ids: string[]): Promise<boolean[]>;
  /** Settles a delivery as dead: dead-letter list (with the payload when known), ledger, metric, log. */
  settleDead(d: Omit<WebhookDelivery, 'alert'> & { alert?: WebhookDelivery['alert'] }, error: string, attempts: number, lost: boolean): Promise<void>;
}

/** What one pass did (also logged when it did anything). */
export interface ReconcileReport {
  /** Another process held the lock. */
  skipped: boolean;
  /** The ledger had been lost (Redis lost its data, or the key was evicted) since the last pass. */
  ledgerLost: boolean;
  /** Deliveries re-created from the alert stream after a ledger loss. */
  rederived: number;
  /** Deliveries re-created from this process's memory after a ledger loss. */
  restored: number;
  /** Pending deliveries whose job was missing and was re-created. */
  recreated: number;
  /** Pending deliveries that could not be re-created (no payload anywhere): dead-lettered as lost. */
  lost: number;
  /** Pending deliveries (parked ones of disabled endpoints included). */
  pending: number;
  /** Settled entries removed below the mark. */
  pruned: number;
  mark?: string;
}

/** A pending delivery known by id only (no payload in memory). */
interface Ref {
  webhook: string;
  eventId: string;
  event: WebhookDelivery['event'];
  startedAt: number;
}

/**
 * Pending deliveries this process knows of: with their payload while fewer than `maxPayloads` are held (what it
 * queued itself, or re-created), else by id only. After a Redis data loss, deliveries held with their payload are
 * queued again; those known by id only are reported lost.
 */
export class PendingCache {
  private readonly items = new Map<string, QueuedDelivery | Ref>();
  private payloads = 0;

  constructor(private readonly maxPayloads: number) {}

  get size(): number {
    return this.items.size;
  }

  add(d: QueuedDelivery): void {
    const old = this.items.get(d.delivery);
    if (old && 'alert' in old) {
      this.items.set(d.delivery, d);
      return;
    }
    if (this.payloads < this.maxPayloads) {
      this.items.set(d.delivery, d);
      this.payloads++;
    } else if (!old) {
      this.items.set(d.delivery, { webhook: d.webhook, eventId: d.eventId, event: d.event, startedAt: d.startedAt });
    }
  }

  /** Remembers a pending delivery by id (kept as is when already known). */
  ref(id: string, e: LedgerEntry): void {
    if (!this.items.has(id)) {
      this.items.set(id, { webhook: e.w, eventId: e.e, event: e.k, startedAt: e.t });
    }
  }

  payload(id: string): QueuedDelivery | undefined {
    const v = this.items.get(id);
    return v && 'alert' in v ? v : undefined;
  }

  delete(id: string): void {
    const v = this.items.get(id);
    if (v && 'alert' in v) {
      this.payloads--;
    }
    this.items.delete(id);
  }

  entries(): Array<[string, QueuedDelivery | Ref]> {
    return [...this.items];
  }
}

/** Options of {@link DeliveryReconciler}. */
export interface ReconcilerOptions {
  /** The delivery consumer group on the alert stream. */
  group: string;
  /** Lock time of one pass, ms. @defaultValue 120000 */
  lockMs?: number;
  /** Payloads held in memory for recovery after a data loss. @defaultValue 10000 */
  maxCachedPayloads?: number;
  /**
   * A pending entry younger than this is not checked for its job (the consumer writes the entry just before it
   * adds the job). @defaultValue 10000
   */
  graceMs?: number;
}

const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * Keeps webhook delivery whole when Redis loses parts of its state. Each pass (under a lock, one process at a
 * time): (1) when the ledger's epoch changed (the ledger was lost) re-derives the deliveries of every event from the
 * mark to the consumer group's position from the alert stream, then queues again the pending deliveries this
 * process still holds in memory, and dead-letters as lost those it knows by id only; (2) re-creates the BullMQ job
 * of every pending delivery that has none (evicted, lost with a Redis restart, a job that failed by stalling);
 * (3) moves the mark up to the oldest unsettled event and prunes settled entries below it.
 */
export class DeliveryReconciler {
  /** Epoch of the ledger seen by the last pass. */
  private epoch?: string;
  /** Last mark seen (survives a Redis that lost its data: the consumer group is recreated from here). */
  lastMark?: string;
  readonly cache: PendingCache;
  private readonly lockMs: number;
  private readonly graceMs: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly ledger: DeliveryLedger,
    private readonly endpoints: EndpointStates,
    private readonly host: ReconcilerHost,
    private readonly log: Logger,
    private readonly options: ReconcilerOptions,
  ) {
    this.lockMs = options.lockMs ?? 120_000;
    this.graceMs = options.graceMs ?? 10_000;
    this.cache = new PendingCache(options.maxCachedPayloads ?? 10_000);
  }

  /**
   * Where the consumer group starts when it has to be created: just before the stored mark, else the last mark
   * this process saw (Redis lost its data: every event of the new stream is newer), else after the newest event
   * (first start: older events were never meant for these webhooks).
   */
  async groupStartId(): Promise<string> {
    const mark = (await this.ledger.mark()) ?? this.lastMark;
    if (mark) {
      return streamIdBefore(mark);
    }
    try {
      const info = (await this.redis.xinfo('STREAM', this.keys.alertEvents)) as unknown[];
      const i = info.indexOf('last-generated-id');
      return i >= 0 ? String(info[i + 1]) : '0-0';
    } catch {
      return '0-0';
    }
  }

  /** The consumer created the group at `startId`: the mark starts right after it unless one is stored. */
  async groupCreated(startId: string): Promise<void> {
    await this.ledger.setMark(nextStreamId(startId), true);
  }

  /** One pass; never throws for a lock held elsewhere (reported as skipped). */
  async run(now = Date.now()): Promise<ReconcileReport> {
    const report: ReconcileReport = { skipped: false, ledgerLost: false, rederived: 0, restored: 0, recreated: 0, lost: 0, pending: 0, pruned: 0 };
    const lockKey = this.keys.webhookLock('reconcile');
    const token = randomBytes(8).toString('hex');
    if ((await this.redis.set(lockKey, token, 'PX', this.lockMs, 'NX')) === null) {
      report.skipped = true;
      return report;
    }
    try {
      await this.pass(now, report);
    } finally {
      await this.redis.eval(RELEASE, 1, lockKey, token).catch(() => undefined);
    }
    if (report.ledgerLost || report.recreated > 0 || report.lost > 0) {
      const level = report.lost > 0 || report.ledgerLost ? 'error' : 'warn';
      this.log[level](
        { rederived: report.rederived, restored: report.restored, recreated: report.recreated, lost: report.lost, pending: report.pending },
        report.ledgerLost
          ? `webhook delivery state was LOST from Redis (no persistence, or evicted): ${report.rederived} deliveries re-derived from the alert stream, ${report.restored} restored from memory, ${report.lost} LOST (dead-lettered without their alert)`
          : `webhook deliveries whose queued job had disappeared: ${report.recreated} re-created, ${report.lost} lost`,
      );
    }
    return report;
  }

  private async pass(now: number, report: ReconcileReport): Promise<void> {
    const { epoch } = await this.ledger.epoch();
    report.ledgerLost = this.epoch !== undefined && epoch !== this.epoch;
    this.epoch = epoch;
    const group = await this.groupPosition();
    const mark = await this.ledger.mark();
    if (mark) {
      this.lastMark = mark;
    }
    const hooks = this.host.hooks();
    const disabled = await this.endpoints.all();
    if (report.ledgerLost) {
      const from = mark ?? this.lastMark;
      if (from && group) {
        report.rederived = await this.rederive(from, group.lastDelivered, hooks, disabled, now);
      }
      await this.restoreFromMemory(hooks, disabled, report);
    }

    let pendingMin: string | undefined;
    const settled: Array<[string, string]> = [];
    const pendingIds = new Set<string>();
    for await (const page of this.ledger.scan()) {
      const check: Array<[string, LedgerEntry]> = [];
      for (const [id, e] of page) {
        if (e.s !== 'pending') {
          settled.push([id, e.e]);
          continue;
        }
        report.pending++;
        pendingIds.add(id);
        this.cache.ref(id, e);
        if (pendingMin === undefined || compareStreamIds(e.e, pendingMin) < 0) {
          pendingMin = e.e;
        }
        if (!disabled.has(e.w) && now - e.t >= this.graceMs) {
          check.push([id, e]);
        }
      }
      await this.recreateMissing(check, hooks, report);
    }
    // Forget what is no longer pending (settled by another process); entries the consumer is adding right now may
    // not have been scanned yet.
    for (const [id, v] of this.cache.entries()) {
      if (!pendingIds.has(id) && now - v.startedAt >= this.graceMs) {
        this.cache.delete(id);
      }
    }

    if (group) {
      let next = nextStreamId(group.lastDelivered);
      for (const c of [group.pelMin, pendingMin]) {
        if (c !== undefined && compareStreamIds(c, next) < 0) {
          next = c;
        }
      }
      let current = mark;
      if (current === undefined || compareStreamIds(next, current) > 0) {
        await this.ledger.setMark(next);
        current = next;
      }
      this.lastMark = current;
      report.mark = current;
      const prune = settled.filter(([, e]) => compareStreamIds(e, current as string) < 0).map(([id]) => id);
      await this.ledger.remove(prune);
      report.pruned = prune.length;
    }
  }

  /** The consumer group's last delivered id and the oldest entry still unacknowledged; undefined without a group. */
  private async groupPosition(): Promise<{ lastDelivered: string; pelMin?: string } | undefined> {
    try {
      const groups = (await this.redis.xinfo('GROUPS', this.keys.alertEvents)) as unknown[][];
      const g = groups.find((row) => row[row.indexOf('name') + 1] === this.options.group);
      if (!g) {
        return undefined;
      }
      const lastDelivered = String(g[g.indexOf('last-delivered-id') + 1]);
      const pel = (await this.redis.xpending(this.keys.alertEvents, this.options.group)) as [number, string | null, string | null, unknown];
      return { lastDelivered, ...(Number(pel[0]) > 0 && pel[1] ? { pelMin: pel[1] } : {}) };
    } catch {
      return undefined;
    }
  }

  /** Deliveries of events [from, to] from the stream; ledger entries where missing and jobs. */
  private async rederive(from: string, to: string, hooks: Map<string, WebhookConfig>, disabled: Map<string, unknown>, now: number): Promise<number> {
    let n = 0;
    let start = from;
    for (;;) {
      if (compareStreamIds(start, to) > 0) {
        break;
      }
      const rows = await this.redis.xrange(this.keys.alertEvents, start, to, 'COUNT', 500);
      if (rows.length === 0) {
        break;
      }
      const ds: QueuedDelivery[] = [];
      for (const [id, fields] of rows) {
        let e: AlertEventEntry | undefined;
        try {
          e = parseEntry(id, fields);
        } catch {
          e = undefined;
        }
        if (e) {
          ds.push(...deliveriesOf(e, hooks, now));
        }
      }
      n += (await this.queue(ds, disabled, true)).created;
      start = nextStreamId(rows[rows.length - 1][0]);
    }
    return n;
  }

  /** After a ledger loss: what this process still holds in memory goes back in; what it knows by id only is lost. */
  private async restoreFromMemory(hooks: Map<string, WebhookConfig>, disabled: Map<string, unknown>, report: ReconcileReport): Promise<void> {
    const withPayload: QueuedDelivery[] = [];
    const idOnly: Array<[string, Ref]> = [];
    for (const [id, v] of this.cache.entries()) {
      if ('alert' in v) {
        withPayload.push(v);
      } else {
        idOnly.push([id, v]);
      }
    }
    report.restored = (await this.queue(withPayload.filter((d) => hooks.has(d.webhook)), disabled, true)).created;
    const unknown = await this.missingFromLedger(idOnly.map(([id]) => id));
    for (const [id, r] of idOnly) {
      if (unknown.has(id)) {
        await this.host.settleDead({ webhook: r.webhook, delivery: id, eventId: r.eventId, event: r.event }, 'lost: Redis lost the delivery and its alert event before it was sent', 0, true);
        this.cache.delete(id);
        report.lost++;
      }
    }
  }

  private async missingFromLedger(ids: string[]): Promise<Set<string>> {
    const vals = await this.ledger.getMany(ids);
    return new Set(ids.filter((_, i) => vals[i] === undefined));
  }

  /**
   * Claims ledger entries and adds jobs for those pending (not for disabled endpoints: they stay parked).
   * `created` = entries that did not exist.
   */
  async queue(ds: QueuedDelivery[], disabled: Map<string, unknown>, remember: boolean): Promise<{ created: number; queued: QueuedDelivery[] }> {
    if (ds.length === 0) {
      return { created: 0, queued: [] };
    }
    const states = await this.ledger.claim(ds.map((d) => [d.delivery, entryOf(d)]));
    let created = 0;
    const queued: QueuedDelivery[] = [];
    for (const d of ds) {
      const c = states.get(d.delivery);
      const s = c?.entry;
      if (c?.created) {
        created++;
      }
      if (s?.s !== 'pending') {
        continue;
      }
      const pending = { ...d, startedAt: s.t };
      if (remember) {
        this.cache.add(pending);
      }
      if (!disabled.has(d.webhook)) {
        queued.push(pending);
      }
    }
    await this.host.addJobs(queued);
    return { created, queued };
  }

  /**
   * Restarts the retry horizon of every pending delivery of one endpoint (it was just enabled) and queues those
   * without a job. Returns how many were queued.
   */
  async requeueEndpoint(webhook: string, now: number): Promise<number> {
    const mine: Array<[string, LedgerEntry]> = [];
    for await (const page of this.ledger.scan()) {
      for (const [id, e] of page) {
        if (e.s === 'pending' && e.w === webhook) {
          mine.push([id, { ...e, t: now }]);
        }
      }
    }
    for (const [id, e] of mine) {
      await this.ledger.set(id, e);
      const cached = this.cache.payload(id);
      if (cached) {
        this.cache.add({ ...cached, startedAt: now });
      }
    }
    const report = { recreated: 0, lost: 0 } as ReconcileReport;
    await this.recreateMissing(mine, this.host.hooks(), report);
    return report.recreated;
  }

  /** Re-creates the job of each pending entry that has none (payload from memory, else from the stream). */
  private async recreateMissing(check: Array<[string, LedgerEntry]>, hooks: Map<string, WebhookConfig>, report: ReconcileReport): Promise<void> {
    if (check.length === 0) {
      return;
    }
    const exists = await this.host.jobsExist(check.map(([id]) => id));
    const missing = check.filter((_, i) => !exists[i]);
    if (missing.length === 0) {
      return;
    }
    // A job can complete between the ledger read and the existence check: read the ledger again.
    const again = await this.ledger.getMany(missing.map(([id]) => id));
    const todo = missing.filter((_, i) => again[i]?.s === 'pending');
    const fromStream = await this.readEvents(todo.filter(([id]) => !this.cache.payload(id)).map(([, e]) => e.e));
    const jobs: QueuedDelivery[] = [];
    for (const [id, e] of todo) {
      const hook = hooks.get(e.w);
      const cached = this.cache.payload(id);
      const ev = fromStream.get(e.e);
      const d: QueuedDelivery | undefined = cached ?? (ev ? { webhook: e.w, delivery: id, eventId: e.e, event: ev.event, alert: ev.alert, startedAt: e.t } : undefined);
      if (!hook) {
        await this.host.settleDead(d ?? { webhook: e.w, delivery: id, eventId: e.e, event: e.k }, 'webhook is no longer configured', 0, false);
        this.cache.delete(id);
        continue;
      }
      if (!d) {
        await this.host.settleDead({ webhook: e.w, delivery: id, eventId: e.e, event: e.k }, 'lost: its queued job and its alert event are gone from Redis', 0, true);
        this.cache.delete(id);
        report.lost++;
        continue;
      }
      jobs.push({ ...d, startedAt: e.t });
      this.cache.add({ ...d, startedAt: e.t });
    }
    await this.host.addJobs(jobs);
    report.recreated += jobs.length;
  }

  private async readEvents(ids: string[]): Promise<Map<string, AlertEventEntry>> {
    const out = new Map<string, AlertEventEntry>();
    const uniq = [...new Set(ids)];
    for (let i = 0; i < uniq.length; i += 500) {
      const m = this.redis.pipeline();
      const part = uniq.slice(i, i + 500);
      for (const id of part) {
        m.xrange(this.keys.alertEvents, id, id);
      }
      const res = (await m.exec()) ?? [];
      res.forEach(([err, rows], k) => {
        const row = !err ? (rows as Array<[string, string[]]>)[0] : undefined;
        if (row) {
          try {
            const e = parseEntry(row[0], row[1]);
            if (e) {
              out.set(part[k], e);
            }
          } catch {
            // a damaged entry cannot be sent
          }
        }
      });
    }
    return out;
  }
}

/** The ledger entry of a queued delivery. */
export function entryOf(d: QueuedDelivery): LedgerEntry {
  return { s: 'pending', w: d.webhook, e: d.eventId, k: d.event, t: d.startedAt };
}

/** The deliveries of one alert event: one per configured webhook whose filters match. */
export function deliveriesOf(e: AlertEventEntry, hooks: Map<string, WebhookConfig>, now: number): QueuedDelivery[] {
  const out: QueuedDelivery[] = [];
  for (const [name, hook] of hooks) {
    if (webhookMatches(hook, e.event, e.alert)) {
      out.push({ webhook: name, delivery: deliveryId(e.id, name), eventId: e.id, event: e.event, alert: e.alert, startedAt: now });
    }
  }
  return out;
}
