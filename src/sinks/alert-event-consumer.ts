import type Redis from 'ioredis';
import type { Logger } from '../core/logger';
import type { Keys } from '../core/keys';
import { parseEntry, type AlertEventEntry } from '../alerts/alert-store';

/** Options of {@link AlertEventConsumer}. */
export interface AlertEventConsumerOptions {
  /** Consumer group: one per kind of sink (`webhooks`, `mqtt`); its cursor is durable in Redis. */
  group: string;
  /** This process's name inside the group. */
  consumer: string;
  /** Entries per read. @defaultValue 100 */
  count?: number;
  /** Blocking read time, ms (also the longest `close()` waits). @defaultValue 1000 */
  blockMs?: number;
  /** Pause after an error, ms. @defaultValue 500 */
  retryMs?: number;
  /**
   * Where a group that does not exist yet starts (XGROUP CREATE's last-delivered id). @defaultValue `$` (the events
   * written from now on)
   */
  startId?: () => Promise<string>;
  /** Called after this consumer created the group, with the id it started at. */
  onGroupCreated?: (startId: string) => Promise<void>;
}

/** Handles a batch in stream order; the batch is acknowledged only when this resolves. */
export type AlertEventHandler = (entries: AlertEventEntry[]) => Promise<void>;

/**
 * Reads `keys.alertEvents` with a consumer group, so the cursor survives restarts of this process and of Redis
 * (with persistence) and several processes share the work. An entry is acknowledged only after its handler
 * resolved; after any error the pending entries of this consumer are read again first, so nothing is skipped.
 * Runtime faults never throw: they go to `onError` and the loop goes on.
 */
export class AlertEventConsumer {
  private closed = false;
  private loop?: Promise<void>;
  private readonly count: number;
  private readonly blockMs: number;
  private readonly retryMs: number;

  constructor(
    /** A dedicated connection (reads block). */
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly handler: AlertEventHandler,
    private readonly options: AlertEventConsumerOptions,
    private readonly log: Logger,
    private readonly onError: (err: unknown) => void = () => undefined,
  ) {
    if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(options.group) || options.consumer.length === 0) {
      throw new TypeError('AlertEventConsumer: invalid group or consumer name');
    }
    this.count = options.count ?? 100;
    this.blockMs = options.blockMs ?? 1000;
    this.retryMs = options.retryMs ?? 500;
  }

  /**
   * Creates the group (when Redis answers) and starts the read loop. Resolves once the group exists, or at
   * once after logging when Redis is unreachable (the loop keeps trying).
   */
  async start(): Promise<void> {
    if (this.loop) {
      return;
    }
    try {
      await this.ensureGroup();
      this.groupReady = true;
    } catch (err) {
      this.onError(err);
    }
    this.loop ??= this.run();
  }

  private groupReady = false;

  private async ensureGroup(): Promise<void> {
    // Default `$`: a new group starts with the events written from now on; afterwards its cursor is kept by Redis.
    const start = this.options.startId ? await this.options.startId() : '$';
    try {
      await this.redis.xgroup('CREATE', this.keys.alertEvents, this.options.group, start, 'MKSTREAM');
    } catch (err) {
      if (!String((err as Error).message).includes('BUSYGROUP')) {
        throw err;
      }
      return;
    }
    this.log.info({ group: this.options.group, start }, 'alert event consumer group created');
    await this.options.onGroupCreated?.(start);
  }

  private async run(): Promise<void> {
    let pending = true;
    while (!this.closed) {
      try {
        if (!this.groupReady) {
          await this.ensureGroup();
          this.groupReady = true;
        }
        const res = (await this.redis.xreadgroup(
          'GROUP',
          this.options.group,
          this.options.consumer,
          'COUNT',
          this.count,
          'BLOCK',
          this.blockMs,
          'STREAMS',
          this.keys.alertEvents,
          pending ? '0' : '>',
        )) as Array<[string, Array<[string, string[]]>]> | null;
        const rows = res?.[0]?.[1] ?? [];
        if (rows.length === 0) {
          pending = false;
          continue;
        }
        const entries: AlertEventEntry[] = [];
        for (const [id, fields] of rows) {
          const e = parseEntry(id, fields, (error) => this.log.warn({ error }, 'invalid alert event skipped'));
          if (e) {
            entries.push(e);
          }
        }
        if (this.closed) {
          break;
        }
        if (entries.length > 0) {
          await this.handler(entries);
        }
        await this.redis.xack(this.keys.alertEvents, this.options.group, ...rows.map((r) => r[0]));
      } catch (err) {
        if (this.closed) {
          break;
        }
        if (String((err as Error).message).includes('NOGROUP')) {
          this.groupReady = false;
        }
        pending = true;
        this.onError(err);
        await new Promise((r) => setTimeout(r, this.retryMs));
      }
    }
  }

  /** Stops reading; an unfinished batch stays pending and is read again at the next start. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    // Interrupt a blocking read at once rather than waiting blockMs.
    this.redis.disconnect();
    await this.loop?.catch(() => undefined);
  }
}
