// DES and TDES on Node 20's OpenSSL 3, whose default provider has no single DES: single DES is
// `des-ede3` with K‖K‖K and 2-key TDES is `des-ede3` with K1‖K2‖K1.
//
// Cipher objects are created once per key and kept: creating one per call costs more than the
// encryption and raises young-GC pauses. ECB ciphers are stateless between update() calls as long
// as final() is never called and inputs are whole blocks. The CBC chain keeps OpenSSL's IV state
// and cancels it in JS (see CbcChain), so every MAC starts from a zero IV.
import { type Cipher, createCipheriv, createDecipheriv, type Decipher } from 'node:crypto';
import { desEncryptOnce } from './des-block.js';
import { CryptoError } from './errors.js';

export const DES_BLOCK = 8;

/** The 24-byte des-ede3 key for an 8-byte (single DES), 16-byte (K1K2K1) or 24-byte key. */
export function ede3Key(key: Uint8Array): Buffer {
  const k = Buffer.from(key.buffer, key.byteOffset, key.length);
  switch (k.length) {
    case 8:
      return Buffer.concat([k, k, k]);
    case 16:
      return Buffer.concat([k, k.subarray(0, 8)]);
    case 24:
      return Buffer.from(k);
    default:
      throw new CryptoError('bad-key', `a DES/TDES key is 8, 16 or 24 bytes, not ${k.length}`);
  }
}

function assertBlocks(data: Uint8Array, block: number): void {
  if (data.length % block !== 0) {
    throw new CryptoError('bad-input', `data must be a multiple of ${block} bytes, not ${data.length}`);
  }
}

/** Long-lived ECB cipher for one key, in both directions (decryptor created on first use). */
export class EcbCipher {
  private readonly enc: Cipher;
  private dec: Decipher | undefined;

  constructor(
    private readonly algorithm: string,
    private readonly key: Buffer,
    readonly block: number,
  ) {
    this.enc = createCipheriv(algorithm, key, null).setAutoPadding(false);
  }

  static des(key: Uint8Array): EcbCipher {
    return new EcbCipher('des-ede3', ede3Key(key), DES_BLOCK);
  }

  encrypt(data: Uint8Array): Buffer {
    assertBlocks(data, this.block);
    return this.enc.update(data);
  }

  decrypt(data: Uint8Array): Buffer {
    assertBlocks(data, this.block);
    this.dec ??= createDecipheriv(this.algorithm, this.key, null).setAutoPadding(false);
    return this.dec.update(data);
  }
}

/**
 * Long-lived CBC encryptor whose every call behaves as if the IV were zero: OpenSSL continues the
 * chain from the last ciphertext block C, so XORing C into the first plaintext block cancels it.
 * One native call per message instead of one per block.
 */
export class CbcChain {
  private readonly enc: Cipher;
  private readonly last: Buffer;

  constructor(algorithm: string, key: Buffer, block: number) {
    this.last = Buffer.alloc(block);
    this.enc = createCipheriv(algorithm, key, this.last).setAutoPadding(false);
  }

  static des(key: Uint8Array): CbcChain {
    return new CbcChain('des-ede3-cbc', ede3Key(key), DES_BLOCK);
  }

  /** CBC-encrypt `blocks` (consumed: its first block is modified) with a zero IV; returns the last ciphertext block. */
  lastBlock(blocks: Buffer): Buffer {
    const n = this.last.length;
    assertBlocks(blocks, n);
    for (let i = 0; i < n; i++) blocks[i] ^= this.last[i];
    const out = this.enc.update(blocks);
    out.copy(this.last, 0, out.length - n);
    return Buffer.from(this.last);
  }
}

/**
 * One-shot DES/TDES-ECB encryption for keys used once (DUKPT steps), in JS (`des-block.ts`):
 * building an OpenSSL context per key costs more than the few blocks it would encrypt.
 */
export function desEncrypt(key: Uint8Array, data: Uint8Array): Buffer {
  assertBlocks(data, DES_BLOCK);
  const out = Buffer.allocUnsafe(data.length);
  desEncryptOnce(key, data, out);
  return out;
}

/** Set each byte's low bit so the byte has odd parity, as DES keys require. */
export function withOddParity(key: Buffer): Buffer {
  for (let i = 0; i < key.length; i++) {
    const b = key[i] & 0xfe;
    let ones = b;
    ones ^= ones >> 4;
    ones ^= ones >> 2;
    ones ^= ones >> 1;
    key[i] = b | (~ones & 1);
  }
  return key;
}

export function hasOddParity(key: Uint8Array): boolean {
  for (const byte of key) {
    let x = byte;
    x ^= x >> 4;
    x ^= x >> 2;
    x ^= x >> 1;
    if ((x & 1) === 0) return false;
  }
  return true;
}
