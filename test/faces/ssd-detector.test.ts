import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { nullLogger } from '../../src/core/logger';
import { buildFaceModels, FACE_MODEL_FILES } from '../../src/faces/models';
import { SsdFaceDetector } from '../../src/faces/ssd-detector';
import { BUILT_MODELS, FACE_API_DEMO, loadImage } from './helpers';
import { MEDIA } from '../helpers';

describe('SsdFaceDetector (face-api SSD converted to ONNX, real photos)', function () {
  this.timeout(120_000);
  let det: SsdFaceDetector;
  before(async () => {
    const file = path.join(BUILT_MODELS, FACE_MODEL_FILES.detector);
    if (!existsSync(file)) {
      await buildFaceModels(BUILT_MODELS, nullLogger(), [FACE_MODEL_FILES.detector]);
    }
    det = await SsdFaceDetector.load(file);
  });

  it("finds at least 20 of the 22 faces in face-api's demo/sample1-6.jpg", async () => {
    const expected = [3, 3, 3, 4, 5, 4];
    let found = 0;
    for (let i = 1; i <= 6; i++) {
      const img = await loadImage(path.join(FACE_API_DEMO, `sample${i}.jpg`));
      const faces = await det.detect(img, { x: 0, y: 0, width: img.width, height: img.height }, 0.5);
      assert.ok(faces.length <= expected[i - 1]!, `sample${i}: ${faces.length} faces`);
      found += faces.length;
    }
    assert.ok(found >= 20, `found ${found}`);
  });

  it('maps boxes of a searched region back to frame pixels', async () => {
    const img = await loadImage(path.join(MEDIA, 'faces', 'obama.jpg'));
    const [whole] = await det.detect(img, { x: 0, y: 0, width: img.width, height: img.height }, 0.5);
    assert.ok(whole);
    const region = { x: 200, y: 0, width: 600, height: 600 };
    const [inRegion] = await det.detect(img, region, 0.5);
    assert.ok(inRegion);
    for (const k of ['x1', 'y1', 'x2', 'y2'] as const) {
      assert.ok(Math.abs(inRegion[k] - whole[k]) < 0.04 * img.width, `${k}: ${inRegion[k]} vs ${whole[k]}`);
    }
    assert.ok(inRegion.x1 >= region.x && inRegion.x2 <= region.x + region.width);
  });
});
