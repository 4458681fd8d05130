import type { Context, StageHandle } from '../config/context';
import type { Role } from '../core/types';

/** Every stage's index.ts exports a `start` of this shape. */
export type StartStage = (ctx: Context) => Promise<StageHandle>;

// require() rather than import(): tsx (tests, source runs) turns import() of a folder into an ESM import that
// fails; tsc compiles both to require() anyway.
/* eslint-disable @typescript-eslint/no-require-imports -- stages are loaded lazily, see above */
/** Stage loaders per role, in start order. Loaded lazily so a process only pays for its roles. */
export const STAGES: ReadonlyArray<{ role: Role; load: () => Promise<StartStage> }> = [
  { role: 'api', load: async () => (require('../api') as typeof import('../api')).start },
  { role: 'track', load: async () => (require('../track') as typeof import('../track')).start },
  // The detect stage with its face stage (the daemon puts the two together: detect does not import faces).
  { role: 'detect', load: async () => (require('./detect-role') as typeof import('./detect-role')).start },
  { role: 'ingest', load: async () => (require('../ingest') as typeof import('../ingest')).start },
];
