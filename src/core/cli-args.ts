/**
 * Pure: command-line parsing for every `vigil` command, on top of node's `util.parseArgs`, with messages meant for
 * people: an unknown option names the nearest known one, a missing value says which option wants it, a stray word
 * names the nearest subcommand. Each command module passes its own options and usage, so `--help`, errors and the
 * accepted spelling come from one place per command.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** Options of one command, in `util.parseArgs` form. */
export type CliOptions = NonNullable<ParseArgsConfig['options']>;

/** Bad usage of a command: what is wrong, for whom, and the command's usage text. `main` prints it and exits 2. */
export class UsageError extends Error {
  constructor(
    /** The command as typed, e.g. `vigil bench live`. */
    readonly command: string,
    message: string,
    /** The command's usage text (printed after the message). */
    readonly usage: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Pure: Levenshtein distance (insertions, deletions, substitutions; a swap of neighbours counts 1). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) {
    d[0][j] = j;
  }
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.length][b.length];
}

/**
 * Pure: the candidate nearest to `word` when it is close enough to be a typo (at most a third of its letters wrong,
 * at least one allowed; a prefix of 3+ letters also counts), else undefined.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  if (best !== undefined && bestD <= Math.max(1, Math.floor(Math.max(w.length, best.length) / 3))) {
    return best;
  }
  const prefixed = candidates.filter((c) => w.length >= 3 && c.toLowerCase().startsWith(w));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** Pure: ` (did you mean "x"?)` (commands), ` (did you mean --x?)` (options, with `prefix` `--`), or the empty string. */
export function didYouMean(word: string, candidates: readonly string[], prefix = ''): string {
  const n = nearest(word, candidates);
  return n === undefined ? '' : ` (did you mean ${prefix === '' ? `"${n}"` : `${prefix}${n}`}?)`;
}

/** Pure: does the command line ask for help (`--help` or `-h` before any `--`)? */
export function wantsHelp(args: readonly string[]): boolean {
  for (const a of args) {
    if (a === '--') {
      return false;
    }
    if (a === '--help' || a === '-h') {
      return true;
    }
  }
  return false;
}

/** What {@link parseCommandArgs} needs besides the arguments. */
export interface CommandArgsSpec<O extends CliOptions> {
  /** The command as typed, for messages: `vigil bench live`. */
  command: string;
  /** Its usage text. */
  usage: string;
  options: O;
  /** Positional words allowed (e.g. model files). @defaultValue false */
  allowPositionals?: boolean;
  /** When positionals are not allowed: the subcommand names a stray word is compared with. */
  subcommands?: readonly string[];
  /** Options that were renamed: old name → the one spelling now accepted. */
  renamed?: Readonly<Record<string, string>>;
}

/**
 * Parses `args` strictly; throws {@link UsageError} with a message naming the option (and the nearest known one)
 * instead of parseArgs' own text. `--help`/`-h` is handled by `main` before a command runs.
 */
export function parseCommandArgs<O extends CliOptions>(spec: CommandArgsSpec<O>, args: string[]) {
  const { command, usage, options } = spec;
  const fail = (message: string): never => {
    throw new UsageError(command, message, usage);
  };
  const longNames = Object.keys(options);
  const shorts = new Map<string, string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.short) {
      shorts.set(o.short, name);
    }
  }
  const loose = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });
  for (const t of loose.tokens ?? []) {
    if (t.kind === 'option') {
      const opt = options[t.name];
      if (!opt && spec.renamed?.[t.name] !== undefined) {
        fail(`unknown option --${t.name}: it is spelt --${spec.renamed[t.name]}`);
      }
      if (!opt) {
        const shown = t.rawName.startsWith('--') ? t.rawName : `-${t.name}`;
        fail(`unknown option ${shown}${t.rawName.startsWith('--') ? didYouMean(t.name, longNames, '--') : ''}`);
      }
      if (opt.type === 'string' && t.value === undefined) {
        fail(`--${t.name} needs a value`);
      }
      if (opt.type === 'boolean' && t.inlineValue) {
        fail(`--${t.name} takes no value (got --${t.name}=${t.value ?? ''})`);
      }
    } else if (t.kind === 'positional' && !spec.allowPositionals) {
      const subs = spec.subcommands ?? [];
      fail(
        subs.length > 0
          ? `unknown command "${t.value}"${didYouMean(t.value, subs)}`
          : `unexpected argument "${t.value}" (this command takes options only)`,
      );
    }
  }
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: spec.allowPositionals ?? false });
  } catch (err) {
    // The token pass above catches what parseArgs would refuse; anything left is reported in its words.
    return fail((err as Error).message);
  }
}

/** Pure: a number option's value, or a UsageError naming the option and the range. */
export function numberOption(spec: { command: string; usage: string }, name: string, value: string | undefined, min: number, max: number, integer = false): number {
  const n = Number(value);
  if (value === undefined || value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new UsageError(spec.command, `--${name} must be ${integer ? 'an integer' : 'a number'} ${min}..${max} (got ${value ?? 'nothing'})`, spec.usage);
  }
  return n;
}

/** Pure: how a {@link UsageError} is printed: `vigil X: what is wrong`, then the usage. */
export function formatUsageError(err: UsageError): string {
  return `${err.command}: ${err.message}\n${err.usage}`;
}

/**
 * {@link parseCommandArgs} for a command's entry point: the parsed arguments, or undefined after the usage error has
 * been printed on stderr (the command then exits 2). Errors other than bad usage are thrown.
 */
export function commandArgsOrUsage<O extends CliOptions>(spec: CommandArgsSpec<O>, args: string[]): ReturnType<typeof parseCommandArgs<O>> | undefined {
  try {
    return parseCommandArgs(spec, args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${formatUsageError(err)}\n`);
      return undefined;
    }
    throw err;
  }
}
