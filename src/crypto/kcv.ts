// Key check values. DES/TDES: the first 3 or 4 bytes of the key encrypting an 8-byte zero block
// (single DES for 8-byte keys). AES: the first bytes of AES-CMAC over a 16-byte zero block, the
// method ANSI X9.24-1:2017 and TR-31 specify for AES (the legacy "encrypt zeros" value differs).
import { CryptoError } from './errors.js';
import { asKey, type KeyLike } from './key.js';
import { aesCmac } from './mac/cmac.js';

export type KcvLength = 3 | 4;

export function checkValue(key: KeyLike, length: KcvLength = 3): Buffer {
  if (length !== 3 && length !== 4) throw new CryptoError('bad-input', `a check value is 3 or 4 bytes, not ${length}`);
  const k = asKey(key);
  const full = k.algorithm === 'aes' ? aesCmac(k, Buffer.alloc(16)) : k.ecb().encrypt(Buffer.alloc(8));
  return full.subarray(0, length);
}
