/**
 * Pure: bridges a run to the accuracy metrics. Box labels (COCO JSON or MOTChallenge gt.txt) become a COCO ground
 * truth over the labelled frames; the run's detections on those frames become COCO results (video pixels, class by
 * name); the run's confirmed person tracks on those frames become a MOTChallenge tracker file. Frame numbers are the
 * video file's, 1-based (docs/eval.md "Frame numbers").
 */
import type { ClipFrame } from './clip';
import type { TrackRow } from './rules-run';
import type { CocoDtBox, CocoGroundTruth, MotGtRow, MotTrackRow } from './metrics/types';

/** MOTChallenge classes that are people to count (pedestrian) and ignore regions (person on vehicle, static person, distractor, reflection). */
const MOT_EVAL = 1;
const MOT_DISTRACTORS = new Set([2, 7, 8, 12]);

/** Box labels in either format, as the run uses them. */
export type BoxLabels = { kind: 'coco'; gt: CocoGroundTruth } | { kind: 'mot'; rows: MotGtRow[] };

/**
 * A COCO ground truth from gt.txt rows: one image per labelled frame (image id = frame number), one category
 * `person`; pedestrians count, distractor classes and zero-marked rows are ignore regions (crowd-like). MOT15-style
 * rows (class -1) are all pedestrians.
 */
export function cocoFromMot(rows: readonly MotGtRow[], size?: { width: number; height: number }): CocoGroundTruth {
  const frames = [...new Set(rows.map((r) => r.frame))].sort((a, b) => a - b);
  return {
    images: frames.map((f) => ({ id: f, frame: f, ...(size ?? {}) })),
    categories: [{ id: 1, name: 'person' }],
    annotations: rows
      .filter((r) => r.cls === -1 || r.cls === MOT_EVAL || MOT_DISTRACTORS.has(r.cls))
      .map((r, i) => {
        const ignore = r.mark === 0 || MOT_DISTRACTORS.has(r.cls);
        return { id: i + 1, imageId: r.frame, categoryId: 1, bbox: r.bbox, area: r.bbox[2] * r.bbox[3], iscrowd: ignore, ...(ignore ? { ignore } : {}) };
      }),
  };
}

/** The COCO ground truth of either label format. */
export function cocoGroundTruth(labels: BoxLabels, size?: { width: number; height: number }): CocoGroundTruth {
  return labels.kind === 'coco' ? labels.gt : cocoFromMot(labels.rows, size);
}

/** Labelled frame numbers (1-based video frames). */
export function labelledFrames(gt: CocoGroundTruth): Set<number> {
  return new Set(gt.images.map((i) => i.frame));
}

/**
 * The run's detections on the labelled frames as COCO results: boxes in video pixels, category by the label's name
 * (case-insensitive); detections of classes the labels do not name are left out. Returns the results and the
 * labelled frames the run did not reach (frames outside the segment or between two sampled frames).
 */
export function cocoDetections(gt: CocoGroundTruth, frames: readonly ClipFrame[], video: { width: number; height: number }): { dt: CocoDtBox[]; unreached: number[] } {
  const byName = new Map(gt.categories.map((c) => [c.name.toLowerCase(), c.id]));
  const imageOf = new Map<number, number>();
  for (const im of gt.images) {
    imageOf.set(im.frame, im.id);
  }
  const reached = new Set<number>();
  const dt: CocoDtBox[] = [];
  for (const f of frames) {
    const imageId = imageOf.get(f.videoFrame + 1);
    if (imageId === undefined) {
      continue;
    }
    reached.add(f.videoFrame + 1);
    for (const d of f.detections) {
      const categoryId = byName.get(d.label.toLowerCase());
      if (categoryId === undefined) {
        continue;
      }
      const [x1, y1, x2, y2] = d.box;
      dt.push({ imageId, categoryId, bbox: [x1 * video.width, y1 * video.height, (x2 - x1) * video.width, (y2 - y1) * video.height], score: d.score });
    }
  }
  const unreached = [...imageOf.keys()].filter((f) => !reached.has(f)).sort((a, b) => a - b);
  return { dt, unreached };
}

/** The run's person tracks on the labelled frames, as MOTChallenge tracker rows. */
export function motTracker(tracks: readonly TrackRow[], frames: ReadonlySet<number>, label = 'person'): MotTrackRow[] {
  return tracks.filter((t) => t.label === label && frames.has(t.frame)).map((t) => ({ frame: t.frame, id: t.id, bbox: [t.x, t.y, t.w, t.h], conf: t.score }));
}

/** gt.txt rows restricted to the frames the run reached. */
export function motGtOn(rows: readonly MotGtRow[], frames: ReadonlySet<number>): MotGtRow[] {
  return rows.filter((r) => frames.has(r.frame));
}
