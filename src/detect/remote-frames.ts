/**
 * Frames held by ingest processes other than this one: a detect worker that takes a ticket of such a camera asks the
 * owner for the frame (a request on `keys.frameRequests(owner)`, pushed only while that owner still holds the
 * camera's ingest lease) and gets it back on this process's answer list (`keys.frameReplies(me)`), read by one
 * blocking reader that hands each answer to its request. Pixels are in Redis only while they cross.
 */
import type Redis from 'ioredis';
import { decodeFrameReply, type FrameRequest } from '../core/frame-wire';
import type { Keys } from '../core/keys';
import type { BoundFrame } from '../core/local-frames';
import type { Logger } from '../core/logger';
import type { FrameTicket } from '../core/types';

/** Push the request only while the owner holds the camera. KEYS: ingest lease, request list. ARGV: owner, request, ttl ms. */
const REQUEST = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 1
`;

/** Why no frame came. */
export type NoFrame = 'owner_gone' | 'no_frame' | 'timeout';

export class RemoteFrames {
  private readonly pending = new Map<string, (r: BoundFrame | NoFrame) => void>();
  private nextReq = 1;
  private closed = false;
  private reading: Promise<void> | undefined;

  /**
   * @param redis - command connection
   * @param blocking - a connection of its own for the blocking read of answers
   */
  constructor(
    private readonly redis: Redis,
    private readonly blocking: Redis,
    private readonly keys: Keys,
    private readonly me: string,
    private readonly log: Logger,
    /** A live owner answers within milliseconds; a dead one (its lease not expired yet) must not hold a worker long. */
    private readonly timeoutMs = 500,
  ) {}

  /** Asks the ticket's owner for the frame bound to it. */
  async request(ticket: FrameTicket, ticketId: string): Promise<BoundFrame | NoFrame> {
    this.reading ??= this.read();
    const req: FrameRequest = { req: String(this.nextReq++), camera: ticket.camera, ticket: ticketId, from: this.me };
    const answer = new Promise<BoundFrame | NoFrame>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(req.req);
        resolve('timeout');
      }, this.timeoutMs);
      this.pending.set(req.req, (r) => {
        clearTimeout(timer);
        resolve(r);
      });
    });
    const ok = await this.redis
      .eval(REQUEST, 2, this.keys.lease('ingest', ticket.camera), this.keys.frameRequests(ticket.owner), ticket.owner, JSON.stringify(req), String(this.timeoutMs * 5))
      .catch(() => 0);
    if (ok !== 1) {
      this.pending.get(req.req)?.('owner_gone');
      this.pending.delete(req.req);
    }
    return answer;
  }

  /** Stops reading answers (requests still waiting resolve as timeouts). */
  async close(): Promise<void> {
    this.closed = true;
    await this.reading;
  }

  private async read(): Promise<void> {
    const list = this.keys.frameReplies(this.me);
    while (!this.closed) {
      let raw: [Buffer, Buffer] | null;
      try {
        raw = (await this.blocking.blpopBuffer(list, 0.5)) as [Buffer, Buffer] | null;
      } catch (err) {
        if (!this.closed) {
          this.log.debug({ err: (err as Error).message }, 'frame answer read failed');
          await new Promise((r) => setTimeout(r, 200));
        }
        continue;
      }
      if (!raw) {
        continue;
      }
      const reply = decodeFrameReply(raw[1]);
      if (!reply) {
        this.log.warn('malformed frame answer ignored');
        continue;
      }
      const done = this.pending.get(reply.req);
      this.pending.delete(reply.req);
      done?.(reply.frame && reply.pixels ? { ...reply.frame, pixels: reply.pixels } : 'no_frame');
    }
  }
}
