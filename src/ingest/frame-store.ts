import type Redis from 'ioredis';
import type { Keys } from '../core/keys';

/**
 * Frame pixels in Redis: one binary value per frame (`keys.frame(camera, seq)`), written with a TTL that is only a
 * safety net; the stage that last needs a frame deletes it (protocol in CONTRACT.md / the team brief).
 */
export class FrameStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** Key of a frame. */
  key(camera: string, seq: number): string {
    return this.keys.frame(camera, seq);
  }

  /** Stores a frame's pixels (the buffer is sent as is, never serialised). Returns the key. */
  async put(camera: string, seq: number, pixels: Buffer, ttlSeconds: number): Promise<string> {
    const key = this.keys.frame(camera, seq);
    await this.redis.set(key, pixels, 'PX', Math.round(ttlSeconds * 1000));
    return key;
  }

  /** Deletes frames' pixels (ignores keys already gone). */
  async delete(...keys: string[]): Promise<void> {
    if (keys.length > 0) {
      await this.redis.del(...keys);
    }
  }
}
