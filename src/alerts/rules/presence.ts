import { z } from 'zod';
import type { Point, TrackView } from '../../core/types';
import { distanceToPolygonEdge, feet, pointInPolygon, type Scale } from '../../core/geometry';
import { entries, int, mapOf, num } from '../../core/state-codec';
import type { RuleConfig } from '../../config/schema';
import { passes } from './filters';
import type { RuleInput } from './types';

/**
 * Zone membership with hysteresis, so jitter at a zone edge never flaps: an observation only counts when the feet
 * are at least `ZONE_MARGIN` (fractions of the frame's longer side) clearly inside or outside, and the state flips
 * after `CONFIRM_FRAMES` consecutive clear observations the other way. A track that is not matched this frame
 * (lost, occluded) keeps its state.
 */
export const ZONE_MARGIN = 0.01;
/** Consecutive clear observations needed to change a zone or line state. */
export const CONFIRM_FRAMES = 2;

/** Zone state of one track. */
export interface Presence {
  inside: boolean;
  /** Consecutive clear observations contradicting `inside`. */
  against: number;
  /** When the track (last) entered the zone (ms), or -1. */
  enteredAt: number;
  /** Whether the state has been decided at least once. */
  known: boolean;
}

/** Saved form of a presence map (track id → Presence). */
export const presenceMap = mapOf(int, z.object({ inside: z.boolean(), against: int.min(0), enteredAt: num, known: z.boolean() }));

/** A presence map as saved (read back by {@link presenceMap}). */
export function savePresence(m: ReadonlyMap<number, Presence>): unknown {
  return entries(m, (p) => ({ ...p }));
}

/** Saved form of a per-track number map (track id → n). */
export const numberMap = mapOf(int, num);

/** Classification of a point against a polygon: 1 clearly in, -1 clearly out, 0 too close to the edge. */
export function classify(p: Point, poly: readonly Point[], scale: Scale): -1 | 0 | 1 {
  if (distanceToPolygonEdge(p, poly, scale) < ZONE_MARGIN) {
    return 0;
  }
  return pointInPolygon(p, poly) ? 1 : -1;
}

/**
 * Updates a track's presence; returns 'enter' / 'exit' on a confirmed change. The first clear observation of a
 * new track decides its state directly ('enter' when it appears inside).
 */
export function observe(
  prev: Presence | undefined,
  t: TrackView,
  poly: readonly Point[],
  scale: Scale,
  time: number,
): { presence: Presence; change?: 'enter' | 'exit' } {
  const p: Presence = prev ? { ...prev } : { inside: false, against: 0, enteredAt: -1, known: false };
  if (!t.matched) {
    return { presence: p };
  }
  const c = classify(feet(t.box), poly, scale);
  if (c === 0) {
    return { presence: p };
  }
  const isIn = c === 1;
  if (!p.known) {
    p.known = true;
    p.inside = isIn;
    p.against = 0;
    if (isIn) {
      p.enteredAt = time;
      return { presence: p, change: 'enter' };
    }
    return { presence: p };
  }
  if (isIn === p.inside) {
    p.against = 0;
    return { presence: p };
  }
  p.against++;
  if (p.against < CONFIRM_FRAMES) {
    return { presence: p };
  }
  p.inside = isIn;
  p.against = 0;
  if (isIn) {
    p.enteredAt = time;
    return { presence: p, change: 'enter' };
  }
  p.enteredAt = -1;
  return { presence: p, change: 'exit' };
}

/** Drops the entries of tracks that no longer exist. */
export function prune<V>(m: Map<number, V>, tracks: readonly TrackView[]): void {
  if (m.size === 0) {
    return;
  }
  const alive = new Set(tracks.map((t) => t.id));
  for (const k of m.keys()) {
    if (!alive.has(k)) {
      m.delete(k);
    }
  }
}

/** One track the rule watches, with its zone presence after this frame. */
export interface ZoneObservation {
  track: TrackView;
  presence: Presence;
  change?: 'enter' | 'exit';
}

/**
 * The loop every zone rule starts with: the rule's zone (undefined when the camera has no such zone), presences
 * of tracks that are gone dropped, then each track that passes the rule's filters observed against the zone
 * (its presence stored in `presence`), in track order.
 */
export function observeZone(
  rule: RuleConfig,
  presence: Map<number, Presence>,
  input: RuleInput,
  defaultLabels: readonly string[] | undefined,
): ZoneObservation[] | undefined {
  const poly = input.zones.get(rule.zone ?? '');
  if (!poly) {
    return undefined;
  }
  prune(presence, input.tracks);
  const out: ZoneObservation[] = [];
  for (const track of input.tracks) {
    if (!passes(rule, track, defaultLabels)) {
      continue;
    }
    const o = observe(presence.get(track.id), track, poly, input.scale, input.time);
    presence.set(track.id, o.presence);
    out.push({ track, presence: o.presence, change: o.change });
  }
  return out;
}
