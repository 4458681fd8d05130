/**
 * Pure: the WebSocket client protocol. Client messages become typed values or a `bad_request` with a reason;
 * nothing here does I/O.
 */

export const TOPICS = ['alerts', 'cameras', 'detections'] as const;
export type Topic = (typeof TOPICS)[number];

/** What a client wants to receive. `cameras: null` = every camera. */
export interface Subscription {
  cameras: ReadonlySet<string> | null;
  topics: ReadonlySet<Topic>;
}

/** The subscription of a client that has not sent `subscribe` (CONTRACT: all cameras, alerts and cameras). */
export const DEFAULT_SUBSCRIPTION: Subscription = Object.freeze({
  cameras: null,
  topics: new Set<Topic>(['alerts', 'cameras']),
});

/** `{"type":"subscribe", cameras?, topics?, since?}` */
export interface SubscribeMessage {
  type: 'subscribe';
  subscription: Subscription;
  /** Alert event id: replay every event stored after it before the live ones. */
  since?: string;
}

export type ClientMessage = SubscribeMessage;

/** A client message that could not be used. The connection stays open. */
export interface ProtocolError {
  type: 'error';
  code: 'bad_request';
  message: string;
}

const CAMERA_ID = /^[a-z0-9_-]{1,64}$/;
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
/** A subscription names at most this many cameras. */
export const MAX_CAMERAS_PER_SUBSCRIPTION = 1024;

function bad(message: string): ProtocolError {
  return { type: 'error', code: 'bad_request', message };
}

/** Both parts of a Redis stream id are unsigned 64-bit numbers. */
const U64_MAX = '18446744073709551615';

/** Pure: is a string of 1..20 digits within 64 bits? */
function fitsU64(digits: string): boolean {
  const d = digits.replace(/^0+(?=\d)/, '');
  return d.length < 20 || (d.length === 20 && d <= U64_MAX);
}

/**
 * Is `x` a stream id (`ms-seq`, both parts within 64 bits, as Redis requires) or one of the "from the start" ids
 * `0` / `0-0`? The largest id is refused too: nothing can follow it.
 */
export function isStreamId(x: string): boolean {
  if (x === '0') {
    return true;
  }
  if (!STREAM_ID.test(x)) {
    return false;
  }
  const [ms, seq] = x.split('-');
  return fitsU64(ms) && fitsU64(seq) && compareStreamIds(x, `${U64_MAX}-${U64_MAX}`) < 0;
}

/** Orders two stream ids (`ms-seq`; `0` = `0-0`) exactly, also beyond 2^53. Hot path: no regex, no split. */
export function compareStreamIds(a: string, b: string): number {
  if (a === b) {
    return 0;
  }
  const ia = a.indexOf('-');
  const ib = b.indexOf('-');
  const am = ia < 0 ? a : a.slice(0, ia);
  const bm = ib < 0 ? b : b.slice(0, ib);
  const c = cmpDigits(am, bm);
  if (c !== 0) {
    return c;
  }
  return cmpDigits(ia < 0 ? '0' : a.slice(ia + 1), ib < 0 ? '0' : b.slice(ib + 1));
}

function cmpDigits(x: string, y: string): number {
  if (x.length <= 15 && y.length <= 15) {
    return Number(x) - Number(y);
  }
  const xs = x.replace(/^0+(?=\d)/, '');
  const ys = y.replace(/^0+(?=\d)/, '');
  if (xs.length !== ys.length) {
    return xs.length < ys.length ? -1 : 1;
  }
  return xs < ys ? -1 : xs > ys ? 1 : 0;
}

/** Parses one text message from a client. */
export function parseClientMessage(text: string): ClientMessage | ProtocolError {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return bad('message is not valid JSON');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return bad('message must be a JSON object');
  }
  const m = raw as Record<string, unknown>;
  if (m.type !== 'subscribe') {
    return bad(typeof m.type === 'string' ? `unknown message type "${m.type.slice(0, 40)}"` : 'message has no "type"');
  }
  for (const k of Object.keys(m)) {
    if (k !== 'type' && k !== 'cameras' && k !== 'topics' && k !== 'since') {
      return bad(`subscribe: unknown field "${k.slice(0, 40)}"`);
    }
  }
  let cameras: Set<string> | null = null;
  if (m.cameras !== undefined && m.cameras !== null) {
    if (!Array.isArray(m.cameras) || m.cameras.length > MAX_CAMERAS_PER_SUBSCRIPTION) {
      return bad(`cameras: must be an array of at most ${MAX_CAMERAS_PER_SUBSCRIPTION} camera ids`);
    }
    cameras = new Set();
    for (const c of m.cameras) {
      if (typeof c !== 'string' || !CAMERA_ID.test(c)) {
        return bad('cameras: each camera id must match [a-z0-9_-]{1,64}');
      }
      cameras.add(c);
    }
  }
  let topics: Set<Topic> = new Set(DEFAULT_SUBSCRIPTION.topics);
  if (m.topics !== undefined) {
    if (!Array.isArray(m.topics) || m.topics.length > TOPICS.length * 4) {
      return bad(`topics: must be an array of ${TOPICS.join(', ')}`);
    }
    topics = new Set();
    for (const t of m.topics) {
      if (typeof t !== 'string' || !(TOPICS as readonly string[]).includes(t)) {
        return bad(`topics: each topic must be one of ${TOPICS.join(', ')}`);
      }
      topics.add(t as Topic);
    }
  }
  let since: string | undefined;
  if (m.since !== undefined && m.since !== null) {
    if (typeof m.since !== 'string' || !isStreamId(m.since)) {
      return bad('since: must be an alert event id like "1700000000000-0" (two numbers below 2^64)');
    }
    since = m.since;
  }
  const out: SubscribeMessage = { type: 'subscribe', subscription: { cameras, topics } };
  if (since !== undefined) {
    out.since = since;
  }
  return out;
}

/** Does the subscription want a message of `topic` about `camera`? */
export function wants(sub: Subscription, topic: Topic, camera: string): boolean {
  return sub.topics.has(topic) && (sub.cameras === null || sub.cameras.has(camera));
}
