import assert from 'node:assert/strict';
import { Slots } from '../../src/detect/slots';

describe('Slots', () => {
  it('hands out at most capacity slots; a waiter gets the next free one, in order', async () => {
    const s = new Slots(2);
    const a = await s.acquire();
    const b = await s.acquire();
    const order: string[] = [];
    const c = s.acquire().then((r) => (order.push('c'), r));
    const d = s.acquire().then((r) => (order.push('d'), r));
    await Promise.resolve();
    assert.equal(s.inUse, 2);
    assert.equal(s.queued, 2);
    a();
    a(); // twice: released once
    const rc = await c;
    assert.deepEqual(order, ['c']);
    assert.equal(s.inUse, 2);
    b();
    const rd = await d;
    assert.deepEqual(order, ['c', 'd']);
    rc();
    rd();
    assert.equal(s.inUse, 0);
  });

  it('resizing wakes waiters at once', async () => {
    const s = new Slots(1);
    await s.acquire();
    let got = false;
    const w = s.acquire().then(() => (got = true));
    await Promise.resolve();
    assert.equal(got, false);
    s.resize(2);
    await w;
    assert.equal(got, true);
    assert.throws(() => new Slots(0), /capacity/);
  });
});
