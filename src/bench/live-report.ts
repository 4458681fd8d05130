/**
 * Pure: the report of `vigil bench live` (types, the target checks, the markdown table with the spread of
 * repeated runs) and the marker-delimited sections of BENCHMARKS.md that `live` and `soak` keep (newest first).
 */
import type { LiveCeilingResult } from './live-ceiling';
import type { LivePipelineResult } from './live-pipeline';
import { formatCounts, runSpread, type Spread } from './live-stats';
import { formatLoad } from './proc';
import type { Percentiles } from './stats';

/** One run: the ceiling and the pipeline, measured one after the other. */
export interface LiveRun {
  ceiling: LiveCeilingResult;
  pipeline: LivePipelineResult;
  /** Pipeline detected frames/s ÷ the ceiling's. */
  ratio: number;
}

/** The machine a result was measured on. */
export interface MachineInfo {
  cores: number;
  cpu: string;
  node: string;
  /** 1/5/15-minute load averages just before and just after. */
  loadBefore?: [number, number, number];
  loadAfter?: [number, number, number];
}

/** The whole `vigil bench live` result. */
export interface LiveResult {
  at: string;
  command: string;
  cameras: number;
  fps: number;
  stream: { width: number; height: number; fps: number; reencoded: boolean; source: string };
  /** What the pipeline's cameras were asked for (`detect.width` / `height`), in words. */
  detectSize: string;
  model: string;
  seconds: number;
  warmupS: number;
  machine: MachineInfo;
  runs: LiveRun[];
}

/** One of the live benchmark's targets (listed in BENCHMARKS.md), judged on one run. */
export interface Check {
  name: string;
  value: string;
  met: boolean;
}

/** Largest deviation of a camera's fps from the mean, in % of the mean. */
export function spreadDeviationPct(s: Spread): number {
  return s.mean > 0 ? (Math.max(s.max - s.mean, s.mean - s.min) / s.mean) * 100 : NaN;
}

/**
 * The targets on one run: under overload (12 cameras × 10 fps) detected ≥ 0.9 × ceiling, capture →
 * published p95 ≤ 150 ms, every camera within ±20 % of the mean; near saturation (32 × 2 fps) every camera
 * ≥ 0.95 × its fps and p95 ≤ 1.5 × the ceiling's.
 */
export function liveChecks(run: LiveRun, fps: number): Check[] {
  const p = run.pipeline;
  const dev = spreadDeviationPct(p.perCameraFps);
  return [
    { name: 'detected ≥ 0.9 × ceiling', value: `${(run.ratio * 100).toFixed(0)} %`, met: run.ratio >= 0.9 },
    { name: 'p95 ≤ 150 ms', value: `${p.latencyMs.p95.toFixed(0)} ms`, met: p.latencyMs.p95 <= 150 },
    { name: 'every camera within ±20 % of the mean', value: `±${dev.toFixed(0)} %`, met: dev <= 20 },
    { name: `every camera ≥ ${(0.95 * fps).toFixed(2)} fps`, value: `min ${p.perCameraFps.min.toFixed(2)}`, met: p.perCameraFps.min >= 0.95 * fps },
    {
      name: 'p95 ≤ 1.5 × ceiling p95',
      value: `${(p.latencyMs.p95 / run.ceiling.latencyMs.p95).toFixed(2)} ×`,
      met: p.latencyMs.p95 <= 1.5 * run.ceiling.latencyMs.p95,
    },
  ];
}

const f0 = (v: number) => (Number.isFinite(v) ? v.toFixed(0) : '-');
const f1 = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : '-');
const pct3 = (p: Percentiles) => `${f0(p.p50)} / ${f0(p.p95)} / ${f0(p.p99)}`;
const signed = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : ''}${v.toFixed(1)}` : '-');

function range(values: number[], fmt: (v: number) => string): string {
  const s = runSpread(values);
  return s.min === s.max ? fmt(s.min) : `${fmt(s.min)}–${fmt(s.max)} (median ${fmt(s.median)})`;
}

/** The BENCHMARKS.md section of one `vigil bench live` invocation. */
export function formatLiveMarkdown(r: LiveResult): string {
  const rows = r.runs.map((x, i) => {
    const c = x.ceiling;
    const p = x.pipeline;
    return (
      `| ${i + 1} | ${f1(c.detectFps)} | ${pct3(c.latencyMs)} | ${f2(c.perCameraFps.min)} / ${f2(c.perCameraFps.max)} | ${f1(p.detectFps)} | ${f0(x.ratio * 100)} % | ${pct3(p.latencyMs)} | ` +
      `${f2(p.perCameraFps.min)} / ${f2(p.perCameraFps.mean)} / ${f2(p.perCameraFps.max)} | ${p.framesIn} | ${formatCounts(p.dropped)} | ` +
      `${f1(p.cpuPctPerCamera.ffmpeg)} / ${f1(p.cpuPctPerCamera.node)} (${f1(p.cpuPctPerCamera.nodeMain)}) | ${f0(p.rssMb)} (${f0(p.ffmpegRssMb)}) | ` +
      `${signed(p.redisUsedMemoryDeltaMb)} (${f1(p.prefixMemoryMb)}) |`
    );
  });
  const all = r.runs;
  const spreadRow =
    all.length > 1
      ? [
          `| spread of ${all.length} runs | ${range(all.map((x) => x.ceiling.detectFps), f1)} | p95 ${range(all.map((x) => x.ceiling.latencyMs.p95), f0)} | | ` +
            `${range(all.map((x) => x.pipeline.detectFps), f1)} | ${range(all.map((x) => x.ratio * 100), f0)} % | p95 ${range(all.map((x) => x.pipeline.latencyMs.p95), f0)} | ` +
            `min ${range(all.map((x) => x.pipeline.perCameraFps.min), f2)} | | | | RSS ${range(all.map((x) => x.pipeline.rssMb), f0)} | |`,
        ]
      : [];
  const checks = all.map((x) => liveChecks(x, r.fps));
  const checkLines = (checks[0] ?? []).map(
    (c, k) => `- ${c.name}: ${checks.map((cs) => `${cs[k].value} ${cs[k].met ? 'met' : 'not met'}`).join('; ')}`,
  );
  const warnings = new Map<string, number>();
  for (const x of all) {
    for (const [m, n] of Object.entries(x.pipeline.warnings)) {
      warnings.set(m, (warnings.get(m) ?? 0) + n);
    }
  }
  const warnText = [...warnings.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([m, n]) => `"${m}" ×${n}`)
    .join(', ');
  const ceilingCpu = all.map((x) => `${f1(x.ceiling.cpuPctPerCamera.ffmpeg)} / ${f1(x.ceiling.cpuPctPerCamera.node)}`).join('; ');
  const leftover = all.map((x) => x.pipeline.frameKeysLeft);
  return [
    `### ${r.cameras} cameras × ${r.fps} fps, ${r.stream.width}x${r.stream.height} stream at ${f1(r.stream.fps)} fps (${r.at})`,
    '',
    `Command: \`${r.command}\`. Machine: ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}; load average ` +
      `${formatLoad(r.machine.loadBefore)} before, ${formatLoad(r.machine.loadAfter)} after. Model ${r.model}. ${all.length} run(s): the ceiling, then ` +
      `the pipeline, each in a fresh process, on the same RTSP server (\`scripts/rtsp_server.py\`, ${r.cameras} mounts of ` +
      `${r.stream.source}${r.stream.reencoded ? ', re-encoded once to this size' : ''}); each measured ${r.seconds} s after a ${r.warmupS} s warm-up. ` +
      `Offered ${f1(r.cameras * r.fps)} frames/s. Pipeline cameras: ${r.detectSize}; ceiling frames at the model's input size ${all[0]?.ceiling.input ?? '-'}.`,
    '',
    '| run | ceiling fps | ceiling capture→inferred p50/p95/p99 ms | ceiling per-camera fps min / max | pipeline fps | ratio | capture→published p50/p95/p99 ms | per-camera fps min/mean/max | frames in | drops by reason | CPU % of a core per camera: ffmpeg / node (main thread) | RSS MB node (ffmpeg) | Redis used_memory Δ MB (prefix MB) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    ...spreadRow,
    '',
    'Targets (issue 10; the first three for 12 × 10 fps, the last two with the per-camera rate for 32 × 2 fps), run by run:',
    ...checkLines,
    '',
    `- Ceiling: one FFmpeg per camera decoding to the model's input size (\`fps\` filter only below the stream's rate), newest frame per camera, one ` +
      `inference worker with all ${r.machine.cores} cores as intra-op threads serving the ready camera that has waited longest since its last detection (round robin); CPU % per camera ffmpeg / node: ${ceilingCpu}; ` +
      `inference ms per frame: ${all.map((x) => f1(x.ceiling.inferMs)).join(', ')}; frames superseded before detection: ${all.map((x) => x.ceiling.superseded).join(', ')}.`,
    `- Pipeline: \`vigil start\` with every role, frames detected and latency from the cameras' detections streams (published in the window), ` +
      `drops from \`vigil_frames_dropped_total\`, CPU and RSS from /proc (node = every thread of the daemon, inference included). ` +
      `FFmpeg restarts: ${all.map((x) => x.pipeline.restarts).join(', ')}; frame keys left in Redis after stop: ${leftover.join(', ')}.`,
    `- Daemon warnings and errors: ${warnText || 'none'}.`,
    '',
  ].join('\n');
}

/**
 * Puts `section` at the top of the marker-delimited block `name` of BENCHMARKS.md text (earlier sections stay below
 * it), creating the block under `heading` at the end of the file when absent. The rest of the file is untouched.
 */
export function updateSection(text: string, name: string, heading: string, section: string): string {
  const start = `<!-- vigil-bench:${name}:start -->`;
  const end = `<!-- vigil-bench:${name}:end -->`;
  const s = text.indexOf(start);
  const e = text.indexOf(end);
  if (s < 0 || e < s) {
    const head = text.trim().length > 0 ? `${text.trimEnd()}\n\n` : '# Benchmarks\n\n';
    return `${head}## ${heading}\n\n${start}\n${section.trimEnd()}\n${end}\n`;
  }
  const body = text.slice(s + start.length, e).trim();
  return `${text.slice(0, s)}${start}\n${section.trimEnd()}\n${body ? `\n${body}\n` : ''}${end}${text.slice(e + end.length)}`;
}
