/**
 * Pure: failed-authentication rate limiting per remote address (a token bucket of failures). An address may fail
 * `burst` times at once and earns failures back at `perMinute`; while its bucket is empty every request from it that
 * needs a token is answered 429 without the token being looked at, so guessing is slowed to `perMinute`. Successful
 * requests cost nothing. The table of addresses is bounded (least recently seen dropped first).
 */

/** Settings, read at each use so that a reload applies at once. */
export interface AuthLimits {
  burst: number;
  perMinute: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Failed-auth limiter; `now` is injectable for tests. */
export class AuthFailureLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: () => AuthLimits,
    private readonly now: () => number = Date.now,
    private readonly maxAddresses = 10_000,
  ) {}

  private refill(addr: string): Bucket | undefined {
    const b = this.buckets.get(addr);
    if (!b) {
      return undefined;
    }
    const { burst, perMinute } = this.limits();
    const t = this.now();
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 60_000) * perMinute);
    b.at = t;
    if (b.tokens >= burst) {
      this.buckets.delete(addr);
      return undefined;
    }
    return b;
  }

  /** Seconds until `addr` may try again (0 = not blocked). */
  retryAfter(addr: string): number {
    const b = this.refill(addr);
    if (!b || b.tokens >= 1) {
      return 0;
    }
    return Math.max(1, Math.ceil(((1 - b.tokens) * 60) / this.limits().perMinute));
  }

  /** Records one failed authentication; true when it used the address's last allowed failure (it is now blocked). */
  fail(addr: string): boolean {
    const b = this.refill(addr) ?? { tokens: this.limits().burst, at: this.now() };
    b.tokens -= 1;
    this.buckets.delete(addr);
    this.buckets.set(addr, b);
    if (this.buckets.size > this.maxAddresses) {
      this.buckets.delete(this.buckets.keys().next().value as string);
    }
    return b.tokens < 1;
  }

  /** Addresses currently tracked (metrics, tests). */
  get size(): number {
    return this.buckets.size;
  }
}
