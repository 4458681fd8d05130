import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { buildModels, FACE_MODEL_FILES, modelRecipes } from '../../src/models/build';
import { nullLogger } from '../../src/core/logger';

describe('buildModels', function () {
  this.timeout(60_000);
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-models-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('knows the six files, with stable names', () => {
    assert.deepEqual(
      modelRecipes().map((r) => r.file),
      [
        'detectnet_resnet18_960x544.onnx',
        'detectnet_resnet18_640x384.onnx',
        'face_recognition.onnx',
        'face_landmark_68.onnx',
        'ssd_mobilenetv1.onnx',
        'tiny_face_detector.onnx',
      ],
    );
  });

  it('writes a loadable ONNX file, skips it when present, rewrites it with force', async () => {
    const log = nullLogger();
    const only = [FACE_MODEL_FILES.landmarks];
    const first = await buildModels(dir, log, { only });
    const path = join(dir, FACE_MODEL_FILES.landmarks);
    assert.deepEqual(first, [path]);
    const bytes = await readFile(path);
    const session = await ort.InferenceSession.create(bytes);
    assert.deepEqual(session.inputNames, ['input']);
    assert.deepEqual(session.outputNames, ['landmarks']);
    await session.release();

    const mtime = (await stat(path)).mtimeMs;
    assert.deepEqual(await buildModels(dir, log, { only }), [], 'present: not rebuilt');
    assert.equal((await stat(path)).mtimeMs, mtime);
    assert.deepEqual(await buildModels(dir, log, { only, force: true }), [path], 'force: rebuilt');
  });
});
