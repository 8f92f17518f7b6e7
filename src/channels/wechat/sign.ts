// WeChat Pay v2 signature, HMAC-SHA256 flavour: the non-empty parameters except `sign`, sorted by
// name (ASCII), joined as k=v&k=v, then `&key=<API key>`; HMAC-SHA256 keyed with the API key, as
// upper-case hex.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Fields } from './xml.js';

export function signString(fields: Fields, apiKey: string): string {
  const names = Object.keys(fields)
    .filter((k) => k !== 'sign' && fields[k] !== '')
    .sort();
  let s = '';
  for (const k of names) s += `${k}=${fields[k]}&`;
  return `${s}key=${apiKey}`;
}

export function sign(fields: Fields, apiKey: string): string {
  return createHmac('sha256', apiKey).update(signString(fields, apiKey), 'utf8').digest('hex').toUpperCase();
}

/** Constant-time check of `fields.sign`. */
export function verify(fields: Fields, apiKey: string): boolean {
  const given = Buffer.from(fields.sign ?? '', 'utf8');
  const expected = Buffer.from(sign(fields, apiKey), 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A copy of `fields` with `sign_type` and `sign` added. */
export function signed(fields: Fields, apiKey: string): Fields {
  const out: Fields = { ...fields, sign_type: 'HMAC-SHA256' };
  out.sign = sign(out, apiKey);
  return out;
}
