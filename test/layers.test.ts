/**
 * The layer and lint checks of `npm test` (scripts/static-checks.sh) fail on what they are there to stop: the
 * project's own .dependency-cruiser.cjs run over a small tree with a cycle and upward and sideways imports, and the
 * project's eslint.config.cjs on a disable comment without a reason. Each has a clean counterpart that passes, so a
 * config that forbids everything (or nothing) fails here too.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { ESLint } from 'eslint';

const ROOT = resolve(__dirname, '..');
const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

function writeTree(dir: string, files: Record<string, string>): void {
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', strict: true } }));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), text);
  }
}

/** Runs the project's cruiser config in `dir`; resolves to its exit status and report. */
/** The text without ANSI colour sequences. */
const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

async function cruise(dir: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [DEPCRUISE, 'src', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'err'],
      // Colours off: under CI=true the reporter colours its output, which the matches below do not expect.
      { cwd: dir, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } },
    );
    return { code: 0, out: plain(stdout) };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: plain(`${e.stdout ?? ''}${e.stderr ?? ''}`) };
  }
}

describe('layers (.dependency-cruiser.cjs)', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-layers-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fails on a cycle, an upward import, a stage importing another stage and a folder with no layer', async () => {
    writeTree(dir, {
      'src/core/a.ts': "import { b } from './b';\nexport const a = (): number => b();\n",
      'src/core/b.ts': "import { a } from './a';\nexport const b = (): number => a.length;\n",
      'src/core/up.ts': "import { api } from '../api/server';\nexport const up = api;\n",
      'src/api/server.ts': 'export const api = 1;\n',
      'src/ingest/x.ts': "import { y } from '../detect/y';\nexport const x = y;\n",
      'src/detect/y.ts': "import { t } from '../track/t';\nexport const y = t;\n",
      'src/track/t.ts': "import { z } from '../alerts/rules/z';\nexport const t = z;\n",
      'src/alerts/rules/z.ts': "import { t } from '../../faces/t';\nexport const z = t;\n",
      'src/faces/t.ts': 'export const t = 1;\n',
      'src/detect/f.ts': "import { faces } from '../faces';\nexport const f = faces;\n",
      'src/faces/index.ts': 'export const faces = 1;\n',
      'src/config/c.ts': "import { d } from '../daemon/d';\nexport const c = d;\n",
      'src/daemon/d.ts': "import { m } from '../bench/m';\nexport const d = m;\n",
      'src/bench/m.ts': 'export const m = 1;\n',
      'src/stuff/s.ts': "import { m } from '../bench/m';\nexport const s = m;\n",
    });
    const { code, out } = await cruise(dir);
    assert.notEqual(code, 0, out);
    for (const [rule, edge] of [
      ['no-circular', 'src/core/a.ts'],
      ['core-imports-only-core', 'src/core/up.ts → src/api/server.ts'],
      ['stage-imports-another-stage', 'src/ingest/x.ts → src/detect/y.ts'],
      ['stage-imports-another-stage', 'src/detect/y.ts → src/track/t.ts'],
      ['stage-imports-another-stage', 'src/detect/f.ts → src/faces/index.ts'],
      ['alerts-below-the-stages', 'src/alerts/rules/z.ts → src/faces/t.ts'],
      ['config-imports-only-core', 'src/config/c.ts → src/daemon/d.ts'],
      ['daemon-below-the-top', 'src/daemon/d.ts → src/bench/m.ts'],
      ['unknown-folder', 'src/stuff/s.ts'],
    ]) {
      assert.match(out, new RegExp(`${rule}: ${edge.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`), `${rule} not reported:\n${out}`);
    }
  });

  it('passes a tree that keeps the layers: downward imports (a stage on the alert domain), stages put together by the daemon', async () => {
    writeTree(dir, {
      'src/core/types.ts': 'export interface Frame { seq: number }\nexport type Faces = (f: Frame) => number;\n',
      'src/config/schema.ts': "import type { Frame } from '../core/types';\nexport type F = Frame;\n",
      'src/faces/index.ts': "import type { F } from '../config/schema';\nexport const faces = (f: F): number => f.seq;\n",
      'src/detect/index.ts': "import type { Faces } from '../core/types';\nexport const detect = (faces: Faces): Faces => faces;\n",
      'src/alerts/index.ts': 'export const rules = 1;\n',
      'src/alerts/rules/line.ts': "import type { F } from '../../config/schema';\nexport const line = (f: F): number => f.seq;\n",
      'src/track/index.ts': "import { rules } from '../alerts';\nimport { line } from '../alerts/rules/line';\nexport const track = [rules, line];\n",
      'src/ws/hub.ts': "import { track } from '../track';\nexport const hub = track;\n",
      'src/api/index.ts': "import { hub } from '../ws/hub';\nimport { detect } from '../detect';\nexport const api = [hub, detect];\n",
      'src/daemon/index.ts': "import { api } from '../api';\nimport { detect } from '../detect';\nimport { faces } from '../faces';\nexport const daemon = [api, detect(faces)];\n",
      'src/main.ts': "import { daemon } from './daemon';\nexport const main = daemon;\n",
    });
    const { code, out } = await cruise(dir);
    assert.equal(code, 0, out);
  });
});

describe('eslint.config.cjs', function () {
  this.timeout(60_000);
  const lint = async (text: string): Promise<string[]> => {
    const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: join(ROOT, 'eslint.config.cjs') });
    const [result] = await eslint.lintText(text, { filePath: join(ROOT, 'src', 'core', 'lint-probe.ts') });
    return result.messages.map((m) => `${m.ruleId ?? 'directive'}: ${m.message}`);
  };

  it('refuses a disable comment without a reason, and one no longer needed', async () => {
    const noReason = await lint("// eslint-disable-next-line @typescript-eslint/no-require-imports\nexport const v = require('node:v8');\n");
    assert.ok(noReason.some((m) => m.startsWith('vigil/disable-needs-reason')), noReason.join('\n'));
    const unused = await lint('// eslint-disable-next-line curly -- nothing to excuse here\nexport const v = 1;\n');
    assert.ok(unused.some((m) => /Unused eslint-disable directive/.test(m)), unused.join('\n'));
  });

  it('accepts a disable comment that says why', async () => {
    const ok = await lint("// eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily\nexport const v = require('node:v8');\n");
    assert.deepEqual(ok, []);
  });
});

/** Every .ts file under src/, as [path relative to the repo, text]. */
function sources(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        walk(p);
      } else if (e.name.endsWith('.ts')) {
        out.push([p.slice(ROOT.length + 1), readFileSync(p, 'utf8')]);
      }
    }
  };
  walk(join(ROOT, 'src'));
  return out;
}

describe('src comments', () => {
  it('cite documents of the repo, not ones outside it (a brief, an issue number, CONTRACT.md)', () => {
    const bad: string[] = [];
    for (const [file, text] of sources()) {
      text.split('\n').forEach((line, i) => {
        const comment = /^\s*(\/\/|\/\*|\*)/.test(line) ? line : (/\/\/.*$/.exec(line)?.[0] ?? '');
        if (/CONTRACT|team brief|\bissue \d+|faces issue|the issue's/i.test(comment)) {
          bad.push(`${file}:${i + 1}: ${line.trim()}`);
        }
      });
    }
    assert.deepEqual(bad, []);
  });
});

describe('src file sizes', () => {
  it('a file of src/ over 350 lines says why in its header ("Over 350 lines on purpose: ...")', () => {
    const long: string[] = [];
    for (const [file, text] of sources()) {
      const lines = text.split('\n');
      const count = lines.length - (text.endsWith('\n') ? 1 : 0);
      if (count > 350 && !/Over 350 lines on purpose: \S/.test(lines.slice(0, 60).join('\n'))) {
        long.push(`${file}: ${count} lines`);
      }
    }
    assert.deepEqual(long, []);
  });
});
