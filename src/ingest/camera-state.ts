import type { CameraState } from '../core/types';

/**
 * Pure: a camera's state machine. `starting` (first spawn) → `streaming` (frames flow) → `stalled` (no frame for
 * `stallSeconds`, ffmpeg is being killed) → `reconnecting` (ffmpeg ended, waiting to respawn or for the first
 * frame) → `streaming` again; `failed` when the error cannot be fixed by retrying (still retried slowly);
 * `stopped` when the process stops ingesting it cleanly (shutdown) and nobody has taken it over yet.
 */

/** What can happen to a camera. */
export type CameraEvent =
  | { type: 'frame' }
  | { type: 'stall'; seconds: number }
  | { type: 'no-first-frame'; seconds: number }
  | { type: 'exit'; fatal: boolean; reason: string }
  | { type: 'stop'; reason: string };

/** A state with the reason it was entered. */
export interface CameraStatePoint {
  state: CameraState;
  reason: string;
}

/** The state a new camera starts in. */
export function initialState(): CameraStatePoint {
  return { state: 'starting', reason: 'starting ffmpeg' };
}

/**
 * The next state after `event`, or undefined when nothing changes (callers publish only real changes).
 */
export function nextState(current: CameraStatePoint, event: CameraEvent): CameraStatePoint | undefined {
  const { state } = current;
  switch (event.type) {
    case 'frame':
      if (state === 'streaming') {
        return undefined;
      }
      return { state: 'streaming', reason: state === 'starting' ? 'receiving frames' : `receiving frames again (was ${state})` };
    case 'stall':
      if (state !== 'streaming') {
        return undefined;
      }
      return { state: 'stalled', reason: `no frame for ${formatSeconds(event.seconds)} s` };
    case 'no-first-frame': {
      const reason = `no frame within ${formatSeconds(event.seconds)} s of connecting`;
      if (state === 'failed') {
        return undefined;
      }
      return state === 'reconnecting' && current.reason === reason ? undefined : { state: 'reconnecting', reason };
    }
    case 'stop':
      return state === 'stopped' ? undefined : { state: 'stopped', reason: event.reason };
    case 'exit': {
      const next: CameraState = event.fatal ? 'failed' : 'reconnecting';
      if (state === next && current.reason === event.reason) {
        return undefined;
      }
      if (state === 'stalled' && !event.fatal) {
        return { state: 'reconnecting', reason: `${current.reason}; restarting ffmpeg` };
      }
      return { state: next, reason: event.reason };
    }
  }
}

function formatSeconds(s: number): string {
  return String(Math.round(s * 10) / 10);
}
