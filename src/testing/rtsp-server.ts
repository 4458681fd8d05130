import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';
import path from 'node:path';

/**
 * Test and benchmark helper: runs `scripts/rtsp_server.py` (GStreamer RTSP server, `/usr/bin/python3`) serving a
 * file in a loop. It waits until the server accepts connections, and can kill (SIGKILL), freeze (SIGSTOP), thaw
 * (SIGCONT) and restart it on the same port. Every process it starts is cleaned up by pid in `stop()`.
 */

/** Options of {@link RtspTestServer.start}. */
export interface RtspTestServerOptions {
  /** The H.264 MP4 to serve. */
  file: string;
  /** Port; 0 = a free port. @defaultValue 0 */
  port?: number;
  /** Mount paths. @defaultValue ['/cam'] */
  paths?: string[];
  /** Python interpreter that sees `gi`. @defaultValue '/usr/bin/python3' */
  python?: string;
  /** Give up waiting for the server after this long (ms). @defaultValue 15_000 */
  startTimeoutMs?: number;
  /** RTP transports the server accepts; `['udp']` answers a TCP SETUP with 461, as VLC does. @defaultValue ['tcp', 'udp'] */
  protocols?: Array<'tcp' | 'udp'>;
}

/** Finds a free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

/** A running (or killed, restartable) RTSP test server. */
export class RtspTestServer {
  private proc: ChildProcess | undefined;
  private frozen = false;

  private constructor(
    readonly options: Required<Omit<RtspTestServerOptions, 'port'>>,
    readonly port: number,
  ) {}

  /** Starts a server and waits until it accepts connections. */
  static async start(options: RtspTestServerOptions): Promise<RtspTestServer> {
    const port = options.port || (await freePort());
    const srv = new RtspTestServer(
      {
        file: options.file,
        paths: options.paths ?? ['/cam'],
        python: options.python ?? '/usr/bin/python3',
        startTimeoutMs: options.startTimeoutMs ?? 15_000,
        protocols: options.protocols ?? ['tcp', 'udp'],
      },
      port,
    );
    await srv.restart();
    return srv;
  }

  /** The server's pid while it runs. */
  get pid(): number | undefined {
    return this.proc?.exitCode === null && this.proc.signalCode === null ? this.proc.pid : undefined;
  }

  /** rtsp:// URL of a mount path. */
  url(p = this.options.paths[0]): string {
    return `rtsp://127.0.0.1:${this.port}${p}`;
  }

  /** (Re)starts the process on the same port; resolves when it accepts connections. */
  async restart(): Promise<void> {
    await this.stop();
    const script = path.resolve(__dirname, '..', '..', 'scripts', 'rtsp_server.py');
    const args = [script, '--file', this.options.file, '--port', String(this.port), '--host', '127.0.0.1', '--protocols', this.options.protocols.join(',')];
    for (const p of this.options.paths) {
      args.push('--path', p);
    }
    const proc = spawn(this.options.python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    this.frozen = false;
    let out = '';
    let ready = false;
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('READY')) {
        ready = true;
      }
    });
    let err = '';
    proc.stderr?.on('data', (d: Buffer) => {
      err = (err + d.toString()).slice(-2000);
    });
    const deadline = Date.now() + this.options.startTimeoutMs;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        throw new Error(`rtsp test server exited (${proc.exitCode ?? proc.signalCode}): ${err.trim()}`);
      }
      if (ready && (await canConnect(this.port))) {
        return;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    await this.stop();
    throw new Error(`rtsp test server did not start within ${this.options.startTimeoutMs} ms: ${err.trim()}`);
  }

  /** SIGKILL: the server dies with its sockets (clients see the connection close). */
  async kill(): Promise<void> {
    await this.stop();
  }

  /** SIGSTOP: the server stays connected but silent. */
  freeze(): void {
    if (this.pid !== undefined) {
      process.kill(this.pid, 'SIGSTOP');
      this.frozen = true;
    }
  }

  /** SIGCONT after {@link freeze}. */
  thaw(): void {
    if (this.pid !== undefined) {
      process.kill(this.pid, 'SIGCONT');
      this.frozen = false;
    }
  }

  /** Kills the process by pid (SIGCONT first if frozen, then SIGKILL) and waits for its exit. Idempotent. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) {
      return;
    }
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    const pid = proc.pid;
    if (pid !== undefined) {
      try {
        if (this.frozen) {
          process.kill(pid, 'SIGCONT');
        }
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await exited;
    this.frozen = false;
  }
}
