import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Alias, isAlias, isMap, isPair, isScalar, isSeq, parseDocument, type Document, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors';
import { cameraSchema, configSchema, ruleSchema, type VigilConfig } from './schema';

/** Formats a zod issue path the way `vigil config check` prints it: `cameras[1].detect.fps`. */
export function formatPath(p: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of p) {
    if (typeof part === 'number') {
      out += `[${part}]`;
    } else {
      out += out === '' ? String(part) : `.${String(part)}`;
    }
  }
  return out === '' ? '(root)' : out;
}

/** Replaces `${NAME}` with the environment variable; each missing variable is a problem at its path. */
export function substituteEnv(
  value: unknown,
  env: NodeJS.ProcessEnv,
  problems: string[],
  at: PropertyKey[] = [],
  missing?: Set<string>,
): unknown {
  if (at.length > MAX_DEPTH) {
    problems.push(`${formatPath(at)}: nested more than ${MAX_DEPTH} levels deep`);
    return undefined;
  }
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) {
        problems.push(`${formatPath(at)}: environment variable ${name} is not set`);
        missing?.add(formatPath(at));
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => substituteEnv(v, env, problems, [...at, i], missing));
  }
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
    problems.push(`${formatPath(at)}: must be a plain value, mapping or list (got ${(value as object).constructor?.name ?? 'an object'})`);
    return undefined;
  }
  if (value && typeof value === 'object') {
    // A prototype-less object: no key can reach Object.prototype, whatever it is called.
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of Object.entries(value)) {
      if (FORBIDDEN_KEYS.has(k)) {
        problems.push(`${formatPath([...at, k])}: the key "${k}" is not allowed`);
        continue;
      }
      out[k] = substituteEnv(v, env, problems, [...at, k], missing);
    }
    return out;
  }
  return value;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) {
      deepFreeze(v);
    }
  }
  return o;
}

/** VIGIL_* variables that override the file. */
function applyOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, problems: string[]): void {
  const section = (name: string): Record<string, unknown> => {
    const s = raw[name];
    if (s === undefined || s === null) {
      raw[name] = {};
    } else if (typeof s !== 'object' || Array.isArray(s)) {
      return {};
    }
    return raw[name] as Record<string, unknown>;
  };
  if (env.VIGIL_REDIS_URL) {
    section('redis').url = env.VIGIL_REDIS_URL;
  }
  if (env.VIGIL_REDIS_PREFIX) {
    section('redis').prefix = env.VIGIL_REDIS_PREFIX;
  }
  if (env.VIGIL_MODELS_DIR) {
    section('models').dir = env.VIGIL_MODELS_DIR;
  }
  if (env.VIGIL_PORT) {
    const port = Number(env.VIGIL_PORT);
    if (!Number.isInteger(port)) {
      problems.push(`VIGIL_PORT: must be a port number 0..65535`);
    } else {
      section('server').port = port;
    }
  }
  if (env.VIGIL_LOG_LEVEL) {
    section('log').level = env.VIGIL_LOG_LEVEL;
  }
  if (env.VIGIL_INSTANCE_ID) {
    section('instance').id = env.VIGIL_INSTANCE_ID;
  }
}

/** A config file larger than this is refused before reading. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;
/** Keys that would reach an object's prototype instead of a field. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** YAML tags a config may use (the JSON-compatible core schema); !!set, !!omap, !!binary and custom tags are not. */
const PLAIN_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq'].map((t) => `tag:yaml.org,2002:${t}`));
/** Deepest nesting a config may have. */
const MAX_DEPTH = 32;

/**
 * Pure: problems of the YAML tree itself, before it becomes values: tags other than the plain ones (they silently
 * turn a section into a Set or Map), keys that would set a prototype, aliases that contain themselves.
 */
export function yamlProblems(doc: Document): string[] {
  const problems: string[] = [];
  const ancestors: unknown[] = [];
  const walk = (node: unknown, at: PropertyKey[]): void => {
    if (problems.length >= 20) {
      return;
    }
    if (at.length > MAX_DEPTH) {
      problems.push(`${formatPath(at)}: nested more than ${MAX_DEPTH} levels deep`);
      return;
    }
    if (isAlias(node)) {
      const target = (node as Alias).resolve(doc);
      if (target !== undefined && ancestors.includes(target)) {
        problems.push(`${formatPath(at)}: YAML alias *${(node as Alias).source} refers to a node that contains it (a cycle)`);
      }
      return;
    }
    const tag = (node as YamlNode | null)?.tag;
    if (tag !== undefined && !PLAIN_TAGS.has(tag)) {
      problems.push(`${formatPath(at)}: YAML tag ${tag.replace('tag:yaml.org,2002:', '!!')} is not supported (use a plain mapping, list or value)`);
      return;
    }
    ancestors.push(node);
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isPair(pair) && isScalar(pair.key) ? pair.key.value : isPair(pair) ? pair.key : undefined;
        const name = typeof key === 'string' || typeof key === 'number' ? String(key) : '(key)';
        if (FORBIDDEN_KEYS.has(name)) {
          problems.push(`${formatPath([...at, name])}: the key "${name}" is not allowed`);
          continue;
        }
        if (key !== null && typeof key === 'object') {
          problems.push(`${formatPath(at)}: keys must be plain text, not mappings or lists`);
          continue;
        }
        walk(isPair(pair) ? pair.value : undefined, [...at, name]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => walk(item, [...at, i]));
    }
    ancestors.pop();
  };
  walk(doc.contents, []);
  return problems;
}

/** The path of the first alias in the document (where an alias bomb is reported). */
function firstAliasPath(doc: Document): string {
  let found: string | undefined;
  const walk = (node: unknown, at: PropertyKey[]): void => {
    if (found !== undefined || at.length > MAX_DEPTH) {
      return;
    }
    if (isAlias(node)) {
      found = formatPath(at);
    } else if (isMap(node)) {
      node.items.forEach((p) => walk(p.value, [...at, isScalar(p.key) ? String(p.key.value) : '(key)']));
    } else if (isSeq(node)) {
      node.items.forEach((v, i) => walk(v, [...at, i]));
    }
  };
  walk(doc.contents, []);
  return found ?? '(yaml)';
}

/** Pure: is the path `at` (formatted) a value whose environment variable was missing, or inside one? */
function underMissing(at: string, missing: ReadonlySet<string>): boolean {
  for (const m of missing) {
    if (at === m || at.startsWith(`${m}.`) || at.startsWith(`${m}[`)) {
      return true;
    }
  }
  return false;
}

/** Parses and validates configuration text. Throws ConfigError listing every problem. */
export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env, baseDir = process.cwd()): VigilConfig {
  const problems: string[] = [];
  if (text.includes('\u0000')) {
    throw new ConfigError(['(file): contains NUL bytes (not a YAML text file)']);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => `(yaml): ${e.message.split('\n')[0]}`));
  }
  const treeProblems = [...doc.warnings.map((w) => `(yaml): ${w.message.split('\n')[0]}`), ...yamlProblems(doc)];
  if (treeProblems.length > 0) {
    throw new ConfigError(treeProblems);
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    throw new ConfigError([`${firstAliasPath(doc)}: YAML aliases expand too far (${(err as Error).message.slice(0, 80)})`]);
  }
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(['(root): must be a mapping of sections']);
  }
  // A value whose ${NAME} is not set is reported once, as that: not again by the schema for the empty text left.
  const missing = new Set<string>();
  raw = substituteEnv(raw, env, problems, [], missing) as Record<string, unknown>;
  applyOverrides(raw as Record<string, unknown>, env, problems);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const seen = new Set(problems);
    for (const i of result.error.issues as z.core.$ZodIssue[]) {
      const at = formatPath(i.path);
      const line = `${at}: ${i.message}`;
      if (!seen.has(line) && !underMissing(at, missing)) {
        seen.add(line);
        problems.push(line);
      }
    }
  }
  if (problems.length > 0 || !result.success) {
    throw new ConfigError(problems);
  }
  const config = result.data;
  let demo = false;
  if (config.cameras.length === 0 && env.VIGIL_NO_DEMO !== '1') {
    const cam = demoCamera(env);
    if (cam) {
      config.cameras.push(cam);
      demo = true;
      // Rules of the config's own that name no camera apply to the demo too; otherwise it brings its own.
      if (config.rules.length === 0) {
        config.rules.push(...demoRules());
      }
    }
  }
  if (!path.isAbsolute(config.models.dir)) {
    config.models.dir = path.resolve(baseDir, config.models.dir);
  }
  if (demo) {
    withDemo.add(config);
  }
  return deepFreeze(config);
}

/** Id of the built-in demo camera. */
export const DEMO_CAMERA_ID = 'demo';
/** Configs that got the demo camera (and its rules) because none was configured. */
const withDemo = new WeakSet<object>();

/** Whether this config runs the built-in demo camera (no camera was configured). */
export function usesDemo(config: VigilConfig): boolean {
  return withDemo.has(config);
}

/**
 * The built-in demo camera used when no camera is configured: `$VIGIL_TEST_MEDIA/vtest.mp4` when it exists (people
 * walking along a path), otherwise a slideshow of the sample photos that `npm install` brings (@vladmandic/face-api's
 * demo folder: people, one photo a second). It comes with a zone `watch` and a line `crossing` that fit its footage:
 * on the walkway the paved path and a line across it (replayed over the recorded detections of test/fixtures, a person
 * is on the path from the first frame and crosses the line within 3 s); on the photos the whole frame (photos do not
 * move, so only the zone fires: a photo with people starts an alert).
 */
export function demoCamera(env: NodeJS.ProcessEnv): VigilConfig['cameras'][number] | undefined {
  const candidates: string[] = [];
  if (env.VIGIL_TEST_MEDIA) {
    candidates.push(path.resolve(env.VIGIL_TEST_MEDIA, 'vtest.mp4'));
  }
  try {
    const faceApi = path.dirname(require.resolve('@vladmandic/face-api/package.json'));
    candidates.push(path.join(faceApi, 'demo', 'sample%d.jpg'));
  } catch {
    // face-api not installed: no built-in media
  }
  const url = candidates.find((c) => existsSync(c.replace('%d', '1')));
  if (!url) {
    return undefined;
  }
  const photos = url.includes('%d');
  return cameraSchema.parse({
    id: DEMO_CAMERA_ID,
    name: photos ? 'Demo camera (sample photos)' : 'Demo camera (walkway)',
    url,
    loop: true,
    detect: { fps: 5 },
    zones: [
      {
        id: 'watch',
        polygon: photos
          ? [[0, 0], [1, 0], [1, 1], [0, 1]]
          : [[0.0, 0.34], [0.62, 0.34], [0.98, 0.25], [1.0, 0.85], [0.82, 0.85], [0.55, 0.62], [0.0, 0.58]],
      },
    ],
    lines: [{ id: 'crossing', points: photos ? [[0.5, 0.05], [0.5, 0.95]] : [[0.5, 0.3], [0.5, 0.75]] }],
  });
}

/** The rules that come with the demo camera (used when the config has no rules either). */
export function demoRules(): VigilConfig['rules'] {
  return [
    ruleSchema.parse({ id: 'demo-person-in-zone', type: 'zone_enter', camera: DEMO_CAMERA_ID, zone: 'watch', labels: ['person'], cooldown: 10 }),
    ruleSchema.parse({ id: 'demo-line-crossing', type: 'line_cross', camera: DEMO_CAMERA_ID, line: 'crossing', direction: 'any', labels: ['person'] }),
  ];
}

/** Loads the config file: --config, else VIGIL_CONFIG, else config/default.yaml. */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): { config: VigilConfig; file: string } {
  const chosen = file ?? env.VIGIL_CONFIG ?? path.join(__dirname, '..', '..', 'config', 'default.yaml');
  let text: string;
  try {
    if (statSync(chosen).size > MAX_CONFIG_BYTES) {
      throw new ConfigError([`${chosen}: larger than ${MAX_CONFIG_BYTES} bytes (not a config file)`]);
    }
    text = readFileSync(chosen, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) {
      throw err;
    }
    throw new ConfigError([`${chosen}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`]);
  }
  return { config: parseConfig(text, env, process.cwd()), file: chosen };
}
