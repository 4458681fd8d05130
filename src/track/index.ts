import { createWriteStream, type WriteStream } from 'node:fs';
import type { Context, StageHandle } from '../config/context';
import { onceClose } from '../config/context';
import { messageMetrics, trackMetrics } from '../core/metrics';
import { cameraStateMessageSchema, decodeMessage, detectionResultSchema } from '../core/message-schemas';
import type { LeaseClaim } from '../core/leases';
import { effectiveCameras, readCameraOverrides } from '../config/camera-overrides';
import type { CameraConfig, VigilConfig } from '../config/schema';
import type { DetectionResult } from '../core/types';
import { AlertStore } from '../alerts';
import { CameraWorker } from './camera-worker';

/** Entries read per camera per XREAD; a read that returns fewer has reached the end of the camera's stream. */
const READ_COUNT = 200;

/**
 * Starts the track stage: per camera a lease (`keys.lease('track', camera)`, held through the process's
 * {@link LeaseKeeper}); for owned cameras a reader XREADs `keys.detections(camera)` and a {@link CameraWorker}
 * reorders, tracks, evaluates rules and writes alerts. A process that dies loses its leases within
 * `instance.leaseSeconds`; another continues from the state in `keys.trackState(camera)` (the whole engine, saved
 * with every alert write and every tick, and the stream position it reflects). A lease that is lost stops
 * its worker before the camera can be taken again here; while a lease is unconfirmed (renewal late) its worker
 * pauses. Rules reload on `ctx.on('config')` and on camera overrides without a restart.
 */
export async function start(ctx: Context): Promise<StageHandle> {
  const log = ctx.log.child({ stage: 'track' });
  // Alert writes queued while Redis is away are sent when it returns, never failed after a number of retries.
  const cmd = ctx.redis('track', { maxRetriesPerRequest: null });
  const reader = ctx.redis('track-read', { maxRetriesPerRequest: null });
  const sub = ctx.redis('track-sub');
  const owner = ctx.instanceId;
  let config: VigilConfig = ctx.config;
  let store = new AlertStore(cmd, ctx.keys, { maxEvents: config.alerts.maxEvents, maxAgeSeconds: config.alerts.maxAgeSeconds });
  const m = trackMetrics(ctx.metrics);
  const invalid = messageMetrics(ctx.metrics).invalid;
  /** A message from another stage that is not what it should be: counted, logged, skipped. */
  const badMessage = (message: string, error: string, camera?: string): void => {
    invalid.inc({ stage: 'track', message });
    log.warn({ camera, error }, 'invalid message skipped');
  };
  let recorder: WriteStream | undefined;
  if (config.alerts.recordFile) {
    recorder = createWriteStream(config.alerts.recordFile, { flags: 'a' });
    recorder.on('error', (err) => log.error({ err }, 'record file write failed'));
  }
  const hooks = {
    onAlert: (c: { event: string; alert: { camera: string; rule: string; type: string } }, latencyMs: number) => {
      m.alertsTotal.inc({ camera: c.alert.camera, rule: c.alert.rule, type: c.alert.type, event: c.event });
      if (c.event === 'start') {
        m.stageLatency.observe({ camera: c.alert.camera, stage: 'alert' }, latencyMs / 1000);
      }
    },
    onLate: (camera: string, n: number) => m.lateFrames.inc({ camera }, n),
    onTracked: (camera: string, tracks: number, created: number, latencyMs: number) => {
      m.framesTotal.inc({ camera });
      m.tracks.set({ camera }, tracks);
      if (created > 0) {
        m.tracksCreated.inc({ camera }, created);
      }
      m.stageLatency.observe({ camera, stage: 'tracked' }, latencyMs / 1000);
    },
    frames: ctx.localFrames,
    liveWanted: (camera: string) => watched.has(camera),
    record: recorder ? (r: DetectionResult) => void recorder!.write(`${JSON.stringify(r)}\n`) : undefined,
  };

  const workers = new Map<string, CameraWorker>();
  const claims = new Map<string, LeaseClaim>();
  /** Cameras someone watches (GET frame.jpg, the live view): their live frames are rendered. */
  const watched = new Set<string>();
  let cameras: CameraConfig[] = config.cameras.filter((c) => c.enabled);
  let closing = false;
  let ready = false;

  async function refreshCameras(): Promise<void> {
    const overrides = await readCameraOverrides(cmd, ctx.keys, (id, err) => log.warn({ camera: id, err }, 'bad camera override'));
    cameras = effectiveCameras(config.cameras, overrides).filter((c) => c.enabled);
    for (const c of cameras) {
      workers.get(c.id)?.configure(config, c);
    }
    claimCameras();
  }

  /** Claims the lease of every camera in effect; releases (ending its alerts) the ones no longer in effect. */
  function claimCameras(): void {
    if (closing) {
      return;
    }
    const wanted = new Set(cameras.map((c) => c.id));
    for (const [id, claim] of claims) {
      if (!wanted.has(id)) {
        claims.delete(id);
        void claim.release();
      }
    }
    for (const c of cameras) {
      if (!claims.has(c.id)) {
        claims.set(c.id, claimCamera(c.id));
      }
    }
  }

  function claimCamera(id: string): LeaseClaim {
    const key = ctx.keys.lease('track', id);
    return ctx.leases.claim('track', id, key, {
      acquired: async ({ continued }) => {
        const running = workers.get(id);
        if (running && continued) {
          running.suspended = false;
          return;
        }
        const cam = cameras.find((c) => c.id === id);
        if (!cam || closing) {
          return;
        }
        const w = new CameraWorker(cam, config, cmd, ctx.keys, store, log.child({ camera: id }), hooks, config.alerts.snapshotQuality, { key, owner });
        await w.resume();
        workers.set(id, w);
        log.info({ camera: id }, 'tracking camera');
      },
      suspended: () => {
        const w = workers.get(id);
        if (w) {
          w.suspended = true;
        }
      },
      lost: async (reason) => {
        const w = workers.get(id);
        if (!w) {
          return;
        }
        workers.delete(id);
        if (reason === 'taken') {
          // Another process owns the camera: nothing more from this worker reaches Redis.
          await w.abandon();
        } else {
          // Removed from the configuration or stopping: flush, end its alerts, save the state.
          await w.close(true).catch((err) => log.error({ err, camera: id }, 'close failed'));
        }
      },
    });
  }

  async function readLoop(): Promise<void> {
    while (!closing) {
      const owned = [...workers.values()].filter((w) => !w.suspended);
      if (owned.length === 0) {
        await sleep(200);
        continue;
      }
      try {
        const res = (await reader.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          250,
          'STREAMS',
          ...owned.map((w) => ctx.keys.detections(w.camera.id)),
          ...owned.map((w) => w.lastId),
        )) as Array<[string, Array<[string, string[]]>]> | null;
        if (!res) {
          owned.forEach((w) => w.caughtUp());
          continue;
        }
        const work: Promise<void>[] = [];
        for (const [key, entries] of res) {
          const w = owned.find((x) => ctx.keys.detections(x.camera.id) === key);
          if (!w || workers.get(w.camera.id) !== w) {
            continue;
          }
          const parsed: Array<{ id: string; result: DetectionResult }> = [];
          for (const [id, fields] of entries) {
            const i = fields.indexOf('d');
            const r = decodeMessage(detectionResultSchema, i >= 0 ? fields[i + 1] : undefined, `detection result ${id}`);
            if (r.ok) {
              parsed.push({ id, result: r.value });
            } else {
              badMessage('detection_result', r.error, w.camera.id);
            }
          }
          // Advance the cursor now so the next XREAD does not return the same entries while they are processed.
          if (entries.length) {
            w.lastId = entries[entries.length - 1][0];
          }
          work.push(w.enqueue(parsed).catch(() => undefined));
        }
        // A camera with fewer entries than asked has been read to its end: a continued state's backlog is queued.
        const full = new Set(res.filter(([, entries]) => entries.length >= READ_COUNT).map(([key]) => key));
        owned.filter((w) => !full.has(ctx.keys.detections(w.camera.id))).forEach((w) => w.caughtUp());
        await Promise.all(work);
      } catch (err) {
        if (!closing) {
          log.error({ err }, 'detections read failed');
          await sleep(500);
        }
      }
    }
  }

  // Camera state changes (camera_down) and runtime camera changes.
  sub.on('message', (channel, message) => {
    if (channel === ctx.keys.channels.camera) {
      const s = decodeMessage(cameraStateMessageSchema, message, 'camera state message');
      if (s.ok) {
        workers.get(s.value.camera)?.engine.onCameraState(s.value);
      } else {
        badMessage('camera_state', s.error);
      }
    } else if (channel === ctx.keys.channels.config) {
      refreshCameras().catch((err) => log.error({ err }, 'camera override reload failed'));
    }
  });
  await sub.subscribe(ctx.keys.channels.camera, ctx.keys.channels.config);

  const onConfig = (next: VigilConfig) => {
    config = next;
    store = new AlertStore(cmd, ctx.keys, { maxEvents: next.alerts.maxEvents, maxAgeSeconds: next.alerts.maxAgeSeconds });
    refreshCameras().then(
      () => log.info({ rules: next.rules.length }, 'rules reloaded'),
      (err) => log.error({ err }, 'config reload failed'),
    );
  };
  ctx.on('config', onConfig);

  await refreshCameras();
  // The cameras free now are tracked before start() returns (their workers resumed).
  await ctx.leases.round();
  await ctx.leases.settled('track');
  ready = true;
  const tickTimer = setInterval(() => {
    for (const w of workers.values()) {
      if (!w.suspended) {
        void w.tick().catch(() => undefined);
      }
    }
  }, 500);
  const liveTimer = setInterval(() => {
    const ids = [...workers.keys()];
    if (ids.length === 0) {
      watched.clear();
      return;
    }
    const p = cmd.pipeline();
    ids.forEach((id) => p.exists(ctx.keys.liveWanted(id)));
    p.exec().then(
      (res) => {
        watched.clear();
        ids.forEach((id, i) => {
          if (res?.[i]?.[1] === 1) {
            watched.add(id);
          }
        });
      },
      () => undefined,
    );
  }, 1000);
  let trimAt = 0;
  const trimTimer = setInterval(() => {
    if (Date.now() >= trimAt && workers.size > 0) {
      trimAt = Date.now() + 60_000;
      void store.trim().catch((err) => log.warn({ err }, 'alert retention trim failed'));
    }
  }, 5000);
  const loop = readLoop();

  const close = onceClose([
    () => {
      closing = true;
      clearInterval(tickTimer);
      clearInterval(liveTimer);
      clearInterval(trimTimer);
      ctx.off('config', onConfig);
    },
    () => loop,
    // Every worker flushes, ends its alerts and saves its state, then its lease is released.
    () => Promise.allSettled([...claims.values()].map((c) => c.release())),
    () =>
      recorder
        ? new Promise<void>((resolve) => {
            recorder!.end(() => resolve());
          })
        : undefined,
    () => sub.quit().catch(() => sub.disconnect()),
    () => reader.quit().catch(() => reader.disconnect()),
  ]);

  return {
    readiness: () => {
      const reasons = !ready ? ['starting'] : cmd.status === 'ready' ? [] : [`redis ${cmd.status}`];
      for (const [id, w] of workers) {
        if (w.suspended) {
          reasons.push(`camera ${id}: track lease unconfirmed`);
        }
      }
      return reasons;
    },
    close,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
