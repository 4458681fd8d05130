/**
 * The alert store: the one Redis adapter of the alert event stream. The track stage writes events (with snapshot and
 * track state, in one script fenced by the camera's lease); the api, the WebSocket hub and the sinks read and query
 * them.
 *
 * Over 350 lines on purpose: the write script, the stream entry codec and the queries share the key layout and the
 * entry format.
 */
import type Redis from 'ioredis';
import type { Keys } from '../core/keys';
import { compareStreamIds } from '../core/stream-id';
import { alertSchema, decodeMessage } from '../core/message-schemas';
import type { Alert, AlertEventEntry, AlertEventKind } from '../core/types';

/** Retention of the alert store. */
export interface AlertStoreOptions {
  /** Keep about this many events in the stream and this many alerts in the index. @defaultValue 100000 */
  maxEvents?: number;
  /** Drop events and alerts older than this (seconds). @defaultValue 7 days */
  maxAgeSeconds?: number;
}

export type { AlertEventEntry };

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

/**
 * In the `state` of {@link AlertStore.writeBatch}, stands for the id the store gives the start event at `index` of
 * the batch (the state saved with an alert's start names the alert by the id it is being given).
 */
export function alertIdToken(index: number): string {
  return `@@ALERT_ID#${index}@@`;
}

/*
 * Atomically, for each event of a batch in order: XADD the event, store the latest Alert JSON and the snapshot,
 * index the alert; then SET the writer's state (with the start events' ids written in). All in one script, so a
 * reader of the stream (the WebSocket hub, the sinks) can always fetch an event's alert and snapshot, and a state
 * saved with alert events is never without them nor they without it. XADD cannot
 * rewrite an entry, so a start event's id (= the alert id, which its JSON must carry) is computed first from TIME
 * and the stream's last generated id, exactly as XADD * would.
 * KEYS: stream, index, fence lease key, state key. ARGV: n events, maxEvents, ttlSeconds, alert key
 * prefix, snapshot key prefix, fence owner ('' = no fence), state ('' = none), state ttl seconds, then per event:
 * event, alertJson, existing alert id, snapshot ('' = none). In a start event's JSON the alert id is written as
 * ID_TOKEN; in the state, the id of the start event at batch index i (0-based) as alertIdToken(i).
 * Returns {'fenced'} and writes nothing when the fence lease is held by another owner; else per event
 * {eventId, alertId, skipped}: skipped 'ended' (nothing written for it) for an update or end of an alert whose
 * stored state is ended already.
 */
const WRITE = `
if ARGV[6] ~= '' then
  local holder = redis.call('GET', KEYS[3])
  if holder and holder ~= ARGV[6] then return {'fenced'} end
end
local n = tonumber(ARGV[1])
local ttl = tonumber(ARGV[3])
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
local out = {}
local started = {}
for i = 1, n do
  local b = 8 + (i - 1) * 4
  local event = ARGV[b + 1]
  local json = ARGV[b + 2]
  local id = ARGV[b + 3]
  local skip = false
  if event ~= 'start' then
    local prev = redis.call('GET', ARGV[4] .. id)
    if prev then
      local ok, doc = pcall(cjson.decode, prev)
      if ok and type(doc) == 'table' and doc.state == 'ended' then skip = true end
    end
  end
  if skip then
    out[#out + 1] = ''
    out[#out + 1] = id
    out[#out + 1] = 'ended'
  else
    local t = redis.call('TIME')
    local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    local eid
    if ms > lms then
      lms = ms
      lseq = 0
    else
      lseq = lseq + 1
    end
    eid = string.format('%.0f', lms) .. '-' .. string.format('%.0f', lseq)
    if event == 'start' then
      id = eid
      json = (string.gsub(json, '${ID_TOKEN}', id))
      started[#started + 1] = {i - 1, id}
    end
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], eid, 'event', event, 'alert', json)
    redis.call('SET', ARGV[4] .. id, json, 'EX', ttl)
    local snap = ARGV[b + 4]
    if snap ~= '' then
      redis.call('SET', ARGV[5] .. id, snap, 'EX', ttl)
    elseif event ~= 'start' then
      redis.call('EXPIRE', ARGV[5] .. id, ttl)
    end
    if event == 'start' then
      local dash2 = string.find(id, '-', 1, true)
      redis.call('ZADD', KEYS[2], tonumber(string.sub(id, 1, dash2 - 1)), id)
    end
    out[#out + 1] = eid
    out[#out + 1] = id
    out[#out + 1] = ''
  end
end
if ARGV[7] ~= '' then
  local state = ARGV[7]
  for _, s in ipairs(started) do
    state = (string.gsub(state, '@@ALERT_ID#' .. s[1] .. '@@', s[2]))
  end
  redis.call('SET', KEYS[4], state, 'EX', ARGV[8])
end
return out
`;

/** One event of {@link AlertStore.writeBatch}. */
export interface AlertWrite {
  event: AlertEventKind;
  alert: Alert;
  /** JPEG snapshot (start events). */
  snapshot?: Buffer;
}

/** Options of {@link AlertStore.writeBatch}. */
export interface BatchOptions {
  /** Write only while this lease is held by its owner or by nobody. */
  fence?: WriteFence;
  /**
   * A value SET at `key` (TTL `ttlSeconds`) in the same script as the events, after them: written exactly when they
   * are. In `json`, {@link alertIdToken}(i) is replaced by the id given to the start event at index i.
   */
  state?: { key: string; json: string; ttlSeconds: number };
}

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
   * Stores one alert event (stream entry, alert, snapshot, index) atomically. For `start`
   * the alert id is assigned here (the event's stream id); for update/end `alert.id` must be set.
   * `latencyMs` is written as given: compute it just before the call. With a `fence`, the write happens only while
   * that lease is held by its owner or by nobody (see {@link WrittenEvent.skipped}).
   */
  async write(event: AlertEventKind, alert: Alert, snapshot?: Buffer, fence?: WriteFence): Promise<WrittenEvent> {
    return (await this.writeBatch([{ event, alert, snapshot }], { fence }))[0];
  }

  /**
   * Stores several alert events in order, and optionally SETs a state with them, all in one script
   * (as {@link write} for each; nothing of it when fenced). The results are in the order of `events`.
   */
  async writeBatch(events: readonly AlertWrite[], options: BatchOptions = {}): Promise<WrittenEvent[]> {
    const { fence, state } = options;
    const args: Array<string | Buffer> = [];
    for (const { event, alert, snapshot } of events) {
      if (event !== 'start' && !STREAM_ID.test(alert.id)) {
        throw new TypeError(`AlertStore.write: ${event} event needs the alert id`);
      }
      const json = event === 'start' ? JSON.stringify(startOf(alert, ID_TOKEN, snapshot)) : JSON.stringify(alert);
      args.push(event, json, event === 'start' ? '' : alert.id, snapshot ?? '');
    }
    if (events.length === 0 && !state) {
      return [];
    }
    const res = (await this.redis.eval(
      WRITE,
      4,
      this.keys.alertEvents,
      this.keys.alertIndex,
      fence?.key ?? this.keys.alertEvents,
      state?.key ?? this.keys.alertEvents,
      String(events.length),
      String(this.maxEvents),
      String(this.maxAgeSeconds),
      this.keys.alert(''),
      this.keys.snapshot(''),
      fence?.owner ?? '',
      state?.json ?? '',
      String(Math.max(1, Math.round(state?.ttlSeconds ?? 1))),
      ...args,
    )) as string[];
    if (res[0] === 'fenced') {
      return events.map((e) => ({ eventId: '', alert: e.alert, skipped: 'fenced' }));
    }
    return events.map((e, i) => {
      const [eventId, id, skipped] = res.slice(i * 3, i * 3 + 3);
      if (skipped === 'ended') {
        return { eventId: '', alert: e.alert, skipped };
      }
      const alert = e.event === 'start' ? startOf(e.alert, id, e.snapshot) : e.alert;
      return { eventId, alert };
    });
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
        if (afterId !== undefined && compareStreamIds(ids[i], afterId) <= 0) {
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

/** A start event's alert with its id; it names its snapshot only when one is stored with it. */
function startOf(alert: Alert, id: string, snapshot: Buffer | undefined): Alert {
  const { snapshot: _, ...rest } = alert;
  return snapshot !== undefined && snapshot.length > 0 ? { ...rest, id, snapshot: `/api/alerts/${id}/snapshot.jpg` } : { ...rest, id };
}

/**
 * Parses one stream entry (fields `event`, `alert`); undefined when it is not an alert event, after telling `onBad`
 * what is wrong with it (the alert is checked against its schema: it crossed Redis).
 */
export function parseEntry(id: string, fields: string[], onBad?: (error: string) => void): AlertEventEntry | undefined {
  let event: string | undefined;
  let alert: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] === 'event') {
      event = fields[i + 1];
    } else if (fields[i] === 'alert') {
      alert = fields[i + 1];
    }
  }
  if (event !== 'start' && event !== 'update' && event !== 'end' && event !== 'clip') {
    onBad?.(`alert event ${id}: unknown event ${JSON.stringify(event)}`);
    return undefined;
  }
  const a = decodeMessage(alertSchema, alert, `alert event ${id}`);
  if (!a.ok) {
    onBad?.(a.error);
    return undefined;
  }
  return { id, event, alert: a.value };
}
