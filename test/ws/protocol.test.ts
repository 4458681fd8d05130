import assert from 'node:assert/strict';
import { parseClientMessage, wants, DEFAULT_SUBSCRIPTION } from '../../src/ws/protocol';

describe('ws protocol', () => {
  describe('#parseClientMessage', () => {
    it('parses a full subscribe', () => {
      const m = parseClientMessage('{"type":"subscribe","cameras":["walkway"],"topics":["alerts","detections"],"since":"1700000000000-3"}');
      assert.equal(m.type, 'subscribe');
      if (m.type !== 'subscribe') {
        return;
      }
      assert.deepEqual([...m.subscription.cameras!], ['walkway']);
      assert.deepEqual([...m.subscription.topics], ['alerts', 'detections']);
      assert.equal(m.since, '1700000000000-3');
    });
    it('defaults to every camera with alerts and cameras', () => {
      const m = parseClientMessage('{"type":"subscribe"}');
      assert.ok(m.type === 'subscribe' && m.subscription.cameras === null);
      assert.ok(m.type === 'subscribe' && m.subscription.topics.has('alerts') && m.subscription.topics.has('cameras'));
      assert.ok(m.type === 'subscribe' && !m.subscription.topics.has('detections'));
    });
    const bad: Array<[string, RegExp]> = [
      ['not json', /not valid JSON/],
      ['[1,2]', /JSON object/],
      ['null', /JSON object/],
      ['{"type":"unsubscribe"}', /unknown message type/],
      ['{}', /no "type"/],
      ['{"type":"subscribe","cameras":"walkway"}', /cameras: must be an array/],
      ['{"type":"subscribe","cameras":["Front Door"]}', /cameras: each camera id/],
      ['{"type":"subscribe","topics":["frames"]}', /topics: each topic/],
      ['{"type":"subscribe","since":"yesterday"}', /since: must be an alert event id/],
      ['{"type":"subscribe","since":12}', /since: must be/],
      ['{"type":"subscribe","extra":1}', /unknown field "extra"/],
      ['{"type":"subscribe","__proto__":{"x":1}}', /unknown field "__proto__"/],
    ];
    for (const [text, why] of bad) {
      it(`rejects ${text} as bad_request`, () => {
        const m = parseClientMessage(text);
        assert.equal(m.type, 'error');
        assert.ok(m.type === 'error' && m.code === 'bad_request');
        assert.match((m as { message: string }).message, why);
      });
    }
  });
  describe('#wants', () => {
    it('filters by topic and camera', () => {
      assert.ok(wants(DEFAULT_SUBSCRIPTION, 'alerts', 'any'));
      assert.ok(!wants(DEFAULT_SUBSCRIPTION, 'detections', 'any'));
      const sub = { cameras: new Set(['a']), topics: new Set(['alerts'] as const) };
      assert.ok(wants(sub, 'alerts', 'a'));
      assert.ok(!wants(sub, 'alerts', 'b'));
    });
  });
});
