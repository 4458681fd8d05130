import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../src/cli/replay';
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

describe('vigil replay --video', function () {
  this.timeout(60_000);
  const clip = join(tmpdir(), `vigil-test-${process.pid}-clip.mp4`);
  before(async () => {
    const { execFileSync } = await import('node:child_process');
    const media = process.env.VIGIL_TEST_MEDIA ?? '/work/shared/media';
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-i', join(media, 'vtest.mp4'), '-t', '4', '-c', 'copy', clip]);
  });
  after(async () => {
    (await import('node:fs')).rmSync(clip, { force: true });
  });
  it('decodes the video, runs the detector and raises the zone alerts of the first seconds', async () => {
    const models = process.env.VIGIL_MODELS_DIR ?? '/work/shared/models';
    const { writeFileSync, readFileSync, rmSync } = await import('node:fs');
    const cfgFile = `${clip}.yaml`;
    writeFileSync(
      cfgFile,
      readFileSync(join(FIX, 'vtest-rules.yaml'), 'utf8').replace('redis: {', `models: { dir: ${models} }\nredis: {`),
    );
    try {
      const r = await capture(['--config', cfgFile, '--video', clip, '--camera', 'walkway', '--fps', '10', '--json']);
      assert.equal(r.code, 0, r.err);
      assert.match(r.err, /replay: 40 frames/);
      const events = r.out.trim().split('\n').map((l) => JSON.parse(l) as { event: string; alert: Alert });
      assert.ok(events.some((e) => e.event === 'start' && e.alert.rule === 'sign-enter'), r.out);
    } finally {
      rmSync(cfgFile, { force: true });
    }
  });
});
