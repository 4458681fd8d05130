/** Pure statistics and report formatting of `vigil bench`. */

/** The p-th percentile (0..100) of values, nearest-rank; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) {
    return NaN;
  }
  const s = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(s.length - 1, Math.max(0, rank - 1))];
}

/** p50/p95/p99 in ms. */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

/** Percentiles of a list of durations. */
export function summarize(values: readonly number[]): Percentiles {
  return { p50: percentile(values, 50), p95: percentile(values, 95), p99: percentile(values, 99) };
}

/** One pipeline run of the bench. */
export interface PipelineRun {
  label: string;
  cameras: number;
  offeredFps: number;
  detectFps: number;
  frames: number;
  latencyMs: { captureToQueued: Percentiles; queuedToInferred: Percentiles; inferredToPublished: Percentiles; captureToPublished: Percentiles };
  dropped: Record<string, number>;
  /** CPU of the Node main thread per detected frame (ms): everything outside the inference workers. */
  cpuMsPerFrameOutside: number;
  /** Worker time per frame by step (ms). */
  workerMsPerFrame: { pre: number; infer: number; post: number };
  rssMb: number;
}

/** The whole bench result. */
export interface BenchResult {
  at: string;
  model: string;
  cores: number;
  source: string;
  seconds: number;
  workers: string;
  ceilingFps: number;
  ceilingInferMs: number;
  runs: PipelineRun[];
  ratio: number;
  notes: string[];
}

const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const pct = (p: Percentiles) => `${f1(p.p50)} / ${f1(p.p95)} / ${f1(p.p99)}`;

/** Markdown section for BENCHMARKS.md. */
export function formatMarkdown(r: BenchResult, command: string): string {
  const lines = [
    `### ${r.model}, ${r.cores} cores, ${r.source} source (${r.at})`,
    '',
    `Command: \`${command}\`. Pool: ${r.workers}. Each run measures ${r.seconds} s after a warm-up.`,
    '',
    `Bare loop (one FFmpeg per camera → same model, no queue): **${f1(r.ceilingFps)} frames/s** (inference ${f1(r.ceilingInferMs)} ms/frame).`,
    `Pipeline throughput (${r.runs[0]?.label ?? '-'}): **${f1(r.runs[0]?.detectFps ?? NaN)} frames/s = ${(r.ratio * 100).toFixed(0)} % of the bare loop** (target ≥ 90 %).`,
    '',
    '| run | cameras | offered fps | detect fps | capture→queued p50/p95/p99 ms | queued→inferred | inferred→published | capture→published | drops | CPU ms/frame outside workers | worker pre/infer/post ms | RSS MB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.runs.map(
      (x) =>
        `| ${x.label} | ${x.cameras} | ${f1(x.offeredFps)} | ${f1(x.detectFps)} | ${pct(x.latencyMs.captureToQueued)} | ${pct(x.latencyMs.queuedToInferred)} | ` +
        `${pct(x.latencyMs.inferredToPublished)} | ${pct(x.latencyMs.captureToPublished)} | ` +
        `${Object.entries(x.dropped).map(([k, v]) => `${k} ${v}`).join(', ') || '0'} | ${x.cpuMsPerFrameOutside.toFixed(2)} | ` +
        `${x.workerMsPerFrame.pre.toFixed(1)} / ${x.workerMsPerFrame.infer.toFixed(1)} / ${x.workerMsPerFrame.post.toFixed(1)} | ${x.rssMb.toFixed(0)} |`,
    ),
    '',
    ...r.notes.map((n) => `- ${n}`),
    '',
  ];
  return lines.join('\n');
}

const START = '<!-- vigil-bench:detect:start -->';
const END = '<!-- vigil-bench:detect:end -->';

/**
 * Puts `section` into BENCHMARKS.md text between the detect bench markers (newest first, keeping earlier runs
 * below it), creating the markers when absent. Other sections of the file are left untouched.
 */
export function updateBenchmarks(text: string, section: string): string {
  const s = text.indexOf(START);
  const e = text.indexOf(END);
  if (s < 0 || e < s) {
    const head = text.trim().length > 0 ? `${text.trimEnd()}\n\n` : '# Benchmarks\n\n';
    return `${head}## Detection pipeline (vigil bench)\n\n${START}\n${section}\n${END}\n`;
  }
  const body = text.slice(s + START.length, e).trim();
  return `${text.slice(0, s)}${START}\n${section}\n${body ? `${body}\n` : ''}${END}${text.slice(e + END.length)}`;
}
