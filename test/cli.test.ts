import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { helpText, parseRoles } from '../src/main';
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
  this.timeout(60_000);
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
  it('config check reports schema errors and cross-checks in one run, and an unset ${VAR} once', async () => {
    const f = path.join(dir, 'many.yaml');
    writeFileSync(
      f,
      [
        'server: { host: 0.0.0.0, port: 8080, tokens: [ { name: soc, token: "${VIGIL_TEST_UNSET_TOKEN}", role: admin } ] }',
        'cameras:',
        '  - { id: a, url: "rtsp://x/y", detect: { fps: 100 } }',
        '  - { id: b, url: "rtsp://x/z", realtime: false }',
        'rules:',
        '  - { id: r1, type: zone_enter, camera: nope, zone: z }',
        '  - { id: r2, type: line_cross, camera: a, line: gate }',
        '',
      ].join('\n'),
    );
    const r = await vigil(['config', 'check', '--config', f], { VIGIL_TEST_UNSET_TOKEN: undefined as unknown as string });
    assert.equal(r.code, 2);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), [
      'cameras[0].detect.fps: must be a number between 0.1 and 60',
      'cameras[1].realtime: realtime: false is only for file inputs (a live stream cannot be paused)',
      'rules[0].camera: unknown camera "nope"',
      'rules[1].line: camera "a" has no line "gate"',
      'server.tokens[0].token: environment variable VIGIL_TEST_UNSET_TOKEN is not set',
    ]);
  });
  it('an unknown command says so, with the nearest command', async () => {
    const typo = await vigil(['strat']);
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /^vigil: unknown command "strat" \(did you mean "start"\?\)/);
    const other = await vigil(['frobnicate']);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /unknown command "frobnicate" \(commands: start, config, models, bench, replay/);
  });
  it('--help works on every command and subcommand, exit 0, with the command\'s own usage', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--help'], /Commands:\n  start/],
      [['help', 'replay'], /^usage: vigil replay --config FILE/],
      [['start', '--help'], /^usage: vigil start \[--config FILE\]/],
      [['config', 'check', '--help'], /^usage: vigil config check/],
      [['config', '--help'], /^usage: vigil config check/],
      [['models', '--help'], /^usage: vigil models list\|verify\|fetch\|build/],
      [['models', 'fetch', '-h'], /^usage: vigil models/],
      [['bench', '--help'], /^usage: vigil bench \[--cameras K\]/],
      [['bench', 'live', '--help'], /^usage: vigil bench live/],
      [['bench', 'soak', '--help'], /^usage: vigil bench soak/],
      [['bench', 'latency', '--help'], /^usage: vigil bench latency/],
      [['bench', 'faults', '--help'], /^usage: vigil bench faults/],
      [['replay', '--help'], /^usage: vigil replay --config FILE/],
    ];
    // In-process (each spawn costs seconds on a loaded machine); one spawn checks the exit status and stdout.
    for (const [args, re] of cases) {
      assert.match(helpText(args) ?? '', re, args.join(' '));
    }
    const r = await vigil(['bench', 'live', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^usage: vigil bench live/);
    assert.equal(helpText(['start', '--config', 'x.yaml']), undefined);
  });
  it('bad options and subcommands are named, with the nearest spelling, exit 2', async () => {
    const cases: Array<[string[], string]> = [
      [['start', '--confg', 'x'], 'vigil start: unknown option --confg (did you mean --config?)'],
      [['config', 'chek'], 'vigil config: unknown command "chek" (did you mean "check"?)'],
      [['models', 'lsit'], 'vigil models: unknown command "lsit" (did you mean "list"?)'],
      [['bench', 'lvie'], 'vigil bench: unknown command "lvie" (did you mean "live"?)'],
      [['replay', '--rules', 'x.yaml'], 'vigil replay: unknown option --rules: it is spelt --config'],
      [['start', '--config'], 'vigil start: --config needs a value'],
    ];
    const results = await Promise.all(cases.map(([args]) => vigil(args)));
    for (const [i, [args, first]] of cases.entries()) {
      const r = results[i];
      assert.equal(r.code, 2, args.join(' '));
      const text = args[0] === 'models' ? r.stdout : r.stderr;
      assert.equal(text.split('\n')[0], first);
      assert.match(text, /usage: vigil /);
    }
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
