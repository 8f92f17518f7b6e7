// The fast decode path. Each FieldDef of a spec is flattened once into a DecodeStep (numbers and
// lookup tables) that one loop interprets, so a decode makes no calls through per-field closures.
//
// Every value's characters (digits, text, uppercase hex) are written into one reusable "text image"
// buffer while the bytes are validated; at the end one latin1 read turns the image into a string and
// each value is a substring of it. That is one native string build per message instead of one per
// field, which profiled as the next largest cost after building the fields object.
//
// The plan only says "valid, here is the message" or "not sure" (undefined). On anything unexpected
// the Codec decodes again with the reference path (FieldCodec: interpreter × prefixer), which throws
// the precise CodecError; a property test checks that both paths agree.
import { CHAR_CLASS, FORMAT_MASK } from './charsets.js';
import type { IsoMessage } from './codec.js';
import { type BitmapWords, FieldsObjectBuilder } from './fields-object.js';
import { HEX_CODES, NIBBLE } from './hex.js';
import { NIBBLE_CHAR, TRACK_NIBBLE_CHAR } from './interpreters.js';
import type { FieldDef, Spec } from './spec.js';

// Value kinds (FieldDef.encoding).
const BCD = 0;
const ASCII = 1;
const BINARY = 2;
const HEX = 3;

// Length prefix kinds (FieldDef.prefix); fixed fields have none.
const NO_PREFIX = 0;
const BCD_PREFIX = 1;
const ASCII_PREFIX = 2;
const BINARY_PREFIX = 3;

const KIND = { bcd: BCD, ascii: ASCII, binary: BINARY, hex: HEX } as const;
const PREFIX = { bcd: BCD_PREFIX, ascii: ASCII_PREFIX, binary: BINARY_PREFIX } as const;

/** One field's decoding, as data. */
class DecodeStep {
  readonly kind: number;
  /** Fixed length, or the maximum of a variable one, in the field's units. */
  readonly max: number;
  readonly prefix: number;
  readonly prefixBytes: number;
  /** BCD: the length counts digits (else bytes, two digits each). */
  readonly byDigits: boolean;
  /** BCD: an odd value is right-aligned, so its pad nibble comes first. */
  readonly padFirst: boolean;
  /** BCD: character code of each nibble, -1 where the nibble is invalid. */
  readonly nibbles: Int16Array;
  /** ASCII: the character classes allowed. */
  readonly mask: number;
  /** ASCII `xn`: the value starts with 'C' or 'D'. */
  readonly signed: boolean;
  /** Characters of the longest value. */
  readonly maxChars: number;

  constructor(def: FieldDef) {
    this.kind = KIND[def.encoding];
    this.max = def.length;
    const variable = def.lengthType !== 'fixed' && def.prefix !== undefined;
    this.prefix = variable ? PREFIX[def.prefix as keyof typeof PREFIX] : NO_PREFIX;
    const digits = def.lengthType === 'LL' ? 2 : 3;
    // ASCII prefixes take a byte per digit; BCD and binary ones 1 byte for LL, 2 for LLL.
    this.prefixBytes = !variable ? 0 : def.prefix === 'ascii' ? digits : digits - 1;
    this.byDigits = def.units === 'digits';
    this.padFirst = def.align !== 'left';
    this.nibbles = def.format === 'z' ? TRACK_NIBBLE_CHAR : NIBBLE_CHAR;
    this.signed = def.format === 'xn';
    this.mask = FORMAT_MASK[def.format];
    const perUnit = this.kind === ASCII || (this.kind === BCD && this.byDigits) ? 1 : 2;
    this.maxChars = perUnit * def.length;
  }

  /** Wire bytes of a value `units` long. */
  wireBytes(units: number): number {
    if (this.kind === BCD) return this.byDigits ? (units + 1) >> 1 : units;
    return this.kind === HEX ? units * 2 : units;
  }
}

const MTI_CHARS = 4;

export class DecodePlan {
  private readonly steps: (DecodeStep | undefined)[] = new Array(129).fill(undefined);
  private readonly bcdMti: boolean;
  private readonly binaryBitmap: boolean;
  private readonly hasSecondary: boolean;
  /** The text image: the MTI, then every value's characters, back to back. */
  private readonly image: Buffer;
  // Per decode (decoding is synchronous, so this state is never shared by two calls).
  private readonly words = new Int32Array(4);
  private readonly bitmap: BitmapWords = { w0: 0, w1: 0, w2: 0, w3: 0 };
  private readonly nos = new Int32Array(128);
  /** End of each value in the image; it starts where the previous one ended. */
  private readonly ends = new Int32Array(128);
  private readonly values: string[] = new Array(128).fill('');
  private readonly objects = new FieldsObjectBuilder();

  constructor(spec: Spec) {
    this.bcdMti = spec.mti === 'bcd';
    this.binaryBitmap = spec.bitmap === 'binary';
    this.hasSecondary = spec.maxField === 128;
    let chars = MTI_CHARS;
    for (const [key, def] of Object.entries(spec.fields)) {
      const step = new DecodeStep(def);
      this.steps[Number(key)] = step;
      chars += step.maxChars;
    }
    this.image = Buffer.alloc(chars);
  }

  /** The message, or undefined when the bytes are not a valid message (the caller finds out why). */
  decode(buf: Buffer): IsoMessage | undefined {
    const end = buf.length;
    let at = this.readMti(buf);
    if (at < 0) return undefined;
    at = this.readBitmaps(buf, at);
    if (at < 0) return undefined;
    const words = this.words;
    const steps = this.steps;
    const image = this.image;
    const nos = this.nos;
    const ends = this.ends;
    let t = MTI_CHARS;
    let count = 0;
    for (let w = 0; w < 4; w++) {
      let word = words[w];
      while (word !== 0) {
        const z = Math.clz32(word);
        word &= ~(0x80000000 >>> z);
        const no = w * 32 + z + 1;
        const step = steps[no];
        if (step === undefined) return undefined;
        let units = step.max;
        if (step.prefix !== NO_PREFIX) {
          if (at + step.prefixBytes > end) return undefined;
          units = readLength(step, buf, at);
          if (units < 0 || units > step.max) return undefined;
          at += step.prefixBytes;
        }
        const bytes = step.wireBytes(units);
        if (at + bytes > end) return undefined;
        switch (step.kind) {
          case BCD:
            t = bcdText(step, buf, at, units, image, t);
            break;
          case ASCII:
            t = asciiText(step, buf, at, units, image, t);
            break;
          case BINARY:
            t = binaryText(buf, at, units, image, t);
            break;
          default:
            t = hexText(buf, at, units, image, t);
        }
        if (t < 0) return undefined;
        at += bytes;
        nos[count] = no;
        ends[count++] = t;
      }
    }
    if (at !== end) return undefined;
    const text = image.toString('latin1', 0, t);
    const values = this.values;
    let start = MTI_CHARS;
    for (let i = 0; i < count; i++) {
      values[i] = text.substring(start, ends[i]);
      start = ends[i];
    }
    const fields = this.objects.build(this.bitmap, nos, values, count);
    // The scratch slots let go of this message's values (a PAN, a payment code, and through the
    // substrings the whole text), which would otherwise stay until a message with as many fields.
    for (let i = 0; i < count; i++) values[i] = '';
    return { mti: text.substring(0, MTI_CHARS), fields };
  }

  /** Writes the MTI's digits to the image; returns the offset after it, or -1. */
  private readMti(buf: Buffer): number {
    const image = this.image;
    if (this.bcdMti) {
      if (buf.length < 2) return -1;
      for (let i = 0; i < 2; i++) {
        const hi = buf[i] >> 4;
        const lo = buf[i] & 15;
        if (hi > 9 || lo > 9) return -1;
        image[2 * i] = 0x30 + hi;
        image[2 * i + 1] = 0x30 + lo;
      }
      return 2;
    }
    if (buf.length < MTI_CHARS) return -1;
    for (let i = 0; i < MTI_CHARS; i++) {
      const c = buf[i];
      if (c < 0x30 || c > 0x39) return -1;
      image[i] = c;
    }
    return MTI_CHARS;
  }

  /** Reads the primary (and secondary) bitmap into `words`; returns the offset after them, or -1. */
  private readBitmaps(buf: Buffer, at: number): number {
    const words = this.words;
    words[2] = 0;
    words[3] = 0;
    at = this.readBitmap(buf, at, 0);
    if (at < 0) return -1;
    if (words[0] < 0) {
      if (!this.hasSecondary) return -1;
      at = this.readBitmap(buf, at, 2);
      if (at < 0) return -1;
      words[0] &= 0x7fffffff;
    }
    const bitmap = this.bitmap;
    bitmap.w0 = words[0];
    bitmap.w1 = words[1];
    bitmap.w2 = words[2];
    bitmap.w3 = words[3];
    return at;
  }

  /** One 64-bit bitmap into words[i], words[i + 1]; returns the offset after it, or -1. */
  private readBitmap(buf: Buffer, at: number, i: number): number {
    const words = this.words;
    if (this.binaryBitmap) {
      if (at + 8 > buf.length) return -1;
      words[i] = (buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3];
      words[i + 1] = (buf[at + 4] << 24) | (buf[at + 5] << 16) | (buf[at + 6] << 8) | buf[at + 7];
      return at + 8;
    }
    if (at + 16 > buf.length) return -1;
    for (let w = 0; w < 2; w++) {
      let v = 0;
      for (let k = 0; k < 8; k++) {
        const nib = NIBBLE[buf[at++]];
        if (nib < 0) return -1;
        v = (v << 4) | nib;
      }
      words[i + w] = v;
    }
    return at;
  }
}

/** The length announced by the prefix at `at` (bounds checked), or -1 when it is not a number. */
function readLength(step: DecodeStep, buf: Buffer, at: number): number {
  switch (step.prefix) {
    case BCD_PREFIX: {
      if (step.prefixBytes === 1) {
        const b = buf[at];
        return b >> 4 > 9 || (b & 15) > 9 ? -1 : (b >> 4) * 10 + (b & 15);
      }
      const b0 = buf[at];
      const b1 = buf[at + 1];
      // LLL: three digits, so the first nibble must be 0
      if (b0 >> 4 !== 0 || (b0 & 15) > 9 || b1 >> 4 > 9 || (b1 & 15) > 9) return -1;
      return (b0 & 15) * 100 + (b1 >> 4) * 10 + (b1 & 15);
    }
    case ASCII_PREFIX: {
      let n = 0;
      for (let i = at; i < at + step.prefixBytes; i++) {
        const d = buf[i] - 0x30;
        if (d < 0 || d > 9) return -1;
        n = n * 10 + d;
      }
      return n;
    }
    default:
      return step.prefixBytes === 1 ? buf[at] : (buf[at] << 8) | buf[at + 1];
  }
}

// The converters below write a value's characters at image[t]; they return the new end, or -1 when
// a byte is invalid. Bounds are checked by the caller.

function bcdText(step: DecodeStep, buf: Buffer, at: number, units: number, image: Buffer, t: number): number {
  const chars = step.nibbles;
  let n = step.byDigits ? units : units * 2;
  let i = at;
  if ((n & 1) === 1 && step.padFirst) {
    const c = chars[buf[i++] & 15];
    if (c < 0) return -1;
    image[t++] = c;
    n--;
  }
  for (; n >= 2; n -= 2) {
    const b = buf[i++];
    const hi = chars[b >> 4];
    const lo = chars[b & 15];
    if ((hi | lo) < 0) return -1;
    image[t] = hi;
    image[t + 1] = lo;
    t += 2;
  }
  if (n === 1) {
    // left-aligned odd value: the last digit is the high nibble; the pad nibble is not checked
    const c = chars[buf[i] >> 4];
    if (c < 0) return -1;
    image[t++] = c;
  }
  return t;
}

function asciiText(step: DecodeStep, buf: Buffer, at: number, units: number, image: Buffer, t: number): number {
  const stop = at + units;
  let i = at;
  if (step.signed && units > 0) {
    const c = buf[i++];
    if (c !== 0x43 && c !== 0x44) return -1;
    image[t++] = c;
  }
  const mask = step.mask;
  for (; i < stop; i++) {
    const c = buf[i];
    if ((CHAR_CLASS[c] & mask) === 0) return -1;
    image[t++] = c;
  }
  return t;
}

function binaryText(buf: Buffer, at: number, units: number, image: Buffer, t: number): number {
  for (let i = at; i < at + units; i++) {
    const b = buf[i];
    image[t] = HEX_CODES[b >> 4];
    image[t + 1] = HEX_CODES[b & 15];
    t += 2;
  }
  return t;
}

function hexText(buf: Buffer, at: number, units: number, image: Buffer, t: number): number {
  for (let i = at; i < at + units * 2; i++) {
    const c = buf[i];
    if (NIBBLE[c] < 0) return -1;
    image[t++] = c >= 0x61 ? c - 0x20 : c; // lowercase hex on the wire reads as uppercase
  }
  return t;
}
