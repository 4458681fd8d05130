import type { Context, StageHandle } from '../core/context';

/** Starts the ingest stage. */
export async function start(ctx: Context): Promise<StageHandle> {
  throw new Error('ingest stage: not built yet (' + ctx.keys.prefix + ')');
}
