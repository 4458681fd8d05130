/**
 * The threshold sweep of `vigil eval --sweep score=LO:HI:STEP`: the clip is detected once at the lowest value; each
 * setting filters those boxes and re-runs the tracker and rules, and its alerts are judged against the labelled
 * events. Filtering after NMS gives the boxes a run at that threshold would give (a box is only ever suppressed by
 * a higher-scoring one, which passes every threshold the box passes).
 */
import type { VigilConfig } from '../config/schema';
import { alertQuality, type EventLabels } from './alert-quality';
import type { DetectedClip } from './clip';
import { keepAt, runRules } from './rules-run';

/** A parsed sweep: the parameter (`score`: the detector's score threshold; `faces`: faces.threshold, the largest match distance) and its values, ascending. */
export interface SweepSpec {
  param: 'score' | 'faces';
  values: number[];
}

/** One setting's outcome. */
export interface SweepPoint {
  value: number;
  /** Alerts of the labelled rules (of every rule when nothing is labelled). */
  alerts: number;
  truePositives: number;
  falseAlarms: number;
  missed: number;
  precision: number | null;
  recall: number | null;
  falseAlarmsPerHour: number | null;
  /** Per labelled rule: precision and recall. */
  rules: Array<{ rule: string; alerts: number; truePositives: number; precision: number | null; recall: number | null }>;
}

/** Parses `score=0.2:0.8:0.05` (LO:HI:STEP, inclusive), `score=0.3,0.5,0.7` or `faces=...`. Throws TypeError naming the problem. */
export function parseSweep(spec: string): SweepSpec {
  const m = /^([a-z.]+)=(.+)$/i.exec(spec.trim());
  if (!m) {
    throw new TypeError(`--sweep: expected score=LO:HI:STEP or score=V1,V2,... (got "${spec}")`);
  }
  const [, param, range] = m;
  if (param !== 'score' && param !== 'faces') {
    throw new TypeError(`--sweep: unknown parameter "${param}" (score=... varies the detector score threshold, faces=... faces.threshold)`);
  }
  let values: number[];
  if (range.includes(':')) {
    const parts = range.split(':').map(Number);
    if (parts.length !== 3 || parts.some((v) => !Number.isFinite(v))) {
      throw new TypeError(`--sweep: ${param}=LO:HI:STEP takes three numbers (got "${range}")`);
    }
    const [lo, hi, step] = parts;
    if (!(step > 0) || hi < lo) {
      throw new TypeError(`--sweep: need LO <= HI and STEP > 0 (got "${range}")`);
    }
    const n = Math.floor((hi - lo) / step + 1e-9);
    if (n > 200) {
      throw new TypeError(`--sweep: ${n + 1} values is too many (at most 201)`);
    }
    values = Array.from({ length: n + 1 }, (_, i) => Math.round((lo + i * step) * 1e6) / 1e6);
  } else {
    values = range.split(',').map((s) => Number(s.trim()));
    if (values.some((v) => !Number.isFinite(v))) {
      throw new TypeError(`--sweep: values must be numbers (got "${range}")`);
    }
  }
  const max = param === 'score' ? 1 : 2;
  if (values.some((v) => v < 0 || v > max)) {
    throw new TypeError(param === 'score' ? '--sweep: score thresholds lie in [0, 1]' : '--sweep: faces.threshold (a descriptor distance) lies in [0, 2]');
  }
  return { param, values: [...new Set(values)].sort((a, b) => a - b) };
}

/**
 * Runs the tracker and rules once per setting and judges each against `labels` (see the module comment). `faces`
 * sweeps faces.threshold instead (boxes at the configured score threshold; the clip's faces were matched at the
 * loosest value, and a match at the setting's distance or more counts as none).
 */
export function sweepScores(
  config: VigilConfig,
  clip: DetectedClip,
  values: readonly number[],
  labels: EventLabels,
  toleranceS?: number,
  param: SweepSpec['param'] = 'score',
): SweepPoint[] {
  return values.map((value) => {
    const run =
      param === 'score'
        ? runRules(config, clip, keepAt(config, value), { tracks: false })
        : runRules(config, clip, keepAt(config, config.models.detector.scoreThreshold), { tracks: false, faceThreshold: value });
    const q = alertQuality(run.alerts, labels, { toleranceS, durationS: clip.durationS });
    const judged = labels.rules.length > 0 || labels.events.length > 0;
    return {
      value,
      alerts: judged ? q.overall.alerts : run.alerts.length,
      truePositives: q.overall.truePositives,
      falseAlarms: q.overall.falseAlarms,
      missed: q.overall.missed,
      precision: q.overall.precision,
      recall: q.overall.recall,
      falseAlarmsPerHour: judged ? q.overall.falseAlarmsPerHour : null,
      rules: q.rules
        .filter((r) => r.labelled)
        .map((r) => ({ rule: r.rule, alerts: r.alerts, truePositives: r.truePositives, precision: r.precision, recall: r.recall })),
    };
  });
}
