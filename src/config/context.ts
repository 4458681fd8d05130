import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import Redis, { type RedisOptions } from 'ioredis';
import { Registry } from 'prom-client';
import type { VigilConfig } from './schema';
import { Keys } from '../core/keys';
import { LeaseKeeper } from '../core/leases';
import { LeaseRenewer } from '../core/lease-renewer';
import { RedisHealth } from '../core/redis-health';
import { LocalFrames } from '../core/local-frames';
import { processMetrics } from '../core/metrics';
import { VERSION } from '../core/version';
import type { Logger } from '../core/logger';
import type { Role } from '../core/types';

/** What a running stage hands back to main. */
export interface StageHandle {
  /** Empty when ready; otherwise the reasons it is not (GET /readyz). */
  readiness(): string[];
  /** Stops the stage. Idempotent: a second call returns the same promise. */
  close(): Promise<void>;
}

/** Who asked for a configuration reload (audit trail). */
export interface ReloadRequester {
  actor: string;
  role?: 'viewer' | 'admin';
  from: string;
}

/** What a reload did: applied, or refused with every reason as `PATH: message` (the running config kept). */
export interface ReloadOutcome {
  applied: boolean;
  problems: string[];
}

export interface ContextEvents {
  /** The configuration was reloaded (SIGHUP) and validated; stages apply what changed. */
  config: [next: VigilConfig, previous: VigilConfig];
}

/**
 * Everything a stage needs from the process: the current config, key names, a logger, a metrics registry and
 * Redis connections. Stages never read process.env.
 */
export class Context extends EventEmitter<ContextEvents> {
  readonly keys: Keys;
  readonly metrics: Registry;
  private readonly connections = new Set<Redis>();
  /** True while `startDaemon` starts the stages: a role without its stage yet is "starting" (GET /readyz). */
  starting = false;
  /** Stages register readiness probes here (GET /readyz reads them). */
  readonly stages = new Map<string, StageHandle>();
  /** Frames in flight between this process's ingest and detect stages (see LocalFrames). */
  readonly localFrames = new LocalFrames();
  /**
   * Re-reads the config file and applies it when safe (set by `vigil start`; SIGHUP and POST /api/config/reload use
   * it). Absent when the process has no config file to re-read (tests).
   */
  reloadFromSource?: (by: ReloadRequester) => Promise<ReloadOutcome>;
  /**
   * The name this process's leases are held under. `vigil start` passes a stable one (see core/instance.ts); other
   * contexts (tests, benchmarks: several "processes" in one) get a fresh random one.
   */
  readonly instanceId: string;
  private keeper: LeaseKeeper | undefined;
  private health: RedisHealth | undefined;

  constructor(
    public config: VigilConfig,
    readonly log: Logger,
    readonly roles: ReadonlySet<Role>,
    options: { defaultMetrics?: boolean; instanceId?: string } = {},
  ) {
    super();
    this.instanceId = options.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.keys = new Keys(config.redis.prefix);
    this.metrics = new Registry();
    processMetrics(this.metrics, {
      version: VERSION,
      roles: [...roles],
      instance: this.instanceId,
      defaultMetrics: options.defaultMetrics,
      readiness: () => new Map([...this.stages].map(([role, s]) => [role, s.readiness()])),
    });
  }

  /**
   * A new Redis connection, closed with the context. BullMQ workers need their own blocking connection
   * (`maxRetriesPerRequest: null`), so each user asks for one.
   */
  redis(name: string, options: RedisOptions = {}): Redis {
    const conn = new Redis(this.config.redis.url, {
      connectionName: `vigil:${name}:${process.pid}`,
      lazyConnect: false,
      enableOfflineQueue: true,
      // Reconnect quickly and keep trying every 500 ms: after an outage every stage is back within half a second of
      // Redis (with a 5 s cap a 4 s outage cost 2.4 s more; reconnects to a closed port cost nothing).
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 4), 500),
      ...options,
    });
    conn.on('error', (err) => this.log.debug({ err: err.message, conn: name }, 'redis connection error'));
    conn.on('end', () => this.connections.delete(conn));
    this.connections.add(conn);
    return conn;
  }

  /**
   * The process's lease keeper (one for every stage, on a connection of its own that fails fast while Redis is away
   * instead of queueing). Created on first use; closed by {@link closeLeases}.
   */
  get leases(): LeaseKeeper {
    if (!this.keeper) {
      const ttlMs = Math.round(this.config.instance.leaseSeconds * 1000);
      const roundMs = Math.max(50, Math.floor(ttlMs / 3));
      // No ioredis commandTimeout: the keeper times rounds out itself, without counting its own event-loop stalls.
      const conn = this.redis('leases', { enableOfflineQueue: false, maxRetriesPerRequest: 0 });
      const log = this.log.child({ component: 'leases' });
      // Held leases are also renewed from a thread of their own: a stalled event loop never lets them expire.
      const renewer = new LeaseRenewer({ url: this.config.redis.url, owner: this.instanceId, ttlMs, roundMs, log });
      this.keeper = new LeaseKeeper(conn, this.instanceId, { ttlMs, roundMs, log, metrics: this.metrics, renewer });
    }
    return this.keeper;
  }

  /** What this process knows about the shared Redis (data loss, persistence, eviction). Created on first use. */
  get redisHealth(): RedisHealth {
    this.health ??= new RedisHealth(this.redis('health'), this.keys, this.log.child({ component: 'redis' }), this.metrics);
    return this.health;
  }

  /** Releases every lease still held (the stages have stopped their workers by then). */
  async closeLeases(): Promise<void> {
    await this.keeper?.close();
  }

  /**
   * Drops every Redis connection at once and stops renewing leases without releasing them: what a killed process
   * leaves behind (tests of takeover and recovery). The stages' own timers keep running until they are closed.
   */
  crash(): void {
    this.keeper?.abort();
    for (const c of this.connections) {
      c.disconnect();
    }
    this.connections.clear();
  }

  /** Applies a new validated config and tells the stages. */
  reload(next: VigilConfig): void {
    const prev = this.config;
    this.config = next;
    this.emit('config', next, prev);
  }

  /** Closes every Redis connection this context made. */
  async closeConnections(): Promise<void> {
    this.health?.close();
    await this.closeLeases();
    await Promise.allSettled(
      [...this.connections].map(async (c) => {
        try {
          await c.quit();
        } catch {
          c.disconnect();
        }
      }),
    );
    this.connections.clear();
  }
}

/** Makes `close()` idempotent and complete: every step runs, the first failure is rethrown at the end. */
export function onceClose(steps: Array<() => Promise<unknown> | unknown>): () => Promise<void> {
  let p: Promise<void> | undefined;
  return () => {
    p ??= (async () => {
      let first: unknown;
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          first ??= err;
        }
      }
      if (first !== undefined) {
        throw first;
      }
    })();
    return p;
  };
}
