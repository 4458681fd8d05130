import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseConfig } from '../../src/config/load';
import { ConfigError } from '../../src/core/errors';

/** Every problem `vigil config check` would print for this YAML. */
function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(yaml, { VIGIL_NO_DEMO: '1', ...env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

const cam = (extra = '') => `cameras:\n  - {id: a, url: "rtsp://x/y"${extra}}\n`;
const ZONE = ', zones: [{id: lawn, polygon: [[0,0],[1,0],[1,1]]}]';

describe('vigil config check (issue 14, item 7)', () => {
  it('a face rule on a camera whose faces are off is reported at the rule', () => {
    assert.deepEqual(problems(`${cam()}rules:\n  - {id: r, type: face_match, camera: a}\n`), [
      'rules[0].camera: face_match rules need faces on their camera, and camera "a" has faces.enabled: false',
    ]);
    assert.deepEqual(problems(`${cam()}rules:\n  - {id: r, type: face_unknown}\n`), [
      'rules[0].type: face_unknown rules need a camera with faces.enabled: true, and no camera has it',
    ]);
    parseConfig(`${cam(', faces: {enabled: true}')}rules:\n  - {id: r, type: face_match, camera: a}\n`, { VIGIL_NO_DEMO: '1' });
  });

  it('a zone or line named by a camera-less rule that no camera has', () => {
    assert.deepEqual(problems(`${cam(ZONE)}rules:\n  - {id: r, type: zone_enter, zone: pool}\n  - {id: s, type: line_cross, line: gate}\n`), [
      'rules[0].zone: no camera has a zone "pool"',
      'rules[1].line: no camera has a line "gate"',
    ]);
    parseConfig(`${cam(ZONE)}rules:\n  - {id: r, type: zone_enter, zone: lawn}\n`, { VIGIL_NO_DEMO: '1' });
  });

  it('duplicate zone and line ids in one camera', () => {
    const yaml =
      'cameras:\n  - id: a\n    url: rtsp://x/y\n    zones: [{id: z, polygon: [[0,0],[1,0],[1,1]]}, {id: z, polygon: [[0,0],[1,0],[1,1]]}]\n' +
      '    lines: [{id: l, points: [[0,0],[1,1]]}, {id: l, points: [[0,0],[1,1]]}]\n';
    assert.deepEqual(problems(yaml), ['cameras[0].zones[1].id: duplicate zone id "z"', 'cameras[0].lines[1].id: duplicate line id "l"']);
  });

  it('the same token twice (whatever the roles), and a blank token', () => {
    const t = 'abcdefghijklmnop-1234';
    assert.deepEqual(problems(`server:\n  tokens: [{name: a, token: ${t}, role: admin}, {name: b, token: ${t}, role: viewer}]\n`), [
      'server.tokens[1].token: the same token as server.tokens[0] (a, admin); each token must be unique',
    ]);
    assert.deepEqual(problems(`server:\n  tokens: [{name: a, token: "${' '.repeat(16)}"}]\n`), [
      'server.tokens[0].token: must be visible ASCII characters without spaces',
    ]);
  });

  it('minArea larger than maxArea', () => {
    assert.deepEqual(problems(`${cam(ZONE)}rules:\n  - {id: r, type: zone_enter, camera: a, zone: lawn, minArea: 0.5, maxArea: 0.1}\n`), [
      'rules[0].minArea: must not be larger than maxArea (0.1): the rule could never match',
    ]);
  });

  it('URLs that can never work', () => {
    const url = (u: string) => problems(`cameras:\n  - {id: a, url: ${JSON.stringify(u)}}\n`);
    assert.deepEqual(url('rtsp://'), ['cameras[0].url: rtsp:// URL has no host']);
    assert.deepEqual(url('rtsp://[::1'), ['cameras[0].url: IPv6 address is missing its closing "]"']);
    assert.deepEqual(url('rtsp://cam:99999/s'), ['cameras[0].url: port must be a number 1..65535']);
    assert.deepEqual(url('rtsp://cam/a b'), ['cameras[0].url: must not contain spaces in its path or query (write them as %20)']);
    assert.deepEqual(url('rtsp://ca m/s'), ['cameras[0].url: host "ca m" has characters a host cannot have']);
    assert.deepEqual(url('rtsp://cam/s\u0000x'), ['cameras[0].url: must not contain control characters (NUL, tab, newline)']);
    assert.match(url('rtsp://user:pa/ss@cam/s')[0], /port must be a number 1\.\.65535 \(a "\/", "\?" or "#" in a password must be percent-encoded/);
    assert.deepEqual(url('concat:/a|/b'), ['cameras[0].url: scheme "concat:" is not allowed (allowed: rtsp, rtsps, http, https, srt, udp, rtmp, file)']);
  });

  it('!!set, !!omap, !!binary and custom tags are errors, not silently dropped sections', () => {
    assert.deepEqual(problems('server: !!set {a, b}\n'), ['server: YAML tag !!set is not supported (use a plain mapping, list or value)']);
    assert.deepEqual(problems('cameras: !!omap [{a: 1}]\n'), ['cameras: YAML tag !!omap is not supported (use a plain mapping, list or value)']);
    assert.match(problems('redis: {prefix: !!binary aGVsbG8=}\n')[0], /^redis\.prefix: YAML tag !!binary is not supported/);
    assert.match(problems('redis: {prefix: !mine x}\n')[0], /^\(yaml\): Unresolved tag: !mine/);
  });

  it('a __proto__ key cannot supply fields', () => {
    assert.deepEqual(problems('cameras:\n  - __proto__: {id: a, url: "rtsp://x/y"}\n'), [
      'cameras[0].__proto__: the key "__proto__" is not allowed',
    ]);
    assert.deepEqual(problems('server: {constructor: {prototype: {port: 1}}}\n'), ['server.constructor: the key "constructor" is not allowed']);
    assert.equal(({} as Record<string, unknown>).id, undefined);
  });

  it('a self-referencing alias and an alias bomb are problems with a path, not a crash', () => {
    assert.deepEqual(problems('cameras: &x [*x]\n'), ['cameras[0]: YAML alias *x refers to a node that contains it (a cycle)']);
    assert.deepEqual(problems('rules:\n  - &r {id: r, type: loiter, x: [*r]}\n'), ['rules[0].x[0]: YAML alias *r refers to a node that contains it (a cycle)']);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [n, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f']]) {
      bomb.push(`${n}: &${n} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    const p = problems(`${bomb.join('\n')}\n`);
    assert.equal(p.length, 1);
    assert.match(p[0], /^b\[0\]: YAML aliases expand too far/);
  });

  it('a deeply nested document is a problem, not a stack overflow', () => {
    // The YAML parser itself gives up first on this one; either way it is a config problem (exit 2), not a crash.
    assert.match(problems(`cameras: ${'['.repeat(5000)}${']'.repeat(5000)}\n`)[0], /^\(yaml\): Maximum call stack size exceeded/);
    assert.deepEqual(problems(`cameras: ${'['.repeat(40)}${']'.repeat(40)}\n`), ['cameras[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]: nested more than 32 levels deep']);
  });
});

describe('vigil config check (CLI exit codes)', function () {
  this.timeout(30_000);
  let dir: string;
  const bin = path.join(__dirname, '..', '..', 'bin', 'vigil.js');
  const run = (file: string) => spawnSync(process.execPath, [bin, 'config', 'check', '--config', file], { encoding: 'utf8', env: { ...process.env, VIGIL_NO_DEMO: '1', VIGIL_FROM_SOURCE: '1' } });

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-check-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 2 with the rule path for a face rule on a faces-off camera', () => {
    const f = path.join(dir, 'faces.yaml');
    writeFileSync(f, `${cam()}rules:\n  - {id: r, type: face_match, camera: a}\n`);
    const r = run(f);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stdout, /^rules\[0\]\.camera: face_match rules need faces on their camera/m);
  });

  it('exits 2 with a path for an alias bomb, a missing file, a directory and an unreadable token file', () => {
    const bomb = path.join(dir, 'bomb.yaml');
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    'bcdefghi'.split('').forEach((n, i) => lines.push(`${n}: &${n} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(', ')}]`));
    writeFileSync(bomb, `${lines.join('\n')}\n`);
    const b = run(bomb);
    assert.equal(b.status, 2, b.stderr);
    assert.match(b.stdout, /^b\[0\]: YAML aliases expand too far/m);

    const missing = run(path.join(dir, 'nope.yaml'));
    assert.equal(missing.status, 2);
    assert.match(missing.stdout, /nope\.yaml: cannot read \(ENOENT\)/);
    const isDir = run(dir);
    assert.equal(isDir.status, 2);
    assert.match(isDir.stdout, /cannot read \(EISDIR\)/);

    const secret = path.join(dir, 'token');
    writeFileSync(secret, 'x'.repeat(20));
    chmodSync(secret, 0o000);
    const f = path.join(dir, 'tokenfile.yaml');
    writeFileSync(f, `server:\n  tokens: [{name: a, tokenFile: ${path.join(dir, 'absent-token')}}]\n`);
    const t = run(f);
    assert.equal(t.status, 2);
    assert.match(t.stdout, /^server\.tokens\[0\]\.tokenFile: cannot read .*absent-token: ENOENT/m);
  });

  it('exits 0 for a valid file', () => {
    const f = path.join(dir, 'ok.yaml');
    writeFileSync(f, `${cam(ZONE)}rules:\n  - {id: r, type: zone_enter, camera: a, zone: lawn}\n`);
    const out = execFileSync(process.execPath, [bin, 'config', 'check', '--config', f], { encoding: 'utf8', env: { ...process.env, VIGIL_NO_DEMO: '1', VIGIL_FROM_SOURCE: '1' } });
    assert.match(out, /ok \(1 cameras, 1 rules/);
  });
});
