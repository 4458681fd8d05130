import assert from 'node:assert/strict';
import { isActive, localTime } from '../../src/alerts/schedule';
import { ruleSchema } from '../../src/config/schema';

describe('schedule', () => {
  const at = (iso: string) => Date.parse(iso);
  it('#localTime applies the time zone (including DST)', () => {
    assert.deepEqual(localTime(at('2024-01-15T12:30:00Z'), 'Europe/Paris'), { day: 1, minute: 13 * 60 + 30 });
    assert.deepEqual(localTime(at('2024-07-15T12:30:00Z'), 'Europe/Paris'), { day: 1, minute: 14 * 60 + 30 });
    assert.deepEqual(localTime(at('2024-01-15T02:00:00Z'), 'America/New_York'), { day: 0, minute: 21 * 60 });
  });
  it('a window across midnight covers both sides; its days are the day it starts', () => {
    // Fridays 22:00 to 06:00, Paris time (UTC+1 in January). 2024-01-19 is a Friday.
    const s = { timezone: 'Europe/Paris', windows: [{ from: '22:00', to: '06:00', days: [5] }] };
    assert.equal(isActive(s, at('2024-01-19T20:59:00Z')), false, 'Fri 21:59');
    assert.equal(isActive(s, at('2024-01-19T21:00:00Z')), true, 'Fri 22:00');
    assert.equal(isActive(s, at('2024-01-19T23:30:00Z')), true, 'Sat 00:30');
    assert.equal(isActive(s, at('2024-01-20T04:59:00Z')), true, 'Sat 05:59');
    assert.equal(isActive(s, at('2024-01-20T05:00:00Z')), false, 'Sat 06:00');
    assert.equal(isActive(s, at('2024-01-20T21:30:00Z')), false, 'Sat 22:30 is not a Friday night');
    assert.equal(isActive(s, at('2024-01-18T23:30:00Z')), false, 'Fri 00:30 belongs to Thursday night');
  });
  it('plain windows, whole-day windows and no schedule', () => {
    const s = { timezone: 'UTC', windows: [{ from: '08:00', to: '18:00' }] };
    assert.equal(isActive(s, at('2024-01-15T08:00:00Z')), true);
    assert.equal(isActive(s, at('2024-01-15T18:00:00Z')), false);
    assert.equal(isActive({ timezone: 'UTC', windows: [{ from: '00:00', to: '00:00', days: [1] }] }, at('2024-01-15T23:59:00Z')), true);
    assert.equal(isActive(undefined, 0), true);
  });
});

describe('rules config: schedule', () => {
  it('rejects an unknown time zone', () => {
    const bad = ruleSchema.safeParse({
      id: 'r',
      type: 'zone_enter',
      zone: 'z',
      schedule: { timezone: 'Mars/Olympus', windows: [{ from: '22:00', to: '06:00' }] },
    });
    assert.equal(bad.success, false);
    assert.match(JSON.stringify(bad.error?.issues), /IANA time zone/);
    const good = ruleSchema.parse({ id: 'r', type: 'zone_enter', zone: 'z', schedule: { windows: [{ from: '22:00', to: '06:00' }] } });
    assert.equal(good.schedule?.timezone, 'UTC');
  });
});
