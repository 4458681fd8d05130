/**
 * Pure: the WebSocket client protocol. Client messages become typed values or a `bad_request` with a reason;
 * nothing here does I/O.
 */
import { isStreamId } from '../core/stream-id';

export const TOPICS = ['alerts', 'cameras', 'detections'] as const;
export type Topic = (typeof TOPICS)[number];

/** What a client wants to receive. `cameras: null` = every camera. */
export interface Subscription {
  cameras: ReadonlySet<string> | null;
  topics: ReadonlySet<Topic>;
}

/** The subscription of a client that has not sent `subscribe` (docs/api.md: all cameras, topics alerts and cameras). */
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
/** A subscription names at most this many cameras. */
export const MAX_CAMERAS_PER_SUBSCRIPTION = 1024;

function bad(message: string): ProtocolError {
  return { type: 'error', code: 'bad_request', message };
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
