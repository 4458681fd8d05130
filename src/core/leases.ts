/**
 * Camera leases: one owner per camera and stage, always.
 *
 * A process holds each lease it works under as a Redis key (value: its instance id, with a TTL). The
 * {@link LeaseKeeper} renews all of a process's leases and tries to take the ones it wants in ONE script call per
 * round, on a connection of its own that never queues commands while Redis is away, from a loop that cannot overlap
 * itself (the next round is scheduled when the previous one ends). Rounds run every `ttl / 3`, so two rounds can
 * be late before a lease is at risk; how late each round starts is a metric.
 *
 * What a stage sees, per lease ({@link LeaseHandlers}):
 * - `acquired`: it holds the lease now. `continued` says nobody else held it since this instance last did, so a
 *   suspended worker's memory is still right and it may simply carry on.
 * - `suspended`: the hold could not be confirmed before its deadline (the renewal came too late: Redis away, event
 *   loop stalled). Another process may take the camera from now on, so the stage stops side effects (writes) at
 *   once but keeps its worker, because the most likely outcome is that this process gets the lease back.
 * - `lost`: another owner holds it, or the stage let it go. The stage stops its worker; the keeper does not try to
 *   take the lease again until that stop has finished. This is what keeps a returning Redis from ever yielding two
 *   FFmpeg processes or two trackers for one camera.
 *
 * The deadline is measured from when the confirming round was SENT, on this process's monotonic clock, minus a
 * margin: Redis extended the key no earlier than that, so until the deadline nobody else can hold it.
 *
 * A second key per lease (`…:meta`: holder, epoch) tells a returning holder whether anyone else held the lease in
 * between (`continued`), and counts holders (the epoch; a fencing token for writes that must not come from a
 * previous owner).
 *
 * Over 350 lines on purpose: LeaseKeeper's rounds, deadlines and per-lease states are one mechanism that must be
 * read together; a held lease as a stage sees it is LeaseClaim, and the renewal thread that survives a stalled main
 * thread is lease-renewer.ts.
 */
import type Redis from 'ioredis';
import type { Registry } from 'prom-client';
import { leaseMetrics } from './metrics';
import type { Logger } from './logger';
import { nowMs, type LeaseRenewer } from './lease-renewer';

/** Why a lease is no longer held. */
export type LeaseLossReason = 'taken' | 'released' | 'closing';

/** What the keeper tells a stage about one lease. Callbacks of one lease never run concurrently. */
export interface LeaseHandlers {
  /** The lease is held now. With `continued`, nobody else held it since this instance last did. */
  acquired(info: { continued: boolean; epoch: number }): Promise<void> | void;
  /** The hold is unconfirmed past its deadline: stop side effects until `acquired` or `lost`. Synchronous. */
  suspended?(): void;
  /** The lease is gone (another owner, released, closing): stop the work; resolve when stopped. */
  lost(reason: LeaseLossReason, detail: string): Promise<void> | void;
}

/** Settings of a {@link LeaseKeeper}. */
export interface LeaseKeeperOptions {
  /** Lease time to live (ms). A dead owner's leases move within about ttl + ttl/3. */
  ttlMs: number;
  /** Interval of rounds while something is held or wanted. @defaultValue ttlMs / 3 */
  roundMs?: number;
  /** Interval of rounds while a wanted lease is held elsewhere (standby). @defaultValue 500 */
  standbyRoundMs?: number;
  /** A hold counts as confirmed until sentAt + ttl - margin. @defaultValue min(ttl / 10, 500) */
  marginMs?: number;
  log?: Logger;
  metrics?: Registry;
  /** Clock (tests). @defaultValue wall-clock ms with sub-ms resolution, the same in every thread (nowMs) */
  now?: () => number;
  /**
   * Renews held leases from a thread of its own (see lease-renewer.ts), so a stalled main thread never lets them
   * expire. Without it the rounds here are the only renewals.
   */
  renewer?: LeaseRenewer;
}

type State = 'idle' | 'held' | 'suspended';

/** One wanted lease. */
export class LeaseClaim {
  /** @internal */ state: State = 'idle';
  /** @internal hold confirmed until (monotonic ms) */ deadline = 0;
  /** @internal callbacks running */ busy: Promise<void> | undefined;
  /** @internal */ wanted = true;
  /** Fencing token of the current hold (0 when not held). */
  epoch = 0;

  constructor(
    readonly stage: string,
    readonly resource: string,
    readonly key: string,
    readonly metaKey: string,
    /** @internal */ readonly handlers: LeaseHandlers,
    private readonly keeper: LeaseKeeper,
  ) {}

  /** True while the hold is confirmed: side effects (writes) are allowed. */
  get valid(): boolean {
    return this.state === 'held' && this.keeper.clock() < this.keeper.deadlineOf(this);
  }

  /** Stops wanting the lease: the worker is stopped (`lost('released')`), then the key is deleted. */
  release(): Promise<void> {
    return this.keeper.release(this);
  }

  /**
   * Runs `fn` between the lease's callbacks (never at the same time as one), only while the lease is held or
   * suspended: a stage restarts its worker for a changed camera this way without racing a takeover.
   */
  exclusive(fn: () => Promise<void> | void): Promise<void> {
    return this.keeper.serialIfHeld(this, fn);
  }
}

/*
 * One round. KEYS: n lease keys, then their n meta keys. ARGV: owner, ttl ms, meta ttl s.
 * Per lease: {1, epoch, ''} renewed (held by owner); {2, epoch, '1'|'0'} taken now (continued or not);
 * {3, 0, otherOwner} held by someone else.
 */
const ROUND = `
local owner, ttl, metaTtl = ARGV[1], ARGV[2], tonumber(ARGV[3])
local n = #KEYS / 2
local out = {}
for i = 1, n do
  local k, meta = KEYS[i], KEYS[n + i]
  local cur = redis.call('GET', k)
  if cur == owner then
    redis.call('PEXPIRE', k, ttl)
    out[i] = {1, tonumber(redis.call('HGET', meta, 'epoch') or '0'), ''}
  elseif not cur then
    redis.call('SET', k, owner, 'PX', ttl)
    local holder = redis.call('HGET', meta, 'holder')
    local epoch = tonumber(redis.call('HGET', meta, 'epoch') or '0')
    local continued = '1'
    if holder ~= owner then
      epoch = redis.call('HINCRBY', meta, 'epoch', 1)
      redis.call('HSET', meta, 'holder', owner)
      continued = '0'
    end
    redis.call('EXPIRE', meta, metaTtl)
    out[i] = {2, epoch, continued}
  else
    out[i] = {3, 0, cur}
  end
end
return out
`;
const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;
/** Meta keys outlive any outage worth resuming from. */
const META_TTL_S = 7 * 86_400;

/**
 * Holds this process's leases (see the module comment). Stages `claim` what they want; the keeper calls their
 * handlers. One keeper per process, on a connection of its own.
 */
export class LeaseKeeper {
  private readonly claims = new Map<string, LeaseClaim>();
  private timer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private nextAt = 0;
  /** The last round failed: the next one comes soon, not a whole interval later. */
  private failed = false;
  /** The round command still waiting for Redis's answer, if any. */
  private pending: Promise<unknown> | undefined;
  readonly clock: () => number;
  private readonly m: Partial<ReturnType<typeof leaseMetrics>>;

  constructor(
    private readonly redis: Redis,
    readonly owner: string,
    private readonly options: LeaseKeeperOptions,
  ) {
    if (!(options.ttlMs >= 100)) {
      throw new TypeError(`lease ttl must be at least 100 ms (got ${options.ttlMs})`);
    }
    this.clock = options.now ?? nowMs;
    this.m = options.metrics ? leaseMetrics(options.metrics) : {};
  }

  private get roundMs(): number {
    return this.options.roundMs ?? Math.max(50, Math.floor(this.options.ttlMs / 3));
  }

  private get marginMs(): number {
    return this.options.marginMs ?? Math.min(this.options.ttlMs / 10, 500);
  }

  /**
   * Wants the lease of `resource` for `stage` under `key` (meta key `key:meta`). The handlers run as the lease comes
   * and goes. Claiming the same stage/resource twice returns the existing claim.
   */
  claim(stage: string, resource: string, key: string, handlers: LeaseHandlers): LeaseClaim {
    const id = `${stage}\u0000${resource}`;
    const existing = this.claims.get(id);
    if (existing) {
      existing.wanted = true;
      return existing;
    }
    const c = new LeaseClaim(stage, resource, key, `${key}:meta`, handlers, this);
    this.claims.set(id, c);
    this.schedule(0);
    return c;
  }

  /** @internal The hold's deadline: from this thread's rounds or the renewal thread's, whichever is later. */
  deadlineOf(c: LeaseClaim): number {
    const r = this.options.renewer?.renewedAt(c.key) ?? 0;
    return Math.max(c.deadline, r > 0 ? r + this.options.ttlMs - this.marginMs : 0);
  }

  /** The claim of a stage's resource, if any. */
  get(stage: string, resource: string): LeaseClaim | undefined {
    return this.claims.get(`${stage}\u0000${resource}`);
  }

  /** @internal see {@link LeaseClaim.release} */
  async release(c: LeaseClaim): Promise<void> {
    c.wanted = false;
    await this.serial(c, async () => {
      if (c.state !== 'idle') {
        this.setState(c, 'idle');
        await c.handlers.lost('released', 'released by this process');
      }
    });
    // A round in flight may have taken the key for this claim just now: wait for it, then delete if still ours.
    await this.running?.catch(() => undefined);
    if (!c.wanted) {
      this.claims.delete(`${c.stage}\u0000${c.resource}`);
      if (this.redis.status === 'ready') {
        await this.redis.eval(RELEASE, 1, c.key, this.owner).catch(() => undefined);
      }
    }
  }

  /** Runs one round now (tests, and stages that want a quick answer after claiming). */
  async round(): Promise<void> {
    if (this.running) {
      return this.running;
    }
    this.running = this.doRound().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Resolves when the callbacks started so far for a stage's claims (all stages: no argument) have finished. */
  async settled(stage?: string): Promise<void> {
    await Promise.all([...this.claims.values()].filter((c) => stage === undefined || c.stage === stage).map((c) => c.busy));
  }

  /** Stops renewing: every claim is released (workers stopped first), then the keys are deleted. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    if (this.timer) {
      clearTimeout(this.timer);
    }
    if (this.expiryTimer) {
      clearTimeout(this.expiryTimer);
    }
    await this.running?.catch(() => undefined);
    await Promise.allSettled([...this.claims.values()].map((c) => this.release(c)));
    await this.options.renewer?.close();
  }

  /** Stops renewing without releasing anything, as a killed process would (tests of takeover). */
  abort(): void {
    this.closed = true;
    this.options.renewer?.abort();
    if (this.timer) {
      clearTimeout(this.timer);
    }
    if (this.expiryTimer) {
      clearTimeout(this.expiryTimer);
    }
  }

  /**
   * Rounds run every `roundMs`; sooner after a failed round (100 ms) and while a wanted lease is free to take or
   * held elsewhere (at most 500 ms: a standby takes a dead owner's camera soon after its lease expires).
   */
  private nextDelay(): number {
    if (this.failed) {
      return Math.min(this.roundMs, 100);
    }
    const standby = [...this.claims.values()].some((c) => c.wanted && c.state === 'idle');
    return standby ? Math.min(this.roundMs, this.options.standbyRoundMs ?? 500) : this.roundMs;
  }

  private schedule(delay: number): void {
    if (this.closed) {
      return;
    }
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.nextAt = this.clock() + delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const late = Math.max(0, this.clock() - this.nextAt);
      this.m.late?.observe(late / 1000);
      void this.round().finally(() => this.schedule(this.nextDelay()));
    }, delay);
    this.timer.unref?.();
  }

  private async doRound(): Promise<void> {
    this.expire();
    // Held and suspended leases are renewed; idle ones are tried unless their previous worker is still stopping.
    const list = [...this.claims.values()].filter((c) => c.wanted && (c.state !== 'idle' || !c.busy));
    if (list.length === 0 || this.closed) {
      return;
    }
    if (this.redis.status !== 'ready') {
      await this.connected();
    }
    if (this.pending) {
      // The previous round's command is still unanswered (a hung Redis): never a second one beside it.
      this.failed = true;
      this.expire();
      return;
    }
    const sentAt = this.clock();
    let res: Array<[number, number, string]>;
    try {
      res = await this.answered(
        this.track(this.redis.eval(
          ROUND,
          list.length * 2,
          ...list.map((c) => c.key),
          ...list.map((c) => c.metaKey),
          this.owner,
          String(this.options.ttlMs),
          String(META_TTL_S),
        ) as Promise<Array<[number, number, string]>>),
      );
    } catch (err) {
      this.options.log?.debug({ err: (err as Error).message }, 'lease round failed');
      this.failed = true;
      this.expire();
      return;
    }
    this.failed = false;
    this.m.round?.observe((this.clock() - sentAt) / 1000);
    const deadline = sentAt + this.options.ttlMs - this.marginMs;
    list.forEach((c, i) => {
      const [status, epoch, extra] = res[i] ?? [0, 0, ''];
      if (status === 1 || status === 2) {
        this.onHeld(c, deadline, Number(epoch), status === 1 || extra === '1');
      } else if (status === 3) {
        this.onTaken(c, String(extra));
      }
    });
    this.expire();
  }

  /** Arms a timer at the earliest deadline of a held lease, so a missing confirmation suspends it on time. */
  private armExpiry(): void {
    if (this.expiryTimer) {
      clearTimeout(this.expiryTimer);
      this.expiryTimer = undefined;
    }
    if (this.closed) {
      return;
    }
    let first = Infinity;
    for (const c of this.claims.values()) {
      if (c.state === 'held') {
        first = Math.min(first, this.deadlineOf(c));
      }
    }
    if (first === Infinity) {
      return;
    }
    this.expiryTimer = setTimeout(() => {
      this.expiryTimer = undefined;
      this.expire();
    }, Math.max(0, first - this.clock()) + 1);
    this.expiryTimer.unref?.();
  }

  /** Remembers the command in flight until it settles. */
  private track<T>(p: Promise<T>): Promise<T> {
    this.pending = p;
    const clear = () => {
      if (this.pending === p) {
        this.pending = undefined;
      }
    };
    p.then(clear, clear);
    return p;
  }

  /**
   * The round's answer, or a timeout after one round interval (a hung Redis must not hang the loop). The timeout only
   * counts time this process could have read the answer in: when the event loop was stalled, the answer may be
   * waiting in the socket, so I/O is polled once more before giving up.
   */
  private answered<T>(p: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      p.then(
        (v) => {
          settled = true;
          clearTimeout(t);
          resolve(v);
        },
        (err: unknown) => {
          settled = true;
          clearTimeout(t);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
      const t = setTimeout(() => {
        // Timers run before I/O: let the poll phase read what arrived during a stall, then decide.
        setImmediate(() => {
          if (!settled) {
            reject(new Error('lease round timed out'));
          }
        });
      }, this.roundMs);
      t.unref?.();
    });
  }

  /** Waits (at most one round interval) for the connection to be ready: commands are not queued while it is not. */
  private connected(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        this.redis.off('ready', done);
        resolve();
      };
      const t = setTimeout(done, this.roundMs);
      this.redis.once('ready', done);
    });
  }

  /** Suspends every held lease whose deadline passed without a confirming round. */
  private expire(): void {
    const now = this.clock();
    try {
      this.expireAt(now);
    } finally {
      this.armExpiry();
    }
  }

  private expireAt(now: number): void {
    for (const c of this.claims.values()) {
      if (c.state === 'held' && now >= this.deadlineOf(c)) {
        this.setState(c, 'suspended');
        this.m.lost?.inc({ stage: c.stage, reason: 'late' });
        this.options.log?.warn(
          { stage: c.stage, camera: c.resource, lateMs: Math.round(now - c.deadline) },
          'lease renewal came too late: work paused until the lease is confirmed (no other process seen)',
        );
        try {
          c.handlers.suspended?.();
        } catch (err) {
          this.options.log?.error({ err, stage: c.stage, camera: c.resource }, 'lease suspend handler failed');
        }
      }
    }
  }

  private onHeld(c: LeaseClaim, deadline: number, epoch: number, continued: boolean): void {
    if (!c.wanted) {
      return;
    }
    const prev = c.state;
    c.deadline = Math.max(c.deadline, deadline);
    if (prev === 'held' && epoch === c.epoch) {
      return;
    }
    c.epoch = epoch;
    this.setState(c, 'held');
    if (prev === 'suspended' && continued) {
      this.options.log?.info({ stage: c.stage, camera: c.resource }, 'lease confirmed again: work resumes');
      void this.serial(c, () => c.handlers.acquired({ continued: true, epoch }));
      return;
    }
    void this.serial(c, async () => {
      if (prev !== 'idle') {
        // Someone else held it while we were suspended: our worker's memory is stale. Stop it, start afresh.
        this.options.log?.warn({ stage: c.stage, camera: c.resource }, 'lease was held by another process meanwhile: restarting the worker');
        await c.handlers.lost('taken', 'held by another process while this one was suspended');
      }
      await c.handlers.acquired({ continued, epoch });
    });
  }

  private onTaken(c: LeaseClaim, other: string): void {
    if (c.state === 'idle') {
      return; // a standby: someone else owns it, as expected
    }
    this.setState(c, 'idle');
    this.m.lost?.inc({ stage: c.stage, reason: 'taken' });
    this.options.log?.warn({ stage: c.stage, camera: c.resource, owner: other }, 'lease lost: another process owns the camera now; stopping the worker');
    void this.serial(c, () => c.handlers.lost('taken', `owned by ${other}`));
  }

  private setState(c: LeaseClaim, s: State): void {
    if (s !== 'held') {
      c.epoch = s === 'idle' ? 0 : c.epoch;
    }
    c.state = s;
    // The renewal thread extends held and suspended leases (a suspended one may still be ours); never idle ones.
    if (s === 'idle') {
      this.options.renewer?.untrack(c.key);
    } else {
      this.options.renewer?.track(c.key);
    }
    this.m.held?.set({ stage: c.stage }, [...this.claims.values()].filter((x) => x.stage === c.stage && x.state === 'held').length);
  }

  /** @internal see {@link LeaseClaim.exclusive} */
  serialIfHeld(c: LeaseClaim, fn: () => Promise<void> | void): Promise<void> {
    return this.serial(c, () => (c.state === 'idle' ? undefined : fn()));
  }

  /** Runs a claim's callbacks one at a time; `busy` is set while any run. */
  private serial(c: LeaseClaim, fn: () => Promise<void> | void): Promise<void> {
    const prev = c.busy ?? Promise.resolve();
    const p = prev.then(fn).catch((err: unknown) => {
      this.options.log?.error({ err, stage: c.stage, camera: c.resource }, 'lease handler failed');
    });
    c.busy = p;
    void p.then(() => {
      if (c.busy === p) {
        c.busy = undefined;
      }
    });
    return p;
  }
}
