import type { Context, StageHandle } from '../core/context';

/** Starts the track stage. */
export async function start(ctx: Context): Promise<StageHandle> {
  throw new Error('track stage: not built yet (' + ctx.keys.prefix + ')');
}
