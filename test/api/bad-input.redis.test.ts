import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Context } from '../../src/config/context';
import { captureLogger } from '../../src/core/logger';
import { configSchema } from '../../src/config/schema';
import { WatchlistStore } from '../../src/faces/watchlist';
import { parseAlertsQuery } from '../../src/api/routes/alerts';
import { TestClient } from '../ws/ws-client';
import { ADMIN, VIEWER, cleanup, startTestApi, writeAlerts, type TestApi } from './helpers';
import { randomBytes } from 'node:crypto';
import { REDIS_URL, waitFor } from '../helpers';

/** Sends raw bytes and returns the status and body of the answer (the server closes or answers once). */
function raw(port: number, request: string | Buffer, timeoutMs = 5000): Promise<{ status: number; body: string; head: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer to ${JSON.stringify(request.toString().slice(0, 80))}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(t);
      const [head, ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body: rest.join('\r\n\r\n'), head });
      s.destroy();
    };
    s.on('data', (d) => {
      data += d.toString('latin1');
      const [head, body] = data.split('\r\n\r\n');
      const len = /content-length: (\d+)/i.exec(head ?? '')?.[1];
      if (body !== undefined && len !== undefined && Buffer.byteLength(body, 'latin1') >= Number(len)) {
        done();
      }
    });
    s.on('end', done);
    s.on('error', () => done());
    s.write(request);
  });
}

function assertShape(body: string, code: string, what: string): void {
  let parsed: { error?: { code?: unknown; message?: unknown } };
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    assert.fail(`${what}: not JSON: ${JSON.stringify(body.slice(0, 200))}`);
  }
  assert.equal(parsed.error?.code, code, `${what}: ${body}`);
  assert.equal(typeof parsed.error?.message, 'string', what);
}

describe('every bad input a documented 4xx (issue 14, items 4-6)', function () {
  this.timeout(30_000);
  let api: TestApi;
  let lines: string[];
  const auth = `Authorization: Bearer ${ADMIN}\r\n`;

  before(async () => {
    const cap = captureLogger('info');
    lines = cap.lines;
    const config = configSchema.parse({
      redis: { url: REDIS_URL, prefix: `vigil-test-${randomBytes(5).toString('hex')}` },
      server: {
        port: 0,
        tokens: [
          { name: 'ops', token: ADMIN, role: 'admin' },
          { name: 'guard', token: VIEWER, role: 'viewer' },
        ],
        audit: { maxEntries: 100 },
      },
      faces: { maxConcurrentEnrolments: 1 },
    });
    api = await startTestApi(new Context(config, cap.log, new Set(['api']), { defaultMetrics: false }));
  });
  after(async () => {
    await api.close();
    await cleanup(api.ctx);
  });

  it('errors of the HTTP parser and of Node come in the {error:{code,message}} shape', async () => {
    const cases: Array<[string, string | Buffer, number, string]> = [
      ['unknown method', 'FOO /api/alerts HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request'],
      ['control bytes in the URL', 'GET /api/al\x01erts HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'bad_request'],
      ['bad Content-Length', `POST /api/alerts/1-1/ack HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: abc\r\n\r\n`, 400, 'bad_request'],
      ['two Content-Lengths', `POST /api/alerts/1-1/ack HTTP/1.1\r\nHost: x\r\n${auth}Content-Length: 1\r\nContent-Length: 2\r\n\r\nx`, 400, 'bad_request'],
      ['headers too large', `GET /api/alerts HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'headers_too_large'],
      ['Expect other than 100-continue', `GET /api/alerts HTTP/1.1\r\nHost: x\r\n${auth}Expect: teapot\r\n\r\n`, 417, 'expectation_failed'],
      ['no Host header', `GET /api/alerts HTTP/1.1\r\n${auth}\r\n`, 400, 'bad_request'],
      ['bad URL encoding', `GET /api/cameras/%zz/frame.jpg HTTP/1.1\r\nHost: x\r\n${auth}\r\n`, 400, 'bad_request'],
    ];
    for (const [what, req, status, code] of cases) {
      const res = await raw(api.port, req);
      assert.equal(res.status, status, `${what}: ${res.head}`);
      assertShape(res.body, code, what);
    }
  });

  it('query numbers are decimal digits, ids and times strict, one value per parameter', async () => {
    for (const q of ['limit=0x10', 'limit=+5', 'limit=1e3', 'limit=1.0', 'limit=0', 'limit=1001', 'limit=1&limit=2', 'since=1.5', 'since=1,2', 'since=yesterday', 'since=99999999999999999999-0', 'camera=A', 'camera=a&camera=b']) {
      const res = await fetch(`http://127.0.0.1:${api.port}/api/alerts?${q}`, { headers: { authorization: `Bearer ${ADMIN}` } });
      assert.equal(res.status, 400, q);
      assertShape(await res.text(), 'bad_request', q);
    }
    assert.deepEqual(parseAlertsQuery({ limit: '5', since: '2024-01-02T03:04:05.123Z', camera: 'a' }), { limit: 5, since: '2024-01-02T03:04:05.123Z', camera: 'a' });
    assert.deepEqual(parseAlertsQuery({ since: '1700000000000' }), { limit: 100, since: '1700000000000' });
    assert.deepEqual(parseAlertsQuery({ since: '1700000000000-3' }), { limit: 100, since: '1700000000000-3' });
    assert.equal((await fetch(`http://127.0.0.1:${api.port}/api/audit?limit=0x10`, { headers: { authorization: `Bearer ${ADMIN}` } })).status, 400);
  });

  const multipart = (boundary: string, body: string) =>
    `POST /api/faces HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: multipart/form-data${boundary}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const part = (b: string, name: string, value: string) => `--${b}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const file = (b: string) => `--${b}\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\nnotajpeg\r\n`;

  it('malformed multipart on POST /api/faces is a 400, names are limited like JSON', async () => {
    const b = 'XyZ';
    const cases: Array<[string, string]> = [
      ['no boundary', multipart('', `${part(b, 'name', 'a')}${file(b)}--${b}--\r\n`)],
      ['empty boundary', multipart('; boundary=', `${part(b, 'name', 'a')}--${b}--\r\n`)],
      ['no closing boundary', multipart(`; boundary=${b}`, `${part(b, 'name', 'a')}${file(b)}`)],
      ['box [1,2', multipart(`; boundary=${b}`, `${part(b, 'name', 'a')}${part(b, 'box', '[1,2')}${file(b)}--${b}--\r\n`)],
      ['5,000-character name', multipart(`; boundary=${b}`, `${part(b, 'name', 'n'.repeat(5000))}${file(b)}--${b}--\r\n`)],
      ['101-character name', multipart(`; boundary=${b}`, `${part(b, 'name', 'n'.repeat(101))}${file(b)}--${b}--\r\n`)],
      ['unknown field', multipart(`; boundary=${b}`, `${part(b, 'nom', 'a')}${file(b)}--${b}--\r\n`)],
    ];
    for (const [what, req] of cases) {
      const res = await raw(api.port, req);
      assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.head} ${res.body}`);
      assert.equal(res.status, 400, `${what}: ${res.body}`);
      assertShape(res.body, 'bad_request', what);
    }
  });

  it('POST /api/faces: a JSON body over server.bodyLimitBytes is a 413 before it is parsed; one enrolment at a time here', async () => {
    const big = await raw(api.port, `POST /api/faces HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: ${9 * 1024 * 1024}\r\n\r\n{"name":"a"`);
    assert.equal(big.status, 413);
    assertShape(big.body, 'payload_too_large', '9 MiB JSON');
    // A slow upload holds the only slot (faces.maxConcurrentEnrolments: 1): the next one is told to retry.
    const slow = connect(api.port, '127.0.0.1');
    slow.on('error', () => undefined);
    slow.write(`POST /api/faces HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"name":"a","image":"`);
    try {
      await waitFor(async () => {
        const r = await fetch(`http://127.0.0.1:${api.port}/api/faces`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: '{}' });
        return r.status === 429 && r.headers.get('retry-after') === '1' && ((await r.json()) as { error: { code: string } }).error.code === 'too_many_requests';
      }, 5000, '429 while the slot is held');
    } finally {
      slow.destroy();
    }
    // The aborted upload gave its slot back.
    await waitFor(async () => {
      const r = await fetch(`http://127.0.0.1:${api.port}/api/faces`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: '{}' });
      return r.status === 400;
    }, 5000, 'the slot released');
  });

  it('WebSocket since with parts beyond 64 bits is a bad_request reply; the connection stays open', async () => {
    const c = await TestClient.open(api.url, { headers: { authorization: `Bearer ${ADMIN}` } });
    try {
      for (const since of ['99999999999999999999-0', '0-99999999999999999999', '18446744073709551615-18446744073709551615']) {
        const before = c.messages.length;
        c.send({ type: 'subscribe', since });
        await c.until(() => c.messages.length > before, 5000, 'error reply');
        const m = c.messages[c.messages.length - 1];
        assert.deepEqual([m.type, m.code], ['error', 'bad_request'], since);
      }
      // A valid id beyond every event (a client's clock ahead) does not silence the live feed.
      c.send({ type: 'subscribe', since: '18446744073709551615-0' });
      const [id] = await writeAlerts(api.store, 1);
      await c.until(() => c.alerts.some((a) => a.id === id), 5000, 'the live alert after a future since');
      assert.equal(c.closeCode, undefined);
    } finally {
      c.close();
    }
  });

  it('audits every change through the API: who, what, when, from where; admin only; capped', async () => {
    const h = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    const base = `http://127.0.0.1:${api.port}`;
    assert.equal((await fetch(`${base}/api/cameras/door`, { method: 'PUT', headers: h, body: JSON.stringify({ url: 'rtsp://u:S3cretPw@10.0.0.5/s', enabled: false }) })).status, 200);
    const del = { authorization: `Bearer ${ADMIN}` };
    assert.equal((await fetch(`${base}/api/cameras/door`, { method: 'DELETE', headers: del })).status, 204);
    const [alertId] = await writeAlerts(api.store, 1);
    assert.equal((await fetch(`${base}/api/alerts/${alertId}/ack`, { method: 'POST', headers: h, body: JSON.stringify({ action: 'dismissed' }) })).status, 200);
    const identity = await new WatchlistStore(api.ctx.redis('w'), api.ctx.keys).add('Ann', [new Array(128).fill(0.1)]);
    assert.equal((await fetch(`${base}/api/faces/${identity.id}`, { method: 'DELETE', headers: del })).status, 204);
    assert.equal((await fetch(`${base}/api/cameras/nope`, { method: 'DELETE', headers: del })).status, 404, 'a failed change is not audited');

    const viewer = await fetch(`${base}/api/audit`, { headers: { authorization: `Bearer ${VIEWER}` } });
    assert.equal(viewer.status, 403);
    await waitFor(async () => ((await (await fetch(`${base}/api/audit`, { headers: h })).json()) as { entries: unknown[] }).entries.length === 4, 3000, 'four entries');
    const { entries } = (await (await fetch(`${base}/api/audit`, { headers: h })).json()) as { entries: Array<Record<string, unknown>> };
    assert.deepEqual(entries.map((e) => [e.action, e.target, e.actor, e.role, e.from, e.outcome]), [
      ['face.delete', identity.id, 'ops', 'admin', '127.0.0.1', 'ok'],
      ['alert.ack', alertId, 'ops', 'admin', '127.0.0.1', 'ok'],
      ['camera.delete', 'door', 'ops', 'admin', '127.0.0.1', 'ok'],
      ['camera.put', 'door', 'ops', 'admin', '127.0.0.1', 'ok'],
    ]);
    assert.ok(entries.every((e) => typeof e.at === 'string' && Number.isFinite(Date.parse(e.at as string))));
    assert.deepEqual(entries[3].details, { url: 'rtsp://***@10.0.0.5/s', enabled: false });
    const page = (await (await fetch(`${base}/api/audit?limit=2&before=${entries[1].id as string}`, { headers: h })).json()) as { entries: Array<{ action: string }> };
    assert.deepEqual(page.entries.map((e) => e.action), ['camera.delete', 'camera.put']);
    assert.ok(lines.some((l) => l.includes('"msg":"audit"') && l.includes('"action":"camera.put"')), 'a log line per entry');
    assert.ok(!lines.join('\n').includes('S3cretPw') && !JSON.stringify(entries).includes('S3cretPw'), 'no credentials in the audit trail');
    for (let i = 0; i < 400; i++) {
      await api.ctx.redis('a').xadd(api.ctx.keys.audit, 'MAXLEN', '~', '100', '*', 'e', '{}');
    }
    assert.ok((await api.ctx.redis('a').xlen(api.ctx.keys.audit)) <= 200, 'capped near server.audit.maxEntries');
  });
});
