/**
 * Frames held by ingest processes other than this one: a detect worker that takes a ticket of such a camera asks the
 * owner for the frame (a request on `keys.frameRequests(owner)`, pushed only while that owner still holds the
 * camera's ingest lease) and gets it back on this process's answer list (`keys.frameReplies(me)`), read by one
 * blocking reader that hands each answer to its request. Pixels are in Redis only while they cross.
 */
import type Redis from 'ioredis';
import type { FrameRequest } from '../core/frame-wire';
import { FrameReplies } from '../core/frame-replies';
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
  private readonly replies: FrameReplies;

  /**
   * @param redis - command connection
   * @param blocking - a connection of its own for the blocking read of answers
   */
  constructor(
    private readonly redis: Redis,
    blocking: Redis,
    private readonly keys: Keys,
    private readonly me: string,
    log: Logger,
    /** A live owner answers within milliseconds; a dead one (its lease not expired yet) must not hold a worker long. */
    private readonly timeoutMs = 500,
  ) {
    this.replies = new FrameReplies(blocking, keys.frameReplies(me), log, 'frame');
  }

  /** Asks the ticket's owner for the frame bound to it. */
  async request(ticket: FrameTicket, ticketId: string): Promise<BoundFrame | NoFrame> {
    const { req, answer, cancel } = this.replies.expect(this.timeoutMs);
    const request: FrameRequest = { req, camera: ticket.camera, ticket: ticketId, from: this.me };
    const ok = await this.redis
      .eval(REQUEST, 2, this.keys.lease('ingest', ticket.camera), this.keys.frameRequests(ticket.owner), ticket.owner, JSON.stringify(request), String(this.timeoutMs * 5))
      .catch(() => 0);
    if (ok !== 1) {
      cancel();
    }
    const r = await answer;
    if (r === 'timeout') {
      return 'timeout';
    }
    if (r === 'cancelled') {
      return 'owner_gone';
    }
    return r.frame && r.pixels ? { ...r.frame, pixels: r.pixels } : 'no_frame';
  }

  /** Stops reading answers (requests still waiting resolve as timeouts). */
  async close(): Promise<void> {
    await this.replies.close();
  }
}
