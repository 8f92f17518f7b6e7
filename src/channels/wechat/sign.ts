// WeChat Pay v2 signature, HMAC-SHA256 flavour: the non-empty parameters except `sign`, sorted by
// name (ASCII), joined as k=v&k=v, then `&key=<API key>`; HMAC-SHA256 keyed with the API key, as
// upper-case hex.
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import type { Fields } from './xml.js';

export function signString(fields: Fields, apiKey: string): string {
  const names: string[] = [];
  for (const k in fields) if (k !== 'sign' && fields[k] !== '') insertSorted(names, k);
  let s = '';
  for (const k of names) s += `${k}=${fields[k]}&`;
  return `${s}key=${apiKey}`;
}

/**
 * Puts `name` in order (UTF-16 code units, as Array#sort does). A message has a dozen or two names:
 * insertion costs nothing where sort() copied the array into a work area on every signature.
 */
function insertSorted(names: string[], name: string): void {
  let i = names.length;
  names.push(name);
  while (i > 0 && names[i - 1]! > name) {
    names[i] = names[i - 1]!;
    i--;
  }
  names[i] = name;
}

/**
 * API keys as KeyObjects: an HMAC keyed with one is ~25 % cheaper than with the key string, converted
 * on every call. Merchants' keys are a small configured set; the bound only stops a runaway.
 */
const hmacKeys = new Map<string, KeyObject>();
const HMAC_KEYS_MAX = 4_096;

function hmacKey(apiKey: string): KeyObject {
  let key = hmacKeys.get(apiKey);
  if (!key) {
    if (hmacKeys.size >= HMAC_KEYS_MAX) hmacKeys.clear();
    key = createSecretKey(Buffer.from(apiKey, 'utf8'));
    hmacKeys.set(apiKey, key);
  }
  return key;
}

export function sign(fields: Fields, apiKey: string): string {
  return createHmac('sha256', hmacKey(apiKey)).update(signString(fields, apiKey), 'utf8').digest('hex').toUpperCase();
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
