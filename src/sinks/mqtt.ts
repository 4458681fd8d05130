/**
 * MQTT delivery: alerts, camera states, line counts and fps published for NVRs and Home Assistant (topics and
 * discovery messages: mqtt-topics.ts).
 *
 * Over 350 lines on purpose: MqttSink is one class that owns the broker connection, the retained states it
 * republishes after a reconnect, the alert event consumer and the update throttling, which every method shares.
 */
import { hostname } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import type Redis from 'ioredis';
import type { MqttConfig } from '../config/schema';
import type { Context } from '../config/context';
import type { Logger } from '../core/logger';
import { mqttMetrics, type MqttMetrics } from '../core/metrics';
import type { CameraStateMessage } from '../core/types';
import { AlertStore, type AlertEventEntry } from '../alerts/alert-store';
import { AlertEventConsumer } from './alert-event-consumer';
import { encodeAlertMessage } from '../core/messages';
import { cameraStateMessageSchema, decodeMessage } from '../core/message-schemas';
import { availabilityTopic, discoveryMessages, mqttTopics, rulesOf } from './mqtt-topics';

export { availabilityTopic, discoveryMessages, mqttTopics } from './mqtt-topics';

type Kind = 'alert' | 'state' | 'count' | 'discovery' | 'availability' | 'fps';

/*
 * Counts a start event once (the consumer group delivers at least once: an event not acknowledged before a stop is
 * read again). KEYS: counts hash, the event's marker. ARGV: camera field, camera/rule field, marker TTL (s).
 * Returns both counts.
 */
const COUNT_ONCE = `
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then
  return {redis.call('HINCRBY', KEYS[1], ARGV[1], 1), redis.call('HINCRBY', KEYS[1], ARGV[2], 1)}
end
return {tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0'), tonumber(redis.call('HGET', KEYS[1], ARGV[2]) or '0')}
`;

/** Options of {@link MqttSink} (tests shorten the timings). */
export interface MqttSinkOptions {
  consumer?: string;
  publishTimeoutMs?: number;
  removalGraceMs?: number;
}

/**
 * MQTT sink, the way NVRs and Home Assistant integrate (topics: mqtt-topics.ts, docs/api.md):
 * - `<prefix>/available`: `online` once connected, `offline` on a clean stop and, as the connection's Last Will,
 *   when the process dies or loses the broker. Re-asserted every `statsIntervalSeconds`.
 * - every alert event on `<prefix>/<camera>/alerts`, read from the alert stream with the `mqtt` consumer group and
 *   acknowledged once the broker has it; `update` events at most once per alert per `updateIntervalSeconds` (the
 *   newest is sent when the interval is over; an `end` replaces a held update).
 * - retained: each camera's state (marked `offline` on stop), fps, alert counts per camera and per rule (kept in
 *   Redis across restarts), `ON`/`OFF` per camera and rule while an alert of it is active, line counts.
 * - Home Assistant discovery (`mqtt.homeAssistant.enabled`, off by default), published on connect and when the
 *   configuration or a camera changes; entities of cameras or rules that are gone are removed.
 * mqtt.js reconnects on its own; a broker that is down only delays messages and is logged, it never stops the
 * daemon. Credentials never reach a log line.
 */
export class MqttSink {
  private client?: MqttClient;
  private consumer?: AlertEventConsumer;
  private sub?: Redis;
  private conn?: Redis;
  private readonly pendingClears = new Set<NodeJS.Timeout>();
  private readonly log: Logger;
  private readonly m: MqttMetrics;
  private closed = false;
  private statsTimer?: NodeJS.Timeout;
  /** Open alert ids per `<camera>/<rule>` (the rule binary sensors). */
  private readonly open = new Map<string, Set<string>>();
  /** Update coalescing: when each alert's last update was sent, and the newest held one with its timer. */
  private readonly lastUpdate = new Map<string, number>();
  private readonly held = new Map<string, { entry: AlertEventEntry; timer: NodeJS.Timeout }>();
  /** Retained payloads sent, by topic (fps and rule states are sent again only when they change). */
  private readonly retained = new Map<string, string>();
  /** Discovery topics published (removed when their camera or rule is gone). */
  private discovered = new Set<string>();
  /** Cameras whose state was published (marked offline on stop). */
  private readonly cameras = new Set<string>();

  constructor(
    private readonly ctx: Context,
    private config: MqttConfig,
    private readonly options: MqttSinkOptions = {},
  ) {
    this.log = ctx.log.child({ stage: 'mqtt' });
    this.m = mqttMetrics(ctx.metrics);
  }

  private get prefix(): string {
    return this.config.topicPrefix;
  }

  /** Connects (in the background) and starts forwarding. */
  async start(): Promise<void> {
    const c = this.config;
    this.conn = this.ctx.redis('mqtt-states');
    await this.loadOpenAlerts();
    this.client = mqtt.connect(c.url, {
      username: c.username,
      password: c.password,
      clientId: `vigil-${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      // Sent by the broker when this connection drops without a clean disconnect (crash, SIGKILL, network).
      will: { topic: availabilityTopic(c.topicPrefix), payload: Buffer.from('offline'), qos: c.qos, retain: true },
    });
    let wasUp = false;
    this.client.on('connect', () => {
      wasUp = true;
      this.m.connected.set(1);
      this.log.info('mqtt connected');
      this.retained.clear();
      void this.publishAll();
    });
    this.client.on('close', () => {
      this.m.connected.set(0);
      if (wasUp && !this.closed) {
        this.log.warn('mqtt connection lost: reconnecting');
        wasUp = false;
      }
    });
    this.client.on('error', (err) => this.log.debug({ err: err.message }, 'mqtt error'));

    this.consumer = new AlertEventConsumer(
      this.ctx.redis('mqtt-events', { maxRetriesPerRequest: null }),
      this.ctx.keys,
      (entries) => this.forward(entries),
      { group: 'mqtt', consumer: this.options.consumer ?? `${hostname()}:${process.pid}` },
      this.log,
      (err) => this.log.debug({ err: (err as Error).message }, 'mqtt alert forwarding: retrying'),
    );
    await this.consumer.start();

    this.sub = this.ctx.redis('mqtt-sub');
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.ctx.keys.channels.config) {
        this.onCameraChanged(message);
        return;
      }
      const s = decodeMessage(cameraStateMessageSchema, message, 'camera state message');
      if (!s.ok) {
        this.log.warn({ error: s.error }, 'invalid message skipped');
        return;
      }
      const m = s.value;
      this.cameras.add(m.camera);
      void this.publish(mqttTopics(this.prefix, m.camera).state, stateBody(m), true, 'state').catch(() => undefined);
    });
    await this.sub.subscribe(this.ctx.keys.channels.camera, this.ctx.keys.channels.config);
    this.ctx.on('config', this.onConfig);
    this.statsTimer = setInterval(() => void this.publishStats(), c.statsIntervalSeconds * 1000);
    this.statsTimer.unref();
  }

  private readonly onConfig = (next: { mqtt: MqttConfig }): void => {
    // The connection settings need a restart; intervals and discovery follow the reload.
    this.config = { ...next.mqtt, url: this.config.url, username: this.config.username, password: this.config.password, topicPrefix: this.config.topicPrefix };
    void this.publishDiscovery();
  };

  /** Active alerts from the store, so that rule states are right after a restart. */
  private async loadOpenAlerts(): Promise<void> {
    try {
      const store = new AlertStore(this.conn!, this.ctx.keys);
      for (const a of await store.listAlerts({ limit: 1000 })) {
        if (a.state === 'active') {
          this.openSet(a.camera, a.rule).add(a.id);
        }
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'mqtt: active alerts not read');
    }
  }

  private openSet(camera: string, rule: string): Set<string> {
    const k = `${camera}/${rule}`;
    let s = this.open.get(k);
    if (!s) {
      s = new Set();
      this.open.set(k, s);
    }
    return s;
  }

  /**
   * A camera was changed or removed through the API. Once ingest has applied a removal (the id leaves the camera
   * index), its retained topics are cleared so that Home Assistant and NVRs forget the camera.
   */
  private onCameraChanged(id: string): void {
    if (!/^[a-z0-9_-]{1,64}$/.test(id)) {
      return;
    }
    const t = setTimeout(() => {
      this.pendingClears.delete(t);
      void (async () => {
        if ((await this.conn!.sismember(this.ctx.keys.cameraIndex, id)) === 0) {
          const topics = mqttTopics(this.prefix, id);
          this.cameras.delete(id);
          for (const topic of [topics.state, topics.fps]) {
            await this.publish(topic, '', true, 'state');
          }
        }
        await this.publishDiscovery();
      })().catch((err) => this.log.debug({ err: (err as Error).message }, 'mqtt: could not clear a camera'));
    }, this.options.removalGraceMs ?? 3000);
    this.pendingClears.add(t);
  }

  /** Everything retained, after each (re)connect. */
  private async publishAll(): Promise<void> {
    await this.publish(availabilityTopic(this.prefix), 'online', true, 'availability').catch(() => undefined);
    try {
      const ids = await this.cameraIds();
      for (const id of ids) {
        const h = await this.conn!.hgetall(this.ctx.keys.cameraStatus(id));
        if (h.state) {
          this.cameras.add(id);
          const m: CameraStateMessage = { type: 'camera', camera: id, state: h.state as CameraStateMessage['state'], reason: h.reason ?? '', at: h.at ?? new Date().toISOString() };
          await this.publish(mqttTopics(this.prefix, id).state, stateBody(m), true, 'state');
        }
      }
      await this.publishCounts(ids);
      await this.publishRuleStates(ids);
      await this.publishDiscovery();
      await this.publishStats();
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'mqtt: could not publish the retained topics');
    }
  }

  /** Cameras known to the cluster: the camera index, and the configured ones. */
  private async cameraIds(): Promise<string[]> {
    const ids = new Set(await this.conn!.smembers(this.ctx.keys.cameraIndex));
    for (const c of this.ctx.config.cameras) {
      if (c.enabled) {
        ids.add(c.id);
      }
    }
    return [...ids].sort();
  }

  private async publishCounts(ids: readonly string[]): Promise<void> {
    const counts = await this.conn!.hgetall(this.ctx.keys.mqttCounts);
    for (const id of ids) {
      const t = mqttTopics(this.prefix, id);
      await this.publish(t.count, counts[id] ?? '0', true, 'count');
      for (const r of rulesOf(this.ctx.config.rules, id)) {
        await this.publish(t.ruleCount(r.id), counts[`${id}/${r.id}`] ?? '0', true, 'count');
      }
    }
  }

  private async publishRuleStates(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      for (const r of rulesOf(this.ctx.config.rules, id)) {
        await this.publishRuleState(id, r.id);
      }
    }
  }

  private publishRuleState(camera: string, rule: string): Promise<void> {
    const on = (this.open.get(`${camera}/${rule}`)?.size ?? 0) > 0;
    return this.publish(mqttTopics(this.prefix, camera).ruleState(rule), on ? 'ON' : 'OFF', true, 'state');
  }

  /** Home Assistant discovery for the cameras and rules in effect; entities no longer in effect are removed. */
  private async publishDiscovery(): Promise<void> {
    const ha = this.config.homeAssistant;
    if (!ha.enabled || !this.client?.connected) {
      return;
    }
    try {
      const ids = await this.cameraIds();
      const names = new Map(this.ctx.config.cameras.map((c) => [c.id, c.name]));
      const msgs = discoveryMessages(ha.discoveryPrefix, this.prefix, ids.map((id) => ({ id, name: names.get(id) })), this.ctx.config.rules);
      const now = new Set(msgs.map((m) => m.topic));
      for (const m of msgs) {
        await this.publish(m.topic, m.payload, true, 'discovery');
      }
      for (const topic of this.discovered) {
        if (!now.has(topic)) {
          await this.publish(topic, '', true, 'discovery');
        }
      }
      this.discovered = now;
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'mqtt: discovery not published');
    }
  }

  /** Availability again (another process's Last Will may have said offline) and each camera's fps. */
  private async publishStats(): Promise<void> {
    if (!this.client?.connected || this.closed) {
      return;
    }
    try {
      await this.publish(availabilityTopic(this.prefix), 'online', true, 'availability', true);
      const ids = await this.cameraIds();
      const p = this.conn!.pipeline();
      ids.forEach((id) => p.hmget(this.ctx.keys.cameraStatus(id), 'fpsIngest', 'fpsDetect'));
      const rows = (await p.exec()) ?? [];
      for (let i = 0; i < ids.length; i++) {
        const [ingest, detect] = (rows[i]?.[1] as Array<string | null> | undefined) ?? [];
        const body = JSON.stringify({ ingest: Number(ingest ?? 0) || 0, detect: Number(detect ?? 0) || 0 });
        await this.publish(mqttTopics(this.prefix, ids[i]).fps, body, true, 'fps');
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'mqtt: stats not published');
    }
  }

  private async forward(entries: AlertEventEntry[]): Promise<void> {
    for (const e of entries) {
      if (e.event === 'update') {
        await this.coalesce(e);
        continue;
      }
      const id = e.alert.id;
      if (e.event === 'end') {
        const h = this.held.get(id);
        if (h) {
          // The end carries the newest state: the held update is not sent.
          clearTimeout(h.timer);
          this.held.delete(id);
          this.m.coalesced.inc();
        }
        this.lastUpdate.delete(id);
      }
      await this.sendEvent(e);
      await this.afterEvent(e);
    }
  }

  /**
   * Sends an update now (a failure leaves it pending in the consumer group), or holds the newest one until the
   * alert's interval is over.
   */
  private async coalesce(e: AlertEventEntry): Promise<void> {
    const id = e.alert.id;
    const interval = this.config.updateIntervalSeconds * 1000;
    const last = this.lastUpdate.get(id);
    const now = Date.now();
    const held = this.held.get(id);
    if (held) {
      held.entry = e;
      this.m.coalesced.inc();
      return;
    }
    if (last === undefined || now - last >= interval) {
      await this.sendEvent(e);
      this.lastUpdate.set(id, now);
      await this.afterEvent(e);
      return;
    }
    const timer = setTimeout(() => {
      const h = this.held.get(id);
      this.held.delete(id);
      if (h && !this.closed) {
        this.lastUpdate.set(id, Date.now());
        void this.sendEvent(h.entry).catch(() => undefined);
        void this.afterEvent(h.entry).catch(() => undefined);
      }
    }, last + interval - now);
    timer.unref();
    this.held.set(id, { entry: e, timer });
  }

  private sendEvent(e: AlertEventEntry): Promise<void> {
    return this.publish(mqttTopics(this.prefix, e.alert.camera).alerts, encodeAlertMessage(e), false, 'alert');
  }

  /** Counts, rule state and line counts after an event (retained; failures are fixed by the next reconnect). */
  private async afterEvent(e: AlertEventEntry): Promise<void> {
    const { camera, rule } = e.alert;
    const t = mqttTopics(this.prefix, camera);
    try {
      if (e.event === 'start') {
        const [cam, perRule] = (await this.conn!.eval(COUNT_ONCE, 2, this.ctx.keys.mqttCounts, this.ctx.keys.mqttCounted(e.id), camera, `${camera}/${rule}`, '86400')) as [number, number];
        await this.publish(t.count, String(cam), true, 'count');
        await this.publish(t.ruleCount(rule), String(perRule), true, 'count');
        this.openSet(camera, rule).add(e.alert.id);
      } else if (e.event === 'end') {
        this.open.get(`${camera}/${rule}`)?.delete(e.alert.id);
      }
      await this.publishRuleState(camera, rule);
      if (e.alert.type === 'line_cross' && e.alert.counts) {
        const c = e.alert.counts;
        await this.publish(t.crossings(rule), JSON.stringify({ total: c.a_to_b + c.b_to_a, a_to_b: c.a_to_b, b_to_a: c.b_to_a }), true, 'count');
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message, camera, rule }, 'mqtt: counts not published');
    }
  }

  /**
   * Publishes once the broker has it. Retained payloads equal to the last one sent are skipped (unless `force`).
   * Rejects when the broker is not connected: the caller decides (alerts stay pending in the consumer group).
   */
  private publish(topic: string, payload: string, retain: boolean, kind: Kind, force = false): Promise<void> {
    const client = this.client;
    if (!client || this.closed) {
      return Promise.reject(new Error('mqtt sink closed'));
    }
    if (retain && !force && this.retained.get(topic) === payload) {
      return Promise.resolve();
    }
    if (!client.connected) {
      // Not queued in mqtt.js's offline queue: the alert stays pending in the consumer group and is sent once the
      // broker is back (retained topics are all sent again on connect), so memory stays bounded.
      this.m.failures.inc({ kind });
      return Promise.reject(new Error('mqtt broker not connected'));
    }
    return this.send(client, topic, payload, retain, kind);
  }

  private send(client: MqttClient, topic: string, payload: string, retain: boolean, kind: Kind): Promise<void> {
    const timeoutMs = this.options.publishTimeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.m.failures.inc({ kind });
        reject(new Error('mqtt publish timed out'));
      }, timeoutMs);
      client.publish(topic, payload, { qos: this.config.qos, retain }, (err) => {
        clearTimeout(t);
        if (err) {
          this.m.failures.inc({ kind });
          reject(err);
        } else {
          this.m.published.inc({ kind });
          if (retain) {
            this.retained.set(topic, payload);
          }
          resolve();
        }
      });
    });
  }

  /**
   * Stops forwarding, marks the cameras' retained states `offline` and the availability `offline`, and disconnects
   * cleanly. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.ctx.off('config', this.onConfig);
    this.pendingClears.forEach((t) => clearTimeout(t));
    if (this.statsTimer) {
      clearInterval(this.statsTimer);
    }
    for (const h of this.held.values()) {
      clearTimeout(h.timer);
    }
    this.held.clear();
    await this.consumer?.close();
    const client = this.client;
    if (client?.connected) {
      const at = new Date().toISOString();
      const goodbye = [...this.cameras].map((camera) =>
        this.send(client, mqttTopics(this.prefix, camera).state, JSON.stringify({ camera, state: 'offline', reason: 'Vigil stopped publishing', at }), true, 'state'),
      );
      await Promise.allSettled([...goodbye, this.send(client, availabilityTopic(this.prefix), 'offline', true, 'availability')]);
    }
    this.closed = true;
    await this.sub?.quit().catch(() => this.sub?.disconnect());
    this.conn?.disconnect();
    this.m.connected.set(0);
    await new Promise<void>((resolve) => {
      if (!client) {
        resolve();
        return;
      }
      client.end(false, {}, () => resolve());
      setTimeout(() => resolve(), 2000).unref();
    });
  }
}

function stateBody(m: CameraStateMessage): string {
  return JSON.stringify({ camera: m.camera, state: m.state, reason: m.reason, at: m.at });
}
