import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Registry } from 'prom-client';
import {
  DROP_REASONS,
  LATENCY_STAGES,
  authMetrics,
  detectMetrics,
  faceMetrics,
  ingestMetrics,
  leaseMetrics,
  mqttMetrics,
  processMetrics,
  redisMetrics,
  setStateGauge,
  trackMetrics,
  webhookMetrics,
  wsMetrics,
} from '../../src/core/metrics';
import { promtoolCheck } from '../promtool';

/** Every metric group registered on one registry, with a sample in every family. */
function everything(): Registry {
  const reg = new Registry();
  processMetrics(reg, { version: '0.0.0', roles: ['ingest', 'detect', 'track', 'api'], instance: 'test', readiness: () => new Map([['api', []], ['detect', ['model loading']]]) });
  const r = redisMetrics(reg, () => 1);
  r.dataLost.inc();
  const l = leaseMetrics(reg);
  l.late.observe(0.01);
  l.round.observe(0.002);
  l.lost.inc({ stage: 'ingest', reason: 'late' });
  l.held.set({ stage: 'track' }, 2);
  const i = ingestMetrics(reg);
  i.framesTotal.inc({ camera: 'c' });
  i.ingestFps.set({ camera: 'c' }, 5);
  i.queueDepth.set({ camera: 'c' }, 1);
  i.restartsTotal.inc({ camera: 'c' });
  setStateGauge(i, 'c', 'streaming');
  for (const reason of DROP_REASONS) {
    i.droppedTotal.inc({ camera: 'c', reason });
  }
  const d = detectMetrics(reg);
  d.framesTotal.inc({ camera: 'c' });
  d.detectFps.set({ camera: 'c' }, 4.5);
  d.inferenceSeconds.observe({ model: 'm.onnx', device: 'cpu' }, 0.02);
  d.batchSize.observe({ model: 'm.onnx', device: 'cpu' }, 2);
  d.workerSeconds.inc({ model: 'm.onnx', step: 'infer' }, 0.02);
  d.loaded.set({ model: 'm.onnx', device: 'cpu' }, 1);
  for (const stage of LATENCY_STAGES) {
    d.stageLatency.observe({ camera: 'c', stage }, 0.1);
  }
  const f = faceMetrics(reg);
  f.seconds.observe({ step: 'total' }, 0.01);
  f.facesTotal.inc({ camera: 'c', result: 'match' });
  const t = trackMetrics(reg);
  t.alertsTotal.inc({ camera: 'c', rule: 'r', type: 'zone_enter', event: 'start' });
  t.lateFrames.inc({ camera: 'c' });
  t.framesTotal.inc({ camera: 'c' });
  t.tracks.set({ camera: 'c' }, 3);
  t.tracksCreated.inc({ camera: 'c' });
  const a = authMetrics(reg);
  a.failures.inc();
  a.refused.inc();
  const w = wsMetrics(reg);
  w.clients.inc();
  w.cutoffs.inc({ reason: 'slow' });
  w.droppedDetections.inc();
  w.rejected.inc();
  const h = webhookMetrics(reg);
  h.delivered.inc({ webhook: 'w' });
  h.failed.inc({ webhook: 'w' });
  h.dead.inc({ webhook: 'w' });
  h.lost.inc({ webhook: 'w' });
  h.recreated.inc();
  h.disabled.set({ webhook: 'w' }, 0);
  const m = mqttMetrics(reg);
  m.published.inc({ kind: 'alert' });
  m.failures.inc({ kind: 'state' });
  m.coalesced.inc();
  m.connected.set(1);
  return reg;
}

describe('metrics: one module defines every metric', () => {
  it('passes promtool check metrics with every group registered, default metrics included', async () => {
    const text = await everything().metrics();
    assert.equal(promtoolCheck(text), '');
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.match(text, /^# TYPE nodejs_active_handles gauge$/m);
    assert.doesNotMatch(text, /nodejs_active_handles_total|vigil_process_/);
    assert.match(text, /^vigil_ready\{role="detect"\} 0$/m);
    assert.match(text, /^vigil_ready\{role="api"\} 1$/m);
    assert.match(text, /^vigil_redis_warnings 1$/m);
  });

  it('returns the same metric objects to every stage of a process, and registers a group only when asked', async () => {
    const reg = new Registry();
    assert.equal(ingestMetrics(reg).droppedTotal, detectMetrics(reg).droppedTotal);
    assert.equal(detectMetrics(reg).stageLatency, trackMetrics(reg).stageLatency);
    assert.equal(ingestMetrics(reg), ingestMetrics(reg));
    const text = await reg.metrics();
    assert.doesNotMatch(text, /vigil_ws_clients|vigil_webhook_|vigil_mqtt_/);
  });

  it('labels capture → stage latency and alerts by camera', () => {
    const reg = new Registry();
    assert.deepEqual([...((detectMetrics(reg).stageLatency as unknown as { labelNames: string[] }).labelNames)].sort(), ['camera', 'stage']);
    assert.ok((trackMetrics(reg).alertsTotal as unknown as { labelNames: string[] }).labelNames.includes('camera'));
  });

  it('documents every drop reason in docs/pipeline.md, and no other', () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'pipeline.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `([a-z_]+)` \| [a-z, ]+ \|/gm)].map((m) => m[1]);
    assert.deepEqual([...documented].sort(), [...DROP_REASONS].sort());
  });
});

describe('metrics: documented', () => {
  it('lists every metric Vigil defines in docs/api.md', async () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'api.md'), 'utf8');
    const names = (await everything().getMetricsAsJSON()).map((m) => m.name).filter((n) => n.startsWith('vigil_'));
    assert.ok(names.length > 40);
    for (const n of names) {
      assert.ok(doc.includes(`| \`${n}\` |`), `${n} is in docs/api.md's metric table`);
    }
  });
});
