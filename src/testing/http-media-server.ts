import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Test helper: the HTTP camera sources Vigil reads, served by node:http from real footage. An MJPEG camera
 * (multipart/x-mixed-replace, one JPEG every 1/fps s, no timestamps, as IP cameras send it), an ONVIF-style snapshot
 * URL (one JPEG per request), an HLS stream (segments made with ffmpeg, served as a live sliding playlist) and a live
 * MPEG-TS stream sent at real time, optionally with damaged packets. Every socket and process is closed by `stop()`.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** One HTTP server holding several sources on different paths. */
export class HttpMediaServer {
  private readonly routes = new Map<string, Handler>();
  private readonly counts = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly temp: string[] = [];
  private readonly procs = new Set<ChildProcess>();

  private constructor(private readonly server: Server) {}

  /** Listens on 127.0.0.1, a free port. */
  static async start(): Promise<HttpMediaServer> {
    const server = createServer();
    const s = new HttpMediaServer(server);
    server.on('request', (req, res) => s.handle(req, res));
    server.on('connection', (sock) => {
      s.sockets.add(sock);
      sock.once('close', () => s.sockets.delete(sock));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return s;
  }

  /** The port it listens on. */
  get port(): number {
    const a = this.server.address();
    return typeof a === 'object' && a ? a.port : 0;
  }

  /** http:// URL of a path. */
  url(p: string): string {
    return `http://127.0.0.1:${this.port}${p}`;
  }

  /** Requests answered on a path (query ignored). */
  hits(p: string): number {
    return this.counts.get(p) ?? 0;
  }

  /** An MJPEG camera: multipart/x-mixed-replace, one of `frames` (JPEGs, in turn) every 1/fps s, no timestamps. */
  mjpeg(p: string, frames: Buffer[], fps: number): this {
    this.routes.set(p, (req, res) => {
      res.writeHead(200, { 'Content-Type': 'multipart/x-mixed-replace; boundary=vigilframe', 'Cache-Control': 'no-cache' });
      let i = 0;
      const send = () => {
        const f = frames[i++ % frames.length];
        res.write(`--vigilframe\r\nContent-Type: image/jpeg\r\nContent-Length: ${f.length}\r\n\r\n`);
        res.write(f);
        res.write('\r\n');
      };
      send();
      const t = this.every(1000 / fps, send);
      req.once('close', () => this.clear(t));
    });
    return this;
  }

  /** An ONVIF-style snapshot URI: each GET answers the next of `frames` as one JPEG. */
  snapshot(p: string, frames: Buffer[]): this {
    let i = 0;
    this.routes.set(p, (_req, res) => {
      const f = frames[i++ % frames.length];
      res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': f.length });
      res.end(f);
    });
    return this;
  }

  /**
   * A live HLS stream from a folder of segments (`index.m3u8` as ffmpeg wrote it): the playlist offers a sliding
   * window of `window` segments that advances in real time from the first request, like a camera's HLS output.
   */
  hlsLive(prefix: string, dir: string, window = 4): this {
    const playlist = readFileSync(path.join(dir, 'index.m3u8'), 'utf8');
    const segs: Array<{ dur: number; file: string }> = [];
    let dur = 0;
    for (const line of playlist.split('\n')) {
      const m = /^#EXTINF:([\d.]+)/.exec(line);
      if (m) {
        dur = Number(m[1]);
      } else if (line.trim() !== '' && !line.startsWith('#')) {
        segs.push({ dur, file: line.trim() });
      }
    }
    const target = Math.ceil(Math.max(...segs.map((s) => s.dur)));
    let t0: number | undefined;
    this.routes.set(`${prefix}/index.m3u8`, (_req, res) => {
      t0 ??= Date.now();
      // Segments whose end time has passed are published; the window starts `window` segments back.
      let elapsed = (Date.now() - t0) / 1000 + window * segs[0].dur;
      let last = -1;
      while (last + 1 < segs.length && elapsed >= segs[last + 1].dur) {
        elapsed -= segs[last + 1].dur;
        last++;
      }
      const first = Math.max(0, last - window + 1);
      const lines = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${target}`, `#EXT-X-MEDIA-SEQUENCE:${first}`];
      for (let i = first; i <= last; i++) {
        lines.push(`#EXTINF:${segs[i].dur.toFixed(6)},`, segs[i].file);
      }
      if (last === segs.length - 1) {
        lines.push('#EXT-X-ENDLIST');
      }
      res.writeHead(200, { 'Content-Type': 'application/vnd.apple.mpegurl', 'Cache-Control': 'no-cache' });
      res.end(`${lines.join('\n')}\n`);
    });
    for (const s of segs) {
      const body = readFileSync(path.join(dir, s.file));
      this.routes.set(`${prefix}/${s.file}`, (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'video/mp2t', 'Content-Length': body.length });
        res.end(body);
      });
    }
    return this;
  }

  /**
   * A live MPEG-TS camera over HTTP: each request gets `video` looped in real time by an FFmpeg of its own (`-re`,
   * H.264 copied, so frames leave when their time comes, as from a camera). With `damageEverySeconds`, `packets`
   * consecutive TS packets are damaged that often (headers kept, payload scrambled: what a lossy link delivers).
   */
  liveTs(p: string, video: string, damage?: { everySeconds: number; packets?: number }): this {
    this.routes.set(p, (req, res) => {
      const ff = spawn('ffmpeg', ['-v', 'error', '-re', '-stream_loop', '-1', '-i', video, '-an', '-c:v', 'copy', '-bsf:v', 'h264_mp4toannexb', '-f', 'mpegts', 'pipe:1'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      this.procs.add(ff);
      ff.once('exit', () => this.procs.delete(ff));
      res.writeHead(200, { 'Content-Type': 'video/mp2t', 'Cache-Control': 'no-cache' });
      const t0 = Date.now();
      let nextDamage = damage ? t0 + damage.everySeconds * 1000 : Infinity;
      let pending: Buffer = Buffer.alloc(0);
      ff.stdout.on('data', (d: Buffer) => {
        // Whole 188-byte packets only, so the damage hits payloads and never a header.
        pending = pending.length ? Buffer.concat([pending, d]) : d;
        const whole = pending.length - (pending.length % 188);
        const out = Buffer.from(pending.subarray(0, whole));
        pending = pending.subarray(whole);
        // In the middle of a large write (inside a frame's data, not a PES or table header), when one comes.
        const n = damage?.packets ?? 6;
        if (damage && Date.now() >= nextDamage && out.length >= 188 * (3 * n)) {
          nextDamage += damage.everySeconds * 1000;
          damageTs(out, [Math.floor(out.length / 2 / 188) * 188], n).copy(out);
        }
        res.write(out);
      });
      ff.stdout.once('end', () => res.end());
      req.once('close', () => {
        if (ff.pid !== undefined && ff.exitCode === null) {
          process.kill(ff.pid, 'SIGKILL');
        }
      });
    });
    return this;
  }

  /** Closes every connection and the server; deletes temporary media. Idempotent. */
  async stop(): Promise<void> {
    for (const t of this.timers) {
      clearInterval(t);
    }
    this.timers.clear();
    for (const s of this.sockets) {
      s.destroy();
    }
    for (const proc of this.procs) {
      if (proc.pid !== undefined && proc.exitCode === null) {
        process.kill(proc.pid, 'SIGKILL');
      }
    }
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const d of this.temp.splice(0)) {
      rmSync(d, { recursive: true, force: true });
    }
  }

  /** A temporary folder removed by `stop()`. */
  tempDir(): string {
    const d = mkdtempSync(path.join(tmpdir(), 'vigil-media-'));
    this.temp.push(d);
    return d;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const p = (req.url ?? '/').split('?')[0];
    this.counts.set(p, (this.counts.get(p) ?? 0) + 1);
    const h = this.routes.get(p);
    if (!h) {
      res.writeHead(404).end();
      return;
    }
    h(req, res);
  }

  private every(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setInterval(fn, ms);
    this.timers.add(t);
    return t;
  }

  private clear(t: NodeJS.Timeout): void {
    clearInterval(t);
    this.timers.delete(t);
  }
}

/** JPEG frames of a video: `seconds` of it at `fps`, `width` wide (ffmpeg into a temporary folder). */
export function extractJpegs(video: string, dir: string, fps: number, seconds: number, width: number): Buffer[] {
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', video, '-t', String(seconds), '-vf', `fps=${fps},scale=${width}:-2`, '-q:v', '5', path.join(dir, 'f%04d.jpg')]);
  return readdirSync(dir)
    .filter((f) => /^f\d+\.jpg$/.test(f))
    .sort()
    .map((f) => readFileSync(path.join(dir, f)));
}

/** HLS segments of a video (H.264 copied, `segmentSeconds` each) and its `index.m3u8`, written into `dir`. */
export function makeHls(video: string, dir: string, segmentSeconds = 2): void {
  execFileSync('ffmpeg', [
    '-v', 'error', '-y', '-i', video, '-an', '-c:v', 'copy', '-bsf:v', 'h264_mp4toannexb',
    '-f', 'hls', '-hls_time', String(segmentSeconds), '-hls_list_size', '0', '-hls_segment_filename', path.join(dir, 'seg%03d.ts'),
    path.join(dir, 'index.m3u8'),
  ]);
}

/**
 * Damages an MPEG-TS stream the way a lossy link does: at each of `at` (byte offsets), `packets` consecutive 188-byte
 * packets keep their header but get their payload scrambled. Returns a copy.
 */
export function damageTs(ts: Buffer, at: number[], packets = 6): Buffer {
  const out = Buffer.from(ts);
  for (const offset of at) {
    const first = Math.floor(offset / 188);
    for (let p = first; p < first + packets && (p + 1) * 188 <= out.length; p++) {
      for (let b = p * 188 + 8; b < (p + 1) * 188; b += 3) {
        out[b] ^= 0x5a;
      }
    }
  }
  return out;
}
