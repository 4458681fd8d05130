import assert from 'node:assert/strict';
import { faceQuality, frontality, laplacianVariance } from '../../src/faces/quality';

function face(noseX: number): Float32Array {
  const p = new Float32Array(136);
  const set = (i: number, x: number, y: number): void => {
    p[i * 2] = x;
    p[i * 2 + 1] = y;
  };
  for (let i = 0; i < 68; i++) {
    set(i, 50, 73);
  }
  for (let i = 36; i < 42; i++) {set(i, 35, 40);}
  for (let i = 42; i < 48; i++) {set(i, 65, 40);}
  set(30, noseX, 60);
  return p;
}

function noise(seed: number, amp: number): { width: number; height: number; data: Uint8Array } {
  const data = new Uint8Array(40 * 40 * 3);
  let s = seed;
  for (let i = 0; i < data.length; i += 3) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const v = 128 + ((s % (2 * amp + 1)) - amp);
    data.fill(v, i, i + 3);
  }
  return { width: 40, height: 40, data };
}

describe('faces/quality', () => {
  it('#frontality: nose midway between the eyes is frontal, towards one eye is not', () => {
    assert.ok(frontality(face(50)) > 0.9);
    assert.ok(frontality(face(38)) < 0.3);
    assert.ok(frontality(face(50)) > frontality(face(58)));
  });

  it('#laplacianVariance: a flat image is 0, texture is higher, stronger texture higher still', () => {
    const flat = { width: 10, height: 10, data: new Uint8Array(300).fill(90) };
    assert.equal(laplacianVariance(flat), 0);
    assert.ok(laplacianVariance(noise(1, 40)) > laplacianVariance(noise(1, 5)));
  });

  it('#faceQuality multiplies size, frontality and sharpness', () => {
    const q = faceQuality(40, face(50), noise(3, 60));
    assert.ok(Math.abs(q.size - 0.5) < 1e-9);
    assert.ok(q.score > 0 && q.score <= q.size);
    assert.ok(Math.abs(q.score - q.size * q.frontal * q.sharp) < 1e-12);
  });
});
