import type { FastifyInstance } from 'fastify';
import type { Context } from '../../config/context';
import { VigilError } from '../../core/errors';
import { streamIdBefore } from '../../core/stream-id';
import { isStreamId } from '../params';

/** Stream entries read at most to find one alert's events (the stream is shared by every camera). */
const MAX_SCANNED = 5000;
const PAGE = 500;

/**
 * GET /api/alerts/:id/events: the alert's timeline, its start, updates and end events in order, read from the alert
 * event stream from the alert's start (its id) until its end event, scanning at most 5000 entries of the shared
 * stream (`complete: false` when the end was not reached within them, or the alert is still active).
 */
export async function alertEventsRoutes(app: FastifyInstance, _ctx: Context): Promise<void> {
  app.get<{ Params: { id: string } }>('/api/alerts/:id/events', async (req) => {
    const id = req.params.id;
    if (!/^\d{1,20}-\d{1,20}$/.test(id) || !isStreamId(id)) {
      throw new VigilError('not_found', 'no such alert');
    }
    const store = app.vigil.store;
    const events: Array<Record<string, unknown>> = [];
    // The start event is the entry with the alert's id: read from just before it.
    let after = streamIdBefore(id);
    let scanned = 0;
    let ended = false;
    while (!ended && scanned < MAX_SCANNED) {
      const rows = await store.readEvents(after, PAGE);
      for (const e of rows) {
        after = e.id;
        scanned++;
        if (e.alert.id !== id) {
          continue;
        }
        const a = e.alert;
        events.push({
          id: e.id,
          event: e.event,
          at: e.event === 'start' ? a.startedAt : e.event === 'end' ? (a.endedAt ?? a.updatedAt) : a.updatedAt,
          objects: a.objects,
          ...(a.count !== undefined ? { count: a.count } : {}),
          ...(a.counts !== undefined ? { counts: a.counts } : {}),
          ...(a.direction !== undefined ? { direction: a.direction } : {}),
        });
        if (e.event === 'end') {
          ended = true;
          break;
        }
      }
      if (rows.length < PAGE) {
        break;
      }
    }
    if (events.length === 0) {
      throw new VigilError('not_found', 'no events of this alert are stored (unknown or expired)');
    }
    return { events, complete: ended };
  });
}
