import type { Writable } from 'node:stream';
import { Command } from 'ioredis';

/**
 * `SET key <pixels> PX ttl` written to the connection's socket in pieces (header, the pixel buffer itself,
 * trailer, in one corked write), because ioredis copies every command holding a Buffer into one new buffer first:
 * 0.9 MB allocated and copied per 640x480 frame, which `vigil bench` showed as main-thread time and as garbage
 * that makes V8 run mark-compact every few hundred ms. Overriding `toWritable` is the extension point ioredis's own
 * `Script` commands use. The caller must not modify the pixels until the command resolves (the socket may still
 * be sending them). Send it with `redis.sendCommand(new PixelSetCommand(...))`.
 */
export class PixelSetCommand extends Command {
  constructor(
    private readonly key: string,
    private readonly pixels: Buffer,
    private readonly ttlMs: number,
  ) {
    super('set', [key, pixels, 'PX', String(ttlMs)], { replyEncoding: 'utf8' });
  }

  override toWritable(socket: object): string | Buffer {
    const out = socket as Writable;
    const ms = String(this.ttlMs);
    out.cork();
    out.write(`*5\r\n$3\r\nSET\r\n$${Buffer.byteLength(this.key)}\r\n${this.key}\r\n$${this.pixels.length}\r\n`);
    out.write(this.pixels);
    // Uncorked in the check phase, not on the next tick: commands issued on this connection from the promise
    // chain that follows leave in the same writev. ioredis writes what this returns right after, still corked.
    setImmediate(() => out.uncork());
    return `\r\n$2\r\nPX\r\n$${ms.length}\r\n${ms}\r\n`;
  }
}
