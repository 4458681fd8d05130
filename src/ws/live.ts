/**
 * The live-view WebSocket, `/ws/live` (docs/api.md): the same token rules as `/ws`; the client sends
 * `{"type":"subscribe","cameras":["walkway",...]}` and gets every frame of those cameras as a binary message (the
 * envelope of core/live-frame.ts: camera, capture time, size, JPEG), at the cameras' detect rate. A client whose
 * unsent data is over `maxBufferedBytes` skips frames until it has caught up (counted in
 * `vigil_live_frames_dropped_total`); it is never cut off for it and never slows other clients. Overlays are not in
 * the pixels: the client draws them from the `detections` topic of `/ws`.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, WebSocket, type RawData } from 'ws';
import { liveMetrics, type LiveFeed, type LiveMetrics } from './live-feed';
import { authenticate, bearerToken } from '../core/auth';
import type { AuthFailureLimiter } from '../core/auth-limiter';
import type { Context } from '../config/context';
import { authMetrics } from '../core/metrics';

export const LIVE_PATH = '/ws/live';

/** HTTP servers a LiveSocket answers `/ws/live` on (elsewhere the `/ws` hub answers it 404). */
const serving = new WeakSet<Server>();

/** Whether a LiveSocket answers `/ws/live` upgrades on `server`. */
export function servesLive(server: Server): boolean {
  return serving.has(server);
}
/** A live client watches at most this many cameras at once (a grid). */
export const MAX_LIVE_CAMERAS = 64;
/** Unsent bytes above which a live client skips frames: a few frames, so a slow link shows fresh frames, not a backlog. */
export const LIVE_MAX_BUFFERED = 256 * 1024;
const CAMERA_ID = /^[a-z0-9_-]{1,64}$/;

export interface LiveSocketOptions {
  /** Unsent bytes above which a client's frames are dropped. */
  maxBufferedBytes: number;
  limiter?: AuthFailureLimiter;
}

/** Pure: the cameras of a live subscribe message, or the reason it is refused. */
export function parseLiveSubscribe(text: string): { cameras: string[] } | { error: string } {
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return { error: 'message is not valid JSON' };
  }
  const o = m as { type?: unknown; cameras?: unknown };
  if (typeof m !== 'object' || m === null || Array.isArray(m) || o.type !== 'subscribe') {
    return { error: 'only {"type":"subscribe","cameras":[...]} is accepted' };
  }
  for (const k of Object.keys(o)) {
    if (k !== 'type' && k !== 'cameras') {
      return { error: `subscribe: unknown field "${k.slice(0, 40)}"` };
    }
  }
  if (!Array.isArray(o.cameras) || o.cameras.length > MAX_LIVE_CAMERAS || !o.cameras.every((c) => typeof c === 'string' && CAMERA_ID.test(c))) {
    return { error: `cameras: must be an array of at most ${MAX_LIVE_CAMERAS} camera ids ([a-z0-9_-]{1,64})` };
  }
  return { cameras: [...new Set(o.cameras as string[])] };
}

interface LiveClient {
  ws: WebSocket;
  token: string | undefined;
  stops: Array<() => void>;
}

export class LiveSocket {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024, perMessageDeflate: false });
  private readonly clients = new Set<LiveClient>();
  private readonly metrics: LiveMetrics;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head);
  private closing = false;

  constructor(
    private readonly ctx: Context,
    private readonly server: Server,
    private readonly feed: LiveFeed,
    private readonly options: LiveSocketOptions,
  ) {
    this.metrics = liveMetrics(ctx.metrics);
  }

  start(): void {
    serving.add(this.server);
    this.server.on('upgrade', this.onUpgrade);
    this.ctx.on('config', this.onConfig);
  }

  /** Clients whose token a reload removed are closed (1008), as on `/ws`. */
  private readonly onConfig = (): void => {
    for (const c of this.clients) {
      if (!authenticate(this.ctx.config.server.tokens, c.token)) {
        this.drop(c);
        c.ws.close(1008, 'token revoked');
      }
    }
  };

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== LIVE_PATH) {
      return; // the /ws hub answers every other path
    }
    socket.on('error', () => socket.destroy());
    if (this.closing) {
      return refuse(socket, 503, 'Service Unavailable', 'not_ready');
    }
    const from = req.socket.remoteAddress ?? 'unknown';
    const wait = this.options.limiter?.retryAfter(from) ?? 0;
    if (wait > 0) {
      return refuse(socket, 429, 'Too Many Requests', 'too_many_requests', `Retry-After: ${wait}\r\n`);
    }
    let token: string | undefined;
    try {
      token = bearerToken(req.headers.authorization) ?? new URL(req.url ?? '/', 'http://localhost').searchParams.get('token') ?? undefined;
    } catch {
      return refuse(socket, 400, 'Bad Request', 'bad_request');
    }
    if (!authenticate(this.ctx.config.server.tokens, token)) {
      authMetrics(this.ctx.metrics).failures.inc();
      this.options.limiter?.fail(from);
      return refuse(socket, 401, 'Unauthorized', 'unauthorized');
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.connected(ws, token));
  }

  private connected(ws: WebSocket, token: string | undefined): void {
    const c: LiveClient = { ws, token, stops: [] };
    this.clients.add(c);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      const parsed = isBinary ? { error: 'binary messages are not accepted' } : parseLiveSubscribe(String(data));
      if ('error' in parsed) {
        ws.send(JSON.stringify({ type: 'error', code: 'bad_request', message: parsed.error }));
        return;
      }
      this.unwatch(c);
      c.stops = parsed.cameras.map((camera) => this.feed.watch(camera, (_cam, frame) => this.send(c, frame)));
    });
    ws.on('close', () => this.drop(c));
    ws.on('error', () => this.drop(c));
  }

  private send(c: LiveClient, frame: Buffer): void {
    if (c.ws.readyState !== WebSocket.OPEN) {
      return;
    }
    if (c.ws.bufferedAmount > this.options.maxBufferedBytes) {
      this.metrics.dropped.inc({ transport: 'ws' });
      return;
    }
    this.metrics.sent.inc({ transport: 'ws' });
    c.ws.send(frame, { binary: true });
  }

  private unwatch(c: LiveClient): void {
    for (const stop of c.stops) {
      stop();
    }
    c.stops = [];
  }

  private drop(c: LiveClient): void {
    this.unwatch(c);
    this.clients.delete(c);
  }

  close(): void {
    this.closing = true;
    serving.delete(this.server);
    this.server.off('upgrade', this.onUpgrade);
    this.ctx.off('config', this.onConfig);
    for (const c of [...this.clients]) {
      this.drop(c);
      c.ws.close(1001, 'server shutting down');
      setTimeout(() => c.ws.terminate(), 1000).unref();
    }
    this.wss.close();
  }
}

function refuse(socket: Duplex, status: number, text: string, code: string, headers = ''): void {
  const body = JSON.stringify({ error: { code, message: text.toLowerCase() } });
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\n${headers}Connection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  setTimeout(() => socket.destroy(), 1000).unref();
}
