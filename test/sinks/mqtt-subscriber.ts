import mqtt, { type MqttClient } from 'mqtt';

export const BROKER = process.env.VIGIL_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  at: number;
}

/** A real MQTT subscriber on the test broker (Mosquitto on 127.0.0.1:1883). */
export async function subscriber(...filters: string[]): Promise<{ client: MqttClient; got: Received[] }> {
  return await new Promise((resolve, reject) => {
    const client = mqtt.connect(BROKER, { reconnectPeriod: 0 });
    const got: Received[] = [];
    client.on('message', (topic, p, packet) => got.push({ topic, payload: p.toString(), retain: packet.retain, at: Date.now() }));
    client.on('error', reject);
    client.on('connect', () => client.subscribe(filters, { qos: 1 }, (err) => (err ? reject(err) : resolve({ client, got }))));
  });
}

/** Removes every retained message under the filters (what a test left on the shared broker). */
export async function clearRetained(...filters: string[]): Promise<void> {
  const { client, got } = await subscriber(...filters);
  // The broker sends the retained messages after the subscription; none comes with an end marker, so this waits.
  await new Promise((r) => setTimeout(r, 300));
  const topics = new Set(got.filter((m) => m.retain && m.payload !== '').map((m) => m.topic));
  await Promise.all([...topics].map((t) => new Promise<void>((r) => client.publish(t, '', { retain: true, qos: 1 }, () => r()))));
  client.end(true);
}

/** The newest payload seen on a topic. */
export function last(got: readonly Received[], topic: string): string | undefined {
  for (let i = got.length - 1; i >= 0; i--) {
    if (got[i].topic === topic) {
      return got[i].payload;
    }
  }
  return undefined;
}
