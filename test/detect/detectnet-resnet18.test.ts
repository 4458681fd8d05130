import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { Detector } from '../../src/detect/detector';
import { buildModels } from '../../src/models/build';

/**
 * The project's own ResNet18 DetectNet_v2 network (untrained, seeded weights) through the detectnet_v2 family:
 * it loads, runs at both sizes, batches (free batch dimension) and its decoded output is well-formed.
 */
describe('detectnet_v2 family on the built ResNet18 network', function () {
  this.timeout(120_000);
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-test-detectnet-'));
    await buildModels(dir, pino({ level: 'silent' }), { only: ['detectnet_resnet18_640x384.onnx', 'detectnet_resnet18_960x544.onnx'] });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A synthetic 1280x720 frame (gradient) standing in for a camera frame. */
  const frame = () => {
    const w = 1280;
    const h = 720;
    const px = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) {
      px[i * 3] = i % 251;
      px[i * 3 + 1] = (i >> 3) % 253;
      px[i * 3 + 2] = (i >> 7) % 255;
    }
    return { pixels: px, width: w, height: h };
  };

  for (const [w, h] of [[640, 384], [960, 544]] as const) {
    it(`loads and runs at ${w}x${h}, batching frames, with well-formed detections`, async () => {
      const det = await Detector.create({
        workers: 1,
        threadsPerWorker: 1,
        batchSize: 2,
        batchWaitMs: 50,
        init: { modelPath: join(dir, `detectnet_resnet18_${w}x${h}.onnx`), family: 'detectnet_v2', device: 'cpu', post: { scoreThreshold: 0.5, classThresholds: {}, nmsIou: 0.5 } },
      });
      try {
        assert.equal(det.info.family, 'detectnet_v2');
        assert.deepEqual([det.info.inputWidth, det.info.inputHeight], [w, h]);
        assert.equal(det.batchSize, 2, 'free batch dimension: micro-batches allowed');
        const f = frame();
        const [a, b] = await Promise.all([det.detect(f), det.detect(f)]);
        assert.equal(a.batchSize, 2);
        assert.deepEqual(a.detections, b.detections, 'the same frame twice in one batch gives the same answer');
        for (const d of a.detections) {
          assert.ok(d.box.every((v) => v >= 0 && v <= 1) && d.box[2] > d.box[0] && d.box[3] > d.box[1]);
          assert.ok(d.score >= 0.5 && d.score <= 1);
          assert.ok(det.info.labels.includes(d.label) || /^class\d+$/.test(d.label));
        }
      } finally {
        await det.close();
      }
    });
  }
});
