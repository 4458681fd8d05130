import assert from 'node:assert/strict';
import type { MqttClient } from 'mqtt';
import { AlertStore } from '../../src/alerts';
import { MqttSink } from '../../src/sinks/mqtt';
import type { Context } from '../../src/config/context';
import { cleanup, sampleAlert, testContext } from '../api/helpers';
import { promtoolCheck } from '../promtool';
import { BROKER, clearRetained, last, subscriber } from './mqtt-subscriber';
import { REDIS_URL, waitFor } from '../helpers';

/**
 * The MQTT sink as NVRs and Home Assistant use it, against the real Mosquitto broker and a real subscriber:
 * availability, retained counts and rule states, coalesced updates, Home Assistant discovery, a clean stop.
 */
describe('MqttSink for NVRs and Home Assistant @integration', function () {
  this.timeout(30_000);
  let ctx: Context;
  let sink: MqttSink | undefined;
  const clients: MqttClient[] = [];
  let prefix: string;
  let ha: string;

  const mqttConfig = (over: Record<string, unknown> = {}) => ({
    enabled: true,
    url: BROKER,
    topicPrefix: prefix,
    updateIntervalSeconds: 1,
    statsIntervalSeconds: 1,
    homeAssistant: { enabled: true, discoveryPrefix: ha },
    ...over,
  });

  beforeEach(() => {
    const p = `vigil-test-${Math.random().toString(36).slice(2, 10)}`;
    prefix = p;
    ha = `ha-${p}`;
    ctx = testContext({
      redis: { url: REDIS_URL, prefix: p },
      cameras: [
        { id: 'walkway', name: 'Walkway', url: '/dev/null', zones: [{ id: 'lawn', polygon: [[0, 0], [1, 0], [1, 1], [0, 1]] }], lines: [{ id: 'gate', points: [[0, 0.5], [1, 0.5]] }] },
        { id: 'yard', url: '/dev/null' },
      ],
      rules: [
        { id: 'lawn-intrusion', type: 'zone_enter', camera: 'walkway', zone: 'lawn' },
        { id: 'gate-count', type: 'line_cross', camera: 'walkway', line: 'gate' },
        { id: 'down', type: 'camera_down', seconds: 30 },
      ],
      mqtt: mqttConfig(),
    });
  });

  afterEach(async () => {
    await sink?.close();
    sink = undefined;
    clients.splice(0).forEach((c) => c.end(true));
    await clearRetained(`${prefix}/#`, `${ha}/#`);
    await cleanup(ctx);
  });

  it('says online, publishes discovery, retained counts and rule states, and coalesces updates', async () => {
    const { client, got } = await subscriber(`${prefix}/#`, `${ha}/#`);
    clients.push(client);
    sink = new MqttSink(ctx, ctx.config.mqtt);
    await sink.start();
    await waitFor(() => last(got, `${prefix}/available`) === 'online', 10_000, 'online');

    // Discovery: a binary sensor per camera and rule, a line count sensor, fps and state sensors, all with availability.
    await waitFor(() => got.filter((m) => m.topic.startsWith(`${ha}/`)).length >= 10, 10_000, 'discovery');
    const disc = new Map(got.filter((m) => m.topic.startsWith(`${ha}/`)).map((m) => [m.topic, JSON.parse(m.payload) as Record<string, unknown>]));
    const zone = disc.get(`${ha}/binary_sensor/${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_walkway/rule_lawn-intrusion/config`);
    assert.ok(zone, `zone binary sensor among ${[...disc.keys()].join(', ')}`);
    assert.equal(zone.state_topic, `${prefix}/walkway/rules/lawn-intrusion/state`);
    assert.equal(zone.availability_topic, `${prefix}/available`);
    assert.equal(zone.device_class, 'occupancy');
    assert.match(String(zone.name), /zone lawn/);
    assert.equal((zone.device as { name: string }).name, 'Walkway');
    const line = [...disc.entries()].find(([t]) => t.endsWith('/line_gate-count/config'))?.[1];
    assert.ok(line, 'line count sensor');
    assert.equal(line.state_topic, `${prefix}/walkway/rules/gate-count/crossings`);
    assert.equal(line.value_template, '{{ value_json.total }}');
    const fps = [...disc.entries()].filter(([t]) => /\/fps_(ingest|detect)\/config$/.test(t));
    assert.equal(fps.length, 4, 'ingest and detect fps of both cameras');
    assert.ok([...disc.keys()].some((t) => t.endsWith(`_yard/rule_down/config`)), 'a rule without a camera applies to every camera');
    assert.ok(!disc.has(`${ha}/binary_sensor/${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_yard/rule_lawn-intrusion/config`), 'rules of other cameras are not offered');
    assert.equal(last(got, `${prefix}/walkway/rules/lawn-intrusion/state`), 'OFF');
    assert.equal(last(got, `${prefix}/walkway/count`), '0');

    // A zone alert: counts and the binary sensor.
    const store = new AlertStore(ctx.redis('w'), ctx.keys);
    const w = await store.write('start', sampleAlert({ camera: 'walkway', rule: 'lawn-intrusion' }));
    await waitFor(() => last(got, `${prefix}/walkway/rules/lawn-intrusion/state`) === 'ON', 10_000, 'rule ON');
    assert.equal(last(got, `${prefix}/walkway/count`), '1');
    assert.equal(last(got, `${prefix}/walkway/rules/lawn-intrusion/count`), '1');

    // 25 updates in 2.5 s: at most one per second reaches the broker, and the end replaces a held one.
    const t0 = Date.now();
    for (let i = 0; i < 25; i++) {
      await store.write('update', { ...w.alert, latencyMs: i, updatedAt: new Date().toISOString() });
      await new Promise((r) => setTimeout(r, 100)); // paces the updates: one every 100 ms
    }
    await store.write('end', { ...w.alert, state: 'ended', endedAt: new Date().toISOString() });
    await waitFor(() => last(got, `${prefix}/walkway/rules/lawn-intrusion/state`) === 'OFF', 10_000, 'rule OFF');
    const events = got.filter((m) => m.topic === `${prefix}/walkway/alerts`).map((m) => ({ ...(JSON.parse(m.payload) as { event: string; alert: { latencyMs: number } }), at: m.at }));
    const updates = events.filter((e) => e.event === 'update');
    assert.deepEqual([events[0].event, events[events.length - 1].event], ['start', 'end']);
    assert.ok(updates.length >= 2 && updates.length <= 4, `${updates.length} updates sent for 25 written in ${Date.now() - t0} ms`);
    for (let i = 1; i < updates.length; i++) {
      assert.ok(updates[i].at - updates[i - 1].at >= 900, `updates ${updates[i].at - updates[i - 1].at} ms apart`);
      assert.ok(updates[i].alert.latencyMs > updates[i - 1].alert.latencyMs, 'the newest held update is sent');
    }

    // A line crossing: its count, retained for a subscriber arriving later.
    await store.write('start', sampleAlert({ camera: 'walkway', rule: 'gate-count', type: 'line_cross', counts: { a_to_b: 3, b_to_a: 2 }, count: 5, direction: 'a_to_b' }));
    await waitFor(() => last(got, `${prefix}/walkway/rules/gate-count/crossings`) !== undefined && last(got, `${prefix}/walkway/count`) === '2', 10_000, 'crossings');
    const late = await subscriber(`${prefix}/walkway/rules/gate-count/crossings`, `${prefix}/walkway/count`);
    clients.push(late.client);
    await waitFor(() => last(late.got, `${prefix}/walkway/count`) === '2', 10_000, 'retained camera count');
    await waitFor(() => late.got.some((m) => m.topic.endsWith('/crossings')), 10_000, 'retained crossings');
    assert.deepEqual(JSON.parse(last(late.got, `${prefix}/walkway/rules/gate-count/crossings`)!), { total: 5, a_to_b: 3, b_to_a: 2 });
    for (const topic of new Set(late.got.map((m) => m.topic))) {
      assert.ok(late.got.find((m) => m.topic === topic)!.retain, `${topic} retained`);
    }

    // Camera fps, retained.
    await ctx.redis('s').hset(ctx.keys.cameraStatus('walkway'), { fpsIngest: '5', fpsDetect: '4.5' });
    await waitFor(() => last(got, `${prefix}/walkway/fps`) === JSON.stringify({ ingest: 5, detect: 4.5 }), 10_000, 'fps');

    const text = await ctx.metrics.metrics();
    assert.match(text, /^vigil_mqtt_messages_total\{kind="alert"\} [1-9]/m);
    assert.match(text, /^vigil_mqtt_messages_total\{kind="discovery"\} [1-9]/m);
    assert.match(text, /^vigil_mqtt_updates_coalesced_total [1-9]/m);
    assert.match(text, /^vigil_mqtt_connected 1$/m);
    assert.equal(promtoolCheck(text), '');
  });

  it('marks the cameras and itself offline on a clean stop; counts survive a restart', async () => {
    const { client, got } = await subscriber(`${prefix}/#`);
    clients.push(client);
    const pub = ctx.redis('p');
    await pub.sadd(ctx.keys.cameraIndex, 'walkway');
    await pub.hset(ctx.keys.cameraStatus('walkway'), { state: 'streaming', reason: '', at: new Date().toISOString() });
    sink = new MqttSink(ctx, ctx.config.mqtt);
    await sink.start();
    await waitFor(() => JSON.parse(last(got, `${prefix}/walkway/state`) ?? '{}').state === 'streaming', 10_000, 'streaming');
    await new AlertStore(ctx.redis('w'), ctx.keys).write('start', sampleAlert({ camera: 'walkway', rule: 'lawn-intrusion' }));
    await waitFor(() => last(got, `${prefix}/walkway/count`) === '1', 10_000, 'count');
    await sink.close();
    sink = undefined;
    assert.equal(last(got, `${prefix}/available`), 'offline');
    assert.equal(JSON.parse(last(got, `${prefix}/walkway/state`)!).state, 'offline');
    // A subscriber arriving after the stop: the retained messages say so.
    const late = await subscriber(`${prefix}/available`, `${prefix}/walkway/state`);
    clients.push(late.client);
    await waitFor(() => late.got.length >= 2, 5000, 'retained');
    assert.equal(last(late.got, `${prefix}/available`), 'offline');
    // Restarted: online again, the rule still ON (its alert is active), the count kept in Redis. The consumer group
    // is rewound, so the start event is delivered again (as after a stop before its acknowledgement): not recounted.
    await pub.xgroup('SETID', ctx.keys.alertEvents, 'mqtt', '0');
    const alertsBefore = got.filter((m) => m.topic === `${prefix}/walkway/alerts`).length;
    sink = new MqttSink(ctx, ctx.config.mqtt);
    await sink.start();
    await waitFor(() => last(got, `${prefix}/available`) === 'online', 10_000, 'online again');
    await waitFor(() => last(got, `${prefix}/walkway/rules/lawn-intrusion/state`) === 'ON', 10_000, 'rule state from the active alert');
    await waitFor(() => got.filter((m) => m.topic === `${prefix}/walkway/count`).length >= 2, 10_000, 'count again');
    await waitFor(() => got.filter((m) => m.topic === `${prefix}/walkway/alerts`).length > alertsBefore, 10_000, 'the event delivered again');
    await new Promise((r) => setTimeout(r, 300)); // nothing may happen here: no count raised by the replay
    assert.equal(last(got, `${prefix}/walkway/count`), '1');
    assert.equal(last(got, `${prefix}/walkway/rules/lawn-intrusion/count`), '1');
  });

  it('publishes no discovery unless asked (off by default)', async () => {
    const { client, got } = await subscriber(`${ha}/#`, `${prefix}/available`);
    clients.push(client);
    sink = new MqttSink(ctx, { ...ctx.config.mqtt, homeAssistant: { enabled: false, discoveryPrefix: ha } });
    await sink.start();
    await waitFor(() => last(got, `${prefix}/available`) === 'online', 10_000, 'online');
    await new Promise((r) => setTimeout(r, 500)); // nothing may happen here: no discovery message
    assert.deepEqual(got.filter((m) => m.topic.startsWith(`${ha}/`)), []);
  });
});
