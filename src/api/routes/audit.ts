import type { FastifyInstance } from 'fastify';
import type { Context } from '../../config/context';
import { VigilError } from '../../core/errors';
import { parseIntParam, parseStreamIdParam, rejectUnknownParams } from '../params';

/** GET /api/audit (admin): the audit trail, newest first. */
export async function auditRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  void ctx;
  app.get<{ Querystring: Record<string, unknown> }>('/api/audit', { config: { role: 'admin' } }, async (req) => {
    const q = req.query ?? {};
    rejectUnknownParams(q, ['limit', 'before']);
    const limit = parseIntParam(q.limit, 'limit', 1, 1000) ?? 100;
    const before = parseStreamIdParam(q.before, 'before');
    const audit = app.vigil.audit;
    if (!audit) {
      throw new VigilError('not_ready', 'the audit trail is not available in this process');
    }
    return { entries: await audit.list(limit, before) };
  });
}
