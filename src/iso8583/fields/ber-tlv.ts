// BER-TLV as used in field 55 (EMV Book 3 Annex B): multi-byte tags (low 5 bits all set), short and
// long-form lengths (81, 82, 83). 00 and FF between items are padding. Top level only: a constructed
// item's value is returned as its hex, to be parsed again if needed.
import { CodecError } from '../errors.js';
import { firstNonHex, toHexUpper } from '../hex.js';

const FIELD = 55;

export interface TlvItem {
  tag: string;
  value: string;
}

export function parseBerTlv(hex: string): TlvItem[] {
  if (hex.length & 1 || firstNonHex(hex) >= 0) throw new CodecError(FIELD, 0, 'value is not an even-length hex string');
  const buf = Buffer.from(hex, 'hex');
  const items: TlvItem[] = [];
  let at = 0;
  while (at < buf.length) {
    if (buf[at] === 0x00 || buf[at] === 0xff) {
      at++;
      continue;
    }
    const tagStart = at;
    if ((buf[at++] & 0x1f) === 0x1f) {
      // subsequent tag bytes carry bit 8 while more follow
      do {
        if (at >= buf.length) throw new CodecError(FIELD, tagStart, 'truncated tag');
        if (at - tagStart >= 4) throw new CodecError(FIELD, tagStart, 'tag longer than 4 bytes');
      } while (buf[at++] & 0x80);
    }
    const tag = toHexUpper(buf, tagStart, at);
    if (at >= buf.length) throw new CodecError(FIELD, at, `tag ${tag}: missing length`);
    let len = buf[at++];
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3)
        throw new CodecError(FIELD, at - 1, `tag ${tag}: unsupported length form ${len.toString(16).toUpperCase()}`);
      if (at + n > buf.length) throw new CodecError(FIELD, at, `tag ${tag}: truncated length`);
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[at++];
    }
    if (at + len > buf.length) {
      throw new CodecError(FIELD, at, `tag ${tag}: length ${len} exceeds the ${buf.length - at} bytes left`);
    }
    items.push({ tag, value: toHexUpper(buf, at, at + len) });
    at += len;
  }
  return items;
}

/** The inverse of parseBerTlv: tags and values as hex, lengths in the shortest form. */
export function buildBerTlv(items: Iterable<TlvItem>): string {
  let out = '';
  for (const { tag, value } of items) {
    if (tag.length === 0 || tag.length & 1 || firstNonHex(tag) >= 0)
      throw new CodecError(FIELD, out.length / 2, `bad tag '${tag}'`);
    if (value.length & 1 || firstNonHex(value) >= 0)
      throw new CodecError(FIELD, out.length / 2, `tag ${tag}: value is not hex`);
    const n = value.length / 2;
    const len = n < 0x80 ? hex2(n) : n < 0x100 ? `81${hex2(n)}` : `82${hex2(n >> 8)}${hex2(n & 0xff)}`;
    out += tag.toUpperCase() + len + value.toUpperCase();
  }
  return out;
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0').toUpperCase();
