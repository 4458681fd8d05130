import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import {
  DETECTNET_IO,
  buildDetectNetResnet18,
  detectnetFileName,
} from '../../src/models/detectnet-resnet18';
import { MEDIA } from '../helpers';

function sha(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

describe('buildDetectNetResnet18', function () {
  this.timeout(120_000);

  it('has the ResNet18 body size: about 11.5 M parameters (11.2 M body + projections + heads)', () => {
    const { parameters } = buildDetectNetResnet18({ width: 640, height: 384 });
    // ResNet18 without its fc is 11.17 M; all_projections adds 1x1 shortcuts (+0.35 M), BN folding adds biases.
    assert.ok(parameters > 11.3e6 && parameters < 11.7e6, `parameters ${parameters}`);
    const plain = buildDetectNetResnet18({ width: 640, height: 384, allProjections: false }).parameters;
    assert.ok(plain > 11.1e6 && plain < 11.25e6, `without all_projections ${plain}`);
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const a = sha(buildDetectNetResnet18({ width: 64, height: 32 }).graph.encode());
    const b = sha(buildDetectNetResnet18({ width: 64, height: 32 }).graph.encode());
    const c = sha(buildDetectNetResnet18({ width: 64, height: 32, seed: 2 }).graph.encode());
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  it("follows TAO DetectNet_v2's use_pooling: false (no max pool, strided first stage); usePooling adds one", () => {
    const ops = (usePooling: boolean) =>
      onnx.ModelProto.decode(buildDetectNetResnet18({ width: 64, height: 32, usePooling }).graph.encode()).graph?.node?.map((n) => n.opType) ?? [];
    const plain = ops(false);
    const pooled = ops(true);
    assert.equal(plain.filter((o) => o === 'MaxPool').length, 0);
    assert.equal(pooled.filter((o) => o === 'MaxPool').length, 1);
    // 1 stem + 8 blocks x (2 convs + 1 projection) + 2 heads
    assert.equal(plain.filter((o) => o === 'Conv').length, 1 + 8 * 3 + 2);
  });

  it('rejects sizes that are not multiples of 16', () => {
    assert.throws(() => buildDetectNetResnet18({ width: 100, height: 64 }), RangeError);
  });

  for (const [w, h] of [
    [960, 544],
    [640, 384],
  ] as const) {
    it(`loads in onnxruntime and runs at ${w}x${h} with TAO's output names and stride-16 shapes`, async () => {
      assert.equal(detectnetFileName(w, h), `detectnet_resnet18_${w}x${h}.onnx`);
      const { graph } = buildDetectNetResnet18({ width: w, height: h, classes: 3 });
      const session = await ort.InferenceSession.create(graph.encode(), { intraOpNumThreads: 1 });
      try {
        assert.deepEqual(session.inputNames, [DETECTNET_IO.input]);
        assert.deepEqual([...session.outputNames].sort(), [DETECTNET_IO.bbox, DETECTNET_IO.coverage].sort());
        const pixels = new Float32Array(3 * w * h);
        for (let i = 0; i < pixels.length; i++) {
          pixels[i] = ((i * 2654435761) >>> 0) / 4294967296;
        }
        const x = new ort.Tensor('float32', pixels, [1, 3, h, w]);
        const r1 = await session.run({ [DETECTNET_IO.input]: x });
        assert.deepEqual(r1[DETECTNET_IO.coverage].dims, [1, 3, h / 16, w / 16]);
        assert.deepEqual(r1[DETECTNET_IO.bbox].dims, [1, 12, h / 16, w / 16]);
        const cov = r1[DETECTNET_IO.coverage].data as Float32Array;
        assert.ok(cov.every((v) => v > 0 && v < 1), 'coverage is a sigmoid output');
        if (w === 960) {
          // Untrained, but tuned to mark a few cells of a real frame, for class 0 (person) only.
          const rgb = execFileSync('ffmpeg', ['-loglevel', 'error', '-ss', '10', '-i', join(MEDIA, 'vtest.mp4'), '-frames:v', '1',
            '-vf', `scale=${w}:${h}`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 16 << 20 });
          const planar = new Float32Array(3 * w * h);
          for (let i = 0; i < w * h; i++) {
            for (let c = 0; c < 3; c++) {
              planar[c * w * h + i] = rgb[3 * i + c] / 255;
            }
          }
          const r = await session.run({ [DETECTNET_IO.input]: new ort.Tensor('float32', planar, [1, 3, h, w]) });
          const p = r[DETECTNET_IO.coverage].data as Float32Array;
          const grid = (w / 16) * (h / 16);
          const fired = [0, 1, 2].map((c) => p.subarray(c * grid, (c + 1) * grid).filter((v) => v >= 0.5).length);
          assert.ok(fired[0] >= 5 && fired[0] <= 0.1 * grid, `person cells ${fired[0]} of ${grid}`);
          assert.deepEqual(fired.slice(1), [0, 0], 'other classes stay quiet');
          const box = r[DETECTNET_IO.bbox].data as Float32Array;
          const i = p.subarray(0, grid).findIndex((v) => v >= 0.5);
          const offsets = [0, 1, 2, 3].map((k) => box[k * grid + i]);
          assert.ok(offsets.every((o) => o > 0), `positive DeepStream offsets (a box around the cell): ${offsets}`);
        }
        if (w === 640) {
          const r2 = await session.run({ [DETECTNET_IO.input]: x });
          assert.deepEqual(r2[DETECTNET_IO.coverage].data, r1[DETECTNET_IO.coverage].data, 'same input, same output');
          assert.deepEqual(r2[DETECTNET_IO.bbox].data, r1[DETECTNET_IO.bbox].data);
        }
      } finally {
        await session.release();
      }
    });
  }
});
