import assert from 'node:assert/strict';
import { parseConfig, formatPath } from '../../src/config/load';
import { ConfigError } from '../../src/core/errors';

function problems(yaml: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(yaml, { VIGIL_NO_DEMO: '1', ...env });
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('parseConfig', () => {
  it('accepts an empty file with defaults', () => {
    const c = parseConfig('', { VIGIL_NO_DEMO: '1' });
    assert.equal(c.redis.prefix, 'vigil');
    assert.equal(c.server.port, 8080);
    assert.ok(Object.isFrozen(c.cameras));
  });
  it('reports a number out of range with its path', () => {
    assert.deepEqual(problems('cameras:\n  - {id: a, url: "rtsp://x/y"}\n  - {id: b, url: "rtsp://x/z", detect: {fps: 100}}\n'), [
      'cameras[1].detect.fps: must be a number between 0.1 and 60',
    ]);
  });
  it('reports unknown keys', () => {
    assert.deepEqual(problems('server: {prot: 1}\n'), ['server: Unrecognized key: "prot"']);
  });
  it('reports a bad id', () => {
    assert.match(problems('cameras:\n  - {id: "Front Door", url: "rtsp://x/y"}\n')[0], /^cameras\[0\]\.id: must match/);
  });
  it('reports a bad camera URL', () => {
    assert.match(problems('cameras:\n  - {id: a, url: "ftp://x/y"}\n')[0], /^cameras\[0\]\.url: scheme "ftp:" is not allowed/);
    assert.match(problems('cameras:\n  - {id: a, url: "media/x.mp4"}\n')[0], /^cameras\[0\]\.url: must be an rtsp:\/\/.* or a file path starting with \//);
  });
  it('reports a missing environment variable', () => {
    assert.deepEqual(problems('server:\n  tokens: [{name: soc, token: "${VIGIL_TOKEN}", role: admin}]\n').slice(0, 1), [
      'server.tokens[0].token: environment variable VIGIL_TOKEN is not set',
    ]);
  });
  it('substitutes environment variables', () => {
    const c = parseConfig('server:\n  tokens: [{name: soc, token: "${T}", role: admin}]\n', { T: 'x'.repeat(20), VIGIL_NO_DEMO: '1' });
    assert.equal(c.server.tokens[0].token, 'x'.repeat(20));
  });
  it('reports an unknown rule type listing the valid ones', () => {
    assert.match(problems('rules:\n  - {id: r, type: nope}\n')[0], /^rules\[0\]\.type: must be one of zone_enter, .*camera_down$/);
  });
  it('reports a rule naming a zone its camera lacks', () => {
    assert.deepEqual(
      problems('cameras:\n  - {id: a, url: "rtsp://x/y"}\nrules:\n  - {id: r, type: zone_enter, camera: a, zone: lawn}\n'),
      ['rules[0].zone: camera "a" has no zone "lawn"'],
    );
  });
  it('reports a missing required rule field', () => {
    assert.deepEqual(problems('cameras:\n  - {id: a, url: "rtsp://x/y", zones: [{id: z, polygon: [[0,0],[1,0],[1,1]]}]}\nrules:\n  - {id: r, type: loiter, zone: z}\n'), [
      'rules[0].seconds: is required for loiter rules',
    ]);
  });
  it('reports a zone with too few points and out-of-frame coordinates', () => {
    const p = problems('cameras:\n  - id: a\n    url: rtsp://x/y\n    zones: [{id: z, polygon: [[0,0],[1.5,0]]}]\n');
    assert.ok(p.includes('cameras[0].zones[0].polygon[1][0]: must be between 0 and 1'), p.join('\n'));
    assert.ok(p.includes('cameras[0].zones[0].polygon: a zone needs at least 3 points'), p.join('\n'));
  });
  it('reports duplicate camera ids', () => {
    assert.deepEqual(problems('cameras:\n  - {id: a, url: "rtsp://x/y"}\n  - {id: a, url: "rtsp://x/z"}\n'), [
      'cameras[1].id: duplicate camera id "a"',
    ]);
  });
  it('refuses realtime: false on a live stream, accepts it on a file', () => {
    assert.deepEqual(problems('cameras:\n  - {id: a, url: "rtsp://x/y", realtime: false}\n'), [
      'cameras[0].realtime: realtime: false is only for file inputs (a live stream cannot be paused)',
    ]);
    const c = parseConfig('cameras:\n  - {id: a, url: /media/x.mp4, realtime: false}\n', { VIGIL_NO_DEMO: '1' });
    assert.equal(c.cameras[0].realtime, false);
    assert.equal(parseConfig('cameras:\n  - {id: a, url: /media/x.mp4}\n', { VIGIL_NO_DEMO: '1' }).cameras[0].realtime, true);
  });
  it('refuses a non-loopback listener without tokens', () => {
    assert.match(problems('server: {host: 0.0.0.0}\n')[0], /^server\.host: with no server\.tokens/);
  });
  it('reports YAML syntax errors', () => {
    assert.match(problems('cameras: [\n')[0], /^\(yaml\):/);
  });
  it('reports a wrong type', () => {
    assert.match(problems('cameras: {}\n')[0], /^cameras: /);
  });
  it('applies VIGIL_* overrides', () => {
    const c = parseConfig('', { VIGIL_PORT: '9999', VIGIL_REDIS_URL: 'redis://h:1', VIGIL_MODELS_DIR: '/m', VIGIL_NO_DEMO: '1' });
    assert.equal(c.server.port, 9999);
    assert.equal(c.redis.url, 'redis://h:1');
    assert.equal(c.models.dir, '/m');
  });
  it('adds the demo camera when none is configured', () => {
    const c = parseConfig('', { VIGIL_TEST_MEDIA: process.env.VIGIL_TEST_MEDIA ?? '/nonexistent' });
    assert.equal(c.cameras.length, 1);
    assert.equal(c.cameras[0].id, 'demo');
  });
});

describe('formatPath', () => {
  it('formats indexes and keys', () => {
    assert.equal(formatPath(['cameras', 1, 'detect', 'fps']), 'cameras[1].detect.fps');
    assert.equal(formatPath([]), '(root)');
  });
});
