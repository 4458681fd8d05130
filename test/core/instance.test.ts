import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { instanceFile, resolveInstanceId, validInstanceId } from '../../src/core/instance';

describe('instance id', () => {
  let dir: string;
  const slot = { prefix: 'vigil', roles: ['ingest', 'track'], cwd: '/srv/vigil' };
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-instance-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the configured id as it is', () => {
    assert.equal(resolveInstanceId(slot, 'cam-box-1', dir), 'cam-box-1');
  });

  it('keeps the same id across restarts of a slot (the previous pid is gone)', () => {
    // A pid that has certainly exited: a child that already ran.
    const dead = spawnSync('true').pid!;
    const first = resolveInstanceId(slot, undefined, dir, dead);
    const second = resolveInstanceId(slot, undefined, dir, process.pid);
    assert.equal(second, first);
    assert.equal(JSON.parse(readFileSync(instanceFile(dir, slot), 'utf8')).pid, process.pid);
  });

  it('gives a second live daemon in the same slot an id of its own', () => {
    const first = resolveInstanceId(slot, undefined, dir, process.pid);
    // Another live process (our parent) claims the file now.
    writeFileSync(instanceFile(dir, slot), JSON.stringify({ id: first, pid: process.ppid }));
    const second = resolveInstanceId(slot, undefined, dir, process.pid);
    assert.notEqual(second, first);
  });

  it('separates slots by roles and prefix', () => {
    const a = resolveInstanceId(slot, undefined, dir);
    const b = resolveInstanceId({ ...slot, roles: ['detect'] }, undefined, dir);
    assert.notEqual(instanceFile(dir, slot), instanceFile(dir, { ...slot, roles: ['detect'] }));
    assert.notEqual(a, b);
  });

  it('survives an unreadable or corrupt state file and an unwritable folder', () => {
    writeFileSync(instanceFile(dir, slot), '{not json');
    const id = resolveInstanceId(slot, undefined, dir);
    assert.ok(validInstanceId(id));
    // A folder that cannot be created (its parent is a file).
    writeFileSync(join(dir, 'file'), '');
    assert.ok(validInstanceId(resolveInstanceId(slot, undefined, join(dir, 'file', 'sub'))));
  });
});
