import assert from 'node:assert/strict';
import type { Context } from '../../src/config/context';
import { WatchlistStore, WatchlistSync } from '../../src/faces/watchlist';
import { cleanup, testContext } from '../api/helpers';
import { waitFor } from '../helpers';

const vec = (x: number): number[] => [x, ...new Array(127).fill(0)];

describe('WatchlistStore / WatchlistSync (redis)', () => {
  let ctx: Context;
  let syncs: WatchlistSync[] = [];
  beforeEach(() => {
    ctx = testContext();
    syncs = [];
  });
  afterEach(async () => {
    await Promise.all(syncs.map((s) => s.close()));
    await cleanup(ctx);
  });

  function sync(): WatchlistSync {
    const s = new WatchlistSync(new WatchlistStore(ctx.redis('w'), ctx.keys), ctx.redis('sub'), ctx.keys, ctx.log);
    syncs.push(s);
    return s;
  }

  it('stores identities under the prefix, appends images, removes every embedding', async () => {
    const store = new WatchlistStore(ctx.redis('store'), ctx.keys);
    const ann = await store.add('Ann', [vec(1)]);
    assert.match(ann.id, /^[0-9a-f-]{36}$/);
    const more = await store.add(undefined, [vec(2), vec(3)], ann.id);
    assert.equal(more.name, 'Ann');
    assert.equal(more.embeddings.length, 3);
    assert.equal((await store.all()).length, 1);
    const raw = await ctx.redis('check').hget(ctx.keys.faces, ann.id);
    assert.ok(raw && raw.includes('"Ann"'));
    assert.equal(await store.remove(ann.id), true);
    assert.equal(await ctx.redis('check').exists(ctx.keys.faces), 0, 'no embedding left');
    assert.equal(await store.remove(ann.id), false);
    await assert.rejects(store.add(undefined, [vec(1)], 'nope'), { code: 'not_found' });
  });

  it('keeps the in-memory index of another process in sync through pub/sub', async () => {
    const a = sync();
    const b = sync();
    await a.start();
    await b.start();
    assert.ok(a.ready && b.ready);
    const store = new WatchlistStore(ctx.redis('store'), ctx.keys);
    const ann = await store.add('Ann', [vec(1)]);
    await waitFor(() => a.index.size === 1 && b.index.size === 1, 5000, 'both indexes to see Ann');
    assert.equal(b.index.match(vec(1.1), 0.6)?.name, 'Ann');
    await store.add(undefined, [vec(5)], ann.id);
    await waitFor(() => b.index.match(vec(5), 0.1) !== undefined, 5000, 'the new image');
    await store.remove(ann.id);
    await waitFor(() => a.index.size === 0 && b.index.size === 0, 5000, 'removal');
  });

  it('reloads everything after its subscriber reconnects (changes made meanwhile are not lost)', async () => {
    const sub = ctx.redis('sub-reconnect');
    const s = new WatchlistSync(new WatchlistStore(ctx.redis('w2'), ctx.keys), sub, ctx.keys, ctx.log);
    syncs.push(s);
    await s.start();
    // a change whose message this process never sees (written without a publish)
    const missed = { id: 'missed', name: 'Missed', embeddings: [vec(7)], createdAt: new Date().toISOString() };
    await ctx.redis('raw').hset(ctx.keys.faces, missed.id, JSON.stringify(missed));
    assert.equal(s.index.size, 0);
    sub.disconnect(true);
    await waitFor(() => s.index.size === 1, 10_000, 'reload after reconnect');
  });

  it('loads what was stored before it started, and skips corrupt entries', async () => {
    const store = new WatchlistStore(ctx.redis('store'), ctx.keys);
    await store.add('Ann', [vec(1)]);
    await ctx.redis('raw').hset(ctx.keys.faces, 'broken', '{not json');
    const s = sync();
    await s.start();
    assert.equal(s.index.size, 1);
  });
});
