/**
 * Labelling aid used to make test/fixtures/eval/vtest (docs/eval.md "The vtest label set"): draws a pixel grid on an
 * exported frame, enlarged, so box corners can be read off by eye, and draws the boxes of a gt.txt already written
 * for that frame (with their ids) to check them.
 *   npx tsx scripts/label-grid.ts FRAME.jpg OUT.png [gt.txt] [--crop x,y,w,h] [--scale 2]
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import sharp from 'sharp';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args.splice(i, 2)[1] : undefined;
  };
  const crop = flag('--crop')?.split(',').map(Number);
  const scale = Number(flag('--scale') ?? 2);
  const [file, out, gt] = args;
  const frame = Number(/(\d+)\.\w+$/.exec(basename(file))?.[1]);
  const meta = await sharp(file).metadata();
  const [cx, cy, cw, ch] = crop ?? [0, 0, meta.width!, meta.height!];
  const W = cw * scale;
  const H = ch * scale;
  const parts: string[] = [];
  const X = (x: number) => (x - cx) * scale;
  const Y = (y: number) => (y - cy) * scale;
  for (let x = Math.ceil(cx / 10) * 10; x <= cx + cw; x += 10) {
    const major = x % 50 === 0;
    parts.push(`<line x1="${X(x)}" y1="0" x2="${X(x)}" y2="${H}" stroke="${major ? '#00ffff' : '#00ffff'}" stroke-opacity="${major ? 0.8 : 0.25}" stroke-width="1"/>`);
    if (major) {
      parts.push(`<text x="${X(x) + 2}" y="12" font-size="12" fill="#ffff00" font-family="DejaVu Sans">${x}</text>`);
    }
  }
  for (let y = Math.ceil(cy / 10) * 10; y <= cy + ch; y += 10) {
    const major = y % 50 === 0;
    parts.push(`<line x1="0" y1="${Y(y)}" x2="${W}" y2="${Y(y)}" stroke="#00ffff" stroke-opacity="${major ? 0.8 : 0.25}" stroke-width="1"/>`);
    if (major) {
      parts.push(`<text x="2" y="${Y(y) - 2}" font-size="12" fill="#ffff00" font-family="DejaVu Sans">${y}</text>`);
    }
  }
  if (gt) {
    for (const line of readFileSync(gt, 'utf8').trim().split('\n')) {
      const [f, id, x, y, w, h] = line.split(',').map(Number);
      if (f === frame) {
        parts.push(`<rect x="${X(x)}" y="${Y(y)}" width="${w * scale}" height="${h * scale}" fill="none" stroke="#ff3030" stroke-width="2"/>`);
        parts.push(`<text x="${X(x) + 2}" y="${Y(y) + 14}" font-size="14" font-weight="bold" fill="#ff3030" font-family="DejaVu Sans">${id}</text>`);
      }
    }
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${parts.join('')}</svg>`;
  await sharp(file).extract({ left: cx, top: cy, width: cw, height: ch }).resize(W, H, { kernel: 'nearest' }).composite([{ input: Buffer.from(svg) }]).png().toFile(out);
}

void main();
