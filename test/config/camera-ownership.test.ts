import assert from 'node:assert/strict';
import type Redis from 'ioredis';
import { CameraOwnership, type CameraClaim, type CameraWorkers, type WorkerStopReason } from '../../src/config/camera-ownership';
import { cameraSchema, type CameraConfig } from '../../src/config/schema';
import { LeaseKeeper } from '../../src/core/leases';
import { nullLogger } from '../../src/core/logger';

/**
 * The real LeaseKeeper on an in-memory stand-in for Redis that answers its two scripts (a round, a release) the way
 * core/leases.ts's Lua does, with no TTLs: a test makes another process take a key, Redis go away, the clock pass
 * a deadline. No service is needed.
 */
class FakeLeaseRedis {
  status = 'ready';
  down = false;
  readonly owners = new Map<string, string>();
  private readonly meta = new Map<string, { holder: string; epoch: number }>();

  eval(_script: string, numKeys: number, ...args: string[]): Promise<unknown> {
    if (this.down) {
      return Promise.reject(new Error('Connection is closed.'));
    }
    if (numKeys === 1) {
      const [key, owner] = args;
      const mine = this.owners.get(key) === owner;
      if (mine) {
        this.owners.delete(key);
      }
      return Promise.resolve(mine ? 1 : 0);
    }
    const n = numKeys / 2;
    const owner = args[numKeys];
    const out: Array<[number, number, string]> = [];
    for (let i = 0; i < n; i++) {
      const [key, metaKey] = [args[i], args[n + i]];
      const cur = this.owners.get(key);
      const m = this.meta.get(metaKey) ?? { holder: '', epoch: 0 };
      if (cur === owner) {
        out.push([1, m.epoch, '']);
      } else if (cur === undefined) {
        this.owners.set(key, owner);
        const continued = m.holder === owner;
        if (!continued) {
          this.meta.set(metaKey, { holder: owner, epoch: m.epoch + 1 });
        }
        out.push([2, continued ? m.epoch : m.epoch + 1, continued ? '1' : '0']);
      } else {
        out.push([3, 0, cur]);
      }
    }
    return Promise.resolve(out);
  }

  /** Another process takes the key (after this one's hold expired), as its round would. */
  takeBy(key: string, other: string): void {
    this.owners.set(key, other);
    this.meta.set(`${key}:meta`, { holder: other, epoch: (this.meta.get(`${key}:meta`)?.epoch ?? 0) + 1 });
  }

  once(): this {
    return this;
  }

  off(): this {
    return this;
  }
}

/** Cameras in effect the test changes by hand. */
class Cameras {
  private fns = new Set<(c: readonly CameraConfig[]) => void>();
  constructor(private cams: CameraConfig[]) {}
  list(): CameraConfig[] {
    return this.cams;
  }
  onChange(fn: (c: readonly CameraConfig[]) => void): () => void {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }
  set(cams: CameraConfig[]): void {
    this.cams = cams;
    this.fns.forEach((fn) => fn(cams));
  }
}

const cam = (id: string, extra: Record<string, unknown> = {}): CameraConfig => cameraSchema.parse({ id, url: `rtsp://h/${id}`, ...extra });
const key = (id: string) => `p:lease:ingest:${id}`;

interface Worker {
  id: string;
  url: string;
  claim: CameraClaim;
}

/** Workers that log what happens to them; `stopGate` holds a stop until the test lets it finish. */
function recorder(): { workers: CameraWorkers<Worker>; events: string[]; stopGate?: Promise<void>; startGate?: Promise<void> } {
  const r: { workers: CameraWorkers<Worker>; events: string[]; stopGate?: Promise<void>; startGate?: Promise<void> } = {
    events: [],
    workers: {
      start: async (c, claim) => {
        r.events.push(`start ${c.id} ${c.url}`);
        await r.startGate;
        return { id: c.id, url: c.url, claim };
      },
      stop: async (w, id, why: WorkerStopReason) => {
        r.events.push(`stopping ${id} ${why}`);
        await r.stopGate;
        r.events.push(`stopped ${id}`);
      },
      pause: (w) => r.events.push(`pause ${w.id}`),
      resume: (w) => r.events.push(`resume ${w.id}`),
      update: (w, c) => (c.url !== w.url ? 'restart' : undefined),
    },
  };
  return r;
}

describe('CameraOwnership', function () {
  let t = 0;
  let redis: FakeLeaseRedis;
  let keeper: LeaseKeeper;
  let cameras: Cameras;
  let rec: ReturnType<typeof recorder>;
  let own: CameraOwnership<Worker>;

  beforeEach(function () {
    t = 1_000_000;
    redis = new FakeLeaseRedis();
    keeper = new LeaseKeeper(redis as unknown as Redis, 'me', { ttlMs: 60_000, standbyRoundMs: 60_000, now: () => t });
    rec = recorder();
    cameras = new Cameras([cam('a'), cam('b'), cam('off', { enabled: false })]);
    own = new CameraOwnership({ stage: 'ingest', leases: keeper, leaseKey: key, cameras, workers: rec.workers, log: nullLogger() });
  });

  afterEach(async function () {
    redis.down = false;
    await own.stop();
    await keeper.close();
  });

  /** A round and the callbacks it started. */
  async function round(): Promise<void> {
    await keeper.round();
    await keeper.settled('ingest');
  }

  it('starts one worker per enabled camera in effect once its lease is held, before start() resolves', async function () {
    await own.start();
    assert.deepEqual([...own.workers().keys()].sort(), ['a', 'b']);
    assert.deepEqual(rec.events.sort(), ['start a rtsp://h/a', 'start b rtsp://h/b']);
    assert.equal(redis.owners.get(key('a')), 'me');
    assert.equal(redis.owners.has(key('off')), false, 'a disabled camera is not claimed');
    assert.deepEqual(own.cameras().map((c) => c.id).sort(), ['a', 'b']);
    assert.equal(own.workers().get('a')!.claim.valid, true);
  });

  it('stops and releases a camera that left the cameras in effect; starts one that came in', async function () {
    await own.start();
    rec.events.length = 0;
    cameras.set([cam('b'), cam('c')]);
    await own.apply();
    assert.deepEqual(rec.events, ['stopping a removed', 'stopped a', 'start c rtsp://h/c']);
    assert.equal(redis.owners.has(key('a')), false, 'released: a standby may take it at once');
    assert.deepEqual([...own.workers().keys()].sort(), ['b', 'c']);
  });

  it('restarts a changed camera when the stage asks, and leaves an unchanged one alone', async function () {
    await own.start();
    rec.events.length = 0;
    cameras.set([cam('a', { url: 'rtsp://h/other' }), cam('b')]);
    await own.apply();
    assert.deepEqual(rec.events, ['stopping a restart', 'stopped a', 'start a rtsp://h/other']);
    assert.equal(own.workers().get('a')!.url, 'rtsp://h/other');
  });

  it('updates a worker whose camera changed while it was starting (restarted with the new settings)', async function () {
    redis.takeBy(key('a'), 'other'); // another process holds camera a at first
    await own.start();
    assert.deepEqual([...own.workers().keys()], ['b']);
    rec.events.length = 0;
    let letStart: () => void = () => undefined;
    rec.startGate = new Promise<void>((resolve) => (letStart = resolve));
    redis.owners.delete(key('a')); // ... and lets it go: the next round takes it and starts its worker
    await keeper.round();
    await new Promise(setImmediate);
    assert.deepEqual(rec.events, ['start a rtsp://h/a'], 'the worker is starting, held at its gate');
    cameras.set([cam('a', { url: 'rtsp://h/other' }), cam('b')]); // changed meanwhile (an API edit)
    const applied = own.apply();
    await new Promise(setImmediate);
    rec.startGate = undefined;
    letStart();
    await applied;
    await keeper.settled('ingest');
    assert.deepEqual(rec.events, ['start a rtsp://h/a', 'stopping a restart', 'stopped a', 'start a rtsp://h/other']);
    assert.equal(own.workers().get('a')!.url, 'rtsp://h/other');
  });

  it('pauses a worker while its lease is unconfirmed and resumes it, with no restart, when nobody else held it', async function () {
    await own.start();
    rec.events.length = 0;
    redis.down = true;
    t += 60_000; // past the deadline with no confirmed renewal
    await round();
    assert.deepEqual(rec.events.sort(), ['pause a', 'pause b']);
    assert.deepEqual(own.readiness().sort(), ['camera a: ingest lease unconfirmed', 'camera b: ingest lease unconfirmed']);
    assert.equal(own.workers().get('a')!.claim.valid, false);
    redis.down = false;
    await round();
    assert.deepEqual(rec.events.slice(2).sort(), ['resume a', 'resume b']);
    assert.deepEqual(own.readiness(), []);
    assert.equal(own.workers().get('a')!.claim.valid, true);
  });

  it('stops the worker of a lost lease before the camera can be taken again', async function () {
    await own.start();
    rec.events.length = 0;
    let letStop: () => void = () => undefined;
    rec.stopGate = new Promise<void>((resolve) => (letStop = resolve));
    redis.down = true;
    t += 60_000;
    await round();
    redis.takeBy(key('a'), 'other'); // another process took camera a meanwhile
    redis.down = false;
    await keeper.round();
    await new Promise(setImmediate); // the lost callback has begun: the stop is held at its gate
    assert.deepEqual(rec.events.filter((e) => e.endsWith(' a') || e.includes(' a ')), ['pause a', 'stopping a taken']);
    assert.equal(own.workers().has('a'), false);
    redis.owners.delete(key('a')); // the other process lets it go while our worker is still stopping
    await keeper.round();
    assert.equal(redis.owners.has(key('a')), false, 'not taken again while its worker stops');
    letStop();
    await keeper.settled('ingest');
    await round();
    assert.deepEqual(rec.events.filter((e) => e.endsWith(' a') || e.includes(' a ')), ['pause a', 'stopping a taken', 'stopped a', 'start a rtsp://h/a']);
    assert.equal(redis.owners.get(key('a')), 'me');
  });

  it('restarts the worker when the lease comes back after another process held it (its memory is stale)', async function () {
    await own.start();
    rec.events.length = 0;
    redis.down = true;
    t += 60_000;
    await round();
    redis.takeBy(key('b'), 'other');
    redis.owners.delete(key('b')); // ... and died or let it go before this process's next round
    redis.down = false;
    await round();
    assert.deepEqual(rec.events.filter((e) => e.includes('b')), ['pause b', 'stopping b taken', 'stopped b', 'start b rtsp://h/b']);
    assert.deepEqual(own.readiness(), []);
  });

  it('stops every worker and releases every lease on stop', async function () {
    await own.start();
    rec.events.length = 0;
    await own.stop();
    assert.deepEqual(rec.events.sort(), ['stopped a', 'stopped b', 'stopping a stopping', 'stopping b stopping']);
    assert.equal(redis.owners.size, 0);
    cameras.set([cam('z')]);
    await own.apply();
    assert.equal(own.workers().size, 0, 'nothing starts once stopped');
  });
});
