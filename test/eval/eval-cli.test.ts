import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createLogger } from '../../src/core/logger';
import { run } from '../../src/eval/cli';
import type { EvalReport } from '../../src/eval/report';

const FIX = join(__dirname, '..', 'fixtures', 'eval');
const MEDIA = process.env.VIGIL_TEST_MEDIA ?? '/work/shared/media';

/** Runs `vigil eval ...` in-process with stdout/stderr captured. */
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

describe('vigil eval @integration', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    process.env.VIGIL_MODELS_DIR ??= '/work/shared/models';
    dir = mkdtempSync(join(tmpdir(), 'vigil-eval-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the pipeline over 10 s of vtest.mp4 against the hand-made label set and writes a sane report', async () => {
    const out = join(dir, 'report');
    const r = await capture([
      '--config', join(FIX, 'vtest', 'config.yaml'), '--video', join(MEDIA, 'vtest.mp4'),
      '--labels', join(FIX, 'vtest', 'gt.txt'), '--events', join(FIX, 'vtest', 'events.json'),
      '--start', '15', '--duration', '10', '--sweep', 'score=0.3:0.7:0.2', '--out', out,
    ]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /eval: 100 frames, .* frames\/s end to end on CPU/);
    for (const f of ['report.md', 'report.json', 'alerts.json', 'tracks.txt', 'detections.json', 'pr-curves.png', 'sweep.png', 'alert-offsets.png']) {
      assert.ok(existsSync(join(out, f)), f);
    }
    const rep = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as EvalReport;
    assert.equal(rep.frames, 100);
    assert.equal(rep.startS, 15);
    assert.ok(rep.speed.endToEndFps > 1 && rep.speed.stages.every((s) => s.fps === null || s.fps > 0), JSON.stringify(rep.speed));
    // Detection against the 36 labelled boxes on frames 160..240 (all inside the segment): YOLOX-nano finds most people.
    const det = rep.detection!;
    assert.equal(det.frames, 5);
    assert.deepEqual(det.unreached, []);
    assert.equal(det.result.perClass.find((c) => c.name === 'person')?.numGt, 36);
    assert.ok(det.result.overall.ap50 > 0.7 && det.result.overall.ap50 <= 1, `AP50 ${det.result.overall.ap50}`);
    assert.ok(det.result.overall.ap > 0.3 && det.result.overall.ap < det.result.overall.ap50);
    const trk = rep.tracking!.result;
    assert.ok(trk.mota > 0.4 && trk.mota <= 1 && trk.idf1 > 0.4 && trk.hota > 0.3, JSON.stringify({ mota: trk.mota, idf1: trk.idf1, hota: trk.hota }));
    assert.equal(trk.numGtDets, 36);
    // Alerts: the three labelled crossings in 15..25 s (17.8, 20.05, 24.5); the other twelve are outside the span.
    const q = rep.alertQuality!;
    assert.equal(rep.eventsOutside, 12);
    assert.equal(q.overall.events, 3);
    assert.ok(q.overall.truePositives >= 2, JSON.stringify(q.overall));
    assert.ok(q.overall.offsets.max! <= 1.5 && q.overall.offsets.min! >= -1.5);
    assert.deepEqual(rep.sweep!.points.map((p) => p.value), [0.3, 0.5, 0.7]);
    // MOT tracker output: 1-based frames of the video inside the segment, boxes inside the frame.
    const rows = readFileSync(join(out, 'tracks.txt'), 'utf8').trim().split('\n').map((l) => l.split(',').map(Number));
    assert.ok(rows.every(([f, , x, y, w, h]) => f >= 151 && f <= 250 && x > -20 && y > -20 && x + w < 790 && y + h < 600));
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    assert.match(md, /## Detection[\s\S]*## Tracking[\s\S]*## Alerts[\s\S]*## Threshold sweep/);
    assert.doesNotMatch(md, /undefined|NaN/);
    const png = await sharp(join(out, 'sweep.png')).metadata();
    assert.equal(png.format, 'png');
  });

  it('exits 2 naming the problem: bad sweep, missing video, bad events file', async () => {
    const base = ['--config', join(FIX, 'vtest', 'config.yaml')];
    const a = await capture([...base, '--video', join(MEDIA, 'vtest.mp4'), '--sweep', 'score=0.9:0.1:0.1']);
    assert.equal(a.code, 2);
    assert.match(a.err, /--sweep: need LO <= HI/);
    const b = await capture([...base, '--video', join(dir, 'none.mp4'), '--out', join(dir, 'x')]);
    assert.equal(b.code, 2);
    assert.match(b.err, /none.mp4: cannot read the video/);
    const c = await capture([...base, '--video', join(MEDIA, 'vtest.mp4'), '--events', join(FIX, 'cvat-video.xml')]);
    assert.equal(c.code, 2);
    assert.match(c.err, /cvat-video.xml: a CSV events file starts with a header/);
    assert.equal((await capture(['labls'])).code, 2);
  });

  it('labels export names frames by their video frame; convert writes what eval reads', async () => {
    const frames = join(dir, 'frames');
    const e = await capture(['labels', 'export', '--video', join(MEDIA, 'vtest.mp4'), '--fps', '1', '--start', '2', '--duration', '3', '--out', frames]);
    assert.equal(e.code, 0, e.err);
    assert.equal(readFileSync(join(frames, 'frames.csv'), 'utf8'), 'file,frame,t\nframe_000025.jpg,25,2.4\nframe_000035.jpg,35,3.4\nframe_000045.jpg,45,4.4\n');
    const gt = join(dir, 'gt.txt');
    const c = await capture(['labels', 'convert', '--from', 'label-studio', '--in', join(FIX, 'label-studio-video.json'), '--to', 'mot', '--out', gt, '--size', '200x100']);
    assert.equal(c.code, 0, c.err);
    assert.match(c.out, /5 boxes of 2 objects on 8 frames/);
    assert.equal(readFileSync(gt, 'utf8').trim().split('\n').length, 3);
    const m = await capture(['mot', '--gt', gt, '--tracks', gt]);
    assert.equal(m.code, 0, m.err);
    assert.match(m.out, /HOTA 100.000 .* MOTA 100.000 .* IDF1 100.000/);
  });
});
