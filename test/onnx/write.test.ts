import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onnx } from 'onnx-proto';
import { GraphBuilder, writeModel } from '../../src/onnx';

describe('writeModel', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-onnx-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the encoded model into a new sub-folder and leaves no temp file', async () => {
    const g = new GraphBuilder({ name: 'w' });
    const x = g.input('x', ['N', 1]);
    g.node('Identity', [x], {}, { outputs: ['y'] });
    g.output('y', ['N', 1]);
    const path = join(dir, 'sub', 'm.onnx');
    const n = await writeModel(path, g);
    const bytes = await readFile(path);
    assert.equal(bytes.length, n);
    assert.equal(onnx.ModelProto.decode(bytes).graph?.name, 'w');
    assert.deepEqual(await readdir(join(dir, 'sub')), ['m.onnx']);
  });
});
