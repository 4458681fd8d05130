/**
 * Pure: the binary envelope of one live-view frame, as the ingest process publishes it on the camera's live channel
 * (`keys.liveChannel`) and as the live WebSocket (`/ws/live`) forwards it to browsers unchanged (one buffer shared
 * by every client, no JSON around the pixels). Layout, little-endian (docs/api.md, "WebSocket /ws/live"):
 *
 *   u8 version (1) · u8 n · n bytes camera id (ASCII) · f64 capturedAt (epoch ms) · u32 seq · u16 width · u16 height · JPEG
 */

export const LIVE_FRAME_VERSION = 1;

/** A decoded envelope; `jpeg` is a view into the envelope's buffer (not a copy). */
export interface LiveFrame {
  camera: string;
  capturedAt: number;
  seq: number;
  width: number;
  height: number;
  jpeg: Buffer;
}

/** Bytes before the camera id and after it (version, id length; capturedAt, seq, width, height). */
const FIXED = 2 + 8 + 4 + 2 + 2;

/** Encodes one frame (one copy of the JPEG into the envelope). */
export function encodeLiveFrame(f: LiveFrame): Buffer {
  const id = Buffer.from(f.camera, 'latin1');
  if (id.length === 0 || id.length > 255) {
    throw new RangeError('live frame: camera id must be 1..255 bytes');
  }
  const out = Buffer.allocUnsafe(FIXED + id.length + f.jpeg.length);
  out[0] = LIVE_FRAME_VERSION;
  out[1] = id.length;
  id.copy(out, 2);
  let o = 2 + id.length;
  out.writeDoubleLE(f.capturedAt, o);
  out.writeUInt32LE(f.seq >>> 0, o + 8);
  out.writeUInt16LE(Math.min(f.width, 0xffff), o + 12);
  out.writeUInt16LE(Math.min(f.height, 0xffff), o + 14);
  o += 16;
  f.jpeg.copy(out, o);
  return out;
}

/** Decodes an envelope; undefined when it is not one (wrong version, truncated). */
export function decodeLiveFrame(b: Buffer): LiveFrame | undefined {
  if (b.length < FIXED + 1 || b[0] !== LIVE_FRAME_VERSION) {
    return undefined;
  }
  const n = b[1];
  if (n === 0 || b.length < FIXED + n) {
    return undefined;
  }
  const o = 2 + n;
  return {
    camera: b.toString('latin1', 2, o),
    capturedAt: b.readDoubleLE(o),
    seq: b.readUInt32LE(o + 8),
    width: b.readUInt16LE(o + 12),
    height: b.readUInt16LE(o + 14),
    jpeg: b.subarray(o + 16),
  };
}
