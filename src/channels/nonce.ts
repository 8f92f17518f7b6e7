// Random hex for nonces (the WeChat-style connector's per request, the sandboxes' per reply) and
// notification ids, cut from a pool filled 4 KiB at a time: randomBytes(n).toString('hex') per call
// costs a call into OpenSSL's generator and two allocations, which profiled as ~7 % of the
// WeChat-style sandbox's CPU per request. Same source
// (the OS-seeded CSPRNG), same output: lower-case hex, each nonce from bytes no other nonce used.
import { randomFillSync } from 'node:crypto';

const POOL_BYTES = 4096;
const pool = Buffer.allocUnsafe(POOL_BYTES);
let poolHex = '';
/** Next unused hex digit of poolHex. */
let at = 0;

/** `bytes` fresh random bytes as 2 × `bytes` lower-case hex digits. */
export function randomHex(bytes: number): string {
  const digits = 2 * bytes;
  if (digits > 2 * POOL_BYTES) throw new RangeError(`at most ${POOL_BYTES} random bytes at a time`);
  if (at + digits > poolHex.length) {
    poolHex = randomFillSync(pool).toString('hex');
    at = 0;
  }
  const hex = poolHex.slice(at, at + digits);
  at += digits;
  return hex;
}
