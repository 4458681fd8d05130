import { z } from 'zod';
import type { FaceObservation } from '../../core/types';
import { entries, int, mapOf, num } from '../../core/state-codec';

/** Per-track face votes: frames per watchlist identity, and frames with an embedded face that matched nobody. */
export interface FaceVotes {
  identities: Map<string, { n: number; name: string; best: number }>;
  unknown: number;
}

/** Saved form of the votes per track (track id → FaceVotes). */
export const votesMap = mapOf(
  int,
  z.object({ identities: mapOf(z.string(), z.object({ n: int.min(0), name: z.string(), best: num })), unknown: int.min(0) }),
);

/** Votes per track as saved (read back by {@link votesMap}). */
export function saveVotes(m: ReadonlyMap<number, FaceVotes>): unknown {
  return entries(m, (v) => ({ identities: entries(v.identities, (e) => ({ ...e })), unknown: v.unknown }));
}

/** Adds one frame's faces of a track to its votes (one vote per identity per frame). */
export function vote(prev: FaceVotes | undefined, faces: readonly FaceObservation[]): FaceVotes {
  const v = prev ?? { identities: new Map(), unknown: 0 };
  const seen = new Set<string>();
  let unknown = false;
  for (const f of faces) {
    if (f.match) {
      if (seen.has(f.match.identity)) {
        continue;
      }
      seen.add(f.match.identity);
      const cur = v.identities.get(f.match.identity);
      v.identities.set(f.match.identity, {
        n: (cur?.n ?? 0) + 1,
        name: f.match.name,
        best: Math.min(cur?.best ?? Infinity, f.match.distance),
      });
    } else if (f.embedding !== undefined) {
      unknown = true;
    }
  }
  if (unknown && seen.size === 0) {
    v.unknown++;
  }
  return v;
}

/** The identity with the most votes, if it has at least `votes`. */
export function leader(v: FaceVotes, votes: number, allowed?: readonly string[]): { identity: string; name: string; distance: number } | undefined {
  let best: { identity: string; name: string; distance: number; n: number } | undefined;
  for (const [identity, e] of v.identities) {
    if (allowed && allowed.length > 0 && !allowed.includes(identity) && !allowed.includes(e.name)) {
      continue;
    }
    if (e.n >= votes && (!best || e.n > best.n || (e.n === best.n && e.best < best.distance))) {
      best = { identity, name: e.name, distance: Math.round(e.best * 1000) / 1000, n: e.n };
    }
  }
  return best ? { identity: best.identity, name: best.name, distance: best.distance } : undefined;
}
