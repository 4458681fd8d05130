/**
 * Pure: the ceiling's admission of `vigil bench live`. Each camera keeps only its newest frame; a newer one
 * supersedes it (the caller releases the superseded one). The detector takes the frame that has waited longest
 * (oldest capture time); cameras with equal waits are served round robin, starting after the last one served.
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
  private next = 0;
  /** Frames replaced by a newer one of their camera before the detector took them. */
  superseded = 0;

  constructor(readonly cameras: number) {
    if (!Number.isInteger(cameras) || cameras < 1) {
      throw new TypeError(`NewestFrames: cameras must be a positive integer (got ${cameras})`);
    }
    this.slots = new Array<Waiting<F> | undefined>(cameras).fill(undefined);
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

  /** Takes the frame that has waited longest (ties: round robin after the last camera served); undefined when none. */
  take(): Waiting<F> | undefined {
    let best: Waiting<F> | undefined;
    for (let k = 0; k < this.cameras; k++) {
      const s = this.slots[(this.next + k) % this.cameras];
      if (s && (!best || s.capturedAt < best.capturedAt)) {
        best = s;
      }
    }
    if (best) {
      this.slots[best.camera] = undefined;
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
