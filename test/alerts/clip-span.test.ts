import assert from 'node:assert/strict';
import { concatList, outputVideoCodec } from '../../src/alerts/clip-cut';
import { clipSpan, planClip, recordedUntil } from '../../src/alerts/clip-span';
import type { RecordedSegment } from '../../src/core/types';

const seg = (startMs: number, durationMs = 2000, n = startMs / 1000): RecordedSegment => ({ file: `door/r-${String(n).padStart(6, '0')}.ts`, startMs, durationMs, bytes: 1000, instance: 'i' });

describe('clip span and plan (pure)', () => {
  it('spans pre before the start to post after the end, at most maxClipSeconds', () => {
    assert.deepEqual(clipSpan(10_000, 14_000, 5, 5, 120), { from: 5000, to: 19_000 });
    assert.deepEqual(clipSpan(10_000, 600_000, 5, 5, 120), { from: 5000, to: 125_000 });
  });

  it('starts inside the first segment and ends inside the last (offset and duration in seconds)', () => {
    const segs = [0, 2000, 4000, 6000, 8000, 10_000].map((t) => seg(t));
    const plan = planClip(segs, 1300, 9500, 4000, 6000)!;
    assert.deepEqual(plan.segments.map((s) => s.startMs), [0, 2000, 4000, 6000, 8000]);
    assert.equal(plan.offsetS, 1.3);
    assert.equal(plan.durationS, 8.2);
    assert.equal(plan.from, 1300);
    assert.equal(plan.to, 9500);
    assert.ok(recordedUntil(segs, 9500));
    assert.ok(!recordedUntil(segs, 12_500));
  });

  it('a gap cuts the clip: the contiguous run over the alert is used; nothing over the alert = no plan', () => {
    const segs = [seg(0), seg(2000), /* gap 4-8 s */ seg(8000), seg(10_000)];
    const plan = planClip(segs, 1000, 11_000, 1500, 3000)!;
    assert.deepEqual(plan.segments.map((s) => s.startMs), [0, 2000]);
    assert.equal(plan.to, 4000);
    const later = planClip(segs, 1000, 11_000, 8500, 9000)!;
    assert.deepEqual(later.segments.map((s) => s.startMs), [8000, 10_000]);
    assert.equal(later.from, 8000);
    assert.equal(planClip(segs, 3000, 8000, 4500, 7000), undefined);
    assert.equal(planClip([], 0, 10_000, 1000, 2000), undefined);
    // Segments a few tens of ms apart (estimated times) are contiguous.
    assert.equal(planClip([seg(0), seg(2040, 2000, 1)], 0, 4000, 500, 3000)!.segments.length, 2);
  });

  it('writes concat lists with quotes escaped and reads the output codec from FFmpeg', () => {
    assert.equal(concatList(["/r/a'b.ts", '/r/c.ts']), "ffconcat version 1.0\nfile '/r/a'\\''b.ts'\nfile '/r/c.ts'\n");
    const log = "Input #0, concat, from 'x':\n  Stream #0:0: Video: h264 (Main), yuv420p\nOutput #0, mp4, to 'y':\n  Stream #0:0: Video: hevc (hev1 / 0x31766568), yuv420p\n";
    assert.equal(outputVideoCodec(log), 'hevc');
  });
});
