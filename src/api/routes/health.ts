import type { FastifyInstance } from 'fastify';
import type { Context } from '../../core/context';
import { VERSION } from '../../core/version';
import { openApiDocument } from '../openapi';

/** Redis must answer a PING within this long for /readyz. */
const PING_TIMEOUT_MS = 1000;

async function pingRedis(app: FastifyInstance): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS);
    });
    await Promise.race([app.vigil.redis.ping(), timeout]);
    return undefined;
  } catch (err) {
    return `redis: ${(err as Error).message === 'timeout' ? 'no answer to PING' : 'unreachable'}`;
  } finally {
    clearTimeout(timer);
  }
}

/** GET /healthz (open), /readyz, /metrics and /openapi.json. */
export async function healthRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok', version: VERSION }));

  // Not ready: Redis does not answer, or a stage of this process is not (its reasons, each named once by its role).
  // Warnings (Redis lost its data, has no persistence, may evict keys) do not make the process unready.
  app.get('/readyz', async (_req, reply) => {
    const reasons: string[] = [];
    const redis = await pingRedis(app);
    if (redis) {
      reasons.push(redis);
    }
    for (const [role, stage] of ctx.stages) {
      for (const r of stage.readiness()) {
        reasons.push(`${role}: ${r}`);
      }
    }
    const warnings = ctx.redisHealth.warnings();
    if (reasons.length > 0) {
      return reply.code(503).send({ status: 'not_ready', reasons, warnings });
    }
    return { status: 'ready', warnings };
  });

  app.get('/metrics', async (_req, reply) => {
    const text = await ctx.metrics.metrics();
    return reply.type(ctx.metrics.contentType).send(text);
  });

  app.get('/openapi.json', async () => openApiDocument());
}

/** GET /ws without an upgrade: the WebSocket lives there (the hub answers upgrades before fastify sees them). */
export async function wsInfoRoute(app: FastifyInstance): Promise<void> {
  app.get('/ws', async (_req, reply) =>
    reply.code(400).send({ error: { code: 'bad_request', message: 'this endpoint needs a WebSocket upgrade' } }),
  );
}
