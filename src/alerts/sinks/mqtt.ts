import { hostname } from 'node:os';
import mqtt, { type MqttClient } from 'mqtt';
import type Redis from 'ioredis';
import type { MqttConfig } from '../../config/schema';
import type { Context } from '../../core/context';
import type { Logger } from '../../core/logger';
import type { CameraStateMessage } from '../../core/types';
import type { AlertEventEntry } from '../alert-store';
import { AlertEventConsumer } from '../delivery-reader';

/** Pure: topic names under `mqtt.topicPrefix`. */
export function mqttTopics(prefix: string, camera: string): { alerts: string; state: string } {
  return { alerts: `${prefix}/${camera}/alerts`, state: `${prefix}/${camera}/state` };
}

/**
 * MQTT sink (the way NVRs and Home Assistant integrate): every alert event on `<prefix>/<camera>/alerts` (read
 * from the alert stream with its own consumer group, acknowledged once the broker has it) and each camera's state,
 * retained, on `<prefix>/<camera>/state`. mqtt.js reconnects on its own; a broker that is down only delays messages
 * and is logged, it never stops the daemon. Credentials never reach a log line.
 */
export class MqttSink {
  private client?: MqttClient;
  private consumer?: AlertEventConsumer;
  private sub?: Redis;
  private states?: Redis;
  private readonly pendingClears = new Set<NodeJS.Timeout>();
  private readonly log: Logger;
  private closed = false;

  constructor(
    private readonly ctx: Context,
    private readonly config: MqttConfig,
    private readonly options: { consumer?: string; publishTimeoutMs?: number; removalGraceMs?: number } = {},
  ) {
    this.log = ctx.log.child({ stage: 'mqtt' });
  }

  /** Connects (in the background) and starts forwarding. */
  async start(): Promise<void> {
    const c = this.config;
    this.client = mqtt.connect(c.url, {
      username: c.username,
      password: c.password,
      clientId: `vigil-${hostname()}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
    });
    let wasUp = false;
    this.client.on('connect', () => {
      wasUp = true;
      this.log.info('mqtt connected');
      void this.publishStates();
    });
    this.client.on('close', () => {
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
      try {
        const m = JSON.parse(message) as CameraStateMessage;
        void this.publish(mqttTopics(c.topicPrefix, m.camera).state, stateBody(m), true).catch(() => undefined);
      } catch {
        this.log.debug('ignored a malformed camera state message');
      }
    });
    await this.sub.subscribe(this.ctx.keys.channels.camera, this.ctx.keys.channels.config);
  }

  /**
   * A camera was changed or removed through the API. Once ingest has applied a removal (the id leaves the camera
   * index), the retained state is cleared so that Home Assistant and NVRs forget the camera.
   */
  private onCameraChanged(id: string): void {
    if (!/^[a-z0-9_-]{1,64}$/.test(id)) {
      return;
    }
    const t = setTimeout(() => {
      this.pendingClears.delete(t);
      void (async () => {
        const conn = (this.states ??= this.ctx.redis('mqtt-states'));
        if ((await conn.sismember(this.ctx.keys.cameraIndex, id)) === 0) {
          await this.publish(mqttTopics(this.config.topicPrefix, id).state, '', true);
        }
      })().catch((err) => this.log.debug({ err: (err as Error).message }, 'mqtt: could not clear a camera state'));
    }, this.options.removalGraceMs ?? 3000);
    this.pendingClears.add(t);
  }

  /** Publishes the current state of every known camera (retained), e.g. after a reconnect. */
  private async publishStates(): Promise<void> {
    try {
      const conn = this.states ??= this.ctx.redis('mqtt-states');
      {
        const ids = await conn.smembers(this.ctx.keys.cameraIndex);
        for (const id of ids) {
          const h = await conn.hgetall(this.ctx.keys.cameraStatus(id));
          if (h.state) {
            const m: CameraStateMessage = { type: 'camera', camera: id, state: h.state as CameraStateMessage['state'], reason: h.reason ?? '', at: h.at ?? new Date().toISOString() };
            await this.publish(mqttTopics(this.config.topicPrefix, id).state, stateBody(m), true);
          }
        }
      }
    } catch (err) {
      this.log.debug({ err: (err as Error).message }, 'mqtt: could not publish camera states');
    }
  }

  private async forward(entries: AlertEventEntry[]): Promise<void> {
    for (const e of entries) {
      const body = JSON.stringify({ type: 'alert', event: e.event, id: e.id, alert: e.alert });
      await this.publish(mqttTopics(this.config.topicPrefix, e.alert.camera).alerts, body, false);
    }
  }

  private publish(topic: string, payload: string, retain: boolean): Promise<void> {
    const client = this.client;
    if (!client || this.closed) {
      return Promise.reject(new Error('mqtt sink closed'));
    }
    if (!client.connected) {
      // Not queued in mqtt.js's offline queue: the alert stays pending in the consumer group and is sent once the
      // broker is back, so memory stays bounded and nothing is sent twice.
      return Promise.reject(new Error('mqtt broker not connected'));
    }
    const timeoutMs = this.options.publishTimeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('mqtt publish timed out')), timeoutMs);
      client.publish(topic, payload, { qos: this.config.qos, retain }, (err) => {
        clearTimeout(t);
        if (err) {
          reject(err);
        } else {
          resolve();
        }
      });
    });
  }

  /** Stops forwarding and disconnects. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.pendingClears.forEach((t) => clearTimeout(t));
    await this.consumer?.close();
    await this.sub?.quit().catch(() => this.sub?.disconnect());
    this.states?.disconnect();
    await new Promise<void>((resolve) => {
      if (!this.client) {
        resolve();
        return;
      }
      this.client.end(false, {}, () => resolve());
      setTimeout(() => resolve(), 2000).unref();
    });
  }
}

function stateBody(m: CameraStateMessage): string {
  return JSON.stringify({ camera: m.camera, state: m.state, reason: m.reason, at: m.at });
}
