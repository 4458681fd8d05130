/**
 * Which camera a detector serves when it takes one of this process's tickets. Pure (no I/O, no clock).
 *
 * FAIR: each camera counts the frames it was served. Only cameras at most `slack` frames ahead of the least-served
 * camera that has a frame waiting may be served, so under overload every camera gets the same share of the
 * detectors (within `slack` + 1 frames at any moment) and a busy camera cannot starve a quiet one: a camera with
 * fewer frames than its share (a low frame rate) is served within (`slack` + 1) turns of each other camera once its
 * frame arrives. A camera's count never lags more than one frame behind the others' level when it comes back, so
 * a pause earns it no burst of turns afterwards.
 *
 * FRESH: among the cameras allowed, the one whose newest frame is the freshest goes first. A camera's frames
 * arrive at a fixed phase, so serving the one whose frame has just arrived binds frames a few milliseconds old
 * instead of anywhere within one frame interval (up to 100 ms at 10 fps), which is most of capture → detections
 * latency under overload. That holds for cameras that offer more frames than their share (most of their frames are
 * superseded anyway; waiting gives them a fresher one). A camera that KEEPS UP (its frames are rarely superseded:
 * each is detected) would lose a detection by waiting until its next frame, so such cameras go first, oldest frame
 * first, as a queue would serve them: 32 cameras at 2 fps near saturation stay at their rate.
 *
 * The tickets in the BullMQ queue still decide WHEN this process's cameras are served (first queued, first served,
 * across processes); this decides WHICH of its cameras.
 */

/** A camera that could be served now: it has a frame waiting. */
export interface FreshCandidate {
  camera: string;
  /** Capture time of its newest frame (ms). */
  capturedAt: number;
  /** Whether the camera's frames are rarely superseded (each is detected): then its oldest frame must not wait. */
  keepsUp: boolean;
}

/** The fair-share counts of one ingest process's cameras. */
export class FreshFirst {
  private readonly counts = new Map<string, number>();
  /** The least count among the candidates of the last pick (never decreases). */
  private level = 0;

  /** @param slack how many frames ahead of the least-served candidate a camera may be and still be served */
  constructor(private readonly slack = 1) {}

  /**
   * Picks the camera to serve among `candidates` (undefined when there are none) and counts the frame: among those
   * within their share, the oldest frame of a camera that keeps up, else the freshest frame. Ties go to the earlier
   * candidate (callers list the ticket's own camera first).
   */
  pick(candidates: readonly FreshCandidate[]): string | undefined {
    let least = Infinity;
    for (const c of candidates) {
      // New, or back after a pause: one frame below the others' level at most.
      const n = Math.max(this.counts.get(c.camera) ?? this.level, this.level - 1);
      this.counts.set(c.camera, n);
      least = Math.min(least, n);
    }
    let best: FreshCandidate | undefined;
    for (const c of candidates) {
      if (this.counts.get(c.camera)! > least + this.slack) {
        continue;
      }
      if (best === undefined || (c.keepsUp && !best.keepsUp)) {
        best = c;
      } else if (c.keepsUp === best.keepsUp && (c.keepsUp ? c.capturedAt < best.capturedAt : c.capturedAt > best.capturedAt)) {
        best = c;
      }
    }
    if (best === undefined) {
      return undefined;
    }
    this.counts.set(best.camera, this.counts.get(best.camera)! + 1);
    this.level = Math.max(this.level, least);
    return best.camera;
  }

  /** A camera left: its count goes. */
  forget(camera: string): void {
    this.counts.delete(camera);
  }

  /** Frames served to a camera so far (its fair-share count). */
  served(camera: string): number {
    return this.counts.get(camera) ?? 0;
  }
}
