import { parseArgs } from 'node:util';
import { AuditLog } from './api/audit';
import { ZodError } from 'zod';
import { formatPath, loadConfig } from './config/load';
import { reloadProblems } from './config/reload';
import type { VigilConfig } from './config/schema';
import { ConfigError } from './core/errors';
import { Context, type ReloadOutcome, type ReloadRequester, type StageHandle } from './core/context';
import { resolveInstanceId } from './core/instance';
import { createLogger, type Logger } from './core/logger';
import { STAGES } from './core/stage';
import { startProbeServer, type ProbeServer } from './api/probe-server';
import { ROLES, type Role } from './core/types';
import { VERSION } from './core/version';

const USAGE = `vigil ${VERSION}: real-time video surveillance analytics

Usage:
  vigil start [--config FILE] [--role all|ingest|detect|track|api ...] [--record FILE]
  vigil config check [--config FILE]
  vigil models <list|build|verify|fetch> [--dir DIR]
  vigil bench [--cameras N] [--seconds S] [--json] ...
  vigil replay --rules FILE (--detections FILE.jsonl | --video FILE) [--json]
`;

/** Parses `--role a --role b,c`; `all` (the default) means every role. */
export function parseRoles(values: string[] | undefined): Set<Role> {
  const roles = new Set<Role>();
  for (const v of values ?? ['all']) {
    for (const r of v.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (r === 'all') {
        ROLES.forEach((x) => roles.add(x));
      } else if ((ROLES as readonly string[]).includes(r)) {
        roles.add(r as Role);
      } else {
        throw new ConfigError([`--role: unknown role "${r}" (valid: all, ${ROLES.join(', ')})`]);
      }
    }
  }
  return roles;
}

/** A running daemon: its context and stages, and a complete, idempotent stop. */
export interface Daemon {
  ctx: Context;
  /** The port its /healthz, /readyz and /metrics answer on (the api's port, or the probe listener's). */
  port: number;
  stop(): Promise<void>;
}

/** Starts the stages for `roles` on an existing context (tests use this with their own prefix). */
export async function startDaemon(ctx: Context): Promise<Daemon> {
  const started: Array<{ role: Role; handle: StageHandle }> = [];
  let probes: ProbeServer | undefined;
  ctx.starting = true;
  try {
    // Data loss, persistence and eviction of the shared Redis are checked from the start (core/redis-health.ts).
    await ctx.redisHealth.start();
    // Every process answers probes and scrapes: without the api role, on a listener of its own (up while the
    // stages start, so /readyz says "starting" rather than nothing answering).
    if (!ctx.roles.has('api')) {
      probes = await startProbeServer(ctx);
    }
    for (const stage of STAGES) {
      if (!ctx.roles.has(stage.role)) {
        continue;
      }
      const start = await stage.load();
      const handle = await start(ctx);
      ctx.stages.set(stage.role, handle);
      started.push({ role: stage.role, handle });
      ctx.log.info({ role: stage.role }, 'stage started');
    }
  } catch (err) {
    ctx.starting = false;
    await Promise.allSettled(started.reverse().map((s) => s.handle.close()));
    await probes?.close().catch(() => undefined);
    await ctx.closeConnections();
    throw err;
  }
  ctx.starting = false;
  const api = ctx.stages.get('api') as (StageHandle & { port?: number }) | undefined;
  const port = probes?.port ?? api?.port ?? ctx.config.server.port;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    // Close order: ingest stops taking frames, detect drains, track flushes alerts, api last; Redis after all.
    stopping ??= (async () => {
      for (const s of [...started].reverse()) {
        try {
          await s.handle.close();
          ctx.log.info({ role: s.role }, 'stage stopped');
        } catch (err) {
          ctx.log.error({ err, role: s.role }, 'stage failed to stop cleanly');
        }
      }
      await probes?.close().catch((err) => ctx.log.error({ err }, 'probe listener failed to stop cleanly'));
      await ctx.closeConnections();
    })();
    return stopping;
  };
  return { ctx, port, stop };
}

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

async function cmdStart(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      role: { type: 'string', multiple: true, short: 'r' },
      record: { type: 'string' },
    },
    strict: true,
  });
  const { config, file } = loadConfig(values.config);
  const log = createLogger({ level: config.log.level, format: config.log.format });
  const roles = parseRoles(values.role);
  let effective = config;
  if (values.record) {
    effective = { ...config, alerts: { ...config.alerts, recordFile: values.record } };
  }
  // Stable across restarts of this slot, so a restarted daemon reclaims its own cameras at once (core/instance.ts).
  const instanceId = resolveInstanceId({ prefix: config.redis.prefix, roles: [...roles] }, config.instance.id, config.instance.stateDir);
  const ctx = new Context(effective, log, roles, { instanceId });
  const audit = new AuditLog(ctx.redis('audit'), ctx.keys, log.child({ stage: 'audit' }), () => ctx.config.server.audit.maxEntries);
  const load = (): VigilConfig => {
    const next = loadConfig(values.config).config;
    return values.record ? { ...next, alerts: { ...next.alerts, recordFile: values.record } } : next;
  };
  ctx.reloadFromSource = (by) => reloadConfig(ctx, load, audit, by);
  log.info({ version: VERSION, roles: [...roles], config: file, prefix: config.redis.prefix, instance: instanceId }, 'vigil starting');
  const daemon = await startDaemon(ctx);
  log.info('vigil running');
  return await new Promise<number>((resolve) => {
    let shuttingDown = false;
    const shutdown = (signal: string) => {
      if (shuttingDown) {
        log.warn({ signal }, 'second signal: exiting now');
        resolve(1);
        return;
      }
      shuttingDown = true;
      log.info({ signal }, 'shutting down');
      const hard = setTimeout(() => {
        log.error('shutdown took longer than 10 s: exiting');
        resolve(1);
      }, 9500);
      hard.unref();
      daemon.stop().then(
        () => resolve(0),
        (err) => {
          log.error({ err }, 'shutdown error');
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.on('SIGHUP', () => {
      void reloadConfig(ctx, load, audit, { actor: 'signal', from: 'local' });
    });
  });
}

function cmdConfig(args: string[], log: (s: string) => void): number {
  const { values, positionals } = parseArgs({
    args,
    options: { config: { type: 'string', short: 'c' } },
    allowPositionals: true,
  });
  if (positionals[0] !== 'check') {
    log('usage: vigil config check [--config FILE]');
    return 2;
  }
  try {
    const { config, file } = loadConfig(values.config);
    log(`${file}: ok (${config.cameras.length} cameras, ${config.rules.length} rules, ${config.webhooks.length} webhooks)`);
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const p of err.problems) {
        log(p);
      }
      return 2;
    }
    throw err;
  }
}

/** Extra commands registered by other modules (models, bench, replay) to keep main small. */
const COMMANDS: Record<string, () => Promise<(args: string[], log: Logger) => Promise<number>>> = {
  models: async () => (require('./models/cli') as typeof import('./models/cli')).run,
  bench: async () => (require('./bench/cli') as typeof import('./bench/cli')).run,
  replay: async () => (require('./alerts/replay-cli') as typeof import('./alerts/replay-cli')).run,
};

/** CLI entry point; exits the process with the command's status. */
export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  let code = 0;
  try {
    if (cmd === 'start') {
      code = await cmdStart(rest);
    } else if (cmd === 'config') {
      code = cmdConfig(rest, (s) => process.stdout.write(`${s}\n`));
    } else if (cmd !== undefined && cmd in COMMANDS) {
      const log = createLogger({ level: process.env.VIGIL_LOG_LEVEL ?? 'info' });
      code = await (await COMMANDS[cmd]())(rest, log);
    } else if (cmd === '--version' || cmd === 'version') {
      process.stdout.write(`${VERSION}\n`);
    } else {
      process.stdout.write(USAGE);
      code = cmd === undefined || cmd === 'help' || cmd === '--help' ? 0 : 2;
    }
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.problems.join('\n')}\n`);
      code = 2;
    } else {
      process.stderr.write(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
      code = 1;
    }
  }
  process.exit(code);
}
