// MAC verification compares in constant time: a byte-by-byte early exit would let a box learn a
// valid MAC one byte at a time from response timing.
import { timingSafeEqual } from 'node:crypto';

/** True when equal; the length is public, so unequal lengths return false at once. */
export function macEquals(expected: Uint8Array, received: Uint8Array): boolean {
  return expected.length === received.length && timingSafeEqual(expected, received);
}
