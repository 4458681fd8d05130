/**
 * Plain live frames from the ingest side: while someone watches a camera (`keys.liveWanted`, set by frame.jpg and the
 * live view), the process that ingests it writes its newest frame as a JPEG without boxes to `keys.liveRawFrame`
 * (at most every `intervalMs`, kept `ttlMs`). frame.jpg answers the tracker's annotated frame when there is one and
 * this one otherwise, so every streaming camera has a live frame whatever runs where: no detector loaded, a tracker
 * in another process that is late, a camera whose detections are all dropped.
 *
 * Frames are copied only when one is due (about twice a second per watched camera) and encoded off the event loop
 * (sharp's thread pool); nothing is done for cameras nobody watches but one EXISTS per camera a second.
 */
import type Redis from 'ioredis';
import sharp from 'sharp';
import type { Keys } from '../core/keys';
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
      this.offer(camera, pixels, width, height);
      push(pixels, capturedAt, width, height);
    };
    return writer;
  }

  /** The camera is no longer ingested here. */
  untap(camera: string): void {
    this.cameras.delete(camera);
    this.watched.delete(camera);
    this.lastAt.delete(camera);
  }

  /** Whether the camera's frames are written now (tests). */
  isWatched(camera: string): boolean {
    return this.watched.has(camera);
  }

  /** Reads the watched cameras now (the timer does it every `pollMs`). */
  async poll(): Promise<void> {
    const ids = [...this.cameras];
    if (ids.length === 0 || this.closed) {
      this.watched.clear();
      return;
    }
    const p = this.redis.pipeline();
    ids.forEach((id) => p.exists(this.keys.liveWanted(id)));
    try {
      const res = await p.exec();
      this.watched.clear();
      ids.forEach((id, i) => {
        if (res?.[i]?.[1] === 1 && this.cameras.has(id)) {
          this.watched.add(id);
        }
      });
    } catch {
      // Redis away: keep the last answer; frames written meanwhile fail quietly.
    }
  }

  /** A frame of `camera` (its pixels belong to the caller; copied when one is due). */
  offer(camera: string, pixels: Buffer, width: number, height: number): void {
    if (!this.watched.has(camera) || this.encoding.has(camera) || this.closed) {
      return;
    }
    const now = Date.now();
    if (now - (this.lastAt.get(camera) ?? 0) < (this.options.intervalMs ?? 500) || pixels.length !== width * height * 3) {
      return;
    }
    this.lastAt.set(camera, now);
    this.encoding.add(camera);
    const copy = Buffer.from(pixels);
    sharp(copy, { raw: { width, height, channels: 3 } })
      .jpeg({ quality: this.options.quality ?? 70 })
      .toBuffer()
      .then((jpeg) => this.redis.set(this.keys.liveRawFrame(camera), jpeg, 'PX', this.options.ttlMs ?? 3000))
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
