/**
 * Heartbeats of the running Vigil processes: every process writes its roles and the readiness of each of its
 * stages to the hash `keys.instances` (field: its instance id) every few seconds and removes it when it stops. The
 * api reads them to say what no single process can: e.g. that cameras stream while no detect process has a
 * detector loaded (GET /api/cameras: the camera's `problems`).
 */
import type Redis from 'ioredis';
import type { Keys } from './keys';
import type { Role } from './types';

/** One process's heartbeat. */
export interface InstanceBeat {
  id: string;
  roles: Role[];
  version: string;
  /** Readiness reasons per role (empty: ready). */
  readiness: Partial<Record<Role, string[]>>;
  /** When written (epoch ms). */
  at: number;
}

/** A heartbeat older than this is a process that died without removing it. */
export const BEAT_MAX_AGE_MS = 15_000;

function isBeat(v: unknown): v is InstanceBeat {
  const b = v as InstanceBeat | null;
  return typeof b?.id === 'string' && Array.isArray(b.roles) && typeof b.at === 'number' && typeof b.readiness === 'object' && b.readiness !== null;
}

/** Pure: the live heartbeats of a `keys.instances` hash. */
export function liveBeats(hash: Record<string, string>, now = Date.now(), maxAgeMs = BEAT_MAX_AGE_MS): InstanceBeat[] {
  const out: InstanceBeat[] = [];
  for (const raw of Object.values(hash)) {
    try {
      const b: unknown = JSON.parse(raw);
      if (isBeat(b) && now - b.at <= maxAgeMs) {
        out.push(b);
      }
    } catch {
      // not a heartbeat
    }
  }
  return out;
}

/**
 * Pure: what keeps frames from being detected anywhere, or undefined. Nothing is said when no process reports at
 * all (nothing known).
 */
export function detectProblem(beats: readonly InstanceBeat[]): string | undefined {
  if (beats.length === 0) {
    return undefined;
  }
  const detects = beats.filter((b) => b.roles.includes('detect'));
  if (detects.length === 0) {
    return 'detect: no detect process is running';
  }
  if (detects.some((b) => b.readiness.detect !== undefined && b.readiness.detect.length === 0)) {
    return undefined;
  }
  const reasons = [...new Set(detects.flatMap((b) => b.readiness.detect ?? ['starting']))];
  return `detect: no detector loaded (${reasons.join('; ')})`;
}

/** Writes this process's heartbeat every `everyMs` until stopped. */
export class InstanceHeartbeat {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly beat: () => Omit<InstanceBeat, 'at'>,
    private readonly everyMs = 5000,
  ) {}

  /** Writes one now and then every `everyMs`. */
  start(): void {
    void this.write();
    this.timer = setInterval(() => void this.write(), this.everyMs);
    this.timer.unref();
  }

  /** Writes one now (e.g. once every stage has started). */
  async write(now = Date.now()): Promise<void> {
    const b: InstanceBeat = { ...this.beat(), at: now };
    await this.redis.hset(this.keys.instances, b.id, JSON.stringify(b)).catch(() => undefined);
  }

  /** Stops and removes this process's heartbeat (waits 1 s at most: with Redis away it expires on its own). */
  async stop(): Promise<void> {
    if (this.timer) {
      clearInterval(this.timer);
    }
    let t: NodeJS.Timeout | undefined;
    await Promise.race([
      this.redis.hdel(this.keys.instances, this.beat().id).catch(() => undefined),
      new Promise<void>((resolve) => {
        t = setTimeout(resolve, 1000);
      }),
    ]);
    clearTimeout(t);
  }
}
