import type { Context, StageHandle } from '../core/context';

/** Starts the api stage. */
export async function start(ctx: Context): Promise<StageHandle> {
  throw new Error('api stage: not built yet (' + ctx.keys.prefix + ')');
}
