import type { Context, StageHandle } from './context';
import type { Role } from './types';

/** Every stage's index.ts exports a `start` of this shape. */
export type StartStage = (ctx: Context) => Promise<StageHandle>;

/** Stage loaders per role, in start order. Loaded lazily so a process only pays for its roles. */
export const STAGES: ReadonlyArray<{ role: Role; load: () => Promise<StartStage> }> = [
  { role: 'api', load: async () => (await import('../api')).start },
  { role: 'track', load: async () => (await import('../track')).start },
  { role: 'detect', load: async () => (await import('../detect')).start },
  { role: 'ingest', load: async () => (await import('../ingest')).start },
];
