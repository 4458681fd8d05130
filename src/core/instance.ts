/**
 * The instance id: the name this process's leases are held under. It is stable across restarts of the same
 * deployment slot, so a daemon SIGKILLed and started again reclaims its own leases at once instead of waiting for
 * them to expire, and unique among live processes, so two processes never believe they hold the same lease.
 *
 * Where it comes from, first match wins:
 * 1. `instance.id` in the config (or `VIGIL_INSTANCE_ID`): the operator names the slot (one per container or unit).
 * 2. A small state file per slot (host, Redis prefix, roles, working directory) in `instance.stateDir`: it keeps
 *    the id and the pid that uses it. The id is reused when that pid is gone (a restart) or is this very process
 *    (a container restarted with the same pid 1); a live process holding it means a second daemon in the same
 *    slot, which gets an id of its own.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

/** What identifies a deployment slot on this host. */
export interface InstanceSlot {
  prefix: string;
  roles: readonly string[];
  /** Defaults to process.cwd(). */
  cwd?: string;
}

/** Shape of the state file. */
interface InstanceFile {
  id: string;
  pid: number;
}

const ID = /^[A-Za-z0-9_.:@-]{1,128}$/;

/** Whether `id` is usable as an instance id (no spaces, no control characters, at most 128 characters). */
export function validInstanceId(id: string): boolean {
  return ID.test(id);
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) {
    return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The state file of a slot. */
export function instanceFile(stateDir: string, slot: InstanceSlot): string {
  const h = createHash('sha256')
    .update(JSON.stringify([hostname(), slot.prefix, [...slot.roles].sort(), slot.cwd ?? process.cwd()]))
    .digest('hex')
    .slice(0, 16);
  return join(stateDir, `vigil-instance-${h}.json`);
}

/**
 * This process's instance id (see the module comment). `configured` wins when set; otherwise the slot's state file
 * in `stateDir` (default: the OS temp folder) is read and rewritten. Never throws: an unwritable folder only costs
 * stability (a fresh random id).
 */
export function resolveInstanceId(slot: InstanceSlot, configured?: string, stateDir: string = tmpdir(), pid = process.pid): string {
  if (configured) {
    return configured;
  }
  const fresh = `${hostname()}:${randomBytes(4).toString('hex')}`;
  const file = instanceFile(stateDir, slot);
  let id = fresh;
  try {
    const prev = JSON.parse(readFileSync(file, 'utf8')) as Partial<InstanceFile>;
    if (typeof prev.id === 'string' && validInstanceId(prev.id) && typeof prev.pid === 'number' && (prev.pid === pid || !alive(prev.pid))) {
      id = prev.id;
    } else if (typeof prev.pid === 'number' && prev.pid !== pid && alive(prev.pid)) {
      // Another live daemon uses this slot: keep its file, take an id of our own.
      return fresh;
    }
  } catch {
    // No file yet (first start) or unreadable: a fresh id.
  }
  try {
    mkdirSync(stateDir, { recursive: true });
    const tmp = `${file}.${pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ id, pid } satisfies InstanceFile));
    renameSync(tmp, file);
  } catch {
    // Read-only folder: the id still works, it is only not kept for the next start.
  }
  return id;
}
