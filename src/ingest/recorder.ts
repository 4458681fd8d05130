import { mkdirSync } from 'node:fs';
import { readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type Redis from 'ioredis';
import type { Keys } from '../core/keys';
import type { Logger } from '../core/logger';
import { parseRecordedSegment, type RecordedSegment } from '../core/types';
import type { RecordingSpace } from './recording-space';
import { openedSegment, parseSegmentList, recordingFailedLine, recordOutput, segmentListPath, type RecordOutput } from './recorder-args';

/** Options of {@link CameraRecorder}. */
export interface CameraRecorderOptions {
  camera: string;
  /** The recording directory (absolute); this camera's segments go to `<root>/<camera>/`. */
  root: string;
  segmentSeconds: number;
  /** Ring buffer cap (bytes): the oldest segments are deleted beyond it. */
  maxBytes: number;
  redis: Redis;
  keys: Keys;
  /** This process's instance id (written with each segment: the disk that holds it). */
  instance: string;
  log: Logger;
  /** The cap over every camera recorded here. */
  space?: RecordingSpace;
}

/** Recent anchors kept per run: the smallest is the best estimate of when the run's media time 0 arrived. */
const ANCHORS = 30;
/** The segment index of a camera is dropped this long after its last write (a camera no longer recorded). */
const INDEX_TTL_S = 86_400;

interface Held {
  seg: RecordedSegment;
  member: string;
}

/**
 * The ring buffer of one camera, written by the camera's own FFmpeg (second output, see recorder-args.ts) and kept
 * here: every finished segment is indexed in Redis (`keys.recordingSegments`, score = wall-clock start) and the
 * oldest are deleted beyond the camera's cap and the process-wide cap.
 *
 * Wall-clock times: FFmpeg prints `Opening '<next segment>'` the moment one segment ends, and its segment list gives
 * the segment's media start and end. `arrival - media end` at each switch estimates when the run's media time 0
 * arrived; the smallest of the last 30 estimates is taken (an estimate can only be late, by event-loop lag), which
 * follows a camera clock's drift. The frames' capture times come from the same FFmpeg, so alert times and
 * segment times share one clock. Never throws into FFmpeg's handlers: a recording problem is logged and the camera's
 * detection goes on.
 */
export class CameraRecorder {
  private run: string | undefined;
  private runs = 0;
  private current: { file: string; openedAt: number } | undefined;
  private anchors: number[] = [];
  private lastEnd = 0;
  private readonly held: Held[] = [];
  private chain: Promise<void> = Promise.resolve();
  /** Bytes of the finished segments held. */
  bytes = 0;
  /** Segments finished since start. */
  written = 0;
  /** Why recording failed in the current FFmpeg run (it goes on without it; the next run tries again). */
  failure: string | undefined;

  constructor(private readonly o: CameraRecorderOptions) {
    o.space?.add(this);
  }

  /** This camera's directory. */
  get dir(): string {
    return path.join(this.o.root, this.o.camera);
  }

  /** Segments held, oldest first (tests). */
  get segments(): readonly RecordedSegment[] {
    return this.held.map((h) => h.seg);
  }

  /** Start of the oldest segment held (ms), or undefined. */
  get oldestMs(): number | undefined {
    return this.held[0]?.seg.startMs;
  }

  /**
   * Takes over what a previous run left: indexed segments whose file is still there are kept (and counted against
   * the cap), index entries without a file are removed, files in the camera's directory that no entry names are
   * deleted (a crash between a segment's end and its indexing).
   */
  start(): Promise<void> {
    this.serial(() => this.adopt());
    return this.chain;
  }

  private async adopt(): Promise<void> {
    const { redis, keys, camera } = this.o;
    try {
      mkdirSync(this.dir, { recursive: true });
      const members = await redis.zrange(keys.recordingSegments(camera), '0', '-1');
      const gone: string[] = [];
      const known = new Set<string>();
      for (const member of members) {
        const seg = parseRecordedSegment(member);
        const size = seg ? await fileSize(path.join(this.o.root, seg.file)) : undefined;
        if (!seg || size === undefined || !seg.file.startsWith(`${camera}/`)) {
          gone.push(member);
          continue;
        }
        known.add(path.basename(seg.file));
        this.held.push({ seg, member });
        this.bytes += seg.bytes;
      }
      if (gone.length > 0) {
        await redis.zrem(keys.recordingSegments(camera), ...gone);
      }
      for (const name of await readdir(this.dir)) {
        // The current run's files are not left-overs (it may have started while this ran).
        if (/\.(ts|csv)$/.test(name) && !known.has(name) && !(this.run !== undefined && name.startsWith(`${this.run}-`)) && name !== `${this.run}.csv`) {
          await unlink(path.join(this.dir, name)).catch(() => undefined);
        }
      }
      await this.enforce();
    } catch (err) {
      this.o.log.warn({ err: errText(err) }, 'recording: the previous ring buffer could not be read; starting afresh');
    }
  }

  /**
   * Before each FFmpeg run: the output that records it, or undefined when the directory cannot be made (the run
   * then goes without recording).
   */
  prepare(): RecordOutput | undefined {
    this.failure = undefined;
    this.current = undefined;
    this.anchors = [];
    this.lastEnd = 0;
    this.run = `${Date.now().toString(36)}${(this.runs++).toString(36)}`;
    try {
      mkdirSync(this.dir, { recursive: true });
      return recordOutput({ dir: this.dir, run: this.run, segmentSeconds: this.o.segmentSeconds });
    } catch (err) {
      this.fail(`cannot create ${this.dir}: ${errText(err)}`);
      return undefined;
    }
  }

  /** A stderr line of the current run, when it arrived (epoch ms). */
  line(text: string, at: number): void {
    const run = this.run;
    if (run === undefined) {
      return;
    }
    if (recordingFailedLine(text)) {
      this.fail(text.replace(/^\[[^\]]*\]\s*/, '').slice(0, 300));
      return;
    }
    const file = openedSegment(text, run);
    if (file !== undefined) {
      const prev = this.current;
      this.current = { file, openedAt: at };
      if (prev) {
        this.serial(() => this.finish(run, prev, at, false));
      }
    }
  }

  /** The current run ended: its last segment is finished (from the list when FFmpeg wrote it there). */
  exited(at = Date.now()): Promise<void> {
    const run = this.run;
    const prev = this.current;
    this.current = undefined;
    this.run = undefined;
    if (run !== undefined) {
      this.serial(async () => {
        if (prev) {
          await this.finish(run, prev, at, true);
        }
        await unlink(segmentListPath(this.dir, run)).catch(() => undefined);
      });
    }
    return this.chain;
  }

  /** Waits for the segment bookkeeping issued so far (tests, close). */
  flushed(): Promise<void> {
    return this.chain;
  }

  /** Stops keeping this camera's buffer here (its segments stay for the next owner; the cap no longer counts them). */
  async close(): Promise<void> {
    await this.exited();
    this.o.space?.remove(this);
  }

  /** Deletes the oldest segment (file and index entry). */
  async dropOldest(): Promise<void> {
    const h = this.held.shift();
    if (!h) {
      return;
    }
    this.bytes -= h.seg.bytes;
    await unlink(path.join(this.o.root, h.seg.file)).catch(() => undefined);
    await this.o.redis.zrem(this.o.keys.recordingSegments(this.o.camera), h.member).catch(() => undefined);
  }

  private serial(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((err: unknown) => this.o.log.warn({ err: errText(err) }, 'recording: segment bookkeeping failed'));
  }

  private fail(reason: string): void {
    if (this.failure === undefined) {
      this.failure = reason;
      this.o.log.warn({ reason }, 'recording failed: detection goes on without it; the next FFmpeg run tries again');
      this.status({ recording: 'failed', recordingReason: reason });
    }
  }

  /** Seconds of video held. */
  get seconds(): number {
    return this.held.reduce((n, h) => n + h.seg.durationMs, 0) / 1000;
  }

  /** The recording fields of the camera's status hash (GET /api/cameras `recording`). */
  private status(fields: Record<string, string>): void {
    this.o.redis.hset(this.o.keys.cameraStatus(this.o.camera), { recordingSeconds: String(Math.round(this.seconds)), ...fields }).catch(() => undefined);
  }

  /** A segment of `run` ended at `at`; `last`: the run ended with it. */
  private async finish(run: string, seg: { file: string; openedAt: number }, at: number, last: boolean): Promise<void> {
    const name = path.basename(seg.file);
    const listed = parseSegmentList(await readFile(segmentListPath(this.dir, run), 'utf8').catch(() => '')).find((l) => l.name === name);
    let startS: number;
    let endS: number;
    if (listed) {
      startS = listed.start;
      endS = listed.end;
      if (!last) {
        this.anchors.push(at - endS * 1000);
        if (this.anchors.length > ANCHORS) {
          this.anchors.shift();
        }
      }
    } else {
      // Not listed: FFmpeg was killed while writing it (the file holds what arrived).
      startS = this.lastEnd;
      endS = startS + Math.max(0, at - (this.anchors.length > 0 ? Math.min(...this.anchors) + startS * 1000 : seg.openedAt)) / 1000;
    }
    this.lastEnd = endS;
    const zero = this.anchors.length > 0 ? Math.min(...this.anchors) : seg.openedAt - startS * 1000;
    const bytes = await fileSize(seg.file);
    if (bytes === undefined || bytes === 0 || endS <= startS) {
      return;
    }
    const entry: RecordedSegment = {
      file: `${this.o.camera}/${name}`,
      startMs: Math.round(zero + startS * 1000),
      durationMs: Math.round((endS - startS) * 1000),
      bytes,
      instance: this.o.instance,
    };
    const member = JSON.stringify(entry);
    const key = this.o.keys.recordingSegments(this.o.camera);
    await this.o.redis.multi().zadd(key, entry.startMs, member).expire(key, INDEX_TTL_S).exec();
    this.held.push({ seg: entry, member });
    this.bytes += bytes;
    this.written++;
    await this.enforce();
    if (this.failure === undefined) {
      this.status({ recording: 'on' });
    }
  }

  /** The camera's cap, then the process-wide one. The newest segment is always kept. */
  private async enforce(): Promise<void> {
    while (this.bytes > this.o.maxBytes && this.held.length > 1) {
      await this.dropOldest();
    }
    await this.o.space?.enforce();
  }
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    return (await stat(file)).size;
  } catch {
    return undefined;
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
