/**
 * The bench's ceiling: FFmpeg decodes the file as fast as it can and frames go straight into the same Detector
 * (same pool, same model), no Redis, no queue. Keeps `workers × batch` frames in flight.
 */
import { spawn } from 'node:child_process';
import { framePool } from '../core/frame-pool';
import type { Detector } from '../detect/detector';
import { FrameCutter } from '../ingest/frame-cutter';

/** Result of the bare loop. */
export interface BareLoopResult {
  fps: number;
  frames: number;
  inferMs: number;
}

/** Runs the bare loop for `seconds` (after `warmupS`) on `file` scaled to `width`x`height`. */
export async function bareLoop(detector: Detector, file: string, width: number, height: number, seconds: number, warmupS = 2): Promise<BareLoopResult> {
  const frameBytes = width * height * 3;
  const ff = spawn('ffmpeg', ['-v', 'error', '-stream_loop', '-1', '-i', file, '-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const maxInFlight = detector.workers * detector.batchSize + 1;
  let inFlight = 0;
  let frames = 0;
  let inferMs = 0;
  let measuring = false;
  // Frames are cut into the same shared-memory frame-pool slots as the ingest's, so the ceiling gets the same
  // zero-copy hand-off to the inference threads and only the queue (Redis, BullMQ) differs.
  const pool = framePool(frameBytes);
  const ready: Buffer[] = [];
  const cutter = new FrameCutter(frameBytes, (f) => ready.push(f), () => pool.acquire());
  const t0 = Date.now();
  let tStart = 0;
  return await new Promise<BareLoopResult>((resolve, reject) => {
    let finished = false;
    const done = (err?: Error) => {
      if (finished) {
        return;
      }
      finished = true;
      ff.stdout.removeAllListeners('data');
      for (const f of ready.splice(0)) {
        pool.release(f);
      }
      if (ff.pid !== undefined && ff.exitCode === null) {
        try {
          process.kill(ff.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      if (err) {
        reject(err);
      } else {
        const dt = (Date.now() - tStart) / 1000;
        resolve({ fps: frames / dt, frames, inferMs: frames > 0 ? inferMs / frames : NaN });
      }
    };
    ff.on('error', (e) => done(e));
    const pump = (): void => {
      while (ready.length > 0 && inFlight < maxInFlight && !finished) {
        const px = ready.shift() as Buffer;
        inFlight++;
        detector.detect({ pixels: px, width, height }).then(
          (r) => {
            inFlight--;
            pool.release(px);
            if (finished) {
              return;
            }
            if (measuring) {
              frames++;
              inferMs += r.timings.inferMs / r.batchSize;
            }
            if (!measuring && Date.now() - t0 >= warmupS * 1000) {
              measuring = true;
              tStart = Date.now();
            }
            if (measuring && Date.now() - tStart >= seconds * 1000) {
              done();
              return;
            }
            pump();
          },
          (e: Error) => done(e),
        );
      }
      if (ready.length > 0 || inFlight >= maxInFlight) {
        ff.stdout.pause();
      } else {
        ff.stdout.resume();
      }
    };
    ff.stdout.on('data', (chunk: Buffer) => {
      cutter.push(chunk);
      pump();
    });
  });
}
