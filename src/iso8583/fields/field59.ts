// Field 59 of the box protocol (§3): TAG (2 ASCII) + LEN (3 ASCII digits) + VALUE, concatenated.
import { CodecError } from '../errors.js';

const FIELD = 59;
const TAG_LEN = 2;
const LEN_DIGITS = 3;

/** Parses the items; unknown tags are kept (callers ignore what they do not know). Offsets are into the value. */
export function parseField59(value: string): Map<string, string> {
  const items = new Map<string, string>();
  let at = 0;
  while (at < value.length) {
    if (at + TAG_LEN + LEN_DIGITS > value.length) {
      throw new CodecError(FIELD, at, `truncated TLV item header (${value.length - at} characters left)`);
    }
    const tag = value.slice(at, at + TAG_LEN);
    let len = 0;
    for (let i = at + TAG_LEN; i < at + TAG_LEN + LEN_DIGITS; i++) {
      const d = value.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9) throw new CodecError(FIELD, i, `tag ${tag}: length is not 3 digits`);
      len = len * 10 + d;
    }
    const start = at + TAG_LEN + LEN_DIGITS;
    if (start + len > value.length) {
      throw new CodecError(FIELD, at, `tag ${tag}: length ${len} exceeds the ${value.length - start} characters left`);
    }
    if (items.has(tag)) throw new CodecError(FIELD, at, `tag ${tag} appears twice`);
    items.set(tag, value.slice(start, start + len));
    at = start + len;
  }
  return items;
}

/**
 * The value of one item, checking the whole field as parseField59 does (the same errors, in the same
 * order), without its Map or a string per other item: the request path wants one tag (A3, A5).
 */
export function field59Item(value: string, wanted: string): string | undefined {
  let found: string | undefined;
  let at = 0;
  while (at < value.length) {
    if (at + TAG_LEN + LEN_DIGITS > value.length) {
      throw new CodecError(FIELD, at, `truncated TLV item header (${value.length - at} characters left)`);
    }
    let len = 0;
    for (let i = at + TAG_LEN; i < at + TAG_LEN + LEN_DIGITS; i++) {
      const d = value.charCodeAt(i) - 0x30;
      if (d < 0 || d > 9)
        throw new CodecError(FIELD, i, `tag ${value.slice(at, at + TAG_LEN)}: length is not 3 digits`);
      len = len * 10 + d;
    }
    const start = at + TAG_LEN + LEN_DIGITS;
    if (start + len > value.length) {
      const tag = value.slice(at, at + TAG_LEN);
      throw new CodecError(FIELD, at, `tag ${tag}: length ${len} exceeds the ${value.length - start} characters left`);
    }
    if (seenBefore(value, at)) throw new CodecError(FIELD, at, `tag ${value.slice(at, at + TAG_LEN)} appears twice`);
    if (value.startsWith(wanted, at) && wanted.length === TAG_LEN) found = value.slice(start, start + len);
    at = start + len;
  }
  return found;
}

/** Whether an item before `itemAt` (all already checked) has the same tag: items are few, no set kept. */
function seenBefore(value: string, itemAt: number): boolean {
  const c0 = value.charCodeAt(itemAt);
  const c1 = value.charCodeAt(itemAt + 1);
  let at = 0;
  while (at < itemAt) {
    if (value.charCodeAt(at) === c0 && value.charCodeAt(at + 1) === c1) return true;
    let len = 0;
    for (let i = at + TAG_LEN; i < at + TAG_LEN + LEN_DIGITS; i++) len = len * 10 + value.charCodeAt(i) - 0x30;
    at += TAG_LEN + LEN_DIGITS + len;
  }
  return false;
}

/** Concatenates the items in the order given. */
export function buildField59(items: Iterable<[string, string]>): string {
  let out = '';
  for (const [tag, value] of items) out = appendField59Item(out, tag, value);
  return out;
}

/** `field59` with one more item: buildField59 one item at a time, for callers without an item list. */
export function appendField59Item(field59: string, tag: string, value: string): string {
  if (tag.length !== TAG_LEN) throw new CodecError(FIELD, field59.length, `tag '${tag}' must be 2 characters`);
  const n = value.length;
  if (n > 999) throw new CodecError(FIELD, field59.length, `tag ${tag}: value of ${n} exceeds 999`);
  const len = n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`;
  return field59 + tag + len + value;
}
