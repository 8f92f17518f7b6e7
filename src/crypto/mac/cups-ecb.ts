// The China UnionPay POS "ECB" MAC (Q/CUP 007): XOR the zero-filled 8-byte blocks, expand the
// result to 16 upper-case hex characters, E_MAK(first 8), XOR the last 8, E_MAK again, expand to
// hex and keep the first 8 characters. A 16-byte MAK is 2-key TDES in both encryption steps.
// Lower-case hex in the expansion gives a different MAC: an interop failure no error reveals.
// The two single-block encryptions run in JS with the key's cached schedule (des-block.ts): at one
// block per call OpenSSL's `update` costs more (a native call and a new Buffer each), see docs/crypto.md.
import { asKey, type KeyLike } from '../key.js';

const HEX_UPPER = Buffer.from('0123456789ABCDEF', 'latin1');

/** Upper-case hex ASCII of the first `bytes` bytes of `block`, into `out`. */
function expandInto(block: Uint8Array, bytes: number, out: Buffer): Buffer {
  for (let i = 0; i < bytes; i++) {
    out[2 * i] = HEX_UPPER[block[i] >> 4];
    out[2 * i + 1] = HEX_UPPER[block[i] & 0x0f];
  }
  return out;
}

/** XOR of all 8-byte blocks of `data`, the last one zero-filled, into `acc`. */
function xorInto(data: Uint8Array, acc: Buffer): Buffer {
  let a0 = 0;
  let a1 = 0;
  let a2 = 0;
  let a3 = 0;
  let a4 = 0;
  let a5 = 0;
  let a6 = 0;
  let a7 = 0;
  const whole = data.length - (data.length % 8);
  let i = 0;
  for (; i < whole; i += 8) {
    a0 ^= data[i];
    a1 ^= data[i + 1];
    a2 ^= data[i + 2];
    a3 ^= data[i + 3];
    a4 ^= data[i + 4];
    a5 ^= data[i + 5];
    a6 ^= data[i + 6];
    a7 ^= data[i + 7];
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
  acc[4] = a4;
  acc[5] = a5;
  acc[6] = a6;
  acc[7] = a7;
  for (let j = 0; i < data.length; i++, j++) acc[j] ^= data[i];
  return acc;
}

/** XOR of all 8-byte blocks of `data`, the last one zero-filled. */
export function xorBlocks(data: Uint8Array): Buffer {
  return xorInto(data, Buffer.alloc(8));
}

// Scratch for the XOR, its hex expansion and the cipher blocks: cupsEcbMac is synchronous, so one
// MAC at a time uses them, and a MAC allocates only its 8-byte result.
const xorScratch = Buffer.alloc(8);
const hexScratch = Buffer.alloc(16);
const blockScratch = Buffer.alloc(8);

/** The 8 ASCII bytes that go into field 64 (e.g. "E267B6E2" → 45 32 36 37 42 36 45 32). */
export function cupsEcbMac(mak: KeyLike, data: Uint8Array): Buffer {
  return cupsEcbMacInto(mak, data, Buffer.allocUnsafe(8));
}

/** cupsEcbMac written into `out` (8 bytes): a verification compares it without a new Buffer. */
export function cupsEcbMacInto(mak: KeyLike, data: Uint8Array, out: Buffer): Buffer {
  const des = asKey(mak, 'tdes').desSchedule();
  expandInto(xorInto(data, xorScratch), 8, hexScratch);
  des.encryptBlock(hexScratch, 0, blockScratch, 0);
  for (let i = 0; i < 8; i++) blockScratch[i] ^= hexScratch[8 + i];
  des.encryptBlock(blockScratch, 0, blockScratch, 0);
  return expandInto(blockScratch, 4, out);
}
