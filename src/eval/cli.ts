/**
 * `vigil eval`: the real pipeline over a recorded clip, judged against the user's labels (src/eval/run.ts);
 * `vigil eval labels export|convert`: frames for labelling and annotation-tool exports to COCO / MOTChallenge;
 * `vigil eval mot|coco`: the metrics on files alone (a tracker output or detection results, no video).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { loadConfig } from '../config/load';
import { formatUsageError, numberOption, parseCommandArgs, UsageError } from '../core/cli-args';
import type { Logger } from '../core/logger';
import { probeVideo } from '../cli/video-detections';
import { parseCvatVideo } from './labels/cvat';
import { exportFrames, parseFramesCsv } from './labels/export';
import { parseLabelStudioVideo } from './labels/label-studio';
import { toCocoJson, toMotGt, type LabelSet } from './labels/types';
import { readCocoDetections, readCocoGroundTruth } from './formats/coco';
import { readMotGt, readMotTracks } from './formats/mot';
import { evaluateCoco } from './metrics/coco';
import { evaluateMot } from './metrics/mot';
import { COMPARE_MODELS, compareMarkdown, compareModels, machine, writeBenchmarks } from './compare';
import { evaluate, type EvalOptions } from './run';
import { parseSweep } from './sweep';

export const EVAL_USAGE = `usage: vigil eval --config FILE --video PATH [--camera ID] [--labels FILE] [--events FILE] [--sweep score=LO:HI:STEP]
                  [--out DIR] [--fps N] [--start S] [--duration S] [--max-frames N] [--tolerance S] [--budget N]
  Runs the pipeline offline over a recorded clip (the camera's FFmpeg decoding, the configured detector, tracker and
  rules; every frame, none dropped) and writes a report (report.md, report.json, PNG charts, alerts, MOT tracks) to
  --out (default eval-<video name>). --labels: boxes (COCO JSON, or MOTChallenge gt.txt: also tracking metrics);
  --events: labelled events (JSON or CSV of rule, t, direction?, object?) for alert precision/recall within
  --tolerance seconds (default 1.5); --sweep: alert precision/recall per detector score threshold (score=...) or
  per faces.threshold (faces=..., cameras with face rules; reads the watchlist from Redis); --budget: false
  alarms per camera-hour the sweep's suggestion allows (default 1). --camera: default the config's first camera;
  --fps: default the camera's detect.fps.
       vigil eval labels export|convert ...   frames for labelling; CVAT / Label Studio exports to COCO or MOT
       vigil eval mot --gt gt.txt --tracks FILE / vigil eval coco --gt FILE --dt FILE   metrics on files alone
       vigil eval compare ... --models yolox,fastestdet,...   the same evaluation with several detector models`;

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  video: { type: 'string' },
  camera: { type: 'string' },
  labels: { type: 'string' },
  events: { type: 'string' },
  sweep: { type: 'string' },
  out: { type: 'string' },
  fps: { type: 'string' },
  start: { type: 'string' },
  duration: { type: 'string' },
  'max-frames': { type: 'string' },
  tolerance: { type: 'string' },
  budget: { type: 'string' },
} as const;

export const EXPORT_USAGE = `usage: vigil eval labels export --video PATH --fps F --out DIR [--start S] [--duration S]
  Writes frames at F frames/s as DIR/frame_NNNNNN.jpg (NNNNNN: the 1-based frame number of the video) and
  DIR/frames.csv (file, frame, t) for labelling.`;

export const CONVERT_USAGE = `usage: vigil eval labels convert --from cvat|label-studio --in FILE --to coco|mot --out FILE
                                [--frames frames.csv] [--video PATH | --size WxH] [--task ID]
  Converts a CVAT "for video 1.1" XML export or a Label Studio JSON export (video object tracking) to a COCO
  ground-truth JSON or a MOTChallenge gt.txt (people only). --frames: the task was made from exported frames
  (task frame i is the i-th row); --video or --size: the video's size (Label Studio keeps percentages);
  --task: the Label Studio task id when the export holds several.`;

export const COMPARE_USAGE = `usage: vigil eval compare --config FILE --video PATH [--models M1,M2,...] [--benchmarks FILE] [the options of vigil eval]
  Runs vigil eval once per detector model (default: ${Object.keys(COMPARE_MODELS).join(',')}; the config's detector settings
  otherwise) into --out/MODEL and prints one table of AP, tracking, alert precision/recall and speed; --benchmarks
  FILE also writes it into FILE (e.g. BENCHMARKS.md). DetectNet_v2 models are built (untrained) when missing.`;

export const MOT_USAGE = `usage: vigil eval mot --gt gt.txt --tracks FILE [--json]
  MOTChallenge metrics (MOTA, MOTP, IDF1, HOTA, ...) of a tracker output file against gt.txt, no video.`;
export const COCO_USAGE = `usage: vigil eval coco --gt FILE --dt FILE [--json]
  COCO box metrics (AP, AR per class) of a detection results list against a COCO ground truth, no video.`;

/** Usage of `vigil eval` or one of its subcommands (for --help). */
export function evalUsage(sub?: string): string {
  return sub === 'labels' ? `${EXPORT_USAGE}\n${CONVERT_USAGE}` : sub === 'mot' ? MOT_USAGE : sub === 'coco' ? COCO_USAGE : sub === 'compare' ? COMPARE_USAGE : EVAL_USAGE;
}

function out(s: string): void {
  process.stdout.write(s.endsWith('\n') ? s : `${s}\n`);
}

async function runLabels(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  if (verb === 'export') {
    const spec = { command: 'vigil eval labels export', usage: EXPORT_USAGE };
    const { values } = parseCommandArgs({ ...spec, options: { video: { type: 'string' }, fps: { type: 'string' }, out: { type: 'string' }, start: { type: 'string' }, duration: { type: 'string' } } }, rest);
    if (!values.video || !values.out) {
      throw new UsageError(spec.command, '--video and --out are required', EXPORT_USAGE);
    }
    const rows = await exportFrames({
      video: values.video,
      fps: numberOption(spec, 'fps', values.fps, 0.001, 240),
      out: values.out,
      startS: values.start !== undefined ? numberOption(spec, 'start', values.start, 0, 1e7) : undefined,
      durationS: values.duration !== undefined ? numberOption(spec, 'duration', values.duration, 0.001, 1e7) : undefined,
    });
    out(`${rows.length} frames written to ${values.out} (frames.csv lists them)`);
    return 0;
  }
  if (verb === 'convert') {
    const spec = { command: 'vigil eval labels convert', usage: CONVERT_USAGE };
    const { values } = parseCommandArgs(
      {
        ...spec,
        options: { from: { type: 'string' }, in: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' }, frames: { type: 'string' }, video: { type: 'string' }, size: { type: 'string' }, task: { type: 'string' } },
      },
      rest,
    );
    if (!values.in || !values.out) {
      throw new UsageError(spec.command, '--in and --out are required', CONVERT_USAGE);
    }
    if (values.from !== 'cvat' && values.from !== 'label-studio') {
      throw new UsageError(spec.command, `--from must be cvat or label-studio (got ${values.from ?? 'nothing'})`, CONVERT_USAGE);
    }
    if (values.to !== 'coco' && values.to !== 'mot') {
      throw new UsageError(spec.command, `--to must be coco or mot (got ${values.to ?? 'nothing'})`, CONVERT_USAGE);
    }
    const text = readFileSync(values.in, 'utf8');
    let set: LabelSet;
    if (values.from === 'cvat') {
      const frameMap = values.frames ? parseFramesCsv(readFileSync(values.frames, 'utf8'), values.frames) : undefined;
      const r = parseCvatVideo(text, { source: values.in, frameMap });
      if (r.skipped > 0) {
        process.stderr.write(`${values.in}: ${r.skipped} shapes other than boxes skipped\n`);
      }
      set = r;
    } else {
      let size: { width: number; height: number } | undefined;
      if (values.size) {
        const m = /^(\d+)x(\d+)$/.exec(values.size);
        if (!m) {
          throw new UsageError(spec.command, `--size must be WIDTHxHEIGHT in pixels (got ${values.size})`, CONVERT_USAGE);
        }
        size = { width: Number(m[1]), height: Number(m[2]) };
      } else if (values.video) {
        size = await probeVideo(values.video);
      } else {
        throw new UsageError(spec.command, 'Label Studio keeps boxes in percent: give --video PATH or --size WxH', CONVERT_USAGE);
      }
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new TypeError(`${values.in}: not valid JSON (${(err as Error).message})`);
      }
      set = parseLabelStudioVideo(json, { source: values.in, ...size, task: values.task !== undefined ? numberOption(spec, 'task', values.task, 0, Number.MAX_SAFE_INTEGER, true) : undefined });
    }
    if (values.to === 'coco') {
      writeFileSync(values.out, `${JSON.stringify(toCocoJson(set), null, 1)}\n`);
    } else {
      const mot = toMotGt(set);
      writeFileSync(values.out, mot.text);
      if (mot.skipped > 0) {
        process.stderr.write(`${mot.skipped} boxes of labels other than person left out (MOTChallenge evaluates pedestrians)\n`);
      }
    }
    out(`${set.boxes.length} boxes of ${new Set(set.boxes.map((b) => b.track)).size} objects on ${set.frames.length} frames written to ${values.out}`);
    return 0;
  }
  throw new UsageError('vigil eval labels', verb === undefined ? 'missing command (export or convert)' : `unknown command "${verb}" (export or convert)`, `${EXPORT_USAGE}\n${CONVERT_USAGE}`);
}

async function runFiles(kind: 'mot' | 'coco', args: string[]): Promise<number> {
  const usage = kind === 'mot' ? MOT_USAGE : COCO_USAGE;
  const command = `vigil eval ${kind}`;
  const { values } = parseCommandArgs({ command, usage, options: { gt: { type: 'string' }, tracks: { type: 'string' }, dt: { type: 'string' }, json: { type: 'boolean', default: false } } }, args);
  const other = kind === 'mot' ? values.tracks : values.dt;
  if (!values.gt || !other) {
    throw new UsageError(command, kind === 'mot' ? '--gt and --tracks are required' : '--gt and --dt are required', usage);
  }
  if (kind === 'mot') {
    const r = evaluateMot(await readMotGt(values.gt), await readMotTracks(other));
    if (values.json) {
      out(JSON.stringify(r, null, 1));
    } else {
      const p = (v: number) => (v * 100).toFixed(3);
      out(`HOTA ${p(r.hota)} DetA ${p(r.deta)} AssA ${p(r.assa)} MOTA ${p(r.mota)} MOTP ${p(r.motp)} IDF1 ${p(r.idf1)}`);
      out(`IDSW ${r.idsw} Frag ${r.frag} MT ${r.mt} PT ${r.pt} ML ${r.ml} FP ${r.fp} FN ${r.fn} (frames ${r.numFrames}, gt ids ${r.numGtIds}, tracker ids ${r.numTrackerIds})`);
    }
  } else {
    const r = evaluateCoco(await readCocoGroundTruth(values.gt, { source: values.gt }), await readCocoDetections(other));
    if (values.json) {
      out(JSON.stringify(r, null, 1));
    } else {
      const names = ['AP @[.50:.95]', 'AP @.50', 'AP @.75', 'AP small', 'AP medium', 'AP large', 'AR @1', 'AR @10', 'AR @100', 'AR small', 'AR medium', 'AR large'];
      r.stats.forEach((v, i) => out(`${names[i].padEnd(14)} ${v.toFixed(3)}`));
    }
  }
  return 0;
}

type EvalValues = { [K in keyof typeof OPTIONS]?: string };

/** The evaluation's options from the command line (shared by eval and eval compare). */
function evalOptions(spec: { command: string; usage: string }, values: EvalValues, log: Logger): EvalOptions {
  if (!values.video) {
    throw new UsageError(spec.command, '--video is required', spec.usage);
  }
  const sweep = values.sweep !== undefined ? parseSweep(values.sweep) : undefined;
  const { config, file } = loadConfig(values.config);
  const camera = values.camera ?? config.cameras[0]?.id;
  if (!camera || !config.cameras.some((c) => c.id === camera)) {
    throw new TypeError(`--camera: the config has no camera "${camera ?? ''}"`);
  }
  return {
    config,
    configFile: file,
    video: values.video,
    camera,
    out: values.out ?? join(process.cwd(), `eval-${basename(values.video).replace(/\.[^.]+$/, '')}`),
    labels: values.labels,
    events: values.events,
    sweep,
    fps: values.fps !== undefined ? numberOption(spec, 'fps', values.fps, 0.1, 240) : undefined,
    startS: values.start !== undefined ? numberOption(spec, 'start', values.start, 0, 1e7) : undefined,
    durationS: values.duration !== undefined ? numberOption(spec, 'duration', values.duration, 0.001, 1e7) : undefined,
    maxFrames: values['max-frames'] !== undefined ? numberOption(spec, 'max-frames', values['max-frames'], 1, 1e9, true) : undefined,
    toleranceS: values.tolerance !== undefined ? numberOption(spec, 'tolerance', values.tolerance, 0, 3600) : undefined,
    budgetPerHour: values.budget !== undefined ? numberOption(spec, 'budget', values.budget, 0, 1e6) : undefined,
    log,
  };
}

async function runCompare(args: string[], log: Logger): Promise<number> {
  const spec = { command: 'vigil eval compare', usage: COMPARE_USAGE };
  const { values } = parseCommandArgs({ ...spec, options: { ...OPTIONS, models: { type: 'string' }, benchmarks: { type: 'string' } } }, args);
  const opts = evalOptions(spec, values, log);
  const models = (values.models ?? Object.keys(COMPARE_MODELS).join(',')).split(',').map((m) => m.trim()).filter(Boolean);
  const command = `vigil eval compare ${args.join(' ')}`;
  const rows = await compareModels({ ...opts, models, command });
  const md = compareMarkdown(rows, { command, machine: machine(), date: new Date().toISOString() });
  out(md);
  if (values.benchmarks) {
    writeBenchmarks(values.benchmarks, md);
    out(`written to ${values.benchmarks}`);
  }
  return 0;
}

/** `vigil eval ...`: exit 0 when done, 2 on bad usage or input, 1 on a failure. */
export async function run(args: string[], log: Logger): Promise<number> {
  try {
    if (args[0] === 'labels') {
      return await runLabels(args.slice(1));
    }
    if (args[0] === 'mot' || args[0] === 'coco') {
      return await runFiles(args[0], args.slice(1));
    }
    if (args[0] === 'compare') {
      return await runCompare(args.slice(1), log);
    }
    const spec = { command: 'vigil eval', usage: EVAL_USAGE };
    const { values } = parseCommandArgs({ ...spec, options: OPTIONS, subcommands: ['labels', 'mot', 'coco', 'compare'] }, args);
    const opts = evalOptions(spec, values, log);
    const outDir = opts.out;
    const report = await evaluate(opts);
    const d = report.detection?.result.overall;
    const q = report.alertQuality?.overall;
    const pct = (v: number | null | undefined) => (v === null || v === undefined || v < 0 ? '–' : `${(v * 100).toFixed(1)} %`);
    out(
      `eval: ${report.frames} frames, ${report.speed.endToEndFps.toFixed(1)} frames/s end to end on ${report.provider.toUpperCase()}, ${report.alerts.length} alerts` +
        (d ? `; AP ${pct(d.ap)}, AP50 ${pct(d.ap50)}` : '') +
        (report.tracking ? `; MOTA ${pct(report.tracking.result.mota)}, IDF1 ${pct(report.tracking.result.idf1)}, HOTA ${pct(report.tracking.result.hota)}` : '') +
        (q ? `; alerts precision ${pct(q.precision)}, recall ${pct(q.recall)}` : ''),
    );
    out(`report: ${join(outDir, 'report.md')}`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${formatUsageError(err)}\n`);
      return 2;
    }
    if (err instanceof TypeError || (err instanceof Error && (err as NodeJS.ErrnoException).code === 'ENOENT')) {
      process.stderr.write(`vigil eval: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}
