import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { freePort } from './rtsp-server';

/**
 * Test and benchmark helper: a private `redis-server` on a free loopback port, so faults (Redis down for N seconds,
 * restarted with or without its data) can be injected without touching the shared Redis other tests use. It can be
 * stopped (SIGKILL: an outage) and started again on the same port, with AOF (data kept) or without persistence
 * (data lost). Every process it starts is killed by pid in `close()`, and its folder removed.
 */
export interface RedisTestServerOptions {
  /** Append-only file on: a restart keeps the data. @defaultValue false */
  appendonly?: boolean;
  /** `maxmemory-policy`. @defaultValue noeviction */
  maxmemoryPolicy?: string;
  /** redis-server binary. @defaultValue 'redis-server' */
  bin?: string;
}

export class RedisTestServer {
  private proc: ChildProcess | undefined;
  readonly dir: string;

  private constructor(
    readonly port: number,
    private readonly options: RedisTestServerOptions,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'vigil-redis-'));
  }

  /** Starts a server on a free port and waits until it answers PING. */
  static async start(options: RedisTestServerOptions = {}): Promise<RedisTestServer> {
    const s = new RedisTestServer(await freePort(), options);
    await s.up();
    return s;
  }

  /** redis://127.0.0.1:PORT */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Pid of the running server (undefined while down). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts the server again (same port, same folder) and waits until it answers. */
  async up(): Promise<void> {
    if (this.proc) {
      return;
    }
    const args = [
      '--port', String(this.port),
      '--bind', '127.0.0.1',
      '--dir', this.dir,
      '--save', '',
      '--appendonly', this.options.appendonly ? 'yes' : 'no',
      '--appendfsync', 'always',
      '--maxmemory-policy', this.options.maxmemoryPolicy ?? 'noeviction',
      '--daemonize', 'no',
      '--logfile', join(this.dir, 'redis.log'),
    ];
    const proc = spawn(this.options.bin ?? 'redis-server', args, { stdio: 'ignore' });
    this.proc = proc;
    proc.once('exit', () => {
      if (this.proc === proc) {
        this.proc = undefined;
      }
    });
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined);
    const deadline = Date.now() + 10_000;
    try {
      for (;;) {
        try {
          if (probe.status !== 'ready') {
            await probe.connect();
          }
          if ((await probe.ping()) === 'PONG') {
            // With AOF, the data is loaded before PING answers PONG.
            return;
          }
        } catch {
          probe.disconnect();
        }
        if (Date.now() > deadline || !this.proc) {
          throw new Error(`redis-server on port ${this.port} did not start`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      probe.disconnect();
    }
  }

  /** Kills the server (SIGKILL: what a crash or a cut network looks like to clients); resolves once it is gone. */
  async down(): Promise<void> {
    const p = this.proc;
    if (!p) {
      return;
    }
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGKILL');
    await gone;
    this.proc = undefined;
  }

  /** Stops the server and removes its folder. */
  async close(): Promise<void> {
    await this.down();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
