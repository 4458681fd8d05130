import { mkdirSync } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type Redis from 'ioredis';
import type { Context, StageHandle } from '../config/context';
import { parseRecordedSegment, type Alert, type ClipRecord, type RecordedSegment } from '../core/types';
import { parseEntry } from './alert-store';
import { cutClip } from './clip-cut';
import { clipSpan, planClip, recordedUntil } from './clip-span';
import { readClipRecord, writeClip } from './clip-store';

/** Options of {@link ClipMaker} (tests shorten the timings). */
export interface ClipMakerOptions {
  ffmpegPath?: string;
  /** How often expired and surplus clips are deleted (ms). @defaultValue 60_000 */
  sweepEveryMs?: number;
  /** At start, alerts that ended this long ago are still cut (a restart in between). @defaultValue 600_000 */
  lookbackMs?: number;
}

/** Extra wait for the segment that holds the span's end, beyond the end (ms): a keyframe interval or two. */
const SEGMENT_WAIT_MS = 15_000;

/**
 * Cuts alert clips from the ring buffers of the cameras this process records (see docs/api.md "Alert clips").
 * Follows the alert stream (XREAD, like the WebSocket hub); for each `end` it waits until the ring buffer holds the
 * rule's `post` seconds after the end, plans the cut from the camera's segment index (`keys.recordingSegments`) and
 * cuts it when the segments over the alert were recorded by this process (whose disk holds them); one cut at a time.
 * The result (a clip, or why none) is stored with the alert (clip-store.ts). Every minute it deletes the clips of
 * alerts that are gone and the oldest beyond `recording.maxClipsMb`. Never throws into its loop; a failed cut is
 * logged and recorded as "no clip".
 */
export class ClipMaker {
  private readonly redis: Redis;
  private tail: Redis | undefined;
  private cursor = '0-0';
  private closed = false;
  private loop: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private work: Promise<void> = Promise.resolve();
  /** Clips written (tests). */
  made = 0;

  constructor(
    private readonly ctx: Context,
    private readonly options: ClipMakerOptions = {},
  ) {
    this.redis = ctx.redis('clips');
  }

  private get root(): string {
    return path.resolve(this.ctx.config.recording.dir);
  }

  /** Starts following the alert stream and sweeping. */
  async start(): Promise<void> {
    this.cursor = `${Math.max(0, Date.now() - (this.options.lookbackMs ?? 600_000))}-0`;
    this.tail = this.ctx.redis('clips-tail', { maxRetriesPerRequest: null });
    this.loop = this.follow();
    this.sweepTimer = setInterval(() => void this.sweep(), this.options.sweepEveryMs ?? 60_000);
    this.sweepTimer.unref();
  }

  /** Stops; a cut under way finishes first. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweepTimer);
    for (const t of this.timers.values()) {
      clearTimeout(t);
    }
    this.timers.clear();
    this.tail?.disconnect();
    await this.loop?.catch(() => undefined);
    await this.work.catch(() => undefined);
  }

  /** Waits for the cuts queued so far (tests). */
  idle(): Promise<void> {
    return this.work;
  }

  private async follow(): Promise<void> {
    const key = this.ctx.keys.alertEvents;
    while (!this.closed) {
      try {
        const res = (await this.tail!.xread('COUNT', 100, 'BLOCK', 2000, 'STREAMS', key, this.cursor)) as Array<[string, Array<[string, string[]]>]> | null;
        for (const [id, fields] of res?.[0]?.[1] ?? []) {
          this.cursor = id;
          const e = parseEntry(id, fields);
          if (e?.event === 'end') {
            this.schedule(e.alert, 0);
          }
        }
      } catch (err) {
        if (this.closed) {
          return;
        }
        this.ctx.log.debug({ err: (err as Error).message }, 'clips: reading the alert stream failed; retrying');
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  /** The clip settings of an alert's rule and camera. */
  private settings(alert: Alert): { pre: number; post: number; segmentMs: number } {
    const cfg = this.ctx.config;
    const rule = cfg.rules.find((r) => r.id === alert.rule);
    const cam = cfg.cameras.find((c) => c.id === alert.camera);
    return {
      pre: rule?.clip.pre ?? 5,
      post: rule?.clip.post ?? 5,
      segmentMs: (cam?.recording?.segmentSeconds ?? cfg.recording.segmentSeconds) * 1000,
    };
  }

  /** Runs the alert's cut when its span should be recorded (and again while its last segment is awaited). */
  private schedule(alert: Alert, attempt: number): void {
    if (this.closed || alert.endedAt === undefined || (attempt === 0 && this.timers.has(alert.id))) {
      return;
    }
    const s = this.settings(alert);
    const { to } = clipSpan(Date.parse(alert.startedAt), Date.parse(alert.endedAt), s.pre, s.post, this.ctx.config.recording.maxClipSeconds);
    const delay = attempt === 0 ? Math.max(0, to + 200 - Date.now()) : 1000;
    const t = setTimeout(() => {
      this.timers.delete(alert.id);
      this.work = this.work.then(() => this.process(alert, attempt)).catch((err: unknown) => this.ctx.log.warn({ err, alert: alert.id }, 'clip failed'));
    }, delay);
    t.unref();
    this.timers.set(alert.id, t);
  }

  private async process(alert: Alert, attempt: number): Promise<void> {
    if (this.closed) {
      return;
    }
    const { keys, config } = this.ctx;
    if (await readClipRecord(this.redis, keys, alert.id)) {
      return;
    }
    const s = this.settings(alert);
    const start = Date.parse(alert.startedAt);
    const end = Date.parse(alert.endedAt!);
    const span = clipSpan(start, end, s.pre, s.post, config.recording.maxClipSeconds);
    const members = await this.redis.zrangebyscore(keys.recordingSegments(alert.camera), span.from - 60_000, span.to);
    const segments = members.map(parseRecordedSegment).filter((x): x is RecordedSegment => x !== undefined);
    const overAlert = segments.filter((g) => g.startMs + g.durationMs > span.from && g.startMs < span.to);
    // Cut by the process whose disk holds the span (it recorded the camera then); the others leave it.
    if (overAlert.length > 0 && !overAlert.some((g) => g.instance === this.ctx.instanceId)) {
      return;
    }
    const deadline = span.to + Math.max(2 * s.segmentMs, 4000) + SEGMENT_WAIT_MS;
    if (!recordedUntil(segments, span.to) && Date.now() < deadline) {
      this.schedule(alert, attempt + 1);
      return;
    }
    if (overAlert.length === 0) {
      // Nothing recorded by anyone: if this process records the camera (it has its directory), say so; otherwise
      // the API answers "none" once the grace is over.
      if (await isDir(path.join(this.root, alert.camera))) {
        await this.none(alert, `no recording of camera ${alert.camera} from ${iso(span.from)} to ${iso(span.to)} (the camera was down or not recorded)`);
      }
      return;
    }
    const mine = overAlert.filter((g) => g.instance === this.ctx.instanceId);
    const plan = planClip(mine, span.from, span.to, start, end);
    if (!plan || plan.durationS < 0.5) {
      await this.none(alert, `nothing of the alert (${iso(start)} to ${iso(end)}) was in the ring buffer of camera ${alert.camera}`);
      return;
    }
    const dir = path.join(this.root, 'clips');
    mkdirSync(dir, { recursive: true });
    const out = path.join(dir, `${alert.id}.mp4`);
    let cut;
    try {
      cut = await cutClip({
        files: plan.segments.map((g) => path.join(this.root, g.file)),
        offsetS: plan.offsetS,
        durationS: plan.durationS,
        out,
        ffmpegPath: this.options.ffmpegPath,
      });
    } catch (err) {
      this.ctx.log.warn({ alert: alert.id, err: (err as Error).message }, 'clip: the cut failed');
      await this.none(alert, 'the clip could not be cut from the ring buffer (its segments were deleted or damaged)');
      return;
    }
    const record: ClipRecord = { state: 'ready', file: `clips/${alert.id}.mp4`, bytes: cut.bytes, durationMs: cut.durationMs, from: iso(plan.from), to: iso(plan.to) };
    const w = await writeClip(this.redis, keys, alert.id, record, config.alerts.maxEvents);
    if (w.outcome === 'ok') {
      this.made++;
      this.ctx.log.info({ alert: alert.id, camera: alert.camera, seconds: cut.durationMs / 1000, bytes: cut.bytes, codec: cut.codec }, 'alert clip ready');
    } else if (w.outcome === 'gone') {
      await unlink(out).catch(() => undefined);
    }
  }

  private async none(alert: Alert, reason: string): Promise<void> {
    await writeClip(this.redis, this.ctx.keys, alert.id, { state: 'none', reason }, this.ctx.config.alerts.maxEvents);
    this.ctx.log.info({ alert: alert.id, camera: alert.camera, reason }, 'alert without a clip');
  }

  /** Deletes the clips of alerts that are gone, then the oldest beyond recording.maxClipsMb. */
  async sweep(): Promise<void> {
    const dir = path.join(this.root, 'clips');
    try {
      const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => /^\d+-\d+\.mp4$/.test(n));
      if (names.length === 0) {
        return;
      }
      const ids = names.map((n) => n.slice(0, -4));
      const p = this.redis.pipeline();
      ids.forEach((id) => p.exists(this.ctx.keys.alert(id)));
      const rows = (await p.exec()) ?? [];
      const kept: Array<{ id: string; file: string; bytes: number; mtime: number }> = [];
      for (let i = 0; i < ids.length; i++) {
        const file = path.join(dir, names[i]);
        if (rows[i]?.[0] === null && rows[i]?.[1] === 0) {
          await unlink(file).catch(() => undefined);
          await this.redis.del(this.ctx.keys.clip(ids[i]));
          continue;
        }
        const st = await stat(file).catch(() => undefined);
        if (st) {
          kept.push({ id: ids[i], file, bytes: st.size, mtime: st.mtimeMs });
        }
      }
      let total = kept.reduce((n, k) => n + k.bytes, 0);
      const max = this.ctx.config.recording.maxClipsMb * 1024 * 1024;
      kept.sort((a, b) => a.mtime - b.mtime);
      for (const k of kept) {
        if (total <= max) {
          break;
        }
        await unlink(k.file).catch(() => undefined);
        await this.redis.set(this.ctx.keys.clip(k.id), JSON.stringify({ state: 'none', reason: 'deleted to keep the clips under recording.maxClipsMb' } satisfies ClipRecord), 'KEEPTTL');
        total -= k.bytes;
      }
    } catch (err) {
      this.ctx.log.warn({ err: (err as Error).message }, 'clips: the sweep failed');
    }
  }
}

/** Starts the clip maker of a process that records cameras (its ingest role); the handle stops it. */
export async function startClips(ctx: Context, options: ClipMakerOptions = {}): Promise<StageHandle & { maker: ClipMaker }> {
  const maker = new ClipMaker(ctx, options);
  await maker.start();
  return { maker, readiness: () => [], close: () => maker.close() };
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
