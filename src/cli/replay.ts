import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadConfig } from '../config/load';
import { formatUsageError, parseCommandArgs, UsageError } from '../core/cli-args';
import { Context } from '../config/context';
import type { Logger } from '../core/logger';
import { createDetector } from '../detect';
import type { DetectionResult } from '../core/types';
import { replay, type ReplayEvent } from '../track/replay';
import { videoDetections } from './video-detections';

export const REPLAY_USAGE = `usage: vigil replay --config FILE (--detections FILE.jsonl | --video FILE [--camera ID] [--fps N]) [--json]
  Runs the tracker and the config's rules over recorded detections (written by 'vigil start --record FILE') or
  over a video file (decoded with ffmpeg, detected with the configured model), faster than real time, with the
  recorded capture times as the clock, and prints the alerts it would raise.`;

const REPLAY_OPTIONS = {
  config: { type: 'string', short: 'c' },
  detections: { type: 'string', short: 'd' },
  video: { type: 'string' },
  camera: { type: 'string' },
  fps: { type: 'string' },
  json: { type: 'boolean', default: false },
} as const;

/** Reads a JSONL file of DetectionResults. */
export async function readDetections(file: string): Promise<DetectionResult[]> {
  const out: DetectionResult[] = [];
  const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of rl) {
    n++;
    if (line.trim() === '') {
      continue;
    }
    try {
      out.push(JSON.parse(line) as DetectionResult);
    } catch {
      throw new TypeError(`${file}:${n}: not a JSON DetectionResult`);
    }
  }
  return out;
}

/** One human-readable line of an alert event. */
export function formatEvent(e: ReplayEvent): string {
  const a = e.alert;
  const at = e.event === 'end' ? a.endedAt : e.event === 'update' ? a.updatedAt : a.startedAt;
  const extra = [
    a.zone ? `zone=${a.zone}` : '',
    a.line ? `line=${a.line}` : '',
    a.direction ? `direction=${a.direction}` : '',
    a.counts ? `counts=a_to_b:${a.counts.a_to_b},b_to_a:${a.counts.b_to_a}` : '',
    a.count !== undefined && !a.counts ? `count=${a.count}` : '',
    a.face ? `face=${a.face.name}` : '',
    a.objects.length ? `objects=${a.objects.map((o) => `${o.label}#${o.trackId}`).join(',')}` : '',
  ].filter(Boolean);
  return `${at} ${e.event.padEnd(6)} ${a.id} ${a.rule} (${a.type}, ${a.severity}) camera=${a.camera} ${extra.join(' ')}`;
}

/** `vigil replay`: exit 0 after printing the alerts, 2 on bad usage or config. */
export async function run(args: string[], log: Logger): Promise<number> {
  let values;
  try {
    ({ values } = parseCommandArgs({ command: 'vigil replay', usage: REPLAY_USAGE, options: REPLAY_OPTIONS, renamed: { rules: 'config' } }, args));
    if ((values.detections === undefined) === (values.video === undefined)) {
      throw new UsageError('vigil replay', 'give exactly one of --detections or --video', REPLAY_USAGE);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${formatUsageError(err)}\n`);
      return 2;
    }
    throw err;
  }
  const { config } = loadConfig(values.config);
  let results: DetectionResult[];
  const started = Date.now();
  if (values.detections !== undefined) {
    results = await readDetections(values.detections);
  } else {
    const camera = values.camera ?? config.cameras[0]?.id;
    if (!camera || !config.cameras.some((c) => c.id === camera)) {
      process.stderr.write(`--camera: the config has no camera "${camera ?? ''}"\n`);
      return 2;
    }
    // The same detector, with the same settings, as the detect stage.
    const ctx = new Context(config, log, new Set(), { defaultMetrics: false });
    const detector = await createDetector(ctx);
    results = [];
    try {
      for await (const r of videoDetections(values.video!, detector, {
        camera,
        model: config.models.detector.file,
        fps: values.fps !== undefined ? Number(values.fps) : config.cameras.find((c) => c.id === camera)!.detect.fps,
      })) {
        results.push(r);
      }
    } finally {
      await detector.close();
    }
  }
  const events = replay(config, results);
  for (const e of events) {
    process.stdout.write(values.json ? `${JSON.stringify({ event: e.event, alert: e.alert })}\n` : `${formatEvent(e)}\n`);
  }
  const span = results.length ? results[results.length - 1].times.capturedAt - results[0].times.capturedAt : 0;
  // The summary goes to stderr so that stdout stays one alert event per line (--json consumers).
  process.stderr.write(
    `replay: ${results.length} frames (${(span / 1000).toFixed(1)} s of video) in ${((Date.now() - started) / 1000).toFixed(2)} s: ` +
      `${events.filter((e) => e.event === 'start').length} alerts, ${events.length} events\n`,
  );
  log.debug({ frames: results.length, events: events.length }, 'replay done');
  return 0;
}
