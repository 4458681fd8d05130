import type { FastifyRequest } from 'fastify';
import type Redis from 'ioredis';
import type { Keys } from '../core/keys';
import type { Logger } from '../core/logger';

/** Who made a change and from where. */
export interface AuditActor {
  /** Token name (`server.tokens[].name`), `anonymous` when auth is off, `signal` for SIGHUP. */
  actor: string;
  /** Role of the token, when a token was used. */
  role?: 'viewer' | 'admin';
  /** Remote address, or `local` (a signal). */
  from: string;
}

/** One audit entry, as stored and as GET /api/audit answers it. */
export interface AuditEntry extends AuditActor {
  /** Stream id (time-ordered). */
  id: string;
  /** ISO time. */
  at: string;
  /** What was done: `camera.put`, `camera.delete`, `face.add`, `face.delete`, `alert.ack`, `deadletter.replay`, `config.reload`. */
  action: string;
  /** What it was done to (camera id, identity id, alert id, delivery id). */
  target?: string;
  /** `ok`, or `refused` (a reload that was not applied). */
  outcome: 'ok' | 'refused';
  /** A few safe details (never a URL, token or secret). */
  details?: Record<string, unknown>;
}

/**
 * The audit trail: a capped Redis stream (`keys.audit`, trimmed to about `maxEntries`) plus one log line per entry
 * (`msg: "audit"`), so changes are visible even when Redis is lost. Writing never throws into a request: a failed
 * write is logged and the change stands.
 */
export class AuditLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly log: Logger,
    private readonly maxEntries: () => number,
  ) {}

  /** Records one change. Resolves when written (or when the write failed and was logged). */
  async record(e: AuditActor & { action: string; target?: string; outcome?: 'ok' | 'refused'; details?: Record<string, unknown> }): Promise<void> {
    const entry = {
      at: new Date().toISOString(),
      actor: e.actor,
      ...(e.role ? { role: e.role } : {}),
      from: e.from,
      action: e.action,
      ...(e.target !== undefined ? { target: e.target } : {}),
      outcome: e.outcome ?? 'ok',
      ...(e.details ? { details: e.details } : {}),
    };
    this.log.info({ audit: entry }, 'audit');
    try {
      await this.redis.xadd(this.keys.audit, 'MAXLEN', '~', String(this.maxEntries()), '*', 'e', JSON.stringify(entry));
    } catch (err) {
      this.log.error({ err: (err as Error).message, audit: entry }, 'audit entry not stored');
    }
  }

  /** Newest first; `before` (a stream id) pages back. */
  async list(limit: number, before?: string): Promise<AuditEntry[]> {
    const end = before === undefined ? '+' : `(${before}`;
    const rows = (await this.redis.xrevrange(this.keys.audit, end, '-', 'COUNT', limit)) as Array<[string, string[]]>;
    const out: AuditEntry[] = [];
    for (const [id, fields] of rows) {
      const i = fields.indexOf('e');
      try {
        out.push({ id, ...(JSON.parse(fields[i + 1]) as Omit<AuditEntry, 'id'>) });
      } catch {
        // an entry that is not JSON was not written by us: skipped
      }
    }
    return out;
  }
}

/** Who made a request, for the audit trail (the principal is set by the server's auth hook, src/api/server.ts). */
export function actorOf(req: FastifyRequest): AuditActor {
  return { actor: req.principal?.name ?? 'anonymous', ...(req.principal ? { role: req.principal.role } : {}), from: req.ip };
}
