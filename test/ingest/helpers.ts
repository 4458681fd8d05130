import Redis from 'ioredis';
import { parseConfig } from '../../src/config/load';
import { Context } from '../../src/config/context';
import { nullLogger } from '../../src/core/logger';
import type { CameraStateMessage } from '../../src/core/types';
import { REDIS_URL, testPrefix } from '../helpers';

// The generic helpers moved to test/helpers; these names stay importable from here for files written against the old
// location (prefer '../helpers').
export { alive, MEDIA, purgePrefix as deletePrefix, REDIS_URL, VTEST, waitFor } from '../helpers';

/** A context with a random key prefix and the given cameras. */
export function testContext(cameras: unknown[], prefix = testPrefix()): Context {
  const config = parseConfig(JSON.stringify({ redis: { url: REDIS_URL, prefix }, cameras }), { VIGIL_NO_DEMO: '1' });
  return new Context(config, nullLogger(), new Set(['ingest']), { defaultMetrics: false });
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
