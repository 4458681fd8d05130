import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { WebSocket } from 'ws';
import type { LiveFeed } from '../../src/ws/live-feed';
import type { Context } from '../../src/config/context';
import { LiveSocket } from '../../src/ws/live';

/** A client socket that only records what it is sent, with a send buffer the test sets. */
function fakeClient(buffered: number) {
  const sent: Buffer[] = [];
  return { ws: { readyState: WebSocket.OPEN, bufferedAmount: buffered, send: (b: Buffer) => sent.push(b) }, sent, token: undefined, stops: [] };
}

describe('live socket: a slow viewer skips frames, the others get every one', () => {
  it('sends to viewers under the limit and counts a drop for the one over it', async () => {
    const metrics = new Registry();
    const live = new LiveSocket({ metrics } as unknown as Context, {} as Server, {} as LiveFeed, { maxBufferedBytes: 1000 });
    const fast = fakeClient(0);
    const slow = fakeClient(5000);
    const send = (live as unknown as { send(c: unknown, f: Buffer): void }).send.bind(live);
    for (let i = 0; i < 10; i++) {
      send(fast, Buffer.from([i]));
      send(slow, Buffer.from([i]));
    }
    assert.equal(fast.sent.length, 10);
    assert.equal(slow.sent.length, 0);
    slow.ws.bufferedAmount = 0; // caught up: frames flow again
    send(slow, Buffer.from([10]));
    assert.deepEqual([...slow.sent[0]], [10]);
    const text = await metrics.metrics();
    assert.match(text, /vigil_live_frames_dropped_total\{transport="ws"\} 10/);
    assert.match(text, /vigil_live_frames_sent_total\{transport="ws"\} 11/);
  });
});
