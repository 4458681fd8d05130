import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseRoles } from '../src/main';
import { ConfigError } from '../src/core/errors';

const BIN = path.join(__dirname, '..', 'bin', 'vigil.js');

function vigil(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, VIGIL_FROM_SOURCE: '1', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('vigil CLI', function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('config check exits 0 on a valid file', async () => {
    const f = path.join(dir, 'ok.yaml');
    writeFileSync(f, 'cameras:\n  - {id: a, url: "rtsp://u:p@10.0.0.1/s"}\n');
    const r = await vigil(['config', 'check', '--config', f]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ok \(1 cameras/);
    assert.doesNotMatch(r.stdout, /u:p@/);
  });
  it('config check exits 2 and prints every problem as PATH: message', async () => {
    const f = path.join(dir, 'bad.yaml');
    writeFileSync(f, 'cameras:\n  - {id: a, url: "rtsp://x/y"}\n  - {id: b, url: "rtsp://x/z", detect: {fps: 100}}\nserver: {port: -1}\n');
    const r = await vigil(['config', 'check', '--config', f]);
    assert.equal(r.code, 2);
    const lines = r.stdout.trim().split('\n');
    assert.ok(lines.includes('cameras[1].detect.fps: must be a number between 0.1 and 60'), r.stdout);
    assert.ok(lines.some((l) => l.startsWith('server.port: ')), r.stdout);
  });
  it('config check exits 2 on a missing file', async () => {
    const r = await vigil(['config', 'check', '--config', path.join(dir, 'nope.yaml')]);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /cannot read/);
  });
  it('an unknown command prints usage and exits 2', async () => {
    const r = await vigil(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stdout, /Usage:/);
  });
});

describe('parseRoles', () => {
  it('defaults to every role', () => {
    assert.deepEqual([...parseRoles(undefined)].sort(), ['api', 'detect', 'ingest', 'track']);
  });
  it('accepts repeated and comma-separated roles', () => {
    assert.deepEqual([...parseRoles(['ingest', 'detect,track'])].sort(), ['detect', 'ingest', 'track']);
  });
  it('rejects an unknown role naming the valid ones', () => {
    assert.throws(() => parseRoles(['gpu']), (e: unknown) => e instanceof ConfigError && /valid: all, ingest/.test(e.problems[0]));
  });
});
