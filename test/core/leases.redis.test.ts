import assert from 'node:assert/strict';
import Redis from 'ioredis';
import { LeaseKeeper, type LeaseHandlers, type LeaseLossReason } from '../../src/core/leases';
import { LeaseRenewer } from '../../src/core/lease-renewer';
import { RedisTestServer } from '../../src/testing/redis-server';
import { sleep, waitFor } from '../helpers';

/** Blocks the event loop for `ms`, as a long synchronous task would. */
function stall(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // busy
  }
}

type Event = { at: number; who: string; what: 'acquired' | 'suspended' | 'lost'; continued?: boolean; reason?: LeaseLossReason };

/** Handlers that log every call and can make `lost` slow. */
function recorder(who: string, log: Event[], lostMs = 0): LeaseHandlers {
  return {
    acquired: ({ continued }) => {
      log.push({ at: Date.now(), who, what: 'acquired', continued });
    },
    suspended: () => {
      log.push({ at: Date.now(), who, what: 'suspended' });
    },
    lost: async (reason) => {
      await sleep(lostMs); // a slow handler, on purpose
      log.push({ at: Date.now(), who, what: 'lost', reason });
    },
  };
}

function conn(url: string): Redis {
  const r = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 50 });
  r.on('error', () => undefined);
  return r;
}

describe('LeaseKeeper (private redis-server)', function () {
  this.timeout(30_000);
  let server: RedisTestServer;
  let admin: Redis;
  const keepers: LeaseKeeper[] = [];
  const conns: Redis[] = [];
  const key = (cam: string) => `t:lease:track:${cam}`;

  function keeper(owner: string, ttlMs: number, withThread = false, beatTimeoutMs?: number, rounds?: number): LeaseKeeper {
    const c = conn(server.url);
    conns.push(c);
    const roundMs = rounds ?? Math.floor(ttlMs / 3);
    const renewer = withThread ? new LeaseRenewer({ url: server.url, owner, ttlMs, roundMs, beatTimeoutMs }) : undefined;
    const k = new LeaseKeeper(c, owner, { ttlMs, roundMs, renewer });
    keepers.push(k);
    return k;
  }

  beforeEach(async () => {
    server = await RedisTestServer.start({ appendonly: true });
    admin = new Redis(server.url, { maxRetriesPerRequest: 1 });
    admin.on('error', () => undefined);
  });
  afterEach(async () => {
    for (const k of keepers.splice(0)) {
      k.abort();
    }
    for (const c of conns.splice(0)) {
      c.disconnect();
    }
    admin.disconnect();
    await server.close();
  });

  it('renews all of a process\'s leases in one script call per round', async () => {
    // Rounds only when asked (no timed round can slip in between the counts).
    const k = keeper('a', 120_000, false, undefined, 60_000);
    const log: Event[] = [];
    for (let i = 0; i < 32; i++) {
      k.claim('track', `cam${i}`, key(`cam${i}`), recorder('a', log));
    }
    await k.round();
    await k.settled();
    assert.equal(log.filter((e) => e.what === 'acquired').length, 32);
    // Counted from here: two rounds asked for, nothing else runs (the next timed round is a minute away).
    await admin.config('RESETSTAT');
    await k.round();
    await k.round();
    const stats = await admin.info('commandstats');
    const calls = Number(/cmdstat_eval:calls=(\d+)/.exec(stats)?.[1] ?? '0');
    assert.equal(calls, 2, 'two rounds, two EVALs for 32 leases');
    assert.ok((await admin.pttl(key('cam31'))) > 100_000);
  });

  it('never runs two rounds at once, even when Redis answers slower than the round interval', async () => {
    let inFlight = 0;
    let most = 0;
    let calls = 0;
    const slow = {
      status: 'ready',
      once: () => undefined,
      off: () => undefined,
      eval: async (_script: string, n: number) => {
        calls++;
        inFlight++;
        most = Math.max(most, inFlight);
        await sleep(250); // a slow Redis, on purpose
        inFlight--;
        return Array.from({ length: n / 2 }, () => [1, 1, '']);
      },
    } as unknown as Redis;
    const k = new LeaseKeeper(slow, 'a', { ttlMs: 300, roundMs: 50 });
    keepers.push(k);
    k.claim('track', 'cam', key('cam'), recorder('a', []));
    await waitFor(() => calls >= 4, 8000, 'four rounds', 20);
    assert.equal(most, 1, 'rounds never overlapped');
  });

  it('stops the worker of a lost lease before it can take the camera again', async () => {
    const log: Event[] = [];
    const a = keeper('a', 600);
    a.claim('track', 'cam', key('cam'), recorder('a', log, 700));
    await waitFor(() => log.some((e) => e.what === 'acquired'), 8000, 'a holds', 20);
    // Another owner takes the key (as after a partition), then lets it go again at once.
    await admin.multi().set(key('cam'), 'b', 'PX', 300).hset(`${key('cam')}:meta`, 'holder', 'b').hincrby(`${key('cam')}:meta`, 'epoch', 1).exec();
    await waitFor(() => a.get('track', 'cam')?.state === 'idle', 8000, 'a notices', 20);
    await admin.del(key('cam'));
    await waitFor(() => log.filter((e) => e.what === 'acquired').length === 2, 5000, 'a holds again', 20);
    const lost = log.find((e) => e.what === 'lost');
    const again = log.filter((e) => e.what === 'acquired')[1];
    assert.equal(lost?.reason, 'taken');
    assert.ok(again.at >= lost!.at, 'acquired again only after the old worker stopped');
    assert.equal(again.continued, false, 'someone else held it meanwhile: a fresh start');
  });

  it('suspends a lease whose renewal came too late and resumes it when nobody took it meanwhile', async () => {
    const log: Event[] = [];
    const a = keeper('a', 600);
    const claim = a.claim('track', 'cam', key('cam'), recorder('a', log));
    await waitFor(() => claim.valid, 8000, 'a holds', 20);
    stall(900); // the event loop is blocked past the deadline: the key expires in Redis
    assert.equal(claim.valid, false, 'no longer valid the moment the deadline passed');
    await waitFor(() => log.some((e) => e.what === 'suspended'), 8000, 'suspended', 20);
    await waitFor(() => log.filter((e) => e.what === 'acquired').length === 2, 8000, 'confirmed again', 20);
    assert.deepEqual(
      log.map((e) => `${e.what}${e.continued === undefined ? '' : `:${e.continued}`}`),
      ['acquired:false', 'suspended', 'acquired:true'],
    );
    assert.ok(claim.valid);
  });

  it('with the renewal thread, a main thread stalled for twice the ttl keeps its lease', async () => {
    const log: Event[] = [];
    const a = keeper('a', 900, true);
    const b = keeper('b', 900);
    const claim = a.claim('track', 'cam', key('cam'), recorder('a', log));
    await waitFor(() => claim.valid, 8000, 'a holds', 20);
    await sleep(400); // the thread has renewed at least once
    b.claim('track', 'cam', key('cam'), recorder('b', log));
    stall(1800);
    assert.ok(claim.valid, 'still valid right after the stall: the thread renewed it meanwhile');
    await sleep(1000); // nothing may happen here: no suspension, no takeover
    assert.deepEqual(log.map((e) => `${e.who}:${e.what}`), ['a:acquired'], 'no suspension; the standby never got it');
    assert.ok((await admin.pttl(key('cam'))) > 0);
  });

  it('the renewal thread lets the leases of a hung main thread expire after the heartbeat timeout', async () => {
    const log: Event[] = [];
    const a = keeper('a', 600, true, 1000);
    const claim = a.claim('track', 'cam', key('cam'), recorder('a', log));
    await waitFor(() => claim.valid, 8000, 'a holds', 20);
    stall(2500); // "hung": no heartbeat for 2.5 s, beyond the 1 s timeout; the key expires 600 ms later
    assert.equal(await admin.exists(key('cam')), 0, 'expired: another process could take the camera');
  });

  it('a suspended holder whose camera was taken meanwhile stops its worker', async () => {
    const log: Event[] = [];
    const a = keeper('a', 600);
    const b = keeper('b', 600);
    const ca = a.claim('track', 'cam', key('cam'), recorder('a', log));
    await waitFor(() => ca.valid, 8000, 'a holds', 20);
    b.claim('track', 'cam', key('cam'), recorder('b', log));
    stall(900); // a stalls; its key expires; b's next round takes the camera
    await waitFor(() => log.some((e) => e.who === 'a' && e.what === 'lost'), 5000, 'a lost it', 20);
    const bAcq = log.find((e) => e.who === 'b' && e.what === 'acquired');
    assert.ok(bAcq, 'b took over');
    assert.deepEqual(
      log.filter((e) => e.who === 'a').map((e) => e.what),
      ['acquired', 'suspended', 'lost'],
    );
    assert.equal(ca.valid, false);
  });

  it('keeps its leases through a Redis outage shorter than the ttl', async () => {
    const log: Event[] = [];
    const a = keeper('a', 3000);
    const claim = a.claim('track', 'cam', key('cam'), recorder('a', log));
    await waitFor(() => claim.valid, 8000, 'a holds', 20);
    await server.down();
    await sleep(1000); // the outage's length
    await server.up();
    await sleep(1500); // nothing may happen here: no suspension, no loss
    assert.deepEqual(log.map((e) => e.what), ['acquired'], 'no suspension, no loss');
    assert.ok(claim.valid);
  });

  it('resumes without a restart after a Redis outage longer than the ttl (AOF: nobody else held it)', async () => {
    const log: Event[] = [];
    const a = keeper('a', 900);
    const claim = a.claim('track', 'cam', key('cam'), recorder('a', log));
    await waitFor(() => claim.valid, 8000, 'a holds', 20);
    await server.down();
    await waitFor(() => log.some((e) => e.what === 'suspended'), 3000, 'suspended while Redis is away', 20);
    await sleep(1000); // the outage goes on past the ttl
    await server.up();
    await waitFor(() => claim.valid, 5000, 'confirmed', 20);
    assert.deepEqual(
      log.map((e) => `${e.what}${e.continued === undefined ? '' : `:${e.continued}`}`),
      ['acquired:false', 'suspended', 'acquired:true'],
    );
  });

  it('a restarted process with the same instance id reclaims its leases at once', async () => {
    const a = keeper('host:slot1', 5000);
    const log: Event[] = [];
    a.claim('track', 'cam', key('cam'), recorder('a', log));
    await a.round();
    a.abort(); // killed: nothing released, the key stays for 5 s
    const other = keeper('host:slot2', 5000);
    const otherLog: Event[] = [];
    other.claim('track', 'cam', key('cam'), recorder('other', otherLog));
    const again = keeper('host:slot1', 5000);
    const againLog: Event[] = [];
    const t = Date.now();
    again.claim('track', 'cam', key('cam'), recorder('again', againLog));
    await waitFor(() => againLog.some((e) => e.what === 'acquired'), 2000, 'reclaimed', 20);
    assert.ok(Date.now() - t < 1000, 'without waiting for the old lease to expire');
    await other.round();
    assert.equal(otherLog.length, 0, 'a different instance still waits');
  });

  it('releases on close: the worker stops first, then the key is deleted and a standby takes it at once', async () => {
    const log: Event[] = [];
    const a = keeper('a', 5000);
    const b = keeper('b', 5000);
    a.claim('track', 'cam', key('cam'), recorder('a', log, 200));
    await a.round();
    await a.settled();
    b.claim('track', 'cam', key('cam'), recorder('b', log));
    await a.close();
    assert.equal(await admin.exists(key('cam')), 0);
    const t = Date.now();
    await waitFor(() => log.some((e) => e.who === 'b' && e.what === 'acquired'), 4000, 'b holds', 20);
    assert.ok(Date.now() - t < 2500);
    assert.deepEqual(log.slice(0, 2).map((e) => `${e.who}:${e.what}`), ['a:acquired', 'a:lost']);
  });
});
