/**
 * The in-process hand-off between ingest and detect when both roles run in one process (the default `vigil start`).
 *
 * Every frame is still written to Redis and queued on BullMQ (any detect process on any machine can take the job,
 * and later stages read the pixels from Redis for snapshots and faces). When the job is taken by this same process,
 * the detect stage takes the pixels from here instead of reading 0.9 MB back from Redis, and tells the writer the
 * moment the frame is done, so the camera's slot frees without waiting for the next poll of the job states (the
 * measured cost of both, on 2 cores: `vigil bench`, BENCHMARKS.md). Entries live only while their frame is in
 * flight: the writer forgets them when it forgets the job (done, pruned, evicted or discarded), so the registry
 * holds at most `maxInFlight` frames per camera. The registry owns the pixels until `takePixels`; the taker gives
 * them back to their frame pool (`releaseFrame`) when done. Pure (no I/O).
 */

interface Entry {
  pixels: Buffer | undefined;
  /** A detect stage of this process has started on it (its done() will come). */
  taken: boolean;
  onDone: () => void;
}

import { releaseFrame } from './frame-pool';

/** Frames in flight in this process, by frame key. Pixels never taken go back to their frame pool. */
export class LocalFrames {
  private readonly entries = new Map<string, Entry>();

  /** Frames currently registered. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Registers a frame written to Redis and queued. `pixels` (optional) may be taken once by a detect stage of this
   * process; `onDone` runs once when that stage reports the frame done.
   */
  add(key: string, pixels: Buffer | undefined, onDone: () => void): void {
    this.entries.set(key, { pixels, taken: false, onDone });
  }

  /**
   * The pixels of a frame written by this process, or undefined (another process wrote it, or they were taken
   * already: read them from Redis). The caller owns the buffer afterwards and may move it to another thread.
   */
  takePixels(key: string): Buffer | undefined {
    const e = this.entries.get(key);
    if (!e) {
      return undefined;
    }
    const px = e.pixels;
    e.pixels = undefined;
    e.taken = true;
    return px;
  }

  /** Whether a detect stage of this process is working on the frame (so `done` will free its slot). */
  isTaken(key: string): boolean {
    return this.entries.get(key)?.taken === true;
  }

  /** The detect stage finished with a frame (detected, dropped or failed): frees its slot at once. */
  done(key: string): void {
    const e = this.entries.get(key);
    if (!e) {
      return;
    }
    this.entries.delete(key);
    releaseFrame(e.pixels);
    e.onDone();
  }

  /** The writer no longer tracks this frame: drop its entry without calling back. */
  forget(key: string): void {
    releaseFrame(this.entries.get(key)?.pixels);
    this.entries.delete(key);
  }
}
