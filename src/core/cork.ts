import type { Writable } from 'node:stream';
import type Redis from 'ioredis';

/**
 * Holds a connection's writes until the check phase of this event-loop turn, so commands issued now and in the
 * promise chain that follows (for example BullMQ finishing the job this code is processing) leave in one writev:
 * one syscall and one wake-up of Redis instead of several. Order on the socket is unchanged. No-op while the
 * connection has no socket yet (commands then wait in ioredis's offline queue anyway).
 */
export function corkUntilCheckPhase(redis: Redis): void {
  const stream = (redis as unknown as { stream?: Writable }).stream;
  if (!stream || !stream.writable) {
    return;
  }
  stream.cork();
  setImmediate(() => stream.uncork());
}
