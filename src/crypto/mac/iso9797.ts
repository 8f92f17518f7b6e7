// ISO/IEC 9797-1 MAC algorithm 1 (CBC-MAC, ANSI X9.9 with single DES; 2- or 3-key TDES also
// accepted) and MAC algorithm 3 (the retail MAC, ANSI X9.19: single-DES CBC under K, then the
// last block through D_K' and E_K). Both return the full 8-byte block; callers truncate.
import { asKey, type KeyLike } from '../key.js';
import { type PaddingMethod, pad } from '../padding.js';

/** MAC algorithm 1 / X9.9. */
export function cbcMac(key: KeyLike, data: Uint8Array, padding: PaddingMethod = 1): Buffer {
  return asKey(key, 'tdes')
    .cbc()
    .lastBlock(pad(data, 8, padding));
}

/** MAC algorithm 3 / X9.19 with a 16-byte key K‖K'. */
export function retailMac(key: KeyLike, data: Uint8Array, padding: PaddingMethod = 1): Buffer {
  const { cbc, last } = asKey(key, 'tdes').retail();
  const blocks = pad(data, 8, padding);
  const lastBlock = blocks.subarray(blocks.length - 8);
  if (blocks.length > 8) {
    const h = cbc.lastBlock(blocks.subarray(0, blocks.length - 8));
    for (let i = 0; i < 8; i++) lastBlock[i] ^= h[i];
  }
  // E_K(D_K'(E_K(x))) is exactly 2-key TDES encryption with K‖K'.
  return last.encrypt(lastBlock);
}
