import type { CameraConfig, VigilConfig } from '../config/schema';
import { effectiveCameras, readCameraOverrides } from '../config/camera-overrides';
import { onceClose, type Context, type StageHandle } from '../config/context';
import type { LeaseClaim } from '../core/leases';
import { CameraSupervisor } from './camera-supervisor';
import { inputKind } from './ffmpeg-args';
import { warmFfmpegCapabilities } from './ffmpeg-process';
import { FrameAdmission } from './frame-admission';
import { raiseFramePools } from '../core/frame-pool';
import { ingestMetrics, removeCameraSeries } from './metrics';
import { LiveRawFrames } from './live-frames';
import type { RestartPolicyOptions } from './restart-policy';
import path from 'node:path';
import { CameraRecorder } from './recorder';
import { RecordingSpace } from './recording-space';
import { cameraRecording } from './recorder-args';

/** Options of {@link startIngest} (tests shorten the timings). */
export interface IngestOptions {
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

/** A camera in effect: its configuration and its lease. */
interface Wanted {
  config: CameraConfig;
  json: string;
  claim: LeaseClaim;
}

/**
 * Pure: what ingest compares to decide whether a changed camera's FFmpeg restarts: everything but its zones and
 * lines, which only the tracker uses (the zone editor saves them without a gap in the stream).
 */
export function ingestJson(cam: CameraConfig): string {
  return JSON.stringify({ ...cam, zones: undefined, lines: undefined });
}

/** Starts the ingest stage with default options. */
export async function start(ctx: Context): Promise<StageHandle> {
  return startIngest(ctx);
}

/**
 * Starts the ingest stage: one supervisor (one ffmpeg) per camera this process holds the lease of (through the
 * process's {@link LeaseKeeper}). Cameras in effect = config file cameras + runtime overrides; changes (SIGHUP
 * reload, `keys.channels.config`) add, restart or remove only the cameras that changed. A lease that is lost stops
 * the camera's ffmpeg before the camera can be taken again; while a lease is unconfirmed (renewal late) frames are
 * dropped (reason `lease`) but ffmpeg keeps running, so a confirmed lease resumes without a reconnect.
 */
export async function startIngest(ctx: Context, options: IngestOptions = {}): Promise<IngestHandle> {
  const log = ctx.log.child({ stage: 'ingest' });
  const keys = ctx.keys;
  const redis = ctx.redis('ingest');
  const queueRedis = ctx.redis('ingest-queue', { maxRetriesPerRequest: null });
  const serveRedis = ctx.redis('ingest-serve', { maxRetriesPerRequest: null });
  const sub = ctx.redis('ingest-sub');
  const metrics = ingestMetrics(ctx.metrics);
  // fluent-ffmpeg's one-time capability listing, done now rather than before the first camera taken (a takeover).
  warmFfmpegCapabilities(options.ffmpegPath).catch((err: unknown) =>
    log.warn({ err: err instanceof Error ? err.message : String(err) }, 'ffmpeg could not list its formats and encoders'),
  );
  // Frames stay in this process until a detect worker binds one (see admission.ts).
  const frames = new FrameAdmission({ redis, queueRedis, serveRedis, keys, metrics, owner: ctx.instanceId, local: ctx.localFrames, log });
  frames.start();
  // Plain live frames of the cameras ingested here, while someone watches them (frame.jpg in any deployment).
  const live = new LiveRawFrames(redis, keys, log);
  live.start();
  // Every camera recorded here shares one cap (recording.maxTotalMb); each has its own (maxMbPerCamera).
  const space = new RecordingSpace(ctx.config.recording.maxTotalMb * 1024 * 1024);
  const running = new Map<string, Running>();
  /** Cameras in effect, with their leases (held or not). */
  const wanted = new Map<string, Wanted>();
  /** Cameras being removed: their lease's release also deletes their state. */
  const removing = new Set<string>();
  let closed = false;

  const startCamera = (cam: CameraConfig, claim: LeaseClaim): void => {
    // A file read at full speed pauses ffmpeg when the queue is full instead of dropping frames.
    const pull = cam.realtime === false && ['file', 'images'].includes(inputKind(cam.url));
    let sup: CameraSupervisor | undefined;
    // Each camera holds a frame in its mailbox, up to maxInFlight being detected and a few kept for the tracker.
    raiseFramePools(16 + [...wanted.values()].reduce((n, w) => n + w.config.maxInFlight + 3, 0));
    const writer = live.tap(cam.id, frames.forCamera({
      camera: cam.id,
      maxInFlight: cam.maxInFlight,
      pull,
      onReady: pull ? () => sup?.sourceReady() : undefined,
      mayWrite: () => claim.valid,
    }));
    const rec = cameraRecording(cam, ctx.config.recording);
    const recorder = rec
      ? new CameraRecorder({
          camera: cam.id,
          root: path.resolve(ctx.config.recording.dir),
          segmentSeconds: rec.segmentSeconds,
          maxBytes: rec.maxBytes,
          redis,
          keys,
          instance: ctx.instanceId,
          log: log.child({ camera: cam.id }),
          space,
        })
      : undefined;
    if (recorder) {
      void recorder.start();
    } else {
      redis.hdel(keys.cameraStatus(cam.id), 'recording', 'recordingSeconds', 'recordingReason').catch(() => undefined);
    }
    sup = new CameraSupervisor(cam, {
      redis,
      keys,
      metrics,
      log: log.child({ camera: cam.id }),
      writer,
      ffmpegPath: options.ffmpegPath,
      restart: options.restart,
      recorder,
    });
    running.set(cam.id, { config: cam, json: ingestJson(cam), sup });
    sup.start();
  };

  /** Stops a camera's ffmpeg: `remove` deletes its state, `stopped` marks it stopped, `keep` leaves it alone. */
  const stopCamera = async (id: string, how: 'remove' | 'stopped' | 'keep'): Promise<void> => {
    const r = running.get(id);
    if (!r) {
      return;
    }
    running.delete(id);
    live.untap(id);
    if (how === 'remove') {
      await r.sup.remove();
      removeCameraSeries(metrics, id);
    } else {
      await r.sup.stop(options.killGraceMs, how === 'stopped' ? 'Vigil stopped ingesting it (clean shutdown)' : undefined);
    }
  };

  const claimCamera = (id: string): LeaseClaim =>
    ctx.leases.claim('ingest', id, keys.lease('ingest', id), {
      acquired: ({ continued }) => {
        const w = wanted.get(id);
        if (closed || !w) {
          return;
        }
        if (running.has(id) && continued) {
          return; // the unconfirmed lease is confirmed again: frames flow again (mayWrite)
        }
        log.info({ camera: id }, 'camera lease taken');
        startCamera(w.config, w.claim);
      },
      lost: async (reason, detail) => {
        if (reason === 'taken') {
          // Another process owns the camera: its state is theirs to write.
          log.warn({ camera: id, detail }, 'camera lease lost: stopping its ffmpeg');
          await stopCamera(id, 'keep');
        } else {
          await stopCamera(id, removing.delete(id) ? 'remove' : 'stopped');
        }
      },
    });

  const apply = async (): Promise<void> => {
    const overrides = await readCameraOverrides(redis, keys, (id, err) =>
      log.warn({ camera: id, err: err instanceof Error ? err.message : String(err) }, 'invalid camera override ignored'),
    );
    const effective = new Map(effectiveCameras(ctx.config.cameras, overrides).filter((c) => c.enabled).map((c) => [c.id, c]));
    const work: Array<Promise<void>> = [];
    for (const [id, w] of wanted) {
      const next = effective.get(id);
      if (!next) {
        log.info({ camera: id }, 'camera removed');
        wanted.delete(id);
        removing.add(id);
        work.push(w.claim.release());
      } else if (ingestJson(next) !== w.json) {
        w.config = next;
        w.json = ingestJson(next);
        // Restarted only while this process holds the camera, never racing a takeover.
        work.push(
          w.claim.exclusive(async () => {
            if (running.has(id)) {
              log.info({ camera: id }, 'camera changed: restarting it');
              await stopCamera(id, 'keep');
              if (!closed) {
                startCamera(next, w.claim);
              }
            }
          }),
        );
      }
    }
    for (const [id, cam] of effective) {
      if (!wanted.has(id) && !closed) {
        removing.delete(id);
        wanted.set(id, { config: cam, json: ingestJson(cam), claim: claimCamera(id) });
      }
    }
    await Promise.allSettled(work);
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
          // Cameras that are free now start before this resolves.
          await ctx.leases.round();
          await ctx.leases.settled('ingest');
        } catch (err) {
          log.error({ err }, 'applying the camera configuration failed');
        }
      } while (again && !closed);
    })().finally(() => {
      current = undefined;
    });
    return current;
  };

  const onConfig = (next: VigilConfig, previous: VigilConfig): void => {
    space.setMaxBytes(next.recording.maxTotalMb * 1024 * 1024);
    // What every camera's FFmpeg is started with changed (recording on/off, its directory or segments): each
    // running camera restarts (its size cap alone applies without a restart, at the next segment).
    const started = (c: VigilConfig) => JSON.stringify([c.recording.enabled, c.recording.dir, c.recording.segmentSeconds, c.recording.maxMbPerCamera]);
    if (started(next) !== started(previous)) {
      for (const w of wanted.values()) {
        w.json = '';
      }
    }
    void reconcile();
  };
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
      ctx.off('config', onConfig);
    },
    () => sub.unsubscribe().catch(() => undefined),
    () => current,
    // Every ffmpeg stops, then its lease is released (a standby takes the camera at once).
    () => Promise.allSettled([...wanted.values()].map((w) => w.claim.release())),
    () => frames.close(),
    () => live.close(),
  ]);

  return {
    supervisors: () => new Map([...running].map(([id, r]) => [id, r.sup])),
    reconcile,
    // Ready when Redis answers and every camera held here streams or has a reason not to (failed, reconnecting,
    // stalled: see GET /api/cameras); not while one is still starting or its lease is unconfirmed.
    readiness: () => {
      const reasons = redis.status === 'ready' ? [] : [`redis ${redis.status}`];
      for (const [id, r] of running) {
        if (r.sup.state === 'starting') {
          reasons.push(`camera ${id}: starting`);
        }
        const claim = wanted.get(id)?.claim;
        if (claim && claim.state === 'suspended') {
          reasons.push(`camera ${id}: ingest lease unconfirmed`);
        }
      }
      return reasons;
    },
    close,
  };
}
