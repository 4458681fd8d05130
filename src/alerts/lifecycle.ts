import { z } from 'zod';
import type { RuleConfig } from '../config/schema';
import { RULE_TYPES, type Alert, type AlertEventKind } from '../core/types';
import { box, int, num, parseState, StateError } from '../core/state-codec';
import type { Condition } from './rules/types';

/** Options of {@link AlertLifecycle}. */
export interface LifecycleOptions {
  /** Seconds without the condition before an alert ends. @defaultValue 3 */
  endAfterSeconds?: number;
  /** Minimum seconds between two updates of one alert (changes in between are merged). @defaultValue 1 */
  minUpdateSeconds?: number;
}

/** One alert event to store and publish, in order. `alert.id` is '' for a start until the store assigns it. */
export interface AlertChange {
  event: AlertEventKind;
  alert: Alert;
  /** Capture time (ms) of the frame that caused this change (for latencyMs). */
  capturedAt: number;
  /** Handle for {@link AlertLifecycle.setId} after a start was stored. */
  handle: OpenAlert;
}

/** An open (active) alert. */
export interface OpenAlert {
  ruleId: string;
  key: string;
  alert: Alert;
  lastSeen: number;
  lastUpdate: number;
  dirty: boolean;
  signature: string;
}

/**
 * What a saved Alert must have (other fields are kept as they are: an Alert field added later survives a takeover
 * by a process that does not know it yet).
 */
export const alertSchema = z.looseObject({
  id: z.string(),
  rule: z.string(),
  type: z.enum(RULE_TYPES),
  camera: z.string(),
  severity: z.string(),
  state: z.enum(['active', 'ended']),
  startedAt: z.string(),
  updatedAt: z.string(),
  objects: z.array(z.looseObject({ trackId: int, label: z.string(), score: num, box })),
  snapshot: z.string().optional(),
  latencyMs: num,
});

/** Reads a saved Alert: checked, then copied as saved (field order included). */
export function readAlert(saved: unknown, what = 'alert'): Alert {
  parseState(alertSchema, saved, what);
  return structuredClone(saved) as Alert;
}

const lifecycleSchema = z.object({
  open: z.array(
    z.object({
      ruleId: z.string(),
      key: z.string(),
      alert: z.unknown(),
      lastSeen: num,
      lastUpdate: num,
      dirty: z.boolean(),
      signature: z.string(),
    }),
  ),
  cooldowns: z.array(z.tuple([z.string(), num])),
});

/** The state of an {@link AlertLifecycle} as JSON-able values (its options come from the config). */
export interface LifecycleState {
  open: OpenAlert[];
  cooldowns: Array<[string, number]>;
}

/**
 * The alert lifecycle (pure): turns each rule's active conditions into `start`, `update` and `end` events. A
 * condition key without an open alert starts one (unless the rule's cooldown for that key is running); a changed
 * condition (other objects, count, direction, face) updates it at most every `minUpdateSeconds`; an alert whose
 * condition has not been seen for `endAfterSeconds` ends. Times are capture times (ms), so replay and live agree.
 */
export class AlertLifecycle {
  private readonly open = new Map<string, OpenAlert>();
  private readonly cooldownUntil = new Map<string, number>();
  private endAfterMs: number;
  private readonly minUpdateMs: number;

  constructor(
    private readonly camera: string,
    options: LifecycleOptions = {},
  ) {
    this.endAfterMs = (options.endAfterSeconds ?? 3) * 1000;
    this.minUpdateMs = (options.minUpdateSeconds ?? 1) * 1000;
  }

  /** Changes endAfterSeconds (config reload). */
  setEndAfterSeconds(s: number): void {
    this.endAfterMs = s * 1000;
  }

  /** Open alerts (for tests and state persistence). */
  get active(): OpenAlert[] {
    return [...this.open.values()];
  }

  /** The open alerts (ids, handles' state, update hysteresis) and the running cooldowns, in order. */
  snapshot(): LifecycleState {
    return {
      open: [...this.open.values()].map((o) => ({ ...o, alert: structuredClone(o.alert) })),
      cooldowns: [...this.cooldownUntil],
    };
  }

  /**
   * Replaces the open alerts and cooldowns with saved ones (see {@link snapshot}): the alerts continue with their
   * ids. Throws a StateError (and changes nothing) when `saved` is not a valid lifecycle state.
   */
  restore(saved: unknown): void {
    const s = parseState(lifecycleSchema, saved, 'alert lifecycle');
    const open = new Map<string, OpenAlert>();
    s.open.forEach((o, i) => {
      const alert = readAlert(o.alert, `alert lifecycle: open.${i}.alert`);
      if (open.has(o.key) || alert.camera !== this.camera) {
        throw new StateError(`alert lifecycle: open.${i}: repeated key or another camera's alert`);
      }
      open.set(o.key, { ...o, alert });
    });
    this.open.clear();
    for (const [k, o] of open) {
      this.open.set(k, o);
    }
    this.cooldownUntil.clear();
    for (const [k, until] of s.cooldowns) {
      this.cooldownUntil.set(k, until);
    }
  }

  /** Applies one rule's conditions at `now` (capture time); returns the events to write, in order. */
  step(rule: RuleConfig, conditions: readonly Condition[], now: number): AlertChange[] {
    const out: AlertChange[] = [];
    for (const c of conditions) {
      const k = `${rule.id}\u0000${c.key}`;
      const sig = signature(c);
      const cur = this.open.get(k);
      if (cur) {
        cur.lastSeen = now;
        Object.assign(cur.alert, fields(c));
        if (sig !== cur.signature) {
          cur.signature = sig;
          cur.dirty = true;
        }
        if (cur.dirty && now - cur.lastUpdate >= this.minUpdateMs) {
          cur.dirty = false;
          cur.lastUpdate = now;
          cur.alert.updatedAt = iso(now);
          out.push({ event: 'update', alert: { ...cur.alert }, capturedAt: now, handle: cur });
        }
        continue;
      }
      if ((this.cooldownUntil.get(k) ?? -Infinity) > now) {
        continue;
      }
      const alert: Alert = {
        id: '',
        rule: rule.id,
        type: rule.type,
        camera: this.camera,
        severity: rule.severity,
        state: 'active',
        startedAt: iso(now),
        updatedAt: iso(now),
        objects: [],
        latencyMs: 0,
        ...fields(c),
      };
      const open: OpenAlert = { ruleId: rule.id, key: k, alert, lastSeen: now, lastUpdate: now, dirty: false, signature: sig };
      this.open.set(k, open);
      out.push({ event: 'start', alert: { ...alert }, capturedAt: now, handle: open });
    }
    return out;
  }

  /** Ends the alerts whose condition was last seen more than endAfterSeconds before `now`. */
  expire(now: number, rules: ReadonlyMap<string, RuleConfig>): AlertChange[] {
    const out: AlertChange[] = [];
    for (const [k, o] of this.open) {
      const rule = rules.get(o.ruleId);
      if (rule && now - o.lastSeen <= this.endAfterMs) {
        continue;
      }
      out.push(this.close(k, o, now, rule?.cooldown ?? 0));
    }
    return out;
  }

  /** Ends every open alert (shutdown of a camera, rules removed). */
  endAll(now: number): AlertChange[] {
    return [...this.open].map(([k, o]) => this.close(k, o, now, 0));
  }

  /** Records the id the store gave a started alert; later events of it carry the id (and its snapshot, if stored). */
  setId(handle: OpenAlert, id: string, snapshot = true): void {
    handle.alert.id = id;
    if (snapshot) {
      handle.alert.snapshot = `/api/alerts/${id}/snapshot.jpg`;
    } else {
      delete handle.alert.snapshot;
    }
  }

  private close(k: string, o: OpenAlert, now: number, cooldownS: number): AlertChange {
    this.open.delete(k);
    if (cooldownS > 0) {
      this.cooldownUntil.set(k, now + cooldownS * 1000);
    }
    for (const [ck, until] of this.cooldownUntil) {
      if (until <= now) {
        this.cooldownUntil.delete(ck);
      }
    }
    const end = Math.max(now, Date.parse(o.alert.updatedAt));
    o.alert.state = 'ended';
    o.alert.endedAt = iso(end);
    o.alert.updatedAt = iso(end);
    return { event: 'end', alert: { ...o.alert }, capturedAt: now, handle: o };
  }
}

function fields(c: Condition): Partial<Alert> {
  const f: Partial<Alert> = { objects: c.objects };
  if (c.count !== undefined) {
    f.count = c.count;
  }
  if (c.direction !== undefined) {
    f.direction = c.direction;
  }
  if (c.counts !== undefined) {
    f.counts = c.counts;
  }
  if (c.zone !== undefined) {
    f.zone = c.zone;
  }
  if (c.line !== undefined) {
    f.line = c.line;
  }
  if (c.face !== undefined) {
    f.face = c.face;
  }
  return f;
}

/** What makes an update worth sending: the set of objects and the counted values, not box movement. */
function signature(c: Condition): string {
  return JSON.stringify([c.objects.map((o) => o.trackId).sort((a, b) => a - b), c.count, c.direction, c.face?.identity]);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
