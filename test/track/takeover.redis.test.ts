import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import Redis from 'ioredis';
import { AlertStore, type AlertWrite, type BatchOptions, type WrittenEvent } from '../../src/alerts/alert-store';
import { CameraEngine } from '../../src/track/camera-engine';
import { engineConfigOf } from '../../src/track/engine-config';
import { replay, type ReplayEvent } from '../../src/track/replay';
import { loadConfig } from '../../src/config/load';
import { configSchema, type VigilConfig } from '../../src/config/schema';
import { Keys } from '../../src/core/keys';
import { createLogger } from '../../src/core/logger';
import type { Alert, DetectionResult } from '../../src/core/types';
import { CameraWorker } from '../../src/track/camera-worker';
import { arrivalOrder, assertOneLifecycleEach, normalise, vtestFeed } from './takeover-helpers';
import { VTEST_CONFIG } from './vtest-fixture';
import { purgePrefix, REDIS_URL, testPrefix } from '../helpers';

/**
 * When an owner dies: right after its nth alert write (which saves the state with it), its nth tick (which saves
 * the state when it changed) or its nth frame (published, no state saved); with `holding`, only those made while
 * frames read out of order wait in the reorder buffer count.
 */
interface Crash {
  at: 'write' | 'tick' | 'frame';
  n: number;
  holding?: boolean;
}

/**
 * One camera's CameraWorker driven the way the track stage drives it (XREAD after its cursor, enqueue, ticks), over
 * the vtest detections added a few at a time; each owner in turn dies at its crash point: its Redis connection drops
 * the moment the step completes (nothing more of it reaches Redis) and the next owner takes the lease and resumes.
 */
async function run(
  crashes: Crash[],
  prefix: string,
): Promise<{
  events: Array<{ event: string; alert: Alert }>;
  expected: ReplayEvent[];
  warnings: string[];
  owners: number;
  /** DetectionsMessage JSON per seq, as published (every time) and as an undisturbed engine gives it. */
  published: Map<number, string[]>;
  reference: Map<number, string>;
  /** Frames counted as late (none is: the entries a new owner reads again are not late frames). */
  late: number;
}> {
  const keys = new Keys(prefix);
  const { config: base } = loadConfig(VTEST_CONFIG);
  const config: VigilConfig = { ...base, redis: { ...base.redis, prefix } };
  const cam = config.cameras[0];
  const feed = vtestFeed(keys, config, Date.now());
  const arrivals = arrivalOrder(feed);
  const published = new Map<number, string[]>();
  const admin = new Redis(REDIS_URL);
  const warnings: string[] = [];
  const log = createLogger({
    level: 'warn',
    format: 'json',
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        const line = chunk.toString();
        // The dead owners' own errors ("Connection is closed") are expected; a state that fell back is not.
        if (/track state/.test(line)) {
          warnings.push(line);
        }
        cb();
      },
    }),
  });
  const conns: Redis[] = [admin];
  const lease = keys.lease('track', cam.id);
  let owners = 0;
  let late = 0;

  const owner = async () => {
    const n = ++owners;
    const name = `owner-${n}`;
    const conn = new Redis(REDIS_URL);
    conns.push(conn);
    const crash = crashes[n - 1];
    let writes = 0;
    let frames = 0;
    let dead = false;
    let worker: CameraWorker | undefined;
    const counts = (at: Crash['at']) => crash?.at === at && (!crash.holding || (worker?.reorder.size ?? 0) > 0);
    const die = () => {
      dead = true;
      conn.disconnect();
    };
    class Store extends AlertStore {
      override async writeBatch(events: readonly AlertWrite[], options?: BatchOptions): Promise<WrittenEvent[]> {
        const r = await super.writeBatch(events, options);
        if (counts('write') && ++writes === crash!.n) {
          die();
        }
        return r;
      }
    }
    const publish = conn.publish.bind(conn);
    conn.publish = (async (channel: string, message: string) => {
      const r = await publish(channel, message);
      if (channel === keys.channels.detections) {
        const m = JSON.parse(message) as { seq: number };
        published.set(m.seq, [...(published.get(m.seq) ?? []), message]);
        if (counts('frame') && ++frames === crash!.n) {
          die();
        }
      }
      return r;
    }) as typeof conn.publish;
    // The previous owner's lease has expired; this one takes it.
    await admin.set(lease, name);
    const hooks = { onAlert: () => undefined, onLate: (_c: string, n: number) => void (late += n) };
    const w = new CameraWorker(cam, config, conn, keys, new Store(conn, keys), log, hooks, 80, { key: lease, owner: name });
    worker = w;
    await w.resume();
    let ticks = 0;
    // Counted before the tick: whether frames were held when it saved the state.
    const tickCounts = () => counts('tick') && ++ticks === crash!.n;
    return { w, isDead: () => dead, die, tickCounts };
  };

  try {
    let cur = await owner();
    let next = 0;
    let step = 0;
    while (true) {
      // 1-7 new entries per read, as detections arrive.
      const add = 1 + ((step * 5) % 7);
      for (const r of arrivals.slice(next, next + add)) {
        await admin.xadd(keys.detections(cam.id), '*', 'd', JSON.stringify(r));
      }
      next = Math.min(arrivals.length, next + add);
      step++;
      const res = (await admin.xread('COUNT', 200, 'STREAMS', keys.detections(cam.id), cur.w.lastId)) as Array<[string, Array<[string, string[]]>]> | null;
      const entries = res?.[0]?.[1] ?? [];
      if (entries.length) {
        cur.w.lastId = entries[entries.length - 1][0];
      }
      await cur.w
        .enqueue(entries.map(([id, f]) => ({ id, result: JSON.parse(f[1]) as DetectionResult })))
        .catch(() => undefined);
      if (entries.length < 200) {
        cur.w.caughtUp();
      }
      if (!cur.isDead() && step % 3 === 0) {
        const dies = cur.tickCounts();
        await cur.w.tick().catch(() => undefined);
        if (dies) {
          cur.die();
        }
      }
      if (cur.isDead()) {
        await cur.w.abandon();
        cur = await owner();
        continue;
      }
      if (next >= arrivals.length && entries.length === 0) {
        break;
      }
    }
    await cur.w.tick();
    const store = new AlertStore(admin, keys);
    const events = (await store.readEvents('0', 100_000)).map((e) => ({ event: e.event, alert: e.alert }));
    // What an undisturbed engine publishes for each frame.
    const engine = new CameraEngine(engineConfigOf(config, cam));
    const reference = new Map<number, string>();
    for (const r of feed) {
      const objects = engine.process(r, r.times.capturedAt).objects;
      reference.set(r.seq, JSON.stringify({ type: 'detections', camera: r.camera, seq: r.seq, capturedAt: new Date(r.times.capturedAt).toISOString(), objects }));
    }
    return { events, expected: replay(config, feed), warnings, owners, published, reference, late };
  } finally {
    await purgePrefix(admin, prefix);
    conns.forEach((c) => c.disconnect());
  }
}

/** Every frame published, each time exactly as an undisturbed engine publishes it (again only after a takeover). */
function assertFrames(r: Awaited<ReturnType<typeof run>>): number {
  let again = 0;
  for (const [seq, ref] of r.reference) {
    const got = r.published.get(seq) ?? [];
    assert.ok(got.length >= 1, `frame ${seq} never processed`);
    for (const m of got) {
      assert.equal(m, ref, `frame ${seq}`);
    }
    again += got.length - 1;
  }
  return again;
}

describe('tracker takeover continues exactly where the dead owner stopped (Redis, vtest)', function () {
  this.timeout(120_000);
  const prefix = () => testPrefix();

  it('an undisturbed worker writes the alert events `vigil replay` raises from the same detections', async () => {
    const r = await run([], prefix());
    assert.equal(r.owners, 1);
    assert.ok(r.expected.filter((e) => e.alert.rule === 'walkway-count').length >= 14);
    assert.deepEqual(normalise(r.events), normalise(r.expected));
    assert.equal(assertFrames(r), 0, 'no frame published twice');
  });

  const cases: Array<[string, Crash]> = [
    ['right after its first alert write', { at: 'write', n: 1 }],
    ['right after its 7th alert write', { at: 'write', n: 7 }],
    ['right after its 19th alert write', { at: 'write', n: 19 }],
    ['right after an alert write made while frames read out of order were held', { at: 'write', n: 2, holding: true }],
    ['right after a tick saved the state', { at: 'tick', n: 40 }],
    ['right after a tick saved the state while frames read out of order were held', { at: 'tick', n: 9, holding: true }],
    ['between ticks, after a frame that raised nothing', { at: 'frame', n: 333 }],
    ['between ticks, in the middle of a line crossing', { at: 'frame', n: 176 }],
  ];
  for (const [when, crash] of cases) {
    it(`owner dies ${when}: the same events, none twice, none lost`, async () => {
      const r = await run([crash], prefix());
      assert.equal(r.owners, 2, 'one takeover');
      assertOneLifecycleEach(r.events);
      assert.deepEqual(normalise(r.events), normalise(r.expected));
      assertFrames(r);
      assert.equal(r.late, 0, 'entries read again are not late frames');
      assert.deepEqual(r.warnings, [], 'no state fell back');
    });
  }

  it('five owners in a row, each killed at another kind of point (one while catching up), give the same events', async () => {
    const crashes: Crash[] = [
      { at: 'write', n: 3 },
      { at: 'frame', n: 2 },
      { at: 'tick', n: 4, holding: true },
      { at: 'frame', n: 200 },
      { at: 'write', n: 4 },
    ];
    const r = await run(crashes, prefix());
    assert.equal(r.owners, 6);
    assertOneLifecycleEach(r.events);
    assert.deepEqual(normalise(r.events), normalise(r.expected));
    assertFrames(r);
    const counts = r.events.filter((e) => e.alert.rule === 'walkway-count').at(-1)!.alert.counts;
    assert.deepEqual(counts, { a_to_b: 8, b_to_a: 6 });
    assert.deepEqual(r.warnings, []);
  });

  it('a state of an earlier version or a damaged one: the earlier takeover (its open alerts end), with a warning', async () => {
    const p = prefix();
    const keys = new Keys(p);
    const { config: base } = loadConfig(VTEST_CONFIG);
    const config: VigilConfig = { ...base, redis: { ...base.redis, prefix: p } };
    const cam = config.cameras[0];
    const redis = new Redis(REDIS_URL);
    const lines: string[] = [];
    const log = createLogger({
      level: 'warn',
      format: 'json',
      destination: new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(chunk.toString());
          cb();
        },
      }),
    });
    try {
      const store = new AlertStore(redis, keys);
      for (const damaged of [false, true]) {
        lines.length = 0;
        const now = new Date().toISOString();
        const started = await store.write('start', {
          id: '', rule: 'sign-enter', type: 'zone_enter', camera: cam.id, severity: 'medium', state: 'active',
          startedAt: now, updatedAt: now, objects: [], snapshot: '', latencyMs: 0,
        });
        const v1 = { lastId: '0-0', lastSeq: 10, nextTrackId: 42, open: [started.alert] };
        const state = damaged ? { ...v1, v: 2, savedAt: Date.now(), seen: '0-0', engine: { v: 1, camera: cam.id } } : v1;
        await redis.set(keys.trackState(cam.id), JSON.stringify(state));
        const w = new CameraWorker(cam, config, redis, keys, store, log, { onAlert: () => undefined, onLate: () => undefined }, 80);
        await w.resume();
        assert.equal((await store.getAlert(started.alert.id))?.state, 'ended', 'the open alert ended');
        assert.equal(w.engine.tracker.idCounter, 42);
        assert.equal(lines.length, 1);
        assert.match(lines[0], damaged ? /cannot be continued \(engine state: .* at tracker\)/ : /earlier version/);
      }
    } finally {
      await purgePrefix(redis, p);
      redis.disconnect();
    }
  });

  it('no frames after the owner died: the new owner ends its open alert (same id) once it has read the stream, on the clock of the last frame', async () => {
    const p = prefix();
    const keys = new Keys(p);
    const config = configSchema.parse({
      redis: { url: REDIS_URL, prefix: p },
      cameras: [{ id: 'cam', url: '/dev/null', zones: [{ id: 'z', polygon: [[0.5, 0], [1, 0], [1, 1], [0.5, 1]] }] }],
      rules: [{ id: 'zr', type: 'zone_enter', camera: 'cam', zone: 'z' }],
      track: { minHits: 1 },
      alerts: { endAfterSeconds: 1 },
    });
    const cam = config.cameras[0];
    const lease = keys.lease('track', 'cam');
    const admin = new Redis(REDIS_URL);
    const connA = new Redis(REDIS_URL);
    const connB = new Redis(REDIS_URL);
    const log = createLogger({ level: 'silent' });
    const hooks = { onAlert: () => undefined, onLate: () => undefined };
    try {
      await admin.set(lease, 'A');
      const a = new CameraWorker(cam, config, connA, keys, new AlertStore(connA, keys), log, hooks, 80, { key: lease, owner: 'A' });
      await a.resume();
      // A person in the zone for 0.5 s (capture times on the wall clock, as live).
      let lastSeen = 0;
      for (let seq = 0; seq < 6; seq++) {
        lastSeen = Date.now();
        const r: DetectionResult = {
          camera: 'cam', seq, frameKey: keys.frame('cam', seq), width: 640, height: 480, format: 'rgb24',
          times: { capturedAt: lastSeen, queuedAt: lastSeen }, model: 'test',
          detections: [{ label: 'person', score: 0.9, box: [0.7, 0.4, 0.75, 0.6] }],
        };
        const id = await admin.xadd(keys.detections('cam'), '*', 'd', JSON.stringify(r));
        await a.enqueue([{ id: id!, result: r }]);
        await new Promise((res) => setTimeout(res, 100)); // paces the frames: 10 fps
      }
      await a.close(false); // flushes the frames held for reordering and saves the state, as a tick would
      const store = new AlertStore(admin, keys);
      const [started] = await store.readEvents('0', 10);
      assert.equal(started?.event, 'start');
      // A dies with the alert open; nothing more comes (its ingest died with it). B takes over after a while.
      connA.disconnect();
      await new Promise((res) => setTimeout(res, 400)); // time passes before B takes over
      await admin.set(lease, 'B');
      const b = new CameraWorker(cam, config, connB, keys, new AlertStore(connB, keys), log, hooks, 80, { key: lease, owner: 'B' });
      await b.resume();
      assert.equal(b.engine.lifecycle.active[0]?.alert.id, started.alert.id, 'B continues the alert');
      // Until B has read the stream's backlog, its timer ends nothing, however old the last frame is.
      await new Promise((res) => setTimeout(res, 1200)); // more than endAfterSeconds passes on the wall clock
      await b.tick();
      assert.equal((await store.readEvents('0', 10)).length, 1, 'nothing ended while catching up');
      // Read up: the first tick ends it, endAfterSeconds having passed since last seen on the capture clock, which
      // goes on from A's last frame (the takeover's own time counts: the alert does not linger for it).
      b.caughtUp();
      await b.tick();
      const events = await store.readEvents('0', 10);
      assert.deepEqual(events.map((e) => [e.event, e.alert.id]), [['start', started.alert.id], ['end', started.alert.id]]);
      const after = Date.parse(events[1].alert.endedAt!) - lastSeen;
      assert.ok(after >= 1600 && after < 4000, `ended ${after} ms after last seen (the tick ran ~1.6 s after)`);
      assert.ok(Date.parse(events[1].alert.endedAt!) <= Date.now());
    } finally {
      await purgePrefix(admin, p);
      [admin, connA, connB].forEach((c) => c.disconnect());
    }
  });
});
