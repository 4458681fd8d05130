/**
 * COCO JSON readers: a ground-truth file (images, categories, annotations) and a detection results list.
 */
import type { CocoDtBox, CocoGroundTruth } from '../metrics/types';

/**
 * How an image is mapped to a video frame: 'auto' (default) takes a numeric `frame` or `frame_id` field of the image,
 * else the last run of digits in `file_name`, else the image id.
 */
export type CocoFrameSource = 'auto' | 'field' | 'file_name' | 'id';

export interface CocoReadOptions {
  frameFrom?: CocoFrameSource;
  /** Name of the input in error messages (a file path). */
  source?: string;
}

/** Validates a parsed COCO ground-truth JSON. Throws an Error naming the first thing that is wrong. */
export function parseCocoGroundTruth(json: unknown, opts: CocoReadOptions = {}): CocoGroundTruth {
  void json;
  void opts;
  throw new Error('parseCocoGroundTruth: not implemented');
}

/** Validates a parsed COCO results list (`[{image_id, category_id, bbox, score}]`). */
export function parseCocoDetections(json: unknown, opts: { source?: string } = {}): CocoDtBox[] {
  void json;
  void opts;
  throw new Error('parseCocoDetections: not implemented');
}

/** Reads and validates a COCO ground-truth file. */
export async function readCocoGroundTruth(path: string, opts: CocoReadOptions = {}): Promise<CocoGroundTruth> {
  void path;
  void opts;
  throw new Error('readCocoGroundTruth: not implemented');
}

/** Reads and validates a COCO results file. */
export async function readCocoDetections(path: string): Promise<CocoDtBox[]> {
  void path;
  throw new Error('readCocoDetections: not implemented');
}
