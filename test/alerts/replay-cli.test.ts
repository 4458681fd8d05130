import assert from 'node:assert/strict';
import { join } from 'node:path';
import { run } from '../../src/alerts/replay-cli';
import { createLogger } from '../../src/core/logger';
import type { Alert } from '../../src/core/types';

const FIX = join(__dirname, '..', 'fixtures');

/** Runs the command with stdout/stderr captured. */
async function capture(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => ((out += s), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
  try {
    const code = await run(args, createLogger({ level: 'silent' }));
    return { code, out, err };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

describe('vigil replay', () => {
  it('--json prints one alert event per line, and the same alerts as the text output', async () => {
    const args = ['--config', join(FIX, 'vtest-rules.yaml'), '--detections', join(FIX, 'vtest-detections.jsonl')];
    const json = await capture([...args, '--json']);
    assert.equal(json.code, 0);
    const events = json.out.trim().split('\n').map((l) => JSON.parse(l) as { event: string; alert: Alert });
    const starts = events.filter((e) => e.event === 'start');
    assert.ok(starts.length >= 10);
    assert.match(json.err, /795 frames .* alerts/);
    const text = await capture(args);
    assert.equal(text.code, 0);
    const lines = text.out.trim().split('\n');
    assert.equal(lines.length, events.length);
    assert.match(lines[0], /^\S+Z start  replay-1 sign-enter \(zone_enter, medium\) camera=walkway zone=sign/);
  });
  it('exits 2 on bad usage', async () => {
    assert.equal((await capture(['--config', join(FIX, 'vtest-rules.yaml')])).code, 2);
    assert.equal((await capture(['--bogus'])).code, 2);
  });
});
