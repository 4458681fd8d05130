import type Redis from 'ioredis';
import type { Keys } from '../core/keys';
import type { Logger } from '../core/logger';
import { decodeMessage, detectionResultSchema } from '../core/message-schemas';
import type { DetectionResult } from '../core/types';
import type { CameraWorker } from './camera-worker';

/** Entries read per camera per XREAD; a read that returns fewer has reached the end of the camera's stream. */
const READ_COUNT = 200;

/** What the reader needs of the track stage. */
export interface DetectionsReaderDeps {
  /** A connection of its own: XREAD BLOCK holds it. */
  reader: Redis;
  keys: Keys;
  log: Logger;
  /** The workers of the cameras owned now, by camera. */
  workers(): ReadonlyMap<string, CameraWorker>;
  /** A detection result that is not what it should be: counted and logged by the stage. */
  badMessage(message: string, error: string, camera?: string): void;
}

/**
 * The track stage's one read loop: XREADs the detections streams of every owned camera that is not paused, from
 * each worker's cursor, checks each result where it enters the stage, and queues them on their camera's worker.
 * Tells a worker when its stream has been read to its end (a continued state's backlog is queued by then).
 */
export class DetectionsReader {
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly d: DetectionsReaderDeps) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the loop after the read in progress (at most one XREAD block, 250 ms). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    const { reader, keys, log } = this.d;
    while (!this.stopped) {
      const workers = this.d.workers();
      const owned = [...workers.values()].filter((w) => !w.suspended);
      if (owned.length === 0) {
        await sleep(200);
        continue;
      }
      try {
        const res = (await reader.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          250,
          'STREAMS',
          ...owned.map((w) => keys.detections(w.camera.id)),
          ...owned.map((w) => w.lastId),
        )) as Array<[string, Array<[string, string[]]>]> | null;
        if (!res) {
          owned.forEach((w) => w.caughtUp());
          continue;
        }
        const work: Promise<void>[] = [];
        for (const [key, entries] of res) {
          const w = owned.find((x) => keys.detections(x.camera.id) === key);
          if (!w || this.d.workers().get(w.camera.id) !== w) {
            continue;
          }
          const parsed: Array<{ id: string; result: DetectionResult }> = [];
          for (const [id, fields] of entries) {
            const i = fields.indexOf('d');
            const r = decodeMessage(detectionResultSchema, i >= 0 ? fields[i + 1] : undefined, `detection result ${id}`);
            if (r.ok) {
              parsed.push({ id, result: r.value });
            } else {
              this.d.badMessage('detection_result', r.error, w.camera.id);
            }
          }
          // Advance the cursor now so the next XREAD does not return the same entries while they are processed.
          if (entries.length) {
            w.lastId = entries[entries.length - 1][0];
          }
          work.push(w.enqueue(parsed).catch(() => undefined));
        }
        // A camera with fewer entries than asked has been read to its end: a continued state's backlog is queued.
        const full = new Set(res.filter(([, entries]) => entries.length >= READ_COUNT).map(([key]) => key));
        owned.filter((w) => !full.has(keys.detections(w.camera.id))).forEach((w) => w.caughtUp());
        await Promise.all(work);
      } catch (err) {
        if (!this.stopped) {
          log.error({ err }, 'detections read failed');
          await sleep(500);
        }
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
