/**
 * A real daemon in a process of its own for the benches (`vigil bench live`, `vigil bench soak`): writes a config
 * file, checks it with the daemon's own parser, runs `bin/vigil.js start --config FILE` (every role) with no VIGIL_*
 * override that could move it off the bench's Redis prefix or port, waits for `/readyz`, and then answers what an
 * operator could see from outside: `/metrics`, its CPU and RSS and those of its FFmpeg children from /proc, and the
 * warnings it logged. `stop()` sends SIGTERM, waits, SIGKILLs on timeout, and kills by pid any FFmpeg child it
 * left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../config/load';
import type { VigilConfig } from '../config/schema';
import { parsePrometheus, type PromSample } from './live-stats';
import { childrenNamed, mainThreadStat, procStat, rssBytes } from './proc';
import { freePort } from '../testing/rtsp-server';

/** Variables that would override the bench's config file in the daemon (config/load.ts applyOverrides). */
const OVERRIDES = ['VIGIL_CONFIG', 'VIGIL_REDIS_PREFIX', 'VIGIL_PORT', 'VIGIL_LOG_LEVEL', 'VIGIL_INSTANCE_ID'];

/** Options of {@link DaemonProcess.start}. */
export interface DaemonProcessOptions {
  /** The config (as the YAML file would hold it); `server.port`, `log` and `instance.id` are set by the bench. */
  config: Record<string, unknown>;
  /** Give up waiting for `/readyz` after this long. @defaultValue 90_000 */
  readyTimeoutMs?: number;
}

/** What the process's CPU and memory look like now (/proc). */
export interface DaemonProcSample {
  /** utime + stime of every thread of the Node process, clock ticks. */
  nodeTicks: number;
  /** The same for its main thread alone (the event loop). */
  mainTicks: number;
  rssBytes: number;
  /** FFmpeg children: pid → ticks. */
  ffmpegTicks: Map<number, number>;
  ffmpegRssBytes: number;
}

function get(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** A running `vigil start` process. */
export class DaemonProcess {
  /** Warning and error log lines by message, with their counts. */
  readonly warnings = new Map<string, number>();
  private tail: string[] = [];
  /** FFmpeg children seen: pid → start time (so that a reused pid is never killed). */
  private readonly seenFfmpeg = new Map<number, number>();
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;

  private constructor(
    private readonly proc: ChildProcess,
    readonly config: VigilConfig,
    readonly port: number,
    private readonly dir: string,
  ) {
    this.exited = new Promise<void>((resolve) => {
      proc.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        resolve();
      });
    });
    let partial = '';
    const onData = (d: Buffer) => {
      const lines = (partial + d.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        this.onLine(line);
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
  }

  /** Writes the config, checks it, starts the daemon and waits until `/readyz` answers 200. */
  static async start(opts: DaemonProcessOptions): Promise<DaemonProcess> {
    const port = await freePort();
    const raw = {
      ...opts.config,
      server: { ...((opts.config.server as object | undefined) ?? {}), host: '127.0.0.1', port },
      instance: { id: `bench-${randomBytes(4).toString('hex')}`, ...((opts.config.instance as object | undefined) ?? {}) },
      log: { level: 'warn', format: 'json' },
    };
    const env: NodeJS.ProcessEnv = { ...process.env, VIGIL_NO_DEMO: '1' };
    for (const k of OVERRIDES) {
      delete env[k];
    }
    const text = JSON.stringify(raw, null, 2);
    // The daemon's own parser first: a bad config is reported here, not as a daemon that never gets ready.
    const config = parseConfig(text, env);
    const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-daemon-'));
    const file = join(dir, 'vigil.yaml');
    writeFileSync(file, text);
    const bin = join(__dirname, '..', '..', 'bin', 'vigil.js');
    const proc = spawn(process.execPath, [bin, 'start', '--config', file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const d = new DaemonProcess(proc, config, port, dir);
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 90_000);
    try {
      for (;;) {
        if (d.exitInfo) {
          throw new Error(`the daemon exited before it was ready (${d.exitInfo.signal ?? `code ${d.exitInfo.code}`}): ${d.logTail()}`);
        }
        const r = await get(`${d.baseUrl}/readyz`, 2000).catch(() => undefined);
        if (r?.status === 200) {
          return d;
        }
        if (Date.now() > deadline) {
          throw new Error(`the daemon was not ready within ${opts.readyTimeoutMs ?? 90_000} ms (${r ? r.body : 'not listening'}): ${d.logTail()}`);
        }
        await new Promise((res) => setTimeout(res, 250));
      }
    } catch (err) {
      await d.stop();
      throw err;
    }
  }

  /** The daemon's pid. */
  get pid(): number {
    return this.proc.pid as number;
  }

  /** http://127.0.0.1:port */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.exitInfo === undefined;
  }

  /** How it ended (undefined while it runs). */
  get exit(): { code: number | null; signal: NodeJS.Signals | null } | undefined {
    return this.exitInfo;
  }

  /** The last lines it printed. */
  logTail(lines = 20): string {
    return this.tail.slice(-lines).join('\n');
  }

  /** GET /metrics, parsed. */
  async metrics(): Promise<PromSample[]> {
    const r = await get(`${this.baseUrl}/metrics`);
    if (r.status !== 200) {
      throw new Error(`GET /metrics answered ${r.status}`);
    }
    return parsePrometheus(r.body);
  }

  /** CPU and memory of the daemon and its FFmpeg children now. */
  sample(): DaemonProcSample {
    const ffmpeg = childrenNamed(this.pid, 'ffmpeg');
    const ffmpegTicks = new Map<number, number>();
    let ffmpegRss = 0;
    for (const s of ffmpeg) {
      ffmpegTicks.set(s.pid, s.ticks);
      ffmpegRss += rssBytes(s.pid) ?? 0;
      this.seenFfmpeg.set(s.pid, s.startTime);
    }
    return {
      nodeTicks: procStat(this.pid)?.ticks ?? NaN,
      mainTicks: mainThreadStat(this.pid)?.ticks ?? NaN,
      rssBytes: rssBytes(this.pid) ?? NaN,
      ffmpegTicks,
      ffmpegRssBytes: ffmpeg.length > 0 ? ffmpegRss : NaN,
    };
  }

  /** SIGKILLs every FFmpeg the daemon was seen running that is still alive (the same pid and start time). */
  private killSeenFfmpeg(): void {
    for (const [pid, startTime] of this.seenFfmpeg) {
      const s = procStat(pid);
      if (s?.comm === 'ffmpeg' && s.startTime === startTime) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }
    }
  }

  /**
   * Kills the daemon and every FFmpeg it runs at once (SIGKILL), as a machine that dies would: nothing is released,
   * no state is written. Resolves when the daemon process is gone.
   */
  async crash(): Promise<void> {
    this.sample();
    if (this.running) {
      this.proc.kill('SIGKILL');
    }
    this.killSeenFfmpeg();
    await this.exited;
  }

  /**
   * Stops the daemon: SIGTERM, then SIGKILL after `timeoutMs`; then SIGKILLs any FFmpeg it started that is still
   * alive (a killed daemon cannot stop them). Removes the config folder. Idempotent.
   */
  async stop(timeoutMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; killed: boolean }> {
    let killed = false;
    if (this.running) {
      this.sample();
      this.proc.kill('SIGTERM');
      const t = setTimeout(() => {
        if (this.running) {
          killed = true;
          this.proc.kill('SIGKILL');
        }
      }, timeoutMs);
      await this.exited;
      clearTimeout(t);
    }
    this.killSeenFfmpeg();
    rmSync(this.dir, { recursive: true, force: true });
    return { ...(this.exitInfo ?? { code: null, signal: null }), killed };
  }

  private onLine(line: string): void {
    if (line.trim() === '') {
      return;
    }
    this.tail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    if (this.tail.length > 100) {
      this.tail = this.tail.slice(-50);
    }
    try {
      const o = JSON.parse(line) as { level?: number; msg?: string };
      if ((o.level ?? 0) >= 40 && typeof o.msg === 'string') {
        this.warnings.set(o.msg, (this.warnings.get(o.msg) ?? 0) + 1);
      }
    } catch {
      // Not a log line (a tsx or Node message): kept in the tail only.
    }
  }
}
