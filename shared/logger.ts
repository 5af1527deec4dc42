// One pino root logger per process; every module takes a child with `module` set.
import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface LoggerOptions {
  /** Minimum level written; default `info`. */
  level?: LevelWithSilent;
  /** Process name written on every line (`all`, `broker`, ...). */
  name?: string;
  /** Where lines go; default stdout (asynchronous, flushed on exit). */
  destination?: NodeJS.WritableStream;
}

/** Paths whose values never reach a log line, whatever a caller passes in. */
const REDACT = ['password', 'secret', 'token', '*.password', '*.secret', '*.token', 'req.headers.authorization', 'req.headers.cookie'];

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      name: opts.name,
      base: { pid: process.pid },
      redact: { paths: REDACT, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** A logger that writes nothing, for tests and library callers that pass none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
