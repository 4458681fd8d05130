import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ModelError } from '../../core/errors';

/** One entry of a tfjs weights manifest. */
export interface ManifestEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  quantization?: { dtype: 'uint8' | 'uint16' | 'float16'; scale?: number; min?: number };
}

/** One group of a tfjs `*-weights_manifest.json`: its .bin files (concatenated) and the tensors in them. */
export interface ManifestGroup {
  paths: string[];
  weights: ManifestEntry[];
}

/** A dequantised tensor: TF layout (channels last), row-major float32. */
export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

/** The face-api networks whose weights the converter reads. */
export type FaceApiModelName =
  | 'face_recognition_model'
  | 'face_landmark_68_model'
  | 'ssd_mobilenetv1_model'
  | 'tiny_face_detector_model';

/** The `model/` folder of the installed `@vladmandic/face-api` package. */
export function faceApiModelDir(): string {
  return join(dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');
}

function elementCount(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function float16ToFloat32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) {
    return s * 2 ** -14 * (f / 1024);
  }
  if (e === 31) {
    return f ? NaN : s * Infinity;
  }
  return s * 2 ** (e - 15) * (1 + f / 1024);
}

/**
 * Decodes the tensors of a manifest group from its concatenated bytes. Quantised entries are dequantised as
 * `value = q * scale + min` (computed in double, stored as float32, as tfjs does); float16 entries are widened;
 * int32 entries (graph constants such as slice sizes) are returned as floats too. Pure.
 * @throws ModelError when the bytes run out or a dtype is unknown.
 */
export function decodeWeights(entries: readonly ManifestEntry[], bytes: Uint8Array): Map<string, WeightTensor> {
  const out = new Map<string, WeightTensor>();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  for (const e of entries) {
    const n = elementCount(e.shape);
    const data = new Float32Array(n);
    const q = e.quantization;
    const width = q ? (q.dtype === 'uint8' ? 1 : 2) : 4;
    if (offset + n * width > bytes.length) {
      throw new ModelError(`face-api weights: ${e.name} runs past the end of the weight data`);
    }
    if (q && (q.dtype === 'uint8' || q.dtype === 'uint16')) {
      const scale = q.scale ?? 1;
      const min = q.min ?? 0;
      for (let i = 0; i < n; i++) {
        const v = q.dtype === 'uint8' ? bytes[offset + i] : view.getUint16(offset + 2 * i, true);
        data[i] = e.dtype === 'int32' ? Math.round(v * scale + min) : v * scale + min;
      }
    } else if (q && q.dtype === 'float16') {
      for (let i = 0; i < n; i++) {
        data[i] = float16ToFloat32(view.getUint16(offset + 2 * i, true));
      }
    } else if (!q && (e.dtype === 'float32' || e.dtype === 'int32')) {
      for (let i = 0; i < n; i++) {
        data[i] = e.dtype === 'float32' ? view.getFloat32(offset + 4 * i, true) : view.getInt32(offset + 4 * i, true);
      }
    } else {
      throw new ModelError(`face-api weights: ${e.name} has an unsupported dtype`);
    }
    offset += n * width;
    out.set(e.name, { shape: [...e.shape], data });
  }
  return out;
}

/**
 * Reads and dequantises one face-api network's weights from `modelDir` (default: the installed package's
 * `model/` folder).
 * @throws ModelError when the manifest or a .bin file is missing or malformed.
 */
export async function loadFaceApiWeights(name: FaceApiModelName, modelDir = faceApiModelDir()): Promise<WeightMap> {
  let groups: ManifestGroup[];
  try {
    groups = JSON.parse(await readFile(join(modelDir, `${name}-weights_manifest.json`), 'utf8')) as ManifestGroup[];
  } catch (err) {
    throw new ModelError(`face-api weights: cannot read the ${name} manifest in ${modelDir}`, { cause: err });
  }
  const all = new Map<string, WeightTensor>();
  for (const group of groups) {
    const parts: Buffer[] = [];
    for (const p of group.paths) {
      try {
        parts.push(await readFile(join(modelDir, p)));
      } catch (err) {
        throw new ModelError(`face-api weights: cannot read ${p} in ${modelDir}`, { cause: err });
      }
    }
    for (const [k, v] of decodeWeights(group.weights, Buffer.concat(parts))) {
      all.set(k, v);
    }
  }
  return new WeightMap(name, all);
}

/** Named tensors of one network, with checked access. */
export class WeightMap {
  constructor(
    readonly model: string,
    private readonly tensors: Map<string, WeightTensor>,
  ) {}

  /**
   * The tensor `name`, checked against `shape` when given.
   * @throws ModelError when it is missing or has another shape.
   */
  get(name: string, shape?: readonly number[]): WeightTensor {
    const t = this.tensors.get(name);
    if (!t) {
      throw new ModelError(`face-api weights: ${this.model} has no tensor ${name}`);
    }
    if (shape && (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i]))) {
      throw new ModelError(`face-api weights: ${this.model}/${name} is [${t.shape}], expected [${shape}]`);
    }
    return t;
  }

  /** Names of every tensor. */
  names(): string[] {
    return [...this.tensors.keys()];
  }
}
