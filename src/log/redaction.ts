// A fast path for pino's redaction of plain values. With wildcard paths (`*.tmk`), pino hands every
// top-level value of every line to @pinojs/redact, which parses each of the ~20 paths again per value
// before finding that a string or number has nothing to redact: 12 µs for a transaction line against
// 1.6 µs unredacted (bench/metrics/run.js). A string, number or boolean cannot hold a redacted path,
// so those are stringified straight away, exactly as the redactor would (JSON.stringify); objects
// still go through the redactor. This reaches into pino's per-key stringifier table (pino.symbols is
// public, the table's layout is not): when the table does not look as expected nothing is changed.
import { type Logger, pino } from 'pino';

type Stringifier = (value: unknown) => string;
type StringifierTable = Record<string | symbol, Stringifier | undefined>;

const { stringifiersSym, wildcardFirstSym } = pino.symbols as unknown as {
  stringifiersSym: symbol;
  wildcardFirstSym: symbol;
};

/**
 * Installs the fast path on `logger` (and the children it makes later, which share its table) for
 * `paths`, the redact paths it was created with. Only stringifiers of paths with two or more
 * segments are wrapped: a one-segment path censors the whole value, strings included.
 */
export function fastRedactionForPlainValues(logger: Logger, paths: readonly string[]): boolean {
  const table = (logger as unknown as Record<symbol, StringifierTable | undefined>)[stringifiersSym];
  if (table === undefined || table === null || typeof table !== 'object') return false;
  const keys = new Set<string | symbol>();
  for (const path of paths) {
    const dot = path.indexOf('.');
    if (dot < 0) continue;
    const first = path.slice(0, dot);
    keys.add(first === '*' ? wildcardFirstSym : first);
  }
  for (const key of keys) {
    const redact = table[key];
    if (typeof redact !== 'function') return false;
  }
  for (const key of keys) table[key] = plainValuesFirst(table[key] as Stringifier);
  return true;
}

function plainValuesFirst(redact: Stringifier): Stringifier {
  return (value) => {
    // What the redactor returns for these too: nothing to walk, serialized as JSON.stringify would.
    switch (typeof value) {
      case 'string':
        return jsonString(value);
      case 'number':
      case 'boolean':
        return JSON.stringify(value);
      default:
        return redact(value);
    }
  };
}

/**
 * JSON.stringify(text), exactly, with a fast path for the usual log value: printable ASCII without
 * `"` or `\` needs no escaping, so quotes around it are the whole answer (a builtin call per value
 * was a third of a line's cost).
 */
export function jsonString(text: string): string {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return JSON.stringify(text);
  }
  return `"${text}"`;
}
