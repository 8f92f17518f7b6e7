// A spec is data: how the MTI and bitmap are written and one FieldDef per field. Field codecs are
// composed from it (field-codec.ts) the way jPOS composes interpreter × prefixer × padder.
import type { Format } from './charsets.js';

export type { Format } from './charsets.js';

/** Fixed length, or a variable length announced by a 2- or 3-digit prefix. */
export type LengthType = 'fixed' | 'LL' | 'LLL';

/**
 * How a value becomes bytes:
 * - `bcd`: two digits per byte (track data: `=` is the nibble D), odd lengths padded with a 0 nibble;
 * - `ascii`: one character per byte (latin1, so non-ASCII bytes in `ans` survive);
 * - `binary`: raw bytes, the value is their uppercase hex;
 * - `hex`: binary data written as ASCII hex characters (two per byte), the value is that hex.
 */
export type Encoding = 'bcd' | 'ascii' | 'binary' | 'hex';

/** How a LL/LLL length prefix is written: BCD (1 or 2 bytes), ASCII digits (2 or 3) or binary (1 or 2). */
export type PrefixEncoding = 'bcd' | 'ascii' | 'binary';

/** What `length` and the prefix count: the value's digits/characters, or the bytes of the (binary) data. */
export type LengthUnits = 'digits' | 'bytes';

/** How a short value of a fixed field is brought to length before encoding. */
export type Padding = 'zeros-left' | 'spaces-right' | 'none';

export interface FieldDef {
  name: string;
  format: Format;
  /** The exact length of a fixed field, or the maximum of a variable one, in `units`. */
  length: number;
  lengthType: LengthType;
  units: LengthUnits;
  encoding: Encoding;
  /** Length prefix encoding of LL/LLL fields. */
  prefix?: PrefixEncoding;
  /** Side the digits sit on in an odd-length BCD value; the pad nibble goes on the other side. */
  align?: 'left' | 'right';
  padding?: Padding;
}

export interface Spec {
  name: string;
  description: string;
  mti: 'bcd' | 'ascii';
  bitmap: 'binary' | 'hex';
  /** 64: primary bitmap only (bit 1 must be clear); 128: bit 1 announces a secondary bitmap. */
  maxField: 64 | 128;
  fields: Readonly<Record<number, FieldDef>>;
}
