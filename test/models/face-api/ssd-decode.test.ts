import assert from 'node:assert/strict';
import { decodeSsdFaces, ssdLetterbox, ssdNonMaxSuppression } from '../../../src/models/face-api/ssd-decode';

/** Boxes as [ymin, xmin, ymax, xmax] rows. */
function boxes(rows: number[][]): Float32Array {
  return Float32Array.from(rows.flat());
}

describe('ssdNonMaxSuppression', () => {
  it('keeps the best of overlapping boxes, keeps separate ones, drops low scores', () => {
    const b = boxes([
      [0.1, 0.1, 0.3, 0.3],
      [0.11, 0.11, 0.31, 0.31], // overlaps box 0 (IoU ~0.82)
      [0.6, 0.6, 0.8, 0.8],
      [0.5, 0.5, 0.9, 0.9], // below threshold
    ]);
    const s = [0.8, 0.9, 0.7, 0.3];
    assert.deepEqual(ssdNonMaxSuppression(b, s, 10, 0.5, 0.5), [1, 2]);
    assert.deepEqual(ssdNonMaxSuppression(b, s, 1, 0.5, 0.5), [1], 'maxResults caps the count');
  });

  it('treats degenerate (zero-area) boxes as not overlapping', () => {
    const b = boxes([
      [0.2, 0.2, 0.2, 0.4],
      [0.2, 0.2, 0.2, 0.4],
    ]);
    assert.deepEqual(ssdNonMaxSuppression(b, [0.9, 0.8], 10, 0.5, 0.5), [0, 1]);
  });
});

describe('decodeSsdFaces', () => {
  const anchors = 3;
  const b = boxes([
    [-0.1, 0.2, 0.4, 0.5], // image 0: top clamps to 0
    [0.5, 0.5, 0.6, 0.6],
    [0.1, 0.1, 0.2, 0.2],
    [0.2, 0.2, 0.6, 0.4], // image 1
    [0.5, 0.5, 0.6, 0.6],
    [0.1, 0.1, 0.2, 0.2],
  ]);
  const s = Float32Array.from([0.9, 0.4, 0.1, 0.95, 0.2, 0.2]);

  it('returns [x1, y1, x2, y2] fractions, clamped, per batch item', () => {
    const f0 = decodeSsdFaces(b, s, { anchors });
    assert.equal(f0.length, 1);
    assert.ok(Math.abs(f0[0].score - 0.9) < 1e-6);
    assert.deepEqual(f0[0].box.map((v) => +v.toFixed(4)), [0.2, 0, 0.5, 0.4]);
    const f1 = decodeSsdFaces(b, s, { anchors, batchIndex: 1 });
    assert.deepEqual(f1[0].box.map((v) => +v.toFixed(4)), [0.2, 0.2, 0.4, 0.6]);
  });

  it('undoes the letterbox of a wide image (padding below)', () => {
    const lb = ssdLetterbox(1000, 500, 512);
    assert.deepEqual([lb.width, lb.height], [512, 256]);
    const f = decodeSsdFaces(b, s, { anchors, batchIndex: 1, letterbox: lb });
    // y fractions of the input double (the image fills the top half); x stays.
    assert.deepEqual(f[0].box.map((v) => +v.toFixed(4)), [0.2, 0.4, 0.4, 1]);
  });

  it('rejects outputs that do not fit the anchor count and a bad batch index', () => {
    assert.throws(() => decodeSsdFaces(b, s.subarray(0, 5), { anchors }), RangeError);
    assert.throws(() => decodeSsdFaces(b, s, { anchors, batchIndex: 2 }), RangeError);
  });
});

describe('ssdLetterbox', () => {
  it('scales the longer side to the input size and keeps a tall image at the left', () => {
    const lb = ssdLetterbox(300, 600, 512);
    assert.deepEqual([lb.width, lb.height, lb.scaleX, lb.scaleY], [256, 512, 2, 1]);
    assert.throws(() => ssdLetterbox(0, 10), RangeError);
  });
});
