import Redis from 'ioredis';
import { parseEntry, type AlertEventEntry } from '../../src/alerts/alert-store';
import type { Keys } from '../../src/core/keys';

/** A running {@link tailAlertEvents}. */
export interface AlertTail {
  /** Stops reading and closes the tail's connection. */
  stop(): Promise<void>;
}

/**
 * Follows the alert event stream as the WebSocket hub does (XREAD BLOCK on a connection of its own), from the last
 * event stored when it is called: `on` gets every later event, in order, right after the script that stored it.
 */
export async function tailAlertEvents(url: string, keys: Keys, on: (e: AlertEventEntry) => void): Promise<AlertTail> {
  const r = new Redis(url);
  const newest = await r.xrevrange(keys.alertEvents, '+', '-', 'COUNT', 1);
  let after = newest[0]?.[0] ?? '0-0';
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const res = await r.xread('COUNT', 1000, 'BLOCK', 200, 'STREAMS', keys.alertEvents, after).catch(() => null);
      for (const [, rows] of res ?? []) {
        for (const [id, fields] of rows) {
          after = id;
          const e = parseEntry(id, fields);
          if (e) {
            on(e);
          }
        }
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      r.disconnect();
    },
  };
}
