import { readdirSync, readFileSync } from 'node:fs';

/**
 * A process's children as Linux /proc shows them: their pids and command lines. Used where a child was spawned by a
 * library that does not hand out its pid (the FFmpeg adapter) and by the benches. Every reader answers an empty list
 * or undefined when /proc cannot be read (process gone, not Linux), never throws.
 */

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Direct children of a process, oldest first (from every thread's `children` file: a child belongs to the thread
 * that forked it, and the kernel appends each new child to its thread's list).
 */
export function childPids(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out = new Set<number>();
  for (const tid of tasks) {
    for (const c of (read(`/proc/${pid}/task/${tid}/children`) ?? '').trim().split(/\s+/)) {
      if (c !== '') {
        out.add(Number(c));
      }
    }
  }
  return [...out];
}

/** The argument vector of a running process (/proc/<pid>/cmdline), the program first; undefined once it is gone. */
export function commandLineOf(pid: number): string[] | undefined {
  const t = read(`/proc/${pid}/cmdline`);
  if (t === undefined || t === '') {
    return undefined;
  }
  return t.replace(/\0$/, '').split('\0');
}
