/**
 * `vigil eval`'s run: one detection pass over the clip, the decision pass at the configured threshold (tracks and
 * alerts), the sweep, the metrics against the labels given, and the report's files (report.md, report.json,
 * detections.json in COCO results form, tracks.txt in MOTChallenge form, alerts.json, PNG charts).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Context } from '../config/context';
import type { VigilConfig } from '../config/schema';
import { createFaceStage, type FaceStage } from '../faces';
import { CamerasInEffect } from '../config/cameras-in-effect';
import type { Logger } from '../core/logger';
import { cocoDetections, cocoGroundTruth, motGtOn, motTracker, type BoxLabels } from './accuracy';
import { alertQuality, parseEvents, type EventLabels } from './alert-quality';
import { histogramSvg, lineChartSvg, writePng, type Series } from './charts';
import { detectClip, type DetectedClip } from './clip';
import { readCocoGroundTruth } from './formats/coco';
import { readMotGt } from './formats/mot';
import { evaluateCoco } from './metrics/coco';
import { evaluateMot } from './metrics/mot';
import { recommend, renderMarkdown, type EvalReport, type StageSpeed } from './report';
import { keepAt, motLines, runRules } from './rules-run';
import { sweepScores, type SweepSpec } from './sweep';

/** Options of {@link evaluate}. */
export interface EvalOptions {
  config: VigilConfig;
  configFile: string;
  video: string;
  camera: string;
  out: string;
  labels?: string;
  events?: string;
  sweep?: SweepSpec;
  fps?: number;
  startS?: number;
  durationS?: number;
  maxFrames?: number;
  toleranceS?: number;
  /** False-alarm budget per camera-hour for the sweep's suggestion. @defaultValue 1 */
  budgetPerHour?: number;
  log: Logger;
}

/** Lowest score the AP computation keeps (COCO evaluations keep nearly all boxes; a floor bounds NMS work). */
export const AP_SCORE_FLOOR = 0.05;

/** Reads box labels: `.json` COCO ground truth, anything else MOTChallenge gt.txt. */
export async function readBoxLabels(file: string): Promise<BoxLabels> {
  return file.toLowerCase().endsWith('.json') ? { kind: 'coco', gt: await readCocoGroundTruth(file, { source: file }) } : { kind: 'mot', rows: await readMotGt(file) };
}

/** Reads an events file (JSON or CSV). */
export function readEvents(file: string): EventLabels {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TypeError(`${file}: cannot read the events file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  return parseEvents(text, file);
}

function speedOf(clip: DetectedClip, trackMs: number): EvalReport['speed'] {
  const n = clip.frames.length;
  const t = clip.timing;
  const st = (stage: string, ms: number | null, note: string): StageSpeed => ({ stage, msPerFrame: ms === null ? null : ms / n, fps: ms === null || ms <= 0 ? null : (1000 * n) / ms, note });
  const stages = [
    st('decode', t.decodeCpuMs, 'FFmpeg CPU time (decode, fps filter, scale to the detector\'s frame size)'),
    st('preprocess', t.preMs, 'letterbox/resize and tensor fill (inference worker)'),
    st('inference', t.inferMs, `onnxruntime-node on ${clip.provider.toUpperCase()}`),
    st('postprocess', t.postMs, 'decode boxes, thresholds, NMS'),
    st('detect (all)', t.detectMs, 'one frame through the detector, hand-offs included'),
    ...(t.facesMs !== undefined ? [st('faces', t.facesMs, 'face detection, landmarks, embedding and watchlist match')] : []),
    st('track + rules', trackMs, 'ByteTrack, rules and alert lifecycle (CameraEngine)'),
  ];
  const wallS = (t.wallMs + trackMs) / 1000;
  // (The face stage's time is inside wallMs: it runs in the detection pass.)
  return { endToEndFps: n / wallS, wallS, stages };
}

/** Runs the whole evaluation and writes the report into `o.out`; returns the report. */
export async function evaluate(o: EvalOptions): Promise<EvalReport> {
  // Inputs first: a bad labels or events file fails before minutes of detection.
  const labels = o.labels !== undefined ? await readBoxLabels(o.labels) : undefined;
  const events = o.events !== undefined ? readEvents(o.events) : undefined;
  const threshold = o.config.models.detector.scoreThreshold;
  const floor = Math.min(threshold, o.sweep?.param === 'score' ? o.sweep.values[0] : threshold, labels ? AP_SCORE_FLOOR : threshold);
  mkdirSync(o.out, { recursive: true });
  o.log.debug({ video: o.video, camera: o.camera, floor }, 'eval: detecting every frame');
  const quiet = o.log.child({}, { level: o.log.levelVal > 40 ? o.log.level : 'warn' });
  const faces = await openFaceStage(o, quiet);
  let clip: DetectedClip;
  try {
    clip = await detectClip(o.config, o.video, { camera: o.camera, fps: o.fps, startS: o.startS, durationS: o.durationS, maxFrames: o.maxFrames, scoreFloor: floor, faces: faces?.stage, log: quiet });
  } finally {
    await faces?.close();
  }
  const run = runRules(o.config, clip, keepAt(o.config, threshold));
  const files: string[] = ['report.md', 'report.json', 'alerts.json', 'tracks.txt', 'detections.json'];
  const report: EvalReport = {
    version: 1,
    createdAt: new Date().toISOString(),
    video: o.video,
    config: o.configFile,
    camera: o.camera,
    model: clip.model,
    family: o.config.models.detector.family,
    provider: clip.provider,
    videoSize: [clip.videoWidth, clip.videoHeight],
    videoFps: clip.videoFps,
    fps: clip.fps,
    frameSize: [clip.width, clip.height],
    startS: clip.startS,
    durationS: clip.durationS,
    frames: clip.frames.length,
    scoreThreshold: threshold,
    scoreFloor: clip.scoreFloor,
    speed: speedOf(clip, run.ms),
    alerts: run.alerts,
    files,
  };
  // Only the events inside the span the run covered are judged (a segment of a labelled clip).
  const end = clip.startS + clip.durationS;
  const inSpan = events ? { rules: events.rules, events: events.events.filter((e) => e.t >= clip.startS && e.t <= end) } : undefined;
  if (events && inSpan) {
    report.alertQuality = alertQuality(run.alerts, inSpan, { toleranceS: o.toleranceS, durationS: clip.durationS });
    report.eventsOutside = events.events.length - inSpan.events.length;
  }
  if (o.sweep) {
    const points = sweepScores(o.config, clip, o.sweep.values, inSpan ?? { rules: [], events: [] }, o.toleranceS, o.sweep.param);
    const configured = o.sweep.param === 'faces' ? o.config.faces.threshold : threshold;
    report.sweep = { param: o.sweep.param, configured, points, ...(events ? { recommended: recommend(points, o.budgetPerHour ?? 1) } : {}) };
    if (report.sweep.recommended === undefined) {
      delete report.sweep.recommended;
    }
  }
  const video = { width: clip.videoWidth, height: clip.videoHeight };
  if (labels) {
    const gt = cocoGroundTruth(labels, video);
    const { dt, unreached } = cocoDetections(gt, clip.frames, video);
    const reached = gt.images.filter((im) => !unreached.includes(im.frame));
    if (reached.length === 0) {
      throw new TypeError(`${o.labels}: none of its ${gt.images.length} labelled frames is in the run (check the frame numbers, --start, --duration)`);
    }
    report.detection = {
      labels: o.labels!,
      frames: reached.length,
      unreached,
      result: evaluateCoco(gt, dt, { imageIds: reached.map((im) => im.id) }),
    };
    if (labels.kind === 'mot') {
      const frames = new Set(reached.map((im) => im.frame));
      report.tracking = { labels: o.labels!, frames: frames.size, result: evaluateMot(motGtOn(labels.rows, frames), motTracker(run.tracks, frames)) };
    }
  }
  writeFileSync(join(o.out, 'alerts.json'), `${JSON.stringify(run.raw, null, 1)}\n`);
  writeFileSync(join(o.out, 'tracks.txt'), motLines(run.tracks));
  writeFileSync(join(o.out, 'detections.json'), detectionsJson(clip));
  await writeCharts(report, o.out);
  writeFileSync(join(o.out, 'report.json'), `${JSON.stringify(report, null, 1)}\n`);
  writeFileSync(join(o.out, 'report.md'), renderMarkdown(report));
  return report;
}

/**
 * The face stage for a camera with faces enabled and face rules: the daemon's own (models, watchlist from Redis),
 * matching at the loosest faces.threshold a sweep needs (the decision pass applies each setting), storing nothing.
 */
async function openFaceStage(o: EvalOptions, log: Logger): Promise<{ stage: FaceStage; close(): Promise<void> } | undefined> {
  const cam = o.config.cameras.find((c) => c.id === o.camera);
  const faceRules = o.config.rules.some((r) => (r.type === 'face_match' || r.type === 'face_unknown') && r.enabled && (r.camera === undefined || r.camera === o.camera));
  if (!cam?.faces.enabled || !faceRules) {
    return undefined;
  }
  const loosest = Math.max(o.config.faces.threshold, ...(o.sweep?.param === 'faces' ? o.sweep.values : []));
  const config: VigilConfig = { ...o.config, cameras: [cam], faces: { ...o.config.faces, threshold: loosest, storeUnknown: false } };
  const ctx = new Context(config, log, new Set(), { defaultMetrics: false });
  try {
    // Offline: the camera as given (no API overrides to follow).
    const stage = await createFaceStage(ctx, new CamerasInEffect(ctx, 'eval'));
    if (!stage) {
      await ctx.closeConnections();
      return undefined;
    }
    return { stage, close: async () => {
      await stage.stop();
      await ctx.closeConnections();
    } };
  } catch (err) {
    await ctx.closeConnections();
    throw err;
  }
}

/** Every detection of the pass as a COCO results list (image_id = 1-based video frame, category by name, video pixels). */
function detectionsJson(clip: DetectedClip): string {
  const W = clip.videoWidth;
  const H = clip.videoHeight;
  const r = (v: number) => Math.round(v * 100) / 100;
  const rows = clip.frames.flatMap((f) =>
    f.detections.map((d) => JSON.stringify({ image_id: f.videoFrame + 1, category: d.label, bbox: [r(d.box[0] * W), r(d.box[1] * H), r((d.box[2] - d.box[0]) * W), r((d.box[3] - d.box[1]) * H)], score: d.score })),
  );
  return `[\n${rows.join(',\n')}\n]\n`;
}

/** Draws the report's charts (those its data allows) and lists them in `report.files`. */
async function writeCharts(r: EvalReport, dir: string): Promise<void> {
  if (r.detection) {
    const series: Series[] = [];
    for (const c of r.detection.result.perClass) {
      for (const curve of c.pr.filter((p) => p.iouThreshold === 0.5 || p.iouThreshold === 0.75)) {
        const pts = curve.recall.map((x, i) => [x, curve.precision[i]] as [number, number]).filter(([, y]) => y >= 0);
        // Past the highest recall reached the precision is 0: the curve ends where recall ends.
        const last = pts.reduce((k, p, i) => (p[1] > 0 ? i : k), -1);
        series.push({ name: `${c.name} IoU ${curve.iouThreshold} (AP ${(curve.iouThreshold === 0.5 ? c.ap50 : c.ap75) >= 0 ? ((curve.iouThreshold === 0.5 ? c.ap50 : c.ap75) * 100).toFixed(1) : '–'})`, points: pts.slice(0, last + 1), markers: false, dashed: curve.iouThreshold !== 0.5 });
      }
    }
    await writePng(lineChartSvg({ title: 'Precision-recall per class', xLabel: 'recall', yLabel: 'precision', series, y: [0, 1.04] }), join(dir, 'pr-curves.png'));
    r.files.push('pr-curves.png');
  }
  if (r.sweep && r.alertQuality) {
    const pts = r.sweep.points;
    const of = (f: (p: (typeof pts)[number]) => number | null) => pts.filter((p) => f(p) !== null).map((p) => [p.value, f(p)!] as [number, number]);
    const xs = pts.map((p) => p.value);
    const lo = Math.max(0, Math.floor(Math.min(...xs) * 10) / 10);
    const hi = Math.min(r.sweep.param === 'faces' ? 2 : 1, Math.ceil(Math.max(...xs) * 10) / 10);
    await writePng(
      lineChartSvg({
        title: r.sweep.param === 'faces' ? 'Alert precision and recall against faces.threshold' : 'Alert precision and recall against the score threshold',
        xLabel: r.sweep.param === 'faces' ? 'faces.threshold (largest descriptor distance of a match)' : 'detector score threshold',
        yLabel: 'precision / recall',
        x: [lo, hi > lo ? hi : lo + 0.1],
        y: [0, 1.04],
        series: [{ name: 'precision', points: of((p) => p.precision) }, { name: 'recall', points: of((p) => p.recall) }],
        marker: { x: r.sweep.configured, label: `config ${r.sweep.configured}` },
      }),
      join(dir, 'sweep.png'),
    );
    r.files.push('sweep.png');
  }
  if (r.alertQuality) {
    const tol = r.alertQuality.toleranceS;
    const offsets = r.alertQuality.rules.flatMap((x) => x.matches.map((m) => m.offset));
    await writePng(
      histogramSvg({ title: `Alert time offsets (${offsets.length} matched alerts)`, xLabel: 'alert time − labelled event time (s)', values: offsets, range: [-tol, tol], bin: tol / 6 }),
      join(dir, 'alert-offsets.png'),
    );
    r.files.push('alert-offsets.png');
  }
}
