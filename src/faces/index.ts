import type { CameraConfig, VigilConfig } from '../config/schema';
import type { CamerasInEffect } from '../config/cameras-in-effect';
import type { Context } from '../config/context';
import { onceClose } from '../config/context';
import { faceMetrics } from '../core/metrics';
import type { Detection, FaceObservation } from '../core/types';
import { loadFaceModels, sharedFaceModels } from './models';
import { FacePipeline, type FacePipelineOptions } from './pipeline';
import { WatchlistStore, WatchlistSync } from './watchlist';

/** One frame handed to the face stage by a detect worker. Pixels are rgb24, row-major, no padding. */
export interface FaceFrame {
  camera: string;
  seq: number;
  width: number;
  height: number;
  pixels: Buffer;
}

/**
 * The face stage run inside the detect role for cameras with `faces.enabled`: finds faces (inside person boxes,
 * or the whole frame by option), aligns, embeds and matches them against the watchlist.
 */
export interface FaceStage {
  process(frame: FaceFrame, detections: readonly Detection[]): Promise<FaceObservation[]>;
  readiness(): string[];
  close(): Promise<void>;
}

function pipelineOptions(cfg: VigilConfig): FacePipelineOptions {
  const f = cfg.faces;
  return { wholeFrame: f.wholeFrame, minFaceSize: f.minFaceSize, minScore: f.minScore, threshold: f.threshold };
}

/** Ids of the cameras with faces on. */
export function faceCameras(cameras: readonly CameraConfig[]): Set<string> {
  return new Set(cameras.filter((c) => c.faces.enabled).map((c) => c.id));
}

/**
 * Creates the face stage, or undefined when no camera in effect (file and API) uses faces. Builds missing face
 * models on first start, loads the sessions and keeps the watchlist index in sync across processes.
 */
export async function createFaceStage(ctx: Context, inEffect: CamerasInEffect): Promise<FaceStage | undefined> {
  let cameras = faceCameras(inEffect.list());
  if (cameras.size === 0) {
    return undefined;
  }
  const log = ctx.log.child({ stage: 'faces' });
  const models = await sharedFaceModels(ctx, () => loadFaceModels(ctx.config.models.dir, ctx.config.faces, log));
  const redis = ctx.redis('faces');
  const store = new WatchlistStore(redis, ctx.keys);
  const sync = new WatchlistSync(store, ctx.redis('faces-sub'), ctx.keys, log);
  await sync.start();
  const pipeline = new FacePipeline(models, sync.index, pipelineOptions(ctx.config));
  const { seconds, facesTotal } = faceMetrics(ctx.metrics);
  const onConfig = (next: VigilConfig): void => {
    pipeline.opts = pipelineOptions(next);
  };
  ctx.on('config', onConfig);
  // Cameras switched off (file or API) forget what was seen on them.
  const stopFollowing = inEffect.onChange((list) => {
    const nextCams = faceCameras(list);
    for (const c of cameras) {
      if (!nextCams.has(c)) {
        pipeline.cache.forget(c);
      }
    }
    cameras = nextCams;
  });
  let closed = false;

  const storeUnknown = async (frame: FaceFrame, faces: FaceObservation[]): Promise<void> => {
    const f = ctx.config.faces;
    if (!f.storeUnknown) {
      return;
    }
    const multi = redis.multi();
    let n = 0;
    faces.forEach((o, i) => {
      if (!o.match && o.embedding) {
        const id = `${frame.camera}:${frame.seq}:${i}`;
        const value = JSON.stringify({ camera: frame.camera, seq: frame.seq, at: new Date().toISOString(), box: o.box, embedding: o.embedding });
        multi.set(ctx.keys.unknownFace(id), value, 'EX', f.unknownTtlSeconds);
        n++;
      }
    });
    if (n > 0) {
      await multi.exec();
    }
  };

  return {
    async process(frame, detections) {
      // Privacy guard: only a camera with faces on in effect (file and API changes) is processed, whoever calls.
      if (closed || !cameras.has(frame.camera)) {
        return [];
      }
      const img = { width: frame.width, height: frame.height, data: frame.pixels };
      const faces = await pipeline.process(frame.camera, img, detections);
      const t = pipeline.lastTimings;
      seconds.observe({ step: 'total' }, t.totalMs / 1000);
      if (t.faces > 0) {
        seconds.observe({ step: 'detect' }, t.detectMs / 1000);
        seconds.observe({ step: 'landmarks' }, t.landmarkMs / 1000);
        seconds.observe({ step: 'embed' }, t.embedMs / 1000);
      }
      for (const o of faces) {
        facesTotal.inc({ camera: frame.camera, result: o.match ? 'match' : 'unknown' });
      }
      await storeUnknown(frame, faces).catch((err: unknown) => log.warn({ err }, 'storing unknown faces failed'));
      return faces;
    },
    readiness() {
      return sync.ready ? [] : ['faces: watchlist not loaded'];
    },
    close: onceClose([
      () => {
        closed = true;
        ctx.off('config', onConfig);
        stopFollowing();
      },
      () => sync.close(),
    ]),
  };
}
