import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Context } from '../../config/context';
import { dashboardDir } from '../dashboard-dir';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/**
 * The operator dashboard: static files (no build step), open without a token because they hold no data; the page
 * asks for a token and sends it with every API call and the WebSocket. Files are read once at start.
 * `/dashboard/config.json` tells the page whether the server wants a token at all (`{"auth": false}` with no
 * server.tokens, which the config only allows on loopback): then the page opens without asking for one.
 */
export async function dashboardRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const dir = dashboardDir();
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[path.extname(name)];
    if (type) {
      files.set(name, { body: readFileSync(path.join(dir, name)), type });
    }
  }
  const headers = {
    'cache-control': 'no-cache',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self' ws: wss:; style-src 'self'; script-src 'self'",
  };
  const send = (name: string) => {
    const f = files.get(name);
    return f;
  };
  app.get('/', { config: { public: true } }, async (_req, reply) => {
    const f = send('index.html');
    return reply.headers(headers).type(f?.type ?? 'text/plain').send(f?.body ?? 'dashboard missing');
  });
  app.get<{ Params: { file: string } }>('/dashboard/:file', { config: { public: true } }, async (req, reply) => {
    if (req.params.file === 'config.json') {
      // Read per request: a reload may add or remove tokens.
      return reply.headers(headers).type('application/json').send({ auth: ctx.config.server.tokens.length > 0 });
    }
    const f = send(req.params.file);
    if (!f) {
      return reply.code(404).send({ error: { code: 'not_found', message: 'no such file' } });
    }
    return reply.headers(headers).type(f.type).send(f.body);
  });
}
