import type { LeaseClaim, LeaseHandlers, LeaseLossReason } from '../core/leases';
import type { Logger } from '../core/logger';
import type { CameraConfig } from './schema';

/** What the ownership needs of the process's lease keeper (core/leases.ts `LeaseKeeper`). */
export interface OwnershipLeases {
  claim(stage: string, resource: string, key: string, handlers: LeaseHandlers): CameraClaim;
  /** One renewal round now. */
  round(): Promise<void>;
  /** Resolves when the lease callbacks started so far for `stage` have finished. */
  settled(stage: string): Promise<void>;
}

/** A camera's lease as the stage's worker sees it. */
export type CameraClaim = Pick<LeaseClaim, 'valid' | 'release' | 'exclusive'>;

/** Where the cameras in effect come from (config/cameras-in-effect.ts `CamerasInEffect`). */
export interface CameraSource {
  list(): CameraConfig[];
  onChange(fn: (cameras: readonly CameraConfig[]) => void): () => void;
}

/**
 * Why a worker stops: `taken` another process holds the camera now (nothing more may reach Redis); `removed` the
 * camera left the cameras in effect; `stopping` the stage stops; `restart` it starts again with a changed camera.
 */
export type WorkerStopReason = 'taken' | 'removed' | 'stopping' | 'restart';

/** What a stage does with the cameras it owns. `W` is the stage's worker of one camera. */
export interface CameraWorkers<W> {
  /** Starts the worker of a camera whose lease is held now. Undefined: none started (the stage is stopping). */
  start(camera: CameraConfig, claim: CameraClaim): Promise<W | undefined> | W | undefined;
  /** Stops a worker; resolves once stopped. The camera may be taken again here only after that. */
  stop(worker: W, camera: string, why: WorkerStopReason): Promise<void>;
  /** The lease is unconfirmed (renewal late): stop side effects, keep the worker. Synchronous. */
  pause?(worker: W): void;
  /** The lease is confirmed again and nobody else held it meanwhile: carry on. */
  resume?(worker: W): void;
  /**
   * The cameras in effect were read again and this camera is still among them (changed or not): `'restart'`
   * restarts its worker, between the lease's callbacks. Synchronous.
   */
  update?(worker: W, camera: CameraConfig): 'restart' | void;
}

/** Settings of a {@link CameraOwnership}. */
export interface CameraOwnershipOptions<W> {
  /** The stage's lease name (`ingest`, `track`): the lease key and the readiness reasons carry it. */
  stage: string;
  leases: OwnershipLeases;
  /** The lease key of a camera (`keys.lease(stage, camera)`). */
  leaseKey(camera: string): string;
  cameras: CameraSource;
  workers: CameraWorkers<W>;
  log: Logger;
}

/**
 * One stage's cameras, one owner each: claims the lease of every enabled camera in effect and releases the ones
 * that left, starts the camera's worker when its lease is held and stops it when the lease is lost, pauses it while
 * the lease is unconfirmed and resumes it when it is confirmed again. A lost lease stops the worker before the
 * keeper may take the camera again (core/leases.ts), so one camera never has two workers, here or across processes.
 * Ingest (one FFmpeg per camera) and track (one tracker per camera) own their cameras through it.
 */
export class CameraOwnership<W> {
  private readonly wanted = new Map<string, { camera: CameraConfig; claim: CameraClaim }>();
  private readonly running = new Map<string, W>();
  /** Cameras whose lease is unconfirmed now. */
  private readonly unconfirmed = new Set<string>();
  /** Cameras being released because they left the cameras in effect (their worker stops as `removed`). */
  private readonly removing = new Set<string>();
  private closed = false;
  private unsubscribe: (() => void) | undefined;
  /** The apply running now (or the last one), and the one queued behind it, which reads the newest list. */
  private tail: Promise<void> = Promise.resolve();
  private queued: Promise<void> | undefined;

  constructor(private readonly o: CameraOwnershipOptions<W>) {}

  /** Claims the cameras in effect now and follows their changes; resolves when those free now have started. */
  async start(): Promise<void> {
    this.unsubscribe = this.o.cameras.onChange(() => void this.apply());
    await this.apply();
  }

  /**
   * Claims and releases leases to match the cameras in effect, updates running workers, then runs a lease round so
   * that cameras free now start before this resolves. Applies run one at a time; calls during one share the next.
   */
  apply(): Promise<void> {
    this.queued ??= this.tail.then(async () => {
      this.queued = undefined;
      if (this.closed) {
        return;
      }
      try {
        await this.applyOnce(this.o.cameras.list().filter((c) => c.enabled));
        await this.o.leases.round();
        await this.o.leases.settled(this.o.stage);
      } catch (err) {
        this.o.log.error({ err }, 'applying the camera configuration failed');
      }
    });
    this.tail = this.queued;
    return this.queued;
  }

  /** The workers running now, by camera. */
  workers(): ReadonlyMap<string, W> {
    return this.running;
  }

  /** The enabled cameras in effect, held here or not. */
  cameras(): CameraConfig[] {
    return [...this.wanted.values()].map((w) => w.camera);
  }

  /** `camera <id>: <stage> lease unconfirmed` for every running camera whose lease is unconfirmed. */
  readiness(): string[] {
    return [...this.running.keys()].filter((id) => this.unconfirmed.has(id)).map((id) => `camera ${id}: ${this.o.stage} lease unconfirmed`);
  }

  /** Stops following changes, waits for an apply in progress, then stops every worker and releases its lease. */
  async stop(): Promise<void> {
    this.closed = true;
    this.unsubscribe?.();
    await this.tail;
    await Promise.allSettled([...this.wanted.values()].map((w) => w.claim.release()));
  }

  private async applyOnce(effective: CameraConfig[]): Promise<void> {
    const next = new Map(effective.map((c) => [c.id, c]));
    const work: Array<Promise<void>> = [];
    for (const [id, w] of this.wanted) {
      const cam = next.get(id);
      if (!cam) {
        this.o.log.info({ camera: id }, 'camera removed');
        this.wanted.delete(id);
        this.removing.add(id);
        work.push(w.claim.release());
        continue;
      }
      w.camera = cam;
      const worker = this.running.get(id);
      if (worker !== undefined && this.o.workers.update?.(worker, cam) === 'restart') {
        // Restarted only while this process holds the camera, never racing a takeover.
        work.push(w.claim.exclusive(() => this.restart(id, worker)));
      }
    }
    for (const [id, cam] of next) {
      if (!this.wanted.has(id)) {
        this.removing.delete(id);
        this.wanted.set(id, { camera: cam, claim: this.claim(id) });
      }
    }
    await Promise.allSettled(work);
  }

  private async restart(id: string, worker: W): Promise<void> {
    if (this.running.get(id) !== worker) {
      return; // stopped meanwhile, or started again with the camera as it is now
    }
    this.o.log.info({ camera: id }, 'camera changed: restarting it');
    this.running.delete(id);
    await this.o.workers.stop(worker, id, 'restart');
    await this.startWorker(id);
  }

  private async startWorker(id: string): Promise<void> {
    const w = this.wanted.get(id);
    if (this.closed || !w) {
      return;
    }
    const started = w.camera;
    const worker = await this.o.workers.start(started, w.claim);
    if (worker === undefined) {
      return;
    }
    this.running.set(id, worker);
    if (this.unconfirmed.has(id)) {
      this.o.workers.pause?.(worker); // the lease became unconfirmed while the worker was starting
    }
    // The camera changed while its worker was starting (an apply found no worker to update): update it now, and
    // restart it after this callback when the stage asks (queued behind it, never racing a takeover).
    if (w.camera !== started && this.o.workers.update?.(worker, w.camera) === 'restart') {
      void w.claim.exclusive(() => this.restart(id, worker));
    }
  }

  private claim(id: string): CameraClaim {
    return this.o.leases.claim(this.o.stage, id, this.o.leaseKey(id), {
      acquired: async ({ continued }) => {
        this.unconfirmed.delete(id);
        const running = this.running.get(id);
        if (running !== undefined && continued) {
          this.o.workers.resume?.(running); // nobody else held it meanwhile: the worker's memory is still right
          return;
        }
        if (running !== undefined) {
          await this.stopWorker(id, 'taken'); // never two workers for one camera
        }
        await this.startWorker(id);
      },
      suspended: () => {
        this.unconfirmed.add(id);
        const w = this.running.get(id);
        if (w !== undefined) {
          this.o.workers.pause?.(w);
        }
      },
      lost: (reason: LeaseLossReason) => {
        this.unconfirmed.delete(id);
        const why = reason === 'taken' ? 'taken' : this.removing.delete(id) ? 'removed' : 'stopping';
        return this.stopWorker(id, why);
      },
    });
  }

  private async stopWorker(id: string, why: WorkerStopReason): Promise<void> {
    const w = this.running.get(id);
    if (w === undefined) {
      return;
    }
    this.running.delete(id);
    await this.o.workers.stop(w, id, why);
  }
}
