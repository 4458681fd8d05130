/**
 * Face detectors behind one small interface, keyed by `faces.detector`. A detector looks for faces inside a region
 * of an rgb24 frame and returns boxes in frame pixels.
 */
import * as ort from 'onnxruntime-node';
import { ModelError } from '../core/errors';
import { letterbox, letterboxImage, packTensor, type Rect, type RgbImage } from './image';
import { loadFaceNet, type FaceNet } from './onnx';
import { decodeUltraFace, ULTRAFACE_MEAN, ULTRAFACE_SCALE, type FaceBox } from './ultraface';

/** Finds faces inside a region of a frame. */
export interface FaceDetector {
  readonly name: string;
  /**
   * Person regions worth searching one by one before a single whole-frame run is cheaper (a run costs about the
   * same whatever the region). @defaultValue 3
   */
  readonly maxRegions?: number;
  /** Faces in frame pixels, at or above `minScore`. */
  detect(img: RgbImage, region: Rect, minScore: number): Promise<FaceBox[]>;
}

/** UltraFace RFB-320 / RFB-640 (fixed input size, batch 1). */
export class UltraFaceDetector implements FaceDetector {
  readonly name = 'ultraface';
  private constructor(
    private readonly net: FaceNet,
    private readonly inW: number,
    private readonly inH: number,
  ) {}

  /** Loads an UltraFace ONNX file. */
  static async load(file: string): Promise<UltraFaceDetector> {
    const net = await loadFaceNet(file);
    const meta = net.session.inputMetadata[0];
    const shape = meta && meta.isTensor ? meta.shape : [];
    const inH = shape[2];
    const inW = shape[3];
    if (typeof inW !== 'number' || typeof inH !== 'number' || net.layout !== 'nchw') {
      throw new ModelError(`${file}: not an UltraFace model (input [${shape.join(',')}])`);
    }
    return new UltraFaceDetector(net, inW, inH);
  }

  async detect(img: RgbImage, region: Rect, minScore: number): Promise<FaceBox[]> {
    const lb = letterbox(region, this.inW, this.inH);
    // padding = 127 so it normalises to ~0, like a flat grey border
    const input = letterboxImage(img, lb, 127);
    const data = new Float32Array(3 * this.inW * this.inH);
    packTensor(input, data, 0, 'nchw', ULTRAFACE_MEAN, ULTRAFACE_SCALE);
    const res = await this.net.session.run({ [this.net.input]: new ort.Tensor('float32', data, [1, 3, this.inH, this.inW]) });
    const scores = res.scores?.data as Float32Array | undefined;
    const boxes = res.boxes?.data as Float32Array | undefined;
    if (!scores || !boxes) {
      throw new ModelError('UltraFace model has no scores/boxes outputs');
    }
    return decodeUltraFace(scores, boxes, lb, { minScore });
  }
}
