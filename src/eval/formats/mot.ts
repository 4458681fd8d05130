/**
 * MOTChallenge text files: gt.txt (frame,id,x,y,w,h,mark,class,visibility) and tracker output
 * (frame,id,x,y,w,h,conf,-1,-1,-1).
 */
import type { MotGtRow, MotTrackRow } from '../metrics/types';

/** Parses a gt.txt; MOT15 files (no class/visibility, or -1) are accepted. Throws naming the line that is wrong. */
export function parseMotGt(text: string, opts: { source?: string } = {}): MotGtRow[] {
  void text;
  void opts;
  throw new Error('parseMotGt: not implemented');
}

/** Parses a tracker output file. */
export function parseMotTracks(text: string, opts: { source?: string } = {}): MotTrackRow[] {
  void text;
  void opts;
  throw new Error('parseMotTracks: not implemented');
}

/** Writes tracker rows as MOTChallenge text (sorted by frame then id, one line each, trailing newline). */
export function formatMotTracks(rows: readonly MotTrackRow[]): string {
  void rows;
  throw new Error('formatMotTracks: not implemented');
}

export async function readMotGt(path: string): Promise<MotGtRow[]> {
  void path;
  throw new Error('readMotGt: not implemented');
}

export async function readMotTracks(path: string): Promise<MotTrackRow[]> {
  void path;
  throw new Error('readMotTracks: not implemented');
}

export async function writeMotTracks(path: string, rows: readonly MotTrackRow[]): Promise<void> {
  void path;
  void rows;
  throw new Error('writeMotTracks: not implemented');
}
