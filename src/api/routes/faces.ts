import type { FastifyInstance } from 'fastify';
import type { Context } from '../../core/context';

/**
 * Watchlist routes: POST /api/faces (admin), GET /api/faces, DELETE /api/faces/:id (admin).
 * Registered by the API server; authentication is done by the server's global hook, and admin routes declare
 * `config: { role: 'admin' }`. (Owned by the faces work; see issue 4.)
 */
export async function facesRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  void app;
  void ctx;
}
