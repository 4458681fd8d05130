/**
 * The answers to this process's frame or pixel requests (core/frame-wire.ts): one blocking reader on its answer
 * list hands each answer to the request waiting for it (by request id); a request nobody answers in time gets
 * `timeout`. Used by the detect stage (frames asked of ingest processes) and the track stage (pixels asked of detect
 * processes).
 */
import type Redis from 'ioredis';
import { decodeFrameReply, type FrameReply } from './frame-wire';
import type { Logger } from './logger';

/** What a request gets: the answer, `timeout`, or `cancelled` (its sender gave up, or everything was cancelled). */
export type ReplyOutcome = FrameReply | 'timeout' | 'cancelled';

/** A request waiting for its answer. */
export interface Expected {
  /** The id to send with the request (the answer echoes it). */
  req: string;
  answer: Promise<ReplyOutcome>;
  /** Gives up waiting (the request could not be sent): the answer is `cancelled`. */
  cancel(): void;
}

export class FrameReplies {
  private readonly pending = new Map<string, (r: ReplyOutcome) => void>();
  private nextReq = 1;
  private closed = false;
  private reading: Promise<void> | undefined;

  /**
   * @param blocking - a connection of its own for the blocking read
   * @param list - this process's answer list
   * @param what - names the answers in the log (`frame`, `pixel`)
   */
  constructor(
    private readonly blocking: Redis,
    private readonly list: string,
    private readonly log: Logger,
    private readonly what: string,
  ) {}

  /** A new request id and its answer (the reader starts with the first request). */
  expect(timeoutMs: number): Expected {
    this.reading ??= this.read();
    const req = String(this.nextReq++);
    let settle!: (r: ReplyOutcome) => void;
    const answer = new Promise<ReplyOutcome>((resolve) => {
      const timer = setTimeout(() => settle('timeout'), timeoutMs);
      settle = (r) => {
        clearTimeout(timer);
        this.pending.delete(req);
        resolve(r);
      };
      this.pending.set(req, settle);
    });
    return { req, answer, cancel: () => settle('cancelled') };
  }

  /** Every request still waiting is answered `cancelled` now. */
  cancelAll(): void {
    for (const settle of [...this.pending.values()]) {
      settle('cancelled');
    }
  }

  /** Stops reading (requests still waiting get their timeout, or `cancelAll`). */
  async close(): Promise<void> {
    this.closed = true;
    await this.reading;
  }

  private async read(): Promise<void> {
    while (!this.closed) {
      let raw: [Buffer, Buffer] | null;
      try {
        raw = (await this.blocking.blpopBuffer(this.list, 0.5)) as [Buffer, Buffer] | null;
      } catch (err) {
        if (!this.closed) {
          this.log.debug({ err: (err as Error).message }, `${this.what} answer read failed`);
          await new Promise((r) => setTimeout(r, 200));
        }
        continue;
      }
      if (!raw) {
        continue;
      }
      const reply = decodeFrameReply(raw[1]);
      if (!reply) {
        this.log.warn(`malformed ${this.what} answer ignored`);
        continue;
      }
      this.pending.get(reply.req)?.(reply);
    }
  }
}
