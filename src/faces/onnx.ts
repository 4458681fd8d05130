/**
 * Thin onnxruntime adapter shared by the face networks: session creation and input-layout discovery.
 */
import * as ort from 'onnxruntime-node';
import { ModelError } from '../core/errors';
import type { Layout } from './image';

/** A loaded network with what the face code needs to know about its input. */
export interface FaceNet {
  session: ort.InferenceSession;
  input: string;
  layout: Layout;
  /** True when the batch dimension is free (several faces per run). */
  dynamicBatch: boolean;
  file: string;
}

/** Loads an ONNX file and reads its input layout (NCHW or NHWC, 3 channels). */
export async function loadFaceNet(file: string, opts: { threads?: number } = {}): Promise<FaceNet> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, {
      logSeverityLevel: 3,
      graphOptimizationLevel: 'all',
      ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
    });
  } catch (err) {
    throw new ModelError(`cannot load face model ${file}: ${(err as Error).message}`, { cause: err });
  }
  const input = session.inputNames[0];
  if (input === undefined) {
    throw new ModelError(`face model ${file} has no input`);
  }
  const meta = session.inputMetadata.find((m) => m.name === input);
  const shape = meta && meta.isTensor ? meta.shape : [];
  const layout: Layout = shape[1] === 3 ? 'nchw' : 'nhwc';
  if (shape.length !== 4 || (shape[1] !== 3 && shape[3] !== 3)) {
    throw new ModelError(`face model ${file}: expected a 4-d image input, got [${shape.join(',')}]`);
  }
  const dynamicBatch = typeof shape[0] !== 'number' || shape[0] < 1;
  return { session, input, layout, dynamicBatch, file };
}

/** Builds a float tensor of `n` square images of side `size` in the net's layout. */
export function imageTensor(net: FaceNet, data: Float32Array, n: number, size: number): ort.Tensor {
  const dims = net.layout === 'nchw' ? [n, 3, size, size] : [n, size, size, 3];
  return new ort.Tensor('float32', data, dims);
}

/** Runs a net on one input, returns the first (or named) output's data. */
export async function runNet(net: FaceNet, tensor: ort.Tensor, output?: string): Promise<Float32Array> {
  const res = await net.session.run({ [net.input]: tensor });
  const name = output ?? net.session.outputNames[0]!;
  const t = res[name];
  if (!t) {
    throw new ModelError(`face model ${net.file}: no output ${name}`);
  }
  return t.data as Float32Array;
}
