import assert from 'node:assert/strict';
import sharp from 'sharp';
import { decodeImage } from '../../src/faces/decode';

describe('decodeImage', () => {
  it('gives rgb24 for RGBA PNG, greyscale JPEG and WebP', async () => {
    const rgba = await sharp({ create: { width: 5, height: 4, channels: 4, background: { r: 10, g: 20, b: 30, alpha: 0.5 } } }).png().toBuffer();
    const grey = await sharp({ create: { width: 6, height: 3, channels: 3, background: '#808080' } }).greyscale().jpeg().toBuffer();
    const webp = await sharp({ create: { width: 7, height: 2, channels: 3, background: '#ff0000' } }).webp().toBuffer();
    for (const [buf, w, h] of [[rgba, 5, 4], [grey, 6, 3], [webp, 7, 2]] as const) {
      const img = await decodeImage(buf, { maxBytes: 1e6 });
      assert.equal(img.width, w);
      assert.equal(img.height, h);
      assert.equal(img.data.length, w * h * 3);
    }
  });

  it('applies the EXIF orientation (a portrait photo stored sideways comes out portrait)', async () => {
    const sideways = await sharp({ create: { width: 8, height: 4, channels: 3, background: '#00ff00' } }).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(sideways, { maxBytes: 1e6 });
    assert.deepEqual([img.width, img.height], [4, 8]);
  });

  it('refuses empty, oversized and undecodable data with coded errors', async () => {
    await assert.rejects(decodeImage(Buffer.alloc(0), { maxBytes: 10 }), { code: 'bad_image' });
    await assert.rejects(decodeImage(Buffer.alloc(11), { maxBytes: 10 }), { code: 'payload_too_large' });
    await assert.rejects(decodeImage(Buffer.from('GIF89a but not really'), { maxBytes: 1e6 }), { code: 'bad_image' });
    const big = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#000' } }).png().toBuffer();
    await assert.rejects(decodeImage(big, { maxBytes: 1e6, maxPixels: 200 * 200 }), { code: 'payload_too_large' });
  });
});
