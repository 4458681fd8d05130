import pino, { type Logger } from 'pino';
import { redact, redactDeep } from './redact';

export type { Logger };

/** Options of the root logger. */
export interface LoggerOptions {
  /** pino level. @defaultValue 'info' */
  level?: string;
  /** `pretty` for a terminal, `json` for production; `auto` picks pretty on a TTY. @defaultValue 'auto' */
  format?: 'auto' | 'json' | 'pretty';
  /** Where JSON lines go (tests capture them). @defaultValue stdout */
  destination?: NodeJS.WritableStream;
}

/**
 * The root logger. JSON lines in production, readable lines on a terminal. Every string that goes out passes
 * through `redact`, so a URL with credentials never reaches a log line even when a stage forgets.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'auto';
  const pretty = options.destination === undefined && (format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true));
  const opts: pino.LoggerOptions = {
    level: options.level ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Errors are turned into {type, message, code, stack, cause} (redacted) by the hook below; pino's own `err`
    // serializer would then relabel that plain object as type "Object", so serialized errors pass through as they are.
    serializers: { err: serializeErr, error: serializeErr },
    hooks: {
      logMethod(args, method) {
        for (let i = 0; i < args.length; i++) {
          const a = args[i];
          if (typeof a === 'string') {
            args[i] = redact(a);
          } else if (a instanceof Error) {
            a.message = redact(a.message);
            if (a.stack) {
              a.stack = redact(a.stack);
            }
          } else if (a && typeof a === 'object') {
            // Structurally, string by string: a secret is found whatever JSON escaping it would get.
            args[i] = redactDeep(a);
          }
        }
        method.apply(this, args as Parameters<typeof method>);
      },
    },
    transport: pretty ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } : undefined,
  };
  return options.destination ? pino(opts, options.destination as pino.DestinationStream) : pino(opts);
}

/** `err` / `error` fields: an Error (one that bypassed the hook, e.g. in bindings) is serialized and redacted. */
function serializeErr(value: unknown): unknown {
  return value instanceof Error ? redactDeep(value) : value;
}

/** A JSON logger at `level` whose lines are kept in `lines` (tests: what reaches the log, redacted). */
export function captureLogger(level = 'debug'): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = { write: (s: string) => void lines.push(s) } as unknown as NodeJS.WritableStream;
  return { log: createLogger({ level, format: 'json', destination }), lines };
}

/** A silent logger for tests. */
export function nullLogger(): Logger {
  return pino({ level: 'silent' });
}
