/**
 * The two face-api networks run per face, as onnxruntime sessions: the 68-point landmark net (112×112 input) and
 * the dlib ResNet recogniser (150×150 input, 128-d descriptor). Several faces go through in one batched run when
 * the exported graph has a free batch dimension.
 */
import { ModelError } from '../core/errors';
import { packTensor, type RgbImage } from './image';
import { imageTensor, loadFaceNet, runNet, type FaceNet } from './onnx';
import { LANDMARK_INPUT, RECOGNITION_INPUT } from './align';

/** How images are turned into the net's input values: (v - mean) * scale. */
export interface NetPreprocess {
  mean: readonly [number, number, number];
  scale: number;
}

/**
 * RGB 0..255 as is: face-api's normalisation ((rgb - mean) / 255) is inside the graphs the project's builder
 * writes (src/models/face-api).
 */
export const RAW_PREPROCESS: NetPreprocess = { mean: [0, 0, 0], scale: 1 };

/** Upper bound of faces per batched run (memory). */
const MAX_BATCH = 16;

/** Runs a square-input face net on many crops, batched when possible; returns `outLen` floats per crop. */
class BatchedNet {
  constructor(
    readonly net: FaceNet,
    private readonly size: number,
    private readonly outLen: number,
    private readonly pre: NetPreprocess,
  ) {}

  async run(crops: readonly RgbImage[]): Promise<Float32Array> {
    const out = new Float32Array(crops.length * this.outLen);
    const step = this.net.dynamicBatch ? MAX_BATCH : 1;
    const per = this.size * this.size * 3;
    for (let start = 0; start < crops.length; start += step) {
      const chunk = crops.slice(start, start + step);
      const data = new Float32Array(chunk.length * per);
      chunk.forEach((c, i) => {
        if (c.width !== this.size || c.height !== this.size) {
          throw new TypeError(`face crop must be ${this.size}x${this.size}, got ${c.width}x${c.height}`);
        }
        packTensor(c, data, i, this.net.layout, this.pre.mean, this.pre.scale);
      });
      const res = await runNet(this.net, imageTensor(this.net, data, chunk.length, this.size));
      if (res.length !== chunk.length * this.outLen) {
        throw new ModelError(`${this.net.file}: expected ${this.outLen} outputs per face, got ${res.length / chunk.length}`);
      }
      out.set(res, start * this.outLen);
    }
    return out;
  }
}

/** The 68-point landmark net. */
export class Landmarker {
  private constructor(private readonly batched: BatchedNet) {}

  /** Loads `face_landmark_68.onnx` (or another file with the same input/output). */
  static async load(file: string, pre: NetPreprocess = RAW_PREPROCESS): Promise<Landmarker> {
    return new Landmarker(new BatchedNet(await loadFaceNet(file), LANDMARK_INPUT, 136, pre));
  }

  /** 136 values per crop: (x, y) of 68 points as fractions of the (padded, square) crop. */
  async run(crops: readonly RgbImage[]): Promise<Float32Array> {
    return crops.length === 0 ? new Float32Array(0) : this.batched.run(crops);
  }
}

/** The 128-d face descriptor net. */
export class Embedder {
  private constructor(private readonly batched: BatchedNet) {}

  /** Loads `face_recognition.onnx` (or another file with the same input/output). */
  static async load(file: string, pre: NetPreprocess = RAW_PREPROCESS): Promise<Embedder> {
    return new Embedder(new BatchedNet(await loadFaceNet(file), RECOGNITION_INPUT, 128, pre));
  }

  /** One 128-d descriptor per aligned 150×150 crop. */
  async embed(crops: readonly RgbImage[]): Promise<Float32Array[]> {
    if (crops.length === 0) {
      return [];
    }
    const flat = await this.batched.run(crops);
    return crops.map((_, i) => flat.subarray(i * 128, (i + 1) * 128));
  }
}
