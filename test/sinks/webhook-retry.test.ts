import assert from 'node:assert/strict';
import { fullJitterDelay, parseRetryAfter, retryDecision, retryPolicy, type RetryPolicy } from '../../src/sinks/webhook-retry';
import { configSchema } from '../../src/config/schema';

const hook = (over: Record<string, unknown> = {}) =>
  configSchema.parse({ webhooks: [{ url: 'http://h/x', secret: 'secret-123', ...over }] }).webhooks[0];

describe('webhook-retry', () => {
  describe('#retryPolicy', () => {
    it('defaults: first retry within 5 s, at most 1 h apart, dead letters only after 24 h, no attempt cap', () => {
      assert.deepEqual(retryPolicy(hook()), { initialMs: 5000, maxMs: 3_600_000, horizonMs: 86_400_000 });
    });
    it('reads retry.*, and the older backoffMs and attempts', () => {
      assert.deepEqual(retryPolicy(hook({ retry: { initialSeconds: 0.05, maxSeconds: 2, horizonSeconds: 30 } })), { initialMs: 50, maxMs: 2000, horizonMs: 30_000 });
      assert.deepEqual(retryPolicy(hook({ backoffMs: 20, attempts: 3 })), { initialMs: 20, maxMs: 3_600_000, horizonMs: 86_400_000, maxAttempts: 3 });
    });
  });

  describe('#fullJitterDelay', () => {
    it('is uniform in [0, initial * 2^(n-1)) and capped', () => {
      assert.equal(fullJitterDelay(1, 5000, 3_600_000, () => 0), 0);
      assert.equal(fullJitterDelay(1, 5000, 3_600_000, () => 0.999999), 4999);
      assert.equal(fullJitterDelay(4, 5000, 3_600_000, () => 0.5), 20_000);
      assert.equal(fullJitterDelay(30, 5000, 3_600_000, () => 0.5), 1_800_000);
      assert.equal(fullJitterDelay(1000, 5000, 3_600_000, () => 0.999999), 3_599_996);
      for (let n = 1; n < 15; n++) {
        const d = fullJitterDelay(n, 100, 60_000);
        assert.ok(d >= 0 && d < Math.min(60_000, 100 * 2 ** (n - 1)), `attempt ${n}: ${d}`);
      }
    });
  });

  describe('#parseRetryAfter', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    it('reads delta-seconds', () => {
      assert.equal(parseRetryAfter('120', now), 120_000);
      assert.equal(parseRetryAfter(' 0 ', now), 0);
    });
    it('reads an HTTP-date (IMF-fixdate), a past date is 0', () => {
      assert.equal(parseRetryAfter('Mon, 30 Nov 2026 12:00:30 GMT', now), 30_000);
      assert.equal(parseRetryAfter('Mon, 30 Nov 2026 11:00:00 GMT', now), 0);
    });
    it('ignores what is neither', () => {
      for (const v of [undefined, null, '', '-5', '1.5', 'soon', '12abc']) {
        assert.equal(parseRetryAfter(v, now), undefined, String(v));
      }
    });
  });

  describe('#retryDecision', () => {
    const p: RetryPolicy = { initialMs: 5000, maxMs: 3_600_000, horizonMs: 86_400_000 };
    const t0 = 1_000_000_000_000;
    it('retries with full jitter until the horizon', () => {
      assert.deepEqual(retryDecision(p, { attempt: 1, startedAt: t0, now: t0 + 10 }, () => 0.5), { retry: true, delayMs: 2500 });
      assert.deepEqual(retryDecision(p, { attempt: 40, startedAt: t0, now: t0 + 23 * 3_600_000 }, () => 0.5), { retry: true, delayMs: 1_800_000 });
    });
    it('makes the last attempt at the horizon and dead-letters only when an attempt at or after it fails', () => {
      assert.deepEqual(retryDecision(p, { attempt: 40, startedAt: t0, now: t0 + 86_400_000 - 1000 }, () => 0.99), { retry: true, delayMs: 1000 });
      const dead = retryDecision(p, { attempt: 41, startedAt: t0, now: t0 + 86_400_000 });
      assert.equal(dead.retry, false);
      assert.match((dead as { reason: string }).reason, /horizon \(24 h\)/);
    });
    it('honours Retry-After exactly, capped at the longest interval', () => {
      assert.deepEqual(retryDecision(p, { attempt: 1, startedAt: t0, now: t0, retryAfterMs: 120_000 }, () => 0), { retry: true, delayMs: 120_000 });
      assert.deepEqual(retryDecision(p, { attempt: 1, startedAt: t0, now: t0, retryAfterMs: 7 * 86_400_000 }), { retry: true, delayMs: 3_600_000 });
      assert.deepEqual(retryDecision({ ...p, maxMs: 2000 }, { attempt: 1, startedAt: t0, now: t0, retryAfterMs: 5000 }), { retry: true, delayMs: 2000 });
    });
    it('stops after maxAttempts when set', () => {
      assert.equal(retryDecision({ ...p, maxAttempts: 3 }, { attempt: 2, startedAt: t0, now: t0 }).retry, true);
      assert.equal(retryDecision({ ...p, maxAttempts: 3 }, { attempt: 3, startedAt: t0, now: t0 }).retry, false);
    });
  });

  describe('config', () => {
    const problems = (over: Record<string, unknown>) => {
      const r = configSchema.safeParse({ webhooks: [{ url: 'http://h/x', secret: 'secret-123', ...over }] });
      return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    it('validates the retry settings', () => {
      assert.deepEqual(problems({ retry: { initialSeconds: 10, maxSeconds: 5 } }), ['webhooks.0.retry.maxSeconds: must be at least retry.initialSeconds']);
      assert.ok(problems({ retry: { horizonSeconds: 0 } }).includes('webhooks.0.retry.horizonSeconds: must be a number between 1 and 2592000'));
      assert.deepEqual(problems({ retry: { horizonSeconds: 31 * 86_400 } }), ['webhooks.0.retry.horizonSeconds: must be a number between 1 and 2592000']);
      assert.equal(problems({ retry: { every: 5 } }).length, 1);
      assert.deepEqual(problems({ retry: { initialSeconds: 1, maxSeconds: 60, horizonSeconds: 3 * 86_400 } }), []);
    });
  });
});
