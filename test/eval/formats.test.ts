/** COCO JSON and MOTChallenge text readers: what they accept and how they name what is wrong. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCocoDetections, parseCocoGroundTruth, readCocoGroundTruth } from '../../src/eval/formats/coco';
import { formatMotTracks, parseMotGt, parseMotTracks, readMotTracks, writeMotTracks } from '../../src/eval/formats/mot';

const cocoGt = (images: unknown[], annotations: unknown[] = []) => ({ images, annotations, categories: [{ id: 1, name: 'person' }] });

describe('MOTChallenge files', () => {
  it('reads MOT17 gt (mark, class, visibility) and MOT15 gt (no classes), commas or spaces, blank lines skipped', () => {
    const rows = parseMotGt('1,1,10,20,30,40,1,1,0.8\n\n2, 1, 11, 20, 30, 40, 0, 7, 0.1\n1 2 5 5 10 10 1 -1 -1 -1\n');
    assert.deepEqual(rows[0], { frame: 1, id: 1, bbox: [10, 20, 30, 40], mark: 1, cls: 1, visibility: 0.8 });
    assert.deepEqual([rows[1].mark, rows[1].cls], [0, 7]);
    assert.deepEqual([rows[2].frame, rows[2].cls], [1, -1]);
  });
  it('reads tracker output and writes it back sorted, in the 10-column form', () => {
    const text = '2,5,1.5,2.25,30,40,0.9,-1,-1,-1\n1,7,0,0,10,10,0.5,-1,-1,-1\n1,3,0.12345,0,10,10,1,-1,-1,-1\n';
    const rows = parseMotTracks(text);
    assert.deepEqual(rows[0], { frame: 2, id: 5, bbox: [1.5, 2.25, 30, 40], conf: 0.9 });
    assert.equal(formatMotTracks(rows), '1,3,0.123,0,10,10,1,-1,-1,-1\n1,7,0,0,10,10,0.5,-1,-1,-1\n2,5,1.5,2.25,30,40,0.9,-1,-1,-1\n');
  });
  it('names the line and field that is wrong', () => {
    assert.throws(() => parseMotGt('1,1,10,20,30,40,1,1,1\n1,2,10,x,30,40\n', { source: 'gt.txt' }), /gt.txt line 2: field 4 'x' is not a number/);
    assert.throws(() => parseMotGt('1,1,10,20,30\n', { source: 'gt.txt' }), /gt.txt line 1: 5 fields, at least 6/);
    assert.throws(() => parseMotTracks('0,1,10,20,30,40\n'), /line 1: frame '0' is not a frame number/);
    assert.throws(() => parseMotTracks('1,1.5,10,20,30,40\n'), /line 1: id '1.5' is not an integer/);
    assert.throws(() => parseMotTracks('1,1,10,20,-3,40\n'), /negative box width or height/);
  });
  it('round-trips through a file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-mot-'));
    try {
      const rows = [{ frame: 1, id: 2, bbox: [1, 2, 3, 4] as [number, number, number, number], conf: 0.75 }];
      await writeMotTracks(join(dir, 't.txt'), rows);
      assert.deepEqual(await readMotTracks(join(dir, 't.txt')), rows);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('COCO files', () => {
  it('maps images to frames: a frame field, else the last digits of file_name, else the image id', () => {
    const byField = parseCocoGroundTruth(cocoGt([{ id: 5, frame_id: 40, file_name: 'a_2.jpg' }, { id: 6, frame: 41 }]));
    assert.deepEqual(byField.images.map((i) => i.frame), [40, 41]);
    const byName = parseCocoGroundTruth(cocoGt([{ id: 5, file_name: 'cam2/frame_000123.jpg' }, { id: 6, file_name: 'cam2/frame_000124.jpg' }]));
    assert.deepEqual(byName.images.map((i) => i.frame), [123, 124]);
    const byId = parseCocoGroundTruth(cocoGt([{ id: 5, file_name: 'a.jpg' }, { id: 6 }]));
    assert.deepEqual(byId.images.map((i) => i.frame), [5, 6]);
    const forced = parseCocoGroundTruth(cocoGt([{ id: 5, file_name: 'f_9.jpg' }]), { frameFrom: 'id' });
    assert.equal(forced.images[0].frame, 5);
  });
  it('reads annotations: iscrowd, default area w x h, default ids 1..n', () => {
    const gt = parseCocoGroundTruth(
      cocoGt([{ id: 1 }], [
        { image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], iscrowd: 1, area: 7 },
        { image_id: 1, category_id: 1, bbox: [1, 2, 3, 4] },
      ]),
    );
    assert.deepEqual(gt.annotations, [
      { id: 1, imageId: 1, categoryId: 1, bbox: [1, 2, 3, 4], area: 7, iscrowd: true },
      { id: 2, imageId: 1, categoryId: 1, bbox: [1, 2, 3, 4], area: 12, iscrowd: false },
    ]);
  });
  it('names what is wrong in a ground truth', () => {
    const src = { source: 'labels.json' };
    assert.throws(() => parseCocoGroundTruth({ annotations: [], categories: [] }, src), /labels.json: images is missing/);
    assert.throws(() => parseCocoGroundTruth(cocoGt([{ id: 1 }], [{ image_id: 1, category_id: 1, bbox: [1, 2, 3] }]), src), /annotations\[0\].bbox is \[1,2,3\], not \[x, y, width, height\]/);
    assert.throws(() => parseCocoGroundTruth(cocoGt([{ id: 1 }], [{ image_id: 2, category_id: 1, bbox: [1, 2, 3, 4] }]), src), /annotations\[0\].image_id 2 is not in images/);
    assert.throws(() => parseCocoGroundTruth(cocoGt([{ id: 1 }], [{ image_id: 1, category_id: 9, bbox: [1, 2, 3, 4] }]), src), /category_id 9 is not in categories/);
    assert.throws(() => parseCocoGroundTruth(cocoGt([{ id: 1 }, { id: 1 }]), src), /images\[1\].id 1 appears twice/);
    assert.throws(() => parseCocoGroundTruth(cocoGt([{ id: 1, frame: 3 }, { id: 2, frame: 3 }]), src), /images\[1\] is on frame 3 like image 1/);
    assert.throws(() => parseCocoGroundTruth(cocoGt([{ id: 1 }], [{ image_id: 1, category_id: 1, bbox: [1, 2, 3, 4], iscrowd: 'yes' }]), src), /iscrowd is "yes", not 0 or 1/);
  });
  it('reads detections as a results list or as an object of scored annotations (ids 1..n, area w x h)', () => {
    const list = parseCocoDetections([{ image_id: 1, category_id: 1, bbox: [0, 0, 2, 3], score: 0.5 }]);
    assert.deepEqual(list, [{ id: 1, imageId: 1, categoryId: 1, bbox: [0, 0, 2, 3], score: 0.5, area: 6 }]);
    assert.deepEqual(parseCocoDetections({ annotations: [{ image_id: 1, category_id: 1, bbox: [0, 0, 2, 3], score: 0.5 }] }), list);
    assert.throws(() => parseCocoDetections([{ image_id: 1, category_id: 1, bbox: [0, 0, 2, 3] }], { source: 'dt.json' }), /dt.json: \[0\].score is missing/);
    assert.throws(() => parseCocoDetections('nope'), /neither a results list nor an object with annotations/);
  });
  it('a file that is not JSON is named', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'vigil-coco-'));
    try {
      await writeFile(join(dir, 'gt.json'), '{"images": [');
      await assert.rejects(readCocoGroundTruth(join(dir, 'gt.json')), /gt.json: not valid JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
