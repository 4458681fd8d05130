import assert from 'node:assert/strict';
import { formatLatency } from '../../src/bench/alert-latency';

describe('formatLatency', () => {
  it('writes the command, the machine and one row per event kind', () => {
    const md = formatLatency(
      {
        seconds: 90,
        fps: 5,
        starts: { n: 3, p50: 80, p95: 120, p99: 130, max: 130 },
        events: { n: 9, p50: 60, p95: 110, p99: 130, max: 130 },
        machine: '2 x EPYC, node v20',
      },
      'vigil bench latency --seconds 90 --fps 5',
      '2026-11-29T00:00:00Z',
    );
    assert.match(md, /Command: `vigil bench latency --seconds 90 --fps 5`/);
    assert.match(md, /\| alert start \(snapshot JPEG stored first\) \| 3 \| 80 \| 120 \| 130 \| 130 \|/);
    assert.match(md, /\| every event \(start, update, end\) \| 9 \| 60 \| 110 \| 130 \| 130 \|/);
    assert.match(md, /2 x EPYC/);
  });
});
