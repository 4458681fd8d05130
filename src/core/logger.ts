import pino, { type Logger } from 'pino';
import { redact } from './redact';

export type { Logger };

/** Options of the root logger. */
export interface LoggerOptions {
  /** pino level. @defaultValue 'info' */
  level?: string;
  /** `pretty` for a terminal, `json` for production; `auto` picks pretty on a TTY. @defaultValue 'auto' */
  format?: 'auto' | 'json' | 'pretty';
}

/**
 * The root logger. JSON lines in production, readable lines on a terminal. Every string that goes out passes
 * through `redact`, so a URL with credentials never reaches a log line even when a stage forgets.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'auto';
  const pretty = format === 'pretty' || (format === 'auto' && process.stdout.isTTY === true);
  return pino({
    level: options.level ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
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
            args[i] = JSON.parse(redact(JSON.stringify(a)));
          }
        }
        method.apply(this, args as Parameters<typeof method>);
      },
    },
    transport: pretty ? { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss.l' } } : undefined,
  });
}

/** A silent logger for tests. */
export function nullLogger(): Logger {
  return pino({ level: 'silent' });
}
