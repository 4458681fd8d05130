import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCvatVideo } from '../../src/eval/labels/cvat';
import { framesCsv, frameFile, parseFramesCsv } from '../../src/eval/labels/export';
import { parseLabelStudioVideo } from '../../src/eval/labels/label-studio';
import { toCocoJson, toMotGt } from '../../src/eval/labels/types';
import { sourceFrameOfSlot, startFrame } from '../../src/eval/frames';

const FIX = join(__dirname, '..', 'fixtures', 'eval');

describe('eval: label conversion', () => {
  it('reads CVAT for video 1.1: task frames through start/step to 1-based video frames, outside boxes dropped, track ids renumbered', () => {
    const set = parseCvatVideo(readFileSync(join(FIX, 'cvat-video.xml'), 'utf8'), { source: 'cvat-video.xml' });
    assert.deepEqual([set.width, set.height], [768, 576]);
    assert.deepEqual(set.frames, [1, 11, 21, 31]);
    assert.equal(set.skipped, 1);
    const rows = set.boxes.map((b) => [b.frame, b.track, b.label, b.x, b.y, b.w, b.h]);
    assert.deepEqual(rows, [
      [1, 1, 'person', 280, 210.5, 35, 89.5],
      [11, 1, 'person', 290, 212, 35, 90],
      [11, 2, 'person', 600, 240, 50, 90],
      [31, 2, 'person', 560, 245, 50, 90],
      [1, 3, 'car', 650, 40, 75, 55],
    ]);
    assert.equal(set.boxes[1].occluded, true);
    // A task made from exported frames: task frame i is the i-th row of frames.csv.
    const map = parseFramesCsv(framesCsv([0, 1, 2, 3].map((i) => ({ file: frameFile(5 + 10 * i), frame: 5 + 10 * i, t: 0.4 + i }))));
    const mapped = parseCvatVideo(readFileSync(join(FIX, 'cvat-video.xml'), 'utf8'), { frameMap: map });
    assert.deepEqual(mapped.frames, [5, 15, 25, 35]);
    assert.deepEqual(mapped.boxes.map((b) => b.frame), [5, 15, 15, 35, 5]);
  });

  it('refuses what is not CVAT video XML, naming the file and the problem', () => {
    assert.throws(() => parseCvatVideo('<html></html>', { source: 'x.xml' }), /x.xml: not a CVAT XML export/);
    assert.throws(() => parseCvatVideo('<annotations><version>1.1</version><meta></meta></annotations>', { source: 'x.xml' }), /no <original_size>/);
    const bad = readFileSync(join(FIX, 'cvat-video.xml'), 'utf8').replace('xbr="315.00"', 'xbr="100"');
    assert.throws(() => parseCvatVideo(bad, { source: 'x.xml' }), /track 0: a <box> needs .* xtl <= xbr/);
  });

  it('reads Label Studio video tracking: keyframes interpolated, a disabled keyframe ends the lifespan, the last enabled one lasts to the end', () => {
    const json = JSON.parse(readFileSync(join(FIX, 'label-studio-video.json'), 'utf8'));
    const set = parseLabelStudioVideo(json, { width: 200, height: 100, source: 'ls.json' });
    assert.equal(set.task, 12);
    assert.deepEqual(set.frames, [1, 2, 3, 4, 5, 6, 7, 8]);
    const rows = set.boxes.map((b) => [b.frame, b.track, b.label, b.x, b.y, b.w, b.h]);
    assert.deepEqual(rows, [
      [2, 1, 'person', 100, 25, 20, 20],
      [3, 1, 'person', 110, 25, 20, 25],
      [4, 1, 'person', 120, 25, 20, 30],
      [7, 2, 'car', 0, 0, 50, 25],
      [8, 2, 'car', 0, 0, 50, 25],
    ]);
    assert.throws(() => parseLabelStudioVideo([{ id: 1, annotations: [] }], { width: 1, height: 1, source: 'ls.json' }), /ls.json: no task with a videorectangle result/);
    assert.throws(() => parseLabelStudioVideo(json, { width: 1, height: 1, task: 99, source: 'ls.json' }), /no task with id 99/);
  });

  it('writes COCO JSON (image id = frame, file names of the export) and MOT gt.txt (people only)', () => {
    const set = parseCvatVideo(readFileSync(join(FIX, 'cvat-video.xml'), 'utf8'));
    const coco = toCocoJson(set) as { images: Array<{ id: number; frame: number; file_name: string }>; categories: unknown[]; annotations: Array<{ image_id: number; category_id: number; bbox: number[]; area: number }> };
    assert.deepEqual(coco.images.map((i) => [i.id, i.frame, i.file_name]), [[1, 1, 'frame_000001.jpg'], [11, 11, 'frame_000011.jpg'], [21, 21, 'frame_000021.jpg'], [31, 31, 'frame_000031.jpg']]);
    assert.deepEqual(coco.categories, [{ id: 1, name: 'car' }, { id: 2, name: 'person' }]);
    assert.deepEqual(coco.annotations[0], { id: 1, image_id: 1, category_id: 2, bbox: [280, 210.5, 35, 89.5], area: 3132.5, iscrowd: 0, track_id: 1 });
    const mot = toMotGt(set);
    assert.equal(mot.skipped, 1);
    assert.equal(mot.text, '1,1,280,210.5,35,89.5,1,1,1\n11,1,290,212,35,90,1,1,1\n11,2,600,240,50,90,1,1,1\n31,2,560,245,50,90,1,1,1\n');
  });

  it('maps fps-filter output frames to video frames as FFmpeg picks them', () => {
    // Measured on vtest.mp4 (10 frames/s) at fps=1: the output frames are the video's frames 4, 14, 24 (0-based).
    assert.deepEqual([0, 1, 2].map((k) => sourceFrameOfSlot(k, 1, 10)), [4, 14, 24]);
    assert.deepEqual([0, 1, 2, 3].map((k) => sourceFrameOfSlot(k, 10, 10)), [0, 1, 2, 3]);
    assert.deepEqual([0, 1, 2].map((k) => sourceFrameOfSlot(k, 5, 10)), [0, 2, 4]);
    assert.deepEqual([0, 1, 2, 3].map((k) => sourceFrameOfSlot(k, 20, 10)), [0, 0, 1, 1]);
    assert.equal(startFrame(2, 10), 20);
    assert.equal(startFrame(2.05, 10), 21);
    assert.throws(() => parseFramesCsv('file,t\na,1'), /"frame" column/);
  });
});
