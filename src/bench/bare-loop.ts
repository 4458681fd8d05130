/**
 * The bench's ceiling: one FFmpeg per camera (the decoders the pipeline runs) decodes the file as fast as it can,
 * and frames go straight into the same Detector (same pool, same model), the cameras taken in turn; no Redis, no
 * queue. Keeps `workers × batch` frames in flight.
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
  /** Frames detected in the window from each decoder (camera), in order. */
  perDecoder: number[];
  /** The FFmpeg processes' pids (all killed before the result is answered). */
  pids: number[];
}

/**
 * Runs the bare loop for `seconds` (after `warmupS`) on `file` scaled to `width`x`height`, decoded by `decoders`
 * FFmpeg processes (one per camera of the pipeline it is compared with).
 */
export async function bareLoop(detector: Detector, file: string, width: number, height: number, seconds: number, warmupS = 2, decoders = 1): Promise<BareLoopResult> {
  const frameBytes = width * height * 3;
  const maxInFlight = detector.workers * detector.batchSize + 1;
  let inFlight = 0;
  let frames = 0;
  let inferMs = 0;
  let measuring = false;
  // Frames are cut into the same shared-memory frame-pool slots as the ingest's, so the ceiling gets the same
  // zero-copy hand-off to the inference threads and only the queue (Redis, BullMQ) differs.
  const pool = framePool(frameBytes);
  const sources = Array.from({ length: Math.max(1, Math.floor(decoders)) }, () => {
    const ff = spawn('ffmpeg', ['-v', 'error', '-stream_loop', '-1', '-i', file, '-vf', `scale=${width}:${height}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const ready: Buffer[] = [];
    return { ff, ready, frames: 0, cutter: new FrameCutter(frameBytes, (f) => ready.push(f), () => pool.acquire()) };
  });
  let turn = 0;
  /** The next camera's frame, cameras in turn (round robin over those with a frame ready). */
  const next = (): { px: Buffer; source: (typeof sources)[number] } | undefined => {
    for (let i = 0; i < sources.length; i++) {
      const source = sources[(turn + i) % sources.length];
      if (source.ready.length > 0) {
        turn = (turn + i + 1) % sources.length;
        return { px: source.ready.shift() as Buffer, source };
      }
    }
    return undefined;
  };
  const t0 = Date.now();
  let tStart = 0;
  return await new Promise<BareLoopResult>((resolve, reject) => {
    let finished = false;
    const done = (err?: Error) => {
      if (finished) {
        return;
      }
      finished = true;
      for (const { ff, ready } of sources) {
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
      }
      if (err) {
        reject(err);
      } else {
        const dt = (Date.now() - tStart) / 1000;
        resolve({
          fps: frames / dt,
          frames,
          inferMs: frames > 0 ? inferMs / frames : NaN,
          perDecoder: sources.map((x) => x.frames),
          pids: sources.flatMap((x) => (x.ff.pid === undefined ? [] : [x.ff.pid])),
        });
      }
    };
    for (const { ff } of sources) {
      ff.on('error', (e) => done(e));
    }
    const pump = (): void => {
      while (inFlight < maxInFlight && !finished) {
        const taken = next();
        if (!taken) {
          break;
        }
        const { px, source } = taken;
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
              source.frames++;
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
      // A decoder with a frame waiting pauses (its pipe, then FFmpeg, block), as the pipeline's paused cameras do.
      for (const { ff, ready } of sources) {
        if (ready.length > 0) {
          ff.stdout.pause();
        } else {
          ff.stdout.resume();
        }
      }
    };
    for (const { ff, cutter } of sources) {
      ff.stdout.on('data', (chunk: Buffer) => {
        cutter.push(chunk);
        pump();
      });
    }
  });
}
