import assert from 'node:assert/strict';
import { releaseFrame } from '../../src/core/frame-pool';
import type { FfmpegArgs } from '../../src/ingest/ffmpeg-args';
import { FfmpegProcess, type FfmpegExitInfo } from '../../src/ingest/ffmpeg-process';
import { alive } from '../helpers';

/** FFmpeg's test pattern, 32x24 at 10 fps, read at real-time speed: `seconds` long, or endless. */
function testsrc(seconds?: number): FfmpegArgs {
  return {
    inputOptions: ['-re', '-f', 'lavfi'],
    input: `testsrc=size=32x24:rate=10${seconds === undefined ? '' : `:duration=${seconds}`}`,
    outputOptions: ['-f', 'rawvideo', '-pix_fmt', 'rgb24'],
    output: 'pipe:1',
    kind: 'file',
  };
}

/** Starts a run that counts its frames; `exit` resolves with how it ended. */
async function run(args: FfmpegArgs): Promise<{ p: FfmpegProcess; frames: () => number; exit: Promise<FfmpegExitInfo> }> {
  const p = new FfmpegProcess(args);
  let frames = 0;
  p.on('frame', (f, _at, size) => {
    assert.deepEqual(size, { width: 32, height: 24 });
    assert.equal(f.length, 32 * 24 * 3);
    frames++;
    releaseFrame(f);
  });
  const exit = new Promise<FfmpegExitInfo>((resolve) => p.once('exit', resolve));
  await p.start();
  return { p, frames: () => frames, exit };
}

/**
 * The FFmpeg adapter on real FFmpeg runs of a generated test pattern: the pid it finds is the running child's, and
 * the exit code, signal and stderr tail come from fluent-ffmpeg's end events.
 */
describe('FfmpegProcess', function () {
  this.timeout(15_000);

  it('a run that ends by itself: its pid while it runs, every frame, then code 0', async () => {
    const { p, frames, exit } = await run(testsrc(1));
    assert.ok(alive(p.pid), `pid ${p.pid} is a running process`);
    const info = await exit;
    assert.deepEqual({ code: info.code, signal: info.signal, killedByUs: info.killedByUs }, { code: 0, signal: null, killedByUs: false });
    assert.equal(frames(), 10);
    assert.ok(p.ended);
    assert.equal(alive(p.pid), false);
  });

  it('stop(): FFmpeg ends on SIGTERM, reported as stopped by us', async () => {
    const { p, frames, exit } = await run(testsrc());
    const pid = p.pid;
    while (frames() < 2) {
      await new Promise((r) => p.once('frame', r));
    }
    await p.stop();
    const info = await exit;
    assert.equal(info.killedByUs, true);
    assert.ok(info.code === 255 || info.signal !== null, `code ${info.code}, signal ${info.signal}`);
    assert.equal(alive(pid), false);
  });

  it('a run that fails: its exit code and the reason in the stderr tail', async () => {
    const { exit } = await run({ ...testsrc(1), inputOptions: [], input: '/nonexistent/vigil-test.mp4' });
    const info = await exit;
    assert.equal(info.signal, null);
    assert.ok(info.code !== null && info.code !== 0, `code ${info.code}`);
    assert.match(info.stderrTail.join('\n'), /No such file or directory/);
  });

  it('two runs of the same command line: each finds its own child', async () => {
    const a = await run(testsrc());
    const b = await run(testsrc());
    try {
      assert.ok(a.p.pid !== undefined && b.p.pid !== undefined);
      assert.notEqual(a.p.pid, b.p.pid);
      assert.ok(alive(a.p.pid) && alive(b.p.pid));
    } finally {
      await Promise.all([a.p.stop(), b.p.stop()]);
    }
    assert.ok(!alive(a.p.pid) && !alive(b.p.pid));
  });
});
