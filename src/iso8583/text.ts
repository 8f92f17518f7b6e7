// Text forms used by the decode/encode commands (and handy in logs): hex input with separators
// tolerated, JSON records of messages and of codec/frame errors.
import { CodecError } from './errors.js';
import { FrameError } from './framing.js';
import { firstNonHex } from './hex.js';

/** Thrown for input that is not what a command expects (bad hex, bad JSON). */
export class InputError extends Error {
  override name = 'InputError';
}

const SEPARATORS = /[\s:]+/g;

/** Parses hex written as in dumps: spaces, tabs and colons between bytes are ignored, any case. */
export function parseHexInput(text: string): Buffer {
  const hex = text.replace(SEPARATORS, '');
  if (hex.length === 0) throw new InputError('empty hex input');
  if (hex.length & 1) throw new InputError(`hex input has an odd number of digits (${hex.length})`);
  const bad = firstNonHex(hex);
  if (bad >= 0) throw new InputError(`not a hex digit '${hex[bad]}' at hex position ${bad}`);
  return Buffer.from(hex, 'hex');
}

/** Hex of 5 (TPDU) or 6 (header) bytes, as given to --tpdu / --header or in JSON. */
export function parseHexPart(value: unknown, name: string, size: number): Buffer {
  if (value === undefined) throw new InputError(`${name} is missing: give --${name} or "${name}" in the JSON`);
  if (typeof value !== 'string') throw new InputError(`${name} must be a hex string`);
  const b = parseHexInput(value);
  if (b.length !== size) throw new InputError(`${name} must be ${size} bytes, got ${b.length}`);
  return b;
}

export interface ErrorRecord {
  error: string;
  field: number | 'mti' | 'bitmap' | null;
  offset: number | null;
}

/** The one-line JSON record of a failed item; `base` shifts codec offsets to offsets in the input. */
export function errorRecord(err: unknown, base = 0): ErrorRecord {
  if (err instanceof CodecError) {
    const offset = err.offset + base;
    const where =
      err.field === undefined ? '' : typeof err.field === 'number' ? `field ${err.field}: ` : `${err.field}: `;
    return { error: `${where}${err.reason} at offset ${offset}`, field: err.field ?? null, offset };
  }
  if (err instanceof FrameError || err instanceof InputError) return { error: err.message, field: null, offset: null };
  throw err;
}
