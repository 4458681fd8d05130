/**
 * Pure numbers of `vigil bench live` and `vigil bench soak`: per-camera rate spread, CPU tick accounting across
 * processes that come and go, Prometheus text parsing and counter deltas, the soak series and its growth after the
 * warm-up, and the spread of repeated runs. No I/O here (the /proc, Redis and HTTP adapters live in proc.ts,
 * daemon-process.ts and the commands).
 */
/** min / mean / max of a list (NaN for none). */
export interface Spread {
  min: number;
  mean: number;
  max: number;
}

/** min / mean / max of values; every field NaN for an empty list. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) {
    return { min: NaN, mean: NaN, max: NaN };
  }
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of values) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { min, mean: sum / values.length, max };
}

/**
 * Frames per second of every camera in `cameras` (in that order) from the cameras of the frames seen during
 * `seconds`: a camera with no frame counts 0, so a starved camera shows in the minimum.
 */
export function cameraRates(frameCameras: Iterable<string>, cameras: readonly string[], seconds: number): number[] {
  const counts = new Map<string, number>(cameras.map((c) => [c, 0]));
  for (const c of frameCameras) {
    if (counts.has(c)) {
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
  }
  return cameras.map((c) => (seconds > 0 ? (counts.get(c) ?? 0) / seconds : NaN));
}

/** Largest deviation of any value from the mean, in % of the mean (NaN when the mean is 0 or there is none). */
export function maxDeviationPct(values: readonly number[]): number {
  const s = spread(values);
  if (!(s.mean > 0)) {
    return NaN;
  }
  return (Math.max(s.max - s.mean, s.mean - s.min) / s.mean) * 100;
}

/**
 * CPU ticks (utime + stime) of a changing set of processes over a window. The first `sample` is the baseline: a
 * process seen then counts from its ticks at that moment; a process first seen later started inside the window and
 * counts from 0; ticks that go down mean the pid was reused by a new process, which counts from 0 again. A process
 * that exits between two samples keeps what it had at the last one (sample often enough: the loss is at most one
 * interval of that process).
 */
export class TickAccount {
  private readonly last = new Map<number, number>();
  private started = false;
  /** Ticks accumulated since the baseline. */
  total = 0;

  /** Adds the ticks of the processes in `ticks` (pid → utime + stime) since the previous sample. */
  sample(ticks: ReadonlyMap<number, number>): void {
    for (const [pid, t] of ticks) {
      const prev = this.last.get(pid);
      if (prev === undefined) {
        this.total += this.started ? t : 0;
      } else if (t >= prev) {
        this.total += t - prev;
      } else {
        this.total += t;
      }
      this.last.set(pid, t);
    }
    this.started = true;
  }
}

/** CPU time as % of one core: `ticks` clock ticks (`clkTck` per second) over `seconds`. */
export function cpuPercent(ticks: number, clkTck: number, seconds: number): number {
  return seconds > 0 && clkTck > 0 ? (ticks / clkTck / seconds) * 100 : NaN;
}

/** The fields of /proc/<pid>/stat that the benches use. */
export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime in clock ticks (this thread, or every thread of the process for a process's stat). */
  ticks: number;
  /** Start time in clock ticks after boot: with the pid, names one process (pids are reused). */
  startTime: number;
}

/** Parses one /proc/<pid>/stat (or /proc/<pid>/task/<tid>/stat) line; undefined when it is not one. */
export function parseProcStat(text: string): ProcStat | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) {
    return undefined;
  }
  const pid = Number(text.slice(0, open).trim());
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // After ")": state(0) ppid(1) ... utime(11) stime(12) ... starttime(19): fields 3, 4, 14, 15 and 22 of proc(5).
  const ppid = Number(fields[1]);
  const ticks = Number(fields[11]) + Number(fields[12]);
  const startTime = Number(fields[19]);
  if (!Number.isInteger(pid) || !Number.isFinite(ppid) || !Number.isFinite(ticks) || !Number.isFinite(startTime)) {
    return undefined;
  }
  return { pid, comm: text.slice(open + 1, close), ppid, ticks, startTime };
}

/** One sample of a Prometheus text exposition. */
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text format (comments skipped; label values unescaped). */
export function parsePrometheus(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) {
      continue;
    }
    const labels: Record<string, string> = {};
    const re = /([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
    let l: RegExpExecArray | null;
    while ((l = re.exec(m[3] ?? '')) !== null) {
      labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const value = m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : Number(m[4]);
    out.push({ name: m[1], labels, value });
  }
  return out;
}

/** Sum of a metric's samples grouped by one label's value (`''` key when `by` is omitted: the grand total). */
export function sumBy(samples: readonly PromSample[], name: string, by?: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name || !Number.isFinite(s.value)) {
      continue;
    }
    const k = by === undefined ? '' : (s.labels[by] ?? '');
    out[k] = (out[k] ?? 0) + s.value;
  }
  return out;
}

/** Grand total of a metric (0 when absent). */
export function total(samples: readonly PromSample[], name: string): number {
  return sumBy(samples, name)[''] ?? 0;
}

/**
 * after − before per key, for counters grouped with {@link sumBy}; keys whose difference is 0 are left out. A key
 * absent before counts from 0 (the series appeared during the window).
 */
export function counterDelta(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) {
    const d = v - (before[k] ?? 0);
    if (d !== 0) {
      out[k] = d;
    }
  }
  return out;
}

/** `backpressure 12, stale 3` (largest first), or `0`. */
export function formatCounts(counts: Readonly<Record<string, number>>): string {
  const e = Object.entries(counts).filter(([, v]) => v !== 0);
  return e.length === 0 ? '0' : e.sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ');
}

/** One point of the soak series, cumulative since the daemon was ready (t = seconds since then). */
export interface SoakPoint {
  t: number;
  rssBytes: number;
  /** Redis INFO used_memory (the whole Redis: other users of a shared Redis move it too). */
  usedMemoryBytes: number;
  /** MEMORY USAGE of every key of the run's prefix (this daemon's share alone). */
  prefixBytes: number;
  framesIn: number;
  detected: number;
  dropped: Record<string, number>;
  restarts: number;
  /** Jobs active for longer than the stuck threshold at this moment. */
  stuckJobs: number;
  /** Frame pixel keys present in Redis at this moment. */
  frameKeys: number;
}

/**
 * Growth of a quantity after the warm-up: base (first point at or after it), end, peak after base, in %, and the
 * trend: the least-squares line through every point from the base to the end, its rise over that span in % of its
 * value at the base. One sample of RSS swings several % with the garbage collector; the trend does not, so the
 * verdict is taken on it (the end-to-end change is reported beside it).
 */
export interface Growth {
  baseT: number;
  base: number;
  end: number;
  peak: number;
  endPct: number;
  peakPct: number;
  trendPct: number;
}

/** Rise of the least-squares line through (t, v) from the first t to the last, in % of the line at the first t. */
export function trendGrowthPct(t: readonly number[], v: readonly number[]): number {
  const n = t.length;
  const mt = t.reduce((a, b) => a + b, 0) / n;
  const mv = v.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (t[i] - mt) * (v[i] - mv);
    sxx += (t[i] - mt) ** 2;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const atStart = mv + slope * (t[0] - mt);
  return atStart > 0 ? ((slope * (t[n - 1] - t[0])) / atStart) * 100 : NaN;
}

/**
 * How a quantity of the series grew after `warmupS`: from the first point at or after the warm-up to the last
 * point (and to the highest point in between). Undefined when no point comes after the base.
 */
export function growthAfter(series: readonly SoakPoint[], warmupS: number, value: (p: SoakPoint) => number): Growth | undefined {
  const i = series.findIndex((p) => p.t >= warmupS);
  if (i < 0 || i === series.length - 1) {
    return undefined;
  }
  const base = value(series[i]);
  const rest = series.slice(i).map(value);
  const end = rest[rest.length - 1];
  const peak = Math.max(...rest);
  const pct = (v: number) => (base > 0 ? ((v - base) / base) * 100 : NaN);
  const trendPct = trendGrowthPct(
    series.slice(i).map((p) => p.t),
    rest,
  );
  return { baseT: series[i].t, base, end, peak, endPct: pct(end), peakPct: pct(peak), trendPct };
}

/** The change between two points of the series, per interval line. */
export interface SoakStep {
  t: number;
  seconds: number;
  framesIn: number;
  detected: number;
  dropped: Record<string, number>;
  restarts: number;
}

/** What happened between consecutive points (the first point is the start, so there is one step fewer). */
export function soakSteps(series: readonly SoakPoint[]): SoakStep[] {
  const out: SoakStep[] = [];
  for (let i = 1; i < series.length; i++) {
    const a = series[i - 1];
    const b = series[i];
    out.push({
      t: b.t,
      seconds: b.t - a.t,
      framesIn: b.framesIn - a.framesIn,
      detected: b.detected - a.detected,
      dropped: counterDelta(a.dropped, b.dropped),
      restarts: b.restarts - a.restarts,
    });
  }
  return out;
}

/** Verdict of a soak: its targets (BENCHMARKS.md's summary table), each with the value that decided it. */
export interface SoakVerdict {
  rss?: Growth;
  usedMemory?: Growth;
  /** Growth of the prefix's keys (reported, not judged: the target is on used_memory). */
  prefixMemory?: Growth;
  restarts: number;
  maxStuckJobs: number;
  /** Growth of both within the limit (undefined when the run was too short to tell). */
  memoryOk?: boolean;
  ok: boolean;
}

/** Judges a soak series: growth after the warm-up ≤ `maxGrowthPct` (the trend), no restart, no stuck job. */
export function judgeSoak(series: readonly SoakPoint[], warmupS: number, maxGrowthPct = 5): SoakVerdict {
  const rss = growthAfter(series, warmupS, (p) => p.rssBytes);
  const usedMemory = growthAfter(series, warmupS, (p) => p.usedMemoryBytes);
  const prefixMemory = growthAfter(series, warmupS, (p) => p.prefixBytes);
  const last = series[series.length - 1];
  const first = series[0];
  const restarts = last && first ? last.restarts - first.restarts : 0;
  const maxStuckJobs = series.reduce((m, p) => Math.max(m, p.stuckJobs), 0);
  const memoryOk = rss && usedMemory ? rss.trendPct <= maxGrowthPct && usedMemory.trendPct <= maxGrowthPct : undefined;
  return { rss, usedMemory, prefixMemory, restarts, maxStuckJobs, memoryOk, ok: memoryOk === true && restarts === 0 && maxStuckJobs === 0 };
}

/** min / median / max of one figure over repeated runs. */
export interface RunSpread {
  min: number;
  median: number;
  max: number;
}

/** The spread of a figure over runs (NaN values are ignored; all NaN for none). */
export function runSpread(values: readonly number[]): RunSpread {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) {
    return { min: NaN, median: NaN, max: NaN };
  }
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { min: s[0], median: mid, max: s[s.length - 1] };
}
