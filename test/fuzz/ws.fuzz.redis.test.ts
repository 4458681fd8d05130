import assert from 'node:assert/strict';
import fc from 'fast-check';
import WebSocket from 'ws';
import { ADMIN, SEED, openFds, rssAfterGc, startTarget, type FuzzTarget } from './harness';
import { writeAlerts } from '../api/helpers';
import { waitFor } from '../helpers';

const MESSAGES = Number(process.env.VIGIL_FUZZ_WS ?? 2_400);
const CLIENTS = 8;
/** What the server may send (CONTRACT.md). */
const TYPES = new Set(['hello', 'alert', 'camera', 'detections', 'error']);

const streamIdish = fc.tuple(fc.bigInt({ min: 0n, max: 2n ** 70n }), fc.bigInt({ min: 0n, max: 2n ** 70n })).map(([a, b]) => `${a}-${b}`);

/** One client message: text (JSON or not) or binary; some larger than server.wsMaxMessageBytes (16 KiB here). */
const messageArb: fc.Arbitrary<{ data: string | Buffer; big: boolean }> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record(
        {
          type: fc.oneof({ weight: 5, arbitrary: fc.constant('subscribe') }, { weight: 1, arbitrary: fc.constantFrom('unsubscribe', 'hello', '', 'SUBSCRIBE') }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }) }),
          cameras: fc.oneof(fc.array(fc.oneof(fc.constantFrom('yard', 'door'), fc.stringMatching(/^[a-z0-9_-]{1,64}$/), fc.string({ maxLength: 70 }), fc.integer()), { maxLength: 6 }), fc.constant(null), fc.jsonValue({ maxDepth: 1 }), fc.constant(Array.from({ length: 1100 }, (_, i) => `c${i}`))),
          topics: fc.oneof(fc.array(fc.constantFrom('alerts', 'cameras', 'detections', 'faces', ''), { maxLength: 14 }), fc.jsonValue({ maxDepth: 1 })),
          since: fc.oneof(streamIdish, fc.constantFrom('0', '0-0', '18446744073709551615-18446744073709551615', '18446744073709551615-0', '99999999999999999999-0', '1.5', '', '-1'), fc.jsonValue({ maxDepth: 1 })),
          extra: fc.jsonValue({ maxDepth: 2 }),
        },
        { requiredKeys: [] },
      )
      .map((o) => ({ data: JSON.stringify(o), big: false })),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 6 }).map((v) => ({ data: JSON.stringify(v), big: false })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 300 }).map((s) => ({ data: s, big: false })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((a) => ({ data: Buffer.from(a), big: false })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 3000 }).map((n) => ({ data: `${'['.repeat(n)}${']'.repeat(n)}`, big: false })) },
  { weight: 1, arbitrary: fc.integer({ min: 17 * 1024, max: 64 * 1024 }).map((n) => ({ data: `{"type":"subscribe","x":"${'a'.repeat(n)}"}`, big: true })) },
);

interface Conn {
  ws: WebSocket;
  received: Array<Record<string, unknown>>;
  closed?: number;
}

function open(port: number): Promise<Conn> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const c: Conn = { ws, received: [] };
    ws.on('message', (d, isBinary) => {
      assert.equal(isBinary, false, 'the server sends text only');
      c.received.push(JSON.parse(d.toString()) as Record<string, unknown>);
    });
    ws.on('close', (code) => {
      c.closed = code;
    });
    ws.on('error', () => undefined);
    ws.once('open', () => resolve(c));
    ws.once('unexpected-response', (_r, res) => reject(new Error(`upgrade refused ${res.statusCode}`)));
  });
}

describe('fuzz: WebSocket (issue 14, item 5) @integration', function () {
  this.timeout(120_000);
  let target: FuzzTarget;

  before(async () => {
    target = await startTarget();
  });
  after(async () => {
    await target?.close();
  });

  it(`${MESSAGES} generated client messages: each answered in order within 5 s, only protocol messages back, closed only for oversized ones (1009), RSS and fds back within 10 %`, async () => {
    const messages = fc.sample(messageArb, { seed: SEED + 2, numRuns: MESSAGES });
    const fd0 = openFds();
    const rss0 = rssAfterGc();
    let sent = 0;
    let errors = 0;
    let oversized = 0;
    const per = Math.ceil(messages.length / CLIENTS);
    await Promise.all(
      Array.from({ length: CLIENTS }, async (_x, k) => {
        let c = await open(target.port);
        for (const [i, m] of messages.slice(k * per, (k + 1) * per).entries()) {
          const what = `client ${k} message ${i} (seed ${SEED + 2}): ${(typeof m.data === 'string' ? m.data : m.data.toString('hex')).slice(0, 160)}`;
          if (c.closed !== undefined) {
            c = await open(target.port);
          }
          // Each message is followed by a probe that is always a bad_request: its answer proves the message was
          // handled and how fast (the hub answers a client's messages in order).
          const probe = `probe-${k}-${i}`;
          const before = c.received.length;
          const t0 = Date.now();
          c.ws.send(m.data);
          sent++;
          if (m.big) {
            await waitFor(() => c.closed !== undefined, 5000, `close after ${what}`);
            assert.equal(c.closed, 1009, what);
            oversized++;
            continue;
          }
          c.ws.send(probe);
          await waitFor(() => c.received.slice(before).some((x) => x.type === 'error' && x.message === 'message is not valid JSON') || c.closed !== undefined, 5000, `probe answer after ${what}`);
          assert.equal(c.closed, undefined, `closed ${c.closed} after ${what}`);
          assert.ok(Date.now() - t0 < 5000, what);
          for (const x of c.received.slice(before)) {
            assert.ok(TYPES.has(String(x.type)), `unexpected ${JSON.stringify(x).slice(0, 200)} after ${what}`);
            if (x.type === 'error') {
              assert.equal(x.code, 'bad_request', what);
              assert.equal(typeof x.message, 'string', what);
              errors++;
            }
          }
        }
        // Still a working client: a subscribe from the start replays a new alert.
        const [id] = await writeAlerts(target.store, 1, { camera: 'yard' });
        c.ws.send(JSON.stringify({ type: 'subscribe', since: '0-0' }));
        await waitFor(() => c.received.some((x) => x.type === 'alert' && x.id === id), 5000, `client ${k} gets alerts after the fuzz`);
        c.ws.terminate();
      }),
    );
    assert.ok(sent >= 2000, `${sent} messages`);
    assert.ok(errors > sent / 2 && oversized > 10, `errors ${errors}, oversized ${oversized}`);
    await waitFor(() => target.hub.size === 0, 5000, 'every client gone from the hub');
    await waitFor(() => openFds() <= fd0 * 1.1, 5000, `fds back within 10 % of ${fd0}`);
    await waitFor(() => rssAfterGc() <= rss0 * 1.1, 5000, `RSS back within 10 % of ${Math.round(rss0 / 1e6)} MB`);
    console.log(`      ${sent} messages (${oversized} oversized), ${errors} bad_request replies (probes included); fds ${fd0} -> ${openFds()}; RSS ${Math.round(rss0 / 1e6)} -> ${Math.round(rssAfterGc() / 1e6)} MB`);
  });
});
