import assert from 'node:assert/strict';
import { onceClose } from '../../src/config/context';

describe('onceClose', () => {
  it('runs every step once even when one fails, and rethrows the first failure', async () => {
    const ran: string[] = [];
    const close = onceClose([
      () => ran.push('a'),
      () => {
        throw new Error('b failed');
      },
      async () => {
        ran.push('c');
      },
    ]);
    await assert.rejects(close(), /b failed/);
    await assert.rejects(close(), /b failed/);
    assert.deepEqual(ran, ['a', 'c']);
  });
  it('returns the same promise on a second call', () => {
    const close = onceClose([]);
    assert.equal(close(), close());
  });
});
