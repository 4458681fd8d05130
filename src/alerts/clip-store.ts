import type Redis from 'ioredis';
import type { Keys } from '../core/keys';
import type { Alert, ClipRecord } from '../core/types';

/*
 * Atomically: the clip record (`keys.clip`, with the alert's remaining TTL, so it goes with the alert) and, for a
 * ready clip, the alert with its `clip` field (TTL kept) and one `clip` event on the alert stream. Nothing when the
 * alert is gone (expired), when a record exists already (one clip event per alert, whichever process or retry comes
 * second), or when the stored alert changed since it was read ('changed': read it again).
 * KEYS: alert key, clip key, stream. ARGV: alert JSON as read, alert JSON with clip ('' = no clip),
 * record JSON, stream MAXLEN.
 */
const WRITE_CLIP = `
local cur = redis.call('GET', KEYS[1])
if not cur then return {'gone', ''} end
if redis.call('EXISTS', KEYS[2]) == 1 then return {'done', ''} end
local ttl = redis.call('PTTL', KEYS[1])
local eid = ''
if ARGV[2] ~= '' then
  if cur ~= ARGV[1] then return {'changed', ''} end
  redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
  eid = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[4], '*', 'event', 'clip', 'alert', ARGV[2])
end
if ttl > 0 then
  redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
else
  redis.call('SET', KEYS[2], ARGV[3])
end
return {'ok', eid}
`;

/** What {@link writeClip} did. */
export type ClipWrite = { outcome: 'ok'; eventId: string } | { outcome: 'gone' | 'done' | 'changed' };

/** The alert's clip path on the API. */
export function clipUrl(id: string): string {
  return `/api/alerts/${id}/clip.mp4`;
}

/**
 * Stores what became of an alert's clip: `ready` adds `clip` to the alert and writes its `clip` event; `none` only
 * records why there is none. Reads the alert first; retries once when it changed in between.
 */
export async function writeClip(redis: Redis, keys: Keys, id: string, record: ClipRecord, maxEvents: number): Promise<ClipWrite> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const cur = await redis.get(keys.alert(id));
    if (cur === null) {
      return { outcome: 'gone' };
    }
    let next = '';
    if (record.state === 'ready') {
      const alert = JSON.parse(cur) as Alert;
      next = JSON.stringify({ ...alert, clip: clipUrl(id) });
    }
    const [outcome, eventId] = (await redis.eval(
      WRITE_CLIP,
      3,
      keys.alert(id),
      keys.clip(id),
      keys.alertEvents,
      cur,
      next,
      JSON.stringify(record),
      String(maxEvents),
    )) as [string, string];
    if (outcome === 'ok') {
      return { outcome, eventId };
    }
    if (outcome !== 'changed') {
      return { outcome: outcome as 'gone' | 'done' };
    }
  }
  return { outcome: 'changed' };
}

/** The clip record of an alert, or undefined. */
export async function readClipRecord(redis: Redis, keys: Keys, id: string): Promise<ClipRecord | undefined> {
  const raw = await redis.get(keys.clip(id));
  if (raw === null) {
    return undefined;
  }
  try {
    return JSON.parse(raw) as ClipRecord;
  } catch {
    return undefined;
  }
}
