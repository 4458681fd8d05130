import assert from 'node:assert/strict';
import {
  alignedCrop,
  alignmentAffine,
  alignmentFromLandmarks,
  landmarkCrop,
  landmarkSquare,
  landmarksFromOutput,
  RECOGNITION_INPUT,
} from '../../src/faces/align';
import type { RgbImage } from '../../src/faces/image';

/** 68 points with both eyes and the mouth at given centres (other points at the mouth). */
function landmarks(le: [number, number], re: [number, number], mouth: [number, number]): Float32Array {
  const p = new Float32Array(136);
  for (let i = 0; i < 68; i++) {
    const c = i >= 36 && i < 42 ? le : i >= 42 && i < 48 ? re : mouth;
    p[i * 2] = c[0];
    p[i * 2 + 1] = c[1];
  }
  return p;
}

function rotate(p: [number, number], c: [number, number], a: number): [number, number] {
  const dx = p[0] - c[0];
  const dy = p[1] - c[1];
  return [c[0] + dx * Math.cos(a) - dy * Math.sin(a), c[1] + dx * Math.sin(a) + dy * Math.cos(a)];
}

describe('faces/align', () => {
  describe('#alignmentFromLandmarks', () => {
    it('follows face-api dlib alignment: side = eye-to-mouth / 0.45, angle of the eye line', () => {
      const al = alignmentFromLandmarks(landmarks([40, 50], [60, 50], [50, 77]));
      assert.ok(Math.abs(al.angle) < 1e-9);
      const eyeToMouth = Math.hypot(10, 27);
      assert.ok(Math.abs(al.side - eyeToMouth / 0.45) < 1e-4);
      assert.ok(Math.abs(al.cx - 50) < 1e-4);
      assert.ok(Math.abs(al.cy - (50 + 50 + 77) / 3) < 1e-4);
    });

    it('levels the eyes of a tilted face: both eye centres land on one row of the crop', () => {
      const c: [number, number] = [100, 100];
      const a = (25 * Math.PI) / 180;
      const le = rotate([85, 95], c, a);
      const re = rotate([115, 95], c, a);
      const mouth = rotate([100, 135], c, a);
      const al = alignmentFromLandmarks(landmarks(le, re, mouth));
      assert.ok(Math.abs(al.angle - a) < 1e-6);
      // invert the output→source affine to find the eyes in the crop
      const [m0, m1, m2, m3, m4, m5] = alignmentAffine(al);
      const det = m0 * m4 - m1 * m3;
      const toCrop = (p: [number, number]): [number, number] => {
        const x = p[0] - m2;
        const y = p[1] - m5;
        return [(m4 * x - m1 * y) / det, (-m3 * x + m0 * y) / det];
      };
      const l = toCrop(le);
      const r = toCrop(re);
      assert.ok(Math.abs(l[1] - r[1]) < 1e-3, `eye rows ${l[1]} vs ${r[1]}`);
      assert.ok(l[0] < r[0], 'left eye stays on the left');
      // symmetric about the crop's vertical centre line
      assert.ok(Math.abs((l[0] + r[0]) / 2 - RECOGNITION_INPUT / 2) < 1e-3);
    });

    it('moves pixels accordingly: two dots on a tilted eye line come out on one row', () => {
      const w = 200;
      const data = new Uint8Array(w * w * 3);
      const c: [number, number] = [100, 100];
      const a = (-20 * Math.PI) / 180;
      const le = rotate([80, 90], c, a);
      const re = rotate([120, 90], c, a);
      for (const p of [le, re]) {
        for (let dy = -2; dy <= 2; dy++) {
          for (let dx = -2; dx <= 2; dx++) {
            data.fill(255, ((Math.round(p[1]) + dy) * w + Math.round(p[0]) + dx) * 3, ((Math.round(p[1]) + dy) * w + Math.round(p[0]) + dx) * 3 + 3);
          }
        }
      }
      const img: RgbImage = { width: w, height: w, data };
      const crop = alignedCrop(img, alignmentFromLandmarks(landmarks(le, re, rotate([100, 140], c, a))));
      const rowsOf = (x0: number, x1: number): number => {
        let sum = 0;
        let n = 0;
        for (let y = 0; y < crop.height; y++) {
          for (let x = x0; x < x1; x++) {
            const v = crop.data[(y * crop.width + x) * 3]!;
            sum += v * y;
            n += v;
          }
        }
        return sum / n;
      };
      const ly = rowsOf(0, 75);
      const ry = rowsOf(75, 150);
      assert.ok(Math.abs(ly - ry) < 1, `dot rows ${ly.toFixed(2)} vs ${ry.toFixed(2)}`);
    });
  });

  describe('#landmarkCrop / #landmarksFromOutput', () => {
    it('pads the box to a centred square and maps net outputs back to source pixels', () => {
      const box = { x1: 20, y1: 10, x2: 60, y2: 90, score: 1 };
      const sq = landmarkSquare(box);
      assert.deepEqual(sq, { x0: 0, y0: 10, side: 80 });
      const pts = landmarksFromOutput(new Float32Array(136).fill(0.5), 0, sq);
      assert.equal(pts[0], 40);
      assert.equal(pts[1], 50);
      const img: RgbImage = { width: 100, height: 100, data: new Uint8Array(30000).fill(100) };
      const crop = landmarkCrop(img, box);
      assert.equal(crop.width, 112);
      assert.equal(crop.data[(56 * 112 + 5) * 3], 0, 'left padding is black');
      assert.equal(crop.data[(56 * 112 + 56) * 3], 100, 'inside the box');
    });
  });
});
