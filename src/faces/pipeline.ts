/**
 * The face pipeline on one frame: face search (inside person boxes, or the whole frame by option), minimum face
 * size, 68 landmarks → eye-level aligned crop → quality → batched embedding → watchlist match.
 * Models come in through small interfaces so the flow is tested with fakes.
 */
import type { Box, Detection, FaceObservation } from '../core/types';
import { alignedCrop, alignmentFromLandmarks, landmarkCrop, landmarkSquare, landmarksFromOutput, type Landmarks } from './align';
import type { FaceDetector } from './detector';
import { FaceCache } from './face-cache';
import type { Rect, RgbImage } from './image';
import type { FaceIndex, FaceMatch } from './matcher';
import { faceQuality, type FaceQuality } from './quality';
import { nmsFaces, type FaceBox } from './ultraface';

/** The networks the pipeline needs. */
export interface FaceModels {
  detector: FaceDetector;
  landmarker: { run(crops: readonly RgbImage[]): Promise<Float32Array> };
  embedder: { embed(crops: readonly RgbImage[]): Promise<Float32Array[]> };
}

/** One analysed face. */
export interface FaceAnalysis {
  box: FaceBox;
  landmarks: Landmarks;
  quality: FaceQuality;
  embedding: Float32Array;
  /** Index of the region (person detection) it was found in, when searched in person boxes. */
  region?: number;
}

/** Options of the pipeline (the `faces` config section plus a few internals). */
export interface FacePipelineOptions {
  wholeFrame: boolean;
  /** Smallest face side, pixels. */
  minFaceSize: number;
  minScore: number;
  threshold: number;
  /** Detection labels whose boxes are searched for faces. @defaultValue ['person'] */
  personLabels?: readonly string[];
  /**
   * With more person regions to search than this, the detector runs once on the whole frame instead and only the
   * faces inside those regions are kept (one run costs about as much as one region).
   * @defaultValue the detector's `maxRegions`, else 3
   */
  maxRegions?: number;
  /** Faces below this quality are dropped before embedding (0 = keep all). @defaultValue 0 */
  minQuality?: number;
}

/** Time spent in each step of the last {@link FacePipeline.process} call, ms. */
export interface FaceTimings {
  detectMs: number;
  landmarkMs: number;
  embedMs: number;
  totalMs: number;
  faces: number;
  embedded: number;
  reused: number;
}

/**
 * The region of a person box searched for a face, in pixels: the top of the box (a standing person's head is in
 * the top fifth; a close-up's box is mostly face), slightly widened.
 */
export function personSearchRegion(box: Box, width: number, height: number): Rect {
  const x1 = box[0] * width;
  const y1 = box[1] * height;
  const w = (box[2] - box[0]) * width;
  const h = (box[3] - box[1]) * height;
  const rh = Math.min(h, Math.max(1.5 * w, 0.35 * h));
  const rx1 = Math.max(0, x1 - 0.1 * w);
  const ry1 = Math.max(0, y1 - 0.05 * h);
  const rx2 = Math.min(width, x1 + 1.1 * w);
  const ry2 = Math.min(height, y1 + rh + 0.05 * h);
  return { x: rx1, y: ry1, width: Math.max(1, rx2 - rx1), height: Math.max(1, ry2 - ry1) };
}

/** Detects the faces in the given regions (duplicates across overlapping regions removed), `region` set. */
export async function detectFaces(
  detector: FaceDetector,
  img: RgbImage,
  regions: readonly Rect[],
  opts: { minFaceSize: number; minScore: number },
): Promise<Array<FaceBox & { region: number }>> {
  const found: Array<FaceBox & { region: number }> = [];
  for (let r = 0; r < regions.length; r++) {
    for (const f of await detector.detect(img, regions[r]!, opts.minScore)) {
      if (Math.min(f.x2 - f.x1, f.y2 - f.y1) >= opts.minFaceSize) {
        found.push({ ...f, region: r });
      }
    }
  }
  return (regions.length > 1 ? nmsFaces(found, 0.4) : found) as Array<FaceBox & { region: number }>;
}

/** A detected face with its landmarks, aligned crop and quality, not yet embedded. */
export interface PreparedFace {
  box: FaceBox & { region?: number };
  landmarks: Landmarks;
  crop: RgbImage;
  quality: FaceQuality;
}

/** Landmarks (one batched run), aligned crops and quality of detected faces. */
export async function prepareFaces(
  models: Pick<FaceModels, 'landmarker'>,
  img: RgbImage,
  boxes: ReadonlyArray<FaceBox & { region?: number }>,
): Promise<PreparedFace[]> {
  if (boxes.length === 0) {
    return [];
  }
  const lmOut = await models.landmarker.run(boxes.map((b) => landmarkCrop(img, b)));
  return boxes.map((b, i) => {
    const landmarks = landmarksFromOutput(lmOut, i * 136, landmarkSquare(b));
    const crop = alignedCrop(img, alignmentFromLandmarks(landmarks));
    const quality = faceQuality(Math.min(b.x2 - b.x1, b.y2 - b.y1), landmarks, crop);
    return { box: b, landmarks, crop, quality };
  });
}

/**
 * Landmarks, aligned crops, quality and (for faces at or above `minQuality`) embeddings of detected faces.
 */
export async function describeFaces(
  models: Pick<FaceModels, 'landmarker' | 'embedder'>,
  img: RgbImage,
  boxes: ReadonlyArray<FaceBox & { region?: number }>,
  minQuality = 0,
  timings?: Partial<FaceTimings>,
): Promise<FaceAnalysis[]> {
  const t = performance.now();
  const keep = (await prepareFaces(models, img, boxes)).filter((c) => c.quality.score >= minQuality);
  const t2 = performance.now();
  const embeddings = keep.length > 0 ? await models.embedder.embed(keep.map((c) => c.crop)) : [];
  if (timings) {
    timings.landmarkMs = t2 - t;
    timings.embedMs = performance.now() - t2;
    timings.embedded = keep.length;
  }
  return keep.map((c, i) => {
    const { region, ...box } = c.box;
    return { box, landmarks: c.landmarks, quality: c.quality, embedding: embeddings[i]!, ...(region !== undefined ? { region } : {}) };
  });
}

/**
 * Detects, aligns and embeds every face in the given regions. Shared by the live pipeline and the benchmark.
 */
export async function analyseFaces(
  models: FaceModels,
  img: RgbImage,
  regions: readonly Rect[],
  opts: { minFaceSize: number; minScore: number; minQuality?: number },
  timings?: Partial<FaceTimings>,
): Promise<FaceAnalysis[]> {
  const t = performance.now();
  const boxes = await detectFaces(models.detector, img, regions, opts);
  if (timings) {
    timings.detectMs = performance.now() - t;
    timings.faces = boxes.length;
  }
  return describeFaces(models, img, boxes, opts.minQuality ?? 0, timings);
}

/** The live pipeline of the detect workers: one per process, shared by every face-enabled camera. */
export class FacePipeline {
  readonly cache = new FaceCache();
  /** Timings of the last frame. */
  lastTimings: FaceTimings = { detectMs: 0, landmarkMs: 0, embedMs: 0, totalMs: 0, faces: 0, embedded: 0, reused: 0 };

  constructor(
    private readonly models: FaceModels,
    private readonly index: FaceIndex,
    public opts: FacePipelineOptions,
  ) {}

  /** Matches one descriptor against the watchlist. */
  match(embedding: ArrayLike<number>): FaceMatch | undefined {
    return this.index.match(embedding, this.opts.threshold);
  }

  /** Finds and matches the faces of one frame. */
  async process(camera: string, img: RgbImage, detections: readonly Detection[], now = Date.now()): Promise<FaceObservation[]> {
    const t0 = performance.now();
    const timings: FaceTimings = { detectMs: 0, landmarkMs: 0, embedMs: 0, totalMs: 0, faces: 0, embedded: 0, reused: 0 };
    const labels = this.opts.personLabels ?? ['person'];
    const persons = detections
      .map((d, i) => ({ d, i }))
      .filter(({ d }) => labels.includes(d.label));
    const out: FaceObservation[] = [];
    const regions: Rect[] = [];
    const regionDet: number[] = [];
    if (this.opts.wholeFrame) {
      regions.push({ x: 0, y: 0, width: img.width, height: img.height });
    } else {
      for (const p of persons) {
        const cached = this.cache.lookup(camera, p.d.box, now);
        if (cached) {
          out.push({ ...cached, detectionIndex: p.i });
          timings.reused++;
          continue;
        }
        regions.push(personSearchRegion(p.d.box, img.width, img.height));
        regionDet.push(p.i);
      }
    }
    const full = [{ x: 0, y: 0, width: img.width, height: img.height }];
    let boxes: Array<FaceBox & { region: number }> = [];
    if (regions.length > (this.opts.maxRegions ?? this.models.detector.maxRegions ?? 3) && !this.opts.wholeFrame) {
      // many people: one whole-frame pass, each face given to the search region holding its centre
      const whole = await detectFaces(this.models.detector, img, full, this.opts);
      boxes = whole.flatMap((f) => {
        const r = regionOf(f, regions);
        return r === undefined ? [] : [{ ...f, region: r }];
      });
    } else if (regions.length > 0) {
      boxes = await detectFaces(this.models.detector, img, regions, this.opts);
    }
    const t1 = performance.now();
    timings.detectMs = t1 - t0;
    timings.faces = boxes.length;
    const prepared = (await prepareFaces(this.models, img, boxes)).filter((c) => c.quality.score >= (this.opts.minQuality ?? 0));
    const t2 = performance.now();
    timings.landmarkMs = t2 - t1;

    // an unknown person who keeps a face no better than the one already embedded is not embedded again
    const items = prepared.map((c) => {
      const b = c.box;
      const box: Box = [b.x1 / img.width, b.y1 / img.height, b.x2 / img.width, b.y2 / img.height];
      const detIndex = this.opts.wholeFrame ? containingPerson(box, persons) : regionDet[b.region ?? -1];
      const prev =
        detIndex === undefined ? undefined : this.cache.lookupUnknown(camera, detections[detIndex]!.box, now, c.quality.score);
      return { c, box, detIndex, prev };
    });
    const toEmbed = items.filter((it) => !it.prev);
    const embeddings = toEmbed.length > 0 ? await this.models.embedder.embed(toEmbed.map((it) => it.c.crop)) : [];
    timings.embedMs = performance.now() - t2;
    timings.embedded = toEmbed.length;
    const fresh: Array<{ person: Box; obs: FaceObservation }> = [];
    let k = 0;
    for (const it of items) {
      // 4 decimals: distances change by < 1e-3, the JSON result is half the size
      const embedding = it.prev?.embedding ?? Array.from(embeddings[k++]!, (v) => Math.round(v * 1e4) / 1e4);
      const match = this.match(embedding);
      const obs: FaceObservation = {
        box: it.box,
        score: it.c.box.score,
        embedding,
        quality: it.prev?.quality ?? it.c.quality.score,
        ...(match ? { match } : {}),
        ...(it.detIndex !== undefined ? { detectionIndex: it.detIndex } : {}),
      };
      out.push(obs);
      if (it.prev) {
        timings.reused++;
      } else if (it.detIndex !== undefined) {
        fresh.push({ person: detections[it.detIndex]!.box, obs });
      }
    }
    this.cache.update(camera, fresh, now);
    timings.totalMs = performance.now() - t0;
    this.lastTimings = timings;
    return out;
  }
}

/** Index of the smallest region containing the face box's centre. */
function regionOf(f: FaceBox, regions: readonly Rect[]): number | undefined {
  const cx = (f.x1 + f.x2) / 2;
  const cy = (f.y1 + f.y2) / 2;
  let best: number | undefined;
  let bestArea = Infinity;
  regions.forEach((r, i) => {
    if (cx >= r.x && cx <= r.x + r.width && cy >= r.y && cy <= r.y + r.height && r.width * r.height < bestArea) {
      best = i;
      bestArea = r.width * r.height;
    }
  });
  return best;
}

/** Index of the person box that best contains a face box (its centre inside, smallest box wins). */
export function containingPerson(face: Box, persons: ReadonlyArray<{ d: Detection; i: number }>): number | undefined {
  const cx = (face[0] + face[2]) / 2;
  const cy = (face[1] + face[3]) / 2;
  let best: number | undefined;
  let bestArea = Infinity;
  for (const { d, i } of persons) {
    const [x1, y1, x2, y2] = d.box;
    if (cx >= x1 && cx <= x2 && cy >= y1 && cy <= y2) {
      const area = (x2 - x1) * (y2 - y1);
      if (area < bestArea) {
        bestArea = area;
        best = i;
      }
    }
  }
  return best;
}
