// Message codec: MTI, primary (and secondary) bitmap, then the fields in bitmap order, each through
// its compiled FieldCodec. Decoding either returns a whole message or throws one CodecError.
import { latin1, showChar } from './charsets.js';
import { DecodePlan } from './decode-plan.js';
import { EncodeStep, encodeField } from './encode-plan.js';
import { CodecError } from './errors.js';
import { type Cursor, FieldCodec } from './field-codec.js';
import { fill } from './fields-object.js';
import { firstNonHexByte, nibbleOf, toHexUpper } from './hex.js';
import { Slab } from './slab.js';
import type { Spec } from './spec.js';

export interface IsoMessage {
  mti: string;
  fields: Record<number, string>;
}

/** What could be read of a message before the first error (see peekIdentity). */
export interface PartialMessage {
  mti?: string;
  fields: Record<number, string>;
  error?: CodecError;
}

const MTI_BCD_BYTES = 2;
const MTI_CHARS = 4;
/** encodeAt's slabs: 16 KB, a few hundred replies each (a slab is left when a worst-case message might not fit). */
const SLAB_BYTES = 16 * 1024;

export class Codec {
  readonly spec: Spec;
  private readonly codecs: (FieldCodec | undefined)[] = [];
  /** The fast encode path of each field (see encode-plan.ts); the codecs above are its fallback. */
  private readonly encodeSteps: (EncodeStep | undefined)[] = [];
  private readonly bitmapBytes: number;
  private scratch: Buffer;
  /** The most bytes a message can take: every field at its maximum. */
  private readonly worstBytes: number;
  /** Where encodeAt writes its messages in place. */
  private readonly slab = new Slab(SLAB_BYTES);
  // Decode state, reused across calls (decoding is synchronous, so never shared by two calls).
  private readonly cur: Cursor = { at: 0 };
  private readonly seenNos = new Int32Array(129);
  private readonly seenValues: string[] = new Array(129).fill('');
  private seen = 0;
  private readonly words = new Int32Array(4);
  private readonly plan: DecodePlan;
  // Encode state, reused likewise: the numbers of the fields present, in bitmap order.
  private readonly presentNos = new Int32Array(129);

  constructor(spec: Spec) {
    this.spec = spec;
    let worst = MTI_CHARS + 2 * 16;
    for (const [key, def] of Object.entries(spec.fields)) {
      const no = Number(key);
      if (!Number.isInteger(no) || no < 2 || no > spec.maxField) throw new Error(`spec error: bad field number ${key}`);
      const fc = new FieldCodec(no, def);
      this.codecs[no] = fc;
      this.encodeSteps[no] = new EncodeStep(def);
      worst += fc.maxWireBytes;
    }
    this.bitmapBytes = spec.bitmap === 'binary' ? 8 : 16;
    // Every message fits: the scratch buffer is sized for all fields at their maximum.
    this.worstBytes = worst;
    this.scratch = Buffer.alloc(worst);
    this.plan = new DecodePlan(spec);
  }

  /** The compiled codec of field `no`, if the spec defines it. */
  field(no: number): FieldCodec | undefined {
    return this.codecs[no];
  }

  decode(bytes: Buffer): IsoMessage {
    // The fast plan decodes every valid message; anything else goes through the reference path,
    // which throws the CodecError that says what is wrong and where.
    return this.plan.decode(bytes) ?? this.decodeReference(bytes);
  }

  /** Decodes with the composed field codecs (interpreter × prefixer): slower, precise errors. */
  decodeReference(bytes: Buffer): IsoMessage {
    const cur = this.cur;
    cur.at = 0;
    this.seen = 0;
    const mti = this.readMti(bytes, cur);
    this.readFields(bytes, cur);
    return { mti, fields: fill(this.seenNos, this.seenValues, this.seen) };
  }

  /** Decodes as far as possible; never throws. */
  decodePartial(bytes: Buffer): PartialMessage {
    const out: PartialMessage = { fields: {} };
    const cur = this.cur;
    cur.at = 0;
    this.seen = 0;
    try {
      out.mti = this.readMti(bytes, cur);
      this.readFields(bytes, cur);
    } catch (err) {
      if (!(err instanceof CodecError)) throw err;
      out.error = err;
    }
    out.fields = fill(this.seenNos, this.seenValues, this.seen);
    return out;
  }

  /** The message's bytes, in a new buffer the caller owns (encoding itself uses a scratch buffer). */
  encode(msg: IsoMessage): Buffer {
    return this.encodeWith(msg, true);
  }

  /** Encodes with the composed field codecs only: same bytes and errors as encode, slower. */
  encodeReference(msg: IsoMessage): Buffer {
    return this.encodeWith(msg, false);
  }

  /**
   * `encode` for a fields object whose every own key is a field number (1 to the spec's last field),
   * such as one built from numbered literals: the fields are found by reading slots 1..maxField
   * instead of through `Object.keys`, which makes a string of every key (~0.7 KB per message). Same
   * bytes and, for such an object, the same errors; a key outside that range would be ignored, so
   * anything the caller cannot vouch for goes through `encode`.
   */
  encodeNumbered(msg: IsoMessage): Buffer {
    return this.encodeWith(msg, true, true);
  }

  /**
   * `encodeNumbered` for a caller that knows which of fields 1-64 it may have set: bit (no - 1) & 31
   * of `w0` (fields 1-32) or `w1` (33-64), most significant first as in the bitmap. Slots whose bit
   * is clear are not read (a reused 64-slot object was read slot by slot: a megamorphic element load
   * each); fields above 64 are read as encodeNumbered reads them. Same bytes and errors as
   * encodeNumbered when every set field's bit is given.
   */
  encodeNumberedMasked(msg: IsoMessage, w0: number, w1: number): Buffer {
    return this.encodeWith(msg, true, true, w0, w1);
  }

  /**
   * `encode`'s bytes starting at byte `room` of the returned buffer; the bytes before are left for the
   * caller to write (a frame's length prefix, TPDU and header). Encoded in place, straight into a view
   * of a shared slab (see slab.ts), not into the scratch buffer and copied out. Same bytes and errors.
   */
  encodeAt(room: number, msg: IsoMessage): Buffer {
    return this.encodeInSlab(room, msg, false, -1, -1);
  }

  /** `encodeNumbered` with `room` bytes left in front of the message, as `encodeAt`. */
  encodeNumberedAt(room: number, msg: IsoMessage): Buffer {
    return this.encodeInSlab(room, msg, true, -1, -1);
  }

  /** `encodeNumberedMasked` with `room` bytes left in front of the message, as `encodeAt`. */
  encodeNumberedMaskedAt(room: number, msg: IsoMessage, w0: number, w1: number): Buffer {
    return this.encodeInSlab(room, msg, true, w0, w1);
  }

  private encodeWith(msg: IsoMessage, fast: boolean, numbered = false, mask0 = -1, mask1 = -1): Buffer {
    return copyOf(this.scratch, this.encodeInto(this.scratch, 0, msg, fast, numbered, mask0, mask1));
  }

  private encodeInSlab(room: number, msg: IsoMessage, numbered: boolean, mask0: number, mask1: number): Buffer {
    const slab = this.slab;
    const out = slab.reserve(room + this.worstBytes);
    const base = slab.offset + room;
    try {
      return slab.take(this.encodeInto(out, base, msg, true, numbered, mask0, mask1));
    } catch (err) {
      // Offsets count from the message's start, as encode's do.
      if (err instanceof CodecError) throw new CodecError(err.field ?? 'message', err.offset - base, err.reason);
      throw err;
    }
  }

  /** Writes the message at out[base...]; returns where it ends. Error offsets count from 0 of `out`. */
  private encodeInto(
    out: Buffer,
    base: number,
    msg: IsoMessage,
    fast: boolean,
    numbered: boolean,
    mask0: number,
    mask1: number,
  ): number {
    if (msg === null || typeof msg !== 'object') throw new CodecError('message', base, 'message must be an object');
    let at = this.writeMti(msg.mti, out, base);
    const fields = msg.fields ?? {};
    if (typeof fields !== 'object') throw new CodecError('message', at, 'fields must be an object');
    const count = numbered ? this.presentByNumber(fields, at, mask0, mask1) : this.presentByKey(fields, at);
    const present = this.presentNos;
    let w0 = 0;
    let w1 = 0;
    let w2 = 0;
    let w3 = 0;
    for (let i = 0; i < count; i++) {
      const no = present[i];
      const bit = 0x80000000 >>> ((no - 1) & 31);
      if (no <= 32) w0 |= bit;
      else if (no <= 64) w1 |= bit;
      else if (no <= 96) w2 |= bit;
      else w3 |= bit;
    }
    const secondary = (w2 | w3) !== 0;
    if (secondary) w0 |= 0x80000000;
    const bitmapAt = at;
    at += secondary ? 2 * this.bitmapBytes : this.bitmapBytes;
    for (let i = 0; i < count; i++) {
      const no = present[i];
      const value = (fields as Record<number, string>)[no];
      const next = fast ? encodeField(this.encodeSteps[no]!, value, out, at) : -1;
      // -1: not valid as the fast path sees it; the reference codec writes it or says what is wrong.
      at = next >= 0 ? next : this.codecs[no]!.encode(value, out, at);
    }
    this.writeBitmap(out, bitmapAt, w0, w1);
    if (secondary) this.writeBitmap(out, bitmapAt + this.bitmapBytes, w2, w3);
    return at;
  }

  /** Collects the numbers of the fields present into presentNos, in bitmap order; returns how many. */
  private presentByKey(fields: object, at: number): number {
    // Integer-like keys enumerate in ascending numeric order, which is bitmap order.
    const keys = Object.keys(fields);
    let count = 0;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      // A field-number key is read by its number (an element load, no string-to-number lookups);
      // any other key takes the general check below.
      let no = fieldNumberOf(key);
      const value = no >= 0 ? (fields as Record<number, unknown>)[no] : (fields as Record<string, unknown>)[key];
      if (value === undefined) continue;
      if (no < 0) {
        no = Number(key);
        if (!Number.isInteger(no) || String(no) !== key)
          throw new CodecError('message', at, `unknown field key "${key}"`);
      }
      this.checkPresent(no, value, at);
      this.presentNos[count++] = no;
    }
    return count;
  }

  /** presentByKey for an object keyed by field numbers only (see encodeNumbered). */
  private presentByNumber(fields: object, at: number, mask0: number, mask1: number): number {
    let count = this.presentInWord(fields, at, mask0, 1, 0);
    count = this.presentInWord(fields, at, mask1, 33, count);
    for (let no = 65; no <= this.spec.maxField; no++) {
      const value = (fields as Record<number, unknown>)[no];
      if (value === undefined) continue;
      this.checkPresent(no, value, at);
      this.presentNos[count++] = no;
    }
    return count;
  }

  /**
   * presentByNumber for the slots of one bitmap word's set bits (fields first..first + 31), visited
   * with Math.clz32: a response's mask has about ten bits of 64, so the clear ones cost nothing.
   */
  private presentInWord(fields: object, at: number, word: number, first: number, count: number): number {
    const max = this.spec.maxField;
    let bits = word;
    while (bits !== 0) {
      const z = Math.clz32(bits);
      bits &= ~(0x80000000 >>> z);
      const no = first + z;
      if (no > max) break;
      const value = (fields as Record<number, unknown>)[no];
      if (value === undefined) continue;
      this.checkPresent(no, value, at);
      this.presentNos[count++] = no;
    }
    return count;
  }

  private checkPresent(no: number, value: unknown, at: number): void {
    if (no === 1) throw new CodecError(1, at, 'the secondary bitmap is set by the codec, not given as a field');
    if (this.codecs[no] === undefined) throw new CodecError(no, at, `not defined in spec ${this.spec.name}`);
    if (typeof value !== 'string') throw new CodecError(no, at, `value must be a string, got ${typeof value}`);
  }

  private readMti(buf: Buffer, cur: Cursor): string {
    if (this.spec.mti === 'bcd') {
      if (buf.length < MTI_BCD_BYTES) throw new CodecError('mti', 0, `needs 2 bytes, only ${buf.length} left`);
      for (let i = 0; i < MTI_BCD_BYTES; i++) {
        if (buf[i] >> 4 > 9 || (buf[i] & 15) > 9)
          throw new CodecError('mti', i, `non-BCD byte ${toHexUpper(buf, i, i + 1)}`);
      }
      cur.at = MTI_BCD_BYTES;
      return toHexUpper(buf, 0, MTI_BCD_BYTES);
    }
    if (buf.length < MTI_CHARS) throw new CodecError('mti', 0, `needs 4 bytes, only ${buf.length} left`);
    for (let i = 0; i < MTI_CHARS; i++) {
      if (buf[i] < 0x30 || buf[i] > 0x39) throw new CodecError('mti', i, `non-digit ${showChar(buf[i])}`);
    }
    cur.at = MTI_CHARS;
    return latin1(buf, 0, MTI_CHARS);
  }

  /** Writes the MTI at out[base...]; returns where it ends. */
  private writeMti(mti: unknown, out: Buffer, base: number): number {
    if (typeof mti !== 'string' || mti.length !== 4) throw new CodecError('mti', base, 'must be 4 digits');
    for (let i = 0; i < 4; i++) {
      const c = mti.charCodeAt(i);
      if (c < 0x30 || c > 0x39) throw new CodecError('mti', base, `non-digit ${showChar(c)} in "${mti}"`);
    }
    if (this.spec.mti === 'ascii') return base + out.write(mti, base, 'latin1');
    out[base] = ((mti.charCodeAt(0) - 0x30) << 4) | (mti.charCodeAt(1) - 0x30);
    out[base + 1] = ((mti.charCodeAt(2) - 0x30) << 4) | (mti.charCodeAt(3) - 0x30);
    return base + MTI_BCD_BYTES;
  }

  /** Reads one 64-bit bitmap at `at` as two 32-bit words into words[i], words[i + 1]. */
  private readBitmap(buf: Buffer, at: number, words: Int32Array, i: number): void {
    const n = this.bitmapBytes;
    if (at + n > buf.length) throw new CodecError('bitmap', at, `needs ${n} bytes, only ${buf.length - at} left`);
    if (this.spec.bitmap === 'binary') {
      words[i] = (buf[at] << 24) | (buf[at + 1] << 16) | (buf[at + 2] << 8) | buf[at + 3];
      words[i + 1] = (buf[at + 4] << 24) | (buf[at + 5] << 16) | (buf[at + 6] << 8) | buf[at + 7];
      return;
    }
    const bad = firstNonHexByte(buf, at, at + n);
    if (bad >= 0) throw new CodecError('bitmap', bad, `not a hex digit: ${showChar(buf[bad])}`);
    for (let w = 0; w < 2; w++) {
      let v = 0;
      for (let k = 0; k < 8; k++) v = (v << 4) | nibbleOf(buf[at + w * 8 + k]);
      words[i + w] = v;
    }
  }

  private writeBitmap(out: Buffer, at: number, hi: number, lo: number): void {
    if (this.spec.bitmap === 'binary') {
      out[at] = hi >>> 24;
      out[at + 1] = hi >>> 16;
      out[at + 2] = hi >>> 8;
      out[at + 3] = hi;
      out[at + 4] = lo >>> 24;
      out[at + 5] = lo >>> 16;
      out[at + 6] = lo >>> 8;
      out[at + 7] = lo;
    } else {
      out.write((hi >>> 0).toString(16).padStart(8, '0').toUpperCase(), at, 'latin1');
      out.write((lo >>> 0).toString(16).padStart(8, '0').toUpperCase(), at + 8, 'latin1');
    }
  }

  private readFields(buf: Buffer, cur: Cursor): void {
    const bitmapAt = cur.at;
    const words = this.words;
    words.fill(0);
    this.readBitmap(buf, bitmapAt, words, 0);
    cur.at += this.bitmapBytes;
    if (words[0] < 0) {
      if (this.spec.maxField < 128)
        throw new CodecError('bitmap', bitmapAt, `bit 1 set but spec ${this.spec.name} has no secondary bitmap`);
      this.readBitmap(buf, cur.at, words, 2);
      cur.at += this.bitmapBytes;
      words[0] &= 0x7fffffff;
    }
    const end = buf.length;
    for (let w = 0; w < 4; w++) {
      let word = words[w];
      while (word !== 0) {
        const z = Math.clz32(word);
        word &= ~(0x80000000 >>> z);
        const no = w * 32 + z + 1;
        const fc = this.codecs[no];
        if (fc === undefined)
          throw new CodecError('bitmap', bitmapAt, `field ${no} is present but not defined in spec ${this.spec.name}`);
        const value = fc.decode(buf, cur, end);
        this.seenNos[this.seen] = no;
        this.seenValues[this.seen++] = value;
      }
    }
    if (cur.at !== end)
      throw new CodecError('message', cur.at, `${end - cur.at} unexpected bytes after the last field`);
  }
}

/**
 * A new buffer with src[0, n). A byte loop: `Buffer#copy` of part of a buffer makes a Uint8Array
 * view of the range first, and messages are a few hundred bytes.
 */
function copyOf(src: Buffer, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = src[i];
  return out;
}

/** The number a key of 1 to 3 decimal digits without a leading zero stands for, else -1. */
export function fieldNumberOf(key: string): number {
  const n = key.length;
  if (n === 0 || n > 3 || (n > 1 && key.charCodeAt(0) === 0x30)) return -1;
  let no = 0;
  for (let i = 0; i < n; i++) {
    const d = key.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    no = no * 10 + d;
  }
  return no;
}
