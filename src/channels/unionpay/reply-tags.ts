// The three field-59 items a host reply's reading needs — A9 (message), A8 (channel order id), A6
// (QR content) — read in place. parseField59 builds a Map and slices every tag and value (~0.4 KB per
// reply); this scan checks the same structure and slices only the three values. Anything it does not
// take on its plain path (a malformed item, a repeated tag, many items) goes to parseField59, whose
// reading (a malformed field loses every item) stays the reference.
import { parseField59 } from '../../iso8583/index.js';

export interface ReplyTags {
  message: string;
  orderId: string;
  qr: string;
}

/** Items beyond this many go to parseField59 (a reply has a handful). */
const MAX_SCANNED = 16;
/** Tags seen so far in one scan, as two char codes each: the repeated-tag check without strings. */
const seen = new Int32Array(MAX_SCANNED);

export function readReplyTags(field59: string): ReplyTags {
  const tags: ReplyTags = { message: '', orderId: '', qr: '' };
  let n = 0;
  let at = 0;
  const end = field59.length;
  while (at < end) {
    if (at + 5 > end || n === MAX_SCANNED) return fromParse(field59, tags);
    const tag = (field59.charCodeAt(at) << 16) | field59.charCodeAt(at + 1);
    for (let i = 0; i < n; i++) if (seen[i] === tag) return fromParse(field59, tags);
    seen[n++] = tag;
    let len = 0;
    for (let i = at + 2; i < at + 5; i++) {
      const d = field59.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) return fromParse(field59, tags);
      len = len * 10 + d;
    }
    const start = at + 5;
    if (start + len > end) return fromParse(field59, tags);
    if (field59.charCodeAt(at) === 0x41 /* A */) {
      const second = field59.charCodeAt(at + 1);
      if (second === 0x39) tags.message = field59.slice(start, start + len);
      else if (second === 0x38) tags.orderId = field59.slice(start, start + len);
      else if (second === 0x36) tags.qr = field59.slice(start, start + len);
    }
    at = start + len;
  }
  return tags;
}

/** The reference reading: parseField59's items, or none when it finds the field malformed. */
function fromParse(field59: string, tags: ReplyTags): ReplyTags {
  tags.message = '';
  tags.orderId = '';
  tags.qr = '';
  let items: Map<string, string>;
  try {
    items = parseField59(field59);
  } catch {
    // a malformed 59 loses only the optional order id, QR content and message
    return tags;
  }
  tags.message = items.get('A9') ?? '';
  tags.orderId = items.get('A8') ?? '';
  tags.qr = items.get('A6') ?? '';
  return tags;
}
