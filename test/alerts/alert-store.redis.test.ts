import assert from 'node:assert/strict';
import Redis from 'ioredis';
import sharp from 'sharp';
import { AlertStore, renderSnapshot } from '../../src/alerts';
import { alertIdToken, type AlertEventEntry } from '../../src/alerts/alert-store';
import { compareStreamIds } from '../../src/core/stream-id';
import { Keys } from '../../src/core/keys';
import type { Alert } from '../../src/core/types';
import { REDIS_URL, testPrefix } from '../helpers';
import { tailAlertEvents } from './tail-events';

function alert(over: Partial<Alert> = {}): Alert {
  const now = new Date().toISOString();
  return {
    id: '',
    rule: 'lawn',
    type: 'zone_enter',
    camera: 'walkway',
    severity: 'medium',
    state: 'active',
    startedAt: now,
    updatedAt: now,
    objects: [{ trackId: 1, label: 'person', score: 0.9, box: [0.25, 0.25, 0.5, 0.75] }],
    snapshot: '',
    latencyMs: 12,
    ...over,
  };
}

async function delAll(redis: Redis, pattern: string): Promise<void> {
  const keys = await redis.keys(pattern);
  if (keys.length) {
    await redis.del(...keys);
  }
}

describe('AlertStore', () => {
  let redis: Redis;
  let keys: Keys;

  beforeEach(() => {
    keys = new Keys(testPrefix());
    redis = new Redis(REDIS_URL);
  });
  afterEach(async () => {
    await delAll(redis, keys.all);
    redis.disconnect();
  });

  it('#write ends an alert once: a second end (a takeover racing a graceful stop) writes nothing', async () => {
    const store = new AlertStore(redis, keys);
    const started = await store.write('start', alert());
    const ended = { ...started.alert, state: 'ended' as const, endedAt: new Date().toISOString() };
    // Two owners end the same alert at the same moment (the race a takeover after a Redis outage produced).
    const [a, b] = await Promise.all([store.write('end', ended), store.write('end', ended)]);
    assert.equal([a, b].filter((w) => w.skipped === undefined).length, 1, 'exactly one end written');
    assert.equal([a, b].filter((w) => w.skipped === 'ended').length, 1);
    const late = await store.write('update', { ...started.alert, updatedAt: new Date().toISOString() });
    assert.equal(late.skipped, 'ended', 'no update after the end either');
    const events = await store.readEvents('0', 100);
    assert.deepEqual(events.map((e) => e.event), ['start', 'end']);
  });

  it('#write with a fence writes only while the lease is ours or nobody\'s', async () => {
    const store = new AlertStore(redis, keys);
    const fence = { key: keys.lease('track', 'walkway'), owner: 'me' };
    const free = await store.write('start', alert(), undefined, fence);
    assert.equal(free.skipped, undefined, 'nobody holds the lease: written');
    await redis.set(fence.key, 'me');
    const mine = await store.write('update', { ...free.alert }, undefined, fence);
    assert.equal(mine.skipped, undefined);
    await redis.set(fence.key, 'other');
    const theirs = await store.write('end', { ...free.alert, state: 'ended' }, undefined, fence);
    assert.equal(theirs.skipped, 'fenced');
    assert.equal((await store.getAlert(free.alert.id))?.state, 'active', 'the fenced end changed nothing');
    assert.equal((await store.readEvents('0', 100)).length, 2);
  });

  it('#writeBatch writes events in order and the state with them, the started alerts\' ids written into it', async () => {
    const store = new AlertStore(redis, keys);
    const fence = { key: keys.lease('track', 'walkway'), owner: 'me' };
    const stateKey = keys.trackState('walkway');
    const first = await store.write('start', alert({ rule: 'a' }));
    const gone = await store.write('start', alert({ rule: 'b' }));
    await store.write('end', { ...gone.alert, state: 'ended' });
    const state = JSON.stringify({ open: [first.alert.id, alertIdToken(1), alertIdToken(2)], n: 1 });
    const res = await store.writeBatch(
      [
        { event: 'update', alert: { ...first.alert, count: 2 } },
        { event: 'start', alert: alert({ rule: 'c' }) },
        { event: 'start', alert: alert({ rule: 'd' }), snapshot: Buffer.from([0xff, 0xd8, 0xff, 0xd9]) },
        { event: 'end', alert: { ...gone.alert, state: 'ended' } },
      ],
      { fence, state: { key: stateKey, json: state, ttlSeconds: 60 } },
    );
    assert.deepEqual(res.map((r) => r.skipped), [undefined, undefined, undefined, 'ended']);
    const [c, d] = [res[1].alert.id, res[2].alert.id];
    assert.ok(compareStreamIds(c, d) < 0, 'ids in order');
    assert.deepEqual(JSON.parse((await redis.get(stateKey))!), { open: [first.alert.id, c, d], n: 1 });
    assert.ok((await redis.ttl(stateKey)) > 50);
    const events = await store.readEvents('0', 100);
    assert.deepEqual(
      events.map((e) => [e.event, e.alert.rule, e.alert.id]),
      [
        ['start', 'a', first.alert.id],
        ['start', 'b', gone.alert.id],
        ['end', 'b', gone.alert.id],
        ['update', 'a', first.alert.id],
        ['start', 'c', c],
        ['start', 'd', d],
      ],
    );
    assert.equal(events[5].alert.snapshot, `/api/alerts/${d}/snapshot.jpg`);
    assert.ok(await store.getSnapshot(d));

    // Another owner holds the lease: neither the events nor the state are written.
    await redis.set(fence.key, 'other');
    const fenced = await store.writeBatch([{ event: 'start', alert: alert({ rule: 'e' }) }], {
      fence,
      state: { key: stateKey, json: '{"stale":true}', ttlSeconds: 60 },
    });
    assert.equal(fenced[0].skipped, 'fenced');
    assert.equal((await store.readEvents('0', 100)).length, 6);
    assert.deepEqual(JSON.parse((await redis.get(stateKey))!), { open: [first.alert.id, c, d], n: 1 });
  });

  it('#write stores alert and snapshot with the event (a reader of the stream can fetch both); the start id is the alert id', async () => {
    const store = new AlertStore(redis, keys);
    const seen: Array<{ msg: AlertEventEntry; alert: string | null; snap: Buffer | null }> = [];
    const probe = new Redis(REDIS_URL);
    let resolveGot = (): void => undefined;
    const got = new Promise<void>((resolve) => (resolveGot = resolve));
    const tail = await tailAlertEvents(REDIS_URL, keys, (msg) => {
      // Look the stored state up at the moment the event is read.
      void Promise.all([probe.get(keys.alert(msg.alert.id)), probe.getBuffer(keys.snapshot(msg.alert.id))]).then(([a, s]) => {
        seen.push({ msg, alert: a, snap: s });
        if (seen.length === 2) {
          resolveGot();
        }
      });
    });
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xd9]);
    const w1 = await store.write('start', alert(), jpeg);
    assert.match(w1.alert.id, /^\d+-\d+$/);
    assert.equal(w1.eventId, w1.alert.id);
    const w2 = await store.write('end', { ...w1.alert, state: 'ended', endedAt: new Date().toISOString() });
    assert.notEqual(w2.eventId, w1.eventId);
    await got;
    await tail.stop();
    probe.disconnect();
    assert.equal(seen[0].msg.event, 'start');
    assert.equal(seen[0].msg.id, w1.alert.id);
    assert.equal(seen[0].msg.alert.id, w1.alert.id);
    assert.equal(seen[0].msg.alert.snapshot, `/api/alerts/${w1.alert.id}/snapshot.jpg`);
    assert.ok(seen[0].alert, 'alert stored with its event');
    assert.deepEqual(seen[0].snap, jpeg);
    assert.equal(seen[1].msg.event, 'end');
    assert.equal(seen[1].msg.id, w2.eventId);
    assert.equal((await store.getAlert(w1.alert.id))?.state, 'ended');
    const events = await store.readEvents('0', 10);
    assert.deepEqual(
      events.map((e) => [e.id, e.event, e.alert.id]),
      [
        [w1.eventId, 'start', w1.alert.id],
        [w2.eventId, 'end', w1.alert.id],
      ],
    );
    assert.deepEqual(
      (await store.readEvents(w1.eventId, 10)).map((e) => e.id),
      [w2.eventId],
    );
    assert.equal(await store.lastEventId(), w2.eventId);
  });

  it('#listAlerts is newest first and filters by camera, rule, since and limit', async () => {
    const store = new AlertStore(redis, keys);
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const w = await store.write('start', alert({ camera: i % 2 ? 'a' : 'b', rule: i < 3 ? 'r1' : 'r2' }));
      ids.push(w.alert.id);
    }
    assert.deepEqual(
      (await store.listAlerts()).map((a) => a.id),
      [...ids].reverse(),
    );
    assert.deepEqual(
      (await store.listAlerts({ camera: 'a' })).map((a) => a.id),
      [ids[5], ids[3], ids[1]],
    );
    assert.deepEqual(
      (await store.listAlerts({ camera: 'b', rule: 'r1' })).map((a) => a.id),
      [ids[2], ids[0]],
    );
    assert.deepEqual(
      (await store.listAlerts({ since: ids[3] })).map((a) => a.id),
      [ids[5], ids[4]],
    );
    assert.equal((await store.listAlerts({ limit: 2 })).length, 2);
    assert.equal((await store.listAlerts({ since: new Date(Date.now() + 60_000).toISOString() })).length, 0);
    assert.equal(await store.getAlert('nope'), undefined);
    assert.equal(await store.getSnapshot(ids[0]), undefined);
  });

  it('#trim applies retention by count and by age', async () => {
    const store = new AlertStore(redis, keys, { maxEvents: 3, maxAgeSeconds: 60 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await store.write('start', alert())).alert.id);
    }
    await store.trim();
    assert.deepEqual(
      (await store.listAlerts()).map((a) => a.id),
      [ids[4], ids[3], ids[2]],
    );
    const ttl = await redis.ttl(keys.alert(ids[4]));
    assert.ok(ttl > 0 && ttl <= 60, `alert key expires with the age limit (ttl ${ttl})`);
    // Two minutes later everything is past the age limit.
    await store.trim(Date.now() + 120_000);
    assert.equal((await store.listAlerts()).length, 0);
    assert.equal(await redis.xlen(keys.alertEvents), 0);
  });

  it('stores a snapshot that decodes as a JPEG with the box drawn', async () => {
    const store = new AlertStore(redis, keys);
    const w = 160;
    const h = 120;
    const pixels = Buffer.alloc(w * h * 3, 40);
    const a = alert();
    const jpeg = await renderSnapshot(pixels, w, h, a.objects);
    const { alert: stored } = await store.write('start', a, jpeg);
    const back = await store.getSnapshot(stored.id);
    assert.ok(back);
    const { data, info } = await sharp(back).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.format, 'raw');
    assert.equal(info.width, w);
    assert.equal(info.height, h);
    // The box's left edge at x = 0.25*w is drawn in red; the middle of the box stays the background grey.
    const px = (x: number, y: number) => [...data.subarray((y * w + x) * 3, (y * w + x) * 3 + 3)];
    const edge = px(Math.round(0.25 * w), 60);
    assert.ok(edge[0] > 150 && edge[1] < 120, `edge pixel is red: ${edge.join(',')}`);
    const inside = px(60, 60);
    assert.ok(Math.abs(inside[0] - 40) < 20 && Math.abs(inside[1] - 40) < 20, `inside is background: ${inside.join(',')}`);
  });
});
