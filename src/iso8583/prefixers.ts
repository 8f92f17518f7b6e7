// Length prefixers for LL/LLL fields. `read` returns -1 for a prefix that is not a valid number.
import type { LengthType, PrefixEncoding } from './spec.js';

export interface Prefixer {
  /** Bytes taken by the prefix (0 for fixed fields). */
  readonly bytes: number;
  /** Largest length the prefix can express. */
  readonly max: number;
  read(buf: Buffer, at: number): number;
  write(out: Buffer, at: number, length: number): void;
}

const bcdDigit = (b: number, shift: number) => {
  const d = (b >> shift) & 0x0f;
  return d > 9 ? -1000 : d;
};

function bcdPrefixer(digits: 2 | 3): Prefixer {
  const bytes = digits === 2 ? 1 : 2;
  return {
    bytes,
    max: digits === 2 ? 99 : 999,
    read(buf, at) {
      let n = 0;
      for (let i = 0; i < bytes; i++) n = n * 100 + bcdDigit(buf[at + i], 4) * 10 + bcdDigit(buf[at + i], 0);
      // a high nibble above 0 in the first byte of an LLL prefix would mean more than 3 digits
      return n < 0 || (digits === 3 && buf[at] >> 4 !== 0) ? -1 : n;
    },
    write(out, at, length) {
      if (digits === 2) {
        out[at] = ((length / 10) << 4) | (length % 10);
      } else {
        out[at] = Math.floor(length / 100);
        out[at + 1] = ((Math.floor(length / 10) % 10) << 4) | (length % 10);
      }
    },
  };
}

function asciiPrefixer(digits: 2 | 3): Prefixer {
  return {
    bytes: digits,
    max: digits === 2 ? 99 : 999,
    read(buf, at) {
      let n = 0;
      for (let i = at; i < at + digits; i++) {
        const d = buf[i] - 0x30;
        if (d < 0 || d > 9) return -1;
        n = n * 10 + d;
      }
      return n;
    },
    write(out, at, length) {
      for (let i = digits - 1; i >= 0; i--) {
        out[at + i] = 0x30 + (length % 10);
        length = Math.floor(length / 10);
      }
    },
  };
}

function binaryPrefixer(bytes: 1 | 2): Prefixer {
  return {
    bytes,
    max: bytes === 1 ? 0xff : 0xffff,
    read: (buf, at) => (bytes === 1 ? buf[at] : (buf[at] << 8) | buf[at + 1]),
    write(out, at, length) {
      if (bytes === 1) out[at] = length;
      else out.writeUInt16BE(length, at);
    },
  };
}

const cache = new Map<string, Prefixer>();

export function prefixerFor(type: Exclude<LengthType, 'fixed'>, encoding: PrefixEncoding): Prefixer {
  const key = `${type}/${encoding}`;
  let p = cache.get(key);
  if (p === undefined) {
    const digits = type === 'LL' ? 2 : 3;
    p =
      encoding === 'bcd'
        ? bcdPrefixer(digits)
        : encoding === 'ascii'
          ? asciiPrefixer(digits)
          : binaryPrefixer(digits === 2 ? 1 : 2);
    cache.set(key, p);
  }
  return p;
}
