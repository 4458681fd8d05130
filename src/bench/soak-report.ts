/** Pure: the report of `vigil bench soak` on the whole daemon: the per-interval line, the totals and the section. */
import { formatCounts, soakSteps, type Growth, type SoakPoint, type SoakVerdict } from './live-stats';
import type { MachineInfo } from './live-report';
import { formatLoad } from './proc';

/** The whole result of a daemon soak. */
export interface DaemonSoakResult {
  at: string;
  command: string;
  cameras: number;
  fps: number;
  stream: { width: number; height: number; fps: number; reencoded: boolean; source: string };
  seconds: number;
  warmupS: number;
  intervalS: number;
  machine: MachineInfo;
  series: SoakPoint[];
  verdict: SoakVerdict;
  /** Totals over the whole run. */
  totals: { framesIn: number; detected: number; dropped: Record<string, number>; restarts: number };
  /** % of one core per camera over the whole run. */
  cpuPctPerCamera: { ffmpeg: number; node: number };
  /** Frame keys left in Redis after the daemon stopped. */
  frameKeysLeft: number;
  /** MEMORY USAGE of the run's keys by kind after the daemon stopped (`det`, `bull:frames`, ...), bytes. */
  prefixByKind: Record<string, number>;
  /** How the daemon ended when the bench stopped it ('code 0'), or why it ended earlier. */
  daemonExit: string;
  warnings: Record<string, number>;
}

const mib = (b: number) => (Number.isFinite(b) ? (b / 2 ** 20).toFixed(1) : '-');

/** One line of the series: the interval ending at `p` (counts in the interval) and the state at its end. */
export function formatSoakLine(p: SoakPoint, prev: SoakPoint | undefined): string {
  const step = prev ? soakSteps([prev, p])[0] : undefined;
  const t = String(Math.round(p.t)).padStart(5);
  const c = (v: number) => String(Math.round(v)).padStart(6);
  return (
    `t=${t} s  rss ${mib(p.rssBytes).padStart(7)} MiB  used_memory ${mib(p.usedMemoryBytes).padStart(7)} MiB  prefix ${mib(p.prefixBytes).padStart(6)} MiB  ` +
    `in ${c(step?.framesIn ?? p.framesIn)}  detected ${c(step?.detected ?? p.detected)}  dropped ${formatCounts(step?.dropped ?? p.dropped)}  ` +
    `restarts ${p.restarts}  stuck jobs ${p.stuckJobs}  frame keys ${p.frameKeys}`
  );
}

function growthText(g: Growth | undefined, warmupS: number): string {
  if (!g) {
    return `n/a (no sample after the ${warmupS} s warm-up)`;
  }
  const sign = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`;
  return `${mib(g.base)} MiB at ${Math.round(g.baseT)} s → ${mib(g.end)} MiB at the end: ${sign(g.endPct)} (peak ${mib(g.peak)} MiB, ${sign(g.peakPct)}); trend of every sample from ${Math.round(g.baseT)} s: **${sign(g.trendPct)}**`;
}

/** The totals as printed after the series. */
export function formatSoakTotals(r: DaemonSoakResult): string[] {
  const v = r.verdict;
  const lim = (ok: boolean | undefined) => (ok === undefined ? 'not judged (run shorter than the warm-up)' : ok ? 'met' : 'NOT met');
  return [
    `frames in ${r.totals.framesIn}, detected ${r.totals.detected} (${(r.totals.detected / r.cameras / Math.max(1, r.seconds)).toFixed(2)} per camera per second), dropped ${formatCounts(r.totals.dropped)}`,
    `restarts ${v.restarts}, stuck jobs (active > 10 s) max ${v.maxStuckJobs}, frame keys left after stop ${r.frameKeysLeft}, daemon ${r.daemonExit}`,
    `RSS after the warm-up: ${growthText(v.rss, r.warmupS)}`,
    `Redis used_memory after the warm-up: ${growthText(v.usedMemory, r.warmupS)}`,
    `the run's Redis keys (MEMORY USAGE of the prefix) after the warm-up: ${growthText(v.prefixMemory, r.warmupS)}`,
    `the run's Redis keys after stop by kind: ${
      Object.entries(r.prefixByKind)
        .sort((a, b) => b[1] - a[1])
        .slice(0, 5)
        .map(([k, b]) => `${k} ${mib(b)} MiB`)
        .join(', ') || 'none'
    }`,
    `CPU per camera: ffmpeg ${r.cpuPctPerCamera.ffmpeg.toFixed(1)} %, node ${r.cpuPctPerCamera.node.toFixed(1)} % of one core`,
    `targets (growth ≤ 5 % by the trend, 0 restarts, 0 stuck jobs): memory ${lim(v.memoryOk)}, restarts ${v.restarts === 0 ? 'met' : 'NOT met'}, stuck jobs ${v.maxStuckJobs === 0 ? 'met' : 'NOT met'}`,
  ];
}

/** The BENCHMARKS.md section of one daemon soak. */
export function formatSoakMarkdown(r: DaemonSoakResult): string {
  const rows = r.series.map((p, i) => {
    const step = i > 0 ? soakSteps([r.series[i - 1], p])[0] : undefined;
    return (
      `| ${Math.round(p.t)} | ${mib(p.rssBytes)} | ${mib(p.usedMemoryBytes)} | ${mib(p.prefixBytes)} | ${step?.framesIn ?? '-'} | ${step?.detected ?? '-'} | ` +
      `${step ? formatCounts(step.dropped) : '-'} | ${p.restarts} | ${p.stuckJobs} | ${p.frameKeys} |`
    );
  });
  const warn = Object.entries(r.warnings)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 5)
    .map(([m, n]) => `"${m}" ×${n}`)
    .join(', ');
  return [
    `### ${r.cameras} cameras × ${r.fps} fps for ${Math.round(r.seconds)} s, ${r.stream.width}x${r.stream.height} stream (${r.at})`,
    '',
    `Command: \`${r.command}\`. Machine: ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}; load average ` +
      `${formatLoad(r.machine.loadBefore)} before, ${formatLoad(r.machine.loadAfter)} after. The whole daemon (\`vigil start\`, every role, detector on) in its ` +
      `own process on ${r.cameras} RTSP mounts of ${r.stream.source}${r.stream.reencoded ? ' (re-encoded once to this size)' : ''} served by ` +
      `\`scripts/rtsp_server.py\` at ${r.stream.fps} fps; warm-up ${r.warmupS} s; one sample every ${r.intervalS} s (counts per interval; ` +
      "RSS of the daemon process; used_memory of the whole Redis, which other users share; prefix = MEMORY USAGE of this run's keys).",
    '',
    '| t s | RSS MiB | used_memory MiB | prefix MiB | frames in | detected | dropped | restarts | stuck jobs | frame keys |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    ...formatSoakTotals(r).map((l) => `- ${l}`),
    `- Daemon warnings and errors: ${warn || 'none'}.`,
    '',
  ].join('\n');
}
