// AES DUKPT, ANSI X9.24-3:2017. KSN = 8-byte initial key ID (BDK ID ‖ derivation ID) ‖ 32-bit
// counter. Every key comes from AES-ECB of 16-byte derivation data under the key above it:
//   01 | block# | usage(2) | algorithm(2) | bit length(2) | IKID (initial key) or IKID[4..8] ‖ counter
// The host derives the initial key, walks the counter's one-bits (MSB first) with usage 8000, then
// derives the working key with the final counter.
import { aesEncrypt } from '../aes.js';
import { CryptoError } from '../errors.js';
import { parseHex } from '../hex.js';
import type { IntermediateKeyCache } from './tdes.js';
import { countOneBits } from './tdes.js';

export type AesDukptKeyType = 'tdes2' | 'tdes3' | 'aes128' | 'aes192' | 'aes256';
export type AesDukptUsage =
  | 'initial'
  | 'mac-generation'
  | 'mac-verification'
  | 'mac-both'
  | 'pin'
  | 'data-encrypt'
  | 'data-decrypt'
  | 'data-both'
  | 'kek'
  | 'derivation';

export const AES_DUKPT_USAGES: readonly AesDukptUsage[] = [
  'initial',
  'mac-generation',
  'mac-verification',
  'mac-both',
  'pin',
  'data-encrypt',
  'data-decrypt',
  'data-both',
  'kek',
  'derivation',
];
export const AES_DUKPT_KEY_TYPES: readonly AesDukptKeyType[] = ['tdes2', 'tdes3', 'aes128', 'aes192', 'aes256'];

/** Key usage indicators (X9.24-3 table 2). */
const USAGE_CODE: Record<AesDukptUsage, number> = {
  kek: 0x0002,
  pin: 0x1000,
  'mac-generation': 0x2000,
  'mac-verification': 0x2001,
  'mac-both': 0x2002,
  'data-encrypt': 0x3000,
  'data-decrypt': 0x3001,
  'data-both': 0x3002,
  derivation: 0x8000,
  initial: 0x8001,
};

/** Algorithm indicator, key length in bits, and a strength rank for the "never derive a stronger key" rule. */
const KEY_TYPE: Record<AesDukptKeyType, { code: number; bits: number; rank: number }> = {
  tdes2: { code: 0, bits: 128, rank: 0 },
  tdes3: { code: 1, bits: 192, rank: 1 },
  aes128: { code: 2, bits: 128, rank: 2 },
  aes192: { code: 3, bits: 192, rank: 3 },
  aes256: { code: 4, bits: 256, rank: 4 },
};

export const AES_MAX_COUNTER = 0xffff0000;
const MAX_ONE_BITS = 16;

export interface AesKsn {
  bytes: Buffer;
  /** Initial key ID, 8 bytes. */
  ikid: Buffer;
  counter: number;
  /** IKID hex: the key for initial-key caches. */
  ikidHex: string;
}

export function parseAesKsn(hex: string): AesKsn {
  const bytes = parseHex('AES DUKPT KSN', hex);
  if (bytes.length !== 12) {
    throw new CryptoError('bad-input', `an AES DUKPT KSN is 12 bytes (24 hex digits), not ${bytes.length}`);
  }
  const ikid = bytes.subarray(0, 8);
  return { bytes, ikid, counter: bytes.readUInt32BE(8), ikidHex: ikid.toString('hex').toUpperCase() };
}

export function bdkKeyType(bdk: Buffer): AesDukptKeyType {
  switch (bdk.length) {
    case 16:
      return 'aes128';
    case 24:
      return 'aes192';
    case 32:
      return 'aes256';
    default:
      throw new CryptoError('bad-key', `an AES DUKPT BDK is 16, 24 or 32 bytes, not ${bdk.length}`);
  }
}

export function checkAesCounter(counter: number): void {
  const hex = counter.toString(16).toUpperCase().padStart(8, '0');
  if (counter > AES_MAX_COUNTER) {
    throw new CryptoError(
      'dukpt-exhausted',
      `KSN counter ${hex} is past the last key (FFFF0000): the device is exhausted`,
    );
  }
  const ones = countOneBits(counter);
  if (ones > MAX_ONE_BITS) {
    throw new CryptoError(
      'dukpt-counter',
      `KSN counter ${hex} has ${ones} one-bits; AES DUKPT never uses more than 16`,
    );
  }
  if (counter === 0) throw new CryptoError('dukpt-counter', 'KSN counter 0 names no transaction key');
}

function derivationData(usage: AesDukptUsage, type: AesDukptKeyType, tail: Buffer): Buffer {
  const d = Buffer.allocUnsafe(16);
  d[0] = 0x01;
  d[1] = 0x01;
  d.writeUInt16BE(USAGE_CODE[usage], 2);
  d.writeUInt16BE(KEY_TYPE[type].code, 4);
  d.writeUInt16BE(KEY_TYPE[type].bits, 6);
  tail.copy(d, 8, 0, 8);
  return d;
}

/** Derive(K, type, data): AES-ECB of the data for block counters 1..n, truncated to the key length. */
function deriveKey(key: Buffer, type: AesDukptKeyType, data: Buffer): Buffer {
  const bytes = KEY_TYPE[type].bits / 8;
  const out = Buffer.allocUnsafe(Math.ceil(bytes / 16) * 16);
  for (let block = 0; block * 16 < bytes; block++) {
    data[1] = block + 1;
    aesEncrypt(key, data).copy(out, block * 16);
  }
  return out.subarray(0, bytes);
}

function counterTail(ikid: Buffer, counter: number): Buffer {
  const t = Buffer.allocUnsafe(8);
  ikid.copy(t, 0, 4, 8);
  t.writeUInt32BE(counter >>> 0, 4);
  return t;
}

/** The initial key of a device, of the BDK's own type. */
export function aesInitialKey(bdk: Buffer, ikid: Buffer): Buffer {
  const type = bdkKeyType(bdk);
  return deriveKey(bdk, type, derivationData('initial', type, ikid));
}

/** The intermediate derivation key for `counter`; `cache` memoises counter prefixes. */
export function aesDerivationKey(
  initialKey: Buffer,
  ikid: Buffer,
  counter: number,
  cache?: IntermediateKeyCache,
): Buffer {
  checkAesCounter(counter);
  const type = bdkKeyType(initialKey);
  let start = 0;
  let key = initialKey;
  if (cache) {
    for (let prefix = counter >>> 0; prefix !== 0; prefix = (prefix & (prefix - 1)) >>> 0) {
      const hit = cache.get(prefix);
      if (hit) {
        key = hit;
        start = prefix;
        break;
      }
    }
  }
  let working = start;
  for (let bit = 0x80000000; bit >= 1; bit /= 2) {
    if (!((counter & bit) >>> 0) || (start & bit) >>> 0) continue;
    working = (working | bit) >>> 0;
    key = deriveKey(key, type, derivationData('derivation', type, counterTail(ikid, working)));
    cache?.set(working, key);
  }
  return key;
}

/** A working key for `usage` and `type` from the derivation key for `counter`. */
export function aesWorkingKey(
  derivationKey: Buffer,
  ikid: Buffer,
  counter: number,
  usage: Exclude<AesDukptUsage, 'initial'>,
  type: AesDukptKeyType,
): Buffer {
  if (KEY_TYPE[type].rank > KEY_TYPE[bdkKeyType(derivationKey)].rank) {
    throw new CryptoError(
      'bad-input',
      `an ${type} key cannot be derived from a weaker ${bdkKeyType(derivationKey)} BDK`,
    );
  }
  return deriveKey(derivationKey, type, derivationData(usage, type, counterTail(ikid, counter)));
}

/** Convenience for tools and tests: derive from a clear BDK and a 24-hex-digit KSN. */
export function deriveAesDukpt(
  bdk: Buffer,
  ksnHex: string,
  usage: AesDukptUsage,
  type: AesDukptKeyType = 'aes128',
): Buffer {
  const ksn = parseAesKsn(ksnHex);
  const initial = aesInitialKey(bdk, ksn.ikid);
  if (usage === 'initial') return initial;
  const derivation = aesDerivationKey(initial, ksn.ikid, ksn.counter);
  return aesWorkingKey(derivation, ksn.ikid, ksn.counter, usage, type);
}
