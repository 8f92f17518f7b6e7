// A clear key together with the long-lived cipher objects built from it. Instances live only in
// the crypto layer (inline engine or worker), cached by key blob; each cipher is built on first
// use, so a MAK used only for the UnionPay MAC never pays for an AES or CBC object.
import { AES_BLOCK, aesCbcChain, aesEcb } from './aes.js';
import { CbcChain, EcbCipher } from './des.js';
import { DesSchedule } from './des-block.js';
import { CryptoError } from './errors.js';

export type KeyAlgorithm = 'tdes' | 'aes';

export class Key {
  private ecbCipher: EcbCipher | undefined;
  private cbcCipher: CbcChain | undefined;
  private leftCbc: CbcChain | undefined;
  private retailEcb: EcbCipher | undefined;
  private subkeys: [Buffer, Buffer] | undefined;
  private schedule: DesSchedule | undefined;

  constructor(
    readonly bytes: Buffer,
    readonly algorithm: KeyAlgorithm,
  ) {
    const n = bytes.length;
    const ok = algorithm === 'tdes' ? n === 8 || n === 16 || n === 24 : n === 16 || n === 24 || n === 32;
    if (!ok) throw new CryptoError('bad-key', `a ${algorithm.toUpperCase()} key cannot be ${n} bytes`);
  }

  /** TDES for 8/16/24-byte keys unless told otherwise; 32 bytes can only be AES. */
  static of(bytes: Buffer, algorithm?: KeyAlgorithm): Key {
    return new Key(bytes, algorithm ?? (bytes.length === 32 ? 'aes' : 'tdes'));
  }

  get blockSize(): number {
    return this.algorithm === 'aes' ? AES_BLOCK : 8;
  }

  /** ECB with the whole key: DES/TDES (K1K2K1 for 16 bytes) or AES. */
  ecb(): EcbCipher {
    this.ecbCipher ??= this.algorithm === 'aes' ? aesEcb(this.bytes) : EcbCipher.des(this.bytes);
    return this.ecbCipher;
  }

  /** The JS DES/TDES key schedule of the whole key, for one-block-at-a-time encryption (TDES only). */
  desSchedule(): DesSchedule {
    if (this.algorithm !== 'tdes') throw new CryptoError('bad-key', 'a DES schedule needs a DES/TDES key');
    this.schedule ??= new DesSchedule(this.bytes);
    return this.schedule;
  }

  /** Zero-IV CBC chain with the whole key. */
  cbc(): CbcChain {
    this.cbcCipher ??= this.algorithm === 'aes' ? aesCbcChain(this.bytes) : CbcChain.des(this.bytes);
    return this.cbcCipher;
  }

  /** ISO 9797-1 algorithm 3 pieces: single-DES CBC under K (left half), and E_K(D_K'(E_K(x))) for the last block. */
  retail(): { cbc: CbcChain; last: EcbCipher } {
    if (this.algorithm !== 'tdes' || this.bytes.length !== 16) {
      throw new CryptoError('bad-key', 'X9.19 needs a double-length (16-byte) TDES key');
    }
    this.leftCbc ??= CbcChain.des(this.bytes.subarray(0, 8));
    this.retailEcb ??= EcbCipher.des(this.bytes);
    return { cbc: this.leftCbc, last: this.retailEcb };
  }

  /** RFC 4493 subkeys K1, K2 (AES only). */
  cmacSubkeys(): [Buffer, Buffer] {
    if (this.algorithm !== 'aes') throw new CryptoError('bad-key', 'AES-CMAC needs an AES key');
    if (!this.subkeys) {
      const l = this.ecb().encrypt(Buffer.alloc(AES_BLOCK));
      const k1 = doubleBlock(l);
      this.subkeys = [k1, doubleBlock(k1)];
    }
    return this.subkeys;
  }
}

/** Multiplication by x in GF(2^128): shift left one bit, XOR 0x87 into the last byte on carry. */
function doubleBlock(b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(b.length);
  for (let i = 0; i < b.length - 1; i++) out[i] = ((b[i] << 1) | (b[i + 1] >> 7)) & 0xff;
  out[b.length - 1] = (b[b.length - 1] << 1) & 0xff;
  if (b[0] & 0x80) out[b.length - 1] ^= 0x87;
  return out;
}

export type KeyLike = Key | Buffer;
export const asKey = (k: KeyLike, algorithm?: KeyAlgorithm): Key => (k instanceof Key ? k : Key.of(k, algorithm));
