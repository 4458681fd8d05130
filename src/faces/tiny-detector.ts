/**
 * face-api's TinyFaceDetector (Tiny-YOLOv2, converted to ONNX by src/models: `tiny_face_detector.onnx`, input
 * [N,S,S,3] NHWC RGB 0..255, the image scaled so its longer side is S at the top-left, zero padded; output the raw
 * `grid`), decoded with the builder's pure face-api decoding and NMS.
 */
import * as ort from 'onnxruntime-node';
import { ModelError } from '../core/errors';
import { ssdLetterbox } from '../models/face-api/ssd-decode';
import { decodeTinyFaces } from '../models/face-api/tiny-decode';
import type { FaceDetector } from './detector';
import { packTensor, warpAffine, type Rect, type RgbImage } from './image';
import { loadFaceNet, type FaceNet } from './onnx';
import type { FaceBox } from './ultraface';

/** See the module comment. */
export class TinyFaceDetector implements FaceDetector {
  readonly name = 'tiny_face_detector';
  private constructor(
    private readonly net: FaceNet,
    private readonly size: number,
  ) {}

  /** Loads `tiny_face_detector.onnx`. */
  static async load(file: string): Promise<TinyFaceDetector> {
    const net = await loadFaceNet(file);
    const meta = net.session.inputMetadata[0];
    const shape = meta && meta.isTensor ? meta.shape : [];
    const size = shape[1];
    if (net.layout !== 'nhwc' || typeof size !== 'number' || size % 32 !== 0 || !net.session.outputNames.includes('grid')) {
      throw new ModelError(`${file}: not the face-api TinyFaceDetector export (NHWC square input, grid output)`);
    }
    return new TinyFaceDetector(net, size);
  }

  async detect(img: RgbImage, region: Rect, minScore: number): Promise<FaceBox[]> {
    const S = this.size;
    const lb = ssdLetterbox(region.width, region.height, S);
    const input = warpAffine(img, [region.width / lb.width, 0, region.x, 0, region.height / lb.height, region.y], S, S, {
      valid: { x: 0, y: 0, width: lb.width, height: lb.height },
    });
    const data = new Float32Array(S * S * 3);
    packTensor(input, data, 0, 'nhwc', [0, 0, 0], 1);
    const res = await this.net.session.run({ [this.net.input]: new ort.Tensor('float32', data, [1, S, S, 3]) });
    const grid = res.grid?.data as Float32Array | undefined;
    if (!grid) {
      throw new ModelError('TinyFaceDetector model has no grid output');
    }
    return decodeTinyFaces(grid, S / 32, { scoreThreshold: minScore, letterbox: lb }).map((f) => ({
      x1: region.x + f.box[0] * region.width,
      y1: region.y + f.box[1] * region.height,
      x2: region.x + f.box[2] * region.width,
      y2: region.y + f.box[3] * region.height,
      score: f.score,
    }));
  }
}
