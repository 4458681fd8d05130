import type { Context } from '../core/context';
import type { Detection, FaceObservation } from '../core/types';

/** One frame handed to the face stage by a detect worker. Pixels are rgb24, row-major, no padding. */
export interface FaceFrame {
  camera: string;
  seq: number;
  width: number;
  height: number;
  pixels: Buffer;
}

/**
 * The face stage run inside the detect role for cameras with `faces.enabled`: finds faces (inside person boxes,
 * or the whole frame by option), aligns, embeds and matches them against the watchlist.
 */
export interface FaceStage {
  process(frame: FaceFrame, detections: readonly Detection[]): Promise<FaceObservation[]>;
  readiness(): string[];
  close(): Promise<void>;
}

/** Creates the face stage, or undefined when no camera uses faces. (Owned by the faces work; see issue 4.) */
export async function createFaceStage(ctx: Context): Promise<FaceStage | undefined> {
  void ctx;
  return undefined;
}
