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
  description?: string;
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

/** Hand-written sections after the table (edit them here; the test compares the whole file). */
const PROSE = [
  '## Camera sources',
  '',
  'One validator checks every camera URL, in this file (`vigil config check` prints `cameras[N].url: message`) and in',
  '`PUT /api/cameras/:id` (`400 source_refused`, see [api.md](api.md#put-apicamerasid)):',
  '',
  '- The URL is parsed once, the way FFmpeg splits it: the authority ends at the first `/`, `?` or `#`, the user',
  '  information at the last `@` before it. So a password may hold `@`, `:` or spaces as they are, but `/`, `?` and',
  '  `#` must be percent-encoded (`%2F`, `%3F`, `%23`); a URL without a host, with `[::1` unclosed, a port outside',
  '  1..65535, spaces in its path or control characters (NUL, newline) is refused.',
  '- Schemes: `sources.schemes` (default rtsp, rtsps, http, https, srt, udp, rtmp). FFmpeg pseudo-protocols (`concat:`,',
  '  `subfile:`, `pipe:`, `data:`, `hls:`...) are never accepted, and FFmpeg is started with `-protocol_whitelist` for',
  '  the URL\'s scheme only (rtsp: `rtsp,rtp,srtp,tcp,udp`; http(s): `http,https,tcp,tls,crypto`, crypto for',
  '  AES-128 HLS segments; files: `file`), so a playlist or redirect cannot reach a local file or another protocol.',
  '  The same holds for the other source kinds (MJPEG, HLS, MPEG-TS over HTTP, `snapshot: true` URLs): they are',
  '  http(s) URLs under the same scheme and host rules. An HLS playlist names its segments itself, and FFmpeg follows',
  '  HTTP redirects: their hosts are not checked against `sources.denyHosts` (only the URL configured is), so give',
  '  API cameras `allowHosts` where that matters. How each kind is read (transport, timing, snapshots, corrupt',
  '  frames): [pipeline.md](pipeline.md#sources).',
  '- Files (paths starting with `/`, `./`, `../`, or `file:///` URLs): in this file unless `sources.files.enabled:',
  '  false`, and only inside `sources.files.roots` when roots are set (after `..` is resolved). Cameras added',
  '  through the API never read files unless `sources.files.api: true` and roots are set; their real path (symlinks',
  '  followed) must be a regular file inside a root. The built-in demo camera is not affected.',
  '- Hosts of API cameras: `sources.denyHosts` first (default: link-local 169.254.0.0/16 and fe80::/10, 0.0.0.0/8,',
  '  ::, the AWS IPv6 metadata address), then `sources.allowHosts` when not empty. Entries are addresses, CIDR',
  '  blocks, names or `*.domain`. Every spelling of an address counts (`2852039166`, `0xa9fea9fe`,',
  '  `0251.0376.0251.0376`, `[::ffff:169.254.169.254]` are all 169.254.169.254); names are resolved and every address',
  '  checked. Loopback is allowed by default (local restreamers such as go2rtc). A name is resolved again by FFmpeg',
  '  at each connection: only `allowHosts` protects against a name that later points elsewhere.',
  '- API cameras are checked when they are stored. One stored before this policy existed, or before it was',
  '  narrowed, is still skipped by the ingest stage when no policy could allow it (pseudo-protocols, unknown',
  '  schemes), but its host and file rules are not checked again yet: delete it (`DELETE /api/cameras/:id`) and',
  '  put it again.',
  '',
  'Credentials in camera URLs never reach a log line, an API answer or a metric: the user information and password',
  '(as written and percent-decoded) of every validated URL are replaced by `***` in every logged string, FFmpeg\'s',
  'stderr and command line included, whatever characters they hold.',
  '',
  '## Reloading',
  '',
  '`kill -HUP <pid>` or `POST /api/config/reload` re-reads this file. Cameras, rules, tokens (and token files),',
  'sources and the other sections apply at once. A reload is refused, and the running configuration kept, when the',
  'file is invalid or would change `server.host`, `server.port` or `server.tls`, remove every token while the',
  'server listens beyond loopback, or change `redis.url` / `redis.prefix`; those need a restart. See',
  '[api.md](api.md#reloading-the-configuration).',
  '',
  '## TLS and token files',
  '',
  '`server.tls: {cert, key}` (PEM files, unencrypted key matching the certificate) serves HTTPS and WSS on',
  '`server.port`. `server.tokens[].tokenFile` reads a token from a file instead of `token` (one of the two), re-read',
  'on every reload. Relative paths are relative to the working directory. `vigil config check` reads these files and',
  'reports each problem at its path (`server.tls.key: ... is not the private key of ...`).',
  '',
  '## Limits',
  '',
  '`server.bodyLimitBytes` (every route; smaller per route), `server.authFailures` (failed-auth rate limiting per',
  'address: 429 after `burst`), `faces.maxConcurrentEnrolments` (429 beyond), `faces.maxImageBytes`,',
  '`server.wsMaxMessageBytes`, `server.wsMaxBufferedBytes`. See [api.md](api.md#limits-and-bad-input).',
  '',
  '## Audit trail',
  '',
  'Every change made through the API and every reload is recorded in a Redis stream capped near',
  '`server.audit.maxEntries`, at `GET /api/audit` (admin) and as a log line `"msg":"audit"`. See',
  '[api.md](api.md#audit-trail).',
  '',
  '## What `vigil config check` catches',
  '',
  'Besides types, bounds and unknown keys at every level: face rules on a camera with `faces.enabled: false` (or',
  'with no camera having faces), a zone or line named by a rule that its camera (or, for a rule without a camera,',
  'every camera) lacks, duplicate camera, rule, zone and line ids, the same token twice, blank tokens, `minArea >',
  'maxArea`, URLs that can never work or that the source policy refuses, YAML tags other than plain values',
  '(`!!set`, `!!omap`, `!!binary` would silently change a section), `__proto__` / `constructor` / `prototype` keys,',
  'aliases that contain themselves, alias bombs, nesting deeper than 32 levels, and unreadable files (the config',
  'itself, token files, TLS files). Each is printed as `PATH: message` and the exit status is 2.',
  '',
];

export function render(): string {
  const js = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Js;
  const desc = descriptions();
  const rows: string[] = [];
  const walk = (s: Js, at: string, section: string) => {
    const key = at.split(/[.[\]]/).filter(Boolean).pop() ?? at;
    // A key's own `.describe()` first (keys whose name is used twice in one schema file), else its comment.
    const d = (s.description ?? desc.get(`${SECTION_FILES[section] ?? section}:${key}`) ?? '').replace(/@defaultValue\s*\S.*$/, '').replace(/\|/g, '\\|');
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
    ...PROSE,
  ].join('\n');
}

if (require.main === module) {
  writeFileSync(path.join(ROOT, 'docs', 'config.md'), render());
}
