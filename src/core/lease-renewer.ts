/**
 * Renews this process's held leases from a thread of its own, so that a busy or stalled main thread (a long
 * synchronous task, a GC pause, a machine so loaded that the event loop lags by seconds) never lets a lease expire.
 *
 * The thread has its own Redis connection and, every round, extends each key it is told about that still holds this
 * owner's id (it never takes a key: acquiring, and deciding what a lost lease means, stay with the main thread's
 * {@link LeaseKeeper}). It writes the time each renewal was sent into shared memory, which the keeper reads
 * synchronously when it checks a deadline, so a renewal counts even before the main thread has had a chance to run.
 * The main thread sends a heartbeat; if it stops for `beatTimeoutMs` (a hung process), the thread stops renewing and
 * the leases expire, so another process can take the cameras of a process that no longer works.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from './logger';

/** Options of {@link LeaseRenewer}. */
export interface LeaseRenewerOptions {
  /** Redis URL (the thread opens its own connection). */
  url: string;
  owner: string;
  ttlMs: number;
  /** Interval of renewals. */
  roundMs: number;
  /** The thread stops renewing when the main thread's heartbeat is older than this. @defaultValue 10_000 */
  beatTimeoutMs?: number;
  /** Most keys tracked at once. @defaultValue 4096 */
  maxKeys?: number;
  log?: Logger;
}

/** Messages to the thread. */
export type RenewerRequest =
  | { type: 'keys'; keys: Array<{ key: string; slot: number }> }
  | { type: 'beat' }
  | { type: 'close' };

/** Data the thread starts with. */
export interface RenewerInit {
  /** Absolute path of ioredis (the thread's code runs from a string, without the module system of this file). */
  ioredis: string;
  url: string;
  owner: string;
  ttlMs: number;
  roundMs: number;
  beatTimeoutMs: number;
  /** Float64Array over it: per slot, when the last successful renewal was sent (ms, timeOrigin + now). */
  shared: SharedArrayBuffer;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across threads. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * The thread's code (see the module comment). It runs from its own source text in an `eval` worker, so that the
 * thread starts in milliseconds without a TypeScript loader: it must not use anything from this module's scope.
 */
function renewerThread(init: RenewerInit): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- runs in a worker thread started from this function's source, with no imports
  const { parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the worker thread loads ioredis from the path its parent resolved
  const Redis = require(init.ioredis) as typeof import('ioredis').default;
  const RENEW =
    "local out = {} for i, k in ipairs(KEYS) do if redis.call('GET', k) == ARGV[1] then " +
    "redis.call('PEXPIRE', k, ARGV[2]) out[i] = 1 else out[i] = 0 end end return out";
  const now = () => performance.timeOrigin + performance.now();
  const renewed = new Float64Array(init.shared);
  const redis = new Redis(init.url, {
    connectionName: `vigil:lease-renewer:${process.pid}`,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 4), 500),
  });
  redis.on('error', () => undefined);
  let keys: Array<{ key: string; slot: number }> = [];
  let slots = new Map<string, number>();
  let lastBeat = now();
  let closed = false;
  let warned = false;
  let pending = false;
  parentPort!.on('message', (m: RenewerRequest) => {
    if (m.type === 'keys') {
      keys = m.keys;
      slots = new Map(m.keys.map((k) => [k.key, k.slot]));
    } else if (m.type === 'beat') {
      lastBeat = now();
      warned = false;
    } else if (m.type === 'close') {
      closed = true;
      redis.disconnect();
      parentPort!.close();
    }
  });
  const round = async (): Promise<void> => {
    // A round still unanswered (Redis hung) is never joined by a second one.
    if (keys.length === 0 || redis.status !== 'ready' || pending) {
      return;
    }
    if (now() - lastBeat > init.beatTimeoutMs) {
      if (!warned) {
        warned = true;
        parentPort!.postMessage({ type: 'warn', message: 'main thread silent: the renewal thread no longer renews its leases' });
      }
      return;
    }
    const batch = keys;
    const sentAt = now();
    pending = true;
    const answer = redis.eval(RENEW, batch.length, ...batch.map((k) => k.key), init.owner, String(init.ttlMs)) as Promise<number[]>;
    const record = (rows: number[]) =>
      batch.forEach((k, i) => {
        // Only for keys still tracked in the same slot (a key untracked meanwhile may have been lost).
        if (rows[i] === 1 && slots.get(k.key) === k.slot) {
          renewed[k.slot] = Math.max(renewed[k.slot], sentAt);
        }
      });
    // A late answer still records its renewals when it comes; the loop goes on meanwhile.
    answer.then(record, () => undefined).finally(() => {
      pending = false;
    });
    await Promise.race([answer.catch(() => undefined), new Promise((r) => setTimeout(r, init.roundMs))]);
  };
  const loop = async (): Promise<void> => {
    while (!closed) {
      const t = now();
      await round().catch(() => undefined);
      await new Promise((r) => setTimeout(r, Math.max(10, init.roundMs - (now() - t))));
    }
  };
  void loop();
}

function spawn(init: RenewerInit): Worker {
  // `__name`: the helper a TypeScript loader (tsx/esbuild, running from sources) inserts into function text.
  const code = `const __name = (f) => f;\n(${renewerThread.toString()})(require('node:worker_threads').workerData);`;
  return new Worker(code, { eval: true, workerData: init });
}

/** The main thread's side (see the module comment). */
export class LeaseRenewer {
  private readonly renewed: Float64Array;
  private readonly slots = new Map<string, number>();
  private readonly free: number[] = [];
  private readonly worker: Worker;
  private readonly beat: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: LeaseRenewerOptions) {
    const max = options.maxKeys ?? 4096;
    const shared = new SharedArrayBuffer(8 * max);
    this.renewed = new Float64Array(shared);
    for (let i = max - 1; i >= 0; i--) {
      this.free.push(i);
    }
    this.worker = spawn({
      ioredis: require.resolve('ioredis'),
      url: options.url,
      owner: options.owner,
      ttlMs: options.ttlMs,
      roundMs: options.roundMs,
      beatTimeoutMs: options.beatTimeoutMs ?? 10_000,
      shared,
    });
    this.worker.unref();
    this.worker.on('error', (err) => options.log?.error({ err }, 'lease renewal thread failed'));
    this.worker.on('message', (m: { type: string; message?: string }) => {
      if (m.type === 'warn') {
        options.log?.warn(m.message ?? 'lease renewal thread');
      }
    });
    this.beat = setInterval(() => this.post({ type: 'beat' }), Math.max(50, Math.floor(options.roundMs / 2)));
    this.beat.unref();
  }

  /** Renews `key` from now on; returns its slot. */
  track(key: string): number {
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.free.pop();
      if (slot === undefined) {
        return -1;
      }
      this.renewed[slot] = 0;
      this.slots.set(key, slot);
      this.sync();
    }
    return slot;
  }

  /** Stops renewing `key`. */
  untrack(key: string): void {
    const slot = this.slots.get(key);
    if (slot !== undefined) {
      this.slots.delete(key);
      this.renewed[slot] = 0;
      this.free.push(slot);
      this.sync();
    }
  }

  /** When the thread last sent a renewal of `key` that Redis confirmed (0: never since tracked). */
  renewedAt(key: string): number {
    const slot = this.slots.get(key);
    return slot === undefined ? 0 : this.renewed[slot];
  }

  /** Stops the thread. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    clearInterval(this.beat);
    this.post({ type: 'close' });
    await Promise.race([new Promise((r) => this.worker.once('exit', r)), new Promise((r) => setTimeout(r, 2000))]);
    await this.worker.terminate().catch(() => undefined);
  }

  /** Stops the thread at once, renewing nothing more (tests: a killed process). */
  abort(): void {
    this.closed = true;
    clearInterval(this.beat);
    void this.worker.terminate();
  }

  private sync(): void {
    this.post({ type: 'keys', keys: [...this.slots].map(([key, slot]) => ({ key, slot })) });
  }

  private post(m: RenewerRequest): void {
    if (!this.closed || m.type === 'close') {
      this.worker.postMessage(m);
    }
  }
}
