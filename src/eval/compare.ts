/**
 * `vigil eval compare`: the same clip, labels and rules judged with several detector models, one after the other,
 * in one table of accuracy (AP, tracking, alerts) and speed; optionally written into BENCHMARKS.md between
 * `<!-- vigil-eval:start -->` and `<!-- vigil-eval:end -->`. Models Vigil builds itself (DetectNet_v2 ResNet18,
 * untrained) are built into a temporary folder when the models folder lacks them.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { VigilConfig } from '../config/schema';
import { buildModels } from '../models/build';
import type { EvalReport } from './report';
import { evaluate, type EvalOptions } from './run';

/** The models `compare` knows: family, file, and whether Vigil builds it (seeded, untrained weights). */
export const COMPARE_MODELS: Record<string, { family: 'yolox' | 'fastestdet' | 'detectnet_v2'; file: string; name: string; built?: boolean }> = {
  yolox: { family: 'yolox', file: 'yolox_nano.onnx', name: 'YOLOX-nano' },
  fastestdet: { family: 'fastestdet', file: 'fastestdet.onnx', name: 'FastestDet' },
  'detectnet_v2-640': { family: 'detectnet_v2', file: 'detectnet_resnet18_640x384.onnx', name: 'DetectNet_v2 ResNet18 640×384 (untrained)', built: true },
  'detectnet_v2-960': { family: 'detectnet_v2', file: 'detectnet_resnet18_960x544.onnx', name: 'DetectNet_v2 ResNet18 960×544 (untrained)', built: true },
};

/** One model's line of the comparison. */
export interface CompareRow {
  model: string;
  name: string;
  report: EvalReport;
}

/** Options: those of one evaluation, less the config's detector and the output folder, which compare sets. */
export interface CompareOptions extends Omit<EvalOptions, 'out' | 'config'> {
  config: VigilConfig;
  models: string[];
  out: string;
  /** The command line as typed, for the table's caption. */
  command: string;
}

/** Runs the evaluation once per model (see the module comment). */
export async function compareModels(o: CompareOptions): Promise<CompareRow[]> {
  const unknown = o.models.filter((m) => !(m in COMPARE_MODELS));
  if (unknown.length > 0) {
    throw new TypeError(`--models: unknown model ${unknown.join(', ')} (known: ${Object.keys(COMPARE_MODELS).join(', ')})`);
  }
  let built: string | undefined;
  const rows: CompareRow[] = [];
  try {
    for (const m of o.models) {
      const spec = COMPARE_MODELS[m];
      let dir = o.config.models.dir;
      if (spec.built && !existsSync(join(dir, spec.file))) {
        built ??= mkdtempSync(join(tmpdir(), 'vigil-eval-models-'));
        await buildModels(built, o.log, { only: [spec.file] });
        dir = built;
      }
      // Label names belong to a model: the family's own are used; the class filter and thresholds stay.
      const { labels: _labels, ...detector } = o.config.models.detector;
      void _labels;
      const config: VigilConfig = { ...o.config, models: { ...o.config.models, dir, detector: { ...detector, family: spec.family, file: spec.file } } };
      o.log.info({ model: m }, 'eval compare: evaluating');
      const report = await evaluate({ ...o, config, out: join(o.out, m) });
      rows.push({ model: m, name: spec.name, report });
    }
  } finally {
    if (built) {
      rmSync(built, { recursive: true, force: true });
    }
  }
  return rows;
}

const pct = (v: number | null | undefined) => (v === null || v === undefined || v < 0 ? '–' : (v * 100).toFixed(1));
/** MOTA can be below zero: shown signed. */
const signed = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : (v * 100).toFixed(1));

/** Pure: the comparison as Markdown (a caption with the command and machine, then one row per model). */
export function compareMarkdown(rows: readonly CompareRow[], o: { command: string; machine: string; date: string }): string {
  const r0 = rows[0]?.report;
  const head = ['model', 'AP', 'AP50', 'AR@100', 'MOTA', 'IDF1', 'HOTA', 'alert precision', 'alert recall', 'inference ms/frame', 'detect frames/s', 'end to end frames/s'];
  const lines = rows.map(({ name, report: r }) => {
    const d = r.detection?.result.overall;
    const t = r.tracking?.result;
    const q = r.alertQuality?.overall;
    const st = (s: string) => r.speed.stages.find((x) => x.stage === s);
    return [
      name,
      pct(d?.ap),
      pct(d?.ap50),
      pct(d?.ar100),
      signed(t?.mota),
      pct(t?.idf1),
      pct(t?.hota),
      pct(q?.precision),
      pct(q?.recall),
      st('inference')?.msPerFrame?.toFixed(1) ?? '–',
      st('detect (all)')?.fps?.toFixed(1) ?? '–',
      r.speed.endToEndFps.toFixed(1),
    ];
  });
  const caption = r0
    ? `${r0.frames} frames of \`${r0.video.split('/').pop()}\` (${r0.startS}–${(r0.startS + r0.durationS).toFixed(1)} s, ${r0.fps} frames/s, ${r0.frameSize[0]}x${r0.frameSize[1]} to the detector), ` +
      `${r0.detection ? `${r0.detection.result.perClass.reduce((x, c) => x + c.numGt, 0)} labelled boxes on ${r0.detection.frames} frames` : 'no box labels'}, ` +
      `${r0.alertQuality ? `${r0.alertQuality.overall.events} labelled events` : 'no events'}; score threshold ${r0.scoreThreshold}, execution provider ${r0.provider.toUpperCase()}.`
    : '';
  return [
    `Command: \`${o.command}\` (${o.date}; ${o.machine}).`,
    '',
    caption,
    'AP/AR: COCO (IoU .50:.95, 101-point), percent; MOTA/IDF1/HOTA: MOTChallenge conventions; alert precision/recall within ±' +
      `${r0?.alertQuality?.toleranceS ?? 1.5} s (docs/eval.md). Speed is this run's: inference = onnxruntime alone, detect = one frame through the detector with its hand-offs, end to end = decode + detect + track + rules, every frame.`,
    '',
    `| ${head.join(' | ')} |`,
    `| ${head.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
    '',
  ].join('\n');
}

/** The machine in words: cores, CPU model, load average now. */
export function machine(): string {
  const model = cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `${availableParallelism()} cores (${model}), load average ${loadavg()[0].toFixed(1)} at the end of the run`;
}

/** Writes `section` between the vigil-eval markers of `file` (appending a titled section when they are absent). */
export function writeBenchmarks(file: string, section: string): void {
  const start = '<!-- vigil-eval:start -->';
  const end = '<!-- vigil-eval:end -->';
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const block = `${start}\n${section}${end}`;
  const i = text.indexOf(start);
  const j = text.indexOf(end);
  const next =
    i >= 0 && j > i
      ? `${text.slice(0, i)}${block}${text.slice(j + end.length)}`
      : `${text.trimEnd()}\n\n## Detector models on the vtest label set (vigil eval compare)\n\n${block}\n`;
  writeFileSync(file, next);
}
