import type Redis from 'ioredis';
import type { Context } from './context';
import { effectiveCameras, readCameraOverrides } from './camera-overrides';
import type { CameraConfig, VigilConfig } from './schema';

/**
 * The cameras in effect for one stage: the config file's cameras with the changes made through the API
 * (config/camera-overrides.ts) applied, kept current. It re-reads the overrides when a writer announces a change
 * on `keys.channels.config` and when the config is reloaded, and tells its listeners after each re-read. Every
 * stage that decides something per camera (what to detect, whether to look for faces, how long a frame lives) asks
 * this instead of `ctx.config.cameras`, which holds the file's cameras only.
 */
export class CamerasInEffect {
  private cameras = new Map<string, CameraConfig>();
  private sub?: Redis;
  private cmd?: Redis;
  private generation = 0;
  private readonly listeners = new Set<(cameras: readonly CameraConfig[]) => void>();
  private readonly onConfig = (): void => void this.refresh().catch(() => undefined);
  private stopped = false;

  /** `name` names the stage in connection names and logs. Until the first read, the file's cameras are in effect. */
  constructor(
    private readonly ctx: Context,
    private readonly name: string,
  ) {
    this.cameras = new Map(ctx.config.cameras.map((c) => [c.id, c]));
  }

  /** Reads the cameras in effect once and follows their changes. Resolves when the first read is done. */
  async start(): Promise<void> {
    const sub = this.ctx.redis(`${this.name}-cameras`);
    this.sub = sub;
    sub.on('message', (channel: string) => {
      if (channel === this.ctx.keys.channels.config) {
        this.refresh().catch(() => undefined);
      }
    });
    await sub.subscribe(this.ctx.keys.channels.config);
    this.ctx.on('config', this.onConfig);
    await this.refresh();
  }

  /** A camera in effect (enabled or not), or undefined when there is no such camera. */
  get(id: string): CameraConfig | undefined {
    return this.cameras.get(id);
  }

  /** Every camera in effect, enabled or not. */
  list(): CameraConfig[] {
    return [...this.cameras.values()];
  }

  /** Calls `fn` with the cameras in effect after every re-read; returns a function that stops the calls. */
  onChange(fn: (cameras: readonly CameraConfig[]) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /**
   * Re-reads the overrides now (also done on every change announced). Reads that overlap apply in the order they
   * were started: an older read never replaces a newer one.
   */
  async refresh(): Promise<void> {
    const gen = ++this.generation;
    const config: VigilConfig = this.ctx.config;
    const overrides = await readCameraOverrides(this.command(), this.ctx.keys, (id, err) =>
      this.ctx.log.warn({ stage: this.name, camera: id, err: err instanceof Error ? err.message : String(err) }, 'invalid camera override ignored'),
    );
    if (gen !== this.generation || this.stopped) {
      return;
    }
    this.cameras = new Map(effectiveCameras(config.cameras, overrides).map((c) => [c.id, c]));
    const list = this.list();
    for (const fn of this.listeners) {
      fn(list);
    }
  }

  private command(): Redis {
    this.cmd ??= this.ctx.redis(`${this.name}-cameras-cmd`);
    return this.cmd;
  }

  /** Stops following changes (the connections close with the context). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.ctx.off('config', this.onConfig);
    this.listeners.clear();
    await this.sub?.quit().catch(() => this.sub?.disconnect());
    await this.cmd?.quit().catch(() => this.cmd?.disconnect());
  }
}
