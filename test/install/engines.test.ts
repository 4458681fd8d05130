import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * A quiet install: every locked dependency's `engines.node` admits every Node version package.json's `engines` admits,
 * so npm never prints EBADENGINE (cookie@2 wanted Node 22 while Vigil said 20). Checked at the lowest version we
 * accept and at later majors. A small evaluator for the range forms npm packages use (>=, ^, ~, x-ranges, ||, spaces).
 */

const root = path.resolve(__dirname, '..', '..');

type Version = [number, number, number];

function parseVersion(v: string): Version | undefined {
  const m = /^v?(\d+|[x*])(?:\.(\d+|[x*]))?(?:\.(\d+|[x*]))?/i.exec(v.trim());
  if (!m) {
    return undefined;
  }
  const n = (s: string | undefined) => (s === undefined || /[x*]/i.test(s) ? -1 : Number(s));
  return [n(m[1]), n(m[2]), n(m[3])];
}

function cmp(a: Version, b: Version): number {
  for (let i = 0; i < 3; i++) {
    if (a[i] !== b[i]) {
      return a[i] - b[i];
    }
  }
  return 0;
}

/** Pure: does `version` (x.y.z) satisfy `range`? Throws on a form it does not know, so the test cannot pass blindly. */
export function satisfies(version: string, range: string): boolean {
  const v = parseVersion(version)!;
  return range.split('||').some((alt) => {
    const parts = alt.trim().replace(/(>=|<=|>|<|=|\^|~)\s+/g, '$1').split(/\s+/).filter(Boolean);
    return parts.every((p) => {
      if (p === '*' || p === '') {
        return true;
      }
      const m = /^(>=|<=|>|<|=|\^|~)?(.*)$/.exec(p)!;
      const op = m[1] ?? '';
      const r = parseVersion(m[2]);
      if (!r) {
        throw new Error(`unknown range "${range}"`);
      }
      const floor: Version = [r[0], Math.max(0, r[1]), Math.max(0, r[2])];
      switch (op) {
        case '>=':
          return cmp(v, floor) >= 0;
        case '>':
          return cmp(v, floor) > 0;
        case '<':
          return cmp(v, floor) < 0;
        case '<=':
          return cmp(v, floor) <= 0;
        case '^':
          return cmp(v, floor) >= 0 && (r[0] > 0 ? v[0] === r[0] : v[0] === 0 && v[1] === r[1]);
        case '~':
          return cmp(v, floor) >= 0 && v[0] === r[0] && (r[1] < 0 || v[1] === r[1]);
        default:
          // x-ranges and bare versions: `20`, `10.*`, `20.19.0`
          return r.every((x, i) => x < 0 || x === v[i]);
      }
    });
  });
}

describe('install: dependency engines agree with package.json', () => {
  const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { engines?: { node?: string } | string[]; optional?: boolean; os?: string[] }>;
  };

  it('the range evaluator knows the forms it meets', () => {
    assert.equal(satisfies('20.19.0', '>=20.9.0'), true);
    assert.equal(satisfies('20.5.0', '>=20.9.0'), false);
    assert.equal(satisfies('20.19.0', '^20.19.0 || >=22.12.0'), true);
    assert.equal(satisfies('21.0.0', '^20.19.0 || >=22.12.0'), false);
    assert.equal(satisfies('22.0.0', '>=22'), true);
    assert.equal(satisfies('20.19.0', '>=22'), false);
    assert.equal(satisfies('20.19.0', '18 || 20 || >=22'), true);
    assert.equal(satisfies('21.1.0', '18 || 20 || >=22'), false);
    assert.equal(satisfies('20.19.0', '>=16 || 14 >=14.17'), true);
    assert.equal(satisfies('20.19.0', '10.* || >= 12.*'), true);
    assert.equal(satisfies('20.19.0', '>= 0.4'), true);
  });

  it('every locked package admits the lowest Node version Vigil accepts, and later majors', () => {
    const floor = /^>=\s*(\d+\.\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
    assert.ok(floor, `package.json engines.node is a plain floor (got ${pkg.engines.node})`);
    const versions = [floor, '22.12.0', '24.0.0'];
    const bad: string[] = [];
    for (const [where, p] of Object.entries(lock.packages)) {
      const range = p.engines && !Array.isArray(p.engines) ? p.engines.node : undefined;
      // Platform packages for other systems (sharp's win32-ia32 wants ^20.9.0 only) are never installed here.
      if (!range || where === '' || (p.optional && p.os && !p.os.includes(process.platform))) {
        continue;
      }
      for (const v of versions) {
        if (!satisfies(v, range)) {
          bad.push(`${where.replace(/^.*node_modules\//, '')}: engines.node "${range}" excludes Node ${v}`);
        }
      }
    }
    assert.deepEqual(bad, []);
  });

  it('.npmrc holds only settings npm knows (an unknown key makes npm 11 warn on every command)', () => {
    const keys = readFileSync(path.join(root, '.npmrc'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'))
      .map((l) => l.split('=')[0].trim());
    assert.deepEqual(keys.filter((k) => !['ignore-scripts', 'fund', 'audit'].includes(k)), []);
  });
});
