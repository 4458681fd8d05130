/**
 * Pure: the `vigil eval` report, as JSON-able data and as Markdown. Every number the report shows is in the JSON;
 * the Markdown is a reading of it (tables, the charts by file name, one line on how each metric is defined).
 */
import type { AlertQuality, RaisedAlert } from './alert-quality';
import type { CocoEvalResult, MotEvalResult } from './metrics/types';
import type { SweepPoint } from './sweep';

/** One stage's speed. */
export interface StageSpeed {
  stage: string;
  msPerFrame: number | null;
  fps: number | null;
  note: string;
}

/** The whole report. */
export interface EvalReport {
  version: 1;
  createdAt: string;
  video: string;
  config: string;
  camera: string;
  model: string;
  family: string;
  provider: string;
  videoSize: [number, number];
  videoFps: number;
  /** Frames per second of the run and the frame size the detector was fed. */
  fps: number;
  frameSize: [number, number];
  startS: number;
  durationS: number;
  frames: number;
  /** The configured score threshold (the run's tracks and alerts), and the floor the detection pass kept. */
  scoreThreshold: number;
  scoreFloor: number;
  speed: { endToEndFps: number; wallS: number; stages: StageSpeed[] };
  alerts: RaisedAlert[];
  alertQuality?: AlertQuality;
  /** Labelled events outside the span the run covered (not judged). */
  eventsOutside?: number;
  sweep?: { param: 'score' | 'faces'; configured: number; points: SweepPoint[]; recommended?: { value: number; why: string } };
  detection?: { labels: string; frames: number; unreached: number[]; result: CocoEvalResult };
  tracking?: { labels: string; frames: number; result: MotEvalResult };
  /** Files written next to the report. */
  files: string[];
}

const pct = (v: number | null | undefined) => (v === null || v === undefined || v < 0 ? '–' : `${(v * 100).toFixed(1)}`);
/** MOTA can be below zero (more errors than labelled boxes): shown signed. */
const signed = (v: number | null | undefined) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(v * 100).toFixed(1)}`);
const num = (v: number | null | undefined, d = 2) => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(d));

/** A Markdown table; numbers right-aligned, the first column and columns named in `left` left-aligned. */
function table(head: string[], rows: Array<Array<string | number>>, left: string[] = []): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map((h, i) => (i === 0 || left.includes(h) ? '---' : '---:'))), ...rows.map(line)].join('\n');
}

/**
 * The setting a user on a false-alarm budget would pick: the highest recall with at most `budgetPerHour` false
 * alarms per camera-hour (ties: the higher precision, then the higher threshold); undefined when none meets it.
 */
export function recommend(points: readonly SweepPoint[], budgetPerHour: number): { value: number; why: string } | undefined {
  const ok = points.filter((p) => p.recall !== null && (p.falseAlarmsPerHour ?? Infinity) <= budgetPerHour);
  if (ok.length === 0) {
    return undefined;
  }
  ok.sort((a, b) => b.recall! - a.recall! || (b.precision ?? 0) - (a.precision ?? 0) || b.value - a.value);
  const p = ok[0];
  return {
    value: p.value,
    why: `highest recall (${pct(p.recall)} %) with at most ${budgetPerHour} false alarms per camera-hour (${num(p.falseAlarmsPerHour, 1)})`,
  };
}

/** The report as Markdown. */
export function renderMarkdown(r: EvalReport): string {
  const out: string[] = [];
  const has = (f: string) => r.files.includes(f);
  out.push(`# vigil eval: ${r.camera} on ${r.video.split('/').pop()}`, '');
  out.push(
    `${r.frames} frames (${r.durationS.toFixed(1)} s of video from ${r.startS.toFixed(1)} s, ${num(r.fps, 1)} frames/s, ` +
      `${r.frameSize[0]}x${r.frameSize[1]} to the detector; video ${r.videoSize[0]}x${r.videoSize[1]} at ${num(r.videoFps, 2)} frames/s). ` +
      `Model \`${r.model}\` (${r.family}) on ${r.provider.toUpperCase()}; score threshold ${r.scoreThreshold} (boxes kept down to ${r.scoreFloor} for AP and the sweep). ` +
      `Config \`${r.config}\`. ${r.createdAt}.`,
    '',
  );
  out.push('## Speed', '');
  out.push(`End to end: **${num(r.speed.endToEndFps, 1)} frames/s** (${r.frames} frames in ${num(r.speed.wallS, 1)} s, every frame, none dropped).`, '');
  out.push(table(['stage', 'ms/frame', 'frames/s', 'what'], r.speed.stages.map((s) => [s.stage, num(s.msPerFrame), num(s.fps, 1), s.note]), ['what']), '');

  if (r.detection) {
    const d = r.detection.result;
    out.push('## Detection', '');
    out.push(
      `Against \`${r.detection.labels}\`: ${r.detection.frames} labelled frames reached${r.detection.unreached.length ? `, ${r.detection.unreached.length} labelled frames not in the run (outside the segment or between sampled frames)` : ''}. ` +
        'AP is COCO\'s (101-point interpolated precision, averaged over IoU 0.50:0.05:0.95; AP50/AP75 at one IoU); AR@N is the recall with at most N detections per frame; S/M/L: boxes under 32², up to 96², above 96² pixels. – means no labelled box in that range.',
      '',
    );
    const row = (name: string, s: CocoEvalResult['overall'], n: number | string) => [name, n, pct(s.ap), pct(s.ap50), pct(s.ap75), pct(s.apSmall), pct(s.apMedium), pct(s.apLarge), pct(s.ar1), pct(s.ar10), pct(s.ar100)];
    out.push(
      table(
        ['class', 'boxes', 'AP', 'AP50', 'AP75', 'AP S', 'AP M', 'AP L', 'AR@1', 'AR@10', 'AR@100'],
        [row('**all**', d.overall, d.perClass.reduce((x, c) => x + c.numGt, 0)), ...d.perClass.map((c) => row(c.name, c, c.numGt))],
      ),
      '',
    );
    if (has('pr-curves.png')) {
      out.push('![precision-recall per class](pr-curves.png)', '');
    }
  }

  if (r.tracking) {
    const t = r.tracking.result;
    out.push('## Tracking', '');
    out.push(
      `Against \`${r.tracking.labels}\` (${r.tracking.frames} labelled frames; MOTChallenge conventions: IoU ≥ 0.5, pedestrians only, distractors and zero-marked boxes ignored). ` +
        'MOTA = 1 − (misses + false positives + ID switches) / labelled boxes; MOTP = mean IoU of matched pairs; IDF1 = F1 of boxes carrying the right identity; ' +
        'HOTA = √(DetA·AssA), averaged over IoU 0.05..0.95; MT/PT/ML: labelled people tracked ≥ 80 %, in between, < 20 % of their frames.',
      '',
    );
    out.push(
      table(
        ['MOTA', 'MOTP', 'IDF1', 'HOTA', 'DetA', 'AssA', 'IDsw', 'Frag', 'MT', 'PT', 'ML', 'FP', 'FN', 'recall', 'precision'],
        [[signed(t.mota), pct(t.motp), pct(t.idf1), pct(t.hota), pct(t.deta), pct(t.assa), t.idsw, t.frag, t.mt, t.pt, t.ml, t.fp, t.fn, pct(t.recall), pct(t.precision)]],
      ),
      '',
    );
  }

  out.push('## Alerts', '');
  const q = r.alertQuality;
  if (q) {
    out.push(
      `Each alert is matched to at most one labelled event of its rule (and direction / object class when labelled) within ±${q.toleranceS} s, one-to-one, ` +
        'the most pairs first, then the smallest offsets. Precision = true alerts / alerts; recall = matched events / events; offset = alert time − event time (positive: late).' +
        (r.eventsOutside ? ` ${r.eventsOutside} labelled events outside the run's span (${r.startS.toFixed(1)}–${(r.startS + r.durationS).toFixed(1)} s) are not judged.` : ''),
      '',
    );
    out.push(
      table(
        ['rule', 'events', 'alerts', 'true', 'missed', 'false alarms', 'precision %', 'recall %', 'false alarms / camera-hour', 'offset median s', 'offset 90th pct. (abs.) s'],
        [
          ...q.rules.map((x) =>
            x.labelled
              ? [x.rule, x.events, x.alerts, x.truePositives, x.missed, x.falseAlarms, pct(x.precision), pct(x.recall), num(x.falseAlarmsPerHour, 1), num(x.offsets.median), num(x.offsets.p90Abs)]
              : [`${x.rule} (not labelled)`, '–', x.alerts, '–', '–', '–', '–', '–', '–', '–', '–'],
          ),
          ['**all labelled**', q.overall.events, q.overall.alerts, q.overall.truePositives, q.overall.missed, q.overall.falseAlarms, pct(q.overall.precision), pct(q.overall.recall), num(q.overall.falseAlarmsPerHour, 1), num(q.overall.offsets.median), num(q.overall.offsets.p90Abs)],
        ],
      ),
      '',
    );
    if (has('alert-offsets.png')) {
      out.push('![alert time offsets](alert-offsets.png)', '');
    }
  } else {
    out.push(`${r.alerts.length} alerts (no --events file: not judged).`, '');
  }
  if (r.alerts.length > 0) {
    const byRule = new Map<string, number>();
    r.alerts.forEach((a) => byRule.set(a.rule, (byRule.get(a.rule) ?? 0) + 1));
    out.push(`Alerts raised: ${[...byRule].map(([k, v]) => `${k} ${v}`).join(', ')} (every alert with its time: report.json, alerts.json).`, '');
  }

  if (r.sweep) {
    out.push('## Threshold sweep', '');
    const faces = r.sweep.param === 'faces';
    out.push(
      faces
        ? 'The clip was detected once, faces matched at the loosest setting; each setting counts a match only below its distance and runs the tracker and rules again.'
        : `The clip was detected once (boxes down to ${r.scoreFloor}); each setting keeps the boxes scoring at least the threshold and runs the tracker and rules again.`,
      '',
    );
    out.push(
      table(
        [faces ? 'faces.threshold' : 'score threshold', 'alerts', 'true', 'false alarms', 'missed', 'precision %', 'recall %', 'false alarms / camera-hour'],
        r.sweep.points.map((p) => [p.value === r.sweep!.configured ? `**${p.value}** (config)` : p.value, p.alerts, p.truePositives, p.falseAlarms, p.missed, pct(p.precision), pct(p.recall), num(p.falseAlarmsPerHour, 1)]),
      ),
      '',
    );
    if (r.sweep.recommended) {
      out.push(`Suggested setting: **${r.sweep.recommended.value}**: ${r.sweep.recommended.why} (docs/eval.md "Tuning a camera").`, '');
    }
    if (has('sweep.png')) {
      out.push(`![alert precision and recall against ${faces ? 'faces.threshold' : 'the score threshold'}](sweep.png)`, '');
    }
  }
  out.push('## Files', '', r.files.map((f) => `- \`${f}\``).join('\n'), '');
  return out.join('\n');
}
