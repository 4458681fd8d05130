import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Context } from '../../src/config/context';
import type { FaceObservation } from '../../src/core/types';
import { createDetector } from '../../src/detect';
import type { Detector } from '../../src/detect/detector';
import { embedEnrolmentImages } from '../../src/faces/enrol';
import { CamerasInEffect } from '../../src/config/cameras-in-effect';
import { createFaceStage, type FaceStage } from '../../src/faces';
import { sharedFaceModels } from '../../src/faces/models';
import { WatchlistStore } from '../../src/faces/watchlist';
import { cleanup, testContext } from '../api/helpers';
import { BUILT_MODELS, children, videoFrames } from './helpers';
import { MEDIA, MODELS, waitFor } from '../helpers';

/**
 * End to end: the face stage as the detect workers run it, on frames of the Hamilton clip (640×360, decoded with
 * ffmpeg), with Lin-Manuel Miranda enrolled from his photo (plus Biden and Rose Leslie, who are not in the clip).
 * The face models are built on first start into a cache folder, as `vigil start` does.
 */
describe('face stage end to end (Hamilton clip, redis)', function () {
  this.timeout(180_000);
  let ctx: Context;
  let stage: FaceStage | undefined;

  before(() => {
    ctx = testContext({
      models: { dir: BUILT_MODELS },
      faces: { detector: 'ultraface', ultrafaceFile: path.join(MODELS, 'ultraface-rfb-320.onnx'), wholeFrame: true },
      cameras: [
        { id: 'hamilton', url: path.join(MEDIA, 'faces', 'short_hamilton_clip.mp4'), faces: { enabled: true } },
        { id: 'private', url: path.join(MEDIA, 'vtest.mp4') },
      ],
    });
  });
  after(async () => {
    await children.stopAll();
    await stage?.stop();
    await cleanup(ctx);
  });

  it('returns no stage when no camera has faces enabled', async () => {
    const plain = testContext({ cameras: [{ id: 'a', url: '/dev/null' }] });
    try {
      assert.equal(await createFaceStage(plain, new CamerasInEffect(plain, 'test')), undefined);
    } finally {
      await cleanup(plain);
    }
  });

  it('matches Lin-Manuel Miranda when he is on screen, and no one else', async () => {
    stage = await createFaceStage(ctx, new CamerasInEffect(ctx, 'test'));
    assert.ok(stage);
    assert.deepEqual(stage.readiness(), []);
    const models = await sharedFaceModels(ctx, () => Promise.reject(new Error('the stage loaded them')));
    const store = new WatchlistStore(ctx.redis('enrol'), ctx.keys);
    const enrol = async (name: string, file: string): Promise<string> => {
      const emb = await embedEnrolmentImages(models, [readFileSync(path.join(MEDIA, 'faces', file))], { maxBytes: 10_000_000 });
      return (await store.add(name, emb)).id;
    };
    const lin = await enrol('Lin-Manuel Miranda', 'lin-manuel-miranda.png');
    await enrol('Joe Biden', 'biden2.jpg');
    await enrol('Rose Leslie', 'rose-leslie1.jpg');

    const fps = 2;
    const frames = await videoFrames(path.join(MEDIA, 'faces', 'short_hamilton_clip.mp4'), 640, 360, fps, 20);
    assert.ok(frames.length >= 18, `${frames.length} frames decoded`);
    // the index is synced through pub/sub: wait until the stage sees all three identities
    await waitFor(async () => {
      const obs = await stage!.process({ camera: 'hamilton', seq: 0, width: 640, height: 360, pixels: Buffer.from(frames[8]!.data) }, []);
      return obs.some((o) => o.match?.identity === lin);
    }, 10_000, 'the stage to know the enrolled identity');

    const perFrame: FaceObservation[][] = [];
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      perFrame.push(await stage.process({ camera: 'hamilton', seq: i + 1, width: f.width, height: f.height, pixels: Buffer.from(f.data) }, []));
    }
    const matches = perFrame.flatMap((obs, i) => obs.filter((o) => o.match).map((o) => ({ t: i / fps, o })));
    assert.ok(matches.every((m) => m.o.match!.identity === lin), `only Miranda matches: ${JSON.stringify(matches.map((m) => m.o.match))}`);
    const linFrames = new Set(matches.map((m) => m.t));
    assert.ok(linFrames.size >= 6, `Miranda matched in ${linFrames.size} frames`);
    for (const m of matches) {
      // he sings at the right of the stage (first seconds) or in close-up (about 3.5 s to 8 s); the audience shots
      // at the end (the Obamas and guests) and the pianist at the left must not match him
      const cx = (m.o.box[0] + m.o.box[2]) / 2;
      assert.ok(m.t < 8, `no match in the audience shots (t=${m.t})`);
      assert.ok(cx > 0.2, `the pianist is not Miranda (t=${m.t}, cx=${cx.toFixed(2)})`);
      assert.ok(m.o.match!.distance < 0.6);
    }
    const counted = await ctx.metrics.getSingleMetric('vigil_faces_total')!.get();
    const matchedCount = counted.values.find((v) => v.labels.result === 'match' && v.labels.camera === 'hamilton')?.value ?? 0;
    assert.ok(matchedCount >= matches.length, `vigil_faces_total{result="match"} = ${matchedCount}`);
    // the audience shots do have faces, all unknown
    const audience = perFrame.slice(Math.ceil(8.5 * fps)).flat();
    assert.ok(audience.length >= 3, `${audience.length} audience faces`);
    assert.ok(audience.every((o) => !o.match && o.embedding?.length === 128));
  });

  it('stores unknown faces only when faces.storeUnknown is set, then with the TTL', async () => {
    assert.ok(stage);
    const frames = await videoFrames(path.join(MEDIA, 'faces', 'short_hamilton_clip.mp4'), 640, 360, 1, 10);
    const audience = frames[9]!;
    const frame = { camera: 'hamilton', seq: 1000, width: 640, height: 360, pixels: Buffer.from(audience.data) };
    const unknownKeys = async (): Promise<string[]> => ctx.redis('scan').keys(`${ctx.keys.unknownFace('*')}`);
    const seen = await stage.process(frame, []);
    assert.ok(seen.some((o) => !o.match));
    assert.deepEqual(await unknownKeys(), [], 'off by default');
    ctx.reload({ ...ctx.config, faces: { ...ctx.config.faces, storeUnknown: true, unknownTtlSeconds: 120 } });
    const again = await stage.process({ ...frame, seq: 1001 }, []);
    const keys = await unknownKeys();
    assert.equal(keys.length, again.filter((o) => !o.match).length);
    const ttl = await ctx.redis('scan').ttl(keys[0]!);
    assert.ok(ttl > 0 && ttl <= 120, `ttl ${ttl}`);
    const stored = JSON.parse((await ctx.redis('scan').get(keys[0]!))!) as { camera: string; embedding: number[] };
    assert.equal(stored.camera, 'hamilton');
    assert.equal(stored.embedding.length, 128);
  });

  it('processes nothing for a camera without faces enabled (privacy)', async () => {
    assert.ok(stage);
    const blank = Buffer.alloc(640 * 360 * 3, 128);
    assert.deepEqual(await stage.process({ camera: 'private', seq: 1, width: 640, height: 360, pixels: blank }, []), []);
  });
});

/**
 * The path the detect workers take with the default config: YOLOX person boxes, faces searched in the boxes' head
 * regions with the SSD-MobileNetV1 face detector built from face-api's weights.
 */
describe('face stage in person boxes with the default detector (Hamilton clip, YOLOX + SSD, redis)', function () {
  this.timeout(180_000);
  let ctx: Context;
  let stage: FaceStage | undefined;
  let detector: Detector | undefined;

  before(() => {
    ctx = testContext({
      models: {
        dir: BUILT_MODELS,
        detector: { family: 'yolox', file: path.join(MODELS, 'yolox_nano.onnx'), device: 'cpu' },
      },
      detect: { workers: 1, threadsPerWorker: 1 },
      cameras: [{ id: 'hamilton', url: path.join(MEDIA, 'faces', 'short_hamilton_clip.mp4'), faces: { enabled: true } }],
    });
  });
  after(async () => {
    await children.stopAll();
    await detector?.close();
    await stage?.stop();
    await cleanup(ctx);
  });

  it('finds and matches Miranda inside his person box', async () => {
    assert.equal(ctx.config.faces.detector, 'ssd_mobilenetv1');
    assert.equal(ctx.config.faces.wholeFrame, false);
    stage = await createFaceStage(ctx, new CamerasInEffect(ctx, 'test'));
    assert.ok(stage);
    detector = await createDetector(ctx);
    const models = await sharedFaceModels(ctx, () => Promise.reject(new Error('the stage loaded them')));
    const emb = await embedEnrolmentImages(models, [readFileSync(path.join(MEDIA, 'faces', 'lin-manuel-miranda.png'))], { maxBytes: 10_000_000 });
    const lin = (await new WatchlistStore(ctx.redis('enrol'), ctx.keys).add('Lin-Manuel Miranda', emb)).id;
    await waitFor(() => stage!.readiness().length === 0, 5000, 'watchlist');
    const frames = await videoFrames(path.join(MEDIA, 'faces', 'short_hamilton_clip.mp4'), 640, 360, 1, 8);
    let linFrames = 0;
    let inPersonBoxes = 0;
    await waitFor(() => stage!.knows(lin), 5000, 'the new identity reaching the stage by pub/sub');
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      const { detections } = await detector.detect({ pixels: new Uint8Array(f.data), width: f.width, height: f.height });
      const obs = await stage.process({ camera: 'hamilton', seq: i, width: f.width, height: f.height, pixels: Buffer.from(f.data) }, detections);
      for (const o of obs) {
        assert.ok(o.detectionIndex !== undefined && detections[o.detectionIndex]!.label === 'person', 'faces come from person boxes');
        inPersonBoxes++;
        assert.ok(!o.match || o.match.identity === lin);
      }
      if (obs.some((o) => o.match?.identity === lin)) {
        linFrames++;
      }
    }
    assert.ok(inPersonBoxes >= 4, `${inPersonBoxes} faces found in person boxes`);
    assert.ok(linFrames >= 3, `Miranda matched in ${linFrames} of ${frames.length} frames`);
  });
});
