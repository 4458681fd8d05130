import assert from 'node:assert/strict';
import mqtt, { type MqttClient } from 'mqtt';
import { AlertStore } from '../../src/alerts';
import { MqttSink, mqttTopics } from '../../src/sinks/mqtt';
import { mqttSchema } from '../../src/config/schema/webhooks';
import type { Context } from '../../src/config/context';
import { cleanup, sampleAlert, testContext } from '../api/helpers';
import { waitFor } from '../helpers';

const BROKER = process.env.VIGIL_TEST_MQTT_URL ?? 'mqtt://127.0.0.1:1883';

function listen(topic: string): Promise<{ client: MqttClient; got: Array<{ topic: string; payload: string; retain: boolean }> }> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(BROKER, { reconnectPeriod: 0 });
    const got: Array<{ topic: string; payload: string; retain: boolean }> = [];
    client.on('message', (t, p, packet) => got.push({ topic: t, payload: p.toString(), retain: packet.retain }));
    client.on('error', reject);
    client.on('connect', () => client.subscribe(topic, { qos: 1 }, (err) => (err ? reject(err) : resolve({ client, got }))));
  });
}

describe('MqttSink', () => {
  let ctx: Context;
  let sink: MqttSink | undefined;
  const clients: MqttClient[] = [];
  let prefix: string;

  beforeEach(() => {
    ctx = testContext();
    prefix = ctx.keys.prefix;
  });
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
    // Clear the retained state this test left on the broker.
    const c = clients[0];
    if (c) {
      await new Promise<void>((r) => c.publish(mqttTopics(prefix, 'walkway').state, '', { retain: true, qos: 1 }, () => r()));
    }
    clients.splice(0).forEach((x) => x.end(true));
    await cleanup(ctx);
  });

  it('publishes alerts on <prefix>/<camera>/alerts and the retained camera state', async function () {
    this.timeout(20_000);
    const { client, got } = await listen(`${prefix}/#`);
    clients.push(client);
    sink = new MqttSink(ctx, mqttSchema.parse({ enabled: true, url: BROKER, topicPrefix: prefix }));
    await sink.start();
    const store = new AlertStore(ctx.redis('w'), ctx.keys);
    const w = await store.write('start', sampleAlert({ camera: 'walkway' }));
    await ctx.redis('p').publish(ctx.keys.channels.camera, JSON.stringify({ type: 'camera', camera: 'walkway', state: 'stalled', reason: 'no frame', at: new Date().toISOString() }));
    await waitFor(() => got.some((m) => m.topic.endsWith('/alerts')) && got.some((m) => m.topic.endsWith('/state')), 10_000, 'mqtt messages');
    const alert = got.find((m) => m.topic === `${prefix}/walkway/alerts`);
    assert.ok(alert);
    assert.equal(JSON.parse(alert.payload).id, w.eventId);
    assert.equal(JSON.parse(alert.payload).alert.id, w.alert.id);
    // A subscriber arriving later still gets the state: it is retained.
    const late = await listen(`${prefix}/walkway/state`);
    clients.push(late.client);
    await waitFor(() => late.got.length > 0, 5000, 'retained state');
    assert.equal(late.got[0].retain, true);
    assert.equal(JSON.parse(late.got[0].payload).state, 'stalled');
  });

  it('clears the retained state of a camera removed through the API', async function () {
    this.timeout(20_000);
    const { client, got } = await listen(`${prefix}/yard/state`);
    clients.push(client);
    sink = new MqttSink(ctx, mqttSchema.parse({ enabled: true, url: BROKER, topicPrefix: prefix }), { removalGraceMs: 100 });
    await sink.start();
    const pub = ctx.redis('p');
    await pub.sadd(ctx.keys.cameraIndex, 'yard');
    await pub.publish(ctx.keys.channels.camera, JSON.stringify({ type: 'camera', camera: 'yard', state: 'streaming', reason: '', at: new Date().toISOString() }));
    await waitFor(() => got.length === 1, 5000, 'state');
    await pub.publish(ctx.keys.channels.config, 'yard');
    await new Promise((r) => setTimeout(r, 500)); // nothing may happen here (5 x the removal grace): nothing cleared
    assert.equal(got.length, 1, 'still in the camera index: kept');
    await pub.srem(ctx.keys.cameraIndex, 'yard');
    await pub.publish(ctx.keys.channels.config, 'yard');
    await waitFor(() => got.length === 2, 5000, 'cleared');
    assert.equal(got[1].payload, '');
  });

  it('does not crash or block the daemon when the broker is down: the alert is counted as failed and stays pending', async function () {
    this.timeout(10_000);
    sink = new MqttSink(ctx, mqttSchema.parse({ enabled: true, url: 'mqtt://127.0.0.1:1', topicPrefix: prefix, password: 'broker-pass' }), { publishTimeoutMs: 300 });
    const t0 = Date.now();
    await sink.start();
    assert.ok(Date.now() - t0 < 3000, `start took ${Date.now() - t0} ms with the broker down`);
    const store = new AlertStore(ctx.redis('w'), ctx.keys);
    const w = await store.write('start', sampleAlert());
    const metric = async (name: string) => ctx.metrics.getSingleMetricAsString(name);
    await waitFor(async () => /vigil_mqtt_failures_total\{kind="alert"\} [1-9]/.test(await metric('vigil_mqtt_failures_total')), 8000, 'the alert publish counted as failed');
    assert.match(await metric('vigil_mqtt_connected'), /vigil_mqtt_connected 0/);
    // Not acknowledged: the event waits in the sink's consumer group and is sent once the broker is back.
    const pending = (await ctx.redis('w').xpending(ctx.keys.alertEvents, 'mqtt', '-', '+', 10)) as Array<[string, ...unknown[]]>;
    assert.deepEqual(pending.map((p) => p[0]), [w.eventId]);
    const tc = Date.now();
    await sink.close();
    sink = undefined;
    assert.ok(Date.now() - tc < 3000, `close took ${Date.now() - tc} ms with the broker down`);
  });
});
