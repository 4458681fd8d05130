import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load';
import { ConfigError } from '../../src/core/errors';
import { SEED } from './harness';

const FILES = Number(process.env.VIGIL_FUZZ_CONFIGS ?? 300);

const num = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -1, 1e308, 5, 0.5, 65536, 99999), fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null));
const id = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('a', 'b', 'lawn', 'gate', 'yard') }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) });
const point = fc.tuple(num, num);
const camera = fc.record(
  {
    id,
    url: fc.oneof(
      fc.constantFrom('rtsp://u:p@10.0.0.7/s', 'rtsp://', 'rtsp://[::1', 'rtsp://cam:99999/s', 'rtsp://cam/a b', 'rtsp://cam/s\u0000', 'file:///etc/passwd', 'concat:/a|/b', '/media/x.mp4', 'media/x.mp4', 'http://169.254.169.254/', 'rtsp://${CAM_PASS}@h/s', 'udp://@239.0.0.1:1234'),
      fc.string({ maxLength: 40 }),
    ),
    realtime: fc.boolean(),
    detect: fc.record({ fps: num, width: num }, { requiredKeys: [] }),
    faces: fc.record({ enabled: fc.boolean() }),
    zones: fc.array(fc.record({ id, polygon: fc.array(point, { maxLength: 4 }) }, { requiredKeys: [] }), { maxLength: 3 }),
    lines: fc.array(fc.record({ id, points: fc.array(point, { maxLength: 3 }) }, { requiredKeys: [] }), { maxLength: 2 }),
  },
  { requiredKeys: ['id', 'url'] },
);
const rule = fc.record(
  {
    id,
    type: fc.constantFrom('zone_enter', 'zone_exit', 'line_cross', 'loiter', 'crowd', 'object_left', 'speed', 'face_match', 'face_unknown', 'camera_down', 'nope'),
    camera: fc.option(id, { nil: undefined }),
    zone: fc.option(id, { nil: undefined }),
    line: fc.option(id, { nil: undefined }),
    seconds: num,
    count: num,
    minArea: num,
    maxArea: num,
    schedule: fc.record({ timezone: fc.constantFrom('UTC', 'Mars/Olympus', 'Europe/Paris'), windows: fc.array(fc.record({ from: fc.constantFrom('08:00', '25:00', 'x'), to: fc.constantFrom('18:00', '') }), { maxLength: 2 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['id', 'type'] },
);
const token = fc.record({ name: fc.string({ maxLength: 8 }), token: fc.oneof(fc.constantFrom('admin-token-0123456789abcdef', ' '.repeat(16), 'short', '${VIGIL_TOKEN}'), fc.string({ maxLength: 30 })), role: fc.constantFrom('admin', 'viewer', 'root') }, { requiredKeys: [] });
const configObject = fc.record(
  {
    redis: fc.record({ url: fc.constantFrom('redis://127.0.0.1:6379', 'http://x', ''), prefix: fc.string({ maxLength: 70 }) }, { requiredKeys: [] }),
    server: fc.record({ host: fc.constantFrom('127.0.0.1', '0.0.0.0', '::1', '127.0.0.2'), port: num, tokens: fc.array(token, { maxLength: 3 }), tls: fc.record({ cert: fc.constantFrom('/nonexistent.pem', '/etc/hostname'), key: fc.constant('/nonexistent.key') }) }, { requiredKeys: [] }),
    sources: fc.record({ schemes: fc.array(fc.constantFrom('rtsp', 'http', 'ftp'), { maxLength: 3 }), files: fc.record({ enabled: fc.boolean(), roots: fc.array(fc.constantFrom('/media', 'media', ''), { maxLength: 2 }), api: fc.boolean() }, { requiredKeys: [] }), denyHosts: fc.array(fc.constantFrom('169.254.0.0/16', 'x/y/z', '*.evil'), { maxLength: 2 }) }, { requiredKeys: [] }),
    cameras: fc.array(camera, { maxLength: 4 }),
    rules: fc.array(rule, { maxLength: 4 }),
    faces: fc.record({ threshold: num, maxConcurrentEnrolments: num }, { requiredKeys: [] }),
    unknown: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

/** Configs that should mostly be valid: the fuzzer must also see the success path. */
const plausible = fc
  .record({
    fps: fc.double({ min: 0.1, max: 60, noNaN: true }),
    faces: fc.boolean(),
    host: fc.constantFrom('127.0.0.1', '::1', 'localhost'),
    url: fc.constantFrom('rtsp://u:p%40ss@10.0.0.7:554/s', 'rtsps://cam.lan/x', '/media/a.mp4', 'http://127.0.0.1:1984/api/stream.mjpeg'),
    zone: fc.boolean(),
  })
  .map((p) => ({
    server: { host: p.host, port: 8080 },
    cameras: [{ id: 'a', url: p.url, detect: { fps: p.fps }, faces: { enabled: p.faces }, zones: p.zone ? [{ id: 'lawn', polygon: [[0, 0], [1, 0], [1, 1]] }] : [] }],
    rules: p.zone ? [{ id: 'r', type: 'zone_enter', camera: 'a', zone: 'lawn' }] : [],
  }));

/** Text-level damage a YAML file can have that an object cannot express. */
const mutation = fc.constantFrom(
  (t: string) => t,
  (t: string) => t,
  (t: string) => t.slice(0, Math.floor(t.length / 2)),
  (t: string) => `server: !!set {a, b}\n${t}`,
  (t: string) => t.replace(/^cameras:/m, 'cameras: !!omap'),
  (t: string) => `${t}\nx: !!binary aGVsbG8=\n`,
  (t: string) => `${t}\ny: !custom 1\n`,
  (t: string) => `__proto__: {port: 1}\n${t}`,
  (t: string) => `${t}\nz: &a [*a]\n`,
  (t: string) => `a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n${t}`,
  (t: string) => `${t}\nserver: {}\n`,
  (t: string) => t.replace(/\n/g, '\n\t'),
  (t: string) => `${t}\u0000`,
  (t: string) => `deep: ${'['.repeat(60)}${']'.repeat(60)}\n${t}`,
  (t: string) => `${t}\nlog: {level: ${'9'.repeat(400)}}\n`,
  (t: string) => '\ufeff' + t,
  (t: string) => t.replace(/:/g, ': &x'),
);

describe('fuzz: config files (issue 14, item 5)', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-fuzz-config-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it(`${FILES} generated config files: valid, or every problem as PATH: message; never another error, none over 5 s`, () => {
    const docs = fc.sample(fc.tuple(fc.oneof({ weight: 3, arbitrary: configObject }, { weight: 1, arbitrary: plausible }), mutation), { seed: SEED + 3, numRuns: FILES });
    let valid = 0;
    let problems = 0;
    docs.forEach(([obj, mutate], i) => {
      const file = path.join(dir, `c${i}.yaml`);
      const text = mutate(stringify(obj));
      writeFileSync(file, text);
      const t0 = Date.now();
      try {
        loadConfig(file, { VIGIL_NO_DEMO: '1' });
        valid++;
      } catch (err) {
        assert.ok(err instanceof ConfigError, `#${i} (seed ${SEED + 3}) threw ${String(err)}:\n${text.slice(0, 500)}`);
        assert.ok(err.problems.length > 0);
        for (const p of err.problems) {
          assert.match(p, /^[^\n]+?: [^\n]+/, `#${i}: "${p}"`);
          assert.doesNotMatch(p, /Maximum call stack|undefined: /, `#${i}: "${p}"`);
        }
        problems += err.problems.length;
      }
      assert.ok(Date.now() - t0 < 5000, `#${i} took ${Date.now() - t0} ms`);
    });
    assert.ok(valid > 0 && valid < FILES, `valid ${valid} of ${FILES}`);
    console.log(`      ${FILES} files: ${valid} valid, ${problems} problems reported`);
  });

  it('vigil config check exits 0 or 2 (never 1) on a sample of them', () => {
    const bin = path.join(__dirname, '..', '..', 'bin', 'vigil.js');
    const docs = fc.sample(fc.tuple(configObject, mutation), { seed: SEED + 4, numRuns: 4 });
    docs.forEach(([obj, mutate], i) => {
      const file = path.join(dir, `cli${i}.yaml`);
      writeFileSync(file, mutate(stringify(obj)));
      const r = spawnSync(process.execPath, [bin, 'config', 'check', '--config', file], { encoding: 'utf8', env: { ...process.env, VIGIL_NO_DEMO: '1', VIGIL_FROM_SOURCE: '1' } });
      assert.ok(r.status === 0 || r.status === 2, `exit ${r.status}: ${r.stdout}${r.stderr}`);
    });
  });
});
