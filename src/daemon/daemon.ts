/**
 * A running daemon: the stages of this process's roles started in order on one context, probes, the instance
 * heartbeat, and a complete, idempotent stop. `vigil start` (src/main.ts), benchmarks and tests start it.
 */
import { startProbeServer, type ProbeServer } from '../api/probe-server';
import type { Context, StageHandle } from '../config/context';
import { InstanceHeartbeat } from '../core/instances';
import type { Role } from '../core/types';
import { VERSION } from '../core/version';
import { STAGES } from './stages';
import { startClips } from '../alerts/clips';

/** A running daemon: its context and stages, and a complete, idempotent stop. */
export interface Daemon {
  ctx: Context;
  /** The port its /healthz, /readyz and /metrics answer on (the api's port, or the probe listener's). */
  port: number;
  stop(): Promise<void>;
}

/** Starts the stages for `roles` on an existing context (tests use this with their own prefix). */
export async function startDaemon(ctx: Context): Promise<Daemon> {
  const started: Array<{ role: Role; handle: StageHandle }> = [];
  let probes: ProbeServer | undefined;
  let clips: StageHandle | undefined;
  ctx.starting = true;
  // Roles and readiness of this process, for what only the sum of processes tells (a camera nobody can detect).
  const heartbeat = new InstanceHeartbeat(ctx.redis('instances', { maxRetriesPerRequest: 1 }), ctx.keys, () => ({
    id: ctx.instanceId,
    roles: [...ctx.roles],
    version: VERSION,
    readiness: Object.fromEntries([...ctx.roles].map((r) => [r, ctx.stages.get(r)?.readiness() ?? ['starting']])),
  }));
  try {
    // Data loss, persistence and eviction of the shared Redis are checked from the start (core/redis-health.ts).
    await ctx.redisHealth.start();
    // Every process answers probes and scrapes: without the api role, on a listener of its own (up while the
    // stages start, so /readyz says "starting" rather than nothing answering).
    if (!ctx.roles.has('api')) {
      probes = await startProbeServer(ctx);
    }
    heartbeat.start();
    for (const stage of STAGES) {
      if (!ctx.roles.has(stage.role)) {
        continue;
      }
      const start = await stage.load();
      const handle = await start(ctx);
      ctx.stages.set(stage.role, handle);
      started.push({ role: stage.role, handle });
      ctx.log.info({ role: stage.role }, 'stage started');
    }
    // Alert clips are cut where the cameras are recorded, by the processes that ingest (docs/api.md "Alert clips").
    if (ctx.roles.has('ingest')) {
      clips = await startClips(ctx);
    }
  } catch (err) {
    await clips?.close().catch(() => undefined);
    ctx.starting = false;
    await heartbeat.stop();
    await Promise.allSettled(started.reverse().map((s) => s.handle.close()));
    await probes?.close().catch(() => undefined);
    await ctx.closeConnections();
    throw err;
  }
  ctx.starting = false;
  await heartbeat.write();
  const api = ctx.stages.get('api') as (StageHandle & { port?: number }) | undefined;
  const port = probes?.port ?? api?.port ?? ctx.config.server.port;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    // Close order: ingest stops taking frames, detect drains, track flushes alerts, api last; Redis after all.
    stopping ??= (async () => {
      await clips?.close().catch((err) => ctx.log.error({ err }, 'clip maker failed to stop cleanly'));
      for (const s of [...started].reverse()) {
        try {
          await s.handle.close();
          ctx.log.info({ role: s.role }, 'stage stopped');
        } catch (err) {
          ctx.log.error({ err, role: s.role }, 'stage failed to stop cleanly');
        }
      }
      await heartbeat.stop();
      await probes?.close().catch((err) => ctx.log.error({ err }, 'probe listener failed to stop cleanly'));
      await ctx.closeConnections();
    })();
    return stopping;
  };
  return { ctx, port, stop };
}
