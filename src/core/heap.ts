import v8 from 'node:v8';

/**
 * Starts V8's old generation with room for the frame path's steady state. Every frame brings about 1 MB of
 * external memory (pipe chunks, the frame buffer), which triggers frequent scavenges that promote the objects of
 * frames in flight; with the default initial old-generation limit, barely above the daemon's ~23 MB of live
 * objects, V8 then fell into back-to-back mark-compacts (one every 100-200 ms, 44-90 in a 15 s `vigil bench`
 * pipeline run in 2 of 9 runs, costing 5-10 % of the throughput). 256 MB is a limit, not memory taken: RSS is
 * unchanged. Measured with `--trace-gc`: 2-4 mark-compacts per run in 6 of 6 runs with it. Skipped when the
 * operator sets the flag on the command line.
 */
export function tuneHeap(initialOldSpaceMb = 256): void {
  if (process.execArgv.some((a) => a.startsWith('--initial-old-space-size'))) {
    return;
  }
  v8.setFlagsFromString(`--initial-old-space-size=${initialOldSpaceMb}`);
}
