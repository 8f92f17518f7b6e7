// One pino logger for the process. Keys never reach it (the crypto layer hands out no clear keys);
// the redact list is the safety net for the fields that could carry secrets if someone logs a
// whole object by mistake.
import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';
import { fastRedactionForPlainValues } from './redaction.js';

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

/** Bytes buffered before stdout is written. */
const MIN_WRITE_BYTES = 16 * 1024;
/** The most one write takes (lines that came while a write was in flight); above MIN_WRITE_BYTES. */
const MAX_WRITE_BYTES = 64 * 1024;
/** A quiet process's buffered lines reach stdout within this long. */
const FLUSH_EVERY_MS = 250;

type StdoutDestination = DestinationStream & { flush(): void; flushSync(): void };
let stdout: StdoutDestination | undefined;
let unflushed = false;

/**
 * The process's one stdout destination, asynchronous and buffered: a synchronous write(2) per log
 * line was 4 % of boxfep's CPU in the request path (docs/performance.md). One shared stream so lines of
 * several loggers never interleave mid-line. pino flushes it synchronously on process 'exit' (normal
 * end, process.exit, an uncaught exception); a timer flushes what a quiet process buffered. Only a
 * SIGKILL can lose the last ≤ 250 ms of lines.
 *
 * sonic-boom in its buffer mode, each line encoded once: in its string mode every line also measured
 * the UTF-8 length of the string it was appended to, flattening the growing concatenation per line
 * (`node dist/bench/log/destination.js`: 4.6–5.5 → 1.6–3.5 µs of event-loop time per line above no
 * destination at all). Batches of 16 KB, ~70 transaction lines; 8 to 64 KB measured alike.
 */
function stdoutDestination(): StdoutDestination {
  if (!stdout) {
    const dest = batchedDestination(1);
    setInterval(() => {
      if (!unflushed) return;
      unflushed = false;
      dest.flush();
    }, FLUSH_EVERY_MS).unref();
    stdout = dest;
  }
  return stdout;
}

/** Log lines to `fd` in batches of bytes, asynchronously (exported for bench/log). */
export function batchedDestination(fd: number): StdoutDestination {
  const sonic = pino.destination({
    dest: fd,
    sync: false,
    minLength: MIN_WRITE_BYTES,
    maxWrite: MAX_WRITE_BYTES,
    contentMode: 'buffer',
  }) as StdoutDestination;
  // pino writes strings; the buffer mode takes bytes (its types say string: they describe utf8 mode).
  const writeBytes = sonic.write.bind(sonic) as unknown as (bytes: Buffer) => boolean;
  return {
    write: (line: string) => writeBytes(Buffer.from(line)),
    flush: () => sonic.flush(),
    flushSync: () => sonic.flushSync(),
  };
}

/** Writes buffered log lines now, synchronously (before an abrupt exit). */
export function flushLogs(): void {
  if (!stdout || !unflushed) return;
  unflushed = false;
  try {
    stdout.flushSync();
  } catch {
    // a write is in flight (sonic-boom refuses then); pino's exit hook still flushes the rest
  }
}

// pino.stdTimeFunctions.isoTime, byte for byte, without a Date and toISOString per line: the
// "YYYY-MM-DDTHH:MM:" prefix is kept per minute and seconds and milliseconds appended.
let prefixMinute = Number.NaN;
let prefix = '';

/** `,"time":"<ISO 8601 UTC with milliseconds>"`, as pino.stdTimeFunctions.isoTime writes it. */
export function isoTime(now = Date.now()): string {
  const minute = Math.floor(now / 60_000);
  if (minute !== prefixMinute) {
    prefix = new Date(minute * 60_000).toISOString().slice(0, 17);
    prefixMinute = minute;
  }
  const ms = now - minute * 60_000;
  const seconds = Math.floor(ms / 1000);
  const millis = ms - seconds * 1000;
  const ss = seconds < 10 ? `0${seconds}` : String(seconds);
  const mmm = millis < 10 ? `00${millis}` : millis < 100 ? `0${millis}` : String(millis);
  return `,"time":"${prefix}${ss}.${mmm}Z"`;
}

export function createLogger(options: LoggerOptions = {}, destination?: NodeJS.WritableStream): Logger {
  const base: LoggerOptions = {
    level: process.env.BOXFEP_LOG_LEVEL ?? 'info',
    base: { svc: 'boxfep' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: isoTime,
    ...options,
  };
  if (destination) return withFastRedaction(pino(base, destination as never), base);
  const hooks = base.hooks?.streamWrite;
  base.hooks = {
    ...base.hooks,
    streamWrite: (line: string) => {
      unflushed = true;
      return hooks ? hooks(line) : line;
    },
  };
  return withFastRedaction(pino(base, stdoutDestination()), base);
}

function withFastRedaction(logger: Logger, options: LoggerOptions): Logger {
  const redact = options.redact;
  const paths = Array.isArray(redact) ? redact : redact?.paths;
  if (paths !== undefined) fastRedactionForPlainValues(logger, paths);
  return logger;
}

/** A logger that writes nothing: the default for library code and tests that do not inspect logs. */
export const silentLogger: Logger = pino({ level: 'silent' });
