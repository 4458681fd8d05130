import type { FastifyInstance } from 'fastify';
import { webhookName } from '../../sinks/webhook-format';
import type { Context } from '../../config/context';
import { VigilError } from '../../core/errors';

const NAME = /^[a-z0-9_-]{1,64}$/;

/**
 * GET /api/webhooks (endpoints and their state), POST /api/webhooks/:name/enable|disable (admin),
 * GET /api/webhooks/dead-letters, POST /api/webhooks/dead-letters/:id/replay (admin).
 */
export async function webhooksRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  /** A configured webhook's name, checked before anything else (the current config: reloads count). */
  const configured = (name: string) => NAME.test(name) && ctx.config.webhooks.some((h, i) => webhookName(h, i) === name);
  const service = () => {
    const d = app.vigil.deadLetters;
    if (!d) {
      throw new VigilError('not_ready', 'webhook delivery does not run in this process');
    }
    return d;
  };
  const admin = () => {
    const d = service();
    if (!d.endpoints || !d.enable || !d.disable) {
      throw new VigilError('not_ready', 'webhook endpoint management does not run in this process');
    }
    return { endpoints: d.endpoints.bind(d), enable: d.enable.bind(d), disable: d.disable.bind(d) };
  };

  app.get('/api/webhooks', async () => ({ webhooks: ctx.config.webhooks.length === 0 ? [] : await admin().endpoints() }));

  app.post<{ Params: { name: string } }>(
    '/api/webhooks/:name/enable',
    { config: { role: 'admin' }, bodyLimit: 1024 },
    async (req) => {
      req.auditDetails = { target: req.params.name };
      const r = configured(req.params.name) ? await admin().enable(req.params.name) : undefined;
      if (!r) {
        throw new VigilError('not_found', 'no such webhook');
      }
      return { name: r.name, status: 'enabled', wasDisabled: r.wasDisabled, requeued: r.requeued };
    },
  );

  app.post<{ Params: { name: string } }>(
    '/api/webhooks/:name/disable',
    { config: { role: 'admin' }, bodyLimit: 1024 },
    async (req) => {
      req.auditDetails = { target: req.params.name };
      const r = configured(req.params.name) ? await admin().disable(req.params.name, req.principal?.name ?? 'admin') : undefined;
      if (!r) {
        throw new VigilError('not_found', 'no such webhook');
      }
      return { name: r.name, status: 'disabled', wasEnabled: r.wasEnabled };
    },
  );

  app.get<{ Querystring: { limit?: string } }>('/api/webhooks/dead-letters', async (req) => {
    const limit = req.query?.limit === undefined ? 1000 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new VigilError('bad_request', 'limit: must be an integer between 1 and 10000');
    }
    return { deadLetters: await service().list(limit) };
  });

  app.post<{ Params: { id: string } }>(
    '/api/webhooks/dead-letters/:id/replay',
    { config: { role: 'admin' }, bodyLimit: 1024 },
    async (req, reply) => {
      if (!/^[A-Za-z0-9_.-]{1,200}$/.test(req.params.id)) {
        throw new VigilError('not_found', 'no such dead letter');
      }
      const dl = await service().replay(req.params.id);
      if (!dl) {
        throw new VigilError('not_found', 'no such dead letter (or its webhook is no longer configured, or it was lost without its alert)');
      }
      return reply.code(202).send({ id: dl.id, replayed: true });
    },
  );
}
