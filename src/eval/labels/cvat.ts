/**
 * Pure: reads a CVAT "for video 1.1" XML export (tracks of boxes, one `<box>` per frame, interpolated ones
 * included) into a {@link LabelSet}. Only the elements this format uses are read (`meta` sizes and frame range,
 * `track`, `box`); polygons, points and tags are counted and skipped. No XML dependency: the export is flat and
 * machine-written, so a tag scanner is enough; entities in attribute values are decoded.
 */
import type { LabelBox, LabelSet } from './types';

/** How task frames map to video frames. */
export interface CvatOptions {
  /** Name of the input in errors. */
  source?: string;
  /** Video frame (1-based) of each task frame, when the task was made from exported images (frames.csv). */
  frameMap?: ReadonlyMap<number, number>;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))) : (ENTITIES[e] ?? m),
  );
}

function attrs(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of s.matchAll(/([\w:-]+)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
    out[m[1]] = decode(m[3] ?? m[4]);
  }
  return out;
}

/** Text of the first `<name>...</name>` inside `xml` (after `from`), or undefined. */
function textOf(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml);
  return m ? decode(m[1]).trim() : undefined;
}

/** Parses CVAT for video 1.1 XML. Throws TypeError naming the source and what is wrong. */
export function parseCvatVideo(xml: string, o: CvatOptions = {}): LabelSet & { skipped: number } {
  const src = o.source ?? 'CVAT XML';
  if (!/<annotations[\s>]/.test(xml)) {
    throw new TypeError(`${src}: not a CVAT XML export (no <annotations> element)`);
  }
  const version = textOf(xml, 'version');
  if (version !== undefined && !version.startsWith('1.')) {
    throw new TypeError(`${src}: CVAT XML version ${version} (expected 1.1)`);
  }
  const meta = /<meta>([\s\S]*?)<\/meta>/.exec(xml)?.[1] ?? '';
  const size = /<original_size>([\s\S]*?)<\/original_size>/.exec(meta)?.[1] ?? '';
  const width = Number(textOf(size, 'width'));
  const height = Number(textOf(size, 'height'));
  if (!(width > 0) || !(height > 0)) {
    throw new TypeError(`${src}: no <original_size> width and height in <meta>`);
  }
  const start = Number(textOf(meta, 'start_frame') ?? 0);
  const stop = textOf(meta, 'stop_frame');
  const step = Number(/step\s*=\s*(\d+)/.exec(textOf(meta, 'frame_filter') ?? '')?.[1] ?? 1);
  const count = Number(textOf(meta, 'size'));
  const toVideo = (taskFrame: number): number => {
    if (o.frameMap) {
      const f = o.frameMap.get(taskFrame);
      if (f === undefined) {
        throw new TypeError(`${src}: task frame ${taskFrame} is not in the frame list`);
      }
      return f;
    }
    return start + taskFrame * step + 1;
  };
  const boxes: LabelBox[] = [];
  const trackIds = new Map<string, number>();
  let maxFrame = -1;
  for (const t of xml.matchAll(/<track\b([^>]*)>([\s\S]*?)<\/track>/g)) {
    const ta = attrs(t[1]);
    const label = ta.label;
    if (!label) {
      throw new TypeError(`${src}: a <track> has no label`);
    }
    const key = ta.id ?? String(trackIds.size);
    const id = trackIds.get(key) ?? trackIds.size + 1;
    trackIds.set(key, id);
    for (const el of t[2].matchAll(/<(\w+)\b([^>]*?)\/?>/g)) {
      if (el[1] === 'attribute') {
        continue;
      }
      if (el[1] !== 'box') {
        continue;
      }
      const b = attrs(el[2]);
      const frame = Number(b.frame);
      const [x1, y1, x2, y2] = [b.xtl, b.ytl, b.xbr, b.ybr].map(Number);
      if (!Number.isInteger(frame) || frame < 0 || ![x1, y1, x2, y2].every(Number.isFinite) || x2 < x1 || y2 < y1) {
        throw new TypeError(`${src}: track ${key}: a <box> needs an integer frame >= 0 and xtl <= xbr, ytl <= ybr (got ${el[0].slice(0, 120)})`);
      }
      maxFrame = Math.max(maxFrame, frame);
      if (b.outside === '1') {
        continue;
      }
      boxes.push({ frame: toVideo(frame), track: id, label, x: x1, y: y1, w: x2 - x1, h: y2 - y1, ...(b.occluded === '1' ? { occluded: true } : {}) });
    }
  }
  const skipped = [...xml.matchAll(/<(polygon|polyline|points|tag|mask|skeleton|cuboid|ellipse)\b/g)].length;
  // Every frame of the task is labelled (CVAT writes every frame of a track, interpolated frames included).
  const taskFrames = o.frameMap
    ? [...o.frameMap.keys()]
    : Array.from({ length: Number.isInteger(count) && count > 0 ? count : stop !== undefined ? Math.floor((Number(stop) - start) / step) + 1 : maxFrame + 1 }, (_, i) => i);
  const frames = [...new Set(taskFrames.map(toVideo))].sort((a, b) => a - b);
  return { width, height, frames, boxes, skipped };
}
