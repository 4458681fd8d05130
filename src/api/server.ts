import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type Redis from 'ioredis';
import type { AlertStore } from '../alerts';
import type { DeadLetters } from '../alerts/delivery';
import type { Context } from '../core/context';
import { allowed, authenticate, bearerToken, type Principal } from './auth';
import { toHttpError } from './http-errors';
import { alertsRoutes } from './routes/alerts';
import { camerasRoutes } from './routes/cameras';
import { dashboardRoutes } from './routes/dashboard';
import { facesRoutes } from './routes/faces';
import { healthRoutes, wsInfoRoute } from './routes/health';
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
}

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
}

/**
 * Builds the HTTP app without listening (tests use `inject()` or listen on port 0): error handler, auth hook,
 * body limits and every route module. The WebSocket hub attaches to `app.server` separately.
 */
export async function buildServer(
  ctx: Context,
  services: ApiServices,
  options: BuildServerOptions = {},
): Promise<FastifyInstance> {
  const server = ctx.config.server;
  const log = ctx.log.child({ stage: 'api' });
  const app = Fastify({
    loggerInstance: (options.logRequests ? log : undefined) as FastifyBaseLogger | undefined,
    bodyLimit: server.bodyLimitBytes,
    // URL parameters are bounded too; fuzzers send long ones.
    routerOptions: { maxParamLength: 200 },
    return503OnClosing: true,
    // Errors fastify raises before routing (bad URL encoding, bad content-type header) get the same JSON shape.
    frameworkErrors: (err, _req, reply) => {
      const answer = toHttpError(err);
      void (reply as unknown as FastifyReply).code(answer.status).type('application/json').send(answer.body);
    },
  });
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
    const cfg = req.routeOptions.config;
    if (cfg?.public === true) {
      return;
    }
    // Only the current tokens count: a SIGHUP reload that removes a token locks it out at once.
    const principal = authenticate(ctx.config.server.tokens, bearerToken(req.headers.authorization));
    if (!principal) {
      return reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: { code: 'unauthorized', message: 'unauthorized' } });
    }
    if (!allowed(principal, cfg?.role ?? 'viewer')) {
      return reply.code(403).send({ error: { code: 'forbidden', message: 'this route needs the admin role' } });
    }
    req.principal = principal;
  });

  await app.register(async (scope) => {
    await healthRoutes(scope, ctx);
    await wsInfoRoute(scope);
    await camerasRoutes(scope, ctx);
    await alertsRoutes(scope, ctx);
    await webhooksRoutes(scope, ctx);
    await facesRoutes(scope, ctx);
    await dashboardRoutes(scope, ctx);
  });
  return app;
}
