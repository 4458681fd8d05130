/**
 * Pure: alert quality against labelled events (docs/eval.md "Alert quality"). Each alert is matched to at most one
 * labelled event of the same rule (and direction / object class when the event names them) within a time tolerance,
 * one-to-one; among the matchings with the most pairs, the one with the smallest total |offset| is taken (an optimal
 * assignment per cluster of nearby items, not a greedy pass that can pair the wrong neighbours).
 */
import { linearSumAssignment, matrix } from './metrics/assignment';

/** One labelled event: what should raise an alert, `t` seconds from the clip's start. */
export interface LabelledEvent {
  rule: string;
  t: number;
  /** e.g. `a_to_b` / `b_to_a` for line rules; when set, only an alert with that direction matches. */
  direction?: string;
  /** Object class (e.g. `person`); when set, only an alert with an object of that class matches. */
  object?: string;
}

/** The labelled events of a clip, and the rules that were labelled (a rule with no event may be labelled too). */
export interface EventLabels {
  rules: string[];
  events: LabelledEvent[];
}

/** One alert raised by the run, `t` seconds from the clip's start (its start time). */
export interface RaisedAlert {
  id: string;
  rule: string;
  t: number;
  direction?: string;
  /** Classes of the alert's objects. */
  objects: string[];
}

/** Summary of a list of offsets (s, alert − event). */
export interface OffsetStats {
  n: number;
  mean: number | null;
  median: number | null;
  min: number | null;
  max: number | null;
  /** 90th percentile of |offset|. */
  p90Abs: number | null;
}

/** Alert quality of one rule. */
export interface RuleQuality {
  rule: string;
  /** Whether the rule has labels (else its alerts are counted but not judged). */
  labelled: boolean;
  alerts: number;
  events: number;
  truePositives: number;
  missed: number;
  falseAlarms: number;
  /** null when there is no alert (precision undefined). */
  precision: number | null;
  /** null when there is no labelled event. */
  recall: number | null;
  falseAlarmsPerHour: number | null;
  offsets: OffsetStats;
  matches: Array<{ alert: string; event: number; offset: number }>;
  /** Indices (in the labels' event list) of the events no alert matched. */
  missedEvents: number[];
  /** Ids of the alerts that matched no event. */
  falseAlarmIds: string[];
}

/** Alert quality of a run. */
export interface AlertQuality {
  toleranceS: number;
  durationS: number;
  rules: RuleQuality[];
  /** Over the labelled rules. */
  overall: Omit<RuleQuality, 'rule' | 'labelled' | 'matches' | 'missedEvents' | 'falseAlarmIds'>;
}

/** Default matching tolerance (s). */
export const DEFAULT_TOLERANCE_S = 1.5;

function fail(source: string, msg: string): never {
  throw new TypeError(`${source}: ${msg}`);
}

function checkEvent(e: unknown, where: string): LabelledEvent {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) {
    fail(where, 'an event is an object { rule, t, direction?, object? }');
  }
  const o = e as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['rule', 't', 'direction', 'object'].includes(k)) {
      fail(where, `unknown field "${k}" (fields: rule, t, direction, object)`);
    }
  }
  if (typeof o.rule !== 'string' || o.rule.trim() === '') {
    fail(where, 'rule must be a non-empty string');
  }
  const t = typeof o.t === 'string' && o.t.trim() !== '' ? Number(o.t) : o.t;
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
    fail(where, `t must be a number of seconds >= 0 (got ${JSON.stringify(o.t)})`);
  }
  const out: LabelledEvent = { rule: o.rule.trim(), t };
  for (const k of ['direction', 'object'] as const) {
    const v = o[k];
    if (v !== undefined && v !== null && v !== '') {
      if (typeof v !== 'string') {
        fail(where, `${k} must be a string`);
      }
      out[k] = v.trim();
    }
  }
  return out;
}

/** Splits one CSV line (RFC 4180 quotes). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c === '"') {
      quoted = true;
    } else if (c === ',') {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

/**
 * Parses a labelled events file: JSON (an array of events, or `{ "rules": [...], "events": [...] }` to also name
 * labelled rules that have no event) or CSV with a header row naming `rule` and `t` (and optionally `direction`,
 * `object`). `source` names the file in errors. Throws TypeError naming the file and the bad entry.
 */
export function parseEvents(text: string, source: string): EventLabels {
  const trimmed = text.trim();
  let events: LabelledEvent[];
  let extraRules: string[] = [];
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(trimmed);
    } catch (err) {
      fail(source, `not valid JSON (${(err as Error).message})`);
    }
    let list: unknown = doc;
    if (!Array.isArray(doc)) {
      const o = doc as Record<string, unknown>;
      list = o.events;
      if (!Array.isArray(list)) {
        fail(source, 'a JSON events file is an array of events or { "rules": [...], "events": [...] }');
      }
      if (o.rules !== undefined) {
        if (!Array.isArray(o.rules) || o.rules.some((r) => typeof r !== 'string')) {
          fail(source, 'rules must be an array of rule ids');
        }
        extraRules = o.rules as string[];
      }
    }
    events = (list as unknown[]).map((e, i) => checkEvent(e, `${source}: event ${i + 1}`));
  } else {
    const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
    if (lines.length === 0) {
      return { rules: [], events: [] };
    }
    const header = csvFields(lines[0]).map((h) => h.toLowerCase());
    if (!header.includes('rule') || !header.includes('t')) {
      fail(source, `a CSV events file starts with a header naming rule and t (got "${lines[0]}")`);
    }
    events = lines.slice(1).map((line, i) => {
      const f = csvFields(line);
      const o: Record<string, string> = {};
      header.forEach((h, k) => {
        if (f[k] !== undefined && f[k] !== '') {
          o[h] = f[k];
        }
      });
      return checkEvent(o, `${source}: line ${i + 2}`);
    });
  }
  const rules = [...new Set([...extraRules, ...events.map((e) => e.rule)])];
  return { rules, events };
}

/** Whether `a` may match `e`: same rule, and the direction / object class the event names. */
export function compatible(a: RaisedAlert, e: LabelledEvent): boolean {
  return a.rule === e.rule && (e.direction === undefined || e.direction === a.direction) && (e.object === undefined || a.objects.includes(e.object));
}

/**
 * One-to-one matching of alerts to events within ±tolerance: the most pairs, then the smallest total |offset|.
 * Items are split into clusters (sorted by time, a gap above the tolerance separates them: nothing across a gap can
 * match) and each cluster is solved exactly. Returns [alert index, event index] pairs.
 */
export function matchAlerts(alerts: readonly RaisedAlert[], events: readonly LabelledEvent[], toleranceS: number): Array<[number, number]> {
  const items = [
    ...alerts.map((a, i) => ({ t: a.t, kind: 'a' as const, i })),
    ...events.map((e, i) => ({ t: e.t, kind: 'e' as const, i })),
  ].sort((x, y) => x.t - y.t);
  const out: Array<[number, number]> = [];
  let start = 0;
  for (let k = 1; k <= items.length; k++) {
    if (k < items.length && items[k].t - items[k - 1].t <= toleranceS) {
      continue;
    }
    const cluster = items.slice(start, k);
    start = k;
    const as = cluster.filter((c) => c.kind === 'a').map((c) => c.i);
    const es = cluster.filter((c) => c.kind === 'e').map((c) => c.i);
    if (as.length === 0 || es.length === 0) {
      continue;
    }
    // Square matrix: a match costs |offset| − K, where K exceeds any total of offsets, so one more pair always wins;
    // a pair that cannot match, and padding, cost 0 (left unmatched).
    const n = Math.max(as.length, es.length);
    const K = (n + 1) * (toleranceS + 1);
    const ok = (ai: number, ei: number) => compatible(alerts[ai], events[ei]) && Math.abs(alerts[ai].t - events[ei].t) <= toleranceS + 1e-9;
    const cost = matrix(n, n);
    for (let r = 0; r < as.length; r++) {
      for (let c = 0; c < es.length; c++) {
        cost.data[r * n + c] = ok(as[r], es[c]) ? Math.abs(alerts[as[r]].t - events[es[c]].t) - K : 0;
      }
    }
    const { rows, cols } = linearSumAssignment(cost);
    rows.forEach((r, i) => {
      const c = cols[i];
      if (r < as.length && c < es.length && ok(as[r], es[c])) {
        out.push([as[r], es[c]]);
      }
    });
  }
  return out.sort((x, y) => x[0] - y[0]);
}

/** Pure: summary of offsets. */
export function offsetStats(offsets: readonly number[]): OffsetStats {
  const n = offsets.length;
  if (n === 0) {
    return { n: 0, mean: null, median: null, min: null, max: null, p90Abs: null };
  }
  const s = [...offsets].sort((a, b) => a - b);
  const abs = offsets.map(Math.abs).sort((a, b) => a - b);
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return {
    n,
    mean: s.reduce((x, y) => x + y, 0) / n,
    median,
    min: s[0],
    max: s[n - 1],
    p90Abs: abs[Math.min(n - 1, Math.ceil(0.9 * n) - 1)],
  };
}

function ratio(a: number, b: number): number | null {
  return b > 0 ? a / b : null;
}

/**
 * Alert quality per rule and overall. `durationS`: the clip's length (false alarms per camera-hour). Rules with
 * alerts but no labels are listed as unlabelled (counted, not judged) and left out of the overall numbers.
 */
export function alertQuality(
  alerts: readonly RaisedAlert[],
  labels: EventLabels,
  o: { toleranceS?: number; durationS: number },
): AlertQuality {
  const tol = o.toleranceS ?? DEFAULT_TOLERANCE_S;
  const hours = o.durationS / 3600;
  const ruleIds = [...new Set([...labels.rules, ...labels.events.map((e) => e.rule), ...alerts.map((a) => a.rule)])];
  const rules: RuleQuality[] = [];
  for (const rule of ruleIds) {
    const ra = alerts.filter((a) => a.rule === rule);
    const eIdx = labels.events.map((e, i) => (e.rule === rule ? i : -1)).filter((i) => i >= 0);
    const re = eIdx.map((i) => labels.events[i]);
    const labelled = labels.rules.includes(rule) || re.length > 0;
    const pairs = labelled ? matchAlerts(ra, re, tol) : [];
    const matchedA = new Set(pairs.map((p) => p[0]));
    const matchedE = new Set(pairs.map((p) => p[1]));
    const offsets = pairs.map(([a, e]) => ra[a].t - re[e].t);
    const tp = pairs.length;
    const fa = labelled ? ra.length - tp : 0;
    rules.push({
      rule,
      labelled,
      alerts: ra.length,
      events: re.length,
      truePositives: tp,
      missed: re.length - tp,
      falseAlarms: fa,
      precision: labelled ? ratio(tp, ra.length) : null,
      recall: labelled ? ratio(tp, re.length) : null,
      falseAlarmsPerHour: labelled && hours > 0 ? fa / hours : null,
      offsets: offsetStats(offsets),
      matches: pairs.map(([a, e], k) => ({ alert: ra[a].id, event: eIdx[e], offset: offsets[k] })),
      missedEvents: eIdx.filter((_, k) => !matchedE.has(k)),
      falseAlarmIds: labelled ? ra.filter((_, k) => !matchedA.has(k)).map((a) => a.id) : [],
    });
  }
  const judged = rules.filter((r) => r.labelled);
  const sum = (f: (r: RuleQuality) => number) => judged.reduce((x, r) => x + f(r), 0);
  const tp = sum((r) => r.truePositives);
  const nAlerts = sum((r) => r.alerts);
  const nEvents = sum((r) => r.events);
  const fa = sum((r) => r.falseAlarms);
  return {
    toleranceS: tol,
    durationS: o.durationS,
    rules,
    overall: {
      alerts: nAlerts,
      events: nEvents,
      truePositives: tp,
      missed: nEvents - tp,
      falseAlarms: fa,
      precision: ratio(tp, nAlerts),
      recall: ratio(tp, nEvents),
      falseAlarmsPerHour: hours > 0 ? fa / hours : null,
      offsets: offsetStats(judged.flatMap((r) => r.matches.map((m) => m.offset))),
    },
  };
}
