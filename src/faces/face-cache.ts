/**
 * Per-camera memory of recently matched faces, keyed by the person box they were found in. The detect worker has
 * no tracks, so "embed the best faces, not every frame" is approximated here: when a person box barely moved since
 * its face was matched, the previous observation is reused (moved with the box) instead of detecting and embedding
 * again. Entries expire by age and by reuse count, so a match is re-checked regularly. Pure.
 */
import type { Box, FaceObservation } from '../core/types';
import { iou } from '../core/geometry';

/** Options of {@link FaceCache}. */
export interface FaceCacheOptions {
  /** Person boxes overlapping at least this much count as "barely moved". @defaultValue 0.85 */
  minIou?: number;
  /** Oldest observation reused, ms. @defaultValue 2000 */
  maxAgeMs?: number;
  /** Times one embedding is reused before the face is embedded again. @defaultValue 8 */
  maxReuse?: number;
  /** Cameras remembered at once. @defaultValue 256 */
  maxCameras?: number;
}

interface Entry {
  person: Box;
  obs: FaceObservation;
  at: number;
  reused: number;
}

/** See the module comment. */
export class FaceCache {
  private readonly cams = new Map<string, Entry[]>();
  private readonly minIou: number;
  private readonly maxAgeMs: number;
  private readonly maxReuse: number;
  private readonly maxCameras: number;

  constructor(opts: FaceCacheOptions = {}) {
    this.minIou = opts.minIou ?? 0.85;
    this.maxAgeMs = opts.maxAgeMs ?? 2000;
    this.maxReuse = opts.maxReuse ?? 8;
    this.maxCameras = opts.maxCameras ?? 256;
  }

  /**
   * A reusable observation for this person box, moved with it, or undefined. Only matched faces are reused
   * (unknown faces are re-examined every frame, so a better view can still match).
   */
  lookup(camera: string, person: Box, now: number): FaceObservation | undefined {
    const best = this.closest(camera, person, now, (e) => Boolean(e.obs.match));
    if (!best) {
      return undefined;
    }
    best.reused++;
    const dx = person[0] - best.person[0];
    const dy = person[1] - best.person[1];
    const b = best.obs.box;
    const { embedding: _e, ...rest } = best.obs;
    void _e;
    return { ...rest, box: [b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy] };
  }

  /**
   * The last unknown face embedded for this person box, when the box barely moved and the new view is not better
   * (`quality` at most the cached one's + `qualityMargin`): the caller reuses its embedding instead of embedding
   * the new view. The observation keeps its embedding (it still counts as an unknown face).
   */
  lookupUnknown(camera: string, person: Box, now: number, quality: number, qualityMargin = 0.05): FaceObservation | undefined {
    const best = this.closest(camera, person, now, (e) => !e.obs.match && Boolean(e.obs.embedding));
    if (!best || quality > (best.obs.quality ?? 0) + qualityMargin) {
      return undefined;
    }
    best.reused++;
    return best.obs;
  }

  /**
   * The camera's entry whose person box overlaps `person` most (IoU at least `minIou`, the last of equal ones), still
   * fresh and reusable, among those `accept` takes; undefined when none.
   */
  private closest(camera: string, person: Box, now: number, accept: (e: Entry) => boolean): Entry | undefined {
    let best: Entry | undefined;
    let bestIou = this.minIou;
    for (const e of this.cams.get(camera) ?? []) {
      const o = iou(e.person, person);
      if (o >= bestIou && now - e.at <= this.maxAgeMs && e.reused < this.maxReuse && accept(e)) {
        best = e;
        bestIou = o;
      }
    }
    return best;
  }

  /** Replaces the camera's entries with this frame's freshly computed faces (those found in person boxes). */
  update(camera: string, fresh: ReadonlyArray<{ person: Box; obs: FaceObservation }>, now: number): void {
    const kept = (this.cams.get(camera) ?? []).filter((e) => now - e.at <= this.maxAgeMs);
    for (const f of fresh) {
      const i = kept.findIndex((e) => iou(e.person, f.person) >= this.minIou);
      const entry = { person: f.person, obs: f.obs, at: now, reused: 0 };
      if (i >= 0) {
        kept[i] = entry;
      } else {
        kept.push(entry);
      }
    }
    this.cams.delete(camera);
    this.cams.set(camera, kept);
    while (this.cams.size > this.maxCameras) {
      const first = this.cams.keys().next().value as string;
      this.cams.delete(first);
    }
  }

  /** Forgets a camera. */
  forget(camera: string): void {
    this.cams.delete(camera);
  }
}
