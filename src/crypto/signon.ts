// Field 62 of the sign-on 0810 (box-protocol.md §5): working keys under the TMK, each followed by
// its 4-byte check value.
//   003: PIK(16) KCV(4) | MAK(8) 00×8 KCV(4)                = 40 bytes
//   004: the above | TDK(16) KCV(4)                          = 60 bytes
// A double-length MAK takes the 16 bytes of MAK + zero fill.
import { CryptoError } from './errors.js';
import { toHex } from './hex.js';
import { checkValue } from './kcv.js';
import { asKey, type KeyLike } from './key.js';
import { unwrapKey, wrapKey } from './keywrap.js';

export interface WorkingKeys {
  pik: Buffer;
  mak: Buffer;
  tdk?: Buffer;
}

function entry(tmk: KeyLike, key: Buffer, width: number): Buffer {
  const out = Buffer.alloc(width + 4);
  wrapKey(tmk, key).copy(out);
  checkValue(key, 4).copy(out, width);
  return out;
}

export function buildField62(tmk: KeyLike, keys: WorkingKeys): Buffer {
  if (keys.pik.length !== 16) throw new CryptoError('bad-key', 'the PIK is 16 bytes');
  if (keys.mak.length !== 8 && keys.mak.length !== 16) throw new CryptoError('bad-key', 'the MAK is 8 or 16 bytes');
  if (keys.tdk && keys.tdk.length !== 16) throw new CryptoError('bad-key', 'the TDK is 16 bytes');
  const k = asKey(tmk, 'tdes');
  const parts = [entry(k, keys.pik, 16), entry(k, keys.mak, 16)];
  if (keys.tdk) parts.push(entry(k, keys.tdk, 16));
  return Buffer.concat(parts);
}

/**
 * The box side: decrypt field 62 under the clear TMK and check every check value. A MAK entry whose
 * second half is 8 zero bytes is single length.
 */
export function parseField62(field62: Buffer, tmkClear: KeyLike): WorkingKeys {
  if (field62.length !== 40 && field62.length !== 60) {
    throw new CryptoError('bad-input', `field 62 with working keys is 40 or 60 bytes, not ${field62.length}`);
  }
  const tmk = asKey(tmkClear, 'tdes');
  const take = (name: string, offset: number, width: number): Buffer => {
    const key = unwrapKey(tmk, field62.subarray(offset, offset + width));
    const expected = field62.subarray(offset + 16, offset + 20);
    if (!checkValue(key, 4).equals(expected)) {
      throw new CryptoError('bad-key', `${name} check value mismatch (field says ${toHex(expected)}): wrong TMK?`);
    }
    return key;
  };
  const singleMak = field62.subarray(28, 36).every((b) => b === 0);
  const keys: WorkingKeys = { pik: take('PIK', 0, 16), mak: take('MAK', 20, singleMak ? 8 : 16) };
  if (field62.length === 60) keys.tdk = take('TDK', 40, 16);
  return keys;
}
