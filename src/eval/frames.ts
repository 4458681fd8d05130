/**
 * Pure: which frame of the video each frame out of FFmpeg's `fps` filter is. The filter gives each input frame the
 * output slot round(t · fps) (halves away from zero) and emits, per slot, the last input frame that fell in it, so
 * at 1 frame/s from a 10 frame/s file the first output frame is the video's 5th (t = 0.4 s), not its first
 * (measured with FFmpeg 5.1 on vtest.mp4 against a frame-exact `select`). Labels name video frames, so the run and
 * the exported frames both map through this. Assumes a constant frame rate starting at t = 0 (or at the seek point).
 */

/** 0-based video frame of output slot `k` of an `fps=outFps` filter over a `videoFps` stream. */
export function sourceFrameOfSlot(k: number, outFps: number, videoFps: number): number {
  return Math.max(0, Math.ceil(((k + 0.5) * videoFps) / outFps - 1e-9) - 1);
}

/** 0-based video frame where a seek to `startS` lands (the frame at or after it). */
export function startFrame(startS: number, videoFps: number): number {
  return Math.ceil(startS * videoFps - 1e-9);
}
