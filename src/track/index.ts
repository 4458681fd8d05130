import { createWriteStream, type WriteStream } from 'node:fs';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Context, StageHandle } from '../core/context';
import { onceClose } from '../core/context';
import { acquireLease, releaseLease, renewLease } from '../core/lease';
import { effectiveCameras, readCameraOverrides } from '../core/camera-overrides';
import type { CameraConfig, VigilConfig } from '../config/schema';
import type { CameraStateMessage, DetectionResult } from '../core/types';
import { AlertStore } from '../alerts';
import { CameraWorker } from './camera-worker';

function counter(reg: Registry, name: string, help: string, labelNames: string[]): Counter<string> {
  return (reg.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames, registers: [reg] });
}

/**
 * Starts the track stage: per camera a Redis lease (`keys.lease('track', camera)`); for owned cameras a reader
 * XREADs `keys.detections(camera)` and a {@link CameraWorker} reorders, tracks, evaluates rules and writes
 * alerts. A process that dies loses its leases within `track.leaseSeconds`; another takes over from the state in
 * `keys.trackState(camera)`. Rules reload on `ctx.on('config')` and on camera overrides without a restart.
 */
export async function start(ctx: Context): Promise<StageHandle> {
  const log = ctx.log.child({ stage: 'track' });
  const cmd = ctx.redis('track');
  const reader = ctx.redis('track-read', { maxRetriesPerRequest: null });
  const sub = ctx.redis('track-sub');
  const owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  let config: VigilConfig = ctx.config;
  let store = new AlertStore(cmd, ctx.keys, { maxEvents: config.alerts.maxEvents, maxAgeSeconds: config.alerts.maxAgeSeconds });
  const alertsTotal = counter(ctx.metrics, 'vigil_alerts_total', 'Alert events written', ['rule', 'type', 'event']);
  const late = counter(ctx.metrics, 'vigil_tracker_late_frames_total', 'Detection results dropped as too late to reorder', ['camera']);
  const latency =
    (ctx.metrics.getSingleMetric('vigil_stage_latency_seconds') as Histogram<string> | undefined) ??
    new Histogram({
      name: 'vigil_stage_latency_seconds',
      help: 'Latency from frame capture to the end of a stage',
      labelNames: ['stage'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [ctx.metrics],
    });
  let recorder: WriteStream | undefined;
  if (config.alerts.recordFile) {
    recorder = createWriteStream(config.alerts.recordFile, { flags: 'a' });
    recorder.on('error', (err) => log.error({ err }, 'record file write failed'));
  }
  const hooks = {
    onAlert: (c: { event: string; alert: { rule: string; type: string } }, latencyMs: number) => {
      alertsTotal.inc({ rule: c.alert.rule, type: c.alert.type, event: c.event });
      if (c.event === 'start') {
        latency.observe({ stage: 'alert' }, latencyMs / 1000);
      }
    },
    onLate: (camera: string, n: number) => late.inc({ camera }, n),
    record: recorder ? (r: DetectionResult) => void recorder!.write(`${JSON.stringify(r)}\n`) : undefined,
  };

  const workers = new Map<string, CameraWorker>();
  let cameras: CameraConfig[] = config.cameras.filter((c) => c.enabled);
  let closing = false;
  let ready = false;
  const ttlMs = () => Math.round(config.track.leaseSeconds * 1000);

  async function refreshCameras(): Promise<void> {
    const overrides = await readCameraOverrides(cmd, ctx.keys, (id, err) => log.warn({ camera: id, err }, 'bad camera override'));
    cameras = effectiveCameras(config.cameras, overrides).filter((c) => c.enabled);
    for (const c of cameras) {
      workers.get(c.id)?.configure(config, c);
    }
  }

  async function drop(id: string, endAlerts: boolean): Promise<void> {
    const w = workers.get(id);
    if (!w) {
      return;
    }
    workers.delete(id);
    await w.close(endAlerts).catch((err) => log.error({ err, camera: id }, 'close failed'));
    await releaseLease(cmd, ctx.keys.lease('track', id), owner).catch(() => undefined);
  }

  async function leases(): Promise<void> {
    const wanted = new Set(cameras.map((c) => c.id));
    for (const id of [...workers.keys()]) {
      if (!wanted.has(id)) {
        await drop(id, true);
      } else if (!(await renewLease(cmd, ctx.keys.lease('track', id), owner, ttlMs()))) {
        log.warn({ camera: id }, 'track lease lost; another process owns the camera now');
        workers.delete(id);
      }
    }
    for (const c of cameras) {
      if (workers.has(c.id) || closing) {
        continue;
      }
      if (await acquireLease(cmd, ctx.keys.lease('track', c.id), owner, ttlMs())) {
        const w = new CameraWorker(c, config, cmd, ctx.keys, store, log.child({ camera: c.id }), hooks, config.alerts.snapshotQuality);
        await w.resume();
        workers.set(c.id, w);
        log.info({ camera: c.id }, 'tracking camera');
      }
    }
  }

  async function readLoop(): Promise<void> {
    while (!closing) {
      const owned = [...workers.values()];
      if (owned.length === 0) {
        await sleep(200);
        continue;
      }
      try {
        const res = (await reader.xread(
          'COUNT',
          200,
          'BLOCK',
          250,
          'STREAMS',
          ...owned.map((w) => ctx.keys.detections(w.camera.id)),
          ...owned.map((w) => w.lastId),
        )) as Array<[string, Array<[string, string[]]>]> | null;
        if (!res) {
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
            try {
              parsed.push({ id, result: JSON.parse(fields[i + 1]) as DetectionResult });
            } catch {
              log.warn({ camera: w.camera.id, id }, 'unreadable detection result skipped');
            }
          }
          // Advance the cursor now so the next XREAD does not return the same entries while they are processed.
          if (entries.length) {
            w.lastId = entries[entries.length - 1][0];
          }
          work.push(w.enqueue(parsed).catch(() => undefined));
        }
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
      try {
        const m = JSON.parse(message) as CameraStateMessage;
        workers.get(m.camera)?.engine.onCameraState(m);
      } catch {
        log.debug('bad camera state message');
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
  await leases();
  ready = true;
  const leaseTimer = setInterval(
    () => void leases().catch((err) => log.error({ err }, 'lease loop failed')),
    Math.max(200, ttlMs() / 3),
  );
  const tickTimer = setInterval(() => {
    for (const w of workers.values()) {
      void w.tick().catch(() => undefined);
    }
  }, 500);
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
      clearInterval(leaseTimer);
      clearInterval(tickTimer);
      clearInterval(trimTimer);
      ctx.off('config', onConfig);
    },
    () => loop,
    async () => {
      for (const id of [...workers.keys()]) {
        await drop(id, true);
      }
    },
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
    readiness: () => (ready && cmd.status === 'ready' ? [] : ['track: redis not ready']),
    close,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
