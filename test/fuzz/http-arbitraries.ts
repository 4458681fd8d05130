/**
 * fast-check arbitraries for HTTP requests over every route of /openapi.json: path and query values of every type
 * and size (unicode, long, percent garbage, 64-bit overflows), tokens of both roles and bad ones, JSON bodies
 * (camera configs with hostile URLs, deep nesting, truncation, huge strings), multipart bodies with corrupt,
 * truncated and bomb images, and raw byte-level requests for the HTTP parser.
 */
import fc from 'fast-check';
import { ADMIN, VIEWER } from './harness';

/** One request through node:http. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** For failure messages. */
  route: string;
}

/** Route shapes read from /openapi.json. */
export interface OpenApiRoute {
  method: string;
  path: string;
  query: string[];
}

/** Pure: every (method, path, query names) of an OpenAPI document. */
export function routesOf(doc: { paths: Record<string, Record<string, { parameters?: Array<{ name: string; in: string }> }>> }): OpenApiRoute[] {
  const out: OpenApiRoute[] = [];
  for (const [p, ops] of Object.entries(doc.paths)) {
    for (const [m, op] of Object.entries(ops)) {
      if (!['get', 'put', 'post', 'delete', 'patch'].includes(m)) {
        continue;
      }
      out.push({ method: m.toUpperCase(), path: p, query: (op.parameters ?? []).filter((x) => x.in === 'query').map((x) => x.name) });
    }
  }
  return out;
}

/** Percent-encodes UTF-8 bytes (lone surrogates become U+FFFD instead of throwing). */
export function pct(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9_.~-]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const u64ish = fc.bigInt({ min: 0n, max: 2n ** 70n });
const streamId = fc.tuple(u64ish, u64ish).map(([a, b]) => `${a}-${b}`);

/** A path segment, already encoded for the request line. */
function segment(known: string[]): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...known) },
    { weight: 2, arbitrary: fc.stringMatching(/^[a-z0-9_-]{1,64}$/) },
    { weight: 2, arbitrary: streamId },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 60 }).map(pct) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 150, maxLength: 400 }).map(pct) },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%ff', '%00', '%2F', '..', '.', '%2e%2e', 'app.js', 'index.html', 'style.css', 'x'.repeat(250)) },
  );
}

const queryValue = fc.oneof(
  fc.integer({ min: -5, max: 2000 }).map(String),
  fc.constantFrom('0x10', '+5', '1e3', '1.5', '1,2', '-1', '', '1000', '1001', '99999999999999999999', 'NaN', 'Infinity', 'true', '[]', '{}', 'null'),
  fc.date({ min: new Date(0), max: new Date(4e12), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.integer({ min: 0, max: 4e12 }).map(String),
  streamId,
  fc.stringMatching(/^[a-z0-9_-]{1,70}$/),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

function query(names: string[]): fc.Arbitrary<string> {
  const pair = fc.tuple(fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...(names.length ? names : ['limit'])) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }), queryValue);
  return fc.array(pair, { maxLength: 4 }).map((ps) => (ps.length === 0 ? '' : `?${ps.map(([k, v]) => `${pct(k)}=${pct(v)}`).join('&')}`));
}

const auth = fc.oneof(
  { weight: 14, arbitrary: fc.constant(`Bearer ${ADMIN}`) },
  { weight: 2, arbitrary: fc.constant(`Bearer ${VIEWER}`) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.constantFrom(`Basic ${ADMIN}`, 'Bearer', 'Bearer  ', `bearer ${ADMIN}`, `Bearer ${ADMIN}x`, `Bearer ${ADMIN.slice(1)}`) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 300 }).map((s) => `Bearer ${s.replace(/[^\x21-\x7e]/g, 'a')}`) },
);

const ipv4Host = fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.constantFrom('169.254.169.254', '2852039166', '0xa9fea9fe', '0251.0376.0251.0376', '127.0.0.1', '0.0.0.0', '10.0.0.7'));
const host = fc.oneof(
  { weight: 4, arbitrary: ipv4Host },
  { weight: 1, arbitrary: fc.ipV6().map((h) => `[${h}]`) },
  { weight: 1, arbitrary: fc.constantFrom('[::1]', '[fe80::1]', '[::ffff:169.254.169.254]', 'localhost', 'cam.invalid', 'metadata.invalid', '[::1', 'ho st', '') },
);
const userinfo = fc.option(
  fc.tuple(fc.string({ unit: 'grapheme', maxLength: 12 }), fc.option(fc.string({ unit: 'grapheme', maxLength: 16 }))).map(([u, p]) => `${u}${p === null ? '' : `:${p}`}@`),
);

/** Camera URLs: allowed, refused by policy, malformed. */
export const cameraUrl = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('file:///etc/passwd', '/etc/passwd', './x.mp4', 'concat:/etc/passwd|/etc/hosts', 'subfile:,start,0,end,0,:/etc/passwd', 'http://169.254.169.254/latest/meta-data/', 'pipe:0', 'data:,x', 'rtsp://', 'rtsp://[::1', 'rtsp://h:99999/x', 'rtsp://h/a b', 'rtsp://h/\u0000') },
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.constantFrom('rtsp', 'rtsps', 'http', 'https', 'udp', 'srt', 'rtmp', 'RTSP', 'ftp', 'gopher', 'file', 'hls+http'), userinfo, host, fc.option(fc.integer({ min: 0, max: 70_000 })), fc.string({ maxLength: 30 }))
      .map(([s, ui, h, p, rest]) => `${s}://${ui ?? ''}${h}${p === null ? '' : `:${p}`}/${rest}`),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 100 }) },
);

const num = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -1, 1e308, 5, 0.1, 60), fc.string({ maxLength: 5 }), fc.constant(null));
const point = fc.oneof(fc.tuple(num, num), fc.array(num, { maxLength: 3 }));
const cameraBody = fc.record(
  {
    id: fc.oneof(fc.stringMatching(/^[a-z0-9_-]{1,64}$/), fc.string({ maxLength: 10 })),
    name: fc.string({ unit: 'grapheme', maxLength: 250 }),
    url: cameraUrl,
    enabled: fc.oneof(fc.constant(false), fc.boolean(), fc.string({ maxLength: 3 })),
    transport: fc.constantFrom('tcp', 'udp', 'sctp'),
    loop: fc.boolean(),
    realtime: fc.boolean(),
    detect: fc.record({ fps: num, width: num, height: num }, { requiredKeys: [] }),
    stallSeconds: num,
    maxInFlight: num,
    zones: fc.array(fc.record({ id: fc.stringMatching(/^[a-z]{1,4}$/), polygon: fc.array(point, { maxLength: 5 }) }, { requiredKeys: [] }), { maxLength: 3 }),
    lines: fc.array(fc.record({ id: fc.stringMatching(/^[a-z]{1,4}$/), points: fc.array(point, { maxLength: 3 }) }, { requiredKeys: [] }), { maxLength: 2 }),
    faces: fc.record({ enabled: fc.boolean() }),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: ['url'] },
).map((c) => ({ enabled: false, ...c }));

/** JSON bodies that are wrong in every way. */
const junkJson = fc.oneof(
  fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v)),
  fc.integer({ min: 1, max: 4000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 1, max: 4000 }).map((n) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`),
  fc.tuple(fc.jsonValue({ maxDepth: 3 }), fc.nat()).map(([v, n]) => {
    const s = JSON.stringify({ v });
    return s.slice(0, n % (s.length + 1));
  }),
  fc.constantFrom('{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '', 'null', '"x"', '\u0000', '\ufeff{}', '{"a":1,"a":2}'),
  fc.string({ unit: 'binary', maxLength: 500 }),
  fc.integer({ min: 70_000, max: 300_000 }).map((n) => JSON.stringify({ url: 'rtsp://h/x', name: 'n'.repeat(n) })),
);

type Body = { body: Buffer; type: string | undefined };
const json = (s: string, type = 'application/json'): Body => ({ body: Buffer.from(s), type });

function multipart(images: Buffer[]): fc.Arbitrary<Body> {
  const part = fc.oneof(
    { weight: 3, arbitrary: fc.integer({ min: 0, max: images.length - 1 }).map((i) => ({ name: 'image', filename: 'a.jpg', data: images[i] })) },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 150 }).map((v) => ({ name: 'name', data: Buffer.from(v) })) },
    { weight: 1, arbitrary: fc.constantFrom('[1,2', '[0.1,0.1,0.9,0.9]', '0.1,0.1,0.9,0.9', 'a,b,c,d', '[2,2,1,1]', '').map((v) => ({ name: 'box', data: Buffer.from(v) })) },
    { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 2000 })).map(([n, v]) => ({ name: n, data: Buffer.from(v) })) },
  );
  return fc
    .tuple(fc.array(part, { maxLength: 5 }), fc.constantFrom('ok', 'ok', 'ok', 'no-close', 'no-boundary', 'empty-boundary', 'wrong-boundary', 'garbage-headers'), fc.stringMatching(/^[A-Za-z0-9]{1,40}$/))
    .map(([parts, mode, b]) => {
      const chunks: Buffer[] = [];
      for (const p of parts) {
        const fn = 'filename' in p ? `; filename="${p.filename}"` : '';
        const head = mode === 'garbage-headers' ? `--${b}\r\nContent-Disposition: form-data; name=\r\n\r\n` : `--${b}\r\nContent-Disposition: form-data; name="${p.name.replace(/["\r\n]/g, '')}"${fn}\r\n\r\n`;
        chunks.push(Buffer.from(head), p.data, Buffer.from('\r\n'));
      }
      if (mode !== 'no-close') {
        chunks.push(Buffer.from(`--${b}--\r\n`));
      }
      const type = mode === 'no-boundary' ? 'multipart/form-data' : mode === 'empty-boundary' ? 'multipart/form-data; boundary=' : mode === 'wrong-boundary' ? `multipart/form-data; boundary=${b}x` : `multipart/form-data; boundary=${b}`;
      return { body: Buffer.concat(chunks), type };
    });
}

function faceJson(images: Buffer[], faceIds: string[]): fc.Arbitrary<Body> {
  // Encoded once: the variants are picked by index.
  const encoded = images.flatMap((img) => {
    const s = img.toString('base64');
    return [s, `data:image/png;base64,${s}`, `${s.slice(0, 50)}*!`];
  });
  const b64 = fc.oneof({ weight: 12, arbitrary: fc.integer({ min: 0, max: encoded.length - 1 }).map((i) => encoded[i]) }, { weight: 1, arbitrary: fc.constant('') });
  return fc
    .record(
      {
        name: fc.oneof(fc.string({ unit: 'grapheme', maxLength: 120 }), fc.integer()),
        id: fc.oneof(fc.constantFrom(...faceIds), fc.string({ maxLength: 120 })),
        image: b64,
        images: fc.array(b64, { maxLength: 11 }),
        box: fc.oneof(fc.array(fc.double({ min: -1, max: 2, noNaN: true }), { maxLength: 5 }), fc.constant([0.1, 0.1, 0.9, 0.9])),
        extra: fc.jsonValue({ maxDepth: 1 }),
      },
      { requiredKeys: [] },
    )
    .map((o) => json(JSON.stringify(o)));
}

const contentType = fc.constantFrom(undefined, 'application/json', 'application/json; charset=utf-8', 'text/plain', 'application/xml', 'multipart/form-data', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/json; charset=latin1', '*/*', 'application/json, text/plain');

/** The body for a route: mostly what the route expects, sometimes anything. */
function bodyFor(route: OpenApiRoute, faces: { json: fc.Arbitrary<Body>; multipart: fc.Arbitrary<Body> }): fc.Arbitrary<Body | undefined> {
  const junk = fc.tuple(junkJson, contentType).map(([s, t]) => json(s, t));
  const nothing = fc.constant(undefined);
  if (route.method === 'PUT') {
    return fc.oneof({ weight: 6, arbitrary: cameraBody.map((c) => json(JSON.stringify(c))) }, { weight: 3, arbitrary: junk }, { weight: 1, arbitrary: nothing });
  }
  if (route.method === 'POST' && route.path === '/api/faces') {
    return fc.oneof({ weight: 4, arbitrary: faces.json }, { weight: 4, arbitrary: faces.multipart }, { weight: 2, arbitrary: junk }, { weight: 1, arbitrary: nothing });
  }
  if (route.method === 'POST') {
    const ack = fc.record({ action: fc.oneof(fc.constantFrom('acknowledged', 'dismissed', 'ACKNOWLEDGED', ''), fc.jsonValue({ maxDepth: 1 })) }, { requiredKeys: [] }).map((o) => json(JSON.stringify(o)));
    return fc.oneof({ weight: 3, arbitrary: ack }, { weight: 3, arbitrary: junk }, { weight: 3, arbitrary: nothing });
  }
  return fc.oneof({ weight: 9, arbitrary: nothing }, { weight: 1, arbitrary: junk });
}

/** A request to one route of the document. */
export function requestArb(routes: OpenApiRoute[], known: Record<string, string[]>, images: Buffer[]): fc.Arbitrary<FuzzRequest> {
  // One arbitrary per route, built once (building them per generated value would re-encode every image each time).
  const faceBodies = { json: faceJson(images, known.face), multipart: multipart(images) };
  const perRoute = routes.map((route) => {
    const params = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    const ids = route.path.startsWith('/api/alerts') ? known.alert : route.path.startsWith('/api/faces') ? known.face : route.path.startsWith('/dashboard') ? known.file : route.path.startsWith('/api/webhooks') ? known.deadLetter : known.camera;
    return fc
      .record({
        segs: fc.tuple(...params.map(() => segment(ids))),
        q: query(route.query),
        auth,
        body: bodyFor(route, faceBodies),
        method: fc.oneof({ weight: 19, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom('HEAD', 'OPTIONS', 'PATCH', 'TRACE', 'PROPFIND', 'SEARCH', 'GET', 'DELETE') }),
        extra: fc.option(fc.constantFrom<[string, string]>(['expect', '100-continue'], ['accept', 'image/png'], ['content-encoding', 'gzip'], ['x-forwarded-for', '169.254.169.254'], ['accept-encoding', 'gzip, br'])),
      })
      .map(({ segs, q, auth: a, body, method, extra }) => {
        let p = route.path;
        params.forEach((name, i) => {
          p = p.replace(`{${name}}`, segs[i]);
        });
        const headers: Record<string, string> = {};
        if (a) {
          headers.authorization = a;
        }
        if (body?.type) {
          headers['content-type'] = body.type;
        }
        if (extra) {
          headers[extra[0]] = extra[1];
        }
        return { method, path: `${p}${q}`, headers, ...(body ? { body: body.body } : {}), route: `${route.method} ${route.path}` };
      });
  });
  return fc.oneof(...perRoute);
}

/** Requests as raw bytes: broken request lines, headers and framing that only a socket can send. */
export const rawRequestArb: fc.Arbitrary<Buffer> = fc
  .record({
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'FOO', 'G ET', '', 'get', 'CONNECT', 'GET\u0000'),
    target: fc.oneof(
      fc.constantFrom('/api/alerts', '/api/cameras', '/healthz', '/api/faces', '/api/cameras/yard/frame.jpg', '*', 'http://x/api/alerts', '//api//alerts'),
      fc.string({ unit: 'binary-ascii', maxLength: 200 }).map((s) => `/api/${s}`),
      fc.integer({ min: 9000, max: 20_000 }).map((n) => `/api/alerts?x=${'a'.repeat(n)}`),
    ),
    version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', ''),
    headers: fc.array(
      fc.oneof(
        fc.constantFrom('Host: x', 'Host: x', `Authorization: Bearer ${ADMIN}`, 'Content-Length: 5', 'Content-Length: -1', 'Content-Length: abc', 'Content-Length: 99999999999999999999', 'Transfer-Encoding: chunked', 'Transfer-Encoding: gzip, chunked', 'Expect: teapot', 'Content-Type: application/json', 'Connection: close', ' Host: folded', 'X: y\rZ: w', 'Bad Header: x', ':: x'),
        fc.integer({ min: 100, max: 20_000 }).map((n) => `X-Big: ${'b'.repeat(n)}`),
        fc.string({ unit: 'binary-ascii', maxLength: 60 }),
      ),
      { maxLength: 6 },
    ),
    body: fc.oneof(fc.constant(''), fc.constantFrom('{}', '5\r\nhello\r\n0\r\n\r\n', 'zz\r\nx\r\n', '{"url":"file:///etc/passwd"}'), fc.string({ unit: 'binary-ascii', maxLength: 300 })),
  })
  .map(({ method, target, version, headers, body }) => Buffer.from(`${method} ${target} ${version}\r\n${headers.join('\r\n')}${headers.length ? '\r\n' : ''}\r\n${body}`, 'latin1'));
