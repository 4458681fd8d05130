/**
 * Pure: the common form of labelled boxes that `vigil eval labels convert` reads from annotation tools and writes
 * as COCO JSON or MOTChallenge gt.txt. Frame numbers are the video's, 1-based (docs/eval.md "Frame numbers").
 */

/** One box of one object in one frame, in video pixels. */
export interface LabelBox {
  frame: number;
  /** Track (object identity) id, 1-based and unique in the set. */
  track: number;
  label: string;
  x: number;
  y: number;
  w: number;
  h: number;
  /** Partly hidden (CVAT `occluded`); kept, counted like any box. */
  occluded?: boolean;
}

/** A labelled set: its frames (every frame whose labels are complete, with or without boxes), boxes, size. */
export interface LabelSet {
  width: number;
  height: number;
  /** Labelled frames, ascending. */
  frames: number[];
  boxes: LabelBox[];
}

/** Pure: the labelled set as a COCO ground-truth JSON document (image id = frame number, category ids from 1 in name order). */
export function toCocoJson(set: LabelSet, fileName = (f: number) => `frame_${String(f).padStart(6, '0')}.jpg`): object {
  const names = [...new Set(set.boxes.map((b) => b.label))].sort();
  const cat = new Map(names.map((n, i) => [n, i + 1]));
  const r = (v: number) => Math.round(v * 100) / 100;
  return {
    info: { description: 'converted by vigil eval labels convert', frame_numbers: '1-based frames of the video' },
    images: set.frames.map((f) => ({ id: f, frame: f, file_name: fileName(f), width: set.width, height: set.height })),
    categories: names.map((n) => ({ id: cat.get(n)!, name: n })),
    annotations: [...set.boxes]
      .sort((a, b) => a.frame - b.frame || a.track - b.track)
      .map((b, i) => ({ id: i + 1, image_id: b.frame, category_id: cat.get(b.label)!, bbox: [r(b.x), r(b.y), r(b.w), r(b.h)], area: r(b.w * b.h), iscrowd: 0, track_id: b.track })),
  };
}

/**
 * Pure: the labelled set as MOTChallenge gt.txt (`frame,id,left,top,width,height,1,1,1`: evaluated, pedestrian,
 * visible). MOTChallenge evaluates pedestrians only: boxes of other labels are left out and counted in `skipped`.
 */
export function toMotGt(set: LabelSet, isPerson: (label: string) => boolean = (l) => ['person', 'pedestrian'].includes(l.toLowerCase())): { text: string; skipped: number } {
  const r = (v: number) => Math.round(v * 100) / 100;
  const people = set.boxes.filter((b) => isPerson(b.label));
  const text = people
    .sort((a, b) => a.frame - b.frame || a.track - b.track)
    .map((b) => `${b.frame},${b.track},${r(b.x)},${r(b.y)},${r(b.w)},${r(b.h)},1,1,1\n`)
    .join('');
  return { text, skipped: set.boxes.length - people.length };
}
