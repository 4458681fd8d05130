/**
 * MOTChallenge preprocessing of one sequence, as TrackEval's MotChallenge2DBox does it, into the per-frame form
 * the tracking metrics read (contiguous ids, a gt x tracker IoU matrix per frame):
 * 1. Tracker boxes are matched one-to-one to all gt boxes of the frame (IoU ≥ 0.5, maximum total IoU); those
 *    matched to a distractor-class box (an ignore region: person on vehicle, static person, distractor,
 *    reflection; MOT20 adds non-MOT vehicle) are removed.
 * 2. Gt boxes of other classes than the evaluated ones, and zero-marked gt boxes, are dropped.
 * With preprocess 'none' (MOT15-style files) only step 2's zero-mark rule applies; 'auto' picks 'none' for files
 * without classes (every class -1) and 'mot17' otherwise.
 */
import { linearSumAssignment, type Matrix } from './assignment';
import { iouMatrix } from './iou';
import type { MotEvalOptions, MotGtRow, MotTrackRow } from './types';

const EPS = Number.EPSILON;

/** MOTChallenge class numbers (gt.txt column 8). */
export const MOT_CLASSES = {
  pedestrian: 1,
  personOnVehicle: 2,
  car: 3,
  bicycle: 4,
  motorbike: 5,
  nonMotVehicle: 6,
  staticPerson: 7,
  distractor: 8,
  occluder: 9,
  occluderOnGround: 10,
  occluderFull: 11,
  reflection: 12,
  crowd: 13,
} as const;

const VALID_CLASSES = new Set<number>(Object.values(MOT_CLASSES));

/** One sequence ready for the metrics. Ids are 0-based indices into the sorted unique ids. */
export interface MotSequenceData {
  numTimesteps: number;
  numGtIds: number;
  numTrackerIds: number;
  numGtDets: number;
  numTrackerDets: number;
  gtIds: Int32Array[];
  trackerIds: Int32Array[];
  /** Per frame, IoU of gt (rows) with tracker boxes (columns). */
  similarity: Matrix[];
  /** Tracker boxes removed as matches of distractor-class gt boxes. */
  removedTrackerDets: number;
}

/** Default distractor classes of each preprocessing mode. */
export function defaultDistractors(mode: 'mot17' | 'mot20'): number[] {
  const base: number[] = [MOT_CLASSES.personOnVehicle, MOT_CLASSES.staticPerson, MOT_CLASSES.distractor, MOT_CLASSES.reflection];
  return mode === 'mot20' ? [...base, MOT_CLASSES.nonMotVehicle] : base;
}

function groupByFrame<T extends { frame: number; id: number }>(rows: readonly T[], what: string): Map<number, T[]> {
  const byFrame = new Map<number, T[]>();
  for (const row of rows) {
    if (!Number.isInteger(row.frame) || row.frame < 1) {
      throw new Error(`${what}: frame ${row.frame} is not a frame number (integers from 1)`);
    }
    let list = byFrame.get(row.frame);
    if (!list) {
      list = [];
      byFrame.set(row.frame, list);
    }
    list.push(row);
  }
  for (const [frame, list] of byFrame) {
    const seen = new Set<number>();
    for (const row of list) {
      if (seen.has(row.id)) {
        throw new Error(`${what}: id ${row.id} appears more than once in frame ${frame}`);
      }
      seen.add(row.id);
    }
  }
  return byFrame;
}

function relabel(perFrame: number[][]): { ids: Int32Array[]; count: number } {
  const unique = [...new Set(perFrame.flat())].sort((a, b) => a - b);
  const index = new Map(unique.map((id, k) => [id, k]));
  return { ids: perFrame.map((ids) => Int32Array.from(ids, (id) => index.get(id) as number)), count: unique.length };
}

/** Preprocesses one sequence. `numFrames` defaults to the last frame present in either input. */
export function prepareMotSequence(
  gt: readonly MotGtRow[],
  tracker: readonly MotTrackRow[],
  opts: MotEvalOptions & { numFrames?: number } = {},
): MotSequenceData {
  const wanted = opts.preprocess ?? 'auto';
  const mode = wanted !== 'auto' ? wanted : gt.every((r) => r.cls === -1) ? 'none' : 'mot17';
  const evalClasses = new Set(opts.evalClasses ?? [MOT_CLASSES.pedestrian]);
  const distractors = new Set(mode === 'none' ? [] : (opts.distractorClasses ?? defaultDistractors(mode)));
  const gtByFrame = groupByFrame(gt, 'ground truth');
  const trByFrame = groupByFrame(tracker, 'tracker output');
  let lastFrame = 0;
  for (const frame of [...gtByFrame.keys(), ...trByFrame.keys()]) {
    lastFrame = Math.max(lastFrame, frame);
  }
  const numTimesteps = opts.numFrames ?? lastFrame;
  if (lastFrame > numTimesteps) {
    throw new Error(`frame ${lastFrame} is past the sequence's ${numTimesteps} frames`);
  }

  const gtIdsRaw: number[][] = [];
  const trIdsRaw: number[][] = [];
  const similarity: Matrix[] = [];
  let removed = 0;
  for (let t = 1; t <= numTimesteps; t++) {
    const g = gtByFrame.get(t) ?? [];
    let tr = trByFrame.get(t) ?? [];
    let sim = iouMatrix(
      g.map((r) => r.bbox),
      tr.map((r) => r.bbox),
    );
    if (mode !== 'none' && g.length > 0 && tr.length > 0) {
      const bad = g.find((r) => !VALID_CLASSES.has(r.cls));
      if (bad) {
        throw new Error(
          `ground truth frame ${t}: class ${bad.cls} is not a MOTChallenge class (1-13); use preprocess 'none' for files without classes`,
        );
      }
      const scores = { rows: sim.rows, cols: sim.cols, data: sim.data.map((x) => (x < 0.5 - EPS ? 0 : x)) };
      const match = linearSumAssignment(scores, true);
      const drop = new Set<number>();
      match.rows.forEach((r, k) => {
        const c = match.cols[k];
        if (scores.data[r * scores.cols + c] > EPS && distractors.has(g[r].cls)) {
          drop.add(c);
        }
      });
      if (drop.size > 0) {
        removed += drop.size;
        const keep = tr.map((_, c) => c).filter((c) => !drop.has(c));
        tr = keep.map((c) => tr[c]);
        sim = selectCols(sim, keep);
      }
    }
    const keepRows = g
      .map((r, k) => ({ r, k }))
      .filter(({ r }) => r.mark !== 0 && (mode === 'none' || evalClasses.has(r.cls)))
      .map(({ k }) => k);
    if (keepRows.length !== g.length) {
      sim = selectRows(sim, keepRows);
    }
    gtIdsRaw.push(keepRows.map((k) => g[k].id));
    trIdsRaw.push(tr.map((r) => r.id));
    similarity.push(sim);
  }
  const gtIds = relabel(gtIdsRaw);
  const trIds = relabel(trIdsRaw);
  return {
    numTimesteps,
    numGtIds: gtIds.count,
    numTrackerIds: trIds.count,
    numGtDets: gtIdsRaw.reduce((s, ids) => s + ids.length, 0),
    numTrackerDets: trIdsRaw.reduce((s, ids) => s + ids.length, 0),
    gtIds: gtIds.ids,
    trackerIds: trIds.ids,
    similarity,
    removedTrackerDets: removed,
  };
}

function selectCols(m: Matrix, cols: number[]): Matrix {
  const data = new Float64Array(m.rows * cols.length);
  for (let i = 0; i < m.rows; i++) {
    cols.forEach((c, k) => (data[i * cols.length + k] = m.data[i * m.cols + c]));
  }
  return { rows: m.rows, cols: cols.length, data };
}

function selectRows(m: Matrix, rows: number[]): Matrix {
  const data = new Float64Array(rows.length * m.cols);
  rows.forEach((r, k) => data.set(m.data.subarray(r * m.cols, (r + 1) * m.cols), k * m.cols));
  return { rows: rows.length, cols: m.cols, data };
}

/** What {@link sumOverIdPairs} adds up over a sequence. */
export interface IdPairSums {
  /** gt id x tracker id (row-major, `numTrackerIds` columns): the sum of the pair's per-frame scores. */
  potential: Float64Array;
  /** Frames in which each gt id has a box. */
  gtCount: Float64Array;
  /** Frames in which each tracker id has a box. */
  trCount: Float64Array;
}

/**
 * Adds a per-frame score of every gt box x tracker box pair into its (gt id, tracker id) cell over the whole
 * sequence, and counts each id's boxes: the first pass of both the identity and the HOTA metrics. `pairScore` is
 * called once per frame with its IoU matrix and returns the score of the box pair (i, j) of that frame.
 */
export function sumOverIdPairs(data: MotSequenceData, pairScore: (sim: Matrix) => (i: number, j: number) => number): IdPairSums {
  const nt = data.numTrackerIds;
  const potential = new Float64Array(data.numGtIds * nt);
  const gtCount = new Float64Array(data.numGtIds);
  const trCount = new Float64Array(nt);
  for (let t = 0; t < data.numTimesteps; t++) {
    const gtIds = data.gtIds[t];
    const trIds = data.trackerIds[t];
    const sim = data.similarity[t];
    const score = pairScore(sim);
    for (let i = 0; i < sim.rows; i++) {
      for (let j = 0; j < sim.cols; j++) {
        potential[gtIds[i] * nt + trIds[j]] += score(i, j);
      }
    }
    gtIds.forEach((g) => gtCount[g]++);
    trIds.forEach((k) => trCount[k]++);
  }
  return { potential, gtCount, trCount };
}
