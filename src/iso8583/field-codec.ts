// One compiled codec per field: prefixer × interpreter × padder, built once per spec.
import { CodecError } from './errors.js';
import { type Interpreter, interpreterFor } from './interpreters.js';
import { type Prefixer, prefixerFor } from './prefixers.js';
import type { FieldDef } from './spec.js';

/** Decoding position shared by the field codecs of one decode call. */
export interface Cursor {
  at: number;
}

export class FieldCodec {
  readonly no: number;
  readonly def: FieldDef;
  /** Upper bound of the bytes this field can take on the wire, prefix included. */
  readonly maxWireBytes: number;
  private readonly prefixer: Prefixer | null;
  private readonly interp: Interpreter;
  /** Text and digit-counted BCD values can be padded character-wise; binary values never are. */
  private readonly paddable: boolean;

  constructor(no: number, def: FieldDef) {
    this.no = no;
    this.def = def;
    this.interp = interpreterFor(def);
    this.paddable = def.encoding === 'ascii' || (def.encoding === 'bcd' && def.units === 'digits');
    if (def.lengthType === 'fixed') {
      this.prefixer = null;
    } else {
      if (def.prefix === undefined) throw new Error(`spec error: field ${no} is ${def.lengthType} without a prefix`);
      this.prefixer = prefixerFor(def.lengthType, def.prefix);
      if (def.length > this.prefixer.max) {
        throw new Error(`spec error: field ${no} max ${def.length} does not fit a ${def.lengthType} prefix`);
      }
    }
    if (def.encoding === 'binary' || def.encoding === 'hex') {
      if (def.units !== 'bytes') throw new Error(`spec error: binary field ${no} must count bytes`);
    }
    this.maxWireBytes = (this.prefixer?.bytes ?? 0) + this.interp.wireBytes(def.length);
  }

  /** Reads the field at cursor.at (within buf[0, end)) and advances the cursor. */
  decode(buf: Buffer, cur: Cursor, end: number): string {
    const start = cur.at;
    let at = start;
    let units = this.def.length;
    const p = this.prefixer;
    if (p !== null) {
      if (at + p.bytes > end) this.fail(at, `length prefix needs ${p.bytes} bytes, only ${end - at} left`);
      units = p.read(buf, at);
      if (units < 0) {
        this.fail(at, `length prefix ${buf.toString('hex', at, at + p.bytes).toUpperCase()} is not a number`);
      }
      if (units > this.def.length) this.fail(at, `length ${units} exceeds max ${this.def.length}`);
      at += p.bytes;
    }
    const bytes = this.interp.wireBytes(units);
    if (at + bytes > end) this.fail(at, `needs ${bytes} bytes, only ${end - at} left`);
    const v = this.interp.read(buf, at, units);
    if (typeof v !== 'string') this.fail(v.offset, v.reason);
    cur.at = at + bytes;
    return v;
  }

  /** Writes the value at `at`; returns the new offset. Throws CodecError for an invalid value. */
  encode(value: string, out: Buffer, at: number): number {
    const def = this.def;
    // Checked before padding so that positions in the message refer to the caller's value.
    const problem = this.interp.check(value);
    if (problem !== null) this.fail(at, problem);
    let v = value;
    let units = this.interp.unitsOf(v);
    if (def.lengthType === 'fixed' && units < def.length && this.paddable) {
      if (def.padding === 'zeros-left') v = '0'.repeat(def.length - units) + v;
      else if (def.padding === 'spaces-right') v = v + ' '.repeat(def.length - units);
      units = this.interp.unitsOf(v);
    }
    if (def.lengthType === 'fixed') {
      if (units !== def.length) {
        this.fail(at, `length ${units} ${units > def.length ? 'exceeds' : 'is below'} fixed length ${def.length}`);
      }
    } else if (units > def.length) {
      this.fail(at, `length ${units} exceeds max ${def.length}`);
    }
    const p = this.prefixer;
    if (p !== null) {
      p.write(out, at, units);
      at += p.bytes;
    }
    return at + this.interp.write(v, out, at);
  }

  private fail(offset: number, reason: string): never {
    throw new CodecError(this.no, offset, reason);
  }
}
