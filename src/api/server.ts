import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import type { AlertStore } from '../alerts';
import type { DeadLetters } from '../sinks/webhook-admin';
import type { Context } from '../config/context';
import { authMetrics } from '../core/metrics';
import { actorOf, AuditLog } from './audit';
import { allowed, authenticate, bearerToken, type Principal } from '../core/auth';
import { AuthFailureLimiter } from '../core/auth-limiter';
import { clientErrorResponse, toHttpError } from './http-errors';
import { auditRoutes } from './routes/audit';
import { configRoutes } from './routes/config';
import { alertsRoutes } from './routes/alerts';
import { camerasRoutes } from './routes/cameras';
import { dashboardRoutes } from './routes/dashboard';
import { facesRoutes } from './routes/faces';
import { healthRoutes, probeRoutes, wsInfoRoute } from './routes/health';
import { liveRoutes } from './routes/live';
import { cameraConfigRoutes } from './routes/camera-config';
import { alertEventsRoutes } from './routes/alert-events';
import { clipsRoutes } from './routes/clips';
import type { LiveFeed } from '../ws/live-feed';
import { webhooksRoutes } from './routes/webhooks';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** `admin` for routes that write; default viewer. */
    role?: 'viewer' | 'admin';
    /** Open without a token (/healthz, the dashboard's static files). */
    public?: boolean;
  }
  interface FastifyRequest {
    /** Who made the request (set by the auth hook). */
    principal?: Principal;
    /** Safe details a route adds to the audit entry of its change (never a URL with credentials or a secret). */
    auditDetails?: Record<string, unknown>;
  }
  interface FastifyInstance {
    /** What the route modules share. */
    vigil: ApiServices;
  }
}

/** Services the routes use. */
export interface ApiServices {
  /** Connection for ordinary commands (never blocking ones). */
  redis: Redis;
  store: AlertStore;
  /** Webhook dead letters; absent when this process runs no webhook sink. */
  deadLetters?: DeadLetters;
  /** The audit trail; buildServer makes one on `redis` when absent. */
  audit?: AuditLog;
  /** Failed-auth limiter shared with the WebSocket hub; buildServer makes one when absent. */
  limiter?: AuthFailureLimiter;
  /** Live-view frames (shared with the `/ws/live` socket); absent: live.mjpeg answers 404 not_found. */
  live?: LiveFeed;
}

/** Audit action names of the admin routes that change something. */
const AUDIT_ACTIONS: Record<string, string> = {
  'PUT /api/cameras/:id': 'camera.put',
  'DELETE /api/cameras/:id': 'camera.delete',
  'POST /api/faces': 'face.add',
  'DELETE /api/faces/:id': 'face.delete',
  'POST /api/alerts/:id/ack': 'alert.ack',
  'POST /api/webhooks/dead-letters/:id/replay': 'deadletter.replay',
};

/** Routes that record their own audit entries (a refused reload is recorded too). */
const SELF_AUDITED = new Set(['POST /api/config/reload']);

/** One registered route (method, URL pattern, who may use it). */
export interface RouteSummary {
  method: string;
  url: string;
  public: boolean;
  role: 'viewer' | 'admin';
}

const ROUTES = new WeakMap<FastifyInstance, RouteSummary[]>();

/** Every route the app registered (the OpenAPI test compares them with the document). */
export function routeList(app: FastifyInstance): readonly RouteSummary[] {
  return ROUTES.get(app) ?? [];
}

/** Options of {@link buildServer}. */
export interface BuildServerOptions {
  /** Log requests through ctx.log. @defaultValue false (access logs are noisy on a busy dashboard) */
  logRequests?: boolean;
  /** Only /healthz, /readyz and /metrics (a process without the api role). @defaultValue false */
  probesOnly?: boolean;
}

/**
 * Builds the HTTP app without listening (tests use `inject()` or listen on port 0): error handler, auth hook,
 * body limits and every route module. The WebSocket hub attaches to `app.server` separately.
 */
/** Connections seen ready at least once. */
const seenReady = new WeakSet<object>();

/**
 * Redis is away: the connection was ready before and is not now, or is waiting to reconnect. A connection still
 * making its first connection is not "away": requests wait for it, as at start-up.
 */
function redisAway(r: { status: string }): boolean {
  if (r.status === 'ready') {
    seenReady.add(r);
    return false;
  }
  return seenReady.has(r) || r.status === 'reconnecting' || r.status === 'close' || r.status === 'end';
}

export async function buildServer(
  ctx: Context,
  services: ApiServices,
  options: BuildServerOptions = {},
): Promise<FastifyInstance> {
  const server = ctx.config.server;
  const log = ctx.log.child({ stage: 'api' });
  const tls = server.tls ? { cert: readFileSync(server.tls.cert), key: readFileSync(server.tls.key) } : undefined;
  const app = Fastify({
    loggerInstance: (options.logRequests ? log : undefined) as FastifyBaseLogger | undefined,
    bodyLimit: server.bodyLimitBytes,
    // A request without Host is answered by the auth hook with the JSON error shape, not by Node with an empty 400.
    ...(tls ? { https: { ...tls, requireHostHeader: false } } : { http: { requireHostHeader: false } }),
    // URL parameters are bounded too; fuzzers send long ones.
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    // Errors fastify raises before routing (bad URL encoding, bad content-type header) get the same JSON shape.
    frameworkErrors: (err, _req, reply) => {
      const answer = toHttpError(err);
      void (reply as unknown as FastifyReply).code(answer.status).type('application/json').send(answer.body);
    },
    // Errors Node's HTTP parser raises (bad method, control bytes in the URL, bad Content-Length, headers too large,
    // timeouts) get the same shape too, then the connection is closed.
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) {
        return;
      }
      if (socket.writable) {
        socket.write(clientErrorResponse(err.code));
      }
      socket.destroy();
    },
  });
  // CONNECT (a proxy request): Node would close the connection without an answer.
  app.server.on('connect', (_req: IncomingMessage, socket: Socket) => {
    const body = JSON.stringify({ error: { code: 'bad_request', message: 'CONNECT is not supported' } });
    socket.on('error', () => socket.destroy());
    socket.end(`HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  });
  // `Expect` other than 100-continue: Node would answer an empty 417.
  app.server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const body = JSON.stringify({ error: { code: 'expectation_failed', message: 'only "Expect: 100-continue" is supported' } });
    res.writeHead(417, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
    res.end(body);
  });
  services.audit ??= new AuditLog(services.redis, ctx.keys, log, () => ctx.config.server.audit.maxEntries);
  services.limiter ??= new AuthFailureLimiter(() => ctx.config.server.authFailures);
  const limiter = services.limiter;
  const metrics = authMetrics(ctx.metrics);
  app.decorate('vigil', services);
  const routes: RouteSummary[] = [];
  ROUTES.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const method of Array.isArray(r.method) ? r.method : [r.method]) {
      routes.push({ method, url: r.url, public: r.config?.public === true, role: r.config?.role ?? 'viewer' });
    }
  });

  app.setErrorHandler((err, req, reply) => {
    const answer = toHttpError(err);
    if (answer.internal) {
      log.error({ err, method: req.method, url: req.routeOptions.url }, 'request failed');
    }
    void reply.code(answer.status).type('application/json').send(answer.body);
  });
  app.setNotFoundHandler((_req, reply) => {
    void reply.code(404).send({ error: { code: 'not_found', message: 'no such route' } });
  });

  app.addHook('onRequest', async (req, reply) => {
    if (req.headers.host === undefined || req.headers.host === '') {
      return reply.code(400).send({ error: { code: 'bad_request', message: 'the Host header is required' } });
    }
    const cfg = req.routeOptions.config;
    if (cfg?.public === true) {
      return;
    }
    const wait = limiter.retryAfter(req.ip);
    if (wait > 0) {
      metrics.refused.inc();
      return reply
        .code(429)
        .header('retry-after', String(wait))
        .send({ error: { code: 'too_many_requests', message: 'too many failed authentications from this address; retry later' } });
    }
    // Only the current tokens count: a SIGHUP reload that removes a token locks it out at once.
    const principal = authenticate(ctx.config.server.tokens, bearerToken(req.headers.authorization));
    if (!principal) {
      metrics.failures.inc();
      if (limiter.fail(req.ip)) {
        log.warn({ from: req.ip, method: req.method, url: req.url.slice(0, 200) }, 'too many failed authentications: address blocked');
      }
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: { code: 'unauthorized', message: 'unauthorized' } });
    }
    if (!allowed(principal, cfg?.role ?? 'viewer')) {
      return reply.code(403).send({ error: { code: 'forbidden', message: 'this route needs the admin role' } });
    }
    req.principal = principal;
    // Every /api route reads or writes Redis: while it is away, answer at once instead of queueing the request.
    if (req.url.startsWith('/api/') && redisAway(services.redis)) {
      return reply
        .code(503)
        .header('retry-after', '2')
        .send({ error: { code: 'not_ready', message: `Redis is unreachable (${services.redis.status}): try again shortly` } });
    }
  });

  // Every successful change through the API is audited here, whatever route made it (new admin routes too).
  const audit = services.audit;
  app.addHook('onResponse', async (req, reply) => {
    const method = req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || reply.statusCode >= 400 || req.routeOptions.config?.role !== 'admin') {
      return;
    }
    const route = `${method} ${req.routeOptions.url ?? ''}`;
    if (SELF_AUDITED.has(route)) {
      return;
    }
    const params = req.params as Record<string, unknown> | undefined;
    const target = typeof params?.id === 'string' ? params.id : (req.auditDetails?.target as string | undefined);
    await audit.record({
      ...actorOf(req),
      action: AUDIT_ACTIONS[route] ?? route,
      ...(target !== undefined ? { target } : {}),
      ...(req.auditDetails ? { details: req.auditDetails } : {}),
    });
  });

  await app.register(async (scope) => {
    if (options.probesOnly) {
      await probeRoutes(scope, ctx, limiter);
      return;
    }
    await healthRoutes(scope, ctx, limiter);
    await wsInfoRoute(scope);
    await camerasRoutes(scope, ctx);
    await liveRoutes(scope, ctx, services.live);
    await cameraConfigRoutes(scope, ctx);
    await alertsRoutes(scope, ctx);
    await alertEventsRoutes(scope, ctx);
    await clipsRoutes(scope, ctx);
    await webhooksRoutes(scope, ctx);
    await facesRoutes(scope, ctx);
    await dashboardRoutes(scope, ctx);
    await auditRoutes(scope, ctx);
    await configRoutes(scope, ctx);
  });
  return app;
}
