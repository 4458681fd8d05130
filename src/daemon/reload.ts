import { ZodError } from 'zod';
import type { AuditLog } from '../api/audit';
import type { Context, ReloadOutcome, ReloadRequester } from '../config/context';
import { formatPath } from '../config/load';
import { reloadProblems } from '../config/reload';
import type { VigilConfig } from '../config/schema';
import { ConfigError } from '../core/errors';

/**
 * One configuration reload (SIGHUP or POST /api/config/reload): reads the file with `load`, refuses it when it is
 * invalid or would change what a reload may not (src/config/reload.ts: the listener, auth beyond loopback, Redis),
 * otherwise applies it. The running config is kept on refusal. Every attempt is logged and recorded in the audit
 * trail with who asked and the outcome. Never throws.
 */
export async function reloadConfig(ctx: Context, load: () => VigilConfig, audit: AuditLog | undefined, by: ReloadRequester): Promise<ReloadOutcome> {
  let outcome: ReloadOutcome;
  try {
    const next = load();
    const problems = reloadProblems(ctx.config, next);
    if (problems.length === 0) {
      ctx.reload(next);
    }
    outcome = { applied: problems.length === 0, problems };
  } catch (err) {
    const problems =
      err instanceof ConfigError
        ? err.problems
        : err instanceof ZodError
          ? err.issues.map((i) => `${formatPath(i.path)}: ${i.message}`)
          : [`(reload): ${err instanceof Error ? err.message : String(err)}`];
    outcome = { applied: false, problems };
  }
  if (outcome.applied) {
    ctx.log.info({ by: by.actor, from: by.from }, 'configuration reloaded');
  } else {
    ctx.log.error({ by: by.actor, from: by.from, problems: outcome.problems }, 'configuration reload refused; keeping the running configuration');
  }
  await audit?.record({
    ...by,
    action: 'config.reload',
    outcome: outcome.applied ? 'ok' : 'refused',
    ...(outcome.applied ? {} : { details: { problems: outcome.problems.slice(0, 20) } }),
  });
  return outcome;
}
