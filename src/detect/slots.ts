/**
 * Inference slots: a frame is bound to its ticket only when an inference can start on it. A detect worker takes a
 * few more tickets than it has slots (so the next ticket is already fetched from the queue when a slot frees), but
 * a ticket waiting for a slot holds no frame: when the slot frees, the camera's newest frame is bound, not one that
 * waited in this process behind other inferences. Pure (no I/O).
 */
export class Slots {
  private used = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private capacity: number) {
    if (!(capacity >= 1)) {
      throw new TypeError(`Slots: capacity must be >= 1 (got ${capacity})`);
    }
  }

  /** Slots in use now. */
  get inUse(): number {
    return this.used;
  }

  /** Tickets waiting for a slot. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Changes the number of slots (a reloaded detector); waiting tickets get the new ones at once. */
  resize(capacity: number): void {
    this.capacity = Math.max(1, capacity);
    this.wake();
  }

  /** Resolves with a release function once a slot is free; release exactly once. */
  async acquire(): Promise<() => void> {
    if (this.used >= this.capacity) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.used++;
    }
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this.used--;
        this.wake();
      }
    };
  }

  private wake(): void {
    while (this.used < this.capacity && this.waiting.length > 0) {
      this.used++;
      this.waiting.shift()!();
    }
  }
}
