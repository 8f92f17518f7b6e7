// Working-key wrap for the sign-on download: TDES-ECB of the clear key under a key-encryption key
// (the TMK), each 8-byte half on its own, no chaining — the UnionPay POS field-62 format.
import { CryptoError } from './errors.js';
import { asKey, type KeyLike } from './key.js';

function check(what: string, data: Uint8Array): void {
  if (data.length === 0 || data.length % 8 !== 0) {
    throw new CryptoError('bad-input', `${what} must be a non-empty multiple of 8 bytes, not ${data.length}`);
  }
}

export function wrapKey(kek: KeyLike, key: Uint8Array): Buffer {
  check('the key to wrap', key);
  return asKey(kek, 'tdes').ecb().encrypt(key);
}

export function unwrapKey(kek: KeyLike, wrapped: Uint8Array): Buffer {
  check('the wrapped key', wrapped);
  return asKey(kek, 'tdes').ecb().decrypt(wrapped);
}
