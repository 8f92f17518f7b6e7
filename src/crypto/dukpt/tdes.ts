// TDES DUKPT, ANSI X9.24-1:2009. The KSN is 10 bytes; its rightmost 21 bits are the transaction
// counter. The host derives the IPEK from the BDK, then walks the counter's one-bits from the most
// significant down, applying the non-reversible key generation process once per bit.

import { desEncrypt } from '../des.js';
import { desEncryptOnce } from '../des-block.js';
import { CryptoError } from '../errors.js';
import { parseHex, xor } from '../hex.js';

export type TdesDukptUsage =
  | 'ipek'
  | 'current'
  | 'pin'
  | 'mac-request'
  | 'mac-response'
  | 'data-request'
  | 'data-response';

export const TDES_DUKPT_USAGES: readonly TdesDukptUsage[] = [
  'ipek',
  'current',
  'pin',
  'mac-request',
  'mac-response',
  'data-request',
  'data-response',
];

const COUNTER_BITS = 21;
const COUNTER_MASK = (1 << COUNTER_BITS) - 1;
/** The last counter an originating device may use (bits 20..11 set: ten one-bits). */
export const TDES_MAX_COUNTER = 0x1ff800;
const MAX_ONE_BITS = 10;

const KEY_MASK = Buffer.from('C0C0C0C000000000C0C0C0C000000000', 'hex');

/** XOR masks for the key variants (X9.24-1:2009 A.6; data variants as in public implementations). */
const VARIANTS: Record<Exclude<TdesDukptUsage, 'ipek' | 'current'>, Buffer> = {
  pin: Buffer.from('00000000000000FF00000000000000FF', 'hex'),
  'mac-request': Buffer.from('000000000000FF00000000000000FF00', 'hex'),
  'mac-response': Buffer.from('00000000FF00000000000000FF000000', 'hex'),
  'data-request': Buffer.from('0000000000FF00000000000000FF0000', 'hex'),
  'data-response': Buffer.from('000000FF00000000000000FF00000000', 'hex'),
};

export interface TdesKsn {
  /** The 10 KSN bytes. */
  bytes: Buffer;
  /** The 21-bit transaction counter. */
  counter: number;
  /** KSN with the counter cleared, upper-case hex: the key for IPEK caches. */
  prefixHex: string;
}

export function parseTdesKsn(hex: string): TdesKsn {
  const bytes = parseHex('TDES KSN', hex);
  if (bytes.length !== 10)
    throw new CryptoError('bad-input', `a TDES KSN is 10 bytes (20 hex digits), not ${bytes.length}`);
  const counter = bytes.readUIntBE(7, 3) & COUNTER_MASK;
  const prefix = Buffer.from(bytes);
  prefix.writeUIntBE(prefix.readUIntBE(7, 3) & ~COUNTER_MASK & 0xffffff, 7, 3);
  return { bytes, counter, prefixHex: prefix.toString('hex').toUpperCase() };
}

export function countOneBits(n: number): number {
  let c = 0;
  for (let x = n >>> 0; x !== 0; x &= x - 1) c++;
  return c;
}

/** Throws unless `counter` names a transaction key an originating device could have used. */
export function checkTdesCounter(counter: number): void {
  if (counter > TDES_MAX_COUNTER) {
    throw new CryptoError(
      'dukpt-exhausted',
      `KSN counter ${counter.toString(16).toUpperCase()} is past the last key (1FF800): the device is exhausted`,
    );
  }
  const ones = countOneBits(counter);
  if (ones > MAX_ONE_BITS) {
    throw new CryptoError(
      'dukpt-counter',
      `KSN counter ${counter.toString(16).toUpperCase()} has ${ones} one-bits; DUKPT never uses more than 10`,
    );
  }
  if (counter === 0) throw new CryptoError('dukpt-counter', 'KSN counter 0 names no transaction key');
}

// Scratch for the one-use keys and blocks below: every value is consumed before the next call, so
// the derivation allocates only the keys it returns.
const halfKey = new Uint8Array(8);
const halfBlock = new Uint8Array(8);
const maskedBdk = new Uint8Array(16);
const registerBytes = Buffer.alloc(8);

/** IPEK = E_BDK(KSN[0..8] with counter cleared) ‖ E_(BDK ⊕ C0C0C0C000000000…)(same). */
export function tdesIpek(bdk: Buffer, ksn: Buffer): Buffer {
  if (bdk.length !== 16) throw new CryptoError('bad-key', `a TDES BDK is 16 bytes, not ${bdk.length}`);
  const ipek = Buffer.allocUnsafe(16);
  ksn.copy(ipek, 0, 0, 8);
  ipek[7] &= 0xe0;
  ipek.copy(ipek, 8, 0, 8);
  for (let i = 0; i < 16; i++) maskedBdk[i] = bdk[i] ^ KEY_MASK[i];
  desEncryptOnce(bdk, ipek.subarray(0, 8));
  desEncryptOnce(maskedBdk, ipek.subarray(8, 16));
  return ipek;
}

/** The non-reversible key generation process: a new 16-byte key from `key` and the 8-byte register. */
export function nonReversibleKey(key: Buffer, register: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(16);
  nonReversibleHalf(key, 0, register, out, 8);
  nonReversibleHalf(key, 0xc0, register, out, 0);
  return out;
}

/**
 * One half: with K = key ⊕ (C0C0C0C0 00000000 twice, when `mask` is C0), write
 * DES_{K left}(register ⊕ K right) ⊕ K right into out[at..at+8].
 */
function nonReversibleHalf(key: Buffer, mask: number, register: Uint8Array, out: Buffer, at: number): void {
  for (let i = 0; i < 8; i++) {
    const m = i < 4 ? mask : 0;
    halfKey[i] = key[i] ^ m;
    halfBlock[i] = register[i] ^ key[8 + i] ^ m;
  }
  desEncryptOnce(halfKey, halfBlock);
  for (let i = 0; i < 8; i++) out[at + i] = halfBlock[i] ^ key[8 + i] ^ (i < 4 ? mask : 0);
}

/** Register bytes: the KSN's rightmost 8 bytes with `counter` in place of its counter (shared scratch). */
function register(ksn: Buffer, counter: number): Buffer {
  ksn.copy(registerBytes, 0, 2, 10);
  const low = ((ksn[7] << 16) | (ksn[8] << 8) | ksn[9]) & ~COUNTER_MASK & 0xffffff;
  registerBytes.writeUIntBE(low | counter, 5, 3);
  return registerBytes;
}

/**
 * A memo of intermediate keys. Consecutive counters share most of their derivation path, so a
 * host that caches the key for each counter prefix derives a new transaction key in one step.
 */
export interface IntermediateKeyCache {
  get(counter: number): Buffer | undefined;
  set(counter: number, key: Buffer): void;
}

/** The transaction (current) key for `counter`, from the IPEK. */
export function tdesCurrentKey(ipek: Buffer, ksn: Buffer, counter: number, cache?: IntermediateKeyCache): Buffer {
  checkTdesCounter(counter);
  // Find the longest already-derived prefix of the counter, then finish the walk from there.
  let start = 0;
  let key = ipek;
  if (cache) {
    for (let prefix = counter; prefix !== 0; prefix &= prefix - 1) {
      const hit = cache.get(prefix);
      if (hit) {
        key = hit;
        start = prefix;
        break;
      }
    }
  }
  // Prefixes are the counter with low one-bits cleared, so the bits left are all below `start`'s.
  let reg = start;
  for (let bit = 1 << (COUNTER_BITS - 1); bit !== 0; bit >>>= 1) {
    if (!(counter & bit) || start & bit) continue;
    reg |= bit;
    key = nonReversibleKey(key, register(ksn, reg));
    cache?.set(reg, key);
  }
  return key;
}

/** A usage key from the transaction key: XOR variant; the data keys also go through the one-way step. */
export function tdesUsageKey(current: Buffer, usage: Exclude<TdesDukptUsage, 'ipek' | 'current'>): Buffer {
  const variant = xor(current, VARIANTS[usage]);
  if (usage !== 'data-request' && usage !== 'data-response') return variant;
  // One-way data key, as in public implementations: each half encrypted under the variant itself.
  return Buffer.concat([desEncrypt(variant, variant.subarray(0, 8)), desEncrypt(variant, variant.subarray(8, 16))]);
}

/** Convenience for tools and tests: derive `usage` from a clear BDK and a KSN in hex. */
export function deriveTdesDukpt(bdk: Buffer, ksnHex: string, usage: TdesDukptUsage): Buffer {
  const ksn = parseTdesKsn(ksnHex);
  const ipek = tdesIpek(bdk, ksn.bytes);
  if (usage === 'ipek') return ipek;
  const current = tdesCurrentKey(ipek, ksn.bytes, ksn.counter);
  return usage === 'current' ? current : tdesUsageKey(current, usage);
}
