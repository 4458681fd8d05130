/**
 * Pure: the camera source policy. One validator for the config file (`origin: 'config'`) and for cameras added
 * through the API (`origin: 'api'`): the URL must parse (src/core/source-url.ts), its scheme must be allowed, files
 * only where `sources.files` enables them and inside `sources.files.roots`, and for API cameras the host must pass
 * `sources.allowHosts` / `sources.denyHosts`. What needs I/O (DNS, symlinks) is left to the caller, which gets the
 * host name to resolve and the file path to check.
 */
import { BlockList, isIP } from 'node:net';
import path from 'node:path';
import { parseSourceUrl, type SourceUrl } from '../core/source-url';
import type { SourcesConfig } from './schema/sources';

/** Where a camera comes from: the config file (written by the operator) or PUT /api/cameras (any admin token). */
export type SourceOrigin = 'config' | 'api';

/** Why a source is refused: `bad_request` = it is not a valid URL; `source_refused` = valid, but not allowed. */
export interface SourceProblem {
  ok: false;
  code: 'bad_request' | 'source_refused';
  message: string;
}

/** An allowed source, with what the caller still has to check with I/O. */
export interface SourceAllowed {
  ok: true;
  url: SourceUrl;
  /** `file` for paths and file: URLs (resolved, absolute), `network` otherwise. */
  kind: 'file' | 'network';
  /** Absolute file path (kind file), for the symlink check. */
  file?: string;
  /** API cameras with a host name: resolve it and check every address with {@link checkAddress}. */
  resolve?: string;
}

export type SourceCheck = SourceAllowed | SourceProblem;

const refused = (message: string): SourceProblem => ({ ok: false, code: 'source_refused', message });

/** Pure: `file:///a%20b/c.mp4` → `/a b/c.mp4`; undefined when the percent-encoding is broken. */
export function fileUrlPath(rest: string): string | undefined {
  try {
    return decodeURIComponent(rest.split('?')[0].split('#')[0]);
  } catch {
    return undefined;
  }
}

/** Pure: is `file` (absolute, normalized) inside one of `roots`? */
export function insideRoots(file: string, roots: readonly string[], baseDir: string): boolean {
  return roots.some((r) => {
    const root = path.resolve(baseDir, r);
    return file === root || file.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
  });
}

/**
 * Pure: the IPv4 address a host means to `inet_aton` (what FFmpeg's getaddrinfo accepts): `2852039166`,
 * `0xa9fea9fe`, `0251.0376.0251.0376` and `169.254.43518` are all 169.254.169.254. Undefined when not IPv4.
 */
export function inetAton(host: string): string | undefined {
  if (!/^[0-9a-fA-FxX.]+$/.test(host) || host.endsWith('.') || host.startsWith('.')) {
    return undefined;
  }
  const parts = host.split('.');
  if (parts.length > 4) {
    return undefined;
  }
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0[xX][0-9a-fA-F]*$/.test(p)) {
      n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    } else if (/^0[0-7]*$/.test(p)) {
      n = parseInt(p, 8);
    } else if (/^[1-9]\d*$/.test(p)) {
      n = Number(p);
    } else {
      return undefined;
    }
    if (!Number.isFinite(n)) {
      return undefined;
    }
    nums.push(n);
  }
  const last = nums.pop()!;
  const maxLast = 2 ** (8 * (4 - nums.length));
  if (nums.some((n) => n > 255) || last >= maxLast) {
    return undefined;
  }
  let value = 0;
  nums.forEach((n, i) => {
    value += n * 2 ** (8 * (3 - i));
  });
  value += last;
  return [24, 16, 8, 0].map((s) => Math.floor(value / 2 ** s) % 256).join('.');
}

/** Pure: an IP literal in canonical form (IPv4-mapped IPv6 becomes IPv4), or undefined for a host name. */
export function ipOf(host: string): { ip: string; family: 4 | 6 } | undefined {
  const h = host.replace(/%.*$/, '');
  if (isIP(h) === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(h) ?? /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(h);
    if (mapped && mapped.length === 2) {
      return { ip: mapped[1], family: 4 };
    }
    if (mapped && mapped.length === 3) {
      const hi = parseInt(mapped[1], 16);
      const lo = parseInt(mapped[2], 16);
      return { ip: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 4 };
    }
    return { ip: h.toLowerCase(), family: 6 };
  }
  const v4 = isIP(h) === 4 ? h : inetAton(h);
  return v4 ? { ip: v4, family: 4 } : undefined;
}

const LISTS = new WeakMap<readonly string[], { blocks: BlockList; names: string[] }>();

/** Splits host rules into a BlockList of addresses and a list of names (cached per frozen config array). */
function compile(rules: readonly string[]): { blocks: BlockList; names: string[] } {
  let c = LISTS.get(rules);
  if (!c) {
    const blocks = new BlockList();
    const names: string[] = [];
    for (const r of rules) {
      const [addr, bits] = r.split('/');
      const ip = ipOf(addr);
      if (ip) {
        const prefix = bits === undefined ? (ip.family === 4 ? 32 : 128) : Number(bits);
        try {
          blocks.addSubnet(ip.ip, prefix, ip.family === 4 ? 'ipv4' : 'ipv6');
        } catch {
          // an invalid prefix length never matches (the schema reports it)
        }
      } else {
        names.push(r.toLowerCase());
      }
    }
    c = { blocks, names };
    if (Object.isFrozen(rules)) {
      LISTS.set(rules, c);
    }
  }
  return c;
}

function nameMatches(name: string, rules: readonly string[]): boolean {
  const n = name.toLowerCase().replace(/\.$/, '');
  return rules.some((r) => (r.startsWith('*.') ? n.endsWith(r.slice(1)) : n === r));
}

/**
 * Pure: may an API camera connect to this address? Undefined = yes, else why not. `nameAllowed`: the host name
 * already matched a name in `allowHosts`, so only the deny list applies to its addresses.
 */
export function checkAddress(address: string, policy: SourcesConfig, nameAllowed = false): string | undefined {
  const ip = ipOf(address);
  if (!ip) {
    return `"${address}" is not an IP address`;
  }
  const type = ip.family === 4 ? 'ipv4' : 'ipv6';
  const deny = compile(policy.denyHosts);
  if (deny.blocks.check(ip.ip, type)) {
    return `address ${ip.ip} is denied by sources.denyHosts`;
  }
  if (!nameAllowed && policy.allowHosts.length > 0 && !compile(policy.allowHosts).blocks.check(ip.ip, type)) {
    return `address ${ip.ip} is not in sources.allowHosts`;
  }
  return undefined;
}

/** Pure: does the config check hold for a host name (before resolution)? Undefined = yes (so far). */
function checkHostName(name: string, policy: SourcesConfig): string | undefined {
  if (nameMatches(name, compile(policy.denyHosts).names)) {
    return `host ${name} is denied by sources.denyHosts`;
  }
  return undefined;
}

/** Pure: is an allow list satisfied by the name itself (then its addresses only face the deny list)? */
export function allowedByName(name: string, policy: SourcesConfig): boolean {
  return policy.allowHosts.length === 0 || nameMatches(name, compile(policy.allowHosts).names);
}

/**
 * Pure: checks a camera source against the policy. `baseDir` resolves relative file paths (the working directory).
 * Never throws.
 */
export function checkCameraSource(text: string, policy: SourcesConfig, origin: SourceOrigin, baseDir = process.cwd()): SourceCheck {
  const parsed = parseSourceUrl(text);
  if (!parsed.ok) {
    return { ok: false, code: 'bad_request', message: parsed.message };
  }
  const u = parsed.url;
  let file: string | undefined;
  if (u.kind === 'path') {
    if (!/^(\/|\.\.?\/)/.test(u.rest)) {
      return { ok: false, code: 'bad_request', message: 'must be an rtsp://, rtsps://, http(s)://, file:/// URL or a file path starting with /, ./ or ../' };
    }
    file = path.resolve(baseDir, u.rest);
  } else if (u.scheme === 'file') {
    if (u.kind !== 'url' || (u.host !== '' && u.host !== 'localhost') || u.userinfo !== undefined || u.port !== undefined) {
      return { ok: false, code: 'bad_request', message: 'a file URL must be file:///absolute/path' };
    }
    const p = fileUrlPath(u.rest);
    if (p === undefined || !p.startsWith('/')) {
      return { ok: false, code: 'bad_request', message: 'a file URL must be file:///absolute/path (with valid %-escapes)' };
    }
    file = path.resolve(p);
  } else {
    const scheme = u.scheme!;
    if (u.kind === 'opaque' || !(policy.schemes as readonly string[]).includes(scheme)) {
      return refused(`scheme "${scheme.slice(0, 20)}:" is not allowed (allowed: ${[...policy.schemes, ...(policy.files.enabled ? ['file'] : [])].join(', ')})`);
    }
    const host = u.host ?? '';
    if (host === '' && !(scheme === 'udp' || scheme === 'srt')) {
      return { ok: false, code: 'bad_request', message: `${scheme}:// URL has no host` };
    }
    if (origin === 'api' && host !== '') {
      const ip = ipOf(host);
      if (ip) {
        const why = checkAddress(ip.ip, policy);
        if (why) {
          return refused(why);
        }
        return { ok: true, url: u, kind: 'network' };
      }
      const lower = host.toLowerCase();
      if (lower === 'localhost' || lower.endsWith('.localhost')) {
        const why = checkAddress('127.0.0.1', policy, allowedByName(lower, policy));
        return why ? refused(`localhost: ${why}`) : { ok: true, url: u, kind: 'network' };
      }
      const why = checkHostName(lower, policy);
      if (why) {
        return refused(why);
      }
      return { ok: true, url: u, kind: 'network', resolve: lower };
    }
    return { ok: true, url: u, kind: 'network' };
  }
  const files = policy.files;
  if (origin === 'config' && !files.enabled) {
    return refused('file inputs are disabled (sources.files.enabled: false)');
  }
  if (origin === 'api' && (!files.api || files.roots.length === 0)) {
    return refused('cameras added through the API cannot read files (enable sources.files.api and set sources.files.roots)');
  }
  if (files.roots.length > 0 && !insideRoots(file, files.roots, baseDir)) {
    return refused(`file ${file.slice(0, 200)} is outside sources.files.roots`);
  }
  return { ok: true, url: u, kind: 'file', file };
}
