import { install, type Clock } from '@sinonjs/fake-timers';

/**
 * Fake time for tests about time (a watchdog's limit, a backoff, a ttl): `setTimeout`/`setInterval` and `Date` run on
 * a clock the test moves with `tick(ms)`, so a 5 s limit is checked in microseconds and exactly, with no real-time
 * margin. Uninstall it (`clock.uninstall()`) in `afterEach`. Real I/O (Redis, sockets, processes) does not belong in
 * such a test: it would still run on real time.
 */
export function fakeClock(now = 1_700_000_000_000): Clock {
  return install({ now, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
}
export type { Clock };
