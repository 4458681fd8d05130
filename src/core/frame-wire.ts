/**
 * How a frame crosses from the ingest process that holds it to a detect worker of another process (a frame
 * request's answer): one binary Redis list element, `[u32 header length][header JSON][pixels]`, so the pixels are
 * never inside JSON and one BLPOP brings the whole answer. The header is checked where it enters.
 */
import { isFrameJob, type FrameJob } from './types';

/** A frame request, pushed by a detect process onto the owner's request list (`keys.frameRequests(owner)`). */
export interface FrameRequest {
  /** Request id, unique in the requesting process. */
  req: string;
  camera: string;
  /** The ticket (BullMQ job id) the frame is bound to. */
  ticket: string;
  /** Instance id of the requesting detect process (the answer goes to `keys.frameReplies(from)`). */
  from: string;
}

/** Checks a request read from Redis. */
export function parseFrameRequest(raw: string): FrameRequest | undefined {
  try {
    const r = JSON.parse(raw) as FrameRequest;
    return typeof r === 'object' && r !== null && [r.req, r.camera, r.ticket, r.from].every((s) => typeof s === 'string' && s.length > 0 && s.length <= 256)
      ? r
      : undefined;
  } catch {
    return undefined;
  }
}

/** An answer: the frame (undefined when the owner had none for that ticket). */
export interface FrameReply {
  req: string;
  frame?: FrameJob;
  pixels?: Buffer;
}

/** Encodes an answer into one buffer (one copy of the pixels). */
export function encodeFrameReply(req: string, frame?: FrameJob, pixels?: Buffer): Buffer {
  const header = Buffer.from(JSON.stringify({ req, frame }));
  const out = Buffer.allocUnsafe(4 + header.length + (pixels?.length ?? 0));
  out.writeUInt32LE(header.length, 0);
  header.copy(out, 4);
  pixels?.copy(out, 4 + header.length);
  return out;
}

/** Decodes an answer; undefined when it is not one (the pixels are a view into `buf`, not a copy). */
export function decodeFrameReply(buf: Buffer): FrameReply | undefined {
  if (buf.length < 4) {
    return undefined;
  }
  const n = buf.readUInt32LE(0);
  if (n > 64 * 1024 || 4 + n > buf.length) {
    return undefined;
  }
  let head: { req?: unknown; frame?: unknown };
  try {
    head = JSON.parse(buf.subarray(4, 4 + n).toString('utf8')) as { req?: unknown; frame?: unknown };
  } catch {
    return undefined;
  }
  if (typeof head.req !== 'string') {
    return undefined;
  }
  if (head.frame === undefined || head.frame === null) {
    return { req: head.req };
  }
  if (!isFrameJob(head.frame)) {
    return undefined;
  }
  const pixels = buf.subarray(4 + n);
  if (pixels.length !== head.frame.width * head.frame.height * 3) {
    return undefined;
  }
  return { req: head.req, frame: head.frame, pixels };
}

/**
 * What a tracker sends the detect process holding a frame's pixels, on `keys.pixelRequests(holder)`:
 * `get`, the pixels of the frame named `get` (answered on `keys.pixelReplies(from)` with `encodeFrameReply`, `req`
 * echoed); `release`, the frames it is done with (their pixels may go).
 */
export type PixelRequest = { get: string; req: string; from: string } | { release: string[] };

/** Longest list of frames in one release message. */
export const MAX_RELEASE = 1024;

const name = (s: unknown): s is string => typeof s === 'string' && s.length > 0 && s.length <= 256;

/** Checks a pixel request read from Redis. */
export function parsePixelRequest(raw: string): PixelRequest | undefined {
  try {
    const r = JSON.parse(raw) as { get?: unknown; req?: unknown; from?: unknown; release?: unknown };
    if (typeof r !== 'object' || r === null) {
      return undefined;
    }
    if (r.get !== undefined) {
      return name(r.get) && name(r.req) && name(r.from) ? { get: r.get, req: r.req, from: r.from } : undefined;
    }
    if (Array.isArray(r.release) && r.release.length <= MAX_RELEASE && r.release.every(name)) {
      return { release: r.release };
    }
    return undefined;
  } catch {
    return undefined;
  }
}
