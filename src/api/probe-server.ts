import { AlertStore } from '../alerts';
import { onceClose, type Context } from '../config/context';
import { buildServer } from './server';

/** The probe listener of a process without the api role. */
export interface ProbeServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves /healthz, /readyz and /metrics on `server.host:server.port` (TLS and tokens as configured) for a process
 * that runs no api stage, so that every process can be probed and scraped (`VIGIL_PORT` gives each its port).
 * Nothing else is served there.
 */
export async function startProbeServer(ctx: Context): Promise<ProbeServer> {
  const redis = ctx.redis('probes');
  const store = new AlertStore(redis, ctx.keys);
  const app = await buildServer(ctx, { redis, store }, { probesOnly: true });
  const s = ctx.config.server;
  const close = onceClose([() => app.close()]);
  try {
    await app.listen({ host: s.host, port: s.port });
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : s.port;
  ctx.log.info({ host: s.host, port, roles: [...ctx.roles] }, 'probes listening (/healthz, /readyz, /metrics)');
  return { port, close };
}
