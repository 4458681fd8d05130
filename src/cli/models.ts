/**
 * `vigil models list|verify|fetch|build [--dir DIR] [--config FILE] [--force] [FILE...]`.
 * list: every known and built model with its presence; verify: ONNX header, sha256, loads; fetch: downloads the
 * known files that are missing (checksums verified); build: the project's own networks (src/models/build.ts).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config/load';
import { didYouMean, formatUsageError, parseCommandArgs, UsageError } from '../core/cli-args';
import { VigilError } from '../core/errors';
import type { Logger } from '../core/logger';
import { buildModels, modelRecipes } from '../models/build';
import { KNOWN_MODELS, fetchModel, verifyModelFile, type FetchLike } from '../models/registry';

export const MODELS_USAGE = `usage: vigil models list|verify|fetch|build [--dir DIR] [--config FILE] [--force] [--json] [FILE...]
  list: every known and built model file and whether it is in the models folder
  verify [FILE...]: checks ONNX header, sha256 and that it loads (default: every present file)
  fetch [FILE...]: downloads the known files that are missing, checking their sha256 (--force: again)
  build [FILE...]: builds the project's own networks (--force: rebuild)
  --dir: the models folder (default: the config's models.dir, which VIGIL_MODELS_DIR overrides)`;

const MODELS_OPTIONS = {
  dir: { type: 'string', short: 'd' },
  config: { type: 'string', short: 'c' },
  force: { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;
const VERBS = ['list', 'verify', 'fetch', 'build'] as const;

/** Test seams of the command. */
export interface ModelsCliDeps {
  out?: (line: string) => void;
  fetchImpl?: FetchLike;
}

function resolveDir(dir: string | undefined, config: string | undefined): string {
  if (dir) {
    return dir;
  }
  try {
    return loadConfig(config).config.models.dir;
  } catch {
    return 'models';
  }
}

/** Every model file this command knows about: the third-party ones and the built ones. */
function allFiles(): Array<{ file: string; source: string; description: string }> {
  return [
    ...KNOWN_MODELS.map((m) => ({ file: m.file, source: `download (${m.license})`, description: m.description })),
    ...modelRecipes().map((r) => ({ file: r.file, source: 'vigil models build', description: r.description })),
  ];
}

/** Command entry point; returns the exit status. */
export async function run(args: string[], log: Logger, deps: ModelsCliDeps = {}): Promise<number> {
  const out = deps.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  let parsed;
  try {
    parsed = parseCommandArgs({ command: 'vigil models', usage: MODELS_USAGE, options: MODELS_OPTIONS, allowPositionals: true }, args);
    const v = parsed.positionals[0];
    if (!(VERBS as readonly string[]).includes(v)) {
      throw new UsageError('vigil models', v === undefined ? 'missing command (list, verify, fetch or build)' : `unknown command "${v}"${didYouMean(v, VERBS)}`, MODELS_USAGE);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      out(formatUsageError(err));
      return 2;
    }
    throw err;
  }
  const [verb, ...files] = parsed.positionals;
  const dir = resolveDir(parsed.values.dir, parsed.values.config);
  try {
    switch (verb) {
      case 'list': {
        const rows = allFiles().map((f) => ({ ...f, present: existsSync(join(dir, f.file)) }));
        const known = new Set(rows.map((r) => r.file));
        const others = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.onnx') && !known.has(f)) : [];
        if (parsed.values.json) {
          out(JSON.stringify({ dir, models: rows, others }));
        } else {
          out(`models in ${dir}:`);
          for (const r of rows) {
            out(`  ${r.present ? 'present' : 'missing'}  ${r.file.padEnd(34)} ${r.description} [${r.source}]`);
          }
          for (const f of others) {
            out(`  present  ${f.padEnd(34)} (user file)`);
          }
        }
        return 0;
      }
      case 'verify': {
        const targets = files.length > 0 ? files : allFiles().map((f) => f.file).filter((f) => existsSync(join(dir, f)));
        let bad = 0;
        const results = [];
        for (const f of targets) {
          const r = await verifyModelFile(f.includes('/') ? f : join(dir, f));
          results.push(r);
          if (!r.ok) {
            bad++;
          }
          if (!parsed.values.json) {
            out(r.ok ? `ok       ${r.file} (${r.bytes} bytes, sha256 ${r.sha256})` : `INVALID  ${r.file}: ${r.problems.join('; ')}`);
          }
        }
        if (parsed.values.json) {
          out(JSON.stringify({ dir, results }));
        } else if (targets.length === 0) {
          out(`no model files in ${dir}`);
        }
        return bad === 0 ? 0 : 1;
      }
      case 'fetch': {
        const targets = files.length > 0 ? files : KNOWN_MODELS.map((m) => m.file);
        let failed = 0;
        for (const f of targets) {
          if (!parsed.values.force && existsSync(join(dir, f))) {
            out(`present  ${join(dir, f)}`);
            continue;
          }
          try {
            out(`fetched  ${await fetchModel(dir, f, deps.fetchImpl)}`);
          } catch (err) {
            failed++;
            out(`FAILED   ${f}: ${(err as Error).message}`);
          }
        }
        return failed === 0 ? 0 : 1;
      }
      case 'build': {
        const written = await buildModels(dir, log, { force: parsed.values.force, ...(files.length > 0 ? { only: files } : {}) });
        for (const w of written) {
          out(`built    ${w}`);
        }
        if (written.length === 0) {
          out(`nothing to build in ${dir} (files present; --force rebuilds)`);
        }
        return 0;
      }
      default:
        out(MODELS_USAGE);
        return 2;
    }
  } catch (err) {
    if (err instanceof VigilError) {
      out(`vigil models ${verb}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
