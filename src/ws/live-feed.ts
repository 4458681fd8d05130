/**
 * The live-view frames of the cameras, in the api process: one Redis subscriber shared by every viewer, subscribed to
 * a camera's live channel (`keys.liveChannel`) only while at least one viewer watches it. The process that ingests
 * the camera sees the subscriber (PUBSUB NUMSUB) and publishes every frame at the camera's detect rate
 * (src/ingest/live-frames.ts); here each frame arrives as one Buffer (core/live-frame.ts) that every viewer sends as
 * is. Viewers decide themselves whether to drop a frame (their own send buffer), so a slow viewer never holds back
 * the others: this class never waits for anyone.
 */
import type Redis from 'ioredis';
import { Counter, type Registry } from 'prom-client';
import type { Context } from '../config/context';
import { decodeLiveFrame } from '../core/live-frame';

/** Gets every frame of the cameras it watches; must not throw. */
export type LiveViewer = (camera: string, envelope: Buffer) => void;

const metricsByRegistry = new WeakMap<Registry, LiveMetrics>();

/** Counters of the live view (`/ws/live` and `live.mjpeg`). */
export interface LiveMetrics {
  sent: Counter<'transport'>;
  dropped: Counter<'transport'>;
}

export function liveMetrics(reg: Registry): LiveMetrics {
  let m = metricsByRegistry.get(reg);
  if (!m) {
    m = {
      sent: new Counter({ name: 'vigil_live_frames_sent_total', help: 'Live-view frames sent to viewers', labelNames: ['transport'], registers: [reg] }),
      dropped: new Counter({
        name: 'vigil_live_frames_dropped_total',
        help: 'Live-view frames not sent to a viewer whose send buffer was full (a slow viewer drops frames)',
        labelNames: ['transport'],
        registers: [reg],
      }),
    };
    metricsByRegistry.set(reg, m);
  }
  return m;
}

export class LiveFeed {
  private sub?: Redis;
  private readonly viewers = new Map<string, Set<LiveViewer>>();
  private closed = false;

  constructor(private readonly ctx: Context) {}

  /** Cameras watched now (tests). */
  get cameras(): string[] {
    return [...this.viewers.keys()];
  }

  /** Starts sending `camera`'s frames to `viewer`; returns the function that stops it. */
  watch(camera: string, viewer: LiveViewer): () => void {
    if (this.closed) {
      return () => undefined;
    }
    let set = this.viewers.get(camera);
    if (!set) {
      set = new Set();
      this.viewers.set(camera, set);
      void this.connection()
        .subscribe(this.ctx.keys.liveChannel(camera))
        .catch(() => undefined);
    }
    set.add(viewer);
    return () => {
      const s = this.viewers.get(camera);
      if (!s?.delete(viewer) || s.size > 0) {
        return;
      }
      this.viewers.delete(camera);
      // Nobody watches: the ingest side stops encoding within a second.
      void this.sub?.unsubscribe(this.ctx.keys.liveChannel(camera)).catch(() => undefined);
    };
  }

  private connection(): Redis {
    if (!this.sub) {
      const sub = this.ctx.redis('live-sub');
      const prefix = this.ctx.keys.liveChannel('');
      sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
        const camera = channel.toString('latin1').slice(prefix.length);
        const set = this.viewers.get(camera);
        if (!set || decodeLiveFrame(message)?.camera !== camera) {
          return;
        }
        for (const v of set) {
          v(camera, message);
        }
      });
      this.sub = sub;
    }
    return this.sub;
  }

  close(): Promise<void> {
    this.closed = true;
    this.viewers.clear();
    const sub = this.sub;
    this.sub = undefined;
    return sub ? sub.quit().then(() => undefined, () => sub.disconnect()) : Promise.resolve();
  }
}
