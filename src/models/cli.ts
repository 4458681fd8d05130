import type { Logger } from '../core/logger';

/** Command entry point. */
export async function run(args: string[], log: Logger): Promise<number> {
  log.error({ args }, 'this command is not built yet');
  return 2;
}
