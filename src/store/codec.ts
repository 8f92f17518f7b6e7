// Value encoding. msgpackr won the bench (bench/store/codec.ts; numbers in docs/store.md) over JSON on
// both speed and size. Plain maps only (no msgpackr records) and 64-bit integers as numbers, so the
// Redis scripts can read and rewrite orders with Redis's built-in cmsgpack and we read them back.
import { Packr } from 'msgpackr';

const packr = new Packr({ useRecords: false, int64AsType: 'number', variableMapSize: true });

export function encode(value: unknown): Buffer {
  return packr.pack(value);
}

export function decode<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes) as T;
}
