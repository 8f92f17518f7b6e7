// Strict hex in and upper-case hex out. Buffer.from(s, 'hex') silently stops at the first bad
// character; key ceremonies need a loud error instead.
import { CryptoError } from './errors.js';

const HEX = /^[0-9a-fA-F]*$/;

/** Parse `value` as hex; `what` names it in the error. `lengths` lists allowed byte lengths. */
export function parseHex(what: string, value: string, lengths?: readonly number[]): Buffer {
  if (value.length % 2 !== 0) throw new CryptoError('bad-input', `${what}: odd number of hex digits (${value.length})`);
  if (!HEX.test(value)) throw new CryptoError('bad-input', `${what}: not hex`);
  const bytes = Buffer.from(value, 'hex');
  if (lengths && !lengths.includes(bytes.length)) {
    throw new CryptoError('bad-key', `${what}: ${bytes.length} bytes; expected ${lengths.join(' or ')}`);
  }
  return bytes;
}

export const toHex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex').toUpperCase();

/** a XOR b into a new buffer of a's length (b at least as long as a). */
export function xor(a: Uint8Array, b: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** XOR `src` into `dst` in place, over dst's length. */
export function xorInto(dst: Uint8Array, src: Uint8Array, srcOffset = 0): void {
  for (let i = 0; i < dst.length; i++) dst[i] ^= src[srcOffset + i];
}
