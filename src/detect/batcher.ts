/**
 * Micro-batching across cameras: items submitted by many callers are gathered into batches of at most `maxSize`,
 * flushed when full or `maxWaitMs` after the first item arrived, whichever comes first. With `maxSize` 1 every
 * item is its own batch at once (fixed-batch models such as the YOLOX export). Pure apart from one timer.
 */

/** Options of a Batcher. */
export interface BatcherOptions<T, R> {
  /** Most items per batch. @defaultValue 1 */
  maxSize: number;
  /** Longest wait for a batch to fill, from its first item. @defaultValue 0 */
  maxWaitMs: number;
  /** Runs one batch; must answer one result per item, in order. */
  run: (items: T[]) => Promise<R[]>;
  /** Timer functions (tests pass fakes). */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
}

interface Pending<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

/** Gathers submitted items into batches. */
export class Batcher<T, R> {
  private pending: Array<Pending<T, R>> = [];
  private timer: unknown;
  private readonly maxSize: number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly opts: BatcherOptions<T, R>) {
    if (!(opts.maxSize >= 1)) {
      throw new RangeError(`maxSize must be at least 1, got ${opts.maxSize}`);
    }
    if (!(opts.maxWaitMs >= 0)) {
      throw new RangeError(`maxWaitMs must be at least 0, got ${opts.maxWaitMs}`);
    }
    this.maxSize = Math.floor(opts.maxSize);
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
  }

  /** Items waiting for their batch. */
  get size(): number {
    return this.pending.length;
  }

  /** Adds an item; resolves with its result once its batch has run. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (this.pending.length >= this.maxSize || this.opts.maxWaitMs === 0) {
        this.flush();
      } else if (this.timer === undefined) {
        this.timer = this.setTimer(() => {
          this.timer = undefined;
          this.flush();
        }, this.opts.maxWaitMs);
      }
    });
  }

  /** Sends every waiting item now, in batches of at most maxSize. */
  flush(): void {
    if (this.timer !== undefined) {
      this.clearTimer(this.timer);
      this.timer = undefined;
    }
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxSize);
      this.runBatch(batch);
    }
  }

  private runBatch(batch: Array<Pending<T, R>>): void {
    let p: Promise<R[]>;
    try {
      p = this.opts.run(batch.map((b) => b.item));
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(
      (results) => {
        if (results.length !== batch.length) {
          const err = new Error(`batch of ${batch.length} answered ${results.length} results`);
          batch.forEach((b) => b.reject(err));
          return;
        }
        batch.forEach((b, i) => b.resolve(results[i]));
      },
      (err: unknown) => batch.forEach((b) => b.reject(err)),
    );
  }
}
