// One pino logger for the process. Keys never reach it (the crypto layer hands out no clear keys);
// the redact list is the safety net for the fields that could carry secrets if someone logs a
// whole object by mistake.
import { type Logger, type LoggerOptions, pino } from 'pino';

export const REDACTED_PATHS = [
  '*.tmk',
  '*.key',
  '*.keys',
  '*.mak',
  '*.pik',
  '*.tdk',
  '*.bdk',
  '*.lmk',
  '*.kek',
  '*.clearKey',
  '*.privateKey',
  '*.apiKey',
  '*.secret',
  'fields.2',
  'fields.35',
  'fields.36',
  'fields.52',
  'fields.55',
  '*.fields.2',
  '*.fields.35',
  '*.fields.36',
  '*.fields.52',
  '*.fields.55',
];

export type { Logger };

export function createLogger(options: LoggerOptions = {}, destination?: NodeJS.WritableStream): Logger {
  const base: LoggerOptions = {
    level: process.env.BOXFEP_LOG_LEVEL ?? 'info',
    base: { svc: 'boxfep' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...options,
  };
  return destination ? pino(base, destination as never) : pino(base);
}

/** A logger that writes nothing: the default for library code and tests that do not inspect logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
