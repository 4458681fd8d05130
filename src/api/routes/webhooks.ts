import type { FastifyInstance } from 'fastify';
import type { Context } from '../../core/context';
import { VigilError } from '../../core/errors';

/** GET /api/webhooks/dead-letters, POST /api/webhooks/dead-letters/:id/replay (admin). */
export async function webhooksRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  void ctx;
  const dlq = () => {
    const d = app.vigil.deadLetters;
    if (!d) {
      throw new VigilError('not_ready', 'webhook delivery does not run in this process');
    }
    return d;
  };

  app.get<{ Querystring: { limit?: string } }>('/api/webhooks/dead-letters', async (req) => {
    const limit = req.query?.limit === undefined ? 1000 : Number(req.query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new VigilError('bad_request', 'limit: must be an integer between 1 and 10000');
    }
    return { deadLetters: await dlq().list(limit) };
  });

  app.post<{ Params: { id: string } }>(
    '/api/webhooks/dead-letters/:id/replay',
    { config: { role: 'admin' }, bodyLimit: 1024 },
    async (req, reply) => {
      if (!/^[A-Za-z0-9_.-]{1,200}$/.test(req.params.id)) {
        throw new VigilError('not_found', 'no such dead letter');
      }
      const dl = await dlq().replay(req.params.id);
      if (!dl) {
        throw new VigilError('not_found', 'no such dead letter (or its webhook is no longer configured)');
      }
      return reply.code(202).send({ id: dl.id, replayed: true });
    },
  );
}
