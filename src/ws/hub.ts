/**
 * The WebSocket hub (/ws): authenticates during the upgrade, fans alerts, camera states and detections out to
 * subscribed clients, resumes with `since`, pings, and drops detections (never alerts) for slow clients. Client
 * messages are parsed in protocol.ts.
 *
 * Over 350 lines on purpose: WsHub is one class that owns every connection's state (principal, subscriptions,
 * backpressure, resume position) and the stream readers that feed them.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type Redis from 'ioredis';
import type { Counter } from 'prom-client';
import { authMetrics, messageMetrics, wsMetrics, type WsMetrics } from '../core/metrics';
import { cameraMessageSchema, decodeMessage } from '../core/message-schemas';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { parseEntry, type AlertEventEntry, type AlertStore } from '../alerts';
import { authenticate, bearerToken, type Principal } from '../core/auth';
import type { AuthFailureLimiter } from '../core/auth-limiter';
import type { VigilConfig } from '../config/schema';
import type { Context } from '../config/context';
import type { Logger } from '../core/logger';
import { VERSION } from '../core/version';
import { compareStreamIds } from '../core/stream-id';
import { encodeAlertMessage } from '../core/messages';
import type { ErrorMessage, HelloMessage } from '../core/types';
import { LIVE_PATH, servesLive } from './live';
import {
  DEFAULT_SUBSCRIPTION,
  parseClientMessage,
  wants,
  type Subscription,
  type Topic,
} from './protocol';
import { withTimeout } from '../core/with-timeout';

/** Options of {@link WsHub}; defaults come from the `server` config section. */
export interface WsHubOptions {
  /** Largest client message, bytes; bigger closes with 1009. */
  maxPayload: number;
  /** Unsent bytes after which a client is cut off (it resumes with `since`). */
  maxBufferedBytes: number;
  /** Heartbeat period, ms; a client that has not answered the previous ping is terminated. */
  pingIntervalMs: number;
  /** Alert events read per XREAD. @defaultValue 500 */
  readCount?: number;
  /** Alert events kept for a client while its replay runs; more = cut off. @defaultValue 10000 */
  maxPendingEvents?: number;
  /**
   * After `hello`, live alerts are held this long for the client's first `subscribe`, so that a `since` replay
   * sent right after `hello` comes strictly in order (nothing is lost: held alerts are sent after). @defaultValue 500
   */
  subscribeWindowMs?: number;
  /** Failed-auth limiter shared with the HTTP routes: a blocked address gets 429 for the upgrade too. */
  limiter?: AuthFailureLimiter;
}

interface Client {
  ws: WebSocket;
  principal: Principal;
  /** Kept in memory only, to re-check the client when the tokens are reloaded. */
  token: string | undefined;
  sub: Subscription;
  /** Last alert event id this connection has processed (sent or filtered out). */
  cursor: string;
  /** Events after this and up to `cursor` have been processed; a replay skips them (no duplicates). */
  processedFrom: string;
  /** While true (hello or a replay under way), live events wait in `pending`. */
  holding: boolean;
  pending: AlertEventEntry[];
  /** Subscribe messages are handled one after another. */
  chain: Promise<void>;
  alive: boolean;
  closed: boolean;
  /** A subscribe is being handled. */
  subscribing: boolean;
  /** Ends the subscribe window after hello. */
  window?: NodeJS.Timeout;
}

type CutReason = 'slow' | 'dead' | 'pending';

/**
 * The WebSocket hub on the API's HTTP server (`ws` with `noServer`): token auth during the upgrade, `hello`,
 * `subscribe` with `since` replay, ping/pong heartbeats and a bounded send buffer per client.
 *
 * Alerts come from the alert event stream itself (XREAD BLOCK on `keys.alertEvents`), so the live feed has no gap
 * even when pub/sub messages are lost (Redis restart): the stream is the source of truth and one serialized JSON
 * string is sent to every client. Camera states and detections come from pub/sub; detections are dropped for
 * slow clients, alerts never are: a client too far behind is cut off and counted.
 */
export class WsHub {
  private readonly wss: WebSocketServer;
  private readonly clients = new Set<Client>();
  private readonly log: Logger;
  private lastId = '0-0';
  private tail?: Redis;
  private sub?: Redis;
  private heartbeat?: NodeJS.Timeout;
  private loop?: Promise<void>;
  private closing?: Promise<void>;
  private readonly readCount: number;
  private readonly maxPending: number;
  private readonly cutoffs: Counter<string>;
  private readonly droppedDetections: Counter<string>;
  private readonly rejected: Counter<string>;
  private readonly invalid: Counter<'stage' | 'message'>;
  private readonly clientsGauge: WsMetrics['clients'];
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head);

  constructor(
    private readonly ctx: Context,
    private readonly server: Server,
    private readonly store: AlertStore,
    /** Connection for ordinary commands. */
    private readonly redis: Redis,
    private readonly options: WsHubOptions,
  ) {
    if (!(options.maxPayload > 0) || !(options.maxBufferedBytes > 0) || !(options.pingIntervalMs > 0)) {
      throw new TypeError('WsHub: maxPayload, maxBufferedBytes and pingIntervalMs must be positive');
    }
    this.log = ctx.log.child({ stage: 'ws' });
    this.readCount = options.readCount ?? 500;
    this.maxPending = options.maxPendingEvents ?? 10_000;
    this.wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayload, perMessageDeflate: false });
    const m = wsMetrics(ctx.metrics);
    this.clientsGauge = m.clients;
    this.cutoffs = m.cutoffs;
    this.droppedDetections = m.droppedDetections;
    this.rejected = m.rejected;
    this.invalid = messageMetrics(ctx.metrics).invalid;
  }

  /** Number of connected clients. */
  get size(): number {
    return this.clients.size;
  }

  /** Attaches to the HTTP server, subscribes to the channels and starts following the alert stream. */
  async start(): Promise<void> {
    const { keys } = this.ctx;
    this.lastId = await this.store.lastEventId();
    this.tail = this.ctx.redis('ws-tail', { maxRetriesPerRequest: null });
    this.sub = this.ctx.redis('ws-sub');
    this.sub.on('message', (channel: string, message: string) => this.onChannel(channel, message));
    await this.sub.subscribe(keys.channels.camera, keys.channels.detections, keys.channels.system);
    this.server.on('upgrade', this.onUpgrade);
    this.heartbeat = setInterval(() => this.beat(), this.options.pingIntervalMs);
    this.heartbeat.unref();
    this.loop = this.follow();
    this.ctx.on('config', this.onConfig);
  }

  /** After a reload (SIGHUP), clients whose token was removed are closed (1008). */
  private readonly onConfig = (next: VigilConfig): void => {
    for (const c of this.clients) {
      const p = authenticate(next.server.tokens, c.token);
      if (!p) {
        this.drop(c);
        c.ws.close(1008, 'token revoked');
      } else {
        c.principal = p;
      }
    }
  };

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return refuse(socket, 400, 'Bad Request');
    }
    if (url.pathname === LIVE_PATH && servesLive(this.server)) {
      return; // the live-view socket (live.ts) answers it
    }
    if (url.pathname !== '/ws') {
      return refuse(socket, 404, 'Not Found');
    }
    if (this.closing) {
      return refuse(socket, 503, 'Service Unavailable');
    }
    const from = req.socket.remoteAddress ?? 'unknown';
    const limiter = this.options.limiter;
    const wait = limiter?.retryAfter(from) ?? 0;
    if (wait > 0) {
      authMetrics(this.ctx.metrics).refused.inc();
      return refuse(socket, 429, 'Too Many Requests', `Retry-After: ${wait}\r\n`);
    }
    const token = bearerToken(req.headers.authorization) ?? url.searchParams.get('token') ?? undefined;
    const principal = authenticate(this.ctx.config.server.tokens, token);
    if (!principal) {
      authMetrics(this.ctx.metrics).failures.inc();
      if (limiter?.fail(from)) {
        this.log.warn({ from }, 'too many failed authentications: address blocked');
      }
      return refuse(socket, 401, 'Unauthorized');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, principal, token));
  }

  private connected(ws: WebSocket, principal: Principal, token: string | undefined): void {
    const c: Client = {
      ws,
      principal,
      token,
      sub: DEFAULT_SUBSCRIPTION,
      cursor: this.lastId,
      processedFrom: this.lastId,
      holding: true,
      pending: [],
      chain: Promise.resolve(),
      alive: true,
      closed: false,
      subscribing: false,
    };
    this.clients.add(c);
    this.clientsGauge.inc();
    ws.on('pong', () => {
      c.alive = true;
    });
    ws.on('message', (data: RawData, isBinary: boolean) => this.onMessage(c, data, isBinary));
    ws.on('close', () => this.drop(c));
    ws.on('error', (err) => {
      // ws closes with 1009 itself for oversized messages; anything else just ends this client.
      this.log.debug({ err: err.message, client: principal.name }, 'websocket client error');
    });
    c.chain = this.hello(c).catch((err) => this.log.warn({ err }, 'websocket hello failed'));
  }

  private async hello(c: Client): Promise<void> {
    let cameras: string[];
    try {
      cameras = await withTimeout(this.redis.smembers(this.ctx.keys.cameraIndex), 1000);
    } catch {
      cameras = this.ctx.config.cameras.map((x) => x.id);
    }
    const hello: HelloMessage = { type: 'hello', version: VERSION, cameras: cameras.sort() };
    this.sendNow(c, JSON.stringify(hello));
    c.window = setTimeout(() => {
      c.window = undefined;
      // Only when no subscribe started meanwhile (it releases the hold itself).
      if (c.holding && !c.closed && !c.subscribing) {
        this.release(c);
      }
    }, this.options.subscribeWindowMs ?? 500);
  }

  private onMessage(c: Client, data: RawData, isBinary: boolean): void {
    const text = isBinary ? undefined : rawToString(data);
    const msg = text === undefined ? undefined : parseClientMessage(text);
    if (msg === undefined || msg.type === 'error') {
      this.rejected.inc();
      const err: ErrorMessage = msg ?? { type: 'error', code: 'bad_request', message: 'binary messages are not accepted' };
      this.send(c, JSON.stringify(err), false);
      return;
    }
    c.subscribing = true;
    c.chain = c.chain.then(() => this.subscribe(c, msg.subscription, msg.since)).catch((err) => {
      this.log.warn({ err: (err as Error).message }, 'websocket replay failed: client closed');
      this.cut(c, 'pending', 1011);
    });
  }

  private async subscribe(c: Client, sub: Subscription, since: string | undefined): Promise<void> {
    c.sub = sub;
    if (c.window) {
      clearTimeout(c.window);
      c.window = undefined;
    }
    if (since === undefined || c.closed) {
      c.subscribing = false;
      if (c.holding) {
        this.release(c);
      }
      return;
    }
    c.holding = true;
    const skipFrom = c.processedFrom;
    const skipTo = c.cursor;
    let after = since;
    let lastRead: string | undefined;
    const known = this.lastId;
    for (;;) {
      // A long backlog goes out page by page at the pace the client reads, so a client resuming after being cut
      // off for slowness is not cut off again by its own replay.
      if (!(await this.drained(c))) {
        this.cut(c, 'slow');
        return;
      }
      const rows = await this.store.readEvents(after, REPLAY_PAGE);
      for (const e of rows) {
        after = e.id;
        lastRead = e.id;
        if (compareStreamIds(e.id, skipFrom) > 0 && compareStreamIds(e.id, skipTo) <= 0) {
          continue;
        }
        if (wants(c.sub, 'alerts', e.alert.camera)) {
          this.send(c, alertText(e), false);
        }
      }
      if (c.closed || rows.length < REPLAY_PAGE) {
        break;
      }
    }
    // The client has everything up to `since`: live events up to it are skipped. A `since` beyond every event this
    // hub had seen when the subscribe began (a client's clock, a made-up id) must not silence the live feed, so it
    // counts only up to that event, or up to the newest one the replay read.
    let reach = compareStreamIds(after, known) > 0 ? known : after;
    if (lastRead !== undefined && compareStreamIds(lastRead, reach) > 0) {
      reach = lastRead;
    }
    if (compareStreamIds(reach, c.cursor) > 0) {
      c.cursor = reach;
    }
    if (compareStreamIds(since, c.processedFrom) < 0) {
      c.processedFrom = since;
    }
    c.subscribing = false;
    this.release(c);
  }

  /** Waits until the client's unsent data is under a quarter of the limit; false if it stays above for too long. */
  private async drained(c: Client): Promise<boolean> {
    const deadline = Date.now() + REPLAY_STALL_MS;
    while (!c.closed && c.ws.bufferedAmount > this.options.maxBufferedBytes / 4) {
      if (Date.now() > deadline) {
        return false;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    return !c.closed;
  }

  /** Ends a hold: sends the live events that arrived meanwhile (those not already processed) and goes live. */
  private release(c: Client): void {
    const pending = c.pending;
    c.pending = [];
    c.holding = false;
    for (const e of pending) {
      this.deliver(c, e);
    }
  }

  private deliver(c: Client, e: AlertEventEntry, text?: Buffer, checked = false): void {
    if (compareStreamIds(e.id, c.cursor) <= 0) {
      return;
    }
    c.cursor = e.id;
    if (wants(c.sub, 'alerts', e.alert.camera)) {
      this.send(c, text ?? alertText(e), false, checked);
    }
  }

  private async follow(): Promise<void> {
    const tail = this.tail!;
    while (!this.closing) {
      try {
        const res = (await tail.xread('COUNT', this.readCount, 'BLOCK', 1000, 'STREAMS', this.ctx.keys.alertEvents, this.lastId)) as
          | Array<[string, Array<[string, string[]]>]>
          | null;
        const entries: AlertEventEntry[] = [];
        for (const [id, fields] of res?.[0]?.[1] ?? []) {
          this.lastId = id;
          const e = parseEntry(id, fields, (error) => this.badMessage('alert_event', error));
          if (e) {
            entries.push(e);
          }
        }
        for (let i = 0; i < entries.length; i += BROADCAST_CHUNK) {
          this.broadcast(entries.slice(i, i + BROADCAST_CHUNK));
        }
      } catch (err) {
        if (this.closing) {
          break;
        }
        this.log.debug({ err: (err as Error).message }, 'alert stream read failed: retrying');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  /**
   * Sends a chunk of events to every client, client by client: each message is serialized once for everyone, and
   * a client's socket is corked for the chunk so its messages leave in one write instead of one syscall each.
   */
  private broadcast(entries: AlertEventEntry[]): void {
    const frames = entries.map(alertText);
    for (const c of this.clients) {
      if (c.holding) {
        c.pending.push(...entries);
        if (c.pending.length > this.maxPending) {
          this.cut(c, 'pending');
        }
        continue;
      }
      // The backlog is judged before the chunk: corked bytes of this chunk are not "behind" yet.
      if (c.ws.bufferedAmount > this.options.maxBufferedBytes) {
        this.cut(c, 'slow');
        continue;
      }
      // ws corks around its own two-part writes too; cork levels nest, so ours holds the whole chunk.
      const sock = (c.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
      sock?.cork();
      for (let i = 0; i < entries.length; i++) {
        this.deliver(c, entries[i], frames[i], true);
      }
      sock?.uncork();
    }
  }

  /** A message from another stage that is not what it should be: counted, logged, skipped. */
  private badMessage(message: string, error: string): void {
    this.invalid.inc({ stage: 'ws', message });
    this.log.warn({ error }, 'invalid message skipped');
  }

  private onChannel(channel: string, message: string): void {
    const { channels } = this.ctx.keys;
    let topic: Topic;
    if (channel === channels.camera) {
      topic = 'cameras';
    } else if (channel === channels.detections) {
      topic = 'detections';
    } else if (channel === channels.system) {
      // Rare and for everyone (e.g. Redis lost its data): sent to every client whatever it subscribed to.
      for (const c of this.clients) {
        this.send(c, message, false);
      }
      return;
    } else {
      return;
    }
    // The text goes out as it came; only the camera it is routed by is read (the writer is another stage).
    const m = decodeMessage(cameraMessageSchema, message, `${topic} message`);
    if (!m.ok) {
      this.badMessage(topic, m.error);
      return;
    }
    const camera = m.value.camera;
    for (const c of this.clients) {
      if (wants(c.sub, topic, camera)) {
        this.send(c, message, topic === 'detections');
      }
    }
  }

  private sendNow(c: Client, text: string | Buffer): void {
    if (c.ws.readyState === WebSocket.OPEN) {
      c.ws.send(text);
    }
  }

  /** Sends or, when the client is behind, drops (`droppable`) or cuts it off. */
  private send(c: Client, text: string | Buffer, droppable: boolean, checked = false): void {
    if (c.closed || c.ws.readyState !== WebSocket.OPEN) {
      return;
    }
    if (checked) {
      c.ws.send(text, { binary: false });
      return;
    }
    const buffered = c.ws.bufferedAmount;
    if (droppable && buffered > this.options.maxBufferedBytes / 4) {
      this.droppedDetections.inc();
      return;
    }
    if (buffered + text.length > this.options.maxBufferedBytes) {
      this.cut(c, 'slow');
      return;
    }
    // A Buffer is sent as is (no per-client UTF-8 encoding); `binary: false` keeps it a text frame.
    c.ws.send(text, { binary: false });
  }

  private cut(c: Client, reason: CutReason, code?: number): void {
    if (c.closed) {
      return;
    }
    this.cutoffs.inc({ reason });
    this.log.info({ client: c.principal.name, reason }, 'websocket client cut off');
    this.drop(c);
    if (code !== undefined) {
      c.ws.close(code);
    }
    // A slow or dead peer will not read a close frame in time: end the socket now. It resumes with `since`.
    c.ws.terminate();
  }

  private drop(c: Client): void {
    c.closed = true;
    clearTimeout(c.window);
    c.pending = [];
    if (this.clients.delete(c)) {
      this.clientsGauge.dec();
    }
  }

  private beat(): void {
    for (const c of this.clients) {
      if (!c.alive) {
        this.cut(c, 'dead');
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        this.cut(c, 'dead');
      }
    }
  }

  /** Detaches from the server, closes every client (1001) and stops following the stream. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.server.off('upgrade', this.onUpgrade);
      clearInterval(this.heartbeat);
      this.ctx.off('config', this.onConfig);
      for (const c of [...this.clients]) {
        this.drop(c);
        c.ws.close(1001, 'server shutting down');
        setTimeout(() => c.ws.terminate(), 1000).unref();
      }
      this.tail?.disconnect();
      await this.loop?.catch(() => undefined);
      await this.sub?.quit().catch(() => this.sub?.disconnect());
      this.wss.close();
    })();
    return this.closing;
  }
}

/** The `alert` message of an event, encoded once and shared by every client. */
function alertText(e: AlertEventEntry): Buffer {
  return Buffer.from(encodeAlertMessage(e));
}

/** Events sent per corked write to each client. */
const BROADCAST_CHUNK = 64;
/** Events per replay page (each page waits for the client to have read most of the previous ones). */
const REPLAY_PAGE = 100;
/** A replaying client that reads nothing for this long is cut off. */
const REPLAY_STALL_MS = 30_000;

function rawToString(data: RawData): string {
  if (Buffer.isBuffer(data)) {
    return data.toString('utf8');
  }
  if (Array.isArray(data)) {
    return Buffer.concat(data).toString('utf8');
  }
  return Buffer.from(data).toString('utf8');
}

function refuse(socket: Duplex, status: number, text: string, headers = ''): void {
  const code = ({ 400: 'bad_request', 401: 'unauthorized', 404: 'not_found', 429: 'too_many_requests', 503: 'not_ready' } as Record<number, string>)[status] ?? 'bad_request';
  const body = JSON.stringify({ error: { code, message: text.toLowerCase() } });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\n${headers}Connection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}
