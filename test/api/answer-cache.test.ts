import assert from 'node:assert/strict';
import { AnswerCache } from '../../src/api/answer-cache';

describe('AnswerCache', () => {
  it('shares one computation between concurrent requests and reuses it while the stamp is unchanged', async () => {
    let now = 0;
    const cache = new AnswerCache({ maxAgeMs: 5000 }, () => now);
    let computed = 0;
    const compute = async () => {
      computed++;
      await new Promise((r) => setImmediate(r));
      return Buffer.from(`v${computed}`);
    };
    const answers = await Promise.all(Array.from({ length: 50 }, () => cache.get('q', 's1', compute)));
    assert.equal(computed, 1);
    assert.ok(answers.every((a) => a.toString() === 'v1'));
    assert.equal((await cache.get('q', 's1', compute)).toString(), 'v1');
    assert.equal((await cache.get('q', 's2', compute)).toString(), 'v2', 'a new stamp recomputes');
    now += 6000;
    assert.equal((await cache.get('q', 's2', compute)).toString(), 'v3', 'too old: recomputed');
  });

  it('serves a fresh entry without reading the stamp; a failed computation is not cached', async () => {
    let now = 0;
    const cache = new AnswerCache({ freshMs: 250 }, () => now);
    let stamps = 0;
    const stamp = async () => `s${++stamps}`;
    await cache.get('q', stamp, async () => Buffer.from('a'));
    assert.equal((await cache.get('q', stamp, async () => Buffer.from('b'))).toString(), 'a');
    assert.equal(stamps, 1);
    now += 300;
    assert.equal((await cache.get('q', stamp, async () => Buffer.from('c'))).toString(), 'c');
    await assert.rejects(cache.get('x', 's', async () => Promise.reject(new Error('boom'))));
    assert.equal((await cache.get('x', 's', async () => Buffer.from('ok'))).toString(), 'ok');
  });

  it('is bounded in entries and bytes', async () => {
    const cache = new AnswerCache({ maxEntries: 3, maxBytes: 100 });
    for (let i = 0; i < 10; i++) {
      await cache.get(`k${i}`, 's', async () => Buffer.alloc(30));
    }
    assert.equal(cache.size, 3);
    await cache.get('big', 's', async () => Buffer.alloc(1000));
    assert.equal(cache.size, 3, 'an answer larger than the cache is not kept');
  });
});
