import assert from 'node:assert/strict';
import { runFanout } from '../../src/bench/fanout';
import { REDIS_URL } from '../helpers';

describe('fan-out (src/bench/fanout.ts, small numbers; `npx tsx src/bench/fanout.ts` runs 500 x 1000)', () => {
  it('delivers every alert of a burst to every client, in order, nobody cut off', async function () {
    this.timeout(60_000);
    const r = await runFanout({ clients: 40, alerts: 150, redisUrl: REDIS_URL });
    assert.equal(r.delivered, 40 * 150);
    assert.equal(r.clientsComplete, 40);
    assert.equal(r.cutOff, 0);
    // Tolerant of a loaded 2-core machine; the bench records the real figures.
    assert.ok(r.latencyMs.p99 < 15_000, `p99 ${r.latencyMs.p99} ms`);
  });
});
