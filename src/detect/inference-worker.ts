/**
 * Worker-thread body running onnxruntime-node, so inference (which blocks its thread for the whole run) never
 * stalls the stage's event loop. One worker owns one session. Messages (see `WorkerRequest`/`WorkerReply`):
 * `init` loads and validates the model, `run` preprocesses a batch of rgb24 frames into one tensor, runs it,
 * decodes and post-processes every image and answers detections with timings.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { ModelError } from '../core/errors';
import type { SlotRef } from '../core/frame-pool';
import type { Detection } from '../core/types';
import { getFamily, type FamilyPlan, type ModelIO, type OutputTensor, type Dim } from './families';
import { checkOnnxFile } from '../models/model-file';
import { compileFilter, postprocess, type ClassFilter, type PostprocessOptions } from './postprocess';
import { preprocessInto, type FrameTransform } from './preprocess';

/** Execution providers this worker can be asked for. */
export type DeviceChoice = 'auto' | 'cpu' | 'cuda';

/** Parameters of a worker's session. */
export interface WorkerInit {
  modelPath: string;
  family: string;
  inputSize?: [number, number];
  device: DeviceChoice;
  /** ONNX Runtime intra-op threads. */
  threads: number;
  post: Omit<PostprocessOptions, 'labels'> & { labels?: readonly string[] };
}

/** What a loaded model looks like, reported back once. */
export interface ModelInfo {
  provider: 'cpu' | 'cuda';
  family: string;
  inputName: string;
  inputWidth: number;
  inputHeight: number;
  maxBatch: number;
  numClasses: number;
  labels: readonly string[];
  outputs: readonly string[];
}

/** One frame sent to a worker. */
export interface WorkerFrame {
  pixels: Uint8Array;
  width: number;
  height: number;
  /**
   * Move the pixels' memory into the worker instead of copying it (the caller's buffer is unusable afterwards).
   * Only done when the buffer owns its whole ArrayBuffer; otherwise the pixels are copied as usual.
   */
  transfer?: boolean;
}

/**
 * A frame as posted to the thread: its pixels, or (a frame-pool slot) the slot's pool and index, with the
 * SharedArrayBuffer itself the first time this thread sees that slot (the thread keeps a view of it).
 */
export interface WireFrame {
  pixels?: Uint8Array;
  slot?: SlotRef;
  width: number;
  height: number;
}

export type WorkerRequest = { type: 'init'; init: WorkerInit } | { type: 'run'; id: number; frames: WireFrame[] };

/** Per-batch timings in milliseconds. */
export interface BatchTimings {
  preMs: number;
  inferMs: number;
  postMs: number;
}

export type WorkerReply =
  | { type: 'ready'; info: ModelInfo }
  | { type: 'result'; id: number; detections: Detection[][]; timings: BatchTimings }
  | { type: 'error'; id?: number; message: string; model: boolean };

function dims(shape: readonly unknown[] | undefined): Dim[] {
  return (shape ?? []).map((d) => (typeof d === 'number' ? d : typeof d === 'string' ? d : null));
}

function ioOf(session: ort.InferenceSession): ModelIO {
  const meta = (names: readonly string[], list: readonly ort.InferenceSession.ValueMetadata[]) =>
    names.map((name, i) => {
      const m = list[i] as { isTensor?: boolean; shape?: readonly unknown[] } | undefined;
      return { name, shape: m && m.isTensor ? dims(m.shape) : [] };
    });
  return { inputs: meta(session.inputNames, session.inputMetadata), outputs: meta(session.outputNames, session.outputMetadata) };
}

/**
 * Whether onnxruntime-node was installed with its CUDA provider (`ONNXRUNTIME_NODE_INSTALL=cuda12`): the
 * provider library sits next to the binding. `auto` only tries CUDA then, which keeps CPU-only machines from
 * logging a failed library load at every start.
 */
export function cudaProviderInstalled(): boolean {
  try {
    const root = dirname(require.resolve('onnxruntime-node/package.json'));
    const binDir = join(root, 'bin');
    for (const napi of readdirSync(binDir)) {
      const dir = join(binDir, napi, process.platform, process.arch);
      if (existsSync(join(dir, 'libonnxruntime_providers_cuda.so')) || existsSync(join(dir, 'onnxruntime_providers_cuda.dll'))) {
        return true;
      }
    }
  } catch {
    // No bin folder: no CUDA provider.
  }
  return false;
}

async function createSession(init: WorkerInit): Promise<{ session: ort.InferenceSession; provider: 'cpu' | 'cuda' }> {
  const base: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: Math.max(1, init.threads),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    // Old exporters list initialisers as inputs, which makes onnxruntime warn on every load.
    logSeverityLevel: 3,
  };
  if (init.device === 'cuda' || (init.device === 'auto' && cudaProviderInstalled())) {
    try {
      const session = await ort.InferenceSession.create(init.modelPath, { ...base, executionProviders: ['cuda'] });
      return { session, provider: 'cuda' };
    } catch (err) {
      if (init.device === 'cuda') {
        throw new ModelError(
          `model ${init.modelPath}: the CUDA execution provider is not available (${(err as Error).message}); ` +
            'see docs/gpu.md, or set models.detector.device to auto or cpu',
        );
      }
    }
  }
  try {
    const session = await ort.InferenceSession.create(init.modelPath, { ...base, executionProviders: ['cpu'] });
    return { session, provider: 'cpu' };
  } catch (err) {
    throw new ModelError(`model ${init.modelPath}: onnxruntime cannot load it: ${(err as Error).message}`, { cause: err });
  }
}

/** The state of one loaded model inside a worker. */
class Runner {
  private tensor = new Float32Array(0);
  private readonly filter: ClassFilter;
  private readonly post: PostprocessOptions;

  constructor(
    private readonly session: ort.InferenceSession,
    readonly plan: FamilyPlan,
    init: WorkerInit,
  ) {
    this.post = { ...init.post, labels: init.post.labels ?? plan.defaultLabels };
    this.filter = compileFilter(this.post, plan.numClasses);
  }

  async run(frames: ReadonlyArray<{ pixels: Uint8Array; width: number; height: number }>): Promise<{ detections: Detection[][]; timings: BatchTimings }> {
    const t0 = performance.now();
    const spec = this.plan.preprocess;
    const per = 3 * spec.width * spec.height;
    const n = frames.length;
    if (this.tensor.length < n * per) {
      this.tensor = new Float32Array(n * per);
    }
    const transforms: FrameTransform[] = [];
    for (let b = 0; b < n; b++) {
      const f = frames[b];
      transforms.push(preprocessInto(f.pixels, f.width, f.height, spec, this.tensor, b * per));
    }
    const data = n * per === this.tensor.length ? this.tensor : this.tensor.subarray(0, n * per);
    const input = new ort.Tensor('float32', data, [n, 3, spec.height, spec.width]);
    const t1 = performance.now();
    const out = await this.session.run({ [this.plan.inputName]: input });
    const t2 = performance.now();
    const outputs: Record<string, OutputTensor> = {};
    for (const name of this.plan.outputNames) {
      const t = out[name];
      outputs[name] = { data: t.data as Float32Array, dims: t.dims };
    }
    const detections: Detection[][] = [];
    for (let b = 0; b < n; b++) {
      const cands = this.plan.decode(outputs, b, this.filter.minScore);
      detections.push(postprocess(cands, this.filter, this.post, transforms[b]));
    }
    const t3 = performance.now();
    return { detections, timings: { preMs: t1 - t0, inferMs: t2 - t1, postMs: t3 - t2 } };
  }
}

/** Loads, validates and wraps a model (exported for in-thread use by the bench's bare loop and tests). */
export async function loadRunner(init: WorkerInit): Promise<{ runner: Runner; info: ModelInfo }> {
  checkOnnxFile(init.modelPath);
  const family = getFamily(init.family);
  const { session, provider } = await createSession(init);
  let plan: FamilyPlan;
  try {
    plan = family.resolve(ioOf(session), init.modelPath, { inputSize: init.inputSize });
  } catch (err) {
    await session.release().catch(() => undefined);
    throw err;
  }
  const runner = new Runner(session, plan, init);
  const labels = init.post.labels ?? plan.defaultLabels;
  return {
    runner,
    info: {
      provider,
      family: plan.family,
      inputName: plan.inputName,
      inputWidth: plan.preprocess.width,
      inputHeight: plan.preprocess.height,
      maxBatch: plan.maxBatch,
      numClasses: plan.numClasses,
      labels,
      outputs: plan.outputNames,
    },
  };
}

export type { Runner };

function serve(): void {
  const port = parentPort;
  if (!port) {
    return;
  }
  let runner: Runner | undefined;
  let loading: Promise<void> | undefined;
  /** Views of the frame-pool slots this thread has been sent, by `pool:index`. */
  const slots = new Map<string, Uint8Array>();
  const pixelsOf = (f: WireFrame): Uint8Array => {
    if (f.pixels) {
      return f.pixels;
    }
    if (!f.slot) {
      throw new Error('frame without pixels');
    }
    const key = `${f.slot.pool}:${f.slot.index}`;
    if (f.slot.sab) {
      slots.set(key, new Uint8Array(f.slot.sab));
    }
    const view = slots.get(key);
    if (!view) {
      throw new Error(`frame slot ${key} was never sent to this thread`);
    }
    return view;
  };
  port.on('message', (msg: WorkerRequest) => {
    if (msg.type === 'init') {
      loading = loadRunner(msg.init).then(
        (r) => {
          runner = r.runner;
          port.postMessage({ type: 'ready', info: r.info } satisfies WorkerReply);
        },
        (err: unknown) => {
          port.postMessage({
            type: 'error',
            message: err instanceof Error ? err.message : String(err),
            model: err instanceof ModelError,
          } satisfies WorkerReply);
        },
      );
      return;
    }
    void (async () => {
      await loading;
      if (!runner) {
        port.postMessage({ type: 'error', id: msg.id, message: 'model not loaded', model: true } satisfies WorkerReply);
        return;
      }
      try {
        const r = await runner.run(msg.frames.map((f) => ({ pixels: pixelsOf(f), width: f.width, height: f.height })));
        port.postMessage({ type: 'result', id: msg.id, ...r } satisfies WorkerReply);
      } catch (err) {
        port.postMessage({
          type: 'error',
          id: msg.id,
          message: err instanceof Error ? err.message : String(err),
          model: false,
        } satisfies WorkerReply);
      }
    })();
  });
}

if (workerData && (workerData as { vigilInference?: boolean }).vigilInference) {
  serve();
}
