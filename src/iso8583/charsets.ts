// Character classes of ISO 8583 formats, as bit flags in a 256-entry table: one array lookup and
// one AND per character, no regular expressions on the hot path.

export type Format = 'n' | 'a' | 'an' | 'ans' | 'ns' | 'z' | 'xn' | 'b';

const DIGIT = 1;
const ALPHA = 2;
const SPACE = 4;
const SPECIAL = 8; // printable, not alphanumeric, not space
const HIGH = 16; // 0x80..0xFF: passed through in ans so that GBK text survives byte for byte
const TRACK_SEP = 32; // '=' in track data

/** Character class bits of every byte value (see FORMAT_MASK). */
export const CHAR_CLASS = new Uint8Array(256);
const table = CHAR_CLASS;
for (let c = 0; c < 256; c++) {
  if (c >= 0x30 && c <= 0x39) table[c] = DIGIT;
  else if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a)) table[c] = ALPHA;
  else if (c === 0x20) table[c] = SPACE;
  else if (c > 0x20 && c < 0x7f) table[c] = SPECIAL | (c === 0x3d ? TRACK_SEP : 0);
  else if (c >= 0x80) table[c] = HIGH;
}

/** Allowed character classes of each text format (b is not a text format; it is checked as hex). */
export const FORMAT_MASK: Record<Format, number> = {
  n: DIGIT,
  a: ALPHA | SPACE,
  an: DIGIT | ALPHA | SPACE,
  ans: DIGIT | ALPHA | SPACE | SPECIAL | HIGH,
  ns: DIGIT | SPACE | SPECIAL,
  z: DIGIT | TRACK_SEP,
  xn: DIGIT, // the leading C/D is checked separately
  b: 0,
};

/** Index of the first byte in buf[start, end) outside the mask, or -1. */
export function firstBadByte(buf: Buffer, start: number, end: number, mask: number): number {
  for (let i = start; i < end; i++) if ((table[buf[i]] & mask) === 0) return i;
  return -1;
}

/** Index of the first character of s outside the mask, or -1. */
export function firstBadChar(s: string, mask: number): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff || (table[c] & mask) === 0) return i;
  }
  return -1;
}

/** Printable form of a byte or character for error messages. */
export function showChar(code: number): string {
  return code >= 0x20 && code < 0x7f
    ? `'${String.fromCharCode(code)}'`
    : `0x${code.toString(16).padStart(2, '0').toUpperCase()}`;
}

// One reusable code array per short length: String.fromCharCode.apply over it builds a flat string
// in one step, several times faster than a native Buffer#toString call for field-sized text.
const SHORT = 32;
const CODES: number[][] = [];
for (let n = 0; n <= SHORT; n++) CODES.push(new Array<number>(n).fill(0));

/** A reusable array of exactly `n` char codes (n ≤ 32) to fill and pass to `fromCodes`. */
export function codeArray(n: number): number[] | undefined {
  return CODES[n];
}

export function fromCodes(codes: number[]): string {
  return String.fromCharCode.apply(null, codes);
}

/** latin1 text of buf[start, end). */
export function latin1(buf: Buffer, start: number, end: number): string {
  const codes = CODES[end - start];
  if (codes === undefined) return buf.toString('latin1', start, end);
  for (let i = 0; i < codes.length; i++) codes[i] = buf[start + i];
  return String.fromCharCode.apply(null, codes);
}
