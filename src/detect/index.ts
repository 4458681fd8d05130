import type { Context, StageHandle } from '../core/context';

/** Starts the detect stage. */
export async function start(ctx: Context): Promise<StageHandle> {
  throw new Error('detect stage: not built yet (' + ctx.keys.prefix + ')');
}
