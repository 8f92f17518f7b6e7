// MACs as boxfep and boxes put them in field 64, and the DUKPT MAC keys each direction uses. Pure
// functions over clear keys: the engine calls them, and so does the box emulator for the box side.
import { aesDerivationKey, aesInitialKey, aesWorkingKey, parseAesKsn } from './dukpt/aes.js';
import { parseTdesKsn, tdesCurrentKey, tdesIpek, tdesUsageKey } from './dukpt/tdes.js';
import { CryptoError } from './errors.js';
import { Key, type KeyLike } from './key.js';
import { aesCmac } from './mac/cmac.js';
import { cupsEcbMac } from './mac/cups-ecb.js';
import { cbcMac, retailMac } from './mac/iso9797.js';
import type { PaddingMethod } from './padding.js';

export type MacAlgorithm = 'cups-ecb' | 'x9.19' | 'x9.9' | 'aes-cmac';
export const MAC_ALGORITHMS: readonly MacAlgorithm[] = ['cups-ecb', 'x9.9', 'x9.19', 'aes-cmac'];

export type MacDirection = 'request' | 'response';

/**
 * The whole MAC: cups-ecb → the 8 ASCII bytes; x9.9/x9.19 → the 8-byte block; aes-cmac → 16 bytes.
 * `padding` applies to x9.9/x9.19 (ISO 9797-1 method 1, 2 or 3).
 */
export function computeMac(alg: MacAlgorithm, key: KeyLike, data: Uint8Array, padding: PaddingMethod = 1): Buffer {
  switch (alg) {
    case 'cups-ecb':
      return cupsEcbMac(key, data);
    case 'x9.9':
      return cbcMac(key, data, padding);
    case 'x9.19':
      return retailMac(key, data, padding);
    case 'aes-cmac':
      return aesCmac(key, data);
    default:
      throw new CryptoError('bad-input', `unknown MAC algorithm ${String(alg)}`);
  }
}

/** The 8 bytes of field 64: computeMac, with AES-CMAC truncated to its first 8 bytes. */
export function field64Mac(alg: MacAlgorithm, key: KeyLike, data: Uint8Array): Buffer {
  const mac = computeMac(alg, key, data);
  return mac.length > 8 ? mac.subarray(0, 8) : mac;
}

/**
 * The DUKPT MAC key for one direction of a box's message, from the clear BDK and the KSN of 59.A5.
 * dukpt-tdes (X9.24-1): request = MAC request key, response = MAC response key (for X9.19).
 * dukpt-aes (X9.24-3): AES-128 keys; request = "MAC generation" (the box generates), response =
 * "MAC verification" (the box verifies), both for the box's counter.
 */
export function dukptMacKey(
  kind: 'dukpt-tdes' | 'dukpt-aes',
  bdk: Buffer,
  ksnHex: string,
  direction: MacDirection,
): Key {
  if (kind === 'dukpt-tdes') {
    const ksn = parseTdesKsn(ksnHex);
    const current = tdesCurrentKey(tdesIpek(bdk, ksn.bytes), ksn.bytes, ksn.counter);
    return new Key(tdesUsageKey(current, direction === 'request' ? 'mac-request' : 'mac-response'), 'tdes');
  }
  const ksn = parseAesKsn(ksnHex);
  const derivation = aesDerivationKey(aesInitialKey(bdk, ksn.ikid), ksn.ikid, ksn.counter);
  const usage = direction === 'request' ? 'mac-generation' : 'mac-verification';
  return new Key(aesWorkingKey(derivation, ksn.ikid, ksn.counter, usage, 'aes128'), 'aes');
}
