/**
 * Enrolment: turns uploaded images into descriptors for the watchlist. Every image must hold exactly one usable
 * face (or one chosen by `box`); any failure rejects the whole request, so nothing is stored.
 */
import { ImageError } from '../core/errors';
import type { Box } from '../core/types';
import { decodeImage } from './decode';
import { iou } from '../core/geometry';
import { describeFaces, detectFaces, type FaceModels } from './pipeline';

/** Options of {@link embedEnrolmentImages}. */
export interface EnrolOptions {
  maxBytes: number;
  /** Smallest face side, pixels of the image. @defaultValue 24 */
  minFaceSize?: number;
  /** Minimum detector score. @defaultValue 0.5 */
  minScore?: number;
  /** Chooses a face when the image holds several: [x1,y1,x2,y2] in fractions of the image. */
  box?: Box;
}

/** One descriptor per image, in order. Throws {@link ImageError} naming the failing image. */
export async function embedEnrolmentImages(models: FaceModels, images: readonly Buffer[], opts: EnrolOptions): Promise<number[][]> {
  const out: number[][] = [];
  for (let i = 0; i < images.length; i++) {
    const label = images.length > 1 ? `image ${i + 1}: ` : '';
    try {
      out.push(await embedOne(models, images[i]!, opts));
    } catch (err) {
      if (err instanceof ImageError) {
        throw new ImageError(err.code as 'bad_image', `${label}${err.message}`);
      }
      throw err;
    }
  }
  return out;
}

async function embedOne(models: FaceModels, buf: Buffer, opts: EnrolOptions): Promise<number[]> {
  const img = await decodeImage(buf, { maxBytes: opts.maxBytes });
  const faces = await detectFaces(models.detector, img, [{ x: 0, y: 0, width: img.width, height: img.height }], {
    minFaceSize: opts.minFaceSize ?? 24,
    minScore: opts.minScore ?? 0.5,
  });
  if (faces.length === 0) {
    throw new ImageError('no_face', 'no face found in the image');
  }
  let chosen = faces[0]!;
  if (opts.box) {
    const b = opts.box;
    const want = [b[0] * img.width, b[1] * img.height, b[2] * img.width, b[3] * img.height];
    const scored = faces.map((f) => ({ f, o: iou([f.x1, f.y1, f.x2, f.y2], want) })).sort((a, b2) => b2.o - a.o);
    if (scored[0]!.o <= 0.1) {
      throw new ImageError('no_face', 'no face found inside the given box');
    }
    chosen = scored[0]!.f;
  } else if (faces.length > 1) {
    const boxes = faces.map((f) =>
      [f.x1 / img.width, f.y1 / img.height, f.x2 / img.width, f.y2 / img.height].map((v) => Math.round(v * 1000) / 1000),
    );
    throw new ImageError(
      'several_faces',
      `${faces.length} faces found; choose one with "box" ([x1,y1,x2,y2] in fractions): ${JSON.stringify(boxes)}`,
    );
  }
  const [desc] = await describeFaces(models, img, [chosen]);
  return Array.from(desc!.embedding);
}
