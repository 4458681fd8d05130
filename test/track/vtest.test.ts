import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load';
import { replay } from '../../src/track/replay';
import { VTEST_CONFIG, vtestDetections } from './vtest-fixture';

/**
 * Real footage: YOLOX-nano detections of vtest.mp4 (test/fixtures/vtest-detections.jsonl, recorded once by
 * test/fixtures/make-vtest-detections.ts) through the tracker and the rules of test/fixtures/vtest-rules.yaml.
 */
/**
 * Crossings of the vertical line x = 0.30 (from y 0.30 to 0.60) counted by looking at the video (2 fps contact
 * sheets of the strip around the line, ffmpeg crop+tile): seconds from the start, and direction. The line is drawn
 * top to bottom, so a_to_b is right-to-left on screen. Not counted: the man already past the line at 0.0 s,
 * the person who walks along the grass below the line's end at ~57.5 s, the man who turns back 1 s short of it
 * at 8 s, and the person standing exactly on the line when the video ends (79.4 s).
 */
const GROUND_TRUTH: Array<[number, 'a_to_b' | 'b_to_a']> = [
  [17.7, 'a_to_b'], // light blue jacket, walking left
  [20.0, 'a_to_b'], // dark jacket, walking left
  [24.3, 'a_to_b'], // dark jacket, far side of the road
  [30.3, 'b_to_a'], // the same man, turning back right
  [30.6, 'a_to_b'], // man from the group near the sign
  [32.3, 'b_to_a'], // ... turning back
  [52.0, 'a_to_b'], // red jacket woman
  [59.1, 'a_to_b'], // dark jacket
  [64.8, 'b_to_a'], // red jacket woman coming back
  [66.8, 'b_to_a'], // the 59.1 man coming back
  [67.1, 'a_to_b'], // man from the right
  [70.7, 'b_to_a'], // ... turning back
  [70.7, 'a_to_b'], // blue jacket
  [75.7, 'b_to_a'], // woman in a dark coat from the lower left
];

describe('vtest.mp4 (recorded YOLOX detections)', () => {
  const { config } = loadConfig(VTEST_CONFIG);
  const results = vtestDetections();
  const t0 = results[0].times.capturedAt;
  const events = replay(config, results);
  const starts = events.filter((e) => e.event === 'start');
  const secs = (iso: string) => (Date.parse(iso) - t0) / 1000;

  it('counts line crossings per direction as counted by eye (8 right-to-left, 6 left-to-right)', () => {
    // Each crossing is an alert start or, when the same person crosses back within endAfterSeconds, an update.
    const crossings = events
      .filter((e) => e.alert.rule === 'walkway-count' && e.event !== 'end')
      .map((e) => ({ t: secs(e.event === 'start' ? e.alert.startedAt : e.alert.updatedAt), dir: e.alert.direction! }));
    const count = (d: string) => crossings.filter((c) => c.dir === d).length;
    assert.equal(count('a_to_b'), 8);
    assert.equal(count('b_to_a'), 6);
    const last = events.filter((e) => e.alert.rule === 'walkway-count').at(-1)!;
    assert.deepEqual(last.alert.counts, { a_to_b: 8, b_to_a: 6 });
    // Each crossing seen by eye is matched by one counted crossing of the same direction within 1.5 s.
    const left = [...crossings];
    for (const [t, dir] of GROUND_TRUTH) {
      const i = left.findIndex((c) => c.dir === dir && Math.abs(c.t - t) <= 1.5);
      assert.ok(i >= 0, `crossing at ${t}s ${dir} not counted; counted: ${JSON.stringify(crossings)}`);
      left.splice(i, 1);
    }
  });

  it('loiter fires only for the people standing near the sign in the first 15 s', () => {
    const loiter = starts.filter((e) => e.alert.rule === 'sign-loiter');
    assert.ok(loiter.length >= 2, `loiter alerts: ${loiter.length}`);
    for (const e of loiter) {
      const t = secs(e.alert.startedAt);
      assert.ok(t >= 5 && t <= 15, `loiter at ${t}s`);
    }
  });

  it('zone_enter fires at the sign zone, with the objects inside', () => {
    const enter = starts.filter((e) => e.alert.rule === 'sign-enter');
    assert.ok(enter.length >= 3, `zone_enter alerts: ${enter.length}`);
    assert.ok(secs(enter[0].alert.startedAt) < 3, 'people stand at the sign from the first seconds');
    for (const e of enter) {
      assert.equal(e.alert.zone, 'sign');
      assert.ok(e.alert.objects.length >= 1 && e.alert.objects.every((o) => o.label === 'person'));
    }
  });

  it('replays faster than real time', () => {
    const t = process.hrtime.bigint();
    replay(config, results);
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    assert.ok(ms < 79_400 / 4, `${ms} ms for 79.4 s of video`);
  });
});
