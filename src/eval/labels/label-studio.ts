/**
 * Pure: reads a Label Studio JSON export of a video object tracking project (`VideoRectangle` results) into a
 * {@link LabelSet}. Label Studio stores keyframes only, in percent of the frame, frames 1-based; it draws a region
 * between two keyframes by linear interpolation when the earlier one is enabled, shows a disabled keyframe on its
 * own frame only (the end of a lifespan), and keeps a region whose last keyframe is enabled until the video's end.
 * The same is done here, so the boxes are the ones the labeller saw.
 */
import type { LabelBox, LabelSet } from './types';

/** One keyframe of a `videorectangle` result. */
interface Keyframe {
  frame: number;
  enabled: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
}

/** Options: which task of the export, and the video's size in pixels (Label Studio keeps percentages). */
export interface LabelStudioOptions {
  source?: string;
  width: number;
  height: number;
  /** Task id to read (default: the only task, or the first with a videorectangle result). */
  task?: number;
}

function num(v: unknown, what: string, src: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new TypeError(`${src}: ${what} must be a number (got ${JSON.stringify(v)})`);
  }
  return v;
}

/** Parses a Label Studio JSON export (an array of tasks). Throws TypeError naming the source and what is wrong. */
export function parseLabelStudioVideo(json: unknown, o: LabelStudioOptions): LabelSet & { task: number | undefined } {
  const src = o.source ?? 'Label Studio JSON';
  const tasks = Array.isArray(json) ? json : [json];
  type Result = { type?: string; id?: string; value?: { sequence?: unknown; labels?: unknown; framesCount?: unknown } };
  const withBoxes = tasks.filter((t: { annotations?: Array<{ result?: Result[] }> } | null) =>
    (t?.annotations ?? []).some((a) => (a.result ?? []).some((r) => r.type === 'videorectangle')),
  );
  const task = o.task !== undefined ? tasks.find((t: { id?: number } | null) => t?.id === o.task) : withBoxes[0];
  if (!task) {
    throw new TypeError(o.task !== undefined ? `${src}: no task with id ${o.task}` : `${src}: no task with a videorectangle result (a Label Studio video object tracking export?)`);
  }
  const annotations = (task as { annotations?: Array<{ result?: Result[]; was_cancelled?: boolean }> }).annotations ?? [];
  const ann = annotations.find((a) => !a.was_cancelled && (a.result ?? []).some((r) => r.type === 'videorectangle'));
  const results = (ann?.result ?? []).filter((r) => r.type === 'videorectangle');
  const boxes: LabelBox[] = [];
  // The video's length in frames (every result carries it): a region whose last keyframe is enabled lasts until then.
  const framesCount = Math.max(0, ...results.map((r) => (typeof r.value?.framesCount === 'number' && Number.isFinite(r.value.framesCount) ? r.value.framesCount : 0)));
  results.forEach((r, k) => {
    const where = `${src}: result ${r.id ?? k + 1}`;
    const labels = r.value?.labels;
    const label = Array.isArray(labels) && typeof labels[0] === 'string' ? labels[0] : undefined;
    if (!label) {
      throw new TypeError(`${where}: no label (value.labels)`);
    }
    if (!Array.isArray(r.value?.sequence) || r.value.sequence.length === 0) {
      throw new TypeError(`${where}: value.sequence must be a non-empty list of keyframes`);
    }
    const keys: Keyframe[] = (r.value.sequence as Array<Record<string, unknown>>)
      .map((s) => ({
        frame: num(s.frame, 'a keyframe frame', where),
        enabled: s.enabled !== false,
        x: num(s.x, 'x', where),
        y: num(s.y, 'y', where),
        width: num(s.width, 'width', where),
        height: num(s.height, 'height', where),
      }))
      .sort((a, b) => a.frame - b.frame);
    const track = k + 1;
    const put = (frame: number, x: number, y: number, w: number, h: number) =>
      boxes.push({ frame, track, label, x: (x * o.width) / 100, y: (y * o.height) / 100, w: (w * o.width) / 100, h: (h * o.height) / 100 });
    keys.forEach((a, i) => {
      const b = keys[i + 1];
      put(a.frame, a.x, a.y, a.width, a.height);
      if (!a.enabled) {
        return;
      }
      const end = b ? b.frame : Math.max(framesCount, a.frame);
      for (let f = a.frame + 1; f < (b ? end : end + 1); f++) {
        const u = b ? (f - a.frame) / (b.frame - a.frame) : 0;
        const at = (p: number, q: number) => p + (q - p) * u;
        put(f, at(a.x, b?.x ?? a.x), at(a.y, b?.y ?? a.y), at(a.width, b?.width ?? a.width), at(a.height, b?.height ?? a.height));
      }
    });
  });
  const last = Math.max(framesCount, ...boxes.map((b) => b.frame), 0);
  return { width: o.width, height: o.height, frames: Array.from({ length: last }, (_, i) => i + 1), boxes, task: (task as { id?: number }).id };
}
