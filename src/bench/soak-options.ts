/** `vigil bench soak`'s usage and options, apart from soak.ts so that soak-daemon.ts can type them without a cycle. */
import type { parseArgs } from 'node:util';

/** The usage text of `vigil bench soak`. */
export const SOAK_USAGE =
  'usage: vigil bench soak [--full] --cameras N --fps F --seconds S [--warmup S] [--interval S] [--width W [--height H]] [--media FILE] [--json] [--no-write] [--benchmarks FILE]\n' +
  '       vigil bench soak --ingest-only [--cameras N] [--fps F] [--seconds S] [--width PX] [--max-in-flight K] [--media FILE] [--redis URL] [--json] [--no-write] [--benchmarks FILE]\n' +
  '  --full (default): the whole daemon; --width/--height: the served stream size (re-encoded once when it differs from the clip)\n' +
  '  --ingest-only: ingest and the frame queue only; --width: the frame width fed to the queue (default 640)';

/** The options of `vigil bench soak`. */
export const SOAK_OPTIONS = {
  full: { type: 'boolean', default: false },
  'ingest-only': { type: 'boolean', default: false },
  cameras: { type: 'string', default: '8' },
  seconds: { type: 'string', default: '600' },
  fps: { type: 'string', default: '5' },
  width: { type: 'string' },
  height: { type: 'string' },
  warmup: { type: 'string', default: '300' },
  interval: { type: 'string', default: '60' },
  'max-in-flight': { type: 'string', default: '2' },
  media: { type: 'string' },
  redis: { type: 'string' },
  config: { type: 'string' },
  benchmarks: { type: 'string', default: 'BENCHMARKS.md' },
  'no-write': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
} as const;

/** The parsed options of `vigil bench soak`. */
export type SoakValues = ReturnType<typeof parseArgs<{ args: string[]; options: typeof SOAK_OPTIONS; strict: true }>>['values'];
