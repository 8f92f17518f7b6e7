// The MAC block (box-protocol.md §5): the message from MTI through field 63, i.e. everything but the
// 8 MAC bytes of field 64, which is always the last field of a cups-pos message.
import { CodecError } from './errors.js';

const MAC_BYTES = 8;
const MTI_BYTES = 2;
const BITMAP_BYTES = 8;

function checkMacBit(encoded: Buffer): void {
  if (encoded.length < MTI_BYTES + BITMAP_BYTES + MAC_BYTES) {
    throw new CodecError('message', encoded.length, 'too short to carry a MAC');
  }
  if ((encoded[MTI_BYTES + BITMAP_BYTES - 1] & 1) === 0)
    throw new CodecError('bitmap', MTI_BYTES, 'bit 64 (MAC) is not set');
}

/** The MAC block of an encoded cups-pos message whose bit 64 is set: all but the last 8 bytes (a view). */
export function macBlock(encoded: Buffer): Buffer {
  checkMacBit(encoded);
  return encoded.subarray(0, encoded.length - MAC_BYTES);
}

/** The 8 MAC bytes of field 64 (a view). */
export function macOf(encoded: Buffer): Buffer {
  checkMacBit(encoded);
  return encoded.subarray(encoded.length - MAC_BYTES);
}

/** Writes `mac` (8 bytes) into field 64 in place — encode with a placeholder MAC, compute, then set. */
export function setMac(encoded: Buffer, mac: Buffer): Buffer {
  checkMacBit(encoded);
  if (mac.length !== MAC_BYTES)
    throw new CodecError(64, encoded.length - MAC_BYTES, `MAC must be 8 bytes, got ${mac.length}`);
  mac.copy(encoded, encoded.length - MAC_BYTES);
  return encoded;
}
