// ISO/IEC 9797-1 padding methods. Every result is a fresh buffer the caller may modify.
import { CryptoError } from './errors.js';

export type PaddingMethod = 1 | 2 | 3;

/** Method 1: zero bits to a positive multiple of the block (empty data → one zero block). */
export function padMethod1(data: Uint8Array, block: number): Buffer {
  const len = Math.max(block, Math.ceil(data.length / block) * block);
  const out = Buffer.alloc(len);
  out.set(data);
  return out;
}

/** Method 2: a single 1 bit (0x80), then zero bits to a multiple of the block. */
export function padMethod2(data: Uint8Array, block: number): Buffer {
  const out = Buffer.alloc((Math.floor(data.length / block) + 1) * block);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/** Method 3: a block holding the bit length of the data (big-endian), then the data zero-padded (possibly not at all). */
export function padMethod3(data: Uint8Array, block: number): Buffer {
  const out = Buffer.alloc(block + Math.ceil(data.length / block) * block);
  out.writeBigUInt64BE(BigInt(data.length) * 8n, block - 8);
  out.set(data, block);
  return out;
}

export function pad(data: Uint8Array, block: number, method: PaddingMethod): Buffer {
  switch (method) {
    case 1:
      return padMethod1(data, block);
    case 2:
      return padMethod2(data, block);
    case 3:
      return padMethod3(data, block);
    default:
      throw new CryptoError('bad-input', `ISO 9797-1 padding method must be 1, 2 or 3, not ${String(method)}`);
  }
}
