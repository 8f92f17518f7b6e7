// AES helpers: one-shot ECB for derivations and a long-lived ECB/CBC per key for CMAC.
import { createCipheriv } from 'node:crypto';
import { CbcChain, EcbCipher } from './des.js';
import { CryptoError } from './errors.js';

export const AES_BLOCK = 16;

export function aesAlgorithm(key: Uint8Array, mode: 'ecb' | 'cbc'): string {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new CryptoError('bad-key', `an AES key is 16, 24 or 32 bytes, not ${key.length}`);
  }
  return `aes-${key.length * 8}-${mode}`;
}

export function aesEncrypt(key: Uint8Array, data: Uint8Array): Buffer {
  return createCipheriv(aesAlgorithm(key, 'ecb'), key, null).setAutoPadding(false).update(data);
}

export const aesEcb = (key: Uint8Array): EcbCipher =>
  new EcbCipher(aesAlgorithm(key, 'ecb'), Buffer.from(key), AES_BLOCK);

export const aesCbcChain = (key: Uint8Array): CbcChain =>
  new CbcChain(aesAlgorithm(key, 'cbc'), Buffer.from(key), AES_BLOCK);
