import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { deliveryId, signBody, verifySignature, webhookBody, webhookMatches } from '../../src/sinks/webhook-format';
import { SAMPLE_ALERT, checkTemplate, renderTemplate } from '../../src/core/webhook-template';

describe('webhook-format', () => {
  describe('#signBody', () => {
    it('is sha256=HMAC(secret, "TIMESTAMP.BODY") in hex', () => {
      const expected = createHmac('sha256', 's3cret-key').update('1700000000.{"a":1}').digest('hex');
      assert.equal(signBody('s3cret-key', 1700000000, '{"a":1}'), `sha256=${expected}`);
      assert.ok(verifySignature('s3cret-key', '1700000000', '{"a":1}', `sha256=${expected}`));
      assert.ok(!verifySignature('s3cret-key', '1700000001', '{"a":1}', `sha256=${expected}`));
      assert.ok(!verifySignature('other-key', '1700000000', '{"a":1}', `sha256=${expected}`));
    });
  });
  describe('#webhookMatches', () => {
    const base = { events: ['alert.start' as const], minSeverity: 'info' as const };
    it('filters by event, camera, rule and minimum severity', () => {
      assert.ok(webhookMatches(base, 'start', SAMPLE_ALERT));
      assert.ok(!webhookMatches(base, 'end', SAMPLE_ALERT));
      assert.ok(!webhookMatches({ ...base, cameras: ['other'] }, 'start', SAMPLE_ALERT));
      assert.ok(webhookMatches({ ...base, cameras: ['sample'] }, 'start', SAMPLE_ALERT));
      assert.ok(!webhookMatches({ ...base, rules: ['x'] }, 'start', SAMPLE_ALERT));
      assert.ok(webhookMatches({ ...base, minSeverity: 'medium' }, 'start', SAMPLE_ALERT));
      assert.ok(!webhookMatches({ ...base, minSeverity: 'high' }, 'start', SAMPLE_ALERT));
    });
    it('alert.clip: only webhooks that list it get the clip event', () => {
      const clip = { ...base, events: ['alert.end' as const, 'alert.clip' as const] };
      assert.ok(webhookMatches(clip, 'clip', SAMPLE_ALERT));
      assert.ok(!webhookMatches(base, 'clip', SAMPLE_ALERT));
      assert.equal(JSON.parse(webhookBody(undefined, 'clip', SAMPLE_ALERT, 'd')).event, 'alert.clip');
    });
  });
  describe('#renderTemplate', () => {
    it('escapes values inside strings and inserts JSON values outside', () => {
      const t = '{"text":"{{alert.camera}}: {{alert.objects.0.label}}","score":{{alert.objects.0.score}},"ev":"{{event}}","missing":{{alert.nope}},"id":"{{delivery}}"}';
      const out = JSON.parse(renderTemplate(t, 'start', SAMPLE_ALERT, 'd-1'));
      assert.deepEqual(out, { text: 'sample: person "quoted"', score: 0.9, ev: 'alert.start', missing: null, id: 'd-1' });
    });
    it('cannot be broken out of by alert content', () => {
      const evil = { ...SAMPLE_ALERT, camera: '","injected":true,"x":"\\' };
      const out = JSON.parse(renderTemplate('{"c":"{{alert.camera}}"}', 'end', evil, 'd'));
      assert.deepEqual(Object.keys(out), ['c']);
      assert.equal(out.c, evil.camera);
    });
    it('inserts objects as JSON text inside strings and as JSON outside', () => {
      const out = JSON.parse(renderTemplate('{"o":{{alert.objects}},"s":"{{alert.objects}}"}', 'start', SAMPLE_ALERT, 'd'));
      assert.deepEqual(out.o, SAMPLE_ALERT.objects);
      assert.deepEqual(JSON.parse(out.s), SAMPLE_ALERT.objects);
    });
    it('keeps escaped quotes of the template itself', () => {
      const out = JSON.parse(renderTemplate('{"a":"say \\"{{alert.camera}}\\""}', 'start', SAMPLE_ALERT, 'd'));
      assert.equal(out.a, 'say "sample"');
    });
  });
  describe('#checkTemplate', () => {
    it('throws for a template that is not JSON once rendered', () => {
      assert.throws(() => checkTemplate('hook', '{"a": {{alert.camera}'), TypeError);
      assert.doesNotThrow(() => checkTemplate('hook', '{"a": {{alert.camera}}}'));
    });
  });
  describe('#webhookBody', () => {
    it('is the CONTRACT body without a template', () => {
      assert.deepEqual(JSON.parse(webhookBody(undefined, 'end', SAMPLE_ALERT, 'x')), { event: 'alert.end', alert: SAMPLE_ALERT });
    });
  });
  describe('#deliveryId', () => {
    it('is stable per event and webhook and has no ":" (BullMQ job ids)', () => {
      assert.equal(deliveryId('1700000000000-1', 'soc'), deliveryId('1700000000000-1', 'soc'));
      assert.notEqual(deliveryId('1700000000000-1', 'soc'), deliveryId('1700000000000-1', 'nvr'));
      assert.ok(!deliveryId('1-1', 'a').includes(':'));
    });
  });
});
