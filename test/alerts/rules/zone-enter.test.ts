import assert from 'node:assert/strict';
import { input, rule, runRule, track } from './helpers';
import { AlertLifecycle } from '../../../src/alerts/lifecycle';

describe('zone_enter', () => {
  const r = rule({ type: 'zone_enter', zone: 'z' });
  it('holds a condition while an object is inside, with the objects inside', () => {
    const out = runRule(r, [
      input(0, [track(1, 0.1, 0.6)]),
      input(100, [track(1, 0.3, 0.6), track(2, 0.4, 0.7)]),
      input(200, [track(1, 0.3, 0.6), track(2, 0.4, 0.7)]),
    ]);
    assert.equal(out[0].length, 0);
    assert.equal(out[1][0].count, 1, 'track 2 appeared inside; track 1 coming from outside needs two clear frames');
    assert.deepEqual(
      out[2][0].objects.map((o) => o.trackId),
      [1, 2],
    );
  });
  it('an object lingering at the zone edge does not flap (one alert, no re-entries)', () => {
    const xs = [0.1, 0.21, 0.19, 0.205, 0.23, 0.17, 0.22, 0.19, 0.21, 0.24, 0.18, 0.2];
    const lc = new AlertLifecycle('cam', { endAfterSeconds: 3 });
    const ev = runRule(
      r,
      xs.map((x, i) => input(i * 200, [track(1, x, 0.6)])),
    );
    const starts = ev.flatMap((c, i) => lc.step(r, c, i * 200)).filter((c) => c.event === 'start');
    assert.ok(starts.length <= 1, `starts: ${starts.length}`);
  });
  it('a track lost and found inside the zone does not enter again', () => {
    const lc = new AlertLifecycle('cam', { endAfterSeconds: 1 });
    const frames = [
      input(0, [track(1, 0.4, 0.6)]),
      input(100, [track(1, 0.4, 0.6)]),
      ...Array.from({ length: 15 }, (_, i) => input(200 + i * 100, [track(1, 0.4, 0.6, { matched: false, status: 'lost' })])),
      input(1800, [track(1, 0.42, 0.62)]),
    ];
    const conds = runRule(r, frames);
    const events = conds.flatMap((c, i) => [...lc.step(r, c, frames[i].time), ...lc.expire(frames[i].time, new Map([[r.id, r]]))]);
    assert.deepEqual(
      events.map((e) => e.event),
      ['start'],
    );
  });
});

describe('zone_exit', () => {
  it('fires when an object that was inside is confirmed outside; vanishing inside is no exit', () => {
    const r = rule({ type: 'zone_exit', zone: 'z' });
    const out = runRule(r, [
      input(0, [track(1, 0.4, 0.6), track(2, 0.3, 0.6)]),
      input(100, [track(1, 0.5, 0.6), track(2, 0.3, 0.6)]),
      input(200, [track(1, 0.7, 0.6)]),
      input(300, [track(1, 0.72, 0.6)]),
      input(400, [track(1, 0.75, 0.6)]),
    ]);
    assert.deepEqual(
      out.map((c) => c.map((x) => x.key)),
      [[], [], [], ['track:1'], []],
    );
  });
});

describe('loiter', () => {
  it('fires after `seconds` inside, keeps the entry time through a brief loss', () => {
    const r = rule({ type: 'loiter', zone: 'z', seconds: 5 });
    const frames = [];
    for (let t = 0; t <= 6000; t += 500) {
      const lost = t >= 2000 && t <= 3000;
      frames.push(input(t, [track(1, 0.4, 0.6, lost ? { matched: false, status: 'lost' } : {})]));
    }
    const out = runRule(r, frames);
    const first = out.findIndex((c) => c.length > 0);
    assert.equal(frames[first].time, 5000);
  });
  it('does not fire for someone walking through', () => {
    const r = rule({ type: 'loiter', zone: 'z', seconds: 3 });
    const out = runRule(
      r,
      Array.from({ length: 40 }, (_, i) => input(i * 100, [track(1, 0.1 + i * 0.02, 0.6)])),
    );
    assert.equal(out.flat().length, 0);
  });
});

describe('crowd', () => {
  it('needs `count` objects for `seconds`; a short dip does not reset it', () => {
    const r = rule({ type: 'crowd', zone: 'z', count: 3, seconds: 2 });
    const three = [track(1, 0.3, 0.6), track(2, 0.4, 0.6), track(3, 0.5, 0.6)];
    const frames = [];
    for (let t = 0; t <= 3000; t += 250) {
      frames.push(input(t, t === 1000 ? three.slice(0, 2) : three));
    }
    const out = runRule(r, frames);
    const first = out.findIndex((c) => c.length > 0);
    assert.equal(frames[first].time, 2000);
    assert.equal(out[first][0].count, 3);
  });
});
