import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compareMarkdown, writeBenchmarks, type CompareRow } from '../../src/eval/compare';
import type { EvalReport } from '../../src/eval/report';

function report(ap: number, mota: number, fps: number): EvalReport {
  return {
    version: 1, createdAt: 'x', video: '/m/vtest.mp4', config: 'c.yaml', camera: 'walkway', model: 'm.onnx', family: 'yolox', provider: 'cpu',
    videoSize: [768, 576], videoFps: 10, fps: 10, frameSize: [768, 576], startS: 15, durationS: 10, frames: 100, scoreThreshold: 0.3, scoreFloor: 0.05,
    speed: { endToEndFps: fps, wallS: 100 / fps, stages: [{ stage: 'inference', msPerFrame: 20, fps: 50, note: '' }, { stage: 'detect (all)', msPerFrame: 25, fps: 40, note: '' }] },
    alerts: [],
    detection: { labels: 'gt.txt', frames: 5, unreached: [], result: { overall: { ap, ap50: 0.9, ap75: 0.5, apSmall: -1, apMedium: 0.5, apLarge: -1, ar1: 0.1, ar10: 0.6, ar100: 0.7, arSmall: -1, arMedium: 0.6, arLarge: -1 }, stats: [], perClass: [{ numGt: 36 }], params: {} } as never },
    tracking: { labels: 'gt.txt', frames: 5, result: { mota, idf1: 0.8, hota: 0.7 } as never },
    files: [],
  };
}

describe('eval compare', () => {
  it('tabulates models side by side (negative MOTA shown, undefined AP as –) and writes BENCHMARKS.md between its markers', () => {
    const rows: CompareRow[] = [
      { model: 'yolox', name: 'YOLOX-nano', report: report(0.653, 0.778, 42.3) },
      { model: 'detectnet_v2-640', name: 'DetectNet_v2 (untrained)', report: report(-1, -1.6667, 1.9) },
    ];
    const md = compareMarkdown(rows, { command: 'vigil eval compare --x', machine: '2 cores', date: 'D' });
    assert.match(md, /Command: `vigil eval compare --x` \(D; 2 cores\)/);
    assert.match(md, /100 frames of `vtest.mp4` \(15–25.0 s.*36 labelled boxes on 5 frames/);
    assert.match(md, /\| YOLOX-nano \| 65.3 \| 90.0 \| 70.0 \| 77.8 \| 80.0 \| 70.0 \| – \| – \| 20.0 \| 40.0 \| 42.3 \|/);
    assert.match(md, /\| DetectNet_v2 \(untrained\) \| – \| 90.0 \| 70.0 \| -166.7 \|/);
    const dir = mkdtempSync(join(tmpdir(), 'vigil-compare-'));
    try {
      const file = join(dir, 'BENCHMARKS.md');
      writeFileSync(file, '# Benchmarks\n\n## Other\n\ntext\n');
      writeBenchmarks(file, 'first\n');
      writeBenchmarks(file, 'second\n');
      const text = readFileSync(file, 'utf8');
      assert.match(text, /## Other\n\ntext\n\n## Detector models on the vtest label set \(vigil eval compare\)\n\n<!-- vigil-eval:start -->\nsecond\n<!-- vigil-eval:end -->\n$/);
      assert.doesNotMatch(text, /first/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
