/**
 * The state a camera's tracker saves in `keys.trackState(camera)` so that whoever owns the camera next continues
 * exactly where it stopped, and its reading (versioned, checked: a damaged or older state never crashes a takeover).
 */
import { z } from 'zod';
import { readAlert } from '../alerts';
import { restoreEngine, type CameraEngine, type CameraEngineConfig, type EngineState } from './camera-engine';
import type { Alert } from '../core/types';
import { int, num, StateError } from '../core/state-codec';

/** Version of {@link PersistedTrackState}; states without `v` are from before it (version 1). */
export const TRACK_STATE_VERSION = 2;

/**
 * Saved track state. Version 2 keeps the fields of version 1 (so a process of the earlier version can still take
 * over from it, the way it used to) and adds the whole engine.
 */
export interface PersistedTrackState {
  /**
   * Detections stream entry to read after: the entry before the oldest frame read but not yet processed (held for
   * reordering), else the last entry read.
   */
  lastId: string;
  /** Last frame seq processed (-1: none). */
  lastSeq: number;
  /** Next track id. */
  nextTrackId: number;
  /** Open alerts (with their ids). A version 1 reader ends them; a version 2 reader continues them. */
  open: Alert[];
  v: typeof TRACK_STATE_VERSION;
  /** Wall time of the save (ms). */
  savedAt: number;
  /**
   * Last entry read. Entries up to it whose seq is at most `lastSeq` were handled already: the next owner reads them
   * again (from `lastId`) and skips them.
   */
  seen: string;
  /** The decision state (tracker, rules, lifecycle) after frame `lastSeq`. */
  engine: EngineState;
}

/** How a new owner starts. */
export type ResumePlan =
  /** No usable state: start from the newest entry with a fresh engine. */
  | { kind: 'fresh'; warning?: string }
  /** What version 1 did: resume after `lastId` with a fresh engine, ids from `nextTrackId`, and end `open`. */
  | { kind: 'legacy'; lastId: string; lastSeq: number; nextTrackId: number; open: Alert[]; warning: string }
  /** Continue: the restored engine, re-reading after `lastId` and skipping what was handled. */
  | { kind: 'continue'; lastId: string; lastSeq: number; seen: string; engine: CameraEngine; savedAt: number };

const STREAM_ID = /^\d+-\d+$/;
const streamId = z.string().regex(STREAM_ID);

const v1Schema = z.object({
  lastId: z.union([streamId, z.literal('$')]),
  lastSeq: num,
  nextTrackId: int.min(1),
  open: z.array(z.unknown()),
  v: z.unknown().optional(),
});

/**
 * Reads a saved track state for the camera of `config`. Never throws: a state that cannot be continued falls back
 * to version 1's takeover (or to a fresh start) with a `warning` saying why.
 */
export function readTrackState(raw: string | null, config: CameraEngineConfig, wallNow = Date.now()): ResumePlan {
  if (raw === null) {
    return { kind: 'fresh' };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return { kind: 'fresh', warning: 'saved track state is not JSON: starting afresh' };
  }
  const v1 = v1Schema.safeParse(doc);
  if (!v1.success) {
    return { kind: 'fresh', warning: `saved track state unreadable (${v1.error.issues[0]?.message ?? 'invalid'}): starting afresh` };
  }
  const open: Alert[] = [];
  for (const a of v1.data.open) {
    try {
      const alert = readAlert(a, 'open alert');
      if (STREAM_ID.test(alert.id)) {
        open.push(alert);
      }
    } catch {
      // An unreadable open alert cannot be ended by id either.
    }
  }
  const legacy = (warning: string): ResumePlan => ({
    kind: 'legacy',
    lastId: v1.data.lastId,
    lastSeq: v1.data.lastSeq,
    nextTrackId: v1.data.nextTrackId,
    open,
    warning,
  });
  const d = doc as Partial<PersistedTrackState>;
  if (d.v === undefined) {
    return legacy('saved track state is from an earlier version: its open alerts end and line counts restart');
  }
  if (d.v !== TRACK_STATE_VERSION) {
    return legacy(`saved track state has version ${String(d.v)}, not ${TRACK_STATE_VERSION}: its open alerts end and line counts restart`);
  }
  try {
    if (typeof d.seen !== 'string' || !(STREAM_ID.test(d.seen) || d.seen === '$') || typeof d.savedAt !== 'number') {
      throw new StateError('track state: seen or savedAt missing');
    }
    const engine = restoreEngine(config, d.engine, wallNow);
    return { kind: 'continue', lastId: v1.data.lastId, lastSeq: v1.data.lastSeq, seen: d.seen, engine, savedAt: d.savedAt };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return legacy(`saved track state cannot be continued (${why}): its open alerts end and line counts restart`);
  }
}
