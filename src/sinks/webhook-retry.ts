/**
 * Pure retry policy of webhook delivery: exponential backoff with full jitter, a capped interval, `Retry-After`,
 * and a horizon after which a delivery goes to the dead-letter list. No I/O here.
 */
import type { WebhookConfig } from '../config/schema';

/** The resolved retry settings of one webhook, in milliseconds. */
export interface RetryPolicy {
  /** Upper bound of the first retry's wait; doubles per attempt. */
  initialMs: number;
  /** Longest wait between two attempts (also the cap on `Retry-After`). */
  maxMs: number;
  /** A delivery is dead-lettered only when an attempt fails this long after it was first enqueued. */
  horizonMs: number;
  /** Optional cap on attempts (`webhooks[].attempts`); undefined = retry until the horizon. */
  maxAttempts?: number;
}

/** The policy of a webhook config (`retry`, plus the older `backoffMs` / `attempts` where set). */
export function retryPolicy(hook: Pick<WebhookConfig, 'retry' | 'backoffMs' | 'attempts'>): RetryPolicy {
  const initialMs = hook.backoffMs ?? Math.round(hook.retry.initialSeconds * 1000);
  return {
    initialMs,
    maxMs: Math.max(initialMs, Math.round(hook.retry.maxSeconds * 1000)),
    horizonMs: Math.round(hook.retry.horizonSeconds * 1000),
    ...(hook.attempts !== undefined ? { maxAttempts: hook.attempts } : {}),
  };
}

/**
 * Wait before the retry that follows failed attempt number `attempt` (1 = the first attempt failed): "full jitter",
 * uniform in [0, min(maxMs, initialMs * 2^(attempt-1))), so senders coming back after an outage are spread out.
 */
export function fullJitterDelay(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(n - 1, 40));
  return Math.floor(random() * ceiling);
}

/**
 * `Retry-After` as a wait in ms: delta-seconds (`120`) or an HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`), relative
 * to `nowMs`. A date in the past is 0. Undefined when absent or not valid.
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value === null || value === undefined) {
    return undefined;
  }
  const v = value.trim();
  if (/^\d+$/.test(v)) {
    return Number(v) * 1000;
  }
  // HTTP-date (IMF-fixdate; Date.parse also reads the obsolete RFC 850 and asctime forms). Must name a weekday
  // or month, so a bare number with a decimal point or a sign is not read as a date.
  if (!/[A-Za-z]{3}/.test(v)) {
    return undefined;
  }
  const t = Date.parse(v);
  return Number.isFinite(t) ? Math.max(0, t - nowMs) : undefined;
}

/** HTTP statuses whose `Retry-After` is honoured. */
export const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** What to do after a failed attempt. */
export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: string };

/** Inputs of {@link retryDecision}. */
export interface FailedAttempt {
  /** Number of the attempt that just failed (1 = the first). */
  attempt: number;
  /** When the delivery's horizon started (its enqueue time, or when its endpoint was re-enabled), ms. */
  startedAt: number;
  now: number;
  /** The receiver's `Retry-After` in ms (only for 429/503). */
  retryAfterMs?: number;
}

/**
 * Retry or dead-letter after a failed attempt. The wait is `Retry-After` when the receiver sent one (capped at
 * `maxMs`), else {@link fullJitterDelay}; it never reaches past the horizon, so the last attempt is made at the
 * horizon itself and a delivery is dead-lettered only when an attempt at or after the horizon fails (or after
 * `maxAttempts` when set).
 */
export function retryDecision(policy: RetryPolicy, f: FailedAttempt, random: () => number = Math.random): RetryDecision {
  if (policy.maxAttempts !== undefined && f.attempt >= policy.maxAttempts) {
    return { retry: false, reason: `failed ${f.attempt} attempts` };
  }
  const left = f.startedAt + policy.horizonMs - f.now;
  if (left <= 0) {
    return { retry: false, reason: `still failing after the retry horizon (${formatDuration(policy.horizonMs)})` };
  }
  const wait = f.retryAfterMs !== undefined ? Math.min(Math.max(0, f.retryAfterMs), policy.maxMs) : fullJitterDelay(f.attempt, policy.initialMs, policy.maxMs, random);
  return { retry: true, delayMs: Math.min(wait, left) };
}

/** `86400000` → `24 h`, `90000` → `90 s`: for messages. */
export function formatDuration(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) {
    return `${ms / 3_600_000} h`;
  }
  if (ms >= 60_000 && ms % 60_000 === 0) {
    return `${ms / 60_000} min`;
  }
  return `${ms / 1000} s`;
}
