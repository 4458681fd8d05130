import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { bareLoop } from '../../src/bench/bare-loop';
import { Detector } from '../../src/detect/detector';
import { MODELS, VTEST } from '../helpers/media';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('bench bare loop (the ceiling of vigil bench)', function () {
  this.timeout(60_000);
  let det: Detector;
  before(async function () {
    assert.ok(existsSync(join(MODELS, 'yolox_nano.onnx')), `yolox_nano.onnx not in ${MODELS} (VIGIL_MODELS_DIR)`);
    assert.ok(existsSync(VTEST), `vtest.mp4 not at ${VTEST} (VIGIL_TEST_MEDIA)`);
    det = await Detector.create({
      workers: 1,
      threadsPerWorker: 1,
      batchSize: 2,
      init: { modelPath: join(MODELS, 'yolox_nano.onnx'), family: 'yolox', device: 'cpu', post: { scoreThreshold: 0.3, classThresholds: {}, nmsIou: 0.45 } },
    });
  });
  after(async () => {
    await det?.close();
  });

  it('runs one FFmpeg per camera, takes the cameras in turn, and kills every FFmpeg it started', async () => {
    const r = await bareLoop(det, VTEST, 320, 240, 2, 0.5, 3);
    assert.equal(r.pids.length, 3, 'one FFmpeg per decoder');
    assert.equal(new Set(r.pids).size, 3);
    assert.ok(r.frames > 0 && r.fps > 0, `no frame detected: ${JSON.stringify(r)}`);
    assert.equal(r.perDecoder.reduce((a, b) => a + b, 0), r.frames);
    // Round robin over decoders that keep a frame ready (320x240 decodes far faster than it is detected): the
    // cameras' counts stay close (a decoder starved of CPU for a moment may miss a turn or two).
    const mean = r.frames / 3;
    assert.ok(Math.max(...r.perDecoder) - Math.min(...r.perDecoder) <= 2 + 0.15 * mean, `cameras not taken in turn: ${r.perDecoder.join(', ')}`);
    const by = Date.now() + 5000;
    while (r.pids.some(alive) && Date.now() < by) {
      await new Promise((res) => setTimeout(res, 50));
    }
    assert.deepEqual(r.pids.filter(alive), [], 'an FFmpeg outlived the loop');
  });
});
