/**
 * A small cache of serialized answers for the expensive read routes (GET /api/alerts, frame.jpg), so that many
 * clients asking the same thing at once cost one computation: concurrent misses for one key share a single
 * computation (single flight), and an entry is reused while its `stamp` (what the answer depends on: the newest
 * alert event id and the acknowledgement counter, or the newest detection of a camera) is unchanged and it is
 * younger than `maxAgeMs`. Bounded in entries and bytes (least recently used dropped first).
 */
export interface AnswerCacheOptions {
  /** @defaultValue 64 */
  maxEntries?: number;
  /** @defaultValue 64 MiB */
  maxBytes?: number;
  /** An entry older than this is recomputed even when its stamp is unchanged (retention, expiry). @defaultValue 5000 */
  maxAgeMs?: number;
  /**
   * An entry younger than this is served without asking for the current stamp at all (so a burst of identical
   * requests costs no Redis round trip each); answers are then at most this stale. @defaultValue 0
   */
  freshMs?: number;
}

interface Entry {
  stamp: string;
  body: Buffer;
  at: number;
}

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  private readonly flights = new Map<string, { stamp: string; promise: Promise<Buffer> }>();
  private bytes = 0;
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private readonly freshMs: number;

  constructor(options: AnswerCacheOptions = {}, private readonly now: () => number = Date.now) {
    this.maxEntries = options.maxEntries ?? 64;
    this.maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.maxAgeMs = options.maxAgeMs ?? 5000;
    this.freshMs = options.freshMs ?? 0;
  }

  /**
   * The answer for `key` at the current stamp: cached, joined to a computation under way, or computed by `compute`.
   * `stamp` is a value or a function reading it (only called when the entry is older than `freshMs`).
   */
  async get(key: string, stampOf: string | (() => Promise<string>), compute: () => Promise<Buffer>): Promise<Buffer> {
    const fresh = this.entries.get(key);
    if (fresh && this.now() - fresh.at < this.freshMs) {
      return fresh.body;
    }
    const stamp = typeof stampOf === 'string' ? stampOf : await stampOf();
    const e = this.entries.get(key);
    if (e && e.stamp === stamp && this.now() - e.at <= this.maxAgeMs) {
      this.entries.delete(key);
      this.entries.set(key, e);
      return e.body;
    }
    const f = this.flights.get(key);
    if (f && f.stamp === stamp) {
      return f.promise;
    }
    const promise = compute().then(
      (body) => {
        if (this.flights.get(key)?.promise === promise) {
          this.flights.delete(key);
        }
        this.put(key, { stamp, body, at: this.now() });
        return body;
      },
      (err: unknown) => {
        if (this.flights.get(key)?.promise === promise) {
          this.flights.delete(key);
        }
        throw err;
      },
    );
    this.flights.set(key, { stamp, promise });
    return promise;
  }

  private put(key: string, e: Entry): void {
    const old = this.entries.get(key);
    if (old) {
      this.bytes -= old.body.length;
      this.entries.delete(key);
    }
    if (e.body.length > this.maxBytes) {
      return;
    }
    this.entries.set(key, e);
    this.bytes += e.body.length;
    while (this.entries.size > this.maxEntries || this.bytes > this.maxBytes) {
      const [k, v] = this.entries.entries().next().value as [string, Entry];
      this.entries.delete(k);
      this.bytes -= v.body.length;
    }
  }

  /** Entries held (tests). */
  get size(): number {
    return this.entries.size;
  }
}
