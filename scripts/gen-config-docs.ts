// Writes docs/config.md from the config schema: every key with its type, default and bounds (from zod's JSON
// Schema) and its description (the TSDoc line above the key in src/config/schema/*.ts).
// Run: npx tsx scripts/gen-config-docs.ts   (test/config/docs.test.ts fails when docs/config.md is stale)
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { configSchema } from '../src/config/schema';

type Js = {
  type?: string | string[];
  properties?: Record<string, Js>;
  items?: Js;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  anyOf?: Js[];
  pattern?: string;
  minItems?: number;
};

const ROOT = path.join(__dirname, '..');
const SCHEMA_DIR = path.join(ROOT, 'src', 'config', 'schema');

/** key -> description, from `/** text *\/` comments directly above `key:` lines. */
function descriptions(): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of readdirSync(SCHEMA_DIR)) {
    const src = readFileSync(path.join(SCHEMA_DIR, f), 'utf8');
    const re = /\/\*\*\s*((?:(?!\*\/)[\s\S])*?)\*\/\s*\n\s*([A-Za-z_]+)\s*:/g;
    for (let m = re.exec(src); m; m = re.exec(src)) {
      const text = m[1].replace(/\n\s*\*\s?/g, ' ').replace(/\s+/g, ' ').trim();
      const key = `${f.replace(/\.ts$/, '')}:${m[2]}`;
      out.set(key, text);
    }
  }
  return out;
}

/** Top-level section -> the schema file that declares it. */
const SECTION_FILES: Record<string, string> = { mqtt: 'webhooks', track: 'alerts', log: 'index' };

function typeOf(s: Js): string {
  if (s.enum) {
    return s.enum.map((e) => JSON.stringify(e)).join(' \\| ');
  }
  if (s.anyOf) {
    return s.anyOf.map(typeOf).join(' \\| ');
  }
  if (s.type === 'array') {
    return `array of ${s.items ? typeOf(s.items) : 'any'}`;
  }
  return Array.isArray(s.type) ? s.type.join(' \\| ') : (s.type ?? 'any');
}

function bounds(s: Js): string {
  const parts: string[] = [];
  if (s.minimum !== undefined) {
    parts.push(`≥ ${s.minimum}`);
  }
  if (s.maximum !== undefined) {
    parts.push(`≤ ${s.maximum}`);
  }
  if (s.minItems !== undefined) {
    parts.push(`at least ${s.minItems} items`);
  }
  if (s.pattern) {
    parts.push(`\`${s.pattern.replace(/\|/g, "\\|")}\``);
  }
  return parts.join(', ');
}

export function render(): string {
  const js = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Js;
  const desc = descriptions();
  const rows: string[] = [];
  const walk = (s: Js, at: string, section: string) => {
    const key = at.split(/[.[\]]/).filter(Boolean).pop() ?? at;
    const d = (desc.get(`${SECTION_FILES[section] ?? section}:${key}`) ?? '').replace(/@defaultValue\s*\S.*$/, '').replace(/\|/g, '\\|');
    if (at) {
      const def = s.default === undefined ? '' : `\`${JSON.stringify(s.default)}\``;
      rows.push(`| \`${at}\` | ${typeOf(s)} | ${def} | ${bounds(s)} | ${d} |`);
    }
    if (s.properties) {
      for (const [k, v] of Object.entries(s.properties)) {
        walk(v, at ? `${at}.${k}` : k, section || k);
      }
    } else if (s.type === 'array' && s.items?.properties) {
      for (const [k, v] of Object.entries(s.items.properties)) {
        walk(v, `${at}[].${k}`, section);
      }
    }
  };
  walk(js, '', '');
  return [
    '# Configuration reference',
    '',
    'Generated from the schema (`npx tsx scripts/gen-config-docs.ts`). Unknown keys are errors at every level;',
    '`${NAME}` in any string is replaced by the environment variable NAME. Coordinates are fractions of the frame.',
    '',
    '| key | type | default | bounds | description |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (require.main === module) {
  writeFileSync(path.join(ROOT, 'docs', 'config.md'), render());
}
