import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { buildLandmarkNet, LANDMARK_IO } from '../../src/models/face-api/landmark-net';
import { decodeSsdFaces } from '../../src/models/face-api/ssd-decode';
import { buildSsdNet, SSD_IO } from '../../src/models/face-api/ssd-net';
import { decodeTinyFaces } from '../../src/models/face-api/tiny-decode';
import { buildTinyFaceNet, TINY_IO } from '../../src/models/face-api/tiny-net';
import { buildRecognitionNet, RECOGNITION_IO } from '../../src/models/face-api/recognition-net';
import { loadFaceApiWeights } from '../../src/models/face-api/weights';
import { loadFaceApi, loadReferenceNet, type FaceApi } from './face-api-reference';
import { faceCrop, letterboxed, maxAbsDiff, stack } from './face-crops';

/** Parity bound required by the faces issue: ONNX output vs face-api's tfjs output, max abs difference. */
const TOLERANCE = 1e-4;

async function session(bytes: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
}

async function reference(faceapi: FaceApi, net: { forward(x: unknown): Promise<unknown> }, crop: Float32Array, size: number) {
  const x = faceapi.tf.tensor4d(crop, [1, size, size, 3]);
  try {
    const out = (await net.forward(x)) as { data(): Promise<Float32Array>; dispose(): void };
    const data = await out.data();
    out.dispose();
    return data;
  } finally {
    x.dispose();
  }
}

describe('face-api networks converted to ONNX, against face-api running on tfjs (cpu backend)', function () {
  this.timeout(240_000);
  let faceapi: FaceApi;

  before(async () => {
    faceapi = await loadFaceApi();
  });

  describe('face_recognition (FaceRecognitionNet)', () => {
    it(`gives the same 128-d descriptors on real face crops (max abs diff < ${TOLERANCE}), batched`, async () => {
      const files = ['obama.jpg', 'rose-leslie1.jpg'];
      const size = RECOGNITION_IO.size;
      const crops = await Promise.all(files.map((f) => faceCrop(f, size)));
      const s = await session(buildRecognitionNet(await loadFaceApiWeights('face_recognition_model')).encode());
      let out: Float32Array;
      try {
        const r = await s.run({ [RECOGNITION_IO.input]: new ort.Tensor('float32', stack(crops), [2, size, size, 3]) });
        assert.deepEqual(r[RECOGNITION_IO.output].dims, [2, 128]);
        out = r[RECOGNITION_IO.output].data as Float32Array;
      } finally {
        await s.release();
      }
      const net = await loadReferenceNet(faceapi, 'FaceRecognitionNet', 'face_recognition_model');
      for (let i = 0; i < files.length; i++) {
        const ref = await reference(faceapi, net, crops[i], size);
        const diff = maxAbsDiff(out.subarray(i * 128, (i + 1) * 128), ref);
        assert.ok(diff < TOLERANCE, `${files[i]}: max abs diff ${diff}`);
      }
      // The two people are different: their descriptors are far apart (guards against a constant output).
      const d = Math.hypot(...Array.from(out.subarray(0, 128), (v, k) => v - out[128 + k]));
      assert.ok(d > 0.6, `distance between different people ${d}`);
      net.dispose();
    });
  });

  describe('face_landmark_68 (FaceLandmark68Net)', () => {
    it(`gives the same 68 points on real face crops (max abs diff < ${TOLERANCE}), batched`, async () => {
      const files = ['biden.jpg', 'alex-lacamoire.png'];
      const size = LANDMARK_IO.size;
      const crops = await Promise.all(files.map((f) => faceCrop(f, size)));
      const s = await session(buildLandmarkNet(await loadFaceApiWeights('face_landmark_68_model')).encode());
      let out: Float32Array;
      try {
        const r = await s.run({ [LANDMARK_IO.input]: new ort.Tensor('float32', stack(crops), [2, size, size, 3]) });
        assert.deepEqual(r[LANDMARK_IO.output].dims, [2, 136]);
        out = r[LANDMARK_IO.output].data as Float32Array;
      } finally {
        await s.release();
      }
      const net = await loadReferenceNet(faceapi, 'FaceLandmark68Net', 'face_landmark_68_model');
      for (let i = 0; i < files.length; i++) {
        // forward() = the network plus face-api's postProcess, which for a square input is the identity.
        const ref = await reference(faceapi, net, crops[i], size);
        const mine = out.subarray(i * 136, (i + 1) * 136);
        const diff = maxAbsDiff(mine, ref);
        assert.ok(diff < TOLERANCE, `${files[i]}: max abs diff ${diff}`);
        // Sanity on the meaning: the eyes (points 36-47) lie in the upper half, the mouth (48-67) below them.
        const meanY = (a: number, b: number) => {
          let sum = 0;
          for (let p = a; p <= b; p++) {
            sum += mine[2 * p + 1];
          }
          return sum / (b - a + 1);
        };
        assert.ok(meanY(36, 47) < 0.5 && meanY(48, 67) > meanY(36, 47), `${files[i]}: eyes above the mouth`);
      }
      net.dispose();
    });
  });

  describe('ssd_mobilenetv1 (SsdMobilenetv1) and decodeSsdFaces', () => {
    it(`gives the same boxes and scores for all 5118 anchors on a real photo (max abs diff < ${TOLERANCE}), and the same faces`, async () => {
      const size = SSD_IO.size;
      const { pixels, letterbox } = await letterboxed('two_people.jpg', size);
      const s = await session(buildSsdNet(await loadFaceApiWeights('ssd_mobilenetv1_model')).encode());
      let boxes: Float32Array;
      let scores: Float32Array;
      try {
        const r = await s.run({ [SSD_IO.input]: new ort.Tensor('float32', pixels, [1, size, size, 3]) });
        assert.deepEqual(r[SSD_IO.boxes].dims, [1, SSD_IO.anchors, 4]);
        assert.deepEqual(r[SSD_IO.scores].dims, [1, SSD_IO.anchors]);
        boxes = r[SSD_IO.boxes].data as Float32Array;
        scores = r[SSD_IO.scores].data as Float32Array;
      } finally {
        await s.release();
      }
      // One tfjs pass: locateFaces() runs forwardInput(); its decoded boxes and scores are captured on the way.
      const net = await loadReferenceNet(faceapi, 'SsdMobilenetv1', 'ssd_mobilenetv1_model');
      let captured: { boxes: Float32Array; scores: Float32Array } | undefined;
      const forwardInput = net.forwardInput.bind(net);
      net.forwardInput = (input: unknown) => {
        const out = forwardInput(input);
        captured = { boxes: out.boxes[0].dataSync().slice(), scores: out.scores[0].dataSync().slice() };
        return out;
      };
      const x = faceapi.tf.tensor4d(pixels, [1, size, size, 3]);
      const refFaces = await net.locateFaces(x, { minConfidence: 0.5 });
      x.dispose();
      net.dispose();
      assert.ok(captured);
      const boxDiff = maxAbsDiff(boxes, captured.boxes);
      const scoreDiff = maxAbsDiff(scores, captured.scores);
      assert.ok(boxDiff < TOLERANCE, `boxes: max abs diff ${boxDiff}`);
      assert.ok(scoreDiff < TOLERANCE, `scores: max abs diff ${scoreDiff}`);

      const faces = decodeSsdFaces(boxes, scores, { minConfidence: 0.5 });
      assert.equal(faces.length, 2, 'two_people.jpg has two faces');
      assert.equal(faces.length, refFaces.length);
      faces.forEach((f, i) => {
        const r = refFaces[i].relativeBox;
        const ref = [r.x, r.y, r.x + r.width, r.y + r.height];
        assert.ok(Math.abs(f.score - refFaces[i].score) < TOLERANCE, `face ${i} score`);
        assert.ok(maxAbsDiff(f.box, ref) < TOLERANCE, `face ${i} box ${f.box} vs ${ref}`);
      });
      // Mapped back through the letterbox, the faces sit where the photo has them (right person first).
      const inImage = decodeSsdFaces(boxes, scores, { letterbox });
      assert.ok(inImage[0].box[0] > 0.6 && inImage[1].box[2] < 0.4, JSON.stringify(inImage.map((f) => f.box)));
    });
  });

  describe('tiny_face_detector (TinyFaceDetector) and decodeTinyFaces', () => {
    it(`gives the same raw grid on a real photo (max abs diff < ${TOLERANCE}) and the same faces`, async () => {
      const size = TINY_IO.size;
      const cells = size / 32;
      const { pixels } = await letterboxed('two_people.jpg', size);
      const s = await session(buildTinyFaceNet(await loadFaceApiWeights('tiny_face_detector_model')).encode());
      let grid: Float32Array;
      try {
        const r = await s.run({ [TINY_IO.input]: new ort.Tensor('float32', pixels, [1, size, size, 3]) });
        assert.deepEqual(r[TINY_IO.output].dims, [1, cells, cells, 25]);
        grid = r[TINY_IO.output].data as Float32Array;
      } finally {
        await s.release();
      }
      const net = await loadReferenceNet(faceapi, 'TinyFaceDetector', 'tiny_face_detector_model');
      const x = faceapi.tf.tensor4d(pixels, [1, size, size, 3]);
      const out = await net.forward(x, size);
      const ref = (await out.data()) as Float32Array;
      out.dispose();
      const refFaces = await net.locateFaces(x, { inputSize: size, scoreThreshold: 0.5 });
      x.dispose();
      net.dispose();
      const diff = maxAbsDiff(grid, ref);
      assert.ok(diff < TOLERANCE, `grid: max abs diff ${diff}`);
      const faces = decodeTinyFaces(grid, cells, { scoreThreshold: 0.5 });
      assert.ok(faces.length >= 2, `two_people.jpg: ${faces.length} faces`);
      assert.equal(faces.length, refFaces.length);
      faces.forEach((f, i) => {
        const r = refFaces[i].relativeBox;
        const refBox = [r.x, r.y, r.x + r.width, r.y + r.height].map((v: number) => Math.min(1, Math.max(0, v)));
        assert.ok(Math.abs(f.score - refFaces[i].score) < TOLERANCE, `face ${i} score`);
        assert.ok(maxAbsDiff(f.box, refBox) < TOLERANCE, `face ${i} box ${f.box} vs ${refBox}`);
      });
    });
  });
});
