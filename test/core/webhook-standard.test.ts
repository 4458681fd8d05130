import assert from 'node:assert/strict';
import { standardHeaders, standardSecretKey, standardSignature, standardWebhookId, verifyStandard } from '../../src/core/webhook-standard';
import { configSchema } from '../../src/config/schema';

// The test vector of the Standard Webhooks reference library (standard-webhooks/standard-webhooks,
// libraries/javascript/src/webhook.test.ts, "sign function works").
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};

describe('webhook-standard', () => {
  it("signs the spec's test vector exactly", () => {
    assert.equal(standardSignature(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.payload), VECTOR.signature);
    assert.ok(verifyStandard(VECTOR.secret, VECTOR.id, String(VECTOR.timestamp), VECTOR.payload, VECTOR.signature));
    // A receiver accepts when one signature of the space-separated list matches.
    assert.ok(verifyStandard(VECTOR.secret, VECTOR.id, String(VECTOR.timestamp), VECTOR.payload, `v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= ${VECTOR.signature}`));
    assert.ok(!verifyStandard(VECTOR.secret, VECTOR.id, String(VECTOR.timestamp + 1), VECTOR.payload, VECTOR.signature));
    assert.ok(!verifyStandard(VECTOR.secret, VECTOR.id, String(VECTOR.timestamp), `${VECTOR.payload} `, VECTOR.signature));
  });

  it('keys the HMAC with the base64-decoded bytes after whsec_ (24-64 bytes)', () => {
    assert.equal(standardSecretKey(VECTOR.secret).length, 24);
    assert.throws(() => standardSecretKey('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'), /whsec_/);
    assert.throws(() => standardSecretKey('whsec_not base64!'), /base64/);
    assert.throws(() => standardSecretKey('whsec_c2hvcnQ='), /24-64 bytes \(got 5\)/);
    assert.throws(() => standardSecretKey(`whsec_${Buffer.alloc(65).toString('base64')}`), /got 65/);
  });

  it('uses a webhook-id without dots, stable per delivery, and the same timestamp as signed', () => {
    assert.equal(standardWebhookId('1700000000000-0.soc'), '1700000000000-0_soc');
    const h = standardHeaders(VECTOR.secret, '1700000000000-0.soc', 1700000000, '{"a":1}');
    assert.deepEqual(Object.keys(h).sort(), ['webhook-id', 'webhook-signature', 'webhook-timestamp']);
    assert.equal(h['webhook-timestamp'], '1700000000');
    assert.ok(verifyStandard(VECTOR.secret, h['webhook-id'], h['webhook-timestamp'], '{"a":1}', h['webhook-signature']));
  });

  it('config: standardWebhooks needs a whsec_ secret', () => {
    const parse = (secret: string) => configSchema.safeParse({ webhooks: [{ url: 'http://h/x', secret, standardWebhooks: true }] });
    assert.ok(parse(VECTOR.secret).success);
    const bad = parse('plain-secret-123');
    assert.ok(!bad.success);
    assert.match(bad.error.issues[0].message, /^with standardWebhooks: must be "whsec_"/);
    assert.deepEqual(bad.error.issues[0].path, ['webhooks', 0, 'secret']);
    assert.ok(configSchema.safeParse({ webhooks: [{ url: 'http://h/x', secret: 'plain-secret-123' }] }).success);
  });
});
