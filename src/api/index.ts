import { AlertStore } from '../alerts';
import { WebhookService } from '../sinks/webhook-service';
import { MqttSink } from '../sinks/mqtt';
import { onceClose, type Context, type StageHandle } from '../config/context';
import { WsHub } from '../ws';
import { LIVE_MAX_BUFFERED, LiveSocket } from '../ws/live';
import { LiveFeed } from '../ws/live-feed';
import { buildServer } from './server';

/**
 * Pure: the line that tells a person where the dashboard is and how they get in, e.g. `open http://127.0.0.1:8080/
 * (no server.tokens: no sign-in, this machine only; ...)`. A wildcard listener is opened through loopback.
 */
export function openMessage(host: string, port: number, tls: boolean, tokens: number): string {
  const wildcard = host === '0.0.0.0' || host === '::' || host === '';
  const shown = wildcard ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const where = wildcard ? `; listening on every interface (${host || '0.0.0.0'})` : '';
  const rule =
    tokens === 0
      ? 'no server.tokens: no sign-in, this machine only; add tokens to server.tokens to listen beyond loopback'
      : `sign in with one of the ${tokens} token${tokens === 1 ? '' : 's'} of server.tokens (viewer reads, admin also acts)`;
  return `open ${tls ? 'https' : 'http'}://${shown}:${port}/ (${rule}${where})`;
}

/**
 * Starts the api stage: the HTTP server on `server.host:port`, the WebSocket hub on the same port, webhook
 * delivery and (when enabled) the MQTT sink. Resolves once listening.
 */
export async function start(ctx: Context): Promise<StageHandle & { port: number }> {
  const log = ctx.log.child({ stage: 'api' });
  const redis = ctx.redis('api');
  const store = new AlertStore(redis, ctx.keys, { maxEvents: ctx.config.alerts.maxEvents, maxAgeSeconds: ctx.config.alerts.maxAgeSeconds });
  const webhooks = new WebhookService(ctx);
  const live = new LiveFeed(ctx);
  const app = await buildServer(ctx, { redis, store, deadLetters: webhooks, live });
  const s = ctx.config.server;
  // A live client skips frames once about a quarter second of a grid is unsent (or a quarter of /ws's limit).
  const liveSocket = new LiveSocket(ctx, app.server, live, {
    maxBufferedBytes: Math.min(s.wsMaxBufferedBytes / 4, LIVE_MAX_BUFFERED),
    ...(app.vigil.limiter ? { limiter: app.vigil.limiter } : {}),
  });
  const hub = new WsHub(ctx, app.server, store, redis, {
    maxPayload: s.wsMaxMessageBytes,
    maxBufferedBytes: s.wsMaxBufferedBytes,
    pingIntervalMs: s.wsPingIntervalS * 1000,
    ...(app.vigil.limiter ? { limiter: app.vigil.limiter } : {}),
  });
  const mqtt = ctx.config.mqtt.enabled ? new MqttSink(ctx, ctx.config.mqtt) : undefined;
  const close = onceClose([
    () => liveSocket.close(),
    () => live.close(),
    () => hub.close(),
    () => app.close(),
    () => webhooks.close(),
    () => mqtt?.close(),
  ]);
  try {
    await hub.start();
    liveSocket.start();
    await app.listen({ host: s.host, port: s.port });
    await webhooks.start();
    await mqtt?.start();
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : s.port;
  log.info({ host: s.host, port, auth: s.tokens.length > 0, tls: s.tls !== undefined }, 'api listening');
  log.info(openMessage(s.host, port, s.tls !== undefined, s.tokens.length));
  return {
    port,
    readiness: () => (app.server.listening ? [] : ['http server is not listening']),
    close,
  };
}
