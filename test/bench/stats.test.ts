import assert from 'node:assert/strict';
import { formatMarkdown, percentile, summarize, updateBenchmarks, type BenchResult } from '../../src/bench/stats';

const result: BenchResult = {
  at: '2026-01-01T00:00:00.000Z',
  model: 'yolox (yolox_nano.onnx)',
  cores: 2,
  source: 'file',
  seconds: 10,
  workers: '2 worker(s) × 1 thread(s), batch ≤ 4',
  ceilingFps: 40,
  ceilingInferMs: 20,
  ratio: 0.95,
  notes: ['a note'],
  runs: [
    {
      label: 'saturated',
      cameras: 2,
      offeredFps: 60,
      detectFps: 38,
      frames: 380,
      latencyMs: {
        captureToQueued: { p50: 1, p95: 2, p99: 3 },
        queuedToInferred: { p50: 10, p95: 20, p99: 30 },
        inferredToPublished: { p50: 0.5, p95: 1, p99: 1 },
        captureToPublished: { p50: 12, p95: 25, p99: 40 },
      },
      dropped: { backpressure: 12 },
      cpuMsPerFrameOutside: 1.25,
      workerMsPerFrame: { pre: 2, infer: 20, post: 0.5 },
      rssMb: 300,
    },
  ],
};

describe('bench stats', () => {
  describe('#percentile', () => {
    it('uses nearest rank', () => {
      const v = Array.from({ length: 100 }, (_, i) => i + 1);
      assert.equal(percentile(v, 50), 50);
      assert.equal(percentile(v, 95), 95);
      assert.equal(percentile(v, 99), 99);
      assert.equal(percentile([5, 1, 3], 50), 3);
      assert.ok(Number.isNaN(percentile([], 50)));
    });
    it('summarize gives p50/p95/p99', () => {
      assert.deepEqual(summarize([1, 2, 3, 4]), { p50: 2, p95: 4, p99: 4 });
    });
  });

  describe('#formatMarkdown', () => {
    it('states the ceiling, the ratio and one table row per run', () => {
      const md = formatMarkdown(result, 'vigil bench');
      assert.match(md, /\*\*40\.0 frames\/s\*\*/);
      assert.match(md, /95 % of the bare loop/);
      assert.match(md, /\| saturated \| 2 \| 60\.0 \| 38\.0 \| 1\.0 \/ 2\.0 \/ 3\.0 \|/);
      assert.match(md, /backpressure 12 \| 1\.25 \|/);
      assert.match(md, /- a note/);
    });
  });

  describe('#updateBenchmarks', () => {
    it('creates the section with markers in an empty file', () => {
      const t = updateBenchmarks('', 'RUN1');
      assert.match(t, /^# Benchmarks\n\n## Detection pipeline \(vigil bench\)\n\n<!-- vigil-bench:detect:start -->\nRUN1\n<!-- vigil-bench:detect:end -->\n$/);
    });
    it('puts the newest run first and leaves other sections alone', () => {
      const first = updateBenchmarks('# Benchmarks\n\n## Soak\nsoak text\n', 'RUN1');
      const second = updateBenchmarks(`${first}\n## Later\nlater text\n`, 'RUN2');
      assert.ok(second.indexOf('RUN2') < second.indexOf('RUN1'));
      assert.match(second, /## Soak\nsoak text/);
      assert.match(second, /## Later\nlater text/);
      assert.equal(second.match(/vigil-bench:detect:start/g)?.length, 1);
    });
  });
});
