import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Keys } from '../core/keys';
import type { AlertEventKind } from '../core/types';

/** Where a delivery stands. `pending` covers queued, retrying and parked (endpoint disabled). */
export type LedgerState = 'pending' | 'delivered' | 'dead';

/** One ledger entry (hash field = delivery id). Short field names: there is one per (event, webhook). */
export interface LedgerEntry {
  s: LedgerState;
  /** Webhook name. */
  w: string;
  /** Alert event (stream) id. */
  e: string;
  /** Event kind. */
  k: AlertEventKind;
  /** When the retry horizon started, ms (enqueue time, or when the endpoint was re-enabled). */
  t: number;
}

/** Hash field holding the ledger's epoch (a random id written when the hash is created). */
const EPOCH_FIELD = '~epoch';
const STATES: ReadonlySet<string> = new Set(['pending', 'delivered', 'dead']);
const KINDS: ReadonlySet<string> = new Set(['start', 'update', 'end']);

/** Parses a stored entry; undefined when damaged. */
export function parseLedgerEntry(raw: string | null | undefined): LedgerEntry | undefined {
  if (!raw) {
    return undefined;
  }
  try {
    const v = JSON.parse(raw) as Partial<LedgerEntry>;
    if (STATES.has(String(v.s)) && typeof v.w === 'string' && typeof v.e === 'string' && KINDS.has(String(v.k)) && typeof v.t === 'number') {
      return v as LedgerEntry;
    }
  } catch {
    // fall through
  }
  return undefined;
}

/**
 * The webhook delivery ledger in Redis: one entry per (alert event, webhook), written before the BullMQ job is
 * added and updated by the worker, so a job can be lost (evicted, Redis restarted without persistence) without
 * losing the delivery, and a delivery that is already settled is never sent again (the worker checks the ledger
 * before every attempt). The mark (`keys.webhookMark`) is the event id below which every delivery is settled;
 * settled entries below it are pruned. The epoch field tells a ledger that was lost and recreated.
 */
export class DeliveryLedger {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /**
   * Writes `pending` entries where none exists and answers the state of each (new, or as already stored).
   * Damaged entries count as missing and are overwritten.
   */
  async claim(entries: Array<[id: string, entry: LedgerEntry]>): Promise<Map<string, { entry: LedgerEntry; created: boolean }>> {
    const out = new Map<string, { entry: LedgerEntry; created: boolean }>();
    if (entries.length === 0) {
      return out;
    }
    const m = this.redis.multi();
    for (const [id, e] of entries) {
      m.hsetnx(this.keys.webhookLedger, id, JSON.stringify(e));
      m.hget(this.keys.webhookLedger, id);
    }
    const res = (await m.exec()) ?? [];
    const fix = this.redis.multi();
    let damaged = 0;
    entries.forEach(([id, e], i) => {
      const [, set] = res[2 * i] ?? [];
      const [err, raw] = res[2 * i + 1] ?? [];
      const stored = err ? undefined : parseLedgerEntry(raw as string | null);
      if (!stored) {
        fix.hset(this.keys.webhookLedger, id, JSON.stringify(e));
        damaged++;
      }
      out.set(id, { entry: stored ?? e, created: Number(set) === 1 || !stored });
    });
    if (damaged > 0) {
      await fix.exec();
    }
    return out;
  }

  async get(id: string): Promise<LedgerEntry | undefined> {
    return parseLedgerEntry(await this.redis.hget(this.keys.webhookLedger, id));
  }

  /** Entries of these ids (undefined where missing or damaged). */
  async getMany(ids: string[]): Promise<Array<LedgerEntry | undefined>> {
    const out: Array<LedgerEntry | undefined> = [];
    for (let i = 0; i < ids.length; i += 1000) {
      const vals = await this.redis.hmget(this.keys.webhookLedger, ...ids.slice(i, i + 1000));
      out.push(...vals.map((v) => parseLedgerEntry(v)));
    }
    return out;
  }

  async set(id: string, entry: LedgerEntry): Promise<void> {
    await this.redis.hset(this.keys.webhookLedger, id, JSON.stringify(entry));
  }

  /** Every entry, in pages (HSCAN: entries changed during the scan may be seen in either state). */
  async *scan(count = 1000): AsyncGenerator<Array<[string, LedgerEntry]>> {
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(this.keys.webhookLedger, cursor, 'COUNT', count);
      cursor = next;
      const page: Array<[string, LedgerEntry]> = [];
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const e = flat[i] === EPOCH_FIELD ? undefined : parseLedgerEntry(flat[i + 1]);
        if (e) {
          page.push([flat[i], e]);
        }
      }
      if (page.length > 0) {
        yield page;
      }
    } while (cursor !== '0');
  }

  /** Removes entries (settled ones below the mark). */
  async remove(ids: string[]): Promise<void> {
    for (let i = 0; i < ids.length; i += 1000) {
      await this.redis.hdel(this.keys.webhookLedger, ...ids.slice(i, i + 1000));
    }
  }

  /** The ledger's epoch; written (random) when missing. `created` = this call wrote it. */
  async epoch(): Promise<{ epoch: string; created: boolean }> {
    const fresh = randomBytes(8).toString('hex');
    const [[, created], [, epoch]] = ((await this.redis.multi().hsetnx(this.keys.webhookLedger, EPOCH_FIELD, fresh).hget(this.keys.webhookLedger, EPOCH_FIELD).exec()) ?? []) as Array<[unknown, unknown]>;
    return { epoch: String(epoch ?? fresh), created: Number(created) === 1 };
  }

  async mark(): Promise<string | undefined> {
    return (await this.redis.get(this.keys.webhookMark)) ?? undefined;
  }

  /** Sets the mark; `ifMissing` only when none is stored. */
  async setMark(id: string, ifMissing = false): Promise<void> {
    if (ifMissing) {
      await this.redis.set(this.keys.webhookMark, id, 'NX');
    } else {
      await this.redis.set(this.keys.webhookMark, id);
    }
  }
}
