// The China UnionPay POS "ECB" MAC (Q/CUP 007): XOR the zero-filled 8-byte blocks, expand the
// result to 16 upper-case hex characters, E_MAK(first 8), XOR the last 8, E_MAK again, expand to
// hex and keep the first 8 characters. A 16-byte MAK is 2-key TDES in both encryption steps.
// Lower-case hex in the expansion gives a different MAC: an interop failure no error reveals.
import { asKey, type KeyLike } from '../key.js';

const HEX_UPPER = Buffer.from('0123456789ABCDEF', 'latin1');

/** Upper-case hex ASCII of 8 bytes, into 16 bytes. */
function expand(block: Buffer): Buffer {
  const out = Buffer.allocUnsafe(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = HEX_UPPER[block[i] >> 4];
    out[2 * i + 1] = HEX_UPPER[block[i] & 0x0f];
  }
  return out;
}

/** XOR of all 8-byte blocks of `data`, the last one zero-filled. */
export function xorBlocks(data: Uint8Array): Buffer {
  const acc = Buffer.alloc(8);
  const whole = data.length - (data.length % 8);
  let i = 0;
  for (; i < whole; i += 8) {
    acc[0] ^= data[i];
    acc[1] ^= data[i + 1];
    acc[2] ^= data[i + 2];
    acc[3] ^= data[i + 3];
    acc[4] ^= data[i + 4];
    acc[5] ^= data[i + 5];
    acc[6] ^= data[i + 6];
    acc[7] ^= data[i + 7];
  }
  for (let j = 0; i < data.length; i++, j++) acc[j] ^= data[i];
  return acc;
}

/** The 8 ASCII bytes that go into field 64 (e.g. "E267B6E2" → 45 32 36 37 42 36 45 32). */
export function cupsEcbMac(mak: KeyLike, data: Uint8Array): Buffer {
  const ecb = asKey(mak, 'tdes').ecb();
  const hex1 = expand(xorBlocks(data));
  const enc1 = ecb.encrypt(hex1.subarray(0, 8));
  for (let i = 0; i < 8; i++) enc1[i] ^= hex1[8 + i];
  return expand(ecb.encrypt(enc1)).subarray(0, 8);
}
