/**
 * Linux /proc readers for the benches: a process's CPU ticks and RSS, its main thread's ticks, its children. Every
 * reader answers undefined (or an empty list) when the file cannot be read (process gone, not Linux), never throws.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { childPids } from '../core/child-processes';
import { parseProcStat, type ProcStat } from './live-stats';

let clkTck: number | undefined;

/** Clock ticks per second of /proc's CPU times (`getconf CLK_TCK`; 100 when it cannot be asked). */
export function clockTicks(): number {
  if (clkTck === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2000 });
    const n = Number((r.stdout ?? '').trim());
    clkTck = Number.isInteger(n) && n > 0 ? n : 100;
  }
  return clkTck;
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** /proc/<pid>/stat of a process (CPU of all its threads). */
export function procStat(pid: number): ProcStat | undefined {
  const t = read(`/proc/${pid}/stat`);
  return t === undefined ? undefined : parseProcStat(t);
}

/** /proc/<pid>/task/<pid>/stat: the main thread alone (a Node process's event loop). */
export function mainThreadStat(pid: number): ProcStat | undefined {
  const t = read(`/proc/${pid}/task/${pid}/stat`);
  return t === undefined ? undefined : parseProcStat(t);
}

/** Resident memory of a process in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number | undefined {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(read(`/proc/${pid}/status`) ?? '');
  return m ? Number(m[1]) * 1024 : undefined;
}

/** The stats of a process's direct children whose command is `comm` (e.g. `ffmpeg`). */
export function childrenNamed(pid: number, comm: string): ProcStat[] {
  return childPids(pid)
    .map((c) => procStat(c))
    .filter((s): s is ProcStat => s !== undefined && s.comm === comm);
}

/** Load averages as the reports print them: `0.55 / 0.88 / 3.60`, or `-` when unknown. */
export function formatLoad(l?: readonly number[]): string {
  return l ? l.map((x) => x.toFixed(2)).join(' / ') : '-';
}

/** The 1, 5 and 15-minute load averages (/proc/loadavg). */
export function loadAverage(): [number, number, number] | undefined {
  const m = /^(\S+)\s+(\S+)\s+(\S+)/.exec(read('/proc/loadavg') ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}
