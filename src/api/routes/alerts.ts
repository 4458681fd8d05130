import type { FastifyInstance } from 'fastify';
import type { Context } from '../../config/context';
import { VigilError } from '../../core/errors';
import type { Alert, AlertAck } from '../../core/types';
import { AnswerCache } from '../answer-cache';
import { isIsoTime, isStreamId, parseIdParam, parseIntParam } from '../params';

interface AlertsQuery {
  camera?: unknown;
  rule?: unknown;
  since?: unknown;
  limit?: unknown;
}

/** Pure: validates the query of GET /api/alerts (strict: decimal digits, one value per parameter, ISO times). */
export function parseAlertsQuery(q: AlertsQuery): { camera?: string; rule?: string; since?: string; limit: number } {
  const out: { camera?: string; rule?: string; since?: string; limit: number } = { limit: parseIntParam(q.limit, 'limit', 1, 1000) ?? 100 };
  const camera = parseIdParam(q.camera, 'camera');
  const rule = parseIdParam(q.rule, 'rule');
  if (camera !== undefined) {
    out.camera = camera;
  }
  if (rule !== undefined) {
    out.rule = rule;
  }
  if (Array.isArray(q.since)) {
    throw new VigilError('bad_request', 'since: given more than once');
  }
  if (q.since !== undefined && q.since !== '') {
    const s = String(q.since);
    const id = /^\d{1,20}-\d{1,20}$/.test(s) && isStreamId(s);
    if (!id && !/^\d{1,15}$/.test(s) && !isIsoTime(s)) {
      throw new VigilError('bad_request', 'since: must be an alert id, an ISO 8601 time or epoch milliseconds');
    }
    out.since = s;
  }
  return out;
}

/** Longest operator note on an acknowledgement (characters). */
const MAX_NOTE = 1000;

function checkAlertId(id: string): string {
  if (!/^\d{1,20}-\d{1,20}$/.test(id) || !isStreamId(id)) {
    throw new VigilError('not_found', 'no such alert');
  }
  return id;
}

/** GET /api/alerts, /api/alerts/:id, /api/alerts/:id/snapshot.jpg, POST /api/alerts/:id/ack (admin). */
export async function alertsRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  const { keys } = ctx;
  // Identical queries within 250 ms share one answer without a Redis round trip; after that the answer is reused
  // only while no alert event or acknowledgement happened.
  const cache = new AnswerCache({ maxEntries: 32, maxBytes: 32 * 1024 * 1024, freshMs: 250 });

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

  app.get<{ Querystring: AlertsQuery }>('/api/alerts', async (req, reply) => {
    const q = parseAlertsQuery(req.query ?? {});
    // The answer depends on the alert events and the acknowledgements only: while neither changed, many clients
    // asking the same question share one computation and one serialized body.
    const stamp = async (): Promise<string> => {
      const rows = await app.vigil.redis.pipeline().xrevrange(keys.alertEvents, '+', '-', 'COUNT', 1).get(keys.alertAcksVersion).exec();
      const last = (rows?.[0]?.[1] as Array<[string, string[]]> | null)?.[0]?.[0] ?? '0-0';
      return `${last}/${(rows?.[1]?.[1] as string | null) ?? '0'}`;
    };
    const body = await cache.get(JSON.stringify(q), stamp, async () => {
      const alerts = await app.vigil.store.listAlerts(q);
      return Buffer.from(JSON.stringify({ alerts: await withAcks(alerts) }));
    });
    return reply.type('application/json; charset=utf-8').send(body);
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
      const body = (req.body ?? {}) as { action?: unknown; note?: unknown };
      if (typeof body !== 'object' || Array.isArray(body)) {
        throw new VigilError('bad_request', '(body): must be a JSON object');
      }
      for (const k of Object.keys(body)) {
        if (k !== 'action' && k !== 'note') {
          throw new VigilError('bad_request', `${k.slice(0, 40)}: unknown field (only "action" and "note")`);
        }
      }
      const action = body.action ?? 'acknowledged';
      if (action !== 'acknowledged' && action !== 'dismissed') {
        throw new VigilError('bad_request', 'action: must be "acknowledged" or "dismissed"');
      }
      if (body.note !== undefined && (typeof body.note !== 'string' || body.note.length > MAX_NOTE)) {
        throw new VigilError('bad_request', `note: must be a string of at most ${MAX_NOTE} characters`);
      }
      const note = typeof body.note === 'string' ? body.note.trim() : '';
      const alert = await app.vigil.store.getAlert(id);
      if (!alert) {
        throw new VigilError('not_found', 'no such alert');
      }
      const ack: AlertAck = { action, by: req.principal?.name ?? 'anonymous', at: new Date().toISOString(), ...(note ? { note } : {}) };
      await app.vigil.redis.multi().hset(keys.alertAcks, id, JSON.stringify(ack)).incr(keys.alertAcksVersion).exec();
      req.auditDetails = { action };
      return { ...alert, ack };
    },
  );
}
