import assert from 'node:assert/strict';
import { report, type FaultsResult } from '../../src/bench/faults';

describe('vigil bench faults report', () => {
  it('states every measured figure and the targets', () => {
    const r: FaultsResult = {
      cameras: 12,
      fps: 5,
      outages: [{ seconds: 15, backMaxMs: 900, backMedianMs: 600, ffmpegPerCamera: [1, 1], leasesHeld: { ingest: 12, track: 12 }, ffmpegRestarts: 0 }],
      takeover: { ingestMaxMs: 2900, trackMaxMs: 2900, detectMaxMs: 4300, detectMedianMs: 4000 },
      events: {
        stored: 40,
        since: { got: 40, duplicates: 0, lost: 0 },
        live: { got: 38, duplicates: 0, lost: 2, reconnects: 1 },
        webhook: { deliveries: 40, unique: 40, duplicates: 0, lost: 0, badSignatures: 0 },
        endedTwice: 0,
      },
      load: [1.5, 1.2, 1],
    };
    const md = report(r, 'vigil bench faults --cameras 12');
    assert.match(md, /\| 15 s \| 900 ms \/ 600 ms \| 1-1 \| 12 \/ 12 \| 0 \|/);
    assert.match(md, /ingest of every camera after 2900 ms, tracking after 2900 ms; fresh detections on every camera after 4300 ms/);
    assert.match(md, /`since` client .*40 received, 0 duplicates, 0 lost/);
    assert.match(md, /Webhook: 40 deliveries, 40 unique, 0 duplicates, 0 events not delivered/);
    assert.match(md, /Command: `vigil bench faults --cameras 12`/);
  });
});
