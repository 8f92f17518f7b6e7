// Key check values. DES/TDES: the first 3 or 4 bytes of the key encrypting an 8-byte zero block
// (single DES for 8-byte keys). AES: the first bytes of AES-CMAC over a 16-byte zero block, the
// method ANSI X9.24-1:2017 and TR-31 specify for AES (the legacy "encrypt zeros" value differs).
import { desEncryptOnce } from './des-block.js';
import { CryptoError } from './errors.js';
import { asKey, type KeyLike } from './key.js';
import { aesCmac } from './mac/cmac.js';

export type KcvLength = 3 | 4;

export function checkValue(key: KeyLike, length: KcvLength = 3): Buffer {
  if (length !== 3 && length !== 4) throw new CryptoError('bad-input', `a check value is 3 or 4 bytes, not ${length}`);
  const k = asKey(key);
  if (k.algorithm === 'aes') return aesCmac(k, Buffer.alloc(16)).subarray(0, length);
  // Check values are mostly taken of fresh keys (generation, import): one block in JS costs less than
  // building an OpenSSL context for a key that may never be used again.
  const block = Buffer.alloc(8);
  desEncryptOnce(k.bytes, block);
  return block.subarray(0, length);
}
