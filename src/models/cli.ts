/**
 * `vigil models list|verify|fetch|build [--dir DIR] [--config FILE] [--force] [FILE...]`.
 * list: every known and built model with its presence; verify: ONNX header, sha256, loads; fetch: downloads the
 * known files that are missing (checksums verified); build: the project's own networks (src/models/build.ts).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load';
import { VigilError } from '../core/errors';
import type { Logger } from '../core/logger';
import { buildModels, modelRecipes } from './build';
import { KNOWN_MODELS, fetchModel, verifyModelFile, type FetchLike } from './registry';

const USAGE = 'usage: vigil models <list|verify|fetch|build> [--dir DIR] [--config FILE] [--force] [--json] [FILE...]';

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
    parsed = parseArgs({
      args,
      options: {
        dir: { type: 'string', short: 'd' },
        config: { type: 'string', short: 'c' },
        force: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    out(`${(err as Error).message}\n${USAGE}`);
    return 2;
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
        out(USAGE);
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
