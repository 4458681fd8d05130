import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { ModelError } from '../../src/core/errors';
import { FramePool } from '../../src/core/frame-pool';
import type { Detection } from '../../src/core/types';
import { Detector } from '../../src/detect/detector';
import { MEDIA, MODELS } from '../helpers';

const post = { scoreThreshold: 0.3, classThresholds: {}, nmsIou: 0.45 };

/** The paved walkway of vtest.mp4 (frame fractions), drawn by hand from the frame at 10 s. */
const WALKWAY: Array<[number, number]> = [[0, 0.25], [0.45, 0.27], [0.75, 0.2], [1, 0.08], [1, 0.85], [0.75, 0.64], [0.5, 0.53], [0, 0.45]];
/** The lawn in the foreground, below the walkway. */
const LAWN: Array<[number, number]> = [[0, 0.47], [0.5, 0.56], [0.75, 0.67], [1, 0.88], [1, 1], [0, 1]];

function inside(p: [number, number], poly: Array<[number, number]>): boolean {
  let c = false;
  for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
    const [xi, yi] = poly[i];
    const [xj, yj] = poly[j];
    if (yi > p[1] !== yj > p[1] && p[0] < ((xj - xi) * (p[1] - yi)) / (yj - yi) + xi) {
      c = !c;
    }
  }
  return c;
}

const feet = (d: Detection): [number, number] => [(d.box[0] + d.box[2]) / 2, d.box[3]];

function vtestAt10s(): Buffer {
  return execFileSync(
    'ffmpeg',
    ['-v', 'error', '-ss', '10', '-i', join(MEDIA, 'vtest.mp4'), '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { maxBuffer: 1 << 24 },
  );
}

describe('detectors on real footage', function () {
  this.timeout(60_000);
  let vtest: Buffer;
  let basketball: { data: Buffer; width: number; height: number };

  before(async () => {
    vtest = vtestAt10s();
    assert.equal(vtest.length, 768 * 576 * 3);
    const r = await sharp(join(MEDIA, 'basketball1.png')).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    basketball = { data: r.data, width: r.info.width, height: r.info.height };
  });

  for (const [family, file, minWalkers, minScore] of [
    ['yolox', 'yolox_nano.onnx', 5, 0.5],
    ['fastestdet', 'fastestdet.onnx', 4, 0.6],
  ] as const) {
    describe(family, () => {
      let det: Detector;
      before(async () => {
        det = await Detector.create({ workers: 1, threadsPerWorker: 1, init: { modelPath: join(MODELS, file), family, device: 'cpu', post } });
      });
      after(async () => {
        await det?.close();
      });

      it(`finds at least ${minWalkers} people on the walkway of vtest.mp4 at 10 s, and none on the lawn`, async () => {
        const { detections } = await det.detect({ pixels: vtest, width: 768, height: 576 });
        const people = detections.filter((d) => d.label === 'person' && d.score >= minScore);
        const onWalkway = people.filter((d) => inside(feet(d), WALKWAY));
        assert.ok(onWalkway.length >= minWalkers, `only ${onWalkway.length} on the walkway: ${JSON.stringify(people)}`);
        for (const d of onWalkway) {
          const h = d.box[3] - d.box[1];
          assert.ok(h > 0.04 && h < 0.3, `pedestrian-sized box: ${JSON.stringify(d)}`);
        }
        const onLawn = people.filter((d) => inside(feet(d), LAWN));
        assert.deepEqual(onLawn, []);
      });

      it('gives the same detections when the pixels are moved into the worker (transfer), leaving the caller an empty buffer', async () => {
        const copied = await det.detect({ pixels: vtest, width: 768, height: 576 });
        assert.equal(vtest.byteLength, 768 * 576 * 3, 'a copy leaves the caller its buffer');
        const own = new Uint8Array(vtest); // owns its whole ArrayBuffer, so it can be transferred
        const moved = await det.detect({ pixels: own, width: 768, height: 576, transfer: true });
        assert.equal(own.byteLength, 0, 'the memory moved to the worker');
        assert.deepEqual(moved.detections, copied.detections);
        // A view into a larger buffer is never transferred (it would take the rest of the memory with it).
        const big = new Uint8Array(768 * 576 * 3 + 16);
        big.set(vtest, 16);
        const view = big.subarray(16);
        const viaView = await det.detect({ pixels: view, width: 768, height: 576, transfer: true });
        assert.equal(big.byteLength, 768 * 576 * 3 + 16, 'a view is copied, not moved');
        assert.deepEqual(viaView.detections, copied.detections);
      });

      it('reads frame-pool slots in shared memory: the same detections, the slot sent once, then reused', async () => {
        const copied = await det.detect({ pixels: vtest, width: 768, height: 576 });
        const pool = new FramePool(768 * 576 * 3, 2);
        const a = pool.acquire();
        vtest.copy(a);
        const first = await det.detect({ pixels: a, width: 768, height: 576, transfer: true });
        assert.equal(a.byteLength, 768 * 576 * 3, 'a slot is shared, never moved');
        assert.deepEqual(first.detections, copied.detections);
        // The worker keeps its view of the slot: new pixels written into it are what the next detection sees.
        a.fill(0);
        const black = await det.detect({ pixels: a, width: 768, height: 576 });
        assert.deepEqual(black.detections.filter((d) => d.label === 'person'), [], 'the black frame, not the cached one');
        vtest.copy(a);
        const again = await det.detect({ pixels: a, width: 768, height: 576 });
        assert.deepEqual(again.detections, copied.detections);
        pool.release(a);
      });

      it('finds the 2 players of basketball1.png, one on each side', async () => {
        const { detections } = await det.detect({ pixels: basketball.data, width: basketball.width, height: basketball.height });
        const players = detections.filter((d) => d.label === 'person' && d.score >= 0.6);
        assert.equal(players.length, 2, JSON.stringify(detections));
        const centres = players.map((d) => (d.box[0] + d.box[2]) / 2).sort();
        assert.ok(centres[0] < 0.35 && centres[1] > 0.65, `centres ${centres}`);
        for (const d of players) {
          assert.ok(d.box[3] - d.box[1] > 0.6, 'a player spans most of the frame height');
        }
      });
    });
  }

  describe('bad model files', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'vigil-test-model-'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const create = (modelPath: string, family = 'yolox') =>
      Detector.create({ workers: 1, threadsPerWorker: 1, init: { modelPath, family, device: 'cpu', post } });

    it('a missing file is a ModelError naming it', async () => {
      await assert.rejects(create(join(dir, 'nope.onnx')), (e: unknown) => e instanceof ModelError && /nope\.onnx: file not found/.test(e.message));
    });
    it('an HTML page saved as .onnx is a ModelError', async () => {
      const f = join(dir, 'page.onnx');
      writeFileSync(f, '<!DOCTYPE html><html><body>Not found</body></html>');
      await assert.rejects(create(f), (e: unknown) => e instanceof ModelError && /HTML/.test(e.message));
    });
    it('a Git LFS pointer is a ModelError', async () => {
      const f = join(dir, 'lfs.onnx');
      writeFileSync(f, 'version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n');
      await assert.rejects(create(f), (e: unknown) => e instanceof ModelError && /LFS/.test(e.message));
    });
    it('a truncated ONNX file is a ModelError from onnxruntime, not a crash', async () => {
      const f = join(dir, 'cut.onnx');
      writeFileSync(f, Buffer.concat([Buffer.from([0x08, 0x07]), Buffer.alloc(100, 0x12)]));
      await assert.rejects(create(f), (e: unknown) => e instanceof ModelError && /cut\.onnx/.test(e.message));
    });
    it('the right file under the wrong family is a ModelError saying what does not fit', async () => {
      await assert.rejects(
        create(join(MODELS, 'fastestdet.onnx'), 'yolox'),
        (e: unknown) => e instanceof ModelError && /fastestdet\.onnx/.test(e.message) && /yolox/.test(e.message),
      );
      await assert.rejects(create(join(MODELS, 'yolox_nano.onnx'), 'detectnet_v2'), (e: unknown) => e instanceof ModelError && /detectnet_v2/.test(e.message));
    });
  });
});
