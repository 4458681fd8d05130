import assert from 'node:assert/strict';
import { alertQuality, matchAlerts, offsetStats, parseEvents, type RaisedAlert } from '../../src/eval/alert-quality';

const alert = (id: string, t: number, extra: Partial<RaisedAlert> = {}): RaisedAlert => ({ id, rule: 'cross', t, objects: ['person'], ...extra });

describe('eval: alert quality', () => {
  it('matches optimally where a greedy nearest-first pass would lose a pair', () => {
    // Greedy: the alert at 1.0 takes its nearest event (1.4), and the alert at 2.8 is then too far from 0.0.
    const alerts = [alert('a1', 1.0), alert('a2', 2.8)];
    const events = [{ rule: 'cross', t: 0 }, { rule: 'cross', t: 1.4 }];
    assert.deepEqual(matchAlerts(alerts, events, 1.5), [[0, 0], [1, 1]]);
    const q = alertQuality(alerts, { rules: ['cross'], events }, { durationS: 60 });
    assert.equal(q.rules[0].truePositives, 2);
    assert.equal(q.rules[0].falseAlarms, 0);
    assert.deepEqual(q.rules[0].matches.map((m) => Math.round(m.offset * 10) / 10), [1, 1.4]);
  });

  it('among the matchings with the most pairs, takes the smallest total offset', () => {
    const alerts = [alert('a1', 10.0), alert('a2', 10.2)];
    const events = [{ rule: 'cross', t: 10.25 }, { rule: 'cross', t: 9.9 }];
    assert.deepEqual(matchAlerts(alerts, events, 1.5), [[0, 1], [1, 0]]);
  });

  it('is one-to-one: a duplicate alert is a false alarm, a second event with one alert is missed', () => {
    const q = alertQuality([alert('a1', 5), alert('a2', 5.5)], { rules: [], events: [{ rule: 'cross', t: 5.2 }] }, { durationS: 1800 });
    const r = q.rules[0];
    assert.deepEqual([r.truePositives, r.falseAlarms, r.missed], [1, 1, 0]);
    assert.equal(r.precision, 0.5);
    assert.equal(r.recall, 1);
    assert.equal(r.falseAlarmsPerHour, 2);
    const q2 = alertQuality([alert('a1', 5)], { rules: [], events: [{ rule: 'cross', t: 4.5 }, { rule: 'cross', t: 5.6 }] }, { durationS: 60 });
    assert.deepEqual([q2.rules[0].truePositives, q2.rules[0].missed], [1, 1]);
    assert.deepEqual(q2.rules[0].matches.map((m) => m.event), [0]); // the nearer one
  });

  it('honours the tolerance, direction, object class and rule', () => {
    const events = [{ rule: 'cross', t: 10, direction: 'a_to_b', object: 'person' }];
    const at = (a: RaisedAlert) => alertQuality([a], { rules: [], events }, { durationS: 60, toleranceS: 1 }).rules.find((r) => r.rule === 'cross')!.truePositives;
    assert.equal(at(alert('x', 11, { direction: 'a_to_b' })), 1);
    assert.equal(at(alert('x', 11.01, { direction: 'a_to_b' })), 0);
    assert.equal(at(alert('x', 10, { direction: 'b_to_a' })), 0);
    assert.equal(at(alert('x', 10, { direction: 'a_to_b', objects: ['car'] })), 0);
    assert.equal(at(alert('x', 10, { direction: 'a_to_b', rule: 'other' })), 0);
  });

  it('counts alerts of unlabelled rules without judging them; empty inputs give nulls, not NaN', () => {
    const q = alertQuality([alert('z', 3, { rule: 'loiter' })], { rules: ['cross'], events: [] }, { durationS: 0 });
    const loiter = q.rules.find((r) => r.rule === 'loiter')!;
    assert.equal(loiter.labelled, false);
    assert.equal(loiter.falseAlarms, 0);
    assert.equal(loiter.precision, null);
    const cross = q.rules.find((r) => r.rule === 'cross')!;
    assert.deepEqual([cross.alerts, cross.events, cross.precision, cross.recall], [0, 0, null, null]);
    assert.equal(q.overall.alerts, 0);
    assert.equal(q.overall.falseAlarmsPerHour, null);
    assert.deepEqual(offsetStats([]), { n: 0, mean: null, median: null, min: null, max: null, p90Abs: null });
    assert.deepEqual(offsetStats([-1, 0.5, 2]), { n: 3, mean: 0.5, median: 0.5, min: -1, max: 2, p90Abs: 2 });
  });

  it('parses JSON and CSV events, and names the file and entry of a bad one', () => {
    const json = parseEvents('[{"rule":"cross","t":1.5,"direction":"a_to_b"},{"rule":"enter","t":"3"}]', 'ev.json');
    assert.deepEqual(json.events, [{ rule: 'cross', t: 1.5, direction: 'a_to_b' }, { rule: 'enter', t: 3 }]);
    assert.deepEqual(json.rules, ['cross', 'enter']);
    assert.deepEqual(parseEvents('{"rules":["quiet"],"events":[]}', 'x').rules, ['quiet']);
    const csv = parseEvents('# comment\nt,rule,direction,object\n2.0,cross,b_to_a,\n"4.5","cross",,person\n', 'ev.csv');
    assert.deepEqual(csv.events, [{ rule: 'cross', t: 2, direction: 'b_to_a' }, { rule: 'cross', t: 4.5, object: 'person' }]);
    assert.throws(() => parseEvents('[{"rule":"x","t":-1}]', 'ev.json'), /ev.json: event 1: t must be/);
    assert.throws(() => parseEvents('[{"rule":"x","t":1,"when":2}]', 'ev.json'), /unknown field "when"/);
    assert.throws(() => parseEvents('rule,time\nx,1', 'ev.csv'), /ev.csv: a CSV events file starts with a header/);
    assert.throws(() => parseEvents('rule,t\nx,abc', 'ev.csv'), /ev.csv: line 2: t must be/);
    assert.throws(() => parseEvents('{"events": 3}', 'e.json'), /array of events/);
    assert.throws(() => parseEvents('[{', 'e.json'), /e.json: not valid JSON/);
  });
});
