// The stored answer of a finished request: what the handler returned, kept with the request record
// (memory or Redis) and replayed as is on a duplicate. Its bytes are msgpack, exactly as msgpackr's
// default `pack` writes them, so records written by any boxfep version decode alike.
//
// Every request writes one, so the usual shape — `rc`, string fields, field numbers to omit — is
// written here directly: msgpackr's general encoder (its type dispatch, its map-16 back-patching and
// a `for…in` per object) was ~2 % of boxfep's main thread in a closed loop of UnionPay sales (ninth
// round). Anything else goes to msgpackr. test/flows/stored-answer.test.ts holds the two byte for byte.
import { pack, unpack } from 'msgpackr';
import type { TransactionResult } from '../server/dispatcher.js';

export function encodeResult(result: TransactionResult): Uint8Array {
  const fields = result.fields ?? {};
  const omit = result.omit ?? [];
  return writeResult(result.rc, fields, omit) ?? pack({ rc: result.rc, fields, omit });
}

export function decodeResult(bytes: Uint8Array): TransactionResult {
  const r = unpack(bytes) as { rc: string; fields: Record<number, string>; omit: number[] };
  const out: TransactionResult = { rc: r.rc, fields: r.fields };
  if (r.omit.length > 0) out.omit = r.omit;
  return out;
}

// msgpack of the map's three keys, as msgpackr writes them (fixstr).
const RC = [0xa2, 0x72, 0x63];
const FIELDS = [0xa6, 0x66, 0x69, 0x65, 0x6c, 0x64, 0x73];
const OMIT = [0xa4, 0x6f, 0x6d, 0x69, 0x74];
/** Map 16 header (3) + the three keys + the fields' map 16 header (3) + omit's fixarray header (1). */
const FIXED = 3 + RC.length + FIELDS.length + OMIT.length + 3 + 1;
/** Answers larger than this (a long field 62 or 63) are left to msgpackr. */
const MAX_DIRECT = 4096;

/**
 * The msgpack bytes of `{ rc, fields, omit }` when every value has the usual type (ASCII strings; a
 * plain object of them; fewer than 16 integers 0–255), else undefined. Layout as msgpackr's: every
 * object a map 16 (0xde), strings with the smallest header for their length, integers below 128 as
 * positive fixints and below 256 as uint 8, arrays below 16 as fixarrays. Written in JS, one pass
 * into a buffer sized from the strings' lengths: a native call per string costs more than the
 * string.
 */
function writeResult(rc: string, fields: Record<number, string>, omit: number[]): Uint8Array | undefined {
  if (typeof rc !== 'string' || !Array.isArray(omit) || omit.length >= 16) return undefined;
  const proto = Object.getPrototypeOf(fields);
  if (proto !== Object.prototype && proto !== null) return undefined;
  const keys = Object.keys(fields);
  if (keys.length > 0xffff) return undefined;
  let size = FIXED + strSize(rc);
  for (const key of keys) {
    const value = (fields as Record<string, unknown>)[key];
    if (typeof value !== 'string') return undefined;
    size += strSize(key) + strSize(value);
  }
  for (const n of omit) {
    if (!Number.isInteger(n) || n < 0 || n > 0xff) return undefined;
    size += n < 0x80 ? 1 : 2;
  }
  if (size > MAX_DIRECT) return undefined;
  const out = Buffer.allocUnsafe(size);
  let at = mapHeader(out, 0, 3);
  at = bytes(out, at, RC);
  at = asciiStr(out, at, rc);
  if (at < 0) return undefined; // not ASCII
  at = bytes(out, at, FIELDS);
  at = mapHeader(out, at, keys.length);
  for (const key of keys) {
    at = asciiStr(out, at, key);
    at = asciiStr(out, at, (fields as Record<string, string>)[key] as string);
  }
  if (at < 0) return undefined; // a field was not ASCII
  at = bytes(out, at, OMIT);
  out[at++] = 0x90 | omit.length;
  for (const n of omit) {
    if (n >= 0x80) out[at++] = 0xcc;
    out[at++] = n;
  }
  return at === size ? out : undefined; // every byte written, none past: else msgpackr's
}

function mapHeader(out: Uint8Array, at: number, n: number): number {
  out[at] = 0xde;
  out[at + 1] = n >> 8;
  out[at + 2] = n & 0xff;
  return at + 3;
}

function bytes(out: Uint8Array, at: number, b: readonly number[]): number {
  for (let i = 0; i < b.length; i++) out[at + i] = b[i] as number;
  return at + b.length;
}

/** An ASCII string's msgpack size (its byte length is its length), fixstr or str 8; Infinity beyond. */
function strSize(s: string): number {
  return s.length < 0x20 ? s.length + 1 : s.length < 0x100 ? s.length + 2 : Number.POSITIVE_INFINITY;
}

/**
 * Writes an ASCII string (fixstr or str 8); -1 when it is not ASCII, and once an earlier one was not
 * (at < 0): the caller then leaves the answer to msgpackr, whose UTF-8 is the reference.
 */
function asciiStr(out: Uint8Array, at: number, s: string): number {
  if (at < 0) return at;
  const n = s.length;
  if (n < 0x20) out[at++] = 0xa0 | n;
  else {
    out[at++] = 0xd9;
    out[at++] = n;
  }
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return -1;
    out[at++] = c;
  }
  return at;
}
