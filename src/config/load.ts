import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors';
import { cameraSchema, configSchema, type VigilConfig } from './schema';

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
): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined) {
        problems.push(`${formatPath(at)}: environment variable ${name} is not set`);
        return '';
      }
      return v;
    });
  }
  if (Array.isArray(value)) {
    return value.map((v, i) => substituteEnv(v, env, problems, [...at, i]));
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = substituteEnv(v, env, problems, [...at, k]);
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
}

/** Parses and validates configuration text. Throws ConfigError listing every problem. */
export function parseConfig(text: string, env: NodeJS.ProcessEnv = process.env, baseDir = process.cwd()): VigilConfig {
  const problems: string[] = [];
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => `(yaml): ${e.message.split('\n')[0]}`));
  }
  let raw = doc.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError(['(root): must be a mapping of sections']);
  }
  raw = substituteEnv(raw, env, problems) as Record<string, unknown>;
  applyOverrides(raw as Record<string, unknown>, env, problems);
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    problems.push(...result.error.issues.map((i: z.core.$ZodIssue) => `${formatPath(i.path)}: ${i.message}`));
  }
  if (problems.length > 0 || !result.success) {
    throw new ConfigError(problems);
  }
  const config = result.data;
  if (config.cameras.length === 0 && env.VIGIL_NO_DEMO !== '1') {
    const demo = demoCamera(env);
    if (demo) {
      config.cameras.push(demo);
    }
  }
  if (!path.isAbsolute(config.models.dir)) {
    config.models.dir = path.resolve(baseDir, config.models.dir);
  }
  return deepFreeze(config);
}

/**
 * The built-in demo camera used when no camera is configured: `$VIGIL_TEST_MEDIA/vtest.mp4` when it exists,
 * otherwise a slideshow of the sample photos that `npm install` brings (@vladmandic/face-api's demo folder).
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
  return cameraSchema.parse({ id: 'demo', name: 'Demo camera', url, loop: true, detect: { fps: 5 } });
}

/** Loads the config file: --config, else VIGIL_CONFIG, else config/default.yaml. */
export function loadConfig(file?: string, env: NodeJS.ProcessEnv = process.env): { config: VigilConfig; file: string } {
  const chosen = file ?? env.VIGIL_CONFIG ?? path.join(__dirname, '..', '..', 'config', 'default.yaml');
  let text: string;
  try {
    text = readFileSync(chosen, 'utf8');
  } catch (err) {
    throw new ConfigError([`(file): cannot read ${chosen}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return { config: parseConfig(text, env, process.cwd()), file: chosen };
}
