/**
 * MOTChallenge text files: gt.txt (frame,id,x,y,w,h,mark,class,visibility) and tracker output
 * (frame,id,x,y,w,h,conf,-1,-1,-1). Fields are separated by commas (or whitespace); blank lines are skipped.
 * MOT15 gt files have world coordinates (-1) where MOT16+ have class and visibility: they read as class -1 and
 * evaluate with preprocess 'none'.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { MotGtRow, MotTrackRow, XywhBox } from '../metrics/types';

interface Line {
  no: number;
  fields: number[];
}

function lines(text: string, source: string, minFields: number): Line[] {
  const out: Line[] = [];
  text.split(/\r?\n/).forEach((raw, k) => {
    const line = raw.trim();
    if (line === '') {
      return;
    }
    const parts = line.split(/\s*,\s*|\s+/);
    const where = `${source} line ${k + 1}`;
    if (parts.length < minFields) {
      throw new Error(`${where}: ${parts.length} fields, at least ${minFields} expected (frame,id,x,y,w,h,...)`);
    }
    const fields = parts.map((p, i) => {
      const x = Number(p);
      if (p === '' || !Number.isFinite(x)) {
        throw new Error(`${where}: field ${i + 1} '${p}' is not a number`);
      }
      return x;
    });
    if (!Number.isInteger(fields[0]) || fields[0] < 1) {
      throw new Error(`${where}: frame '${parts[0]}' is not a frame number (integers from 1)`);
    }
    if (!Number.isInteger(fields[1])) {
      throw new Error(`${where}: id '${parts[1]}' is not an integer`);
    }
    if (fields[4] < 0 || fields[5] < 0) {
      throw new Error(`${where}: negative box width or height (${parts[4]} x ${parts[5]})`);
    }
    out.push({ no: k + 1, fields });
  });
  return out;
}

const box = (f: number[]): XywhBox => [f[2], f[3], f[4], f[5]];

/** Parses a gt.txt. Throws naming the line and field that is wrong. */
export function parseMotGt(text: string, opts: { source?: string } = {}): MotGtRow[] {
  const source = opts.source ?? 'gt';
  return lines(text, source, 6).map(({ fields: f }) => ({
    frame: f[0],
    id: f[1],
    bbox: box(f),
    mark: f.length > 6 ? Math.trunc(f[6]) : 1,
    cls: f.length > 7 ? Math.trunc(f[7]) : -1,
    visibility: f.length > 8 ? f[8] : -1,
  }));
}

/** Parses a tracker output file. */
export function parseMotTracks(text: string, opts: { source?: string } = {}): MotTrackRow[] {
  const source = opts.source ?? 'tracker output';
  return lines(text, source, 6).map(({ fields: f }) => ({ frame: f[0], id: f[1], bbox: box(f), conf: f.length > 6 ? f[6] : 1 }));
}

const num = (x: number): string => String(Math.round(x * 1000) / 1000);

/** Writes tracker rows as MOTChallenge text (sorted by frame then id, 3 decimals at most, trailing newline). */
export function formatMotTracks(rows: readonly MotTrackRow[]): string {
  const sorted = [...rows].sort((a, b) => a.frame - b.frame || a.id - b.id);
  return sorted.map((r) => `${r.frame},${r.id},${r.bbox.map(num).join(',')},${num(r.conf)},-1,-1,-1\n`).join('');
}

export async function readMotGt(path: string): Promise<MotGtRow[]> {
  return parseMotGt(await readFile(path, 'utf8'), { source: path });
}

export async function readMotTracks(path: string): Promise<MotTrackRow[]> {
  return parseMotTracks(await readFile(path, 'utf8'), { source: path });
}

export async function writeMotTracks(path: string, rows: readonly MotTrackRow[]): Promise<void> {
  await writeFile(path, formatMotTracks(rows));
}
