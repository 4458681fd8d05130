/**
 * The detector: a pool of inference worker threads running one model, fed through a micro-batcher. The main
 * thread only moves frames and results; preprocessing, inference and decoding run in the workers.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ModelError } from '../core/errors';
import type { Logger } from '../core/logger';
import type { Detection } from '../core/types';
import { Batcher } from './batcher';
import { poolOf } from '../core/frame-pool';
import type { BatchTimings, ModelInfo, WireFrame, WorkerFrame, WorkerInit, WorkerReply, WorkerRequest } from './inference-worker';
import { planThreads } from './threads';

/** Options of `Detector.create`. */
export interface DetectorOptions {
  init: Omit<WorkerInit, 'threads'>;
  /** Inference workers; 0 = from the cores. @defaultValue 0 */
  workers?: number;
  /** ONNX Runtime threads per worker; 0 = from the cores. @defaultValue 0 */
  threadsPerWorker?: number;
  /** Cores to size from. @defaultValue os.availableParallelism() */
  cores?: number;
  /** Largest micro-batch (capped by the model's batch dimension). @defaultValue 1 */
  batchSize?: number;
  /** Longest wait for a micro-batch to fill. @defaultValue 0 */
  batchWaitMs?: number;
  log?: Logger;
  /** Called after every inference with its timings and batch size. */
  onBatch?: (timings: BatchTimings, size: number) => void;
}

/** One frame's answer. */
export interface DetectOutput {
  detections: Detection[];
  timings: BatchTimings;
  batchSize: number;
}

interface Job {
  frames: WorkerFrame[];
  resolve: (r: { detections: Detection[][]; timings: BatchTimings }) => void;
  reject: (e: unknown) => void;
}

/** One worker thread running inferences, with the job it runs now (not to be confused with frame-pool slots). */
interface InferenceThread {
  worker: Worker;
  job?: Job;
  id: number;
  /** Frame-pool slots whose memory this worker already has (`pool:index`). */
  sent: Set<string>;
}

/**
 * Frames as posted to one worker: frame-pool slots travel as their pool and index (the SharedArrayBuffer only the
 * first time this worker sees the slot), other pixels as they are.
 */
function toWire(frames: WorkerFrame[], sent: Set<string>): WireFrame[] {
  return frames.map((f) => {
    const pool = f.pixels.buffer instanceof SharedArrayBuffer ? poolOf(f.pixels) : undefined;
    const ref = pool?.slotOf(f.pixels);
    if (!pool || !ref) {
      return { pixels: f.pixels, width: f.width, height: f.height };
    }
    const key = `${ref.pool}:${ref.index}`;
    if (sent.has(key)) {
      return { slot: ref, width: f.width, height: f.height };
    }
    sent.add(key);
    return { slot: pool.slotOf(f.pixels, true), width: f.width, height: f.height };
  });
}

/** The ArrayBuffers of the frames that asked to be moved and own their whole memory (unique, never a pooled slab). */
function transferList(frames: WorkerFrame[]): ArrayBuffer[] {
  const list: ArrayBuffer[] = [];
  for (const f of frames) {
    const b = f.pixels.buffer;
    if (f.transfer && b instanceof ArrayBuffer && f.pixels.byteOffset === 0 && f.pixels.byteLength === b.byteLength && !list.includes(b)) {
      list.push(b);
    }
  }
  return list;
}

function spawnWorker(): Worker {
  const workerData = { vigilInference: true };
  if (__filename.endsWith('.ts')) {
    // Running from sources (tests, `VIGIL_FROM_SOURCE`): the thread needs the TypeScript loader too.
    const file = __filename.replace(/detector\.ts$/, 'inference-worker.ts');
    return new Worker(`require('tsx/cjs'); require(${JSON.stringify(file)});`, { eval: true, workerData });
  }
  return new Worker(__filename.replace(/detector\.js$/, 'inference-worker.js'), { workerData });
}

/** A loaded model behind a pool of worker threads. */
export class Detector {
  private readonly queue: Job[] = [];
  private readonly batcher: Batcher<WorkerFrame, DetectOutput>;
  private closed = false;
  private nextId = 1;
  /** Frames currently inside a worker or waiting for one. */
  inFlight = 0;

  private constructor(
    private readonly threads: InferenceThread[],
    readonly info: ModelInfo,
    readonly batchSize: number,
    batchWaitMs: number,
    private readonly opts: DetectorOptions,
  ) {
    this.batcher = new Batcher<WorkerFrame, DetectOutput>({
      maxSize: batchSize,
      maxWaitMs: batchSize > 1 ? batchWaitMs : 0,
      run: async (frames) => {
        const r = await this.runBatch(frames);
        return r.detections.map((detections) => ({ detections, timings: r.timings, batchSize: frames.length }));
      },
    });
    for (const s of threads) {
      this.watch(s);
    }
  }

  /** Starts the workers and loads the model in each; throws a ModelError when the model cannot be used. */
  static async create(opts: DetectorOptions): Promise<Detector> {
    const plan = planThreads(opts.cores ?? availableParallelism(), opts.workers ?? 0, opts.threadsPerWorker ?? 0);
    const init: WorkerInit = { ...opts.init, threads: plan.threadsPerWorker };
    const threads: InferenceThread[] = [];
    try {
      const infos = await Promise.all(
        Array.from({ length: plan.workers }, async () => {
          const worker = spawnWorker();
          threads.push({ worker, id: 0, sent: new Set() });
          return await initWorker(worker, init);
        }),
      );
      const info = infos[0];
      const batchSize = Math.max(1, Math.min(opts.batchSize ?? 1, info.maxBatch));
      opts.log?.info(
        {
          model: opts.init.modelPath,
          family: info.family,
          provider: info.provider,
          input: `${info.inputWidth}x${info.inputHeight}`,
          workers: plan.workers,
          threadsPerWorker: plan.threadsPerWorker,
          batchSize,
        },
        `detector loaded, running on ${info.provider.toUpperCase()}`,
      );
      return new Detector(threads, info, batchSize, opts.batchWaitMs ?? 0, { ...opts, init });
    } catch (err) {
      await Promise.allSettled(threads.map((s) => s.worker.terminate()));
      throw err;
    }
  }

  /** Number of worker threads. */
  get workers(): number {
    return this.threads.length;
  }

  /**
   * Detects objects in one rgb24 frame. The pixels are copied to the worker and the caller keeps its buffer, unless
   * `frame.transfer` is set and the buffer owns its whole memory: then the memory moves to the worker (no copy) and
   * the caller's buffer is left empty.
   */
  async detect(frame: WorkerFrame): Promise<DetectOutput> {
    if (this.closed) {
      throw new Error('detector closed');
    }
    this.inFlight++;
    try {
      return await this.batcher.submit(frame);
    } finally {
      this.inFlight--;
    }
  }

  /** Stops every worker after the frames already submitted are done. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.batcher.flush();
    const deadline = Date.now() + 5000;
    while ((this.queue.length > 0 || this.threads.some((s) => s.job)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.allSettled(this.threads.map((s) => s.worker.terminate()));
  }

  private runBatch(frames: WorkerFrame[]): Promise<{ detections: Detection[][]; timings: BatchTimings }> {
    return new Promise((resolve, reject) => {
      this.queue.push({ frames, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    for (const thread of this.threads) {
      if (this.queue.length === 0) {
        return;
      }
      if (thread.job) {
        continue;
      }
      const job = this.queue.shift() as Job;
      thread.job = job;
      thread.id = this.nextId++;
      thread.worker.postMessage({ type: 'run', id: thread.id, frames: toWire(job.frames, thread.sent) } satisfies WorkerRequest, transferList(job.frames));
    }
  }

  private watch(thread: InferenceThread): void {
    thread.worker.on('message', (msg: WorkerReply) => {
      const job = thread.job;
      if (!job || (msg.type !== 'result' && msg.type !== 'error') || msg.id !== thread.id) {
        return;
      }
      thread.job = undefined;
      if (msg.type === 'result') {
        this.opts.onBatch?.(msg.timings, job.frames.length);
        job.resolve({ detections: msg.detections, timings: msg.timings });
      } else {
        job.reject(msg.model ? new ModelError(msg.message) : new Error(msg.message));
      }
      this.pump();
    });
    const fail = (err: Error) => {
      const job = thread.job;
      thread.job = undefined;
      job?.reject(err);
      if (this.closed) {
        return;
      }
      this.opts.log?.error({ err: err.message }, 'inference worker died; starting a new one');
      const worker = spawnWorker();
      thread.worker = worker;
      thread.sent = new Set();
      initWorker(worker, this.opts.init as WorkerInit).then(
        () => {
          this.watch(thread);
          this.pump();
        },
        (e: unknown) => this.opts.log?.error({ err: (e as Error).message }, 'inference worker restart failed'),
      );
    };
    thread.worker.once('error', fail);
    thread.worker.once('exit', (code) => {
      if (!this.closed) {
        fail(new Error(`inference worker exited with code ${code}`));
      }
    });
  }
}

function initWorker(worker: Worker, init: WorkerInit): Promise<ModelInfo> {
  return new Promise<ModelInfo>((resolve, reject) => {
    const onMessage = (msg: WorkerReply) => {
      if (msg.type === 'ready') {
        cleanup();
        resolve(msg.info);
      } else if (msg.type === 'error' && msg.id === undefined) {
        cleanup();
        reject(msg.model ? new ModelError(msg.message) : new Error(msg.message));
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(err);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`inference worker exited with code ${code} while loading the model`));
    };
    const cleanup = () => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
    worker.postMessage({ type: 'init', init } satisfies WorkerRequest);
  });
}
