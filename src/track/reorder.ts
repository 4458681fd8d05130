/** Options of {@link ReorderBuffer}. */
export interface ReorderOptions {
  /** Frames held while waiting for a missing seq; more pending than this and the gap is skipped. @defaultValue 4 */
  window?: number;
  /** A gap older than this (ms since its first pending frame arrived) is skipped. @defaultValue 500 */
  maxWaitMs?: number;
  /**
   * A seq this far behind the last one released is a restarted sequence (another ingest owner, a clock step), not
   * a late frame: the buffer restarts from it. @defaultValue 1000
   */
  restartGap?: number;
}

/**
 * Restores capture order (by `seq`) of results that parallel workers finish out of order. Items come out strictly
 * increasing in seq; an item older than the last one released is late: dropped and counted. Gaps (frames dropped
 * upstream) are waited for at most `window` frames or `maxWaitMs`.
 */
export class ReorderBuffer<T extends { seq: number }> {
  private readonly window: number;
  private readonly maxWaitMs: number;
  private readonly restartGap: number;
  private readonly pending = new Map<number, { item: T; at: number }>();
  private last = -Infinity;
  /** Items dropped because they arrived after a later seq was released. */
  late = 0;

  constructor(options: ReorderOptions = {}) {
    this.window = Math.max(0, options.window ?? 4);
    this.maxWaitMs = Math.max(0, options.maxWaitMs ?? 500);
    this.restartGap = Math.max(1, options.restartGap ?? 1000);
  }

  /** The last released seq (-Infinity before the first). */
  get lastSeq(): number {
    return this.last;
  }

  /** Resumes after `seq` (failover: frames up to it were processed by the previous owner). */
  resumeAfter(seq: number): void {
    this.last = seq;
  }

  /** The items held (waiting for a gap), in no particular order. */
  held(): T[] {
    return [...this.pending.values()].map((p) => p.item);
  }

  /** Number of items held. */
  get size(): number {
    return this.pending.size;
  }

  /** Adds an item (arrived at `now`, ms) and returns the items now ready, in order. */
  push(item: T, now: number): T[] {
    if (item.seq <= this.last - this.restartGap) {
      const held = this.flush();
      this.last = item.seq - 1;
      this.pending.set(item.seq, { item, at: now });
      return [...held, ...this.release(now)];
    }
    if (item.seq <= this.last || this.pending.has(item.seq)) {
      this.late++;
      return [];
    }
    this.pending.set(item.seq, { item, at: now });
    return this.release(now);
  }

  /** Releases what waited too long (call from a timer). */
  poll(now: number): T[] {
    return this.release(now);
  }

  /** Releases everything held, in order (on close). */
  flush(): T[] {
    const out = [...this.pending.values()].map((p) => p.item).sort((a, b) => a.seq - b.seq);
    this.pending.clear();
    if (out.length) {
      this.last = out[out.length - 1].seq;
    }
    return out;
  }

  private release(now: number): T[] {
    const out: T[] = [];
    for (;;) {
      if (this.pending.size === 0) {
        break;
      }
      const next = this.last + 1;
      const hit = Number.isFinite(this.last) ? this.pending.get(next) : undefined;
      if (hit) {
        this.pending.delete(next);
        this.last = next;
        out.push(hit.item);
        continue;
      }
      // A gap (or the very first item): skip it when the window is full or the oldest waiter is too old.
      let min = Infinity;
      let oldest = Infinity;
      for (const [seq, p] of this.pending) {
        min = Math.min(min, seq);
        oldest = Math.min(oldest, p.at);
      }
      const first = !Number.isFinite(this.last);
      if (this.pending.size > this.window || now - oldest >= this.maxWaitMs || (first && this.window === 0)) {
        const p = this.pending.get(min)!;
        this.pending.delete(min);
        this.last = min;
        out.push(p.item);
        continue;
      }
      break;
    }
    return out;
  }
}
