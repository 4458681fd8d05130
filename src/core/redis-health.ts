/**
 * What this process knows about the Redis it shares: is it there, did it lose its data, will it keep data across a
 * restart, and may it evict keys. One per process (see `Context.redisHealth`), on a connection of its own.
 *
 * Data loss: the first Vigil process to meet a Redis writes an epoch key (`keys.epoch`: a random id and the time).
 * Whenever this process (re)connects, it reads the key back: missing, or another id, means the data it relied on is
 * gone (a Redis restarted without persistence, a FLUSHALL, a failover to an empty replica). That is logged as an
 * error, published once as a `system` event (`keys.channels.system`, sent to every WebSocket client), counted in
 * `vigil_redis_data_lost_total`, and shown in /readyz's warnings; then a new epoch is written.
 *
 * Settings: every minute (and on reconnect) `CONFIG GET` tells whether Redis persists anything (AOF or RDB save
 * points) and its `maxmemory-policy`; no persistence, or a policy other than `noeviction` (BullMQ's production
 * guidance: evicted queue keys lose jobs), are warnings. A Redis that refuses CONFIG is a warning of its own.
 */
import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import type { Counter, Registry } from 'prom-client';
import { redisMetrics } from './metrics';
import type { Keys } from './keys';
import type { Logger } from './logger';
import type { SystemMessage } from './types';

/** The epoch key's value. */
interface Epoch {
  id: string;
  createdAt: string;
}

/** Options (tests shorten the check interval). */
export interface RedisHealthOptions {
  /** Interval of the settings check (ms). @defaultValue 60_000 */
  checkEveryMs?: number;
  /** How long a data loss stays among the warnings (ms). @defaultValue 1 hour */
  lossWarningMs?: number;
}

/** Watches the shared Redis (see the module comment). */
export class RedisHealth {
  private epoch: string | undefined;
  private settingsWarnings: string[] = [];
  private lostAt: number | undefined;
  private lostDetail = '';
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;
  private closed = false;
  private readonly lost: Counter<string>;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly log: Logger,
    metrics: Registry,
    private readonly options: RedisHealthOptions = {},
  ) {
    this.lost = redisMetrics(metrics, () => this.warnings().length).dataLost;
  }

  /** Redis answers commands now. */
  get up(): boolean {
    return this.redis.status === 'ready';
  }

  /** Starts watching: checks now, on every reconnect and every `checkEveryMs`. Resolves after the first check. */
  async start(): Promise<void> {
    this.redis.on('ready', () => void this.check());
    this.timer = setInterval(() => void this.check(), this.options.checkEveryMs ?? 60_000);
    this.timer.unref();
    await this.check();
  }

  /** Problems that do not stop this process from working but that an operator must know (for /readyz). */
  warnings(now = Date.now()): string[] {
    const out = [...this.settingsWarnings];
    if (this.lostAt !== undefined && now - this.lostAt < (this.options.lossWarningMs ?? 3_600_000)) {
      out.unshift(`redis lost its data at ${new Date(this.lostAt).toISOString()} (${this.lostDetail}): alert history, watchlist, camera overrides and pending deliveries from before are gone`);
    }
    return out;
  }

  /** Stops the checks. */
  close(): void {
    this.closed = true;
    if (this.timer) {
      clearInterval(this.timer);
    }
  }

  /** Runs one check (epoch and settings); one at a time. */
  check(): Promise<void> {
    this.checking ??= this.doCheck().finally(() => {
      this.checking = undefined;
    });
    return this.checking;
  }

  private async doCheck(): Promise<void> {
    if (this.closed || this.redis.status !== 'ready') {
      return;
    }
    try {
      await this.checkEpoch();
      await this.checkSettings();
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'redis health check failed');
    }
  }

  private async checkEpoch(): Promise<void> {
    const fresh: Epoch = { id: randomBytes(8).toString('hex'), createdAt: new Date().toISOString() };
    // Written only when missing; the answer is what is there now (ours or the one that was).
    const [[, created], [, raw]] = ((await this.redis.multi().set(this.keys.epoch, JSON.stringify(fresh), 'NX').get(this.keys.epoch).exec()) ?? []) as Array<
      [Error | null, unknown]
    >;
    let current: Epoch | undefined;
    try {
      current = JSON.parse(String(raw)) as Epoch;
    } catch {
      current = undefined;
    }
    const id = current?.id;
    if (this.epoch === undefined) {
      this.epoch = id;
      if (created === 'OK') {
        this.log.info('first start on this Redis: epoch written');
      }
      return;
    }
    if (id !== this.epoch) {
      this.epoch = id;
      this.lostAt = Date.now();
      this.lostDetail = created === 'OK' ? 'its epoch key was gone: restarted without persistence or flushed' : 'a different epoch: another Redis or a restore';
      this.lost.inc();
      this.log.error({ detail: this.lostDetail }, 'Redis lost its data: alert history, watchlist and pending deliveries from before are gone; configure persistence (docs/operations.md)');
      // Every process notices; the first to claim the announcement publishes it, once.
      if ((await this.redis.set(`${this.keys.epoch}:announced:${id ?? 'none'}`, '1', 'EX', 86_400, 'NX')) === 'OK') {
        const msg: SystemMessage = { type: 'system', event: 'redis_data_lost', message: `Redis lost its data: ${this.lostDetail}`, at: new Date(this.lostAt).toISOString() };
        await this.redis.publish(this.keys.channels.system, JSON.stringify(msg));
      }
    }
  }

  private async checkSettings(): Promise<void> {
    const warnings: string[] = [];
    try {
      const get = async (name: string): Promise<string | undefined> => {
        const r = (await this.redis.config('GET', name)) as string[];
        return r[1];
      };
      const [aof, save, policy] = [await get('appendonly'), await get('save'), await get('maxmemory-policy')];
      if (aof !== 'yes' && (save === undefined || save.trim() === '')) {
        warnings.push('redis has no persistence (appendonly no, no save points): a Redis restart loses alert history, the watchlist and pending webhook deliveries');
      }
      if (policy !== undefined && policy !== 'noeviction') {
        warnings.push(`redis maxmemory-policy is ${policy}, not noeviction: Redis may evict queued jobs and alerts under memory pressure`);
      }
    } catch (err) {
      warnings.push(`redis settings cannot be checked (${(err as Error).message.split('\n')[0]}): make sure it persists data and uses maxmemory-policy noeviction`);
    }
    const changed = warnings.join('\n') !== this.settingsWarnings.join('\n');
    this.settingsWarnings = warnings;
    if (changed) {
      for (const w of warnings) {
        this.log.warn(w);
      }
    }
  }
}
