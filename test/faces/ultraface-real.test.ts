import assert from 'node:assert/strict';
import path from 'node:path';
import { UltraFaceDetector } from '../../src/faces/detector';
import { FACE_API_DEMO, loadImage } from './helpers';
import { MEDIA, MODELS } from '../helpers';

describe('UltraFaceDetector (real model, real photos)', function () {
  this.timeout(60_000);
  let det: UltraFaceDetector;
  before(async () => {
    det = await UltraFaceDetector.load(path.join(MODELS, 'ultraface-rfb-320.onnx'));
  });

  it("finds at least 20 of the 22 faces in face-api's demo/sample1-6.jpg", async () => {
    const expected = [3, 3, 3, 4, 5, 4];
    let found = 0;
    const perPhoto: number[] = [];
    for (let i = 1; i <= 6; i++) {
      const img = await loadImage(path.join(FACE_API_DEMO, `sample${i}.jpg`));
      const faces = await det.detect(img, { x: 0, y: 0, width: img.width, height: img.height }, 0.7);
      perPhoto.push(faces.length);
      // no photo has more faces than it shows
      assert.ok(faces.length <= expected[i - 1]!, `sample${i}: ${faces.length} faces, expected ${expected[i - 1]}`);
      found += faces.length;
    }
    assert.ok(found >= 20, `found ${found} (${perPhoto.join(', ')})`);
  });

  it('finds the small face in messi5.jpg and nothing in a blank frame', async () => {
    const img = await loadImage(path.join(MEDIA, 'messi5.jpg'));
    const faces = await det.detect(img, { x: 0, y: 0, width: img.width, height: img.height }, 0.7);
    assert.ok(faces.length >= 1);
    const blank = { width: 320, height: 240, data: new Uint8Array(320 * 240 * 3).fill(128) };
    assert.equal((await det.detect(blank, { x: 0, y: 0, width: 320, height: 240 }, 0.7)).length, 0);
  });

  it('searches a region only and returns boxes in frame pixels', async () => {
    const img = await loadImage(path.join(FACE_API_DEMO, 'sample1.jpg'));
    const all = await det.detect(img, { x: 0, y: 0, width: img.width, height: img.height }, 0.7);
    const first = all.sort((a, b) => a.x1 - b.x1)[0]!;
    const pad = 100;
    const region = {
      x: Math.max(0, first.x1 - pad),
      y: Math.max(0, first.y1 - pad),
      width: first.x2 - first.x1 + 2 * pad,
      height: first.y2 - first.y1 + 2 * pad,
    };
    const inRegion = await det.detect(img, region, 0.7);
    assert.ok(inRegion.length >= 1);
    const f = inRegion[0]!;
    assert.ok(Math.abs(f.x1 - first.x1) < 25 && Math.abs(f.y1 - first.y1) < 25, JSON.stringify({ f, first }));
  });
});
