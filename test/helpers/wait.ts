/**
 * Waiting in tests: poll a condition until it holds or a deadline passes. A test waits for what it needs (a message,
 * a key, a state) with a deadline; a fixed sleep never decides whether it passes.
 */

/** Resolves after `ms` (for pacing a feed or a retry loop, never to decide a pass). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What a waited-for function may return while the condition does not hold yet. */
type Pending = undefined | null | false | 0 | '';

/**
 * Calls `fn` every `everyMs` until it returns a truthy value, and resolves with that value. Fails once `timeoutMs` has
 * passed with "timed out after N ms waiting for <what>" (`what` may be a function, evaluated only then, to add a log
 * tail). An error thrown by `fn` fails the wait at once.
 */
export async function waitFor<T>(
  fn: () => T | Promise<T>,
  timeoutMs = 10_000,
  what: string | (() => string) = 'condition',
  everyMs = 50,
): Promise<Exclude<T, Pending>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) {
      return v as Exclude<T, Pending>;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'function' ? what() : what}`);
    }
    await sleep(everyMs);
  }
}

/** Milliseconds `fn` took to become truthy (a waitFor that measures). */
export async function timeUntil(fn: () => unknown, timeoutMs = 10_000, what = 'condition', everyMs = 50): Promise<number> {
  const t0 = Date.now();
  await waitFor(async () => Boolean(await fn()), timeoutMs, what, everyMs);
  return Date.now() - t0;
}
