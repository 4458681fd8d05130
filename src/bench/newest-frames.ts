/**
 * Pure: the ceiling's admission of `vigil bench live`. Each camera keeps only its newest frame; a newer one
 * supersedes it (the caller releases the superseded one). The detector serves the camera that has waited longest
 * since it was last served, among those with a frame waiting (round robin over the ready cameras; never-served
 * cameras by oldest frame first), and takes that camera's newest frame.
 *
 * Why not the oldest newest-frame: measured with 12 cameras × 10 fps (`vigil bench live`, 2026-12-04), taking the
 * frame with the oldest capture time served the cameras whose next frame was about to arrive, which with fixed
 * stream phases is the same few cameras again and again: per-camera rates of 0.5 to 9.1 fps, a poor ceiling.
 */

/** A frame waiting for the detector. */
export interface Waiting<F> {
  camera: number;
  frame: F;
  capturedAt: number;
}

/** Newest frame per camera, oldest-waiting first. */
export class NewestFrames<F> {
  private readonly slots: Array<Waiting<F> | undefined>;
  /** When each camera was last served (a counter; -1 = never). */
  private readonly served: number[];
  private serves = 0;
  private next = 0;
  /** Frames replaced by a newer one of their camera before the detector took them. */
  superseded = 0;

  constructor(readonly cameras: number) {
    if (!Number.isInteger(cameras) || cameras < 1) {
      throw new TypeError(`NewestFrames: cameras must be a positive integer (got ${cameras})`);
    }
    this.slots = new Array<Waiting<F> | undefined>(cameras).fill(undefined);
    this.served = new Array<number>(cameras).fill(-1);
  }

  /** Frames waiting now. */
  get size(): number {
    return this.slots.reduce((n, s) => n + (s ? 1 : 0), 0);
  }

  /** Offers a camera's new frame; returns the frame it supersedes (for the caller to release), if any. */
  offer(camera: number, frame: F, capturedAt: number): F | undefined {
    if (!(camera >= 0 && camera < this.cameras)) {
      throw new RangeError(`NewestFrames: no camera ${camera}`);
    }
    const old = this.slots[camera];
    this.slots[camera] = { camera, frame, capturedAt };
    if (old) {
      this.superseded++;
      return old.frame;
    }
    return undefined;
  }

  /**
   * Takes the newest frame of the ready camera served least recently (never-served ones first, by oldest frame;
   * remaining ties round robin after the last camera served); undefined when no frame waits.
   */
  take(): Waiting<F> | undefined {
    let best: Waiting<F> | undefined;
    for (let k = 0; k < this.cameras; k++) {
      const s = this.slots[(this.next + k) % this.cameras];
      if (!s) {
        continue;
      }
      const a = this.served[s.camera];
      const b = best ? this.served[best.camera] : Infinity;
      if (!best || a < b || (a === b && a === -1 && s.capturedAt < best.capturedAt)) {
        best = s;
      }
    }
    if (best) {
      this.slots[best.camera] = undefined;
      this.served[best.camera] = this.serves++;
      this.next = (best.camera + 1) % this.cameras;
    }
    return best;
  }

  /** Removes and returns every waiting frame (to release them at the end). */
  drain(): F[] {
    const out: F[] = [];
    for (let i = 0; i < this.cameras; i++) {
      const s = this.slots[i];
      if (s) {
        out.push(s.frame);
        this.slots[i] = undefined;
      }
    }
    return out;
  }
}
