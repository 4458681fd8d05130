/**
 * Pure: a camera source (URL or file path) parsed once, structurally, the way FFmpeg splits it (`av_url_split`:
 * the authority ends at the first `/`, `?` or `#`; user information ends at the last `@` inside it). Redaction and the
 * camera source policy both work on this structure, never on regular expressions over the whole string, so a password
 * holding `@`, `:`, spaces or percent-encoded bytes is found whole.
 */

/** A source that parsed. */
export interface SourceUrl {
  /** `url` = `scheme://authority/...`; `opaque` = `scheme:` without `//` (FFmpeg's concat:, subfile:, pipe:, data:); `path` = a file path. */
  kind: 'url' | 'opaque' | 'path';
  /** Lowercase scheme (`url` and `opaque`). */
  scheme?: string;
  /** Everything before the last `@` of the authority, as written (may be empty: `udp://@239.0.0.1:1234`). */
  userinfo?: string;
  /** User name as written (before the first `:` of the user information). */
  user?: string;
  /** Password as written (after the first `:` of the user information). */
  password?: string;
  /** Host as written, without brackets for IPv6 literals; empty for `file:///path` and UDP/SRT listeners. */
  host?: string;
  /** Port, when given. */
  port?: number;
  /** Path, query and fragment (`url`), the part after `scheme:` (`opaque`) or the path (`path`). */
  rest: string;
}

/** The parse result: the structure, or why the text is not a usable source. */
export type SourceParse = { ok: true; url: SourceUrl } | { ok: false; message: string };

// Control characters (C0 and DEL) are what this pattern looks for.
const CONTROL = /[\u0000-\u001f\u007f]/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const HOST_CHARS = /^[A-Za-z0-9._~%!$&'()*+,;=-]+$/;

/** Parses a camera source. Never throws. */
export function parseSourceUrl(text: string): SourceParse {
  if (typeof text !== 'string' || text.length === 0) {
    return { ok: false, message: 'must not be empty' };
  }
  if (CONTROL.test(text)) {
    return { ok: false, message: 'must not contain control characters (NUL, tab, newline)' };
  }
  const m = SCHEME.exec(text);
  if (!m) {
    return { ok: true, url: { kind: 'path', rest: text } };
  }
  const scheme = m[1].toLowerCase();
  const after = text.slice(m[0].length);
  if (!after.startsWith('//')) {
    return { ok: true, url: { kind: 'opaque', scheme, rest: after } };
  }
  const body = after.slice(2);
  const end = firstOf(body, '/?#');
  const authority = body.slice(0, end);
  const rest = body.slice(end);
  const at = authority.lastIndexOf('@');
  const url: SourceUrl = { kind: 'url', scheme, rest };
  let hostport = authority;
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    url.userinfo = userinfo;
    const colon = userinfo.indexOf(':');
    url.user = colon < 0 ? userinfo : userinfo.slice(0, colon);
    if (colon >= 0) {
      url.password = userinfo.slice(colon + 1);
    }
    hostport = authority.slice(at + 1);
  }
  let host = hostport;
  let portText: string | undefined;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) {
      return { ok: false, message: 'IPv6 address is missing its closing "]"' };
    }
    host = hostport.slice(1, close);
    const tail = hostport.slice(close + 1);
    if (tail !== '') {
      if (!tail.startsWith(':')) {
        return { ok: false, message: `unexpected "${tail.slice(0, 20)}" after the IPv6 address` };
      }
      portText = tail.slice(1);
    }
    if (!/^[0-9A-Fa-f:.]+$/.test(host) || !host.includes(':')) {
      return { ok: false, message: `"[${host.slice(0, 60)}]" is not an IPv6 address` };
    }
  } else {
    const colon = hostport.lastIndexOf(':');
    if (colon >= 0) {
      host = hostport.slice(0, colon);
      portText = hostport.slice(colon + 1);
    }
    if (host !== '' && !HOST_CHARS.test(host)) {
      const hint = /[/?#]/.test(body.slice(end)) && body.slice(end).includes('@')
        ? ' (a "/", "?" or "#" in a password must be percent-encoded: %2F, %3F, %23)'
        : '';
      return { ok: false, message: `host "${host.slice(0, 60)}" has characters a host cannot have${hint}` };
    }
  }
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      const hint = body.slice(end).includes('@') ? ' (a "/", "?" or "#" in a password must be percent-encoded: %2F, %3F, %23)' : '';
      return { ok: false, message: `port must be a number 1..65535${hint}` };
    }
    url.port = Number(portText);
  }
  url.host = host;
  if (/\s/.test(rest)) {
    return { ok: false, message: 'must not contain spaces in its path or query (write them as %20)' };
  }
  return { ok: true, url };
}

function firstOf(s: string, chars: string): number {
  for (let i = 0; i < s.length; i++) {
    if (chars.includes(s[i])) {
      return i;
    }
  }
  return s.length;
}

/** Query parameters whose values are secrets. */
const SECRET_PARAM = /^(?:password|passwd|pwd|pass|token|auth|key|secret|sig|signature|user|username|access_token|api_key|apikey)$/i;

/** Pure: the source as it may be shown: user information replaced by `***`, secret query values masked. */
export function displaySourceUrl(u: SourceUrl): string {
  if (u.kind === 'path') {
    return u.rest;
  }
  if (u.kind === 'opaque') {
    return `${u.scheme}:${maskQuery(u.rest)}`;
  }
  const host = u.host !== undefined && u.host.includes(':') ? `[${u.host}]` : (u.host ?? '');
  const auth = u.userinfo === undefined ? '' : u.userinfo === '' ? '@' : '***@';
  return `${u.scheme}://${auth}${host}${u.port !== undefined ? `:${u.port}` : ''}${maskQuery(u.rest)}`;
}

function maskQuery(rest: string): string {
  const q = rest.indexOf('?');
  if (q < 0) {
    return rest;
  }
  const hash = rest.indexOf('#', q);
  const query = rest.slice(q + 1, hash < 0 ? undefined : hash);
  const masked = query
    .split('&')
    .map((kv) => {
      const eq = kv.indexOf('=');
      return eq > 0 && SECRET_PARAM.test(kv.slice(0, eq)) ? `${kv.slice(0, eq)}=***` : kv;
    })
    .join('&');
  return `${rest.slice(0, q)}?${masked}${hash < 0 ? '' : rest.slice(hash)}`;
}

/**
 * Pure: the strings of a source that are secrets, as written and percent-decoded: the whole user information and the
 * password (a user name alone is not: "admin" is everywhere in a log), and the values of secret query parameters.
 */
export function sourceSecrets(u: SourceUrl): string[] {
  const out = new Set<string>();
  const add = (s: string | undefined) => {
    if (s) {
      out.add(s);
      const d = tryDecode(s);
      if (d !== undefined && d !== s) {
        out.add(d);
      }
    }
  };
  if (u.userinfo && u.password !== undefined) {
    add(u.userinfo);
    add(u.password);
  } else if (u.userinfo) {
    // A token as user name (`rtsp://TOKEN@host`): the whole user information is the secret.
    add(u.userinfo);
  }
  const q = u.rest.indexOf('?');
  if (q >= 0) {
    for (const kv of u.rest.slice(q + 1).split('#')[0].split('&')) {
      const eq = kv.indexOf('=');
      if (eq > 0 && SECRET_PARAM.test(kv.slice(0, eq))) {
        add(kv.slice(eq + 1));
      }
    }
  }
  return [...out];
}

function tryDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
