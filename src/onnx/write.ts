import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { GraphBuilder } from './graph-builder';

/**
 * Writes a model atomically: to `path.tmp-PID` first, then renamed, so a reader never sees half a file.
 * Returns the number of bytes written.
 */
export async function writeModel(path: string, graph: GraphBuilder): Promise<number> {
  const bytes = graph.encode();
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, bytes);
  await rename(tmp, path);
  return bytes.length;
}
