import type Redis from 'ioredis';
import type { Keys } from '../core/keys';
import type { Alert, AlertEventKind, AlertMessage } from '../core/types';

/** Retention of the alert store. */
export interface AlertStoreOptions {
  /** Keep about this many events in the stream and this many alerts in the index. @defaultValue 100000 */
  maxEvents?: number;
  /** Drop events and alerts older than this (seconds). @defaultValue 7 days */
  maxAgeSeconds?: number;
}

/** One entry of the alert event stream. `id` is the stream id of this event (usable as `since`). */
export interface AlertEventEntry {
  id: string;
  event: AlertEventKind;
  alert: Alert;
}

/** Filters of {@link AlertStore.listAlerts}. */
export interface AlertQuery {
  camera?: string;
  rule?: string;
  /** An alert id (only alerts started after it) or an ISO time / epoch ms (started at or after it). */
  since?: string;
  /** At most this many, newest first. @defaultValue 100 (capped at 1000) */
  limit?: number;
}

/**
 * What {@link AlertStore.write} returns: the stream id of the event and the alert as stored (with its id). With
 * `skipped` nothing was written: `fenced` (another process owns the camera now), `ended` (the alert had ended
 * already: an alert ends once, whatever restarts or takeovers happen).
 */
export interface WrittenEvent {
  eventId: string;
  alert: Alert;
  skipped?: 'fenced' | 'ended';
}

/** A lease the writer must still hold (or nobody) for the write to happen. */
export interface WriteFence {
  key: string;
  owner: string;
}

const STREAM_ID = /^\d+-\d+$/;
/** Stands for the alert id in a start event's JSON until the script knows it (the id and the snapshot path). */
const ID_TOKEN = '@@ALERT_ID@@';

/*
 * Atomically: XADD the event, store the latest Alert JSON and the snapshot, index the alert, then PUBLISH the
 * AlertMessage. Everything is stored before the publish, in one script, so a client that hears of an alert can
 * always fetch it and its snapshot. XADD cannot rewrite an entry, so the start event's id (= the alert id, which
 * its JSON must carry) is computed first from TIME and the stream's last generated id, exactly as XADD * would.
 * KEYS: stream, index, channel, fence lease key ('' = none). ARGV: event, alertJson, maxEvents,
 * ttlSeconds, snapshot ('' = none), alert key prefix, existing alert id, snapshot key prefix, fence owner. In a
 * start event's JSON the alert id is written as ID_TOKEN.
 * Nothing is written (returns {'', id, reason}) when the fence lease is held by another owner, or for an update or
 * end of an alert whose stored state is already ended.
 */
const WRITE = `
local event = ARGV[1]
local json = ARGV[2]
local id = ARGV[7]
if ARGV[9] ~= '' then
  local holder = redis.call('GET', KEYS[4])
  if holder and holder ~= ARGV[9] then return {'', id, 'fenced'} end
end
if event ~= 'start' then
  local prev = redis.call('GET', ARGV[6] .. id)
  if prev then
    local ok, doc = pcall(cjson.decode, prev)
    if ok and type(doc) == 'table' and doc.state == 'ended' then return {'', id, 'ended'} end
  end
end
local eid
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = '0-0'
local info = redis.pcall('XINFO', 'STREAM', KEYS[1])
if type(info) == 'table' and info.err == nil then
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = info[i + 1] end
  end
end
local dash = string.find(last, '-', 1, true)
local lms = tonumber(string.sub(last, 1, dash - 1))
local lseq = tonumber(string.sub(last, dash + 1))
if ms > lms then
  eid = ms .. '-0'
else
  eid = string.format('%.0f', lms) .. '-' .. string.format('%.0f', lseq + 1)
end
if event == 'start' then
  id = eid
  json = (string.gsub(json, '${ID_TOKEN}', id))
end
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[3], eid, 'event', event, 'alert', json)
local ttl = tonumber(ARGV[4])
redis.call('SET', ARGV[6] .. id, json, 'EX', ttl)
if ARGV[5] ~= '' then
  redis.call('SET', ARGV[8] .. id, ARGV[5], 'EX', ttl)
elseif event ~= 'start' then
  redis.call('EXPIRE', ARGV[8] .. id, ttl)
end
if event == 'start' then
  local dash2 = string.find(id, '-', 1, true)
  redis.call('ZADD', KEYS[2], tonumber(string.sub(id, 1, dash2 - 1)), id)
end
redis.call('PUBLISH', KEYS[3], '{"type":"alert","event":"' .. event .. '","id":"' .. eid .. '","alert":' .. json .. '}')
return {eid, id, ''}
`;

/**
 * The alert store: stream `keys.alertEvents` (every start/update/end), `keys.alert(id)` (latest Alert JSON),
 * `keys.snapshot(id)` (JPEG) and the index `keys.alertIndex` (id by start time). Retention by count (XADD MAXLEN ~,
 * index rank) and by age (XTRIM MINID, key TTLs, index score).
 */
export class AlertStore {
  private readonly maxEvents: number;
  private readonly maxAgeSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    options: AlertStoreOptions = {},
  ) {
    this.maxEvents = options.maxEvents ?? 100_000;
    this.maxAgeSeconds = options.maxAgeSeconds ?? 7 * 86_400;
    if (!(this.maxEvents >= 1) || !(this.maxAgeSeconds >= 1)) {
      throw new TypeError('AlertStore: maxEvents and maxAgeSeconds must be positive');
    }
  }

  /**
   * Stores one alert event and publishes it on `keys.channels.alerts`, atomically and in that order. For `start`
   * the alert id is assigned here (the event's stream id); for update/end `alert.id` must be set.
   * `latencyMs` is written as given: compute it just before the call. With a `fence`, the write happens only while
   * that lease is held by its owner or by nobody (see {@link WrittenEvent.skipped}).
   */
  async write(event: AlertEventKind, alert: Alert, snapshot?: Buffer, fence?: WriteFence): Promise<WrittenEvent> {
    if (event !== 'start' && !STREAM_ID.test(alert.id)) {
      throw new TypeError(`AlertStore.write: ${event} event needs the alert id`);
    }
    // A start event names its snapshot only when one is stored with it.
    const withSnapshot = snapshot !== undefined && snapshot.length > 0;
    const startOf = (id: string): Alert => {
      const { snapshot: _, ...rest } = alert;
      return withSnapshot ? { ...rest, id, snapshot: `/api/alerts/${id}/snapshot.jpg` } : { ...rest, id };
    };
    const json = event === 'start' ? JSON.stringify(startOf(ID_TOKEN)) : JSON.stringify(alert);
    const res = (await this.redis.eval(
      WRITE,
      4,
      this.keys.alertEvents,
      this.keys.alertIndex,
      this.keys.channels.alerts,
      fence?.key ?? this.keys.alertEvents,
      event,
      json,
      String(this.maxEvents),
      String(this.maxAgeSeconds),
      snapshot ?? '',
      this.keys.alert(''),
      event === 'start' ? '' : alert.id,
      this.keys.snapshot(''),
      fence?.owner ?? '',
    )) as [string, string, string];
    if (res[2] === 'fenced' || res[2] === 'ended') {
      return { eventId: '', alert, skipped: res[2] };
    }
    const stored = event === 'start' ? startOf(res[1]) : alert;
    return { eventId: res[0], alert: stored };
  }

  /** Removes events, index entries beyond the retention limits. Call every minute or so. */
  async trim(now = Date.now()): Promise<void> {
    const minMs = now - this.maxAgeSeconds * 1000;
    await this.redis
      .multi()
      .xtrim(this.keys.alertEvents, 'MINID', `${minMs}-0`)
      .zremrangebyscore(this.keys.alertIndex, '-inf', `(${minMs}`)
      .zremrangebyrank(this.keys.alertIndex, 0, -this.maxEvents - 1)
      .exec();
  }

  /** The latest state of one alert, or undefined. */
  async getAlert(id: string): Promise<Alert | undefined> {
    if (!STREAM_ID.test(id)) {
      return undefined;
    }
    const s = await this.redis.get(this.keys.alert(id));
    return s === null ? undefined : (JSON.parse(s) as Alert);
  }

  /** The JPEG snapshot of one alert, or undefined. */
  async getSnapshot(id: string): Promise<Buffer | undefined> {
    if (!STREAM_ID.test(id)) {
      return undefined;
    }
    const b = await this.redis.getBuffer(this.keys.snapshot(id));
    return b ?? undefined;
  }

  /** Alerts newest first, filtered by camera, rule and start (`since`). */
  async listAlerts(query: AlertQuery = {}): Promise<Alert[]> {
    const limit = Math.max(1, Math.min(1000, Math.floor(query.limit ?? 100)));
    let min = '-inf';
    let afterId: string | undefined;
    if (query.since !== undefined && query.since !== '') {
      if (STREAM_ID.test(query.since)) {
        afterId = query.since;
        min = query.since.split('-')[0];
      } else {
        const t = /^\d+$/.test(query.since) ? Number(query.since) : Date.parse(query.since);
        if (!Number.isFinite(t)) {
          throw new TypeError(`since: not an alert id or a time: ${query.since}`);
        }
        min = String(t);
      }
    }
    const out: Alert[] = [];
    const batch = 200;
    const max = '+inf';
    let offset = 0;
    for (;;) {
      const ids = await this.redis.zrevrangebyscore(this.keys.alertIndex, max, min, 'LIMIT', offset, batch);
      if (ids.length === 0) {
        break;
      }
      offset += ids.length;
      const vals = await this.redis.mget(ids.map((i) => this.keys.alert(i)));
      for (let i = 0; i < ids.length; i++) {
        const v = vals[i];
        if (afterId !== undefined && compareIds(ids[i], afterId) <= 0) {
          continue;
        }
        if (v === null) {
          continue;
        }
        const a = JSON.parse(v) as Alert;
        if ((query.camera && a.camera !== query.camera) || (query.rule && a.rule !== query.rule)) {
          continue;
        }
        out.push(a);
        if (out.length >= limit) {
          return out;
        }
      }
      if (ids.length < batch) {
        break;
      }
    }
    return out;
  }

  /** Events after `afterId` (exclusive; '0' or '' = from the start), oldest first, at most `count`. */
  async readEvents(afterId: string, count = 100): Promise<AlertEventEntry[]> {
    const start = afterId === '' || afterId === '0' || afterId === '0-0' ? '-' : `(${afterId}`;
    const rows = await this.redis.xrange(this.keys.alertEvents, start, '+', 'COUNT', Math.max(1, count));
    return rows.map(([id, fields]) => parseEntry(id, fields)).filter((e): e is AlertEventEntry => e !== undefined);
  }

  /** The id of the newest event, or '0-0' when the stream is empty (a client's starting point). */
  async lastEventId(): Promise<string> {
    const rows = await this.redis.xrevrange(this.keys.alertEvents, '+', '-', 'COUNT', 1);
    return rows[0]?.[0] ?? '0-0';
  }
}

/** Parses one stream entry (fields `event`, `alert`). */
export function parseEntry(id: string, fields: string[]): AlertEventEntry | undefined {
  let event: string | undefined;
  let alert: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'event') {
      event = fields[i + 1];
    } else if (fields[i] === 'alert') {
      alert = fields[i + 1];
    }
  }
  if ((event !== 'start' && event !== 'update' && event !== 'end') || !alert) {
    return undefined;
  }
  return { id, event, alert: JSON.parse(alert) as Alert };
}

/** Builds the AlertMessage of a stream entry (what the WS hub and sinks send). */
export function toAlertMessage(e: AlertEventEntry): AlertMessage {
  return { type: 'alert', event: e.event, id: e.id, alert: e.alert };
}

/** Orders two stream ids (`ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}
