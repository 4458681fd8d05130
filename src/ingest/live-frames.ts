/**
 * Plain live frames from the ingest side: while someone watches a camera (`keys.liveWanted`, set by frame.jpg and the
 * live view), the process that ingests it writes its newest frame as a JPEG without boxes to `keys.liveRawFrame`
 * (at most every `intervalMs`, kept `ttlMs`). frame.jpg answers the tracker's annotated frame when there is one and
 * this one otherwise, so every streaming camera has a live frame whatever runs where: no detector loaded, a tracker
 * in another process that is late, a camera whose detections are all dropped.
 *
 * While a live view is open on a camera (someone subscribes to `keys.liveChannel`, seen with PUBSUB NUMSUB), every
 * frame is also encoded and published there in the binary envelope of core/live-frame.ts, at the camera's detect
 * rate (a frame still being encoded when the next comes makes that next one skipped, never queued).
 *
 * Frames are copied only when one is due and encoded off the event loop (sharp's thread pool); nothing is done for
 * cameras nobody watches but one EXISTS and one NUMSUB per camera a second.
 */
import type Redis from 'ioredis';
import sharp from 'sharp';
import type { Keys } from '../core/keys';
import { encodeLiveFrame } from '../core/live-frame';
import type { Logger } from '../core/logger';

/** The part of a camera's frame writer that is tapped. */
export interface FramePush {
  push(pixels: Buffer, capturedAt: number, width: number, height: number): void;
}

export interface LiveRawFramesOptions {
  /** At most one frame per camera this often (ms). @defaultValue 500 */
  intervalMs?: number;
  /** How long a frame is kept in Redis (ms). @defaultValue 3000 */
  ttlMs?: number;
  /** How often the watched cameras are read (ms). @defaultValue 1000 */
  pollMs?: number;
  /** JPEG quality. @defaultValue 70 */
  quality?: number;
}

export class LiveRawFrames {
  private readonly cameras = new Set<string>();
  private readonly watched = new Set<string>();
  /** Cameras with a live view open (a subscriber on their live channel). */
  private readonly streamed = new Set<string>();
  private readonly seq = new Map<string, number>();
  private readonly lastAt = new Map<string, number>();
  private readonly encoding = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly log: Logger,
    private readonly options: LiveRawFramesOptions = {},
  ) {}

  /** Starts reading which cameras are watched. */
  start(): void {
    this.timer = setInterval(() => void this.poll(), this.options.pollMs ?? 1000);
    this.timer.unref();
  }

  /** Wraps `writer.push` so that the frames of `camera` are offered here first (the writer keeps them). */
  tap<W extends FramePush>(camera: string, writer: W): W {
    this.cameras.add(camera);
    const push = writer.push.bind(writer);
    writer.push = (pixels, capturedAt, width, height) => {
      this.offer(camera, pixels, width, height, capturedAt);
      push(pixels, capturedAt, width, height);
    };
    return writer;
  }

  /** The camera is no longer ingested here. */
  untap(camera: string): void {
    this.cameras.delete(camera);
    this.watched.delete(camera);
    this.streamed.delete(camera);
    this.lastAt.delete(camera);
    this.seq.delete(camera);
  }

  /** Whether the camera's frames are written now (tests). */
  isWatched(camera: string): boolean {
    return this.watched.has(camera);
  }

  /** Whether every frame of the camera is published on its live channel now (tests). */
  isStreamed(camera: string): boolean {
    return this.streamed.has(camera);
  }

  /** Reads the watched cameras now (the timer does it every `pollMs`). */
  async poll(): Promise<void> {
    const ids = [...this.cameras];
    if (ids.length === 0 || this.closed) {
      this.watched.clear();
      this.streamed.clear();
      return;
    }
    const p = this.redis.pipeline();
    ids.forEach((id) => p.exists(this.keys.liveWanted(id)));
    p.pubsub('NUMSUB', ...ids.map((id) => this.keys.liveChannel(id)));
    try {
      const res = await p.exec();
      this.watched.clear();
      this.streamed.clear();
      ids.forEach((id, i) => {
        if (res?.[i]?.[1] === 1 && this.cameras.has(id)) {
          this.watched.add(id);
        }
      });
      // [channel, count, channel, count, ...]
      const counts = (res?.[ids.length]?.[1] as Array<string | number> | undefined) ?? [];
      ids.forEach((id, i) => {
        if (Number(counts[i * 2 + 1]) > 0 && this.cameras.has(id)) {
          this.streamed.add(id);
        }
      });
    } catch {
      // Redis away: keep the last answer; frames written meanwhile fail quietly.
    }
  }

  /** A frame of `camera` (its pixels belong to the caller; copied when one is due). */
  offer(camera: string, pixels: Buffer, width: number, height: number, capturedAt = Date.now()): void {
    const stream = this.streamed.has(camera);
    if ((!stream && !this.watched.has(camera)) || this.encoding.has(camera) || this.closed || pixels.length !== width * height * 3) {
      return;
    }
    const now = Date.now();
    const still = this.watched.has(camera) && now - (this.lastAt.get(camera) ?? 0) >= (this.options.intervalMs ?? 500);
    if (!stream && !still) {
      return;
    }
    if (still) {
      this.lastAt.set(camera, now);
    }
    const seq = (this.seq.get(camera) ?? 0) + 1;
    this.seq.set(camera, seq);
    this.encoding.add(camera);
    const copy = Buffer.from(pixels);
    sharp(copy, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: this.options.quality ?? 70 })
      .toBuffer()
      .then(async (jpeg) => {
        if (stream) {
          await this.redis.publish(this.keys.liveChannel(camera), encodeLiveFrame({ camera, capturedAt, seq, width, height, jpeg }));
        }
        if (still) {
          await this.redis.set(this.keys.liveRawFrame(camera), jpeg, 'PX', this.options.ttlMs ?? 3000);
        }
      })
      .catch((err: Error) => this.log.debug({ camera, err: err.message }, 'live frame not written'))
      .finally(() => this.encoding.delete(camera));
  }

  close(): void {
    this.closed = true;
    if (this.timer) {
      clearInterval(this.timer);
    }
  }
}
