import assert from 'node:assert/strict';
import path from 'node:path';
import { collectPhotoFaces, ENROL, evaluateWatchlist, type Face } from '../../src/bench/faces';
import { UltraFaceDetector } from '../../src/faces/detector';
import { euclidean } from '../../src/faces/matcher';
import { builtFaceNets } from './helpers';
import { MEDIA, MODELS } from '../helpers';

/**
 * The proof of issue 4 on the real photos: one photo each of Obama, Biden, Lacamoire and Leslie enrolled; every
 * other face of them (group photos face by face) matches the right identity, and no face matches a wrong one.
 */
describe('watchlist accuracy on media/faces (real models)', function () {
  this.timeout(180_000);
  let faces: Face[];
  before(async () => {
    const models = { detector: await UltraFaceDetector.load(path.join(MODELS, 'ultraface-rfb-320.onnx')), ...(await builtFaceNets()) };
    faces = await collectPhotoFaces(models, MEDIA, 0.7);
  });

  it('matches every other photo of the enrolled people to the right identity and nobody to a wrong one', () => {
    assert.equal(faces.length, 20, 'every face of the 16 photos (three are group photos)');
    const r = evaluateWatchlist(faces, 0.6);
    assert.equal(r.wrong, 0, r.rows.join('\n'));
    assert.equal(r.missed, 0, r.rows.join('\n'));
    assert.equal(r.checked, faces.length - Object.keys(ENROL).length);
    // the not-enrolled people (Miranda, Kit Harington, a child) are checked too and match no one
    assert.equal(r.rows.filter((row) => row.includes('ok (no match)')).length, 3);
  });

  it('aligned crops separate people: every same-person pair is closer than every different-person pair', () => {
    let sameMax = 0;
    let diffMin = Infinity;
    for (let i = 0; i < faces.length; i++) {
      for (let j = i + 1; j < faces.length; j++) {
        const d = euclidean(faces[i]!.embedding, faces[j]!.embedding);
        if (faces[i]!.person === faces[j]!.person) {sameMax = Math.max(sameMax, d);}
        else {diffMin = Math.min(diffMin, d);}
      }
    }
    assert.ok(sameMax < 0.6 && diffMin >= 0.6, `same ≤ ${sameMax.toFixed(3)}, different ≥ ${diffMin.toFixed(3)}`);
  });
});
