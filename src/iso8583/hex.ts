import { codeArray, fromCodes } from './charsets.js';

// Hex and BCD conversions with lookup tables (no per-byte string building, no regexes).

/** Nibble value of an ASCII hex digit (either case), or -1. */
export const NIBBLE = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) NIBBLE[0x30 + i] = i;
for (let i = 0; i < 6; i++) {
  NIBBLE[0x41 + i] = 10 + i;
  NIBBLE[0x61 + i] = 10 + i;
}

/** Character codes of the uppercase hex digits 0-F. */
export const HEX_CODES = new Uint8Array([...'0123456789ABCDEF'].map((c) => c.charCodeAt(0)));

/** Uppercase hex of buf[start, end). */
export function toHexUpper(buf: Buffer, start: number, end: number): string {
  const n = end - start;
  if (n <= 0) return '';
  const codes = codeArray(2 * n);
  if (codes === undefined) return buf.toString('hex', start, end).toUpperCase();
  for (let i = 0; i < n; i++) {
    const b = buf[start + i];
    codes[2 * i] = HEX_CODES[b >> 4];
    codes[2 * i + 1] = HEX_CODES[b & 15];
  }
  return fromCodes(codes);
}

/** Nibble value of the character code, or -1 when it is not a hex digit. */
export function nibbleOf(code: number): number {
  return code < 256 ? NIBBLE[code] : -1;
}

/** Index of the first non-hex character of s, or -1. */
export function firstNonHex(s: string): number {
  for (let i = 0; i < s.length; i++) if (nibbleOf(s.charCodeAt(i)) < 0) return i;
  return -1;
}

/** Index of the first non-hex byte (ASCII hex digits) in buf[start, end), or -1. */
export function firstNonHexByte(buf: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) if (NIBBLE[buf[i]] < 0) return i;
  return -1;
}

/** Writes an even-length, already validated hex string as bytes; returns bytes written. */
export function writeHex(s: string, out: Buffer, at: number): number {
  const n = s.length >> 1;
  for (let i = 0; i < n; i++) out[at + i] = (NIBBLE[s.charCodeAt(2 * i)] << 4) | NIBBLE[s.charCodeAt(2 * i + 1)];
  return n;
}
