import assert from 'node:assert/strict';
import http from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { ADMIN, SEED, checkAnswer, imagePool, openFds, rssAfterGc, startTarget, type FuzzTarget } from './harness';
import { rawRequestArb, requestArb, routesOf, type FuzzRequest, type OpenApiRoute } from './http-arbitraries';
import { waitFor } from '../helpers';

/** Requests through node:http (the rest of the 10,000 are raw-socket requests). */
const HTTP_REQUESTS = Number(process.env.VIGIL_FUZZ_HTTP ?? 9_400);
const RAW_REQUESTS = Number(process.env.VIGIL_FUZZ_RAW ?? 600);
const WARMUP = 1000;
/** In-flight requests against the one server (enough to overlap Redis and image work, not to thrash 2 cores). */
const CONCURRENCY = Number(process.env.VIGIL_FUZZ_CONCURRENCY ?? 12);

interface Answer {
  status: number;
  type: string | undefined;
  body: Buffer;
  ms: number;
}

function send(agent: http.Agent, port: number, r: FuzzRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers: { ...r.headers, ...(r.body ? { 'content-length': String(r.body.length) } : {}) }, agent, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body: Buffer.concat(chunks), ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`client timeout (10 s, reused socket: ${req.reusedSocket}): ${r.method} ${r.path.slice(0, 200)} ${JSON.stringify(r.headers).slice(0, 300)} body ${r.body?.length ?? 0} B: ${r.body?.toString('latin1', 0, 300) ?? ''}`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      // The server may answer early (413 before the body) and close: the answer was already checked if it came.
      if (err.code === 'EPIPE' || err.code === 'ECONNRESET') {
        resolve({ status: -1, type: undefined, body: Buffer.alloc(0), ms: performance.now() - t0 });
      } else {
        reject(err);
      }
    });
    req.end(r.body);
  });
}

/** Sends raw bytes on a fresh connection; the first answer, or status 0 when the server closed without one. */
function sendRaw(port: number, bytes: Buffer): Promise<Answer> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let settled = false;
    const done = () => {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      s.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const cut = text.indexOf('\r\n\r\n');
      const head = cut < 0 ? text : text.slice(0, cut);
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
      const len = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
      const rest = cut < 0 ? '' : text.slice(cut + 4);
      const body = Buffer.from(len === undefined ? rest : rest.slice(0, Number(len)), 'latin1');
      resolve({ status, type: /\r\ncontent-type: *([^\r\n]+)/i.exec(head)?.[1], body, ms: performance.now() - t0 });
    };
    // Incomplete requests are left waiting by design (the server waits for the rest): 0.5 s without an answer ends it.
    const timer = setTimeout(done, 500);
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      const text = Buffer.concat(chunks).toString('latin1');
      const cut = text.indexOf('\r\n\r\n');
      const len = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, cut < 0 ? undefined : cut))?.[1];
      if (cut >= 0 && len !== undefined && Buffer.byteLength(text.slice(cut + 4), 'latin1') >= Number(len)) {
        done();
      }
    });
    s.on('end', done);
    s.on('close', done);
    s.on('error', done);
    s.write(bytes);
  });
}

async function pool<T>(items: T[], concurrency: number, run: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const i = next++;
        await run(items[i], i);
      }
    }),
  );
}

describe('fuzz: HTTP (issue 14, item 5) @integration', function () {
  this.timeout(180_000);
  let target: FuzzTarget;
  let routes: OpenApiRoute[];
  let requests: FuzzRequest[];
  let raws: Buffer[];

  before(async () => {
    target = await startTarget();
    const doc = (await (await fetch(`http://127.0.0.1:${target.port}/openapi.json`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as Parameters<typeof routesOf>[0];
    routes = routesOf(doc);
    const images = await imagePool();
    const known = {
      alert: target.alertIds,
      face: target.faceIds,
      camera: ['yard', 'door', 'new-cam'],
      file: ['app.js', 'index.html', 'style.css'],
      deadLetter: ['dl-1', 'dl-2'],
    };
    requests = fc.sample(requestArb(routes, known, images), { seed: SEED, numRuns: HTTP_REQUESTS });
    raws = fc.sample(rawRequestArb, { seed: SEED + 1, numRuns: RAW_REQUESTS });
  });
  after(async () => {
    await target?.close();
  });

  it(`${HTTP_REQUESTS + RAW_REQUESTS} generated requests over every route of /openapi.json: no 5xx, every 4xx {error:{code,message}}, none over 5 s, RSS and fds back within 10 %`, async () => {
    const hits = new Map<string, number>();
    const trace = new Map<string, [number, number]>();
    const recent: string[] = [];
    const statuses = new Map<number, number>();
    const check = (what: string, r: FuzzRequest | undefined, a: Answer) => {
      statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      if (a.status === -1 || (a.status === 0 && r === undefined)) {
        // -1: the server answered early and closed while the body was still being written (a 413 before reading it);
        // 0 on a raw socket: an incomplete or unanswerable request (CONNECT, a body shorter than its length) that
        // the server closed or left waiting. Neither may take long.
        assert.ok(a.ms < 5000, `${what}: took ${a.ms} ms`);
        return;
      }
      checkAnswer(what, a.status, a.type, a.body, a.ms, r?.method ?? 'RAW');
    };
    const describe = (i: number, r: FuzzRequest) => `#${i} (seed ${SEED}) ${r.method} ${r.path.slice(0, 160)} [${r.route}] ${r.body ? `${r.body.length} B ${r.headers['content-type'] ?? ''}` : ''}`;
    const run = async (agent: http.Agent, list: FuzzRequest[], offset: number) =>
      pool(list, CONCURRENCY, async (r, i) => {
        hits.set(r.route, (hits.get(r.route) ?? 0) + 1);
        if (process.env.VIGIL_FUZZ_TRACE) {
          recent.push(describe(offset + i, r) + ' ' + JSON.stringify(r.headers).slice(0, 200) + ' ' + (r.body?.toString('latin1', 0, 150) ?? ''));
          recent.splice(0, recent.length - 4);
        }
        const a = await send(agent, target.port, r).catch((err: Error) => {
          throw new Error(`${err.message}\nrecent:\n${recent.join('\n')}`);
        });
        if (process.env.VIGIL_FUZZ_TRACE) {
          const k = `${r.method} ${r.route}`;
          const t = (trace.get(k) ?? [0, 0]) as [number, number];
          trace.set(k, [t[0] + 1, t[1] + a.ms]);
          if (a.ms > 500) {
            console.log(`slow ${Math.round(a.ms)} ms ${a.status} ${describe(offset + i, r)}`);
          }
        }
        check(describe(offset + i, r), r, a);
        if ((offset + i) % 1000 === 999) {
          const t0 = performance.now();
          const h = await fetch(`http://127.0.0.1:${target.port}/healthz`);
          assert.equal(h.status, 200);
          assert.ok(performance.now() - t0 < 1000, 'healthz stays fast under the fuzzer');
        }
      });

    // Warm-up (lazy loads, caches, JIT), then the baseline of resources.
    const warm = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    await run(warm, requests.slice(0, WARMUP), 0);
    warm.destroy();
    await waitFor(() => settled(), 5000, 'sockets closed after the warm-up');
    const fd0 = openFds();
    const rss0 = rssAfterGc();

    const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const t0 = Date.now();
    await run(agent, requests.slice(WARMUP), WARMUP);
    await pool(raws, 8, async (bytes, i) => {
      check(`raw #${i} (seed ${SEED + 1}) ${JSON.stringify(bytes.toString('latin1').slice(0, 160))}`, undefined, await sendRaw(target.port, bytes));
    });
    const seconds = (Date.now() - t0) / 1000;
    if (process.env.VIGIL_FUZZ_TRACE) {
      console.log([...trace].map(([k, [n, ms]]) => `${k}: ${n} requests, ${Math.round(ms / n)} ms mean`).join('\n'));
    }
    agent.destroy();

    assert.deepEqual(
      routes.map((r) => `${r.method} ${r.path}`).filter((k) => !hits.has(k)),
      [],
      'every documented route was hit',
    );
    assert.ok(Math.min(...routes.map((r) => hits.get(`${r.method} ${r.path}`) ?? 0)) >= 100, JSON.stringify([...hits]));
    assert.ok((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) > 500, `too few successes to mean anything: ${JSON.stringify([...statuses])}`);
    const h = await fetch(`http://127.0.0.1:${target.port}/healthz`);
    assert.equal(h.status, 200, 'still alive');
    await waitFor(() => openFds() <= fd0 * 1.1, 5000, `fds back within 10 % of ${fd0} (now ${openFds()})`);
    let rss = rssAfterGc();
    await waitFor(() => (rss = rssAfterGc()) <= rss0 * 1.1, 5000, `RSS back within 10 % of ${Math.round(rss0 / 1e6)} MB (now ${Math.round(rss / 1e6)} MB)`);
    console.log(`      ${HTTP_REQUESTS + RAW_REQUESTS} requests (${HTTP_REQUESTS + RAW_REQUESTS - WARMUP} after the warm-up in ${seconds.toFixed(1)} s); statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}; fds ${fd0} -> ${openFds()}; RSS ${Math.round(rss0 / 1e6)} -> ${Math.round(rss / 1e6)} MB`);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');

    function settled(): boolean {
      const a = openFds();
      const b = openFds();
      return a === b;
    }
  });
});
