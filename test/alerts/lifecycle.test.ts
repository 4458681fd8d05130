import assert from 'node:assert/strict';
import { AlertLifecycle } from '../../src/alerts/lifecycle';
import type { Condition } from '../../src/alerts/rules/types';
import { rule } from './rules/helpers';

const obj = (id: number) => ({ trackId: id, label: 'person', score: 0.9, box: [0, 0, 0.1, 0.1] as [number, number, number, number] });

describe('AlertLifecycle', () => {
  const r = rule({ type: 'zone_enter', zone: 'z', cooldown: 10, severity: 'high' });
  const rules = new Map([[r.id, r]]);
  function drive(lc: AlertLifecycle, steps: Array<[number, Condition[]]>) {
    return steps.flatMap(([t, c]) => [...lc.step(r, c, t), ...lc.expire(t, rules)]);
  }
  it('start, update on a change (throttled), end after endAfterSeconds', () => {
    const lc = new AlertLifecycle('cam', { endAfterSeconds: 2, minUpdateSeconds: 1 });
    const c1: Condition = { key: 'z', objects: [obj(1)], count: 1 };
    const c2: Condition = { key: 'z', objects: [obj(1), obj(2)], count: 2 };
    const ev = drive(lc, [
      [0, [c1]],
      [500, [c2]],
      [1000, [c2]],
      [1500, [c2]],
      [2000, []],
      [3000, []],
      [3600, []],
    ]);
    assert.deepEqual(
      ev.map((e) => [e.event, e.capturedAt]),
      [
        ['start', 0],
        ['update', 1000],
        ['end', 3600],
      ],
    );
    assert.equal(ev[0].alert.severity, 'high');
    assert.equal(ev[1].alert.count, 2);
    assert.equal(ev[2].alert.state, 'ended');
    assert.equal(ev[2].alert.endedAt, new Date(3600).toISOString());
  });
  it('cooldown suppresses a new alert for the same key; other keys are independent; ids carry over', () => {
    const lc = new AlertLifecycle('cam', { endAfterSeconds: 1 });
    const c: Condition = { key: 'z', objects: [obj(1)] };
    const ev = drive(lc, [
      [0, [c]],
      [1500, []],
      [5000, [c, { key: 'other', objects: [obj(3)] }]],
      [12_000, []],
      [12_000, [c]],
    ]);
    const starts = ev.filter((e) => e.event === 'start');
    assert.deepEqual(
      starts.map((e) => e.capturedAt),
      [0, 5000, 12_000],
    );
    lc.setId(starts[2].handle, '123-0');
    const end = lc.endAll(13_000);
    assert.equal(end[0].alert.id, '123-0');
    assert.equal(end[0].alert.snapshot, '/api/alerts/123-0/snapshot.jpg');
  });
});
