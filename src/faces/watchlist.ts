/**
 * The watchlist in Redis: hash `keys.faces` maps identity id → JSON {@link Identity}. Every change is published
 * (the identity id) on `keys.channels.faces`; each process keeps a {@link FaceIndex} in sync by re-reading the
 * changed identity, and by a full reload on (re)subscribe and every `reloadMs` as a safety net.
 */
import { randomUUID } from 'node:crypto';
import type Redis from 'ioredis';
import type { Keys } from '../core/keys';
import type { Logger } from '../core/logger';
import { VigilError } from '../core/errors';
import { FaceIndex, type Identity } from './matcher';

/** Summary of an identity as listed by the API (no embeddings). */
export interface IdentitySummary {
  id: string;
  name: string;
  images: number;
  createdAt: string;
}

/** Reads and writes the watchlist. Stateless apart from its Redis connection. */
export class WatchlistStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Every identity. Corrupt entries are skipped. */
  async all(): Promise<Identity[]> {
    const raw = await this.redis.hgetall(this.keys.faces);
    const out: Identity[] = [];
    for (const v of Object.values(raw)) {
      const id = parseIdentity(v);
      if (id) {
        out.push(id);
      }
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** One identity, or undefined. */
  async get(id: string): Promise<Identity | undefined> {
    const v = await this.redis.hget(this.keys.faces, id);
    return v === null ? undefined : parseIdentity(v);
  }

  /** Creates an identity with these embeddings, or appends them to an existing one (`id`). */
  async add(name: string | undefined, embeddings: number[][], id?: string): Promise<Identity> {
    let identity: Identity;
    if (id !== undefined) {
      const existing = await this.get(id);
      if (!existing) {
        throw new VigilError('not_found', `no watchlist identity "${id}"`);
      }
      identity = { ...existing, name: name ?? existing.name, embeddings: [...existing.embeddings, ...embeddings] };
    } else {
      if (name === undefined) {
        throw new VigilError('bad_request', 'name is required for a new identity');
      }
      identity = { id: randomUUID(), name, embeddings, createdAt: new Date().toISOString() };
    }
    await this.redis.hset(this.keys.faces, identity.id, JSON.stringify(identity));
    await this.redis.publish(this.keys.channels.faces, identity.id);
    return identity;
  }

  /** Removes an identity and every embedding of it. Returns false when it did not exist. */
  async remove(id: string): Promise<boolean> {
    const n = await this.redis.hdel(this.keys.faces, id);
    await this.redis.publish(this.keys.channels.faces, id);
    return n > 0;
  }
}

/** Parses a stored identity; undefined when it is not one. */
export function parseIdentity(raw: string): Identity | undefined {
  try {
    const v = JSON.parse(raw) as Partial<Identity>;
    if (typeof v.id !== 'string' || typeof v.name !== 'string' || !Array.isArray(v.embeddings)) {
      return undefined;
    }
    return { id: v.id, name: v.name, embeddings: v.embeddings, createdAt: String(v.createdAt ?? '') };
  } catch {
    return undefined;
  }
}

/** Options of {@link WatchlistSync}. */
export interface WatchlistSyncOptions {
  /** Full reload period, ms. @defaultValue 60000 */
  reloadMs?: number;
}

/**
 * Keeps a {@link FaceIndex} in step with the store across processes. Needs its own subscriber connection.
 */
export class WatchlistSync {
  readonly index = new FaceIndex();
  private timer: NodeJS.Timeout | undefined;
  private loaded = false;
  private closed = false;

  constructor(
    private readonly store: WatchlistStore,
    private readonly sub: Redis,
    private readonly keys: Keys,
    private readonly log: Logger,
    private readonly opts: WatchlistSyncOptions = {},
  ) {}

  /** True once the first full load finished. */
  get ready(): boolean {
    return this.loaded;
  }

  /** Subscribes, loads everything, and starts the periodic reload. */
  async start(): Promise<void> {
    this.sub.on('message', (channel: string, id: string) => {
      if (channel === this.keys.channels.faces) {
        this.refresh(id).catch((err: unknown) => this.log.warn({ err }, 'watchlist refresh failed'));
      }
    });
    // a reconnect may have missed messages: reload everything after each (re)subscribe
    this.sub.on('ready', () => {
      if (this.loaded && !this.closed) {
        this.reload().catch((err: unknown) => this.log.warn({ err }, 'watchlist reload failed'));
      }
    });
    await this.sub.subscribe(this.keys.channels.faces);
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch((err: unknown) => this.log.warn({ err }, 'watchlist reload failed'));
    }, this.opts.reloadMs ?? 60_000);
    this.timer.unref();
  }

  /** Reloads the whole index. */
  async reload(): Promise<void> {
    this.index.replaceAll(await this.store.all());
    this.loaded = true;
  }

  /** Re-reads one identity (deleted → removed from the index). */
  async refresh(id: string): Promise<void> {
    const identity = await this.store.get(id);
    if (identity) {
      this.index.set(identity);
    } else {
      this.index.delete(id);
    }
  }

  /** Stops syncing (does not close the connection, which the context owns). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) {
      clearInterval(this.timer);
    }
    try {
      await this.sub.unsubscribe(this.keys.channels.faces);
    } catch {
      // connection already gone
    }
  }
}
