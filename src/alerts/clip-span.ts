/**
 * Pure: which recorded segments make an alert's clip, and where in them it starts and ends. No I/O here.
 */
import type { RecordedSegment } from '../core/types';

/** Segments closer than this are contiguous (their times are estimates: a few tens of ms apart in practice). */
const MAX_GAP_MS = 500;

/** The clip's span in wall-clock ms: `pre` before the alert's start to `post` after its end, at most `maxMs`. */
export function clipSpan(startMs: number, endMs: number, preS: number, postS: number, maxS: number): { from: number; to: number } {
  const from = startMs - preS * 1000;
  return { from, to: Math.min(endMs + postS * 1000, from + maxS * 1000) };
}

/** What to cut: segments in order, the offset into the first (s) and the duration (s). */
export interface ClipPlan {
  segments: RecordedSegment[];
  offsetS: number;
  durationS: number;
  /** The clip's wall-clock start and end (ms): the span, or less where the recording was missing. */
  from: number;
  to: number;
}

/**
 * Plans the cut of span `[from, to]` for an alert that ran `[alertStart, alertEnd]` from a camera's segments
 * (any order). The run of contiguous segments that overlaps the alert most is used (a gap in the recording cuts the
 * clip there: joining across it would put later video at the wrong time); undefined when no recorded segment
 * overlaps the alert itself.
 */
export function planClip(segments: readonly RecordedSegment[], from: number, to: number, alertStart: number, alertEnd: number): ClipPlan | undefined {
  const segs = segments.filter((s) => s.startMs + s.durationMs > from && s.startMs < to).sort((a, b) => a.startMs - b.startMs);
  const runs: RecordedSegment[][] = [];
  for (const s of segs) {
    const run = runs.at(-1);
    const prev = run?.at(-1);
    if (run && prev && Math.abs(s.startMs - (prev.startMs + prev.durationMs)) <= MAX_GAP_MS) {
      run.push(s);
    } else {
      runs.push([s]);
    }
  }
  const overlap = (run: RecordedSegment[]) => {
    const a = Math.max(run[0].startMs, alertStart);
    const last = run[run.length - 1];
    const b = Math.min(last.startMs + last.durationMs, Math.max(alertEnd, alertStart + 1));
    return b - a;
  };
  let best: RecordedSegment[] | undefined;
  for (const run of runs) {
    if (overlap(run) > 0 && (best === undefined || overlap(run) > overlap(best))) {
      best = run;
    }
  }
  if (!best) {
    return undefined;
  }
  const first = best[0];
  const last = best[best.length - 1];
  const start = Math.max(from, first.startMs);
  const end = Math.min(to, last.startMs + last.durationMs);
  return { segments: best, offsetS: (start - first.startMs) / 1000, durationS: (end - start) / 1000, from: start, to: end };
}

/** Pure: has the recording reached `to` (a segment ends at or after it)? */
export function recordedUntil(segments: readonly RecordedSegment[], to: number): boolean {
  return segments.some((s) => s.startMs + s.durationMs >= to);
}
