import assert from 'node:assert/strict';
import { letterbox } from '../../src/faces/image';
import { decodeUltraFace, nmsFaces } from '../../src/faces/ultraface';

describe('faces/ultraface', () => {
  describe('#decodeUltraFace', () => {
    it('keeps faces above the score, maps them through the letterbox and suppresses overlaps', () => {
      // 4 anchors: a strong face, its near-duplicate, a low score, and a second face
      const scores = Float32Array.from([0.01, 0.99, 0.1, 0.9, 0.6, 0.4, 0.05, 0.95]);
      const boxes = Float32Array.from([
        0.1, 0.1, 0.3, 0.4,
        0.11, 0.1, 0.31, 0.41,
        0.5, 0.5, 0.6, 0.6,
        0.6, 0.2, 0.8, 0.5,
      ]);
      // a 640x480 region at (100, 20) of a frame into a 320x240 input: scale 0.5, no padding
      const lb = letterbox({ x: 100, y: 20, width: 640, height: 480 }, 320, 240);
      const faces = decodeUltraFace(scores, boxes, lb, { minScore: 0.7, iou: 0.3 });
      assert.equal(faces.length, 2);
      assert.ok(Math.abs(faces[0]!.score - 0.99) < 1e-6);
      const f = faces[0]!;
      assert.deepEqual([f.x1, f.y1, f.x2, f.y2].map((v) => Math.round(v)), [164, 68, 292, 212]);
      assert.ok(Math.abs(faces[1]!.score - 0.95) < 1e-6);
    });

    it('clips boxes to the searched region', () => {
      const lb = letterbox({ x: 0, y: 0, width: 320, height: 240 }, 320, 240);
      const faces = decodeUltraFace(Float32Array.from([0, 1]), Float32Array.from([-0.1, -0.1, 0.2, 1.2]), lb);
      assert.deepEqual([faces[0]!.x1, faces[0]!.y1, faces[0]!.y2], [0, 0, 240]);
    });
  });

  describe('#nmsFaces', () => {
    it('returns highest score first and honours maxFaces', () => {
      const out = nmsFaces(
        [
          { x1: 0, y1: 0, x2: 1, y2: 1, score: 0.5 },
          { x1: 5, y1: 5, x2: 6, y2: 6, score: 0.9 },
          { x1: 10, y1: 10, x2: 11, y2: 11, score: 0.7 },
        ],
        0.3,
        2,
      );
      assert.deepEqual(out.map((f) => f.score), [0.9, 0.7]);
    });
  });
});
