import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AlertStore } from '../../src/alerts';
import { sameSecret } from '../../src/core/auth';
import { AuthFailureLimiter } from '../../src/core/auth-limiter';
import { buildServer } from '../../src/api/server';
import { parseConfig } from '../../src/config/load';
import { configSchema, type VigilConfig } from '../../src/config/schema';
import { Context } from '../../src/config/context';
import { ConfigError } from '../../src/core/errors';
import { captureLogger, nullLogger } from '../../src/core/logger';
import { reloadConfig } from '../../src/daemon';
import { TestClient, upgradeStatus } from '../ws/ws-client';
import { ADMIN, VIEWER, cleanup, startTestApi, type TestApi } from './helpers';
import { REDIS_URL, stopChild, waitFor } from '../helpers';

const prefix = () => `vigil-test-${randomBytes(5).toString('hex')}`;
const OTHER = 'other-admin-token-0123456789';

function config(server: Record<string, unknown>, extra: Record<string, unknown> = {}): VigilConfig {
  return configSchema.parse({ redis: { url: REDIS_URL, prefix: prefix() }, server: { port: 0, ...server }, ...extra });
}

const tokens = [
  { name: 'ops', token: ADMIN, role: 'admin' },
  { name: 'guard', token: VIEWER, role: 'viewer' },
];

describe('reload safety (issue 14, item 1)', () => {
  let ctx: Context;
  let app: FastifyInstance;

  beforeEach(async () => {
    ctx = new Context(config({ host: '127.0.0.2', port: 18080, tokens }), nullLogger(), new Set(['api']), { defaultMetrics: false });
    const redis = ctx.redis('test-api');
    app = await buildServer(ctx, { redis, store: new AlertStore(redis, ctx.keys) });
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
    await cleanup(ctx);
  });

  const by = { actor: 'signal', from: 'local' };

  it('refuses a reload that moves the listener to loopback and drops the tokens; auth still holds', async () => {
    const running = ctx.config;
    const out = await reloadConfig(ctx, () => config({ host: '127.0.0.1', port: 18080 }), app.vigil.audit, by);
    assert.equal(out.applied, false);
    assert.match(out.problems.join('\n'), /^server\.host: a reload cannot change the listener \(listening on 127\.0\.0\.2/m);
    assert.match(out.problems.join('\n'), /^server\.tokens: a reload cannot switch authentication off while the server listens on 127\.0\.0\.2/m);
    assert.equal(ctx.config, running, 'the running config is kept');
    for (const [method, url] of [['GET', '/api/cameras'], ['PUT', '/api/cameras/x']] as const) {
      const res = await app.inject({ method, url, payload: method === 'PUT' ? { url: 'rtsp://h/s' } : undefined });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
    }
  });

  it('refuses a reload that changes the port, TLS or Redis, or an invalid file, and applies a token rotation', async () => {
    const base = { host: '127.0.0.2', port: 18080, tokens };
    const refused = async (next: () => VigilConfig, re: RegExp) => {
      const out = await reloadConfig(ctx, next, app.vigil.audit, by);
      assert.equal(out.applied, false);
      assert.match(out.problems.join('\n'), re);
    };
    await refused(() => config({ ...base, port: 18081 }), /^server\.port: a reload cannot change the listener/);
    await refused(() => ({ ...ctx.config, server: { ...ctx.config.server, tls: { cert: '/c.pem', key: '/k.pem' } } }), /^server\.tls: a reload cannot change TLS/);
    await refused(() => config(base), /^redis: a reload cannot change the Redis URL or prefix/);
    await refused(() => {
      throw new ConfigError(['cameras[0].url: port must be a number 1..65535']);
    }, /cameras\[0\]\.url/);
    const rotated = { ...ctx.config, server: { ...ctx.config.server, tokens: [{ name: 'ops2', token: OTHER, role: 'admin' as const }] } };
    const out = await reloadConfig(ctx, () => rotated, app.vigil.audit, by);
    assert.deepEqual(out, { applied: true, problems: [] });
    assert.equal((await app.inject({ url: '/api/cameras', headers: { authorization: `Bearer ${ADMIN}` } })).statusCode, 401);
    assert.equal((await app.inject({ url: '/api/cameras', headers: { authorization: `Bearer ${OTHER}` } })).statusCode, 200);
    const entries = (await app.vigil.audit!.list(10)).filter((e) => e.action === 'config.reload');
    assert.deepEqual(entries.map((e) => e.outcome), ['ok', 'refused', 'refused', 'refused', 'refused']);
    assert.equal(entries[0].actor, 'signal');
  });

  it('POST /api/config/reload does the same through the API (admin), 409 when refused', async () => {
    let next = config({ host: '127.0.0.1', port: 18080 });
    ctx.reloadFromSource = (who) => reloadConfig(ctx, () => next, app.vigil.audit, who);
    const headers = { authorization: `Bearer ${ADMIN}` };
    assert.equal((await app.inject({ method: 'POST', url: '/api/config/reload', headers: { authorization: `Bearer ${VIEWER}` } })).statusCode, 403);
    const refused = await app.inject({ method: 'POST', url: '/api/config/reload', headers });
    assert.equal(refused.statusCode, 409);
    assert.equal(refused.json().error.code, 'conflict');
    assert.match(refused.json().error.message, /server\.host: a reload cannot change the listener/);
    next = { ...ctx.config, cameras: [] };
    const ok = await app.inject({ method: 'POST', url: '/api/config/reload', headers });
    assert.deepEqual(ok.json(), { applied: true });
    const [last] = await app.vigil.audit!.list(1);
    assert.deepEqual([last.action, last.actor, last.role, last.from, last.outcome], ['config.reload', 'ops', 'admin', '127.0.0.1', 'ok']);
  });
});

/** A free TCP port on `host`. */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function get(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    http.get(url, { headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', () => resolve(-1));
  });
}

describe('SIGHUP on a running daemon (the issue\'s scenario) @integration', function () {
  this.timeout(60_000);
  let dir: string;
  let child: ChildProcess | undefined;
  const out: string[] = [];
  const redisPrefix = prefix();

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-hup-'));
  });
  after(async () => {
    if (child) {
      await stopChild(child);
    }
    rmSync(dir, { recursive: true, force: true });
    const ctx = new Context(config({}, { redis: { url: REDIS_URL, prefix: redisPrefix } }), nullLogger(), new Set(['api']), { defaultMetrics: false });
    await cleanup(ctx);
  });

  it('started on 127.0.0.2 with tokens, reloaded with host 127.0.0.1 and no tokens: refused, still 401 without a token', async () => {
    const port = await freePort('127.0.0.2');
    const file = path.join(dir, 'vigil.yaml');
    const head = `redis: {url: "${REDIS_URL}", prefix: ${redisPrefix}}\nlog: {format: json}\n`;
    writeFileSync(file, `${head}server: {host: 127.0.0.2, port: ${port}, tokens: [{name: ops, token: ${ADMIN}, role: admin}]}\n`);
    const bin = path.join(__dirname, '..', '..', 'bin', 'vigil.js');
    child = spawn(process.execPath, [bin, 'start', '--config', file, '--role', 'api'], {
      env: { ...process.env, VIGIL_FROM_SOURCE: '1', VIGIL_NO_DEMO: '1', VIGIL_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => out.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => out.push(d.toString()));
    const base = `http://127.0.0.2:${port}`;
    await waitFor(async () => (await get(`${base}/healthz`)) === 200, 30_000, 'daemon listening');
    assert.equal(await get(`${base}/api/cameras`), 401);
    writeFileSync(file, `${head}server: {host: 127.0.0.1, port: ${port}}\n`);
    child.kill('SIGHUP');
    await waitFor(() => out.join('').includes('configuration reload refused'), 10_000, 'reload refused in the log');
    assert.match(out.join(''), /server\.host: a reload cannot change the listener/);
    assert.equal(await get(`${base}/api/cameras`), 401, 'auth still on');
    assert.equal(await get(`${base}/api/cameras`, { authorization: `Bearer ${ADMIN}` }), 200);
    assert.equal(await upgradeStatus(`ws://127.0.0.2:${port}/ws`), 401, 'the WebSocket still needs a token');
    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});

describe('access (issue 14, item 6)', () => {
  it('compares tokens in constant time through digests (any lengths)', () => {
    assert.ok(sameSecret(ADMIN, ADMIN));
    assert.ok(!sameSecret(ADMIN, `${ADMIN}x`));
    assert.ok(!sameSecret(ADMIN, ''));
    assert.ok(!sameSecret('a'.repeat(10_000), 'a'.repeat(9_999)));
  });

  it('AuthFailureLimiter: a burst, then blocked; failures earned back over time; bounded table', () => {
    let now = 0;
    const l = new AuthFailureLimiter(() => ({ burst: 3, perMinute: 6 }), () => now, 100);
    assert.equal(l.fail('a'), false);
    assert.equal(l.fail('a'), false);
    assert.equal(l.retryAfter('a'), 0);
    assert.equal(l.fail('a'), true, 'the third failure uses the last one');
    assert.equal(l.retryAfter('a'), 10);
    assert.equal(l.retryAfter('b'), 0, 'per address');
    now += 10_000;
    assert.equal(l.retryAfter('a'), 0, 'one failure earned back after 10 s at 6/min');
    now += 60_000;
    assert.equal(l.size, 1);
    l.retryAfter('a');
    assert.equal(l.size, 0, 'a refilled bucket is forgotten');
    for (let i = 0; i < 500; i++) {
      l.fail(`x${i}`);
    }
    assert.equal(l.size, 100);
  });

  describe('failed-auth rate limiting on the server', () => {
    let api: TestApi;
    let lines: string[];
    before(async () => {
      const cap = captureLogger('info');
      lines = cap.lines;
      const ctx = new Context(config({ host: '127.0.0.1', tokens, authFailures: { burst: 3, perMinute: 1 } }), cap.log, new Set(['api']), { defaultMetrics: false });
      api = await startTestApi(ctx);
    });
    after(async () => {
      await api.close();
      await cleanup(api.ctx);
    });

    it('answers 429 with Retry-After after the burst, for every request that needs a token, and logs it', async () => {
      const base = `http://127.0.0.1:${api.port}`;
      for (let i = 0; i < 3; i++) {
        assert.equal(await get(`${base}/api/cameras`, { authorization: 'Bearer wrong-wrong-wrong-wrong' }), 401);
      }
      const res = await fetch(`${base}/api/cameras`, { headers: { authorization: `Bearer ${ADMIN}` } });
      assert.equal(res.status, 429, 'even a valid token: the address is blocked');
      assert.ok(Number(res.headers.get('retry-after')) >= 1);
      assert.deepEqual(((await res.json()) as { error: { code: string } }).error.code, 'too_many_requests');
      assert.equal(await get(`${base}/healthz`), 200, 'open routes stay open');
      assert.equal(await upgradeStatus(`ws://127.0.0.1:${api.port}/ws`, { authorization: `Bearer ${ADMIN}` }), 429);
      await waitFor(() => lines.some((l) => l.includes('too many failed authentications: address blocked') && l.includes('"from":"127.0.0.1"')), 2000, 'log line');
      const metrics = await api.ctx.metrics.metrics();
      assert.match(metrics, /vigil_api_auth_failures_total 3/);
      assert.match(metrics, /vigil_api_auth_blocked_total [2-9]/);
    });
  });

  describe('TLS and token files', function () {
    this.timeout(30_000);
    let dir: string;
    let cert: string;
    let key: string;
    before(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'vigil-tls-'));
      cert = path.join(dir, 'cert.pem');
      key = path.join(dir, 'key.pem');
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('serves HTTPS and WSS with server.tls (self-signed cert made by openssl), and refuses plain HTTP', async () => {
      const ctx = new Context(config({ host: '127.0.0.1', tokens, tls: { cert, key } }), nullLogger(), new Set(['api']), { defaultMetrics: false });
      const api = await startTestApi(ctx);
      try {
        const ca = execFileSync('cat', [cert]);
        const status = await new Promise<number>((resolve, reject) => {
          https.get(`https://127.0.0.1:${api.port}/api/cameras`, { ca, headers: { authorization: `Bearer ${ADMIN}` } }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          }).on('error', reject);
        });
        assert.equal(status, 200);
        const ws = await TestClient.open(`wss://127.0.0.1:${api.port}/ws`, { ca, headers: { authorization: `Bearer ${ADMIN}` } });
        assert.equal(ws.messages[0].type, 'hello');
        ws.close();
        assert.notEqual(await get(`http://127.0.0.1:${api.port}/healthz`), 200, 'plain HTTP is not served');
      } finally {
        await api.close();
        await cleanup(ctx);
      }
    });

    it('config check: unreadable or mismatched cert and key are problems with their paths', () => {
      const problems = (server: Record<string, unknown>) => {
        try {
          parseConfig(JSON.stringify({ server }), { VIGIL_NO_DEMO: '1' });
        } catch (err) {
          return (err as ConfigError).problems;
        }
        return [];
      };
      assert.deepEqual(problems({ tls: { cert: path.join(dir, 'none.pem'), key } }), [`server.tls.cert: cannot read ${path.join(dir, 'none.pem')}: ENOENT`]);
      assert.deepEqual(problems({ tls: { cert: key, key: cert } }), [`server.tls.cert: ${key} is not a PEM certificate`, `server.tls.key: ${cert} is not an unencrypted PEM private key`]);
      const other = path.join(dir, 'other.pem');
      execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024', '-out', other], { stdio: 'ignore' });
      assert.deepEqual(problems({ tls: { cert, key: other } }), [`server.tls.key: ${other} is not the private key of ${cert}`]);
    });

    it('reads tokens from tokenFile, re-read on reload (rotation without the secret in the YAML)', async () => {
      const file = path.join(dir, 'token');
      writeFileSync(file, `${ADMIN}\n`);
      chmodSync(file, 0o600);
      const p = prefix();
      const load = () => config({ host: '127.0.0.1', tokens: [{ name: 'ops', tokenFile: file, role: 'admin' }] }, { redis: { url: REDIS_URL, prefix: p } });
      const ctx = new Context(load(), nullLogger(), new Set(['api']), { defaultMetrics: false });
      const redis = ctx.redis('t');
      const app = await buildServer(ctx, { redis, store: new AlertStore(redis, ctx.keys) });
      try {
        const status = async (t: string) => (await app.inject({ url: '/api/cameras', headers: { authorization: `Bearer ${t}` } })).statusCode;
        assert.equal(await status(ADMIN), 200);
        writeFileSync(file, OTHER);
        assert.deepEqual(await reloadConfig(ctx, load, undefined, { actor: 'signal', from: 'local' }), { applied: true, problems: [] });
        assert.equal(await status(ADMIN), 401);
        assert.equal(await status(OTHER), 200);
        writeFileSync(file, '   short  ');
        const bad = await reloadConfig(ctx, load, undefined, { actor: 'signal', from: 'local' });
        assert.match(bad.problems.join(), /server\.tokens\[0\]\.tokenFile: .* must hold one token of at least 16 visible ASCII characters/);
        assert.equal(await status(OTHER), 200, 'kept');
      } finally {
        await app.close();
        await cleanup(ctx);
      }
    });
  });
});
