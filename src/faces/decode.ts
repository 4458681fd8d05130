/**
 * Decoding enrolment images (JPEG/PNG/WebP...) into rgb24 with sharp, with size limits. Failures become
 * {@link ImageError}s with a stable code.
 */
import sharp from 'sharp';
import { ImageError } from '../core/errors';
import type { RgbImage } from './image';

/** Limits of {@link decodeImage}. */
export interface DecodeLimits {
  /** Largest encoded size, bytes. */
  maxBytes: number;
  /** Largest decoded size, pixels (sharp `limitInputPixels`). @defaultValue 40 M */
  maxPixels?: number;
}

/** Decodes an image file's bytes into rgb24 (EXIF orientation applied). */
export async function decodeImage(buf: Buffer, limits: DecodeLimits): Promise<RgbImage> {
  if (buf.length > limits.maxBytes) {
    throw new ImageError('payload_too_large', `image is ${buf.length} bytes, the limit is ${limits.maxBytes}`);
  }
  if (buf.length === 0) {
    throw new ImageError('bad_image', 'image is empty');
  }
  const maxPixels = limits.maxPixels ?? 40_000_000;
  try {
    const { data, info } = await sharp(buf, { limitInputPixels: maxPixels, failOn: 'error' })
      .rotate()
      .removeAlpha()
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new ImageError('bad_image', `unexpected ${info.channels} channels after decoding`);
    }
    return { width: info.width, height: info.height, data };
  } catch (err) {
    if (err instanceof ImageError) {
      throw err;
    }
    const msg = (err as Error).message ?? '';
    if (/pixel limit/i.test(msg)) {
      throw new ImageError('payload_too_large', `image has more than ${maxPixels} pixels`);
    }
    throw new ImageError('bad_image', 'not a readable image (unsupported format or corrupt data)');
  }
}
