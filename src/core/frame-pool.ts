/**
 * Reused frame buffers in shared memory. A 640x480 rgb24 frame is 0.9 MB; allocating one per frame made V8 count
 * ~70 MB/s of new external memory, and frames in flight for 50-100 ms survived scavenges, got promoted and set off
 * mark-compacts every 100-200 ms (`--trace-gc` during `vigil bench`). Frames now live in `SharedArrayBuffer` slots
 * that cycle: FFmpeg's output is cut straight into a slot, the Redis SET is written from it, and an inference
 * thread reads it through a view it received once (see Detector), so a frame crosses threads as two numbers. A slot
 * goes back to the pool exactly once, by whoever holds the frame last (`release` is a no-op for buffers that are not
 * slots, and for a slot already free). Pure apart from the allocation.
 */

/** A slot as it crosses to a worker thread: the pool, the index and, the first time, the memory itself. */
export interface SlotRef {
  pool: number;
  index: number;
  sab?: SharedArrayBuffer;
}

interface Slot {
  sab: SharedArrayBuffer;
  buf: Buffer;
  free: boolean;
}

let nextPoolId = 1;
/** Every pool ever created (a handful: one per frame size in use), for `poolOf`. */
const allPools: FramePool[] = [];

/** Slots of one frame size. */
export class FramePool {
  readonly id = nextPoolId++;
  private readonly slots: Slot[] = [];
  private readonly freeList: number[] = [];
  private readonly index = new WeakMap<Buffer, number>();
  /** Frames handed out as plain buffers because every slot was in use. */
  overflow = 0;

  /**
   * @param frameSize - bytes per frame
   * @param maxSlots - slots at most (frames in flight beyond this get plain buffers); may be raised later
   */
  constructor(
    readonly frameSize: number,
    public maxSlots: number,
  ) {
    if (!Number.isInteger(frameSize) || frameSize <= 0) {
      throw new TypeError(`FramePool: frameSize must be a positive integer (got ${frameSize})`);
    }
    allPools.push(this);
  }

  /** Slots created so far. */
  get size(): number {
    return this.slots.length;
  }

  /** Slots free now. */
  get available(): number {
    return this.freeList.length;
  }

  /** A buffer of `frameSize` bytes (contents undefined): a free slot, a new slot, or a plain buffer when full. */
  acquire(): Buffer {
    const i = this.freeList.pop();
    if (i !== undefined) {
      this.slots[i].free = false;
      return this.slots[i].buf;
    }
    if (this.slots.length < this.maxSlots) {
      const sab = new SharedArrayBuffer(this.frameSize);
      const buf = Buffer.from(sab);
      this.index.set(buf, this.slots.length);
      this.slots.push({ sab, buf, free: false });
      return buf;
    }
    this.overflow++;
    return Buffer.allocUnsafeSlow(this.frameSize);
  }

  /** The slot behind a buffer of this pool, or undefined. `withMemory` adds the SharedArrayBuffer. */
  slotOf(buf: Uint8Array, withMemory = false): SlotRef | undefined {
    const i = this.index.get(buf as Buffer);
    if (i === undefined) {
      return undefined;
    }
    return withMemory ? { pool: this.id, index: i, sab: this.slots[i].sab } : { pool: this.id, index: i };
  }

  /** Gives a slot back. Ignored for other buffers and for a slot already free. */
  release(buf: Uint8Array | undefined): void {
    const i = buf ? this.index.get(buf as Buffer) : undefined;
    if (i === undefined || this.slots[i].free) {
      return;
    }
    this.slots[i].free = true;
    this.freeList.push(i);
  }
}

const pools = new Map<number, FramePool>();
let minSlots = 48;

/** The process's pool for a frame size (created on first use). */
export function framePool(frameSize: number, maxSlots = minSlots): FramePool {
  let p = pools.get(frameSize);
  if (!p) {
    p = new FramePool(frameSize, Math.max(maxSlots, minSlots));
    pools.set(frameSize, p);
  }
  return p;
}

/**
 * Raises every pool's slot limit (and that of pools made later) to at least `n`: the ingest sizes it from its
 * cameras, since each holds a frame in its mailbox, frames in detection and frames kept for the tracker. Slots are
 * only created when needed, so a high limit costs nothing until used.
 */
export function raiseFramePools(n: number): void {
  minSlots = Math.max(minSlots, Math.ceil(n));
  for (const p of pools.values()) {
    p.maxSlots = Math.max(p.maxSlots, minSlots);
  }
}

/** The pool a buffer's slot belongs to, if any (cheap: one WeakMap lookup per pool, a handful of sizes at most). */
export function poolOf(buf: Uint8Array): FramePool | undefined {
  for (const p of allPools) {
    if (p.frameSize === buf.byteLength && p.slotOf(buf)) {
      return p;
    }
  }
  return undefined;
}

/** Gives a frame buffer back to its pool, whatever its size; a no-op for plain buffers. */
export function releaseFrame(buf: Uint8Array | undefined): void {
  if (buf && buf.buffer instanceof SharedArrayBuffer) {
    poolOf(buf)?.release(buf);
  }
}
