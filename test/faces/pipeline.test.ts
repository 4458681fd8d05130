import assert from 'node:assert/strict';
import type { Detection } from '../../src/core/types';
import type { FaceDetector } from '../../src/faces/detector';
import type { Rect, RgbImage } from '../../src/faces/image';
import { FaceIndex } from '../../src/faces/matcher';
import { containingPerson, FacePipeline, personSearchRegion, type FaceModels } from '../../src/faces/pipeline';
import type { FaceBox } from '../../src/faces/ultraface';

/** Fake models: faces at fixed frame positions; the embedding encodes the face's x so identities are known. */
function fakeModels(faces: FaceBox[]): FaceModels & { calls: { detect: Rect[]; embedded: number } } {
  const calls = { detect: [] as Rect[], embedded: 0 };
  const detector: FaceDetector = {
    name: 'fake',
    async detect(_img, region, minScore) {
      calls.detect.push(region);
      return faces.filter(
        (f) => f.score >= minScore && f.x1 >= region.x && f.y1 >= region.y && f.x2 <= region.x + region.width && f.y2 <= region.y + region.height,
      );
    },
  };
  return {
    calls,
    detector,
    landmarker: {
      async run(crops) {
        // a frontal face: eyes at 0.35/0.65, y 0.4, nose 0.5, mouth at y 0.75 of the square
        const out = new Float32Array(crops.length * 136);
        for (let c = 0; c < crops.length; c++) {
          for (let i = 0; i < 68; i++) {
            const [x, y] = i >= 36 && i < 42 ? [0.35, 0.4] : i >= 42 && i < 48 ? [0.65, 0.4] : i === 30 ? [0.5, 0.6] : [0.5, 0.75];
            out[c * 136 + i * 2] = x;
            out[c * 136 + i * 2 + 1] = y;
          }
        }
        return out;
      },
    },
    embedder: {
      async embed(crops) {
        calls.embedded += crops.length;
        // mean red of the crop identifies the face (the test paints each face a different red)
        return crops.map((c) => {
          let r = 0;
          for (let i = 0; i < c.data.length; i += 3) {r += c.data[i]!;}
          const e = new Float32Array(128);
          e[0] = r / (c.data.length / 3) / 100;
          return e;
        });
      },
    },
  };
}

function frame(faces: Array<FaceBox & { red: number }>): RgbImage {
  const w = 320;
  const h = 240;
  const data = new Uint8Array(w * h * 3);
  for (const f of faces) {
    for (let y = Math.floor(f.y1) - 20; y < f.y2 + 20; y++) {
      for (let x = Math.floor(f.x1) - 20; x < f.x2 + 20; x++) {
        if (x >= 0 && y >= 0 && x < w && y < h) {
          data[(y * w + x) * 3] = f.red;
          // texture, so crops have a sharpness
          data[(y * w + x) * 3 + 1] = ((x >> 1) + (y >> 1)) % 2 === 0 ? 120 : 0;
        }
      }
    }
  }
  return { width: w, height: h, data };
}

describe('FacePipeline', () => {
  const faceA = { x1: 40, y1: 20, x2: 80, y2: 60, score: 0.9, red: 200 };
  const faceB = { x1: 200, y1: 30, x2: 236, y2: 66, score: 0.8, red: 100 };
  const persons: Detection[] = [
    { label: 'person', score: 0.9, box: [30 / 320, 10 / 240, 90 / 320, 230 / 240] },
    { label: 'car', score: 0.9, box: [0.5, 0.5, 0.9, 0.9] },
    { label: 'person', score: 0.9, box: [190 / 320, 20 / 240, 246 / 320, 230 / 240] },
  ];
  const index = new FaceIndex();
  index.set({ id: 'ann', name: 'Ann', embeddings: [[2, ...new Array(127).fill(0)]], createdAt: '' });

  it('searches person boxes only, matches against the index and reports which person each face is in', async () => {
    const models = fakeModels([faceA, faceB]);
    const p = new FacePipeline(models, index, { wholeFrame: false, minFaceSize: 20, minScore: 0.5, threshold: 0.3 });
    const obs = await p.process('cam', frame([faceA, faceB]), persons, 0);
    assert.equal(models.calls.detect.length, 2, 'one search per person, none for the car');
    assert.equal(obs.length, 2);
    const a = obs.find((o) => o.detectionIndex === 0)!;
    const b = obs.find((o) => o.detectionIndex === 2)!;
    assert.equal(a.match?.name, 'Ann');
    assert.equal(b.match, undefined, 'the other face is unknown');
    assert.ok(Math.abs(a.box[0] - 40 / 320) < 1e-9);
    assert.equal(a.embedding?.length, 128);
    assert.ok(a.quality !== undefined && a.quality >= 0);
  });

  it('skips faces below the minimum size and score', async () => {
    const models = fakeModels([faceA, { ...faceB, score: 0.4 }]);
    const p = new FacePipeline(models, index, { wholeFrame: false, minFaceSize: 41, minScore: 0.5, threshold: 0.3 });
    assert.equal((await p.process('cam', frame([faceA, faceB]), persons, 0)).length, 0);
  });

  it('reuses a matched face whose person box did not move instead of embedding it again', async () => {
    const models = fakeModels([faceA, faceB]);
    const p = new FacePipeline(models, index, { wholeFrame: false, minFaceSize: 20, minScore: 0.5, threshold: 0.3 });
    const img = frame([faceA, faceB]);
    await p.process('cam', img, persons, 0);
    assert.equal(models.calls.embedded, 2);
    const second = await p.process('cam', img, persons, 100);
    assert.equal(models.calls.detect.length, 3, 'the matched face is not even searched again');
    assert.equal(models.calls.embedded, 2, 'the unknown face, seen no better, reuses its embedding');
    assert.equal(p.lastTimings.reused, 2);
    assert.equal(second.find((o) => o.detectionIndex === 0)!.match?.name, 'Ann');
    const unknown = second.find((o) => o.detectionIndex === 2)!;
    assert.equal(unknown.match, undefined);
    assert.equal(unknown.embedding?.length, 128, 'still an embedded unknown face for the face_unknown votes');
  });

  it('embeds an unknown person again when a better view of the face comes', async () => {
    const small = { ...faceB, x1: 206, y1: 36, x2: 230, y2: 60 };
    const big = { ...faceB, x1: 196, y1: 26, x2: 240, y2: 70 };
    const first = fakeModels([small]);
    const p = new FacePipeline(first, index, { wholeFrame: false, minFaceSize: 20, minScore: 0.5, threshold: 0.3 });
    const q1 = (await p.process('cam', frame([small]), persons, 0))[0]!.quality!;
    const second = fakeModels([big]);
    (p as unknown as { models: FaceModels }).models = second;
    const q2 = (await p.process('cam', frame([big]), persons, 100))[0]!.quality!;
    assert.ok(q2 > q1 + 0.05, `better view: ${q1.toFixed(3)} -> ${q2.toFixed(3)}`);
    assert.equal(second.calls.embedded, 1, 'embedded again');
  });

  it('searches the whole frame by option and still attributes faces to person boxes', async () => {
    const models = fakeModels([faceA, faceB, { x1: 120, y1: 150, x2: 160, y2: 190, score: 0.9 }]);
    const p = new FacePipeline(models, index, { wholeFrame: true, minFaceSize: 20, minScore: 0.5, threshold: 0.3 });
    const obs = await p.process('cam', frame([faceA, faceB]), persons, 0);
    assert.equal(models.calls.detect.length, 1);
    assert.equal(obs.length, 3);
    assert.deepEqual(obs.map((o) => o.detectionIndex).sort(), [0, 2, undefined]);
  });

  it('#personSearchRegion covers the head of a standing person and all of a close-up', () => {
    const standing = personSearchRegion([0.4, 0.1, 0.5, 0.9], 1000, 1000);
    assert.ok(standing.y <= 100 && standing.y + standing.height < 500);
    const closeUp = personSearchRegion([0.2, 0.2, 0.8, 0.8], 1000, 1000);
    assert.ok(closeUp.y + closeUp.height >= 800);
  });

  it('#containingPerson picks the smallest person box containing the face centre', () => {
    const ps = [
      { d: { label: 'person', score: 1, box: [0, 0, 1, 1] as [number, number, number, number] }, i: 0 },
      { d: { label: 'person', score: 1, box: [0.1, 0.1, 0.3, 0.9] as [number, number, number, number] }, i: 3 },
    ];
    assert.equal(containingPerson([0.15, 0.15, 0.2, 0.2], ps), 3);
    assert.equal(containingPerson([0.5, 0.5, 0.6, 0.6], ps), 0);
    assert.equal(containingPerson([0.5, 0.5, 0.6, 0.6], [ps[1]!]), undefined);
  });
});

describe('FacePipeline with many people', () => {
  it('runs the detector once on the whole frame and keeps only faces inside person regions', async () => {
    const faces = [
      { x1: 10, y1: 10, x2: 40, y2: 40, score: 0.9 },
      { x1: 90, y1: 10, x2: 120, y2: 40, score: 0.9 },
      { x1: 170, y1: 10, x2: 200, y2: 40, score: 0.9 },
      { x1: 250, y1: 10, x2: 280, y2: 40, score: 0.9 },
      { x1: 140, y1: 180, x2: 170, y2: 210, score: 0.9 }, // a face on a poster, in no person box
    ];
    const calls: Rect[] = [];
    const models: FaceModels = {
      detector: {
        name: 'fake',
        async detect(_img, region) {
          calls.push(region);
          return faces.filter((f) => f.x1 >= region.x && f.x2 <= region.x + region.width && f.y1 >= region.y && f.y2 <= region.y + region.height);
        },
      },
      landmarker: { run: async (crops) => new Float32Array(crops.length * 136).fill(0.5) },
      embedder: { embed: async (crops) => crops.map(() => new Float32Array(128)) },
    };
    const persons: Detection[] = [0, 80, 160, 240].map((x) => ({ label: 'person', score: 0.9, box: [x / 320, 0, (x + 50) / 320, 0.6] }));
    const p = new FacePipeline(models, new FaceIndex(), { wholeFrame: false, minFaceSize: 20, minScore: 0.5, threshold: 0.5, maxRegions: 3 });
    const img = { width: 320, height: 240, data: new Uint8Array(320 * 240 * 3) };
    const obs = await p.process('cam', img, persons, 0);
    assert.equal(calls.length, 1, 'one whole-frame run');
    assert.deepEqual(obs.map((o) => o.detectionIndex), [0, 1, 2, 3]);
  });
});
