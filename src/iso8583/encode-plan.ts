// The fast encode path, the counterpart of decode-plan.ts. Each FieldDef is flattened once into an
// EncodeStep (numbers and lookup tables), and one function validates and writes a value in a single
// pass over its characters: no padded copy of the value, no Buffer#write or Buffer#fill calls, no
// calls through per-field closures.
//
// A step only says "written, here is the new offset" or "not sure" (-1). On -1 the Codec encodes the
// field again with its reference FieldCodec (interpreter × prefixer × padder), which either writes
// the very same bytes or throws the precise CodecError, so error messages and offsets do not change.
import { CHAR_CLASS, FORMAT_MASK } from './charsets.js';
import { NIBBLE } from './hex.js';
import type { FieldDef } from './spec.js';

// Value kinds (FieldDef.encoding); UNSUPPORTED always takes the reference path.
const UNSUPPORTED = 0;
const BCD = 1;
const ASCII = 2;
const BINARY = 3;
const HEX = 4;

// Length prefix kinds (FieldDef.prefix); fixed fields have none.
const NO_PREFIX = 0;
const BCD_PREFIX = 1;
const ASCII_PREFIX = 2;
const BINARY_PREFIX = 3;

const PREFIX = { bcd: BCD_PREFIX, ascii: ASCII_PREFIX, binary: BINARY_PREFIX } as const;

const ZERO = 0x30;
const SPACE = 0x20;
const EQUALS = 0x3d;
/** The nibble of '=' in track data. */
const TRACK_SEPARATOR_NIBBLE = 13;

/** One field's encoding, as data. */
export class EncodeStep {
  readonly kind: number;
  /** Fixed length, or the maximum of a variable one, in the field's units. */
  readonly length: number;
  readonly fixed: boolean;
  readonly prefix: number;
  /** LL (2) or LLL (3). */
  readonly prefixDigits: number;
  /** Character a short fixed value is padded with (on the left for '0', on the right for ' '), or 0. */
  readonly pad: number;
  /** BCD: an odd value sits on the left, its pad nibble last (else first). */
  readonly left: boolean;
  /** BCD: '=' is the nibble D (track data). */
  readonly track: boolean;
  /** ASCII: the character classes allowed. */
  readonly mask: number;

  constructor(def: FieldDef) {
    this.kind = kindOf(def);
    this.length = def.length;
    this.fixed = def.lengthType === 'fixed';
    this.prefix = this.fixed || def.prefix === undefined ? NO_PREFIX : PREFIX[def.prefix];
    this.prefixDigits = def.lengthType === 'LL' ? 2 : 3;
    const paddable = this.kind === BCD || this.kind === ASCII;
    this.pad =
      !paddable || !this.fixed ? 0 : def.padding === 'zeros-left' ? ZERO : def.padding === 'spaces-right' ? SPACE : 0;
    this.left = def.align === 'left';
    this.track = def.format === 'z';
    this.mask = FORMAT_MASK[def.format];
  }
}

function kindOf(def: FieldDef): number {
  switch (def.encoding) {
    case 'bcd':
      // Byte-counted BCD and signed amounts are rare; the reference path handles them.
      return def.units === 'digits' && (def.format === 'n' || def.format === 'z') ? BCD : UNSUPPORTED;
    case 'ascii':
      return def.format === 'xn' ? UNSUPPORTED : ASCII;
    case 'binary':
      return BINARY;
    case 'hex':
      return HEX;
  }
}

/**
 * Validates `value` and writes it (length prefix, padding and all) at `at`; returns the offset after
 * it, or -1 when the value is not valid (nothing useful is written then; the caller re-encodes).
 */
export function encodeField(step: EncodeStep, value: string, out: Buffer, at: number): number {
  const n = value.length;
  switch (step.kind) {
    case BCD: {
      // Digits after padding: a short fixed value is zero-padded on the left.
      const digits = step.pad === ZERO && n < step.length ? step.length : n;
      if (!fits(step, digits)) return -1;
      at = writePrefix(step, out, at, digits);
      return bcd(step, value, digits - n, out, at);
    }
    case ASCII: {
      const chars = step.pad !== 0 && n < step.length ? step.length : n;
      if (!fits(step, chars)) return -1;
      at = writePrefix(step, out, at, chars);
      return ascii(step, value, chars - n, out, at);
    }
    case BINARY: {
      if ((n & 1) === 1 || !fits(step, n >> 1)) return -1;
      at = writePrefix(step, out, at, n >> 1);
      return binary(value, out, at);
    }
    case HEX: {
      if ((n & 1) === 1 || !fits(step, n >> 1)) return -1;
      at = writePrefix(step, out, at, n >> 1);
      return hex(value, out, at);
    }
    default:
      return -1;
  }
}

/** A fixed field takes exactly its length, a variable one at most its maximum. */
function fits(step: EncodeStep, units: number): boolean {
  return step.fixed ? units === step.length : units <= step.length;
}

function writePrefix(step: EncodeStep, out: Buffer, at: number, length: number): number {
  switch (step.prefix) {
    case NO_PREFIX:
      return at;
    case BCD_PREFIX:
      if (step.prefixDigits === 2) {
        out[at] = (((length / 10) | 0) << 4) | (length % 10);
        return at + 1;
      }
      out[at] = (length / 100) | 0;
      out[at + 1] = ((((length / 10) | 0) % 10) << 4) | (length % 10);
      return at + 2;
    case ASCII_PREFIX:
      for (let i = step.prefixDigits - 1; i >= 0; i--) {
        out[at + i] = ZERO + (length % 10);
        length = (length / 10) | 0;
      }
      return at + step.prefixDigits;
    default:
      if (step.prefixDigits === 2) {
        out[at] = length;
        return at + 1;
      }
      out[at] = length >> 8;
      out[at + 1] = length & 0xff;
      return at + 2;
  }
}

/** Two digits per byte after `zeros` leading zero digits; an odd count gets a 0 pad nibble. */
function bcd(step: EncodeStep, value: string, zeros: number, out: Buffer, at: number): number {
  const digits = zeros + value.length;
  // pos counts nibbles from the first byte's high nibble; a right-aligned odd value starts at 1.
  let pos = (digits & 1) === 1 && !step.left ? 1 : 0;
  if (pos === 1) out[at] = 0;
  for (let i = 0; i < zeros; i++, pos++) {
    if ((pos & 1) === 0) out[at + (pos >> 1)] = 0;
  }
  const track = step.track;
  for (let i = 0; i < value.length; i++, pos++) {
    const c = value.charCodeAt(i);
    let nib = c - ZERO;
    if (nib < 0 || nib > 9) {
      if (!track || c !== EQUALS) return -1;
      nib = TRACK_SEPARATOR_NIBBLE;
    }
    const byte = at + (pos >> 1);
    if ((pos & 1) === 0) out[byte] = nib << 4;
    else out[byte] |= nib;
  }
  return at + ((pos + 1) >> 1);
}

/** One byte per character (latin1), padded with `pads` pad characters on the step's side. */
function ascii(step: EncodeStep, value: string, pads: number, out: Buffer, at: number): number {
  const mask = step.mask;
  const n = value.length;
  if (step.pad === ZERO) for (let i = 0; i < pads; i++) out[at++] = ZERO;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || (CHAR_CLASS[c] & mask) === 0) return -1;
    out[at++] = c;
  }
  if (step.pad === SPACE) for (let i = 0; i < pads; i++) out[at++] = SPACE;
  return at;
}

/** Hex characters (either case) to raw bytes. */
function binary(value: string, out: Buffer, at: number): number {
  for (let i = 0; i < value.length; i += 2) {
    const hi = nibbleAt(value, i);
    const lo = nibbleAt(value, i + 1);
    if ((hi | lo) < 0) return -1;
    out[at++] = (hi << 4) | lo;
  }
  return at;
}

/** Hex characters as themselves, uppercase on the wire. */
function hex(value: string, out: Buffer, at: number): number {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c > 0xff || NIBBLE[c] < 0) return -1;
    out[at++] = c >= 0x61 ? c - 0x20 : c;
  }
  return at;
}

function nibbleAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c > 0xff ? -1 : NIBBLE[c];
}
