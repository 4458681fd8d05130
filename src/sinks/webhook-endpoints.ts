import type Redis from 'ioredis';
import type { Keys } from '../core/keys';

/** Why and since when an endpoint is disabled. */
export interface DisabledEndpoint {
  /** ISO time. */
  at: string;
  reason: string;
  /** `receiver` (it answered 410 Gone) or `admin` (through the API). */
  by: 'receiver' | 'admin';
  /** The admin token's name when `by` is admin. */
  admin?: string;
}

function parse(raw: string | null | undefined): DisabledEndpoint | undefined {
  if (!raw) {
    return undefined;
  }
  try {
    const v = JSON.parse(raw) as DisabledEndpoint;
    return typeof v.at === 'string' && typeof v.reason === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Disabled webhook endpoints, shared by every process through Redis (`keys.webhookEndpoints`). An endpoint with
 * no entry is enabled; a damaged entry reads as disabled (it cannot be told apart, and nothing is lost while
 * disabled). Deliveries of a disabled endpoint stay pending in the ledger and are sent when it is enabled again.
 */
export class EndpointStates {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  async get(name: string): Promise<DisabledEndpoint | undefined> {
    const raw = await this.redis.hget(this.keys.webhookEndpoints, name);
    return raw === null ? undefined : (parse(raw) ?? { at: new Date(0).toISOString(), reason: 'damaged state entry', by: 'admin' });
  }

  async all(): Promise<Map<string, DisabledEndpoint>> {
    const raw = await this.redis.hgetall(this.keys.webhookEndpoints);
    return new Map(Object.entries(raw).map(([k, v]) => [k, parse(v) ?? { at: new Date(0).toISOString(), reason: 'damaged state entry', by: 'admin' as const }]));
  }

  /** Disables; true when it was enabled (the first reason is kept). */
  async disable(name: string, info: DisabledEndpoint): Promise<boolean> {
    return (await this.redis.hsetnx(this.keys.webhookEndpoints, name, JSON.stringify(info))) === 1;
  }

  /** Enables; true when it was disabled. */
  async enable(name: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.webhookEndpoints, name)) === 1;
  }
}
