// Interpreters turn a field value (a string) into wire bytes and back. Each one reports bad input
// by returning a problem description; the field codec wraps it with field number and offset.
import {
  codeArray,
  FORMAT_MASK,
  type Format,
  firstBadByte,
  firstBadChar,
  fromCodes,
  latin1,
  showChar,
} from './charsets.js';
import { firstNonHex, firstNonHexByte, toHexUpper, writeHex } from './hex.js';
import type { FieldDef } from './spec.js';

/** A decode problem: what was wrong and the absolute byte offset where. */
export interface Problem {
  reason: string;
  offset: number;
}

export interface Interpreter {
  /** Wire bytes taken by a value of `units` length. */
  wireBytes(units: number): number;
  /** Length of the value in the field's units (digits/characters or bytes). */
  unitsOf(value: string): number;
  /** Index of the first invalid character of the value and why, or null when it is valid. */
  check(value: string): string | null;
  /** Writes a checked value; returns bytes written. */
  write(value: string, out: Buffer, at: number): number;
  /** Reads `units` long value at `at` (bounds already checked); returns the value or a Problem. */
  read(buf: Buffer, at: number, units: number): string | Problem;
}

function describeFormat(format: Format): string {
  switch (format) {
    case 'n':
      return 'digit';
    case 'z':
      return "track character (digit or '=')";
    case 'a':
      return 'letter';
    case 'an':
      return 'alphanumeric character';
    case 'ns':
      return 'numeric or special character';
    case 'xn':
      return 'digit';
    default:
      return 'printable character';
  }
}

function checkText(value: string, format: Format, mask: number): string | null {
  if (format === 'xn') {
    const c = value.charCodeAt(0);
    if (c !== 0x43 && c !== 0x44) return `amount sign must be 'C' or 'D', got ${showChar(c)}`;
    const bad = firstBadChar(value.slice(1), mask);
    return bad < 0 ? null : `non-digit ${showChar(value.charCodeAt(bad + 1))} at character ${bad + 1}`;
  }
  const bad = firstBadChar(value, mask);
  return bad < 0 ? null : `not a ${describeFormat(format)}: ${showChar(value.charCodeAt(bad))} at character ${bad}`;
}

/** One character per byte. */
export function asciiInterpreter(format: Format): Interpreter {
  const mask = FORMAT_MASK[format];
  return {
    wireBytes: (units) => units,
    unitsOf: (value) => value.length,
    check: (value) => checkText(value, format, mask),
    write: (value, out, at) => out.write(value, at, 'latin1'),
    read(buf, at, units) {
      const end = at + units;
      if (format === 'xn') {
        if (units > 0 && buf[at] !== 0x43 && buf[at] !== 0x44) {
          return { reason: `amount sign must be 'C' or 'D', got ${showChar(buf[at])}`, offset: at };
        }
        const bad = firstBadByte(buf, at + 1, end, mask);
        if (bad >= 0) return { reason: `non-digit ${showChar(buf[bad])}`, offset: bad };
      } else {
        const bad = firstBadByte(buf, at, end, mask);
        if (bad >= 0) return { reason: `not a ${describeFormat(format)}: ${showChar(buf[bad])}`, offset: bad };
      }
      return latin1(buf, at, end);
    },
  };
}

// Character codes of BCD nibbles: 0-9 are digits, D is '=' in track data; anything else is invalid.
export const NIBBLE_CHAR = new Int16Array(16).fill(-1);
for (let n = 0; n < 10; n++) NIBBLE_CHAR[n] = 0x30 + n;
export const TRACK_NIBBLE_CHAR = Int16Array.from(NIBBLE_CHAR);
TRACK_NIBBLE_CHAR[13] = 0x3d;

/** BCD: `align` says where an odd-length value sits; `units` whether the length counts digits or bytes. */
export function bcdInterpreter(def: FieldDef): Interpreter {
  const track = def.format === 'z';
  const left = def.align === 'left';
  const byDigits = def.units === 'digits';
  const charOf = track ? TRACK_NIBBLE_CHAR : NIBBLE_CHAR;
  const kind = track ? 'track' : 'BCD';
  const bad = (nib: number, offset: number): Problem => ({
    reason: `non-${kind} nibble ${nib.toString(16).toUpperCase()}`,
    offset,
  });
  return {
    wireBytes: byDigits ? (units) => (units + 1) >> 1 : (units) => units,
    unitsOf: byDigits ? (value) => value.length : (value) => (value.length + 1) >> 1,
    check: (value) => checkText(value, track ? 'z' : 'n', FORMAT_MASK[track ? 'z' : 'n']),
    write(value, out, at) {
      const digits = value.length;
      const bytes = (digits + 1) >> 1;
      // With an odd count, right alignment puts a 0 nibble first, left alignment puts it last.
      const shift = digits & 1 && !left ? 1 : 0;
      out.fill(0, at, at + bytes);
      for (let i = 0; i < digits; i++) {
        const c = value.charCodeAt(i);
        const nib = c === 0x3d ? 13 : c - 0x30;
        const pos = i + shift;
        out[at + (pos >> 1)] |= pos & 1 ? nib : nib << 4;
      }
      return bytes;
    },
    read(buf, at, units) {
      const digits = byDigits ? units : units * 2;
      // Nibble positions [first, first + digits) hold the value; the pad nibble is not checked,
      // since terminals pad with 0 or F alike.
      const first = digits & 1 && !left ? 1 : 0;
      const codes = codeArray(digits);
      let s = '';
      for (let i = 0; i < digits; i++) {
        const pos = first + i;
        const b = buf[at + (pos >> 1)];
        const nib = pos & 1 ? b & 15 : b >> 4;
        const c = charOf[nib];
        if (c < 0) return bad(nib, at + (pos >> 1));
        if (codes !== undefined) codes[i] = c;
        else s += String.fromCharCode(c);
      }
      return codes !== undefined ? fromCodes(codes) : s;
    },
  };
}

function checkHex(value: string): string | null {
  if (value.length & 1) return `binary value must be an even number of hex digits, got ${value.length}`;
  const bad = firstNonHex(value);
  return bad < 0 ? null : `not a hex digit: ${showChar(value.charCodeAt(bad))} at character ${bad}`;
}

/** Raw bytes; the value is their uppercase hex. */
export function binaryInterpreter(): Interpreter {
  return {
    wireBytes: (units) => units,
    unitsOf: (value) => value.length >> 1,
    check: checkHex,
    write: writeHex,
    read: (buf, at, units) => toHexUpper(buf, at, at + units),
  };
}

/** Binary data carried as ASCII hex characters (all-ASCII specs); the length counts data bytes. */
export function hexInterpreter(): Interpreter {
  return {
    wireBytes: (units) => units * 2,
    unitsOf: (value) => value.length >> 1,
    check: checkHex,
    write(value, out, at) {
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        out[at + i] = c >= 0x61 ? c - 0x20 : c; // uppercase on the wire
      }
      return value.length;
    },
    read(buf, at, units) {
      const end = at + units * 2;
      const bad = firstNonHexByte(buf, at, end);
      if (bad >= 0) return { reason: `not a hex digit: ${showChar(buf[bad])}`, offset: bad };
      const s = buf.toString('latin1', at, end);
      return hasLowerHex(buf, at, end) ? s.toUpperCase() : s;
    },
  };
}

function hasLowerHex(buf: Buffer, at: number, end: number): boolean {
  for (let i = at; i < end; i++) if (buf[i] >= 0x61) return true;
  return false;
}

export function interpreterFor(def: FieldDef): Interpreter {
  switch (def.encoding) {
    case 'ascii':
      return asciiInterpreter(def.format);
    case 'bcd':
      return bcdInterpreter(def);
    case 'binary':
      return binaryInterpreter();
    case 'hex':
      return hexInterpreter();
  }
}
