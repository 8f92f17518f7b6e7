// The MAC block (box-protocol.md §5): the message from MTI through field 63, i.e. everything but the
// 8 MAC bytes of field 64, which is always the last field of a cups-pos message.
import { CodecError } from './errors.js';

const MAC_BYTES = 8;
const MTI_BYTES = 2;
const BITMAP_BYTES = 8;

/** Checks the message that starts at `at` and runs to the end of `buf`; errors count from `at`. */
function checkMacBit(buf: Buffer, at: number): void {
  if (buf.length - at < MTI_BYTES + BITMAP_BYTES + MAC_BYTES) {
    throw new CodecError('message', buf.length - at, 'too short to carry a MAC');
  }
  if ((buf[at + MTI_BYTES + BITMAP_BYTES - 1] & 1) === 0)
    throw new CodecError('bitmap', MTI_BYTES, 'bit 64 (MAC) is not set');
}

/** The MAC block of an encoded cups-pos message whose bit 64 is set: all but the last 8 bytes (a view). */
export function macBlock(encoded: Buffer): Buffer {
  return macBlockAt(encoded, 0);
}

/**
 * macBlock of the message that starts at byte `at` of `buf` and runs to its end (a frame whose message
 * follows its head): one view, not a view of the message and another of its block.
 */
export function macBlockAt(buf: Buffer, at: number): Buffer {
  checkMacBit(buf, at);
  return buf.subarray(at, buf.length - MAC_BYTES);
}

/** The 8 MAC bytes of field 64 (a view). */
export function macOf(encoded: Buffer): Buffer {
  checkMacBit(encoded, 0);
  return encoded.subarray(encoded.length - MAC_BYTES);
}

/** Writes `mac` (8 bytes) into field 64 in place — encode with a placeholder MAC, compute, then set. */
export function setMac(encoded: Buffer, mac: Buffer): Buffer {
  return setMacAt(encoded, 0, mac);
}

/** setMac for the message that starts at byte `at` of `buf` (see macBlockAt); returns `buf`. */
export function setMacAt(buf: Buffer, at: number, mac: Buffer): Buffer {
  checkMacBit(buf, at);
  if (mac.length !== MAC_BYTES)
    throw new CodecError(64, buf.length - at - MAC_BYTES, `MAC must be 8 bytes, got ${mac.length}`);
  mac.copy(buf, buf.length - MAC_BYTES);
  return buf;
}
