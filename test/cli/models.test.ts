import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { run } from '../../src/cli/models';
import { KNOWN_MODELS, fetchModel, findKnownModel, type FetchLike } from '../../src/models/registry';
import { ModelError } from '../../src/core/errors';
import { MODELS } from '../helpers';

const log = pino({ level: 'silent' });

async function cli(args: string[], fetchImpl?: FetchLike) {
  const lines: string[] = [];
  const code = await run(args, log, { out: (s) => lines.push(s), fetchImpl });
  return { code, text: lines.join('\n') };
}

describe('vigil models', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-test-models-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the registry holds the four shared files with their published sha256', () => {
    assert.deepEqual(KNOWN_MODELS.map((m) => m.file), ['yolox_nano.onnx', 'fastestdet.onnx', 'ultraface-rfb-320.onnx', 'ultraface-rfb-640.onnx']);
    assert.equal(findKnownModel('/x/yolox_nano.onnx')?.sha256, '695e750a5d5754bb5a8d5325643b59282191a7e7a564e435a415fd3c578eab14');
    assert.equal(findKnownModel('mine.onnx'), undefined);
  });

  it('list shows what is present and missing, and user files', async () => {
    copyFileSync(join(MODELS, 'fastestdet.onnx'), join(dir, 'fastestdet.onnx'));
    writeFileSync(join(dir, 'mine.onnx'), 'x');
    const r = await cli(['list', '--dir', dir]);
    assert.equal(r.code, 0);
    assert.match(r.text, /present {2}fastestdet\.onnx/);
    assert.match(r.text, /missing {2}yolox_nano\.onnx/);
    assert.match(r.text, /missing {2}detectnet_resnet18_960x544\.onnx/);
    assert.match(r.text, /present {2}mine\.onnx/);
  });

  it('verify passes the real files and fails a corrupted copy, an HTML page and an LFS pointer', async () => {
    assert.equal((await cli(['verify', '--dir', MODELS, 'yolox_nano.onnx', 'fastestdet.onnx'])).code, 0);
    const bytes = readFileSync(join(MODELS, 'fastestdet.onnx'));
    bytes[bytes.length - 10] ^= 0xff;
    writeFileSync(join(dir, 'fastestdet.onnx'), bytes);
    writeFileSync(join(dir, 'yolox_nano.onnx'), '<html>rate limited</html>');
    writeFileSync(join(dir, 'ultraface-rfb-320.onnx'), 'version https://git-lfs.github.com/spec/v1\n');
    const r = await cli(['verify', '--dir', dir]);
    assert.equal(r.code, 1);
    assert.match(r.text, /INVALID .*fastestdet\.onnx: sha256 [0-9a-f]{64} differs/);
    assert.match(r.text, /INVALID .*yolox_nano\.onnx: .*HTML/);
    assert.match(r.text, /INVALID .*ultraface-rfb-320\.onnx: .*LFS/);
  });

  it('fetch saves a download whose sha256 matches, and refuses one that does not', async () => {
    const real = readFileSync(join(MODELS, 'fastestdet.onnx'));
    const urls: string[] = [];
    const good = async (url: string) => (urls.push(url), { ok: true, status: 200, arrayBuffer: async () => real.buffer.slice(real.byteOffset, real.byteOffset + real.length) as ArrayBuffer });
    const r = await cli(['fetch', '--dir', dir, 'fastestdet.onnx'], good);
    assert.equal(r.code, 0, r.text);
    assert.ok(readFileSync(join(dir, 'fastestdet.onnx')).equals(real));
    assert.match(urls[0], /^https:\/\/github\.com\/dog-qiuqiu\/FastestDet\/raw\/50473cd\//);
    const evil = async () => ({ ok: true, status: 200, arrayBuffer: async () => new ArrayBuffer(100) });
    await assert.rejects(fetchModel(dir, 'yolox_nano.onnx', evil), (e: unknown) => e instanceof ModelError && /expected 695e75/.test(e.message));
    assert.equal(existsSync(join(dir, 'yolox_nano.onnx')), false);
  });

  it('fetch offline fails with a message saying where to copy the file', async () => {
    const offline = async () => {
      throw new Error('getaddrinfo ENOTFOUND github.com');
    };
    const r = await cli(['fetch', '--dir', dir, 'yolox_nano.onnx'], offline);
    assert.equal(r.code, 1);
    assert.match(r.text, /ENOTFOUND/);
    assert.match(r.text, new RegExp(`copy the file to ${dir}/yolox_nano\\.onnx`));
  });

  it('build writes the DetectNet_v2 ResNet18 file, which then verifies', async () => {
    const r = await cli(['build', '--dir', dir, 'detectnet_resnet18_640x384.onnx']);
    assert.equal(r.code, 0, r.text);
    assert.match(r.text, /built {4}.*detectnet_resnet18_640x384\.onnx/);
    assert.equal((await cli(['verify', '--dir', dir, 'detectnet_resnet18_640x384.onnx'])).code, 0);
    assert.match((await cli(['build', '--dir', dir, 'detectnet_resnet18_640x384.onnx'])).text, /nothing to build/);
  });

  it('an unknown verb prints the usage and exits 2', async () => {
    const r = await cli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.text, /usage: vigil models/);
  });
});
