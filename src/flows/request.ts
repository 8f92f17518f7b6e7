// Reading a box request the way every flow needs it: its duplicate-detection key and content
// fingerprint, its amount and field-59 tags, and the stored form of its answer for replays.
import { hash } from 'node:crypto';
import { pack, unpack } from 'msgpackr';
import { type IsoMessage, parseField59 } from '../iso8583/index.js';
import type { TransactionContext, TransactionResult } from '../server/dispatcher.js';
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

export const keyString = (k: RequestKey) => `${k.mid}|${k.tid}|${k.batch}|${k.stan}|${k.mti}`;

/**
 * Digest of what the box asked for: every field but the MAC, and field 59 without the DUKPT KSN
 * (A5), which changes on every send of the same request.
 */
export function fingerprint(request: IsoMessage): string {
  // One string, one one-shot hash: the same bytes as hashing field by field, without a native call
  // per field nor a Hash object per request (crypto.hash: 0.3 µs where createHash took 0.9 µs).
  // Fields in ascending order, visited by number rather than through Object.keys, which makes a
  // string of every key on every call (0.9 KB per request); a decoded message only has fields 1–128
  // and only string values.
  const fields = request.fields;
  let s = request.mti;
  for (let n = 1; n <= MAX_FIELD; n++) {
    let v = fields[n];
    if (v === undefined || n === 64) continue;
    if (n === 59) v = withoutKsn(v);
    s += FIELD_PREFIX[n] + v;
  }
  return hash('sha256', s, 'base64url').slice(0, 24);
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

/** The field-59 tags of a request (empty when it has none). */
export function tagsOf(request: IsoMessage): Map<string, string> {
  const f59 = request.fields[59];
  return f59 === undefined ? new Map() : parseField59(f59);
}

/** Field 4 in fen, or undefined when absent or not a positive amount. */
export function amountOf(request: IsoMessage): number | undefined {
  const f4 = request.fields[4];
  if (f4 === undefined || !/^\d{1,12}$/.test(f4)) return undefined;
  const fen = Number(f4);
  return fen > 0 ? fen : undefined;
}

export const amount12 = (fen: number) => String(fen).padStart(12, '0');

/** The stored answer of a finished request: what the handler returned, replayed as is on a duplicate. */
export function encodeResult(result: TransactionResult): Uint8Array {
  return pack({ rc: result.rc, fields: result.fields ?? {}, omit: result.omit ?? [] });
}

export function decodeResult(bytes: Uint8Array): TransactionResult {
  const r = unpack(bytes) as { rc: string; fields: Record<number, string>; omit: number[] };
  const out: TransactionResult = { rc: r.rc, fields: r.fields };
  if (r.omit.length > 0) out.omit = r.omit;
  return out;
}
