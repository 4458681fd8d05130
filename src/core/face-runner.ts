/**
 * What the detect stage needs of the face stage it runs on frames of cameras with faces on: "run faces on this
 * frame", plus its start, stop and readiness. Declared here, below both stages, so that detect never imports
 * src/faces: the face stage implements it (src/faces/stage.ts) and the daemon hands one to the detect stage
 * (src/daemon/detect-role.ts).
 */
import type { Detection, FaceObservation } from './types';

/** One frame handed to the face stage by a detect worker. Pixels are rgb24, row-major, no padding. */
export interface FaceFrame {
  camera: string;
  seq: number;
  width: number;
  height: number;
  pixels: Buffer;
}

/** The face stage as the detect stage sees it. */
export interface FaceRunner {
  /**
   * Starts now when a camera in effect has faces on, else as soon as one is switched on. Rejects when the start
   * now fails (a later camera change tries again).
   */
  start(): Promise<void>;
  /** True once started (models loaded, watchlist followed) and until stopped. */
  readonly running: boolean;
  /** The faces found and matched in `frame`; none for a camera without faces on, or once stopped. */
  process(frame: FaceFrame, detections: readonly Detection[]): Promise<FaceObservation[]>;
  /** Empty when ready; otherwise why not (GET /readyz). */
  readiness(): string[];
  /** Stops following the cameras and the watchlist. Idempotent. */
  stop(): Promise<void>;
}
