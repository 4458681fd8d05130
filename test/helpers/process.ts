import type { ChildProcess } from 'node:child_process';

/** Children spawned `detached`: signalled as a process group. */
const leaders = new WeakSet<ChildProcess>();

/**
 * Child processes of a test, ended by pid in one place. A process started `detached` leads a process group of its
 * own (a daemon with its FFmpeg children), and the whole group is signalled.
 */

/** Is a pid alive? */
export function alive(pid: number | undefined): boolean {
  if (pid === undefined) {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Signals a pid (a negative pid: its process group); a process already gone is no error. */
export function killPid(pid: number | undefined, signal: NodeJS.Signals = 'SIGKILL'): void {
  if (pid === undefined) {
    return;
  }
  try {
    process.kill(pid, signal);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') {
      throw err;
    }
  }
}

/** Signals a child (its group when it was spawned `detached`) and resolves once it has exited. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killPid(leaders.has(child) ? -child.pid : child.pid, signal);
  await exited;
}


/** The processes a test (or a describe block) started; `stopAll()` ends those still running, by pid. */
export class Children {
  private readonly set = new Set<ChildProcess>();

  /** Tracks `child`; `group: true` for one spawned `detached` (its whole process group is signalled). */
  add<C extends ChildProcess>(child: C, opts: { group?: boolean } = {}): C {
    if (opts.group) {
      leaders.add(child);
    }
    this.set.add(child);
    child.once('exit', () => this.set.delete(child));
    return child;
  }

  /** Ends every tracked process still running and waits for each to exit. */
  async stopAll(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const all = [...this.set];
    this.set.clear();
    await Promise.all(all.map((c) => stopChild(c, signal)));
  }
}
