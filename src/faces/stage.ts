import type Redis from 'ioredis';
import type { CameraConfig, VigilConfig } from '../config/schema';
import type { CamerasInEffect } from '../config/cameras-in-effect';
import type { Context } from '../config/context';
import { onceClose } from '../config/context';
import type { FaceFrame, FaceRunner } from '../core/face-runner';
import type { Logger } from '../core/logger';
import { faceMetrics, type FaceMetrics } from '../core/metrics';
import type { Detection, FaceObservation } from '../core/types';
import { loadFaceModels, sharedFaceModels } from './models';
import { FacePipeline, type FacePipelineOptions } from './pipeline';
import { WatchlistStore, WatchlistSync } from './watchlist';

function pipelineOptions(cfg: VigilConfig): FacePipelineOptions {
  const f = cfg.faces;
  return { wholeFrame: f.wholeFrame, minFaceSize: f.minFaceSize, minScore: f.minScore, threshold: f.threshold };
}

/** Ids of the cameras with faces on. */
export function faceCameras(cameras: readonly CameraConfig[]): Set<string> {
  return new Set(cameras.filter((c) => c.faces.enabled).map((c) => c.id));
}

/** What a started face stage holds. */
interface Started {
  redis: Redis;
  sync: WatchlistSync;
  pipeline: FacePipeline;
  metrics: FaceMetrics;
}

/**
 * The face stage, run inside the detect role for cameras with `faces.enabled` in effect (file and API changes):
 * finds faces (inside person boxes, or the whole frame by option), aligns, embeds and matches them against the
 * watchlist. It starts once a camera in effect has faces on (at start, or when one is switched on later): then it
 * builds missing face models, loads the sessions and keeps the watchlist index in sync across processes.
 */
export class FaceStage implements FaceRunner {
  private started: Started | undefined;
  private starting: Promise<void> | undefined;
  /** Cameras with faces on in effect: the only ones processed, whoever calls (privacy guard). */
  private cameras: Set<string>;
  private stopFollowing: (() => void) | undefined;
  private stopped = false;
  private readonly log: Logger;
  private readonly onConfig = (next: VigilConfig): void => {
    if (this.started) {
      this.started.pipeline.opts = pipelineOptions(next);
    }
  };

  constructor(
    private readonly ctx: Context,
    private readonly inEffect: CamerasInEffect,
  ) {
    this.log = ctx.log.child({ stage: 'faces' });
    this.cameras = faceCameras(inEffect.list());
  }

  get running(): boolean {
    return this.started !== undefined && !this.stopped;
  }

  async start(): Promise<void> {
    if (!this.stopFollowing) {
      this.ctx.on('config', this.onConfig);
      this.stopFollowing = this.inEffect.onChange((list) => this.follow(list));
    }
    // The cameras in effect may have been read from Redis since this stage was made.
    this.cameras = faceCameras(this.inEffect.list());
    await this.startIfNeeded();
  }

  async process(frame: FaceFrame, detections: readonly Detection[]): Promise<FaceObservation[]> {
    const s = this.started;
    if (!s || this.stopped || !this.cameras.has(frame.camera)) {
      return [];
    }
    const img = { width: frame.width, height: frame.height, data: frame.pixels };
    const faces = await s.pipeline.process(frame.camera, img, detections);
    const t = s.pipeline.lastTimings;
    s.metrics.seconds.observe({ step: 'total' }, t.totalMs / 1000);
    if (t.faces > 0) {
      s.metrics.seconds.observe({ step: 'detect' }, t.detectMs / 1000);
      s.metrics.seconds.observe({ step: 'landmarks' }, t.landmarkMs / 1000);
      s.metrics.seconds.observe({ step: 'embed' }, t.embedMs / 1000);
    }
    for (const o of faces) {
      s.metrics.facesTotal.inc({ camera: frame.camera, result: o.match ? 'match' : 'unknown' });
    }
    await this.storeUnknown(s.redis, frame, faces).catch((err: unknown) => this.log.warn({ err }, 'storing unknown faces failed'));
    return faces;
  }

  /** Whether this process's watchlist index holds the identity yet (enrolments reach it by pub/sub). */
  knows(identity: string): boolean {
    return this.started?.sync.index.has(identity) ?? false;
  }

  readiness(): string[] {
    return !this.started || this.started.sync.ready ? [] : ['faces: watchlist not loaded'];
  }

  readonly stop = onceClose([
    () => {
      this.stopped = true;
      this.ctx.off('config', this.onConfig);
      this.stopFollowing?.();
    },
    // A start under way finishes first (and finds the stage stopped).
    () => this.starting,
    () => this.started?.sync.close(),
  ]);

  /** A change of the cameras in effect: cameras switched off forget what was seen on them; one switched on starts the stage. */
  private follow(list: readonly CameraConfig[]): void {
    const next = faceCameras(list);
    for (const c of this.cameras) {
      if (!next.has(c)) {
        this.started?.pipeline.cache.forget(c);
      }
    }
    this.cameras = next;
    this.startIfNeeded().catch((err: unknown) => this.log.error({ err: (err as Error).message }, 'face stage not started'));
  }

  private startIfNeeded(): Promise<void> {
    if (this.started || this.stopped || this.cameras.size === 0) {
      return Promise.resolve();
    }
    this.starting ??= this.open().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async open(): Promise<void> {
    const { ctx } = this;
    const models = await sharedFaceModels(ctx, () => loadFaceModels(ctx.config.models.dir, ctx.config.faces, this.log));
    const redis = ctx.redis('faces');
    const sync = new WatchlistSync(new WatchlistStore(redis, ctx.keys), ctx.redis('faces-sub'), ctx.keys, this.log);
    await sync.start();
    if (this.stopped) {
      await sync.close();
      return;
    }
    this.started = { redis, sync, pipeline: new FacePipeline(models, sync.index, pipelineOptions(ctx.config)), metrics: faceMetrics(ctx.metrics) };
  }

  private async storeUnknown(redis: Redis, frame: FaceFrame, faces: FaceObservation[]): Promise<void> {
    const f = this.ctx.config.faces;
    if (!f.storeUnknown) {
      return;
    }
    const multi = redis.multi();
    let n = 0;
    faces.forEach((o, i) => {
      if (!o.match && o.embedding) {
        const id = `${frame.camera}:${frame.seq}:${i}`;
        const value = JSON.stringify({ camera: frame.camera, seq: frame.seq, at: new Date().toISOString(), box: o.box, embedding: o.embedding });
        multi.set(this.ctx.keys.unknownFace(id), value, 'EX', f.unknownTtlSeconds);
        n++;
      }
    });
    if (n > 0) {
      await multi.exec();
    }
  }
}
