/**
 * SSD-MobileNetV1 face detector (face-api weights, built to ONNX by src/models). Placeholder until the builder's
 * decoder lands: loading fails with a ModelError and the stage falls back to UltraFace.
 */
import { ModelError } from '../core/errors';
import type { FaceDetector } from './detector';

/** See the module comment. */
export class SsdFaceDetector {
  /** Loads the SSD model. */
  static async load(file: string): Promise<FaceDetector> {
    throw new ModelError(`SSD face detector is not available yet (${file})`);
  }
}
