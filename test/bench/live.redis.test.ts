import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { nullLogger } from '../../src/core/logger';
import { measureLive, parseLiveArgs } from '../../src/bench/live';
import type { Percentiles } from '../../src/bench/stats';

const MEDIA = join(process.env.VIGIL_TEST_MEDIA ?? join(__dirname, '..', '..', '..', 'shared', 'media'), 'vtest.mp4');

function assertPercentiles(p: Percentiles, what: string): void {
  for (const k of ['p50', 'p95', 'p99'] as const) {
    assert.ok(Number.isFinite(p[k]) && p[k] >= 0, `${what} ${k} = ${p[k]}`);
  }
  assert.ok(p.p50 <= p.p95 && p.p95 <= p.p99, `${what} percentiles in order`);
}

describe('vigil bench live (RTSP server, ceiling process, daemon process, Redis) @integration', function () {
  this.timeout(90_000);

  it('2 cameras, ~4 s per phase: both phases detect frames on every camera and the result has its full shape', async () => {
    assert.ok(existsSync(MEDIA), `${MEDIA} missing (set VIGIL_TEST_MEDIA)`);
    const o = parseLiveArgs(['--cameras', '2', '--fps', '3', '--seconds', '4', '--warmup', '1', '--media', MEDIA, '--no-write']);
    assert.ok(typeof o !== 'string', String(o));
    const r = await measureLive(o, nullLogger(), 'vigil bench live --cameras 2 --fps 3 --seconds 4 --warmup 1');
    assert.equal(r.runs.length, 1);
    assert.equal(r.cameras, 2);
    assert.deepEqual(r.stream, { width: 768, height: 576, fps: 10, reencoded: false, source: 'vtest.mp4' });
    assert.ok(r.machine.cores >= 1 && r.machine.loadBefore && r.machine.loadAfter);
    const { ceiling, pipeline, ratio } = r.runs[0];

    assert.ok(ceiling.frames > 0, 'the ceiling detected frames');
    assert.ok(ceiling.perCameraFps.min > 0, 'the ceiling detected frames of every camera');
    assert.ok(ceiling.detectFps > 0 && ceiling.detectFps <= 2 * 3 * 1.5, `ceiling ${ceiling.detectFps} frames/s for 6 offered`);
    assert.equal(ceiling.input, '416x416');
    assertPercentiles(ceiling.latencyMs, 'ceiling capture → inferred');
    assert.ok(ceiling.cpuPctPerCamera.ffmpeg > 0 && ceiling.cpuPctPerCamera.node > 0, 'ceiling CPU counted');

    assert.ok(pipeline.frames > 0, 'the pipeline detected frames');
    assert.ok(pipeline.perCameraFps.min > 0, 'the pipeline detected frames of every camera');
    assert.ok(pipeline.framesIn > 0, 'frames in from /metrics');
    assertPercentiles(pipeline.latencyMs, 'pipeline capture → published');
    assert.ok(pipeline.cpuPctPerCamera.ffmpeg > 0, 'FFmpeg children of the daemon found in /proc');
    assert.ok(pipeline.cpuPctPerCamera.node > 0 && pipeline.cpuPctPerCamera.nodeMain > 0);
    assert.ok(pipeline.cpuPctPerCamera.nodeMain <= pipeline.cpuPctPerCamera.node, 'the main thread is part of the process');
    assert.ok(pipeline.rssMb > 50 && pipeline.ffmpegRssMb > 0);
    assert.ok(Number.isFinite(pipeline.redisUsedMemoryDeltaMb) && pipeline.prefixMemoryMb > 0);
    assert.equal(typeof pipeline.dropped, 'object');
    assert.ok(Number.isInteger(pipeline.frameKeysLeft));
    assert.ok(Math.abs(ratio - pipeline.detectFps / ceiling.detectFps) < 1e-9);
  });
});
