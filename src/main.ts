import { AuditLog } from './api/audit';
import { Context } from './config/context';
import { loadConfig, usesDemo } from './config/load';
import type { VigilConfig } from './config/schema';
import { didYouMean, nearest, parseCommandArgs, UsageError, wantsHelp } from './core/cli-args';
import { ConfigError } from './core/errors';
import { resolveInstanceId } from './core/instance';
import { createLogger, type Logger } from './core/logger';
import { ROLES, type Role } from './core/types';
import { VERSION } from './core/version';
import { reloadConfig, startDaemon } from './daemon';

/** `vigil start`'s options and usage. */
const START_OPTIONS = {
  config: { type: 'string', short: 'c' },
  role: { type: 'string', multiple: true, short: 'r' },
  record: { type: 'string' },
} as const;
const START_USAGE = `usage: vigil start [--config FILE] [--role all|ingest|detect|track|api ...] [--record FILE]
  Runs the daemon. --config: the configuration (default $VIGIL_CONFIG, else config/default.yaml; with no camera a
  demo camera plays); --role (repeatable or comma-separated): the roles this process runs (default all);
  --record FILE: also write every detection result to FILE (JSONL) for 'vigil replay'.`;

const CONFIG_OPTIONS = { config: { type: 'string', short: 'c' } } as const;
const CONFIG_USAGE = `usage: vigil config check [--config FILE]
  Validates the configuration (default $VIGIL_CONFIG, else config/default.yaml): exit 0, or exit 2 with every
  problem, schema and cross-checks alike, one per line as PATH: message.`;

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

async function cmdStart(args: string[]): Promise<number> {
  const { values } = parseCommandArgs({ command: 'vigil start', usage: START_USAGE, options: START_OPTIONS }, args);
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
  if (usesDemo(config)) {
    const cam = config.cameras[0];
    log.info(
      { camera: cam.id, source: cam.url, zones: cam.zones.map((z) => z.id), lines: cam.lines.map((l) => l.id), rules: config.rules.map((r) => r.id) },
      `no camera configured: playing the demo camera with ${config.rules.length} rules (add cameras to ${file} to watch your own)`,
    );
  }
  // Signals are handled from here on, not once every stage has started: a SIGHUP during start-up is a reload (its
  // default action would kill the process), a SIGINT/SIGTERM stops the daemon as soon as it has started.
  process.on('SIGHUP', () => {
    void reloadConfig(ctx, load, audit, { actor: 'signal', from: 'local' });
  });
  let stopRequested: string | undefined;
  let onStop: (signal: string) => void = (signal) => {
    stopRequested ??= signal;
  };
  process.on('SIGINT', () => onStop('SIGINT'));
  process.on('SIGTERM', () => onStop('SIGTERM'));
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
    onStop = shutdown;
    if (stopRequested) {
      shutdown(stopRequested);
    }
  });
}

function cmdConfig(args: string[], log: (s: string) => void): number {
  const [verb, ...rest] = args;
  if (verb !== 'check') {
    const why = verb === undefined ? 'missing command (vigil config check)' : `unknown command "${verb}"${didYouMean(verb, ['check'])}`;
    throw new UsageError('vigil config', why, CONFIG_USAGE);
  }
  const { values } = parseCommandArgs({ command: 'vigil config check', usage: CONFIG_USAGE, options: CONFIG_OPTIONS }, rest);
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

/** A command's help: its summary (for the command list) and its usage text, with subcommands where it has them. */
interface CommandInfo {
  summary: string;
  /** The usage text of the command, or of one of its subcommands. */
  usage(sub?: string): string;
  subcommands?: readonly string[];
}

/* eslint-disable @typescript-eslint/no-require-imports -- command modules load only when their command runs */
const COMMAND_INFO: Record<string, CommandInfo> = {
  start: { summary: 'run the daemon (every role, or some with --role)', usage: () => START_USAGE },
  config: { summary: 'check a configuration file and print every problem', usage: () => CONFIG_USAGE, subcommands: ['check'] },
  models: {
    summary: 'list, build, verify or fetch model files',
    usage: () => (require('./cli/models') as typeof import('./cli/models')).MODELS_USAGE,
    subcommands: ['list', 'verify', 'fetch', 'build'],
  },
  bench: {
    summary: 'measure the pipeline against a bare FFmpeg → model loop (also: live, soak, latency, faults)',
    usage: (sub) => (require('./bench/cli') as typeof import('./bench/cli')).benchUsage(sub),
    subcommands: ['live', 'soak', 'latency', 'faults'],
  },
  replay: {
    summary: 'run the rules over recorded detections or a video, offline, and print the alerts',
    usage: () => (require('./cli/replay') as typeof import('./cli/replay')).REPLAY_USAGE,
  },
  eval: {
    summary: 'judge the pipeline on a labelled clip: detection AP, tracking, alert precision/recall, speed, threshold sweep',
    usage: (sub) => (require('./eval/cli') as typeof import('./eval/cli')).evalUsage(sub),
    subcommands: ['labels', 'mot', 'coco', 'compare'],
  },
  help: { summary: 'this list, or a command\'s usage (vigil help COMMAND)', usage: () => 'usage: vigil help [COMMAND [SUBCOMMAND]]' },
  version: { summary: 'print the version', usage: () => 'usage: vigil version (or vigil --version)' },
};

/** Commands registered by other modules (models, bench, replay, eval) to keep main small. */
const COMMANDS: Record<string, () => Promise<(args: string[], log: Logger) => Promise<number>>> = {
  models: async () => (require('./cli/models') as typeof import('./cli/models')).run,
  bench: async () => (require('./bench/cli') as typeof import('./bench/cli')).run,
  replay: async () => (require('./cli/replay') as typeof import('./cli/replay')).run,
  eval: async () => (require('./eval/cli') as typeof import('./eval/cli')).run,
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** The top-level help: every command with one line; options are in each command's own help. */
export function topUsage(): string {
  const width = Math.max(...Object.keys(COMMAND_INFO).map((c) => c.length)) + 2;
  return [
    `vigil ${VERSION}: real-time video surveillance analytics`,
    '',
    'Usage: vigil COMMAND [options]        vigil COMMAND --help: the command\'s options',
    '',
    'Commands:',
    ...Object.entries(COMMAND_INFO).map(([name, c]) => `  ${name.padEnd(width)}${c.summary}`),
    '',
  ].join('\n');
}

/**
 * Pure: the help `argv` asks for (`vigil help X Y`, `vigil X Y --help`), as text, or undefined when it does not ask
 * for help. An unknown command or subcommand in a help request is answered by the nearest one's help when there is one.
 */
export function helpText(argv: string[]): string | undefined {
  let words: string[];
  if (argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    words = argv.slice(1).filter((a) => !a.startsWith('-'));
  } else if (wantsHelp(argv)) {
    words = argv.filter((a) => !a.startsWith('-'));
  } else {
    return undefined;
  }
  const [cmd, sub] = words;
  if (cmd === undefined) {
    return topUsage();
  }
  const name = cmd in COMMAND_INFO ? cmd : nearest(cmd, Object.keys(COMMAND_INFO));
  if (name === undefined) {
    return `${unknownCommand(cmd)}\n${topUsage()}`;
  }
  const info = COMMAND_INFO[name];
  const subName = sub !== undefined && info.subcommands ? (info.subcommands.includes(sub) ? sub : nearest(sub, info.subcommands)) : undefined;
  const text = info.usage(subName);
  const subs = info.subcommands && subName === undefined ? `\ncommands: ${info.subcommands.join(', ')} (vigil ${name} COMMAND --help)` : '';
  return `${text}${subs}\n`;
}

function unknownCommand(cmd: string): string {
  const names = Object.keys(COMMAND_INFO);
  const hint = didYouMean(cmd, names.filter((c) => c !== 'help'));
  return `vigil: unknown command "${cmd}"${hint === '' ? ` (commands: ${names.join(', ')})` : hint}`;
}

/** CLI entry point; exits the process with the command's status. */
export async function main(argv: string[]): Promise<void> {
  const [cmd, ...rest] = argv;
  let code = 0;
  try {
    const help = helpText(argv);
    if (help !== undefined) {
      process.stdout.write(help.endsWith('\n') ? help : `${help}\n`);
    } else if (cmd === undefined) {
      process.stdout.write(topUsage());
    } else if (cmd === 'start') {
      code = await cmdStart(rest);
    } else if (cmd === 'config') {
      code = cmdConfig(rest, (s) => process.stdout.write(`${s}\n`));
    } else if (cmd in COMMANDS) {
      const log = createLogger({ level: process.env.VIGIL_LOG_LEVEL ?? 'info' });
      code = await (await COMMANDS[cmd]())(rest, log);
    } else if (cmd === '--version' || cmd === 'version' || cmd === '-V') {
      process.stdout.write(`${VERSION}\n`);
    } else {
      process.stderr.write(`${unknownCommand(cmd)}\nRun "vigil --help" for the list of commands.\n`);
      code = 2;
    }
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.command}: ${err.message}\n${err.usage}\n`);
      code = 2;
    } else if (err instanceof ConfigError) {
      process.stderr.write(`${err.problems.join('\n')}\n`);
      code = 2;
    } else {
      process.stderr.write(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
      code = 1;
    }
  }
  process.exit(code);
}
