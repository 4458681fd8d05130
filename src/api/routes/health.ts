import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate, bearerToken } from '../../core/auth';
import type { AuthFailureLimiter } from '../../core/auth-limiter';
import type { Context } from '../../config/context';
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

/** What /readyz finds: not ready reasons (Redis, each stage of this process) and warnings. */
export async function readiness(app: FastifyInstance, ctx: Context): Promise<{ reasons: string[]; warnings: string[] }> {
  const reasons: string[] = [];
  const redis = await pingRedis(app);
  if (redis) {
    reasons.push(redis);
  }
  for (const role of ctx.roles) {
    const stage = ctx.stages.get(role);
    if (!stage) {
      if (ctx.starting) {
        reasons.push(`${role}: starting`);
      }
      continue;
    }
    for (const r of stage.readiness()) {
      // Stages that name themselves already ("detect: model loading") are not named twice.
      reasons.push(r.startsWith(`${role}: `) ? r : `${role}: ${r}`);
    }
  }
  // Stages registered under other names (tests) are read too.
  for (const [name, stage] of ctx.stages) {
    if (!(ctx.roles as ReadonlySet<string>).has(name)) {
      reasons.push(...stage.readiness().map((r) => `${name}: ${r}`));
    }
  }
  return { reasons, warnings: ctx.redisHealth.warnings() };
}

/**
 * Whether a probe may show its details: a valid token was sent (any role), or auth is off (no tokens: loopback
 * only). A token that is sent and wrong counts as a failed authentication (the limiter), but a probe is never
 * refused: it answers without details.
 */
function mayShowDetails(req: FastifyRequest, ctx: Context, limiter: AuthFailureLimiter | undefined): boolean {
  const tokens = ctx.config.server.tokens;
  if (tokens.length === 0) {
    return true;
  }
  const token = bearerToken(req.headers.authorization);
  if (token === undefined) {
    return false;
  }
  if (limiter && limiter.retryAfter(req.ip) > 0) {
    return false;
  }
  if (authenticate(tokens, token)) {
    return true;
  }
  limiter?.fail(req.ip);
  return false;
}

/**
 * GET /healthz and /readyz (both open: orchestrators probe without a token) and /metrics (a viewer token unless
 * auth is off). Every Vigil process serves them on `server.host:server.port`, whatever its roles.
 *
 * /readyz answers 200 `{status: "ready"}` or 503 `{status: "not_ready"}`; with a valid token (or auth off) it adds
 * the reasons (Redis does not answer, a stage of this process is not ready: a detector not loaded, a lease not
 * confirmed, …) and the warnings (Redis lost its data, has no persistence, a maxmemory-policy other than noeviction).
 */
export async function probeRoutes(app: FastifyInstance, ctx: Context, limiter?: AuthFailureLimiter): Promise<void> {
  app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok', version: VERSION }));

  app.get('/readyz', { config: { public: true } }, async (req, reply) => {
    const { reasons, warnings } = await readiness(app, ctx);
    const details = mayShowDetails(req, ctx, limiter);
    const status = reasons.length > 0 ? 'not_ready' : 'ready';
    return reply.code(reasons.length > 0 ? 503 : 200).send(details ? { status, ...(reasons.length > 0 ? { reasons } : {}), warnings } : { status });
  });

  app.get('/metrics', async (_req, reply) => {
    const text = await ctx.metrics.metrics();
    return reply.type(ctx.metrics.contentType).send(text);
  });
}

/** The probes and /openapi.json (the api role). */
export async function healthRoutes(app: FastifyInstance, ctx: Context, limiter?: AuthFailureLimiter): Promise<void> {
  await probeRoutes(app, ctx, limiter);
  app.get('/openapi.json', async () => openApiDocument());
}

/** GET /ws without an upgrade: the WebSocket lives there (the hub answers upgrades before fastify sees them). */
export async function wsInfoRoute(app: FastifyInstance): Promise<void> {
  app.get('/ws', async (_req, reply) =>
    reply.code(400).send({ error: { code: 'bad_request', message: 'this endpoint needs a WebSocket upgrade' } }),
  );
}
