/**
 * The ingest stage (role `ingest`): one FFmpeg per camera this process owns, frames cut into the frame pool and
 * admitted to the detectors (ingest-stage.ts has the whole story). `start` is what src/daemon/stages.ts loads.
 */
import type { Context, StageHandle } from '../config/context';
import { IngestStage, type IngestHandle, type IngestOptions } from './ingest-stage';

export { IngestStage, ingestJson, type IngestHandle, type IngestOptions, type IngestStageDeps } from './ingest-stage';

/** Starts the ingest stage with default options. */
export async function start(ctx: Context): Promise<StageHandle> {
  return startIngest(ctx);
}

/** Starts the ingest stage with `options` (tests shorten the timings; the soak benchmark reads the supervisors). */
export function startIngest(ctx: Context, options: IngestOptions = {}): Promise<IngestHandle> {
  return new IngestStage({ ctx, options }).start();
}
