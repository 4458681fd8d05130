import { Writable } from 'node:stream';

/**
 * Cuts a raw video byte stream (ffmpeg's stdout) into frames of exactly `frameSize` bytes.
 *
 * Copies are kept to the minimum: a frame that lies whole inside one chunk is handed on as a view of that chunk
 * (no copy); a frame spanning chunks is assembled once into its own buffer. The consumer owns each frame buffer
 * (views keep their chunk alive until released, and a pipe chunk is never reused by Node).
 */
export class FrameCutter extends Writable {
  private partial: Buffer | undefined;
  private filled = 0;
  /** Frames emitted so far. */
  frames = 0;

  /**
   * @param frameSize - bytes per frame (`width * height * 3` for rgb24)
   * @param onFrame - called synchronously for each complete frame
   * @param alloc - where assembled frames are written (a frame pool's slots in the ingest)
   */
  constructor(
    readonly frameSize: number,
    private readonly onFrame: (frame: Buffer) => void,
    private readonly alloc: (size: number) => Buffer = (n) => Buffer.allocUnsafe(n),
  ) {
    super({ highWaterMark: frameSize });
    if (!Number.isInteger(frameSize) || frameSize <= 0) {
      throw new TypeError(`FrameCutter: frameSize must be a positive integer (got ${frameSize})`);
    }
  }

  /** Bytes of an incomplete frame currently held. */
  get pendingBytes(): number {
    return this.filled;
  }

  /** Feeds one chunk; emits every frame it completes. Usable without the stream API. */
  push(chunk: Buffer): void {
    let off = 0;
    const size = this.frameSize;
    if (this.partial) {
      const n = Math.min(size - this.filled, chunk.length);
      chunk.copy(this.partial, this.filled, 0, n);
      this.filled += n;
      off = n;
      if (this.filled === size) {
        const frame = this.partial;
        this.partial = undefined;
        this.filled = 0;
        this.emitFrame(frame);
      }
    }
    while (chunk.length - off >= size) {
      this.emitFrame(chunk.subarray(off, off + size));
      off += size;
    }
    if (off < chunk.length) {
      this.partial = this.alloc(size);
      chunk.copy(this.partial, 0, off);
      this.filled = chunk.length - off;
    }
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    try {
      this.push(chunk);
      cb();
    } catch (err) {
      cb(err as Error);
    }
  }

  private emitFrame(frame: Buffer): void {
    this.frames++;
    this.onFrame(frame);
  }
}
