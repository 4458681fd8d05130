import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { CameraConfig } from '../config/schema';
import { effectiveCameras, readCameraOverrides } from '../core/camera-overrides';
import { onceClose, type Context, type StageHandle } from '../core/context';
import { acquireLease, releaseLease, renewLease } from '../core/lease';
import { CameraSupervisor } from './camera-supervisor';
import { inputKind } from './ffmpeg-args';
import { FrameQueue } from './frame-queue';
import { ingestMetrics, removeCameraSeries } from './metrics';
import type { RestartPolicyOptions } from './restart-policy';

/** Options of {@link startIngest} (tests shorten the timings). */
export interface IngestOptions {
  /** Lease time to live (ms): a dead owner's cameras move to another ingest process after this. @defaultValue 10_000 */
  leaseTtlMs?: number;
  /** Backoff settings of every camera. */
  restart?: RestartPolicyOptions;
  /** Path of the ffmpeg binary. @defaultValue 'ffmpeg' */
  ffmpegPath?: string;
  /** SIGKILL ffmpeg this long after SIGTERM when stopping (ms). @defaultValue 1500 */
  killGraceMs?: number;
}

/** A running ingest stage. */
export interface IngestHandle extends StageHandle {
  /** The supervisors of the cameras this process owns now (tests, the soak benchmark). */
  supervisors(): Map<string, CameraSupervisor>;
  /** Re-reads config + overrides and applies the differences now; resolves when done. */
  reconcile(): Promise<void>;
}

interface Running {
  config: CameraConfig;
  json: string;
  sup: CameraSupervisor;
}

/** Starts the ingest stage with default options. */
export async function start(ctx: Context): Promise<StageHandle> {
  return startIngest(ctx);
}

/**
 * Starts the ingest stage: one supervisor (one ffmpeg) per camera this process holds the lease of. Cameras in
 * effect = config file cameras + runtime overrides; changes (SIGHUP reload, `keys.channels.config`) add, restart or
 * remove only the cameras that changed.
 */
export async function startIngest(ctx: Context, options: IngestOptions = {}): Promise<IngestHandle> {
  const log = ctx.log.child({ stage: 'ingest' });
  const keys = ctx.keys;
  const leaseTtlMs = options.leaseTtlMs ?? 10_000;
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const redis = ctx.redis('ingest');
  const queueRedis = ctx.redis('ingest-queue', { maxRetriesPerRequest: null });
  const sub = ctx.redis('ingest-sub');
  const metrics = ingestMetrics(ctx.metrics);
  // Ingest and detect in one process: detect takes the pixels from memory and frees slots at once (see LocalFrames).
  const frames = new FrameQueue(redis, queueRedis, keys, metrics, { frames: ctx.localFrames, sharePixels: ctx.roles.has('detect') });
  const running = new Map<string, Running>();
  /** Cameras in effect that this process does not hold (another process does, or the lease is being taken). */
  let wanted = new Map<string, CameraConfig>();
  let closed = false;

  const startCamera = (cam: CameraConfig): void => {
    // A file read at full speed pauses ffmpeg when the queue is full instead of dropping frames.
    const pull = cam.realtime === false && ['file', 'images'].includes(inputKind(cam.url));
    let sup: CameraSupervisor | undefined;
    const writer = frames.forCamera({
      camera: cam.id,
      maxInFlight: cam.maxInFlight,
      frameTtlSeconds: cam.frameTtlSeconds,
      pull,
      onReady: pull ? () => sup?.sourceReady() : undefined,
    });
    sup = new CameraSupervisor(cam, {
      redis,
      keys,
      metrics,
      log: log.child({ camera: cam.id }),
      writer,
      ffmpegPath: options.ffmpegPath,
      restart: options.restart,
    });
    running.set(cam.id, { config: cam, json: JSON.stringify(cam), sup });
    sup.start();
  };

  const stopCamera = async (id: string, removeState: boolean): Promise<void> => {
    const r = running.get(id);
    if (!r) {
      return;
    }
    running.delete(id);
    try {
      if (removeState) {
        await r.sup.remove();
        removeCameraSeries(metrics, id);
      } else {
        await r.sup.stop(options.killGraceMs);
      }
    } finally {
      await releaseLease(redis, keys.lease('ingest', id), owner).catch(() => undefined);
    }
  };

  /** Takes the leases of wanted cameras that nobody holds. */
  const claim = async (): Promise<void> => {
    for (const [id, cam] of wanted) {
      if (closed || running.has(id)) {
        continue;
      }
      if (await acquireLease(redis, keys.lease('ingest', id), owner, leaseTtlMs)) {
        log.info({ camera: id }, 'camera lease taken');
        startCamera(cam);
      }
    }
  };

  const apply = async (): Promise<void> => {
    const overrides = await readCameraOverrides(redis, keys, (id, err) =>
      log.warn({ camera: id, err: err instanceof Error ? err.message : String(err) }, 'invalid camera override ignored'),
    );
    const effective = effectiveCameras(ctx.config.cameras, overrides).filter((c) => c.enabled);
    wanted = new Map(effective.map((c) => [c.id, c]));
    const stops: Array<Promise<void>> = [];
    for (const [id, r] of running) {
      const next = wanted.get(id);
      if (!next) {
        log.info({ camera: id }, 'camera removed');
        stops.push(stopCamera(id, true));
      } else if (JSON.stringify(next) !== r.json) {
        log.info({ camera: id }, 'camera changed: restarting it');
        stops.push(
          (async () => {
            running.delete(id);
            await r.sup.stop(options.killGraceMs);
            if (!closed) {
              startCamera(next);
            }
          })(),
        );
      }
    }
    await Promise.allSettled(stops);
    await claim();
  };

  // Reconciles run one at a time; a request during a run schedules exactly one more.
  let current: Promise<void> | undefined;
  let again = false;
  const reconcile = (): Promise<void> => {
    if (current) {
      again = true;
      return current.then(() => (current ? current : undefined));
    }
    current = (async () => {
      do {
        again = false;
        try {
          await apply();
        } catch (err) {
          log.error({ err }, 'applying the camera configuration failed');
        }
      } while (again && !closed);
    })().finally(() => {
      current = undefined;
    });
    return current;
  };

  const leaseTimer = setInterval(() => {
    void (async () => {
      for (const [id] of running) {
        const ok = await renewLease(redis, keys.lease('ingest', id), owner, leaseTtlMs).catch(() => true);
        if (!ok && running.has(id)) {
          log.warn({ camera: id }, 'camera lease lost: another process owns it now');
          await stopCamera(id, false);
        }
      }
      await claim();
    })().catch((err: unknown) => log.warn({ err }, 'lease renewal failed'));
  }, Math.max(100, Math.floor(leaseTtlMs / 3)));
  leaseTimer.unref();

  const onConfig = (): void => void reconcile();
  ctx.on('config', onConfig);
  sub.on('message', (channel: string) => {
    if (channel === keys.channels.config) {
      void reconcile();
    }
  });
  await sub.subscribe(keys.channels.config);
  await reconcile();
  log.info({ cameras: [...running.keys()], waiting: [...wanted.keys()].filter((id) => !running.has(id)) }, 'ingest started');

  const close = onceClose([
    () => {
      closed = true;
      clearInterval(leaseTimer);
      ctx.off('config', onConfig);
    },
    () => sub.unsubscribe().catch(() => undefined),
    () => current,
    () => Promise.allSettled([...running.keys()].map((id) => stopCamera(id, false))),
    () => frames.close(),
  ]);

  return {
    supervisors: () => new Map([...running].map(([id, r]) => [id, r.sup])),
    reconcile,
    readiness: () => (redis.status === 'ready' ? [] : [`ingest: redis ${redis.status}`]),
    close,
  };
}
