// Field 61 (n..29): 61.1 original batch n6, 61.2 original trace n6, 61.3 original date n4 (MMDD),
// then anything further (61.4 onward) as `rest`.
import { CodecError } from '../errors.js';
import { fixedDigits } from './field60.js';

export interface Field61 {
  batch: string;
  stan: string;
  date?: string;
  rest?: string;
}

const FIELD = 61;

export function parseField61(v: string): Field61 {
  if (v.length > 29) throw new CodecError(FIELD, 29, `length ${v.length} exceeds max 29`);
  const out: Field61 = { batch: fixedDigits(FIELD, v, 0, 6, '61.1'), stan: fixedDigits(FIELD, v, 6, 6, '61.2') };
  if (v.length > 12) out.date = fixedDigits(FIELD, v, 12, 4, '61.3');
  if (v.length > 16) out.rest = fixedDigits(FIELD, v, 16, v.length - 16, '61.4+');
  return out;
}

export function buildField61(f: Field61): string {
  let out = fixedDigits(FIELD, f.batch, 0, 6, '61.1') + fixedDigits(FIELD, f.stan, 0, 6, '61.2');
  if (f.date !== undefined) out += fixedDigits(FIELD, f.date, 0, 4, '61.3');
  if (f.rest !== undefined && f.rest !== '') {
    if (f.date === undefined) throw new CodecError(FIELD, out.length, '61.4+ need 61.3');
    if (f.rest.length > 13) throw new CodecError(FIELD, out.length, `61.4+ of ${f.rest.length} digits exceed 13`);
    out += fixedDigits(FIELD, f.rest, 0, f.rest.length, '61.4+');
  }
  return out;
}
