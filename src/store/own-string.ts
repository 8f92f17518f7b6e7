// Strings the memory store keeps for days must not pin the strings they were cut from. V8 makes a
// substring of 13 or more characters a *sliced string*: a view that keeps its whole parent alive. A
// wallet's order id read from a reply is such a view of the reply's whole text (a UnionPay host
// reply's 130-byte image, a WeChat-style reply's 550-byte XML body), and a fingerprint is a view of
// its 43-character digest, so each stored sale kept those alive for the order's 7 days. Concatenations
// of 13 or more characters are *cons strings*: a tree of two-part nodes (a masked payment code is
// three nodes and its pieces). `ownString` gives a flat copy of its own instead.

/** V8's shortest sliced or cons string: anything shorter is already a flat copy. */
const MIN_VIEW_LENGTH = 13;
/** Longer strings are kept as they are (nothing the store keeps per sale is near this). */
const MAX_COPIED = 1024;

const scratch = Buffer.allocUnsafe(MAX_COPIED);

/** A flat copy of `s` that refers to no other string (or `s` itself when it cannot be a view). */
export function ownString(s: string): string {
  const n = s.length;
  if (n < MIN_VIEW_LENGTH || n > MAX_COPIED) return s;
  scratch.write(s, 0, n, 'latin1');
  const copy = scratch.toString('latin1', 0, n);
  // latin1 keeps only each character's low byte: a string beyond U+00FF stays as it was.
  return copy === s ? copy : s;
}
