import { randomBytes } from 'node:crypto';
import path from 'node:path';
import Redis from 'ioredis';
import { parseConfig } from '../../src/config/load';
import { Context } from '../../src/config/context';
import { nullLogger } from '../../src/core/logger';
import type { CameraStateMessage } from '../../src/core/types';

/** Real footage, never copied into the repo. */
export const MEDIA = process.env.VIGIL_TEST_MEDIA ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'media');
export const VTEST = path.join(MEDIA, 'vtest.mp4');
export const REDIS_URL = process.env.VIGIL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A context with a random key prefix and the given cameras. */
export function testContext(cameras: unknown[], prefix = `vigil-test-${randomBytes(4).toString('hex')}`): Context {
  const config = parseConfig(JSON.stringify({ redis: { url: REDIS_URL, prefix }, cameras }), { VIGIL_NO_DEMO: '1' });
  return new Context(config, nullLogger(), new Set(['ingest']), { defaultMetrics: false });
}

/** Deletes every key of a prefix. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) {
      await redis.del(...keys);
    }
  } while (cursor !== '0');
}

/** Polls until `fn` returns a truthy value or the time is up. */
export async function waitFor<T>(fn: () => T | Promise<T>, timeoutMs: number, what: string, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) {
      return v;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Records the camera state messages published on a context's channel. */
export class StateRecorder {
  readonly messages: Array<CameraStateMessage & { receivedAt: number }> = [];
  private readonly sub: Redis;

  private constructor(readonly ctx: Context) {
    this.sub = new Redis(REDIS_URL);
  }

  static async start(ctx: Context): Promise<StateRecorder> {
    const r = new StateRecorder(ctx);
    r.sub.on('message', (_ch: string, msg: string) => r.messages.push({ ...(JSON.parse(msg) as CameraStateMessage), receivedAt: Date.now() }));
    await r.sub.subscribe(ctx.keys.channels.camera);
    return r;
  }

  /** The first message for `camera` in `state` received at or after `since`. */
  find(camera: string, state: string, since = 0): (CameraStateMessage & { receivedAt: number }) | undefined {
    return this.messages.find((m) => m.camera === camera && m.state === state && m.receivedAt >= since);
  }

  async close(): Promise<void> {
    this.sub.disconnect();
  }
}

/** Is a pid alive? */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
