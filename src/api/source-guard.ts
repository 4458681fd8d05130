import { lookup } from 'node:dns/promises';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { SourcesConfig } from '../config/schema';
import { allowedByName, checkAddress, checkCameraSource, insideRoots } from '../config/source-policy';
import { VigilError } from '../core/errors';
import { withTimeout } from '../core/with-timeout';

/** Options of {@link guardApiCameraSource} (tests replace the resolver). */
export interface SourceGuardOptions {
  /** Resolves a host name to its addresses, as FFmpeg will (getaddrinfo). @defaultValue dns.lookup(all) */
  resolve?: (host: string) => Promise<string[]>;
  /** Give up resolving after this long (the camera is then judged by its name only). @defaultValue 1000 */
  resolveTimeoutMs?: number;
  /** Working directory that relative paths and roots are resolved against. @defaultValue process.cwd() */
  baseDir?: string;
}

const defaultResolve = async (host: string): Promise<string[]> => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/**
 * Adapter around the pure source policy for cameras added through the API: the same checks as the config file with
 * `origin: 'api'`, plus what needs I/O: a host name is resolved and every address must pass the host lists, and a
 * file's real path (symlinks resolved) must be a regular file inside `sources.files.roots`. Throws VigilError
 * `source_refused` (or `bad_request` for a malformed URL); resolves when the camera may be stored.
 *
 * A name that does not resolve now is accepted (the camera may be offline); names are resolved again by FFmpeg at
 * each connection, so a name that later points elsewhere (DNS rebinding) is only stopped by `sources.allowHosts`.
 */
export async function guardApiCameraSource(url: string, policy: SourcesConfig, options: SourceGuardOptions = {}): Promise<void> {
  const baseDir = options.baseDir ?? process.cwd();
  const r = checkCameraSource(url, policy, 'api', baseDir);
  if (!r.ok) {
    throw new VigilError(r.code, `url: ${r.message}`);
  }
  if (r.resolve !== undefined) {
    const addresses = await withTimeout((options.resolve ?? defaultResolve)(r.resolve), options.resolveTimeoutMs ?? 1000).catch(() => [] as string[]);
    const byName = allowedByName(r.resolve, policy);
    for (const a of addresses) {
      const why = checkAddress(a, policy, byName);
      if (why) {
        throw new VigilError('source_refused', `url: ${r.resolve} resolves to ${a}: ${why}`);
      }
    }
    if (addresses.length === 0 && !byName && policy.allowHosts.length > 0) {
      throw new VigilError('source_refused', `url: ${r.resolve} does not resolve, and it is not named in sources.allowHosts`);
    }
  }
  if (r.kind === 'file' && r.file !== undefined) {
    // An image sequence (`%d`) is checked by its folder.
    const target = /%0?\d*d/.test(path.basename(r.file)) ? path.dirname(r.file) : r.file;
    let real: string;
    try {
      real = await realpath(target);
    } catch {
      throw new VigilError('source_refused', `url: ${target.slice(0, 200)} does not exist`);
    }
    const roots = await Promise.all(policy.files.roots.map((root) => realpath(path.resolve(baseDir, root)).catch(() => path.resolve(baseDir, root))));
    if (!insideRoots(real, roots, baseDir)) {
      throw new VigilError('source_refused', `url: ${target.slice(0, 200)} leads outside sources.files.roots`);
    }
    const st = await stat(real);
    if (target === r.file ? !st.isFile() : !st.isDirectory()) {
      throw new VigilError('source_refused', `url: ${target.slice(0, 200)} is not a regular file`);
    }
  }
}
