// Field 60 (n..17): 60.1 message type n2, 60.2 batch n6, 60.3 network management code n3,
// then 60.4–60.7 (n1, n1, n1, n3) kept together as `rest`.
import { CodecError } from '../errors.js';

export interface Field60 {
  type: string;
  batch: string;
  netCode?: string;
  rest?: string;
}

const FIELD = 60;

function digits(field: number, value: string, at: number, len: number, what: string): string {
  const s = value.slice(at, at + len);
  if (s.length !== len) throw new CodecError(field, at, `${what} needs ${len} digits, got ${s.length}`);
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) throw new CodecError(field, at + i, `${what} has a non-digit`);
  }
  return s;
}

export function parseField60(v: string): Field60 {
  if (v.length > 17) throw new CodecError(FIELD, 17, `length ${v.length} exceeds max 17`);
  const out: Field60 = { type: digits(FIELD, v, 0, 2, '60.1'), batch: digits(FIELD, v, 2, 6, '60.2') };
  if (v.length > 8) out.netCode = digits(FIELD, v, 8, 3, '60.3');
  if (v.length > 11) out.rest = digits(FIELD, v, 11, v.length - 11, '60.4-60.7');
  return out;
}

export function buildField60(f: Field60): string {
  let out = digits(FIELD, f.type, 0, 2, '60.1') + digits(FIELD, f.batch, 0, 6, '60.2');
  if (f.netCode !== undefined) out += digits(FIELD, f.netCode, 0, 3, '60.3');
  if (f.rest !== undefined && f.rest !== '') {
    if (f.netCode === undefined) throw new CodecError(FIELD, out.length, '60.4-60.7 need 60.3');
    if (f.rest.length > 6) throw new CodecError(FIELD, out.length, `60.4-60.7 of ${f.rest.length} digits exceed 6`);
    out += digits(FIELD, f.rest, 0, f.rest.length, '60.4-60.7');
  }
  return out;
}

export { digits as fixedDigits };
