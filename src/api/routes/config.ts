import type { FastifyInstance } from 'fastify';
import type { Context } from '../../config/context';
import { VigilError } from '../../core/errors';
import { actorOf } from '../audit';

/**
 * POST /api/config/reload (admin): the same as SIGHUP: re-reads the config file, applies it when it is valid and
 * safe (see src/config/reload.ts), and records the attempt in the audit trail either way.
 */
export async function configRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  app.post('/api/config/reload', { config: { role: 'admin' }, bodyLimit: 1024 }, async (req) => {
    if (!ctx.reloadFromSource) {
      throw new VigilError('not_ready', 'this process has no config file to reload');
    }
    const outcome = await ctx.reloadFromSource(actorOf(req));
    if (!outcome.applied) {
      throw new VigilError('conflict', `reload refused, the running configuration is kept: ${outcome.problems.join('; ')}`);
    }
    return { applied: true };
  });
}
