import assert from 'node:assert/strict';
import { parseEntry } from '../../src/alerts/alert-store';
import { alertSchema, cameraStateMessageSchema, decodeMessage, detectionResultSchema } from '../../src/core/message-schemas';
import type { Alert, DetectionResult } from '../../src/core/types';

const result: DetectionResult = {
  camera: 'walkway',
  seq: 7,
  frameKey: 'p:frame:walkway:7',
  pixels: 'redis',
  width: 640,
  height: 360,
  format: 'rgb24',
  times: { capturedAt: 1, queuedAt: 2, pickedAt: 3 },
  model: 'yolox_nano.onnx',
  detections: [{ label: 'person', classId: 0, score: 0.9, box: [0.1, 0.2, 0.3, 0.4] }],
  faces: [{ box: [0.1, 0.1, 0.2, 0.2], score: 0.8, embedding: [0.1, 0.2], detectionIndex: 0 }],
};

const alert: Alert = {
  id: '1700000000000-0',
  rule: 'r',
  type: 'zone_enter',
  camera: 'walkway',
  severity: 'high',
  state: 'active',
  startedAt: '2026-12-04T00:00:00.000Z',
  updatedAt: '2026-12-04T00:00:00.000Z',
  objects: [{ trackId: 1, label: 'person', score: 0.9, box: [0, 0, 1, 1] }],
  latencyMs: 12,
  zone: 'door',
};

describe('message schemas', () => {
  describe('#decodeMessage', () => {
    it('answers a valid detection result as it was written', () => {
      const r = decodeMessage(detectionResultSchema, JSON.stringify(result), 'detection result');
      assert.ok(r.ok);
      assert.deepEqual(r.value, result);
    });
    it('keeps fields a newer writer added (rolling upgrades)', () => {
      const r = decodeMessage(detectionResultSchema, JSON.stringify({ ...result, extra: 1 }), 'detection result');
      assert.ok(r.ok);
      assert.equal((r.value as unknown as { extra: number }).extra, 1);
    });
    it('takes the holder of held pixels, and refuses an empty or overlong one', () => {
      const held = decodeMessage(detectionResultSchema, JSON.stringify({ ...result, holder: 'host-a:detect' }), 'detection result');
      assert.ok(held.ok);
      assert.equal(held.value.holder, 'host-a:detect');
      for (const holder of ['', 'x'.repeat(129), 7]) {
        const r = decodeMessage(detectionResultSchema, JSON.stringify({ ...result, holder }), 'detection result 2-0');
        assert.ok(!r.ok, String(holder));
        assert.match(r.error, /holder/);
      }
    });
    it('names the message and the wrong fields', () => {
      const bad = { ...result, seq: -1, detections: [{ label: 'person', score: 'high', box: [0, 0, 1] }] };
      const r = decodeMessage(detectionResultSchema, JSON.stringify(bad), 'detection result 1-0');
      assert.ok(!r.ok);
      assert.match(r.error, /^detection result 1-0: /);
      assert.match(r.error, /seq/);
      assert.match(r.error, /detections\.0\.(score|box)/);
    });
    it('never throws: not JSON, missing, null', () => {
      assert.deepEqual(decodeMessage(detectionResultSchema, '{"camera":', 'x'), { ok: false, error: 'x: not JSON' });
      assert.deepEqual(decodeMessage(detectionResultSchema, undefined, 'x'), { ok: false, error: 'x: missing' });
      assert.ok(!decodeMessage(detectionResultSchema, 'null', 'x').ok);
    });
    it('checks camera states against the known states', () => {
      const m = { type: 'camera', camera: 'a', state: 'streaming', reason: '', at: '2026-12-04T00:00:00Z' };
      assert.ok(decodeMessage(cameraStateMessageSchema, JSON.stringify(m), 'camera state').ok);
      assert.ok(!decodeMessage(cameraStateMessageSchema, JSON.stringify({ ...m, state: 'on fire' }), 'camera state').ok);
      assert.ok(decodeMessage(alertSchema, JSON.stringify(alert), 'alert').ok);
    });
  });

  describe('parseEntry', () => {
    it('answers a valid alert event, and skips a bad one after saying why', () => {
      const errors: string[] = [];
      const onBad = (e: string) => errors.push(e);
      const ok = parseEntry('5-0', ['event', 'start', 'alert', JSON.stringify(alert)], onBad);
      assert.deepEqual(ok, { id: '5-0', event: 'start', alert });
      assert.equal(parseEntry('6-0', ['event', 'start', 'alert', '{"id":'], onBad), undefined);
      assert.equal(parseEntry('7-0', ['event', 'start', 'alert', JSON.stringify({ ...alert, type: 'nope' })], onBad), undefined);
      assert.equal(parseEntry('8-0', ['event', 'bogus', 'alert', JSON.stringify(alert)], onBad), undefined);
      assert.deepEqual(errors.map((e) => e.split(':')[0]), ['alert event 6-0', 'alert event 7-0', 'alert event 8-0']);
      assert.match(errors[1], /type/);
    });
  });
});
