import type { FastifyInstance } from 'fastify';
import type { Context } from '../../core/context';
import { VigilError } from '../../core/errors';
import type { Alert, AlertAck } from '../../core/types';

const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

interface AlertsQuery {
  camera?: string;
  rule?: string;
  since?: string;
  limit?: string;
}

/** Pure: validates the query of GET /api/alerts. */
export function parseAlertsQuery(q: AlertsQuery): { camera?: string; rule?: string; since?: string; limit: number } {
  const out: { camera?: string; rule?: string; since?: string; limit: number } = { limit: 100 };
  for (const k of ['camera', 'rule'] as const) {
    const v = q[k];
    if (v !== undefined && v !== '') {
      if (typeof v !== 'string' || !/^[a-z0-9_-]{1,64}$/.test(v)) {
        throw new VigilError('bad_request', `${k}: must match [a-z0-9_-]{1,64}`);
      }
      out[k] = v;
    }
  }
  if (q.since !== undefined && q.since !== '') {
    const s = String(q.since);
    if (!STREAM_ID.test(s) && !/^\d{1,15}$/.test(s) && !Number.isFinite(Date.parse(s))) {
      throw new VigilError('bad_request', 'since: must be an alert id, an ISO time or epoch milliseconds');
    }
    out.since = s;
  }
  if (q.limit !== undefined && q.limit !== '') {
    const n = Number(q.limit);
    if (!Number.isInteger(n) || n < 1 || n > 1000) {
      throw new VigilError('bad_request', 'limit: must be an integer between 1 and 1000');
    }
    out.limit = n;
  }
  return out;
}

function checkAlertId(id: string): string {
  if (!STREAM_ID.test(id)) {
    throw new VigilError('not_found', 'no such alert');
  }
  return id;
}

/** GET /api/alerts, /api/alerts/:id, /api/alerts/:id/snapshot.jpg, POST /api/alerts/:id/ack (admin). */
export async function alertsRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const { keys } = ctx;

  async function withAcks(alerts: Alert[]): Promise<Alert[]> {
    if (alerts.length === 0) {
      return alerts;
    }
    const acks = await app.vigil.redis.hmget(keys.alertAcks, ...alerts.map((a) => a.id));
    return alerts.map((a, i) => {
      const ack = acks[i];
      return ack ? { ...a, ack: JSON.parse(ack) as AlertAck } : a;
    });
  }

  app.get<{ Querystring: AlertsQuery }>('/api/alerts', async (req) => {
    const q = parseAlertsQuery(req.query ?? {});
    const alerts = await app.vigil.store.listAlerts(q);
    return { alerts: await withAcks(alerts) };
  });

  app.get<{ Params: { id: string } }>('/api/alerts/:id', async (req) => {
    const id = checkAlertId(req.params.id);
    const alert = await app.vigil.store.getAlert(id);
    if (!alert) {
      throw new VigilError('not_found', 'no such alert');
    }
    return (await withAcks([alert]))[0];
  });

  app.get<{ Params: { id: string } }>('/api/alerts/:id/snapshot.jpg', async (req, reply) => {
    const id = checkAlertId(req.params.id);
    const jpeg = await app.vigil.store.getSnapshot(id);
    if (!jpeg) {
      throw new VigilError('not_found', 'no snapshot for this alert');
    }
    return reply.type('image/jpeg').header('cache-control', 'private, max-age=3600').send(jpeg);
  });

  app.post<{ Params: { id: string }; Body: unknown }>(
    '/api/alerts/:id/ack',
    { config: { role: 'admin' }, bodyLimit: 4096 },
    async (req) => {
      const id = checkAlertId(req.params.id);
      const body = (req.body ?? {}) as { action?: unknown };
      if (typeof body !== 'object' || Array.isArray(body)) {
        throw new VigilError('bad_request', '(body): must be a JSON object');
      }
      const action = body.action ?? 'acknowledged';
      if (action !== 'acknowledged' && action !== 'dismissed') {
        throw new VigilError('bad_request', 'action: must be "acknowledged" or "dismissed"');
      }
      const alert = await app.vigil.store.getAlert(id);
      if (!alert) {
        throw new VigilError('not_found', 'no such alert');
      }
      const ack: AlertAck = { action, by: req.principal?.name ?? 'anonymous', at: new Date().toISOString() };
      await app.vigil.redis.hset(keys.alertAcks, id, JSON.stringify(ack));
      return { ...alert, ack };
    },
  );
}
