import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { AlertStore } from '../../src/alerts/alert-store';
import { replay } from '../../src/track/replay';
import { loadConfig } from '../../src/config/load';
import type { VigilConfig } from '../../src/config/schema';
import { Context, type StageHandle } from '../../src/config/context';
import { Keys } from '../../src/core/keys';
import { nullLogger } from '../../src/core/logger';
import type { DetectionsMessage } from '../../src/core/types';
import { start } from '../../src/track';
import { assertOneLifecycleEach, normalise, vtestFeed } from './takeover-helpers';
import { VTEST_CONFIG } from './vtest-fixture';
import { purgePrefix, REDIS_URL, sleep, testPrefix, waitFor } from '../helpers';
import { tailAlertEvents, type AlertTail } from '../alerts/tail-events';

/**
 * Whole track stages (two at a time: an owner and a standby, each its own Context as two processes would be) fed the
 * first 550 vtest detections at real time (10 fps, 55 s). The owner is killed four times (ctx.crash(): its
 * connections drop, its leases are neither renewed nor released): right after its first line crossing was written,
 * between two ticks, while the next owner is still catching up on the frames of the takeover, and right after an
 * alert ended. Each time the standby takes over and a fresh standby starts. The alert events stored must be those of
 * `vigil replay` of the same detections: the same starts, updates and ends, line counts and track ids, none twice,
 * none lost.
 */
describe('track stage: owner killed four times under real-time vtest detections (Redis) @integration', function () {
  this.timeout(180_000);
  const prefix = testPrefix();
  const keys = new Keys(prefix);
  const redis = new Redis(REDIS_URL, { lazyConnect: true });
  const sub = new Redis(REDIS_URL, { lazyConnect: true });
  const live: Array<{ ctx: Context; stage: StageHandle }> = [];
  let tail: AlertTail | undefined;

  after(async () => {
    await tail?.stop();
    for (const h of live) {
      await h.stage.close().catch(() => undefined);
      await h.ctx.closeConnections();
    }
    await purgePrefix(redis, prefix);
    redis.disconnect();
    sub.disconnect();
  });

  it('the standbys continue every alert: events identical to an undisturbed run, 0 duplicates, 0 lost', async () => {
    await redis.connect();
    await sub.connect();
    const { config: base } = loadConfig(VTEST_CONFIG);
    const config: VigilConfig = {
      ...base,
      redis: { ...base.redis, url: REDIS_URL, prefix },
      instance: { ...base.instance, leaseSeconds: 1 },
    };
    const cam = config.cameras[0].id;
    // 550 frames: the fourth kill comes at frame 404 (the first alert end after frame 400), and the next owner still
    // has 14 s of frames to track, with a line crossing among them.
    const feed = vtestFeed(keys, config, Date.now() + 2000, 550);
    const last = feed[feed.length - 1].seq;

    const byId = new Map<string, { ctx: Context; stage: StageHandle }>();
    const standby = async () => {
      const ctx = new Context(config, nullLogger(), new Set(['track']), { defaultMetrics: false });
      const stage = await start(ctx);
      const h = { ctx, stage };
      live.push(h);
      byId.set(ctx.instanceId, h);
    };
    const owners: string[] = [];
    const crashes: string[] = [];
    /** Per kill: when, the last seq fed then, and when the next owner published its first frame after the kill. */
    const kills: Array<{ at: number; fed: number; firstFrameAt?: number; firstSeq?: number }> = [];
    /** The live process whose lease on the camera is confirmed now (synchronous: kills happen at the exact moment). */
    const holder = () =>
      [...byId.values()].find((h) => !crashes.includes(h.ctx.instanceId) && h.ctx.leases.get('track', cam)?.valid)?.ctx.instanceId;
    /** Kills the camera's owner now and starts a fresh standby; false when no live process holds the camera. */
    const kill = (): boolean => {
      const id = holder();
      if (id === undefined) {
        return false;
      }
      byId.get(id)!.ctx.crash();
      kills.push({ at: Date.now(), fed });
      crashes.push(id);
      owners.push(id);
      void standby();
      return true;
    };
    await standby();
    await waitFor(() => holder() !== undefined, 10_000, 'an owner');
    await standby();

    const published = new Map<number, DetectionsMessage[]>();
    type Step = 'first-crossing' | 'tick' | 'catch-up' | 'after-end' | 'done';
    let plan: Step = 'first-crossing';
    /** (The plan moves on in the subscriber's callbacks.) */
    const at = (step: Step) => plan === step;
    let fed = -1;
    sub.on('message', (channel, raw) => {
      if (channel === keys.channels.detections) {
        const m = JSON.parse(raw) as DetectionsMessage;
        published.set(m.seq, [...(published.get(m.seq) ?? []), m]);
        const k = kills.at(-1);
        if (k && k.firstFrameAt === undefined) {
          k.firstFrameAt = Date.now();
          k.firstSeq = m.seq;
        }
        // 3: the owner that took over after the tick kill dies on its first frame, in the middle of its backlog.
        if (plan === 'catch-up' && kill()) {
          plan = 'after-end';
        }
      }
    });
    await sub.subscribe(keys.channels.detections);
    // Alert events as the WebSocket hub reads them (the stream, right after the script that stored them).
    tail = await tailAlertEvents(REDIS_URL, keys, (m) => {
      // 1: right after the first line crossing was written (with the state that knows of it).
      if (plan === 'first-crossing' && m.alert.rule === 'walkway-count' && m.event === 'start' && kill()) {
        plan = 'tick';
      }
      // 4: right after an alert ended, after frame 400.
      if (plan === 'after-end' && fed >= 400 && m.event === 'end' && kill()) {
        plan = 'done';
      }
    });

    // Real time: each result is added when its capture time comes (the closing frame right after the last one: a gap
    // of seconds would let the timer end the alerts on the wall clock, in any live run, where replay ends them at the
    // closing frame).
    for (const r of feed) {
      const due = r.seq === last ? feed[feed.length - 2].times.capturedAt + 100 : r.times.capturedAt;
      const wait = due - Date.now();
      if (wait > 0) {
        await sleep(wait); // paces the feed: real time
      }
      await redis.xadd(keys.detections(cam), '*', 'd', JSON.stringify(r));
      fed = r.seq;
      if (at('tick') && r.seq === 300) {
        // 2: between two ticks (250 ms after a frame: the tick every 500 ms has saved or will save the state).
        await sleep(250);
        assert.ok(kill(), 'an owner to kill at frame 300');
        plan = 'catch-up';
      }
    }
    // Everything processed: the state of the camera's owner reflects the closing frame.
    await waitFor(async () => {
        const raw = await redis.get(keys.trackState(cam));
        return raw !== null && (JSON.parse(raw) as { lastSeq: number }).lastSeq === last;
      }, 20_000, 'the last frame processed');
    owners.push(holder() ?? '');
    await tail.stop();
    tail = undefined;

    const store = new AlertStore(redis, keys);
    const events = (await store.readEvents('0', 100_000)).map((e) => ({ event: e.event, alert: e.alert }));
    const expected = replay(config, feed);
    const counts = events.filter((e) => e.alert.rule === 'walkway-count').at(-1)?.alert.counts;
    let again = 0;
    for (const got of published.values()) {
      again += got.length - 1;
    }
    const kinds = (list: ReadonlyArray<{ event: string }>) =>
      ['start', 'update', 'end'].map((k) => `${list.filter((e) => e.event === k).length} ${k}`).join('/');
    process.stdout.write(
      `      stored ${kinds(events)} (undisturbed: ${kinds(expected)}), final line counts ${JSON.stringify(counts)}; ` +
        `${feed.length} frames, ${again} published again after a takeover; kills at frames ${kills.map((k) => k.fed).join(', ')}: ` +
        `next owner's first frame ${kills.map((k) => `${k.firstFrameAt! - k.at} ms later (seq ${k.firstSeq})`).join(', ')}\n`,
    );
    assert.ok(at('done'), 'every kill happened');
    assert.equal(crashes.length, 4);
    assert.equal(new Set(owners).size, 5, 'five owners in turn');
    assertOneLifecycleEach(events);
    assert.deepEqual(normalise(events), normalise(expected), 'the events of an undisturbed run');
    assert.deepEqual(counts, { a_to_b: 5, b_to_a: 2 });
    // Every frame was tracked; a frame published again (processed after the dead owner's last save) is identical.
    for (const r of feed) {
      const got = published.get(r.seq) ?? [];
      assert.ok(got.length >= 1, `frame ${r.seq} published`);
      assert.ok(got.every((m) => JSON.stringify(m) === JSON.stringify(got[0])), `frame ${r.seq} published alike`);
    }
  });
});
