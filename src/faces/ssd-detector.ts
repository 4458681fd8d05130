/**
 * SSD-MobileNetV1 face detector: face-api's trained network converted to ONNX by src/models
 * (`ssd_mobilenetv1.onnx`, input [N,512,512,3] NHWC RGB 0..255, the image scaled so its longer side is 512 at the
 * top-left, zero padded; outputs `boxes` and `scores`), decoded with the builder's pure face-api NMS.
 */
import * as ort from 'onnxruntime-node';
import { ModelError } from '../core/errors';
import { decodeSsdFaces, ssdLetterbox } from '../models/face-api/ssd-decode';
import type { FaceDetector } from './detector';
import { packTensor, warpAffine, type Rect, type RgbImage } from './image';
import { loadFaceNet, type FaceNet } from './onnx';
import type { FaceBox } from './ultraface';

/** Side of the SSD input. */
const SSD_SIZE = 512;

/** See the module comment. */
export class SsdFaceDetector implements FaceDetector {
  readonly name = 'ssd_mobilenetv1';
  /** One run costs some 50 ms on 2 quiet CPU cores (6× UltraFace): with two people or more, one whole-frame run. */
  readonly maxRegions = 1;
  private constructor(private readonly net: FaceNet) {}

  /** Loads `ssd_mobilenetv1.onnx`. */
  static async load(file: string): Promise<SsdFaceDetector> {
    const net = await loadFaceNet(file);
    if (net.layout !== 'nhwc' || !net.session.outputNames.includes('boxes') || !net.session.outputNames.includes('scores')) {
      throw new ModelError(`${file}: not the face-api SSD export (NHWC input, boxes + scores outputs)`);
    }
    return new SsdFaceDetector(net);
  }

  async detect(img: RgbImage, region: Rect, minScore: number): Promise<FaceBox[]> {
    const lb = ssdLetterbox(region.width, region.height, SSD_SIZE);
    const kx = region.width / lb.width;
    const ky = region.height / lb.height;
    const input = warpAffine(img, [kx, 0, region.x, 0, ky, region.y], SSD_SIZE, SSD_SIZE, {
      valid: { x: 0, y: 0, width: lb.width, height: lb.height },
    });
    const data = new Float32Array(SSD_SIZE * SSD_SIZE * 3);
    packTensor(input, data, 0, 'nhwc', [0, 0, 0], 1);
    const res = await this.net.session.run({ [this.net.input]: new ort.Tensor('float32', data, [1, SSD_SIZE, SSD_SIZE, 3]) });
    const boxes = res.boxes?.data as Float32Array | undefined;
    const scores = res.scores?.data as Float32Array | undefined;
    if (!boxes || !scores) {
      throw new ModelError('SSD face model has no boxes/scores outputs');
    }
    return decodeSsdFaces(boxes, scores, { minConfidence: minScore, letterbox: lb }).map((f) => ({
      x1: region.x + f.box[0] * region.width,
      y1: region.y + f.box[1] * region.height,
      x2: region.x + f.box[2] * region.width,
      y2: region.y + f.box[3] * region.height,
      score: f.score,
    }));
  }
}
