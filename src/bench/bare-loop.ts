/**
 * The bench's ceiling: FFmpeg decodes the file as fast as it can and frames go straight into the same Detector
 * (same pool, same model), no Redis, no queue. Keeps `workers × batch` frames in flight.
 */
import { spawn } from 'node:child_process';
import type { Detector } from '../detect/detector';

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
  let buf: Buffer = Buffer.alloc(0);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
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
    ff.stdout.on('data', (chunk: Buffer) => {
      // Gather chunks and join them once per frame (joining on every 64 KiB chunk copied each frame ~7 times).
      if (chunk.length > 0) {
        pending.push(chunk);
        pendingBytes += chunk.length;
      }
      if (buf.length < frameBytes && pendingBytes > 0 && buf.length + pendingBytes >= frameBytes) {
        buf = Buffer.concat([buf, ...pending], buf.length + pendingBytes);
        pending = [];
        pendingBytes = 0;
      }
      while (buf.length >= frameBytes && inFlight < maxInFlight) {
        const px = buf.subarray(0, frameBytes);
        buf = buf.subarray(frameBytes);
        inFlight++;
        detector.detect({ pixels: px, width, height }).then(
          (r) => {
            inFlight--;
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
            ff.stdout.resume();
            ff.stdout.emit('data', Buffer.alloc(0));
          },
          (e: Error) => done(e),
        );
      }
      if (inFlight >= maxInFlight) {
        ff.stdout.pause();
      }
    });
  });
}
