import sharp from 'sharp';
import type { AlertObject } from '../core/types';

/** Options of {@link renderSnapshot}. */
export interface SnapshotOptions {
  /** JPEG quality. @defaultValue 80 */
  quality?: number;
  /** Box colour (CSS). @defaultValue '#ff2d2d' */
  color?: string;
}

/** Escapes text for an SVG text node. */
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The SVG overlay (boxes and labels) for a frame of `width` x `height`; pure, exported for tests. */
export function overlaySvg(width: number, height: number, objects: readonly AlertObject[], color = '#ff2d2d'): string {
  const stroke = Math.max(2, Math.round(Math.min(width, height) / 240));
  const font = Math.max(10, Math.round(height / 40));
  const parts: string[] = [];
  for (const o of objects) {
    const x1 = Math.max(0, Math.min(width - 1, o.box[0] * width));
    const y1 = Math.max(0, Math.min(height - 1, o.box[1] * height));
    const x2 = Math.max(x1 + 1, Math.min(width, o.box[2] * width));
    const y2 = Math.max(y1 + 1, Math.min(height, o.box[3] * height));
    const label = `${esc(o.label)} #${o.trackId} ${Math.round(o.score * 100)}%`;
    const ty = y1 > font + 2 ? y1 - 3 : y1 + font;
    parts.push(
      `<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${(x2 - x1).toFixed(1)}" height="${(y2 - y1).toFixed(1)}"` +
        ` fill="none" stroke="${color}" stroke-width="${stroke}"/>`,
      `<text x="${(x1 + 2).toFixed(1)}" y="${ty.toFixed(1)}" font-family="sans-serif" font-size="${font}"` +
        ` fill="${color}" stroke="black" stroke-width="0.6">${label}</text>`,
    );
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/**
 * The frame (rgb24, `width*height*3` bytes) as a JPEG with the objects' boxes and labels drawn (sharp composite
 * of an SVG overlay).
 */
export async function renderSnapshot(
  pixels: Buffer,
  width: number,
  height: number,
  objects: readonly AlertObject[],
  options: SnapshotOptions = {},
): Promise<Buffer> {
  if (pixels.length !== width * height * 3) {
    throw new TypeError(`renderSnapshot: ${pixels.length} bytes is not a ${width}x${height} rgb24 frame`);
  }
  const svg = Buffer.from(overlaySvg(width, height, objects, options.color));
  return sharp(pixels, { raw: { width, height, channels: 3 } })
    .composite([{ input: svg, top: 0, left: 0 }])
    .jpeg({ quality: options.quality ?? 80 })
    .toBuffer();
}
