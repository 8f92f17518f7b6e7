// Reading a box request the way every flow needs it: its duplicate-detection key and content
// fingerprint, its amount and field-59 tags (the stored form of its answer: stored-answer.ts).
import { hash } from 'node:crypto';
import { type IsoMessage, parseField59 } from '../iso8583/index.js';
import type { TransactionContext } from '../server/dispatcher.js';
import type { RequestKey } from '../store/store.js';

/** TID + MID + batch (60.2) + STAN + MTI: what makes two requests the same request (§4). */
export function requestKeyOf(ctx: TransactionContext): RequestKey {
  const f = ctx.request.fields;
  return {
    tid: ctx.terminal.tid,
    mid: ctx.terminal.mid,
    batch: ctx.f60?.batch ?? ctx.terminal.batch,
    stan: f[11] ?? '000000',
    mti: ctx.request.mti,
  };
}

/**
 * The request key as one string (the in-flight requests' key). Built by `join`, in one flat piece: a
 * template literal made a rope of eight nodes, and a key the in-flight Map's old tables keep
 * (inflight.ts) kept them all.
 */
export const keyString = (k: RequestKey) => [k.mid, k.tid, k.batch, k.stan, k.mti].join('|');

/**
 * Digest of what the box asked for: every field but the MAC, and field 59 without the DUKPT KSN
 * (A5), which changes on every send of the same request.
 */
export function fingerprint(request: IsoMessage): string {
  // One one-shot hash (crypto.hash: 0.3 µs where createHash took 0.9 µs) over the UTF-8 bytes of
  // the string below, written into a scratch buffer: building the string took a rope node per
  // piece (~1 KB per request). Anything the byte writer does not take (a malformed field 59, a
  // character beyond U+07FF) is hashed from the string itself: same digest, same errors.
  const n = fingerprintBytes(request);
  if (n < 0) return hash('sha256', fingerprintString(request), 'base64url').slice(0, 24);
  return hash('sha256', scratch.subarray(0, n), 'base64url').slice(0, 24);
}

/**
 * The string a fingerprint digests: the MTI, then `\0<n>=<value>` for each field in ascending order.
 * Fields are visited by number rather than through Object.keys, which makes a string of every key
 * on every call; a decoded message only has fields 1–128 and only string values.
 */
function fingerprintString(request: IsoMessage): string {
  const fields = request.fields;
  let s = request.mti;
  for (let n = 1; n <= MAX_FIELD; n++) {
    let v = fields[n];
    if (v === undefined || n === 64) continue;
    if (n === 59) v = withoutKsn(v);
    s += FIELD_PREFIX[n] + v;
  }
  return s;
}

const MAX_FIELD = 128;
/** `\0<n>=` before each field's value in the fingerprinted string. */
const FIELD_PREFIX: readonly string[] = Array.from({ length: MAX_FIELD + 1 }, (_, n) => `\u0000${n}=`);

function withoutKsn(f59: string): string {
  let out: string | undefined;
  for (const [tag, value] of parseField59(f59)) {
    if (tag === 'A5') continue;
    out = out === undefined ? `${tag}:${value}` : `${out}\u0001${tag}:${value}`;
  }
  return out ?? '';
}

let scratch = Buffer.allocUnsafe(2048);

/** fingerprintString's UTF-8 bytes into `scratch`; their count, or -1 (then hash the string). */
function fingerprintBytes(request: IsoMessage): number {
  const fields = request.fields;
  let at = put(request.mti, 0, request.mti.length, 0);
  for (let n = 1; n <= MAX_FIELD && at >= 0; n++) {
    const v = fields[n];
    if (v === undefined || n === 64) continue;
    const prefix = FIELD_PREFIX[n];
    at = put(prefix, 0, prefix.length, at);
    if (at >= 0) at = n === 59 ? putWithoutKsn(v, at) : put(v, 0, v.length, at);
  }
  return at;
}

/** UTF-8 of s[from, to) at scratch[at] (grown as needed); the new end, or -1 past U+07FF. */
function put(s: string, from: number, to: number, at: number): number {
  if (at < 0) return -1;
  if (at + 2 * (to - from) > scratch.length) {
    const bigger = Buffer.allocUnsafe(Math.max(2 * scratch.length, at + 2 * (to - from)));
    scratch.copy(bigger, 0, 0, at);
    scratch = bigger;
  }
  const out = scratch;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) out[at++] = c;
    else if (c < 0x800) {
      out[at++] = 0xc0 | (c >> 6);
      out[at++] = 0x80 | (c & 0x3f);
    } else return -1;
  }
  return at;
}

/** Tags (two char codes) of the field 59 being written: a duplicate goes to parseField59 for its error. */
const seenTags = new Int32Array(16);

/** withoutKsn(f59)'s UTF-8 at scratch[at]; -1 for anything parseField59 would refuse (or > U+07FF). */
function putWithoutKsn(f59: string, at: number): number {
  let tags = 0;
  let first = true;
  let i = 0;
  while (i < f59.length) {
    if (i + 5 > f59.length) return -1;
    let len = 0;
    for (let k = i + 2; k < i + 5; k++) {
      const d = f59.charCodeAt(k) - 0x30;
      if (d < 0 || d > 9) return -1;
      len = len * 10 + d;
    }
    const start = i + 5;
    if (start + len > f59.length) return -1;
    const t0 = f59.charCodeAt(i);
    const t1 = f59.charCodeAt(i + 1);
    const tag = (t0 << 16) | t1;
    for (let k = 0; k < tags; k++) if (seenTags[k] === tag) return -1;
    if (tags === seenTags.length) return -1;
    seenTags[tags++] = tag;
    if (!(t0 === 0x41 && t1 === 0x35)) {
      // `tag:value`, \u0001 between items; A5 (the KSN) left out.
      if (!first) at = put(SEPARATOR, 0, 1, at);
      at = put(f59, i, i + 2, at);
      at = put(':', 0, 1, at);
      at = put(f59, start, start + len, at);
      if (at < 0) return -1;
      first = false;
    }
    i = start + len;
  }
  return at;
}

const SEPARATOR = '\u0001';

/** Field 4 in fen, or undefined when absent or not a positive amount. */
export function amountOf(request: IsoMessage): number | undefined {
  const f4 = request.fields[4];
  if (f4 === undefined || !/^\d{1,12}$/.test(f4)) return undefined;
  const fen = Number(f4);
  return fen > 0 ? fen : undefined;
}

export const amount12 = (fen: number) => String(fen).padStart(12, '0');
