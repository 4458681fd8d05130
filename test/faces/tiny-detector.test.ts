import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { nullLogger } from '../../src/core/logger';
import { buildFaceModels, FACE_MODEL_FILES } from '../../src/faces/models';
import { TinyFaceDetector } from '../../src/faces/tiny-detector';
import { BUILT_MODELS, FACE_API_DEMO, loadImage } from './helpers';
import { MEDIA } from '../helpers';

/**
 * face-api's TinyFaceDetector is the weakest of the three detectors (measured: 20 boxes on the 22-face demo photos,
 * one of them a false positive, two faces missed in sample2); these checks keep it working, not best.
 */
describe('TinyFaceDetector (face-api Tiny-YOLOv2 converted to ONNX, real photos)', function () {
  this.timeout(120_000);
  let det: TinyFaceDetector;
  before(async () => {
    const file = path.join(BUILT_MODELS, FACE_MODEL_FILES.tinyDetector);
    if (!existsSync(file)) {
      await buildFaceModels(BUILT_MODELS, nullLogger(), [FACE_MODEL_FILES.tinyDetector]);
    }
    det = await TinyFaceDetector.load(file);
  });

  it("finds most of the 22 faces in face-api's demo/sample1-6.jpg", async () => {
    let found = 0;
    for (let i = 1; i <= 6; i++) {
      const img = await loadImage(path.join(FACE_API_DEMO, `sample${i}.jpg`));
      found += (await det.detect(img, { x: 0, y: 0, width: img.width, height: img.height }, 0.5)).length;
    }
    assert.ok(found >= 18 && found <= 24, `found ${found}`);
  });

  it('finds the face of a portrait, in frame pixels, also inside a region', async () => {
    const img = await loadImage(path.join(MEDIA, 'faces', 'obama.jpg'));
    const whole = await det.detect(img, { x: 0, y: 0, width: img.width, height: img.height }, 0.5);
    assert.equal(whole.length, 1);
    const f = whole[0]!;
    // the face is in the upper middle of the photo (face-api's SSD box: x 0.41-0.66, y 0.10-0.37)
    assert.ok(f.x1 / img.width > 0.3 && f.x2 / img.width < 0.75 && f.y2 / img.height < 0.5, JSON.stringify(f));
    const [inRegion] = await det.detect(img, { x: 200, y: 0, width: 600, height: 600 }, 0.5);
    assert.ok(inRegion && Math.abs(inRegion.x1 - f.x1) < 0.05 * img.width);
  });
});
