/** What the cap needs of a camera's ring buffer (a RingBuffer). */
export interface RingBuffer {
  /** Bytes held. */
  readonly bytes: number;
  /** Start of its oldest segment (ms). */
  readonly oldestMs: number | undefined;
  readonly segments: readonly unknown[];
  dropOldest(): Promise<void>;
}

/** The cap over every camera recorded by this process: the oldest segment of any camera goes first. */
export class RecordingSpace {
  private readonly recorders = new Set<RingBuffer>();
  private running: Promise<void> | undefined;

  constructor(private maxBytes: number) {}

  /** Changes the cap (config reload). */
  setMaxBytes(n: number): void {
    this.maxBytes = n;
  }

  add(r: RingBuffer): void {
    this.recorders.add(r);
  }

  remove(r: RingBuffer): void {
    this.recorders.delete(r);
  }

  /** Bytes held by every camera. */
  get bytes(): number {
    let n = 0;
    for (const r of this.recorders) {
      n += r.bytes;
    }
    return n;
  }

  /** Deletes the oldest segments until the total is under the cap (one pass at a time). */
  enforce(): Promise<void> {
    this.running ??= (async () => {
      try {
        while (this.bytes > this.maxBytes) {
          let oldest: RingBuffer | undefined;
          for (const r of this.recorders) {
            if (r.segments.length > 1 && (oldest === undefined || (r.oldestMs ?? Infinity) < (oldest.oldestMs ?? Infinity))) {
              oldest = r;
            }
          }
          if (!oldest) {
            return;
          }
          await oldest.dropOldest();
        }
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }
}
