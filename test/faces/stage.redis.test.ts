import assert from 'node:assert/strict';
import path from 'node:path';
import { CamerasInEffect } from '../../src/config/cameras-in-effect';
import { putCameraOverride } from '../../src/config/camera-overrides';
import type { Context } from '../../src/config/context';
import { FaceStage } from '../../src/faces';
import { cleanup, testContext } from '../api/helpers';
import { MODELS, waitFor } from '../helpers';

/**
 * FaceStage as the detect role holds it: it loads nothing while no camera in effect has faces on, starts when one
 * is switched on through the API, processes only cameras with faces on, and processes nothing once stopped.
 */
describe('FaceStage: started by the cameras in effect (redis) @integration', function () {
  this.timeout(60_000);
  let ctx: Context;
  let cameras: CamerasInEffect;
  let stage: FaceStage | undefined;
  const frame = (camera: string) => ({ camera, seq: 1, width: 64, height: 48, pixels: Buffer.alloc(64 * 48 * 3) });

  beforeEach(() => {
    ctx = testContext({
      models: { dir: MODELS },
      faces: { detector: 'ultraface', ultrafaceFile: path.join(MODELS, 'ultraface-rfb-320.onnx'), wholeFrame: true },
      cameras: [
        { id: 'door', url: '/dev/null' },
        { id: 'yard', url: '/dev/null' },
      ],
    });
    cameras = new CamerasInEffect(ctx, 'test');
  });
  afterEach(async () => {
    await stage?.stop();
    stage = undefined;
    await cameras.stop();
    await cleanup(ctx);
  });

  it('starts once a camera has faces on, looks only at such cameras, and at nothing once stopped', async () => {
    await cameras.start();
    stage = new FaceStage(ctx, cameras);
    await stage.start();
    assert.equal(stage.running, false, 'no camera with faces: nothing loaded');
    assert.deepEqual(stage.readiness(), []);
    assert.deepEqual(await stage.process(frame('door'), []), []);

    await putCameraOverride(ctx.redis('test'), ctx.keys, { id: 'door', url: '/dev/null', faces: { enabled: true } });
    await waitFor(() => stage!.running, 30_000, 'the face stage started');
    await waitFor(() => stage!.readiness().length === 0, 10_000, 'the watchlist loaded');
    assert.ok(Array.isArray(await stage.process(frame('door'), [])));
    assert.deepEqual(await stage.process(frame('yard'), [{ label: 'person', score: 0.9, box: [0, 0, 1, 1] }]), [], 'yard has faces off');

    await stage.stop();
    assert.equal(stage.running, false);
    assert.deepEqual(await stage.process(frame('door'), []), []);
  });
});
