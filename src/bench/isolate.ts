/**
 * Runs each `vigil bench` measurement in a fresh process, the way hyperfine-style benchmarks isolate runs: the bare
 * loop measured first left the process's JIT and heap shaped by its own code, and the pipeline measured after it
 * in the same process ran 6 % slower than in a process of its own (74.2 vs 78.9 frames/s, main thread 2.22 vs
 * 1.83 ms/frame, measured back to back). The parent forks `bin/vigil.js bench --phase-child` with the request in
 * the environment and gets the result over the IPC channel.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import type { VigilConfig } from '../config/schema';
import type { Logger } from '../core/logger';
import { Detector } from '../detect/detector';
import type { WorkerInit } from '../detect/inference-worker';
import { bareLoop, type BareLoopResult } from './bare-loop';
import { runLiveCeiling, type LiveCeilingOptions, type LiveCeilingResult } from './live-ceiling';
import { runPipeline, type PipelineOptions } from './pipeline';
import type { PipelineRun } from './stats';

/** What a child process measures. */
export type PhaseRequest =
  | {
      phase: 'bare';
      init: Omit<WorkerInit, 'threads'>;
      detect: VigilConfig['detect'];
      video: string;
      width: number;
      height: number;
      seconds: number;
      /** FFmpeg processes decoding (one per camera of the pipeline compared with); 1 when absent. */
      decoders?: number;
    }
  | { phase: 'pipeline'; options: Omit<PipelineOptions, 'log'> }
  | { phase: 'live-ceiling'; options: LiveCeilingOptions };

/** What it answers. */
export type PhaseResult = { bare: BareLoopResult; provider: string; batch: number } | { run: PipelineRun } | { ceiling: LiveCeilingResult };

const ENV = 'VIGIL_BENCH_PHASE';

/** Runs one phase in this process (the child's side). */
export async function runPhase(req: PhaseRequest, log: Logger): Promise<PhaseResult> {
  if (req.phase === 'bare') {
    const det = await Detector.create({
      init: req.init,
      workers: req.detect.workers,
      threadsPerWorker: req.detect.threadsPerWorker,
      batchSize: req.detect.batchSize,
      batchWaitMs: req.detect.batchWaitMs,
    });
    try {
      const bare = await bareLoop(det, req.video, req.width, req.height, req.seconds, 2, req.decoders ?? 1);
      return { bare, provider: det.info.provider, batch: det.batchSize };
    } finally {
      await det.close();
    }
  }
  if (req.phase === 'live-ceiling') {
    return { ceiling: await runLiveCeiling(req.options) };
  }
  return { run: await runPipeline({ ...req.options, log }) };
}

/** The child's entry (`vigil bench --phase-child`): reads the request, measures, answers over IPC. */
export async function phaseChild(log: Logger): Promise<number> {
  const raw = process.env[ENV];
  if (!raw || !process.send) {
    process.stderr.write('vigil bench --phase-child is internal: it runs in a process forked by vigil bench\n');
    return 2;
  }
  const result = await runPhase(JSON.parse(raw) as PhaseRequest, log);
  await new Promise<void>((resolve, reject) => process.send!(result, (err: Error | null) => (err ? reject(err) : resolve())));
  return 0;
}

/** Runs one phase in a fresh process and returns its result. */
export function runIsolated(req: PhaseRequest): Promise<PhaseResult> {
  const bin = join(__dirname, '..', '..', 'bin', 'vigil.js');
  return new Promise<PhaseResult>((resolve, reject) => {
    const child = fork(bin, ['bench', '--phase-child'], { env: { ...process.env, [ENV]: JSON.stringify(req) }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    let result: PhaseResult | undefined;
    child.on('message', (m) => {
      result = m as PhaseResult;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (result) {
        resolve(result);
      } else {
        reject(new Error(`bench ${req.phase} process ended with ${signal ?? `code ${code}`} and no result`));
      }
    });
  });
}
