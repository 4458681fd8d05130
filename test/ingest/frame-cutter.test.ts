import assert from 'node:assert/strict';
import { FrameCutter } from '../../src/ingest/frame-cutter';

function stream(frames: number, size: number): Buffer {
  const b = Buffer.alloc(frames * size);
  for (let f = 0; f < frames; f++) {
    b.fill(f + 1, f * size, (f + 1) * size);
  }
  return b;
}

describe('FrameCutter', () => {
  const size = 12;
  it('cuts exact frames whatever the chunk boundaries', () => {
    for (const chunk of [1, 5, 12, 13, 25, 100]) {
      const out: Buffer[] = [];
      const c = new FrameCutter(size, (f) => out.push(Buffer.from(f)));
      const data = stream(7, size);
      for (let off = 0; off < data.length; off += chunk) {
        c.push(data.subarray(off, off + chunk));
      }
      assert.equal(out.length, 7, `chunk ${chunk}`);
      out.forEach((f, i) => {
        assert.equal(f.length, size);
        assert.ok(f.every((v) => v === i + 1), `frame ${i} intact with chunk ${chunk}`);
      });
      assert.equal(c.pendingBytes, 0);
    }
  });
  it('hands whole frames inside a chunk on without copying', () => {
    const data = stream(3, size);
    const out: Buffer[] = [];
    new FrameCutter(size, (f) => out.push(f)).push(data);
    assert.equal(out.length, 3);
    assert.equal(out[1].buffer, data.buffer, 'a view of the chunk, not a copy');
    assert.equal(out[1].byteOffset, data.byteOffset + size);
  });
  it('keeps an incomplete tail until the next chunk', () => {
    const out: Buffer[] = [];
    const c = new FrameCutter(size, (f) => out.push(f));
    c.push(stream(2, size).subarray(0, 20));
    assert.equal(out.length, 1);
    assert.equal(c.pendingBytes, 8);
  });
  it('works as a Writable stream', async () => {
    const out: Buffer[] = [];
    const c = new FrameCutter(size, (f) => out.push(f));
    await new Promise<void>((resolve, reject) => c.end(stream(4, size), () => resolve()).on('error', reject));
    assert.equal(out.length, 4);
  });
  it('rejects a bad frame size', () => {
    assert.throws(() => new FrameCutter(0, () => undefined), TypeError);
  });
});
