// Table-driven DES/TDES in JS. For keys that encrypt one or two blocks and are then thrown away
// (DUKPT key-generation steps, check values of fresh keys): OpenSSL needs a cipher context per key,
// whose setup costs several times one block; here the key schedule is ~270 table lookups and a DES
// pass ~160, with no allocation per call. For long-lived keys that encrypt one block per call (the
// UnionPay ECB MAC: two single-block calls per MAC) the schedule is kept (`DesSchedule`): a TDES block
// in JS then costs less than OpenSSL's `update`, whose fixed cost per native call (and its output
// Buffer) dominates at 8 bytes. Multi-block work (CBC-MACs, key wrap) stays on OpenSSL (`des.ts`).
//
// Written from FIPS 46-3. Every table below is built at load time from the standard's own tables
// (IP, P, S1..S8, PC-1, PC-2, the shift schedule), so the only literals are the standard's.
//
// Representation: during the rounds each 32-bit half is kept rotated left by one bit, so that the
// eight 6-bit E-expansion groups are plain byte fields of R and of R rotated right by 4 (no E table
// needed); the rotation is folded into the IP and FP tables and into the SP tables' outputs.
//
// Side channels: S-box lookups are indexed by key-dependent data, as in every software DES without
// bitslicing. Tables are 2–8 KiB and stay in L1, but a co-located attacker with a cache-timing probe
// could in principle learn something; see docs/crypto.md.
import { CryptoError } from './errors.js';

// --- FIPS 46-3 tables (1-based bit numbers, bit 1 = most significant) --------------------------

const IP = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4, 62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24,
  16, 8, 57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3, 61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31,
  23, 15, 7,
];

const P = [
  16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10, 2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
];

/** S1..S8, each 4 rows of 16, row = outer bits (b1 b6), column = inner bits (b2..b5). */
const S = [
  [
    14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7, 0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8, 4, 1,
    14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0, 15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
  ],
  [
    15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10, 3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5, 0, 14,
    7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15, 13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
  ],
  [
    10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8, 13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1, 13, 6,
    4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7, 1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
  ],
  [
    7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15, 13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9, 10, 6,
    9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4, 3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
  ],
  [
    2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9, 14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6, 4, 2, 1,
    11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14, 11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
  ],
  [
    12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11, 10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8, 9, 14,
    15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6, 4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
  ],
  [
    4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1, 13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6, 1, 4,
    11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2, 6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
  ],
  [
    13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7, 1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2, 7, 11,
    4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8, 2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
  ],
];

const PC1 = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18, 10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36, 63, 55,
  47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];

const PC2 = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10, 23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2, 41, 52, 31, 37, 47, 55, 30,
  40, 51, 45, 33, 48, 44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];

const SHIFTS = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];

// --- Derived tables -----------------------------------------------------------------------------

/** Position (from the LSB) of standard bit b (1..32) of a half block in its rotated-left-by-1 form. */
const rotatedPos = (b: number): number => (33 - b) & 31;

/**
 * S-box output group i (0..7) reads its 6 E-bits from which byte of which word: the rounds compute
 * w0 = rotr(R', 4) ^ k0 (bytes 3,2,1,0 = groups 0,2,4,6) and w1 = R' ^ k1 (groups 1,3,5,7).
 */
const groupWord = (g: number): number => g & 1;
const groupShift = (g: number): number => 24 - 8 * (g >> 1);

/** SP[64*i + v]: S-box i+1 on 6-bit input v (E order, MSB first), through P, in rotated form. */
const SP = new Int32Array(8 * 64);
for (let i = 0; i < 8; i++) {
  for (let v = 0; v < 64; v++) {
    const row = ((v >> 4) & 2) | (v & 1);
    const col = (v >> 1) & 15;
    const s = S[i][row * 16 + col];
    let out = 0;
    for (let j = 0; j < 32; j++) {
      const src = P[j]; // f-output bit j+1 is S-output bit src
      const box = (src - 1) >> 2;
      if (box === i && (s >> (3 - ((src - 1) & 3))) & 1) out |= 1 << rotatedPos(j + 1);
    }
    SP[i * 64 + v] = out;
  }
}

/** IP_L / IP_R[256*n + byte]: contribution of input byte n to L0 / R0 (rotated form). */
const IP_L = new Int32Array(8 * 256);
const IP_R = new Int32Array(8 * 256);
for (let j = 0; j < 64; j++) {
  const src = IP[j] - 1; // output bit j+1 is input bit src+1
  const n = src >> 3;
  const mask = 0x80 >> (src & 7);
  const table = j < 32 ? IP_L : IP_R;
  const bit = 1 << rotatedPos((j & 31) + 1);
  for (let v = 0; v < 256; v++) if (v & mask) table[n * 256 + v] |= bit;
}

/**
 * FP_HI / FP_LO[256*(4*w + n) + byte]: contribution of byte n (from the LSB) of preoutput word w
 * (0 = R16, 1 = L16, both rotated) to output bits 1..32 / 33..64. FP is IP's inverse.
 */
const FP_HI = new Int32Array(8 * 256);
const FP_LO = new Int32Array(8 * 256);
for (let j = 0; j < 64; j++) {
  // Output bit IP[j] of FP is preoutput bit j+1.
  const out = IP[j] - 1;
  const w = j >> 5;
  const q = rotatedPos((j & 31) + 1);
  const n = q >> 3;
  const mask = 1 << (q & 7);
  const table = out < 32 ? FP_HI : FP_LO;
  const bit = 1 << (31 - (out & 31));
  for (let v = 0; v < 256; v++) if (v & mask) table[(w * 4 + n) * 256 + v] |= bit;
}

/** PC1_C / PC1_D[256*n + byte]: contribution of key byte n to C0 / D0 (28 bits, bit 1 = bit 27). */
const PC1_C = new Int32Array(8 * 256);
const PC1_D = new Int32Array(8 * 256);
for (let j = 0; j < 56; j++) {
  const src = PC1[j] - 1;
  const n = src >> 3;
  const mask = 0x80 >> (src & 7);
  const table = j < 28 ? PC1_C : PC1_D;
  const bit = 1 << (27 - (j % 28));
  for (let v = 0; v < 256; v++) if (v & mask) table[n * 256 + v] |= bit;
}

/**
 * PC2_0 / PC2_1[128*t + chunk]: contribution of 7-bit chunk t of C (t 0..3, from the LSB) or of D
 * (t 4..7) to round-key word k0 / k1 (group g's six bits in the byte groupShift(g), MSB first).
 */
const PC2_0 = new Int32Array(8 * 128);
const PC2_1 = new Int32Array(8 * 128);
for (let m = 0; m < 48; m++) {
  const src = PC2[m] - 1; // 0..27 in C, 28..55 in D; bit 1 of each is its bit 27
  const pos = 27 - (src % 28);
  const t = (src < 28 ? 0 : 4) + Math.floor(pos / 7);
  const mask = 1 << (pos % 7);
  const g = (m / 6) | 0;
  const table = groupWord(g) === 0 ? PC2_0 : PC2_1;
  const bit = 1 << (groupShift(g) + 5 - (m % 6));
  for (let v = 0; v < 128; v++) if (v & mask) table[t * 128 + v] |= bit;
}

// --- Key schedule and block function ------------------------------------------------------------

/** Write the 32 round-key words of the 8 key bytes at key[off..] into ks[at..], reversed if decrypting. */
function schedule(key: Uint8Array, off: number, ks: Int32Array, at: number, decrypt: boolean): void {
  let c = 0;
  let d = 0;
  for (let n = 0; n < 8; n++) {
    const b = n * 256 + key[off + n];
    c |= PC1_C[b];
    d |= PC1_D[b];
  }
  for (let r = 0; r < 16; r++) {
    const s = SHIFTS[r];
    c = ((c << s) | (c >>> (28 - s))) & 0xfffffff;
    d = ((d << s) | (d >>> (28 - s))) & 0xfffffff;
    const c0 = c & 127;
    const c1 = 128 + ((c >>> 7) & 127);
    const c2 = 256 + ((c >>> 14) & 127);
    const c3 = 384 + (c >>> 21);
    const d0 = 512 + (d & 127);
    const d1 = 640 + ((d >>> 7) & 127);
    const d2 = 768 + ((d >>> 14) & 127);
    const d3 = 896 + (d >>> 21);
    const i = at + 2 * (decrypt ? 15 - r : r);
    ks[i] = PC2_0[c0] | PC2_0[c1] | PC2_0[c2] | PC2_0[c3] | PC2_0[d0] | PC2_0[d1] | PC2_0[d2] | PC2_0[d3];
    ks[i + 1] = PC2_1[c0] | PC2_1[c1] | PC2_1[c2] | PC2_1[c3] | PC2_1[d0] | PC2_1[d1] | PC2_1[d2] | PC2_1[d3];
  }
}

/** Scratch schedule for one-shot use: up to three DES passes of 32 words. */
const KS = new Int32Array(96);

/**
 * Fill `ks` for an 8-, 16- or 24-byte key (E, or E-D-E with K3 = K1 for 16 bytes) and return the
 * number of DES passes. Single DES runs one pass, not three.
 */
function expand(key: Uint8Array, ks: Int32Array): number {
  switch (key.length) {
    case 8:
      schedule(key, 0, ks, 0, false);
      return 1;
    case 16:
      schedule(key, 0, ks, 0, false);
      schedule(key, 8, ks, 32, true);
      ks.copyWithin(64, 0, 32);
      return 3;
    case 24:
      schedule(key, 0, ks, 0, false);
      schedule(key, 8, ks, 32, true);
      schedule(key, 16, ks, 64, false);
      return 3;
    default:
      throw new CryptoError('bad-key', `a DES/TDES key is 8, 16 or 24 bytes, not ${key.length}`);
  }
}

/** Encrypt the 8 bytes at src[si..] into dst[di..] with `passes` × 16 rounds of `ks` (src may be dst). */
function block(ks: Int32Array, passes: number, src: Uint8Array, si: number, dst: Uint8Array, di: number): void {
  let l =
    IP_L[src[si]] |
    IP_L[256 + src[si + 1]] |
    IP_L[512 + src[si + 2]] |
    IP_L[768 + src[si + 3]] |
    IP_L[1024 + src[si + 4]] |
    IP_L[1280 + src[si + 5]] |
    IP_L[1536 + src[si + 6]] |
    IP_L[1792 + src[si + 7]];
  let r =
    IP_R[src[si]] |
    IP_R[256 + src[si + 1]] |
    IP_R[512 + src[si + 2]] |
    IP_R[768 + src[si + 3]] |
    IP_R[1024 + src[si + 4]] |
    IP_R[1280 + src[si + 5]] |
    IP_R[1536 + src[si + 6]] |
    IP_R[1792 + src[si + 7]];
  // Between E-D-E passes the FP of one and the IP of the next cancel out, so passes run back to
  // back; each ends with DES's final swap of the halves.
  const end = passes * 32;
  for (let k = 0; k < end; k += 32) {
    for (let i = k; i < k + 32; i += 4) {
      let w = ((r >>> 4) | (r << 28)) ^ ks[i];
      let f = SP[(w >>> 24) & 63] | SP[128 + ((w >>> 16) & 63)] | SP[256 + ((w >>> 8) & 63)] | SP[384 + (w & 63)];
      w = r ^ ks[i + 1];
      f |= SP[64 + ((w >>> 24) & 63)] | SP[192 + ((w >>> 16) & 63)] | SP[320 + ((w >>> 8) & 63)] | SP[448 + (w & 63)];
      l ^= f;
      w = ((l >>> 4) | (l << 28)) ^ ks[i + 2];
      f = SP[(w >>> 24) & 63] | SP[128 + ((w >>> 16) & 63)] | SP[256 + ((w >>> 8) & 63)] | SP[384 + (w & 63)];
      w = l ^ ks[i + 3];
      f |= SP[64 + ((w >>> 24) & 63)] | SP[192 + ((w >>> 16) & 63)] | SP[320 + ((w >>> 8) & 63)] | SP[448 + (w & 63)];
      r ^= f;
    }
    // 16 rounds end with (L16, R16) in (l, r); DES outputs R16 ‖ L16, which is the next pass's L0 ‖ R0.
    const t = l;
    l = r;
    r = t;
  }
  // Preoutput is (l, r) = (R16, L16).
  const hi =
    FP_HI[l & 255] |
    FP_HI[256 + ((l >>> 8) & 255)] |
    FP_HI[512 + ((l >>> 16) & 255)] |
    FP_HI[768 + (l >>> 24)] |
    FP_HI[1024 + (r & 255)] |
    FP_HI[1280 + ((r >>> 8) & 255)] |
    FP_HI[1536 + ((r >>> 16) & 255)] |
    FP_HI[1792 + (r >>> 24)];
  const lo =
    FP_LO[l & 255] |
    FP_LO[256 + ((l >>> 8) & 255)] |
    FP_LO[512 + ((l >>> 16) & 255)] |
    FP_LO[768 + (l >>> 24)] |
    FP_LO[1024 + (r & 255)] |
    FP_LO[1280 + ((r >>> 8) & 255)] |
    FP_LO[1536 + ((r >>> 16) & 255)] |
    FP_LO[1792 + (r >>> 24)];
  dst[di] = hi >>> 24;
  dst[di + 1] = hi >>> 16;
  dst[di + 2] = hi >>> 8;
  dst[di + 3] = hi;
  dst[di + 4] = lo >>> 24;
  dst[di + 5] = lo >>> 16;
  dst[di + 6] = lo >>> 8;
  dst[di + 7] = lo;
}

/**
 * DES/TDES-ECB encryption of whole blocks under a key used once: `src` (a multiple of 8 bytes) into
 * `dst` (same length; may be `src`). 8-byte key = single DES, 16 = K1K2K1, 24 = K1K2K3. The key
 * schedule is computed per call and overwritten by the next one; nothing is allocated.
 */
export function desEncryptOnce(key: Uint8Array, src: Uint8Array, dst: Uint8Array = src): Uint8Array {
  if (src.length % 8 !== 0 || dst.length < src.length) {
    throw new CryptoError('bad-input', `data must be a multiple of 8 bytes, not ${src.length}`);
  }
  const passes = expand(key, KS);
  for (let i = 0; i < src.length; i += 8) block(KS, passes, src, i, dst, i);
  return dst;
}

/**
 * The key schedule of one DES/TDES key, computed once and kept with the key (see `Key.desSchedule`),
 * for keys that encrypt a block at a time for as long as they live. Holds clear key material (the
 * round keys): it lives only where the key's own bytes live.
 */
export class DesSchedule {
  private readonly ks = new Int32Array(96);
  private readonly passes: number;

  /** An 8-byte key is single DES, 16 bytes K1K2K1, 24 bytes K1K2K3. */
  constructor(key: Uint8Array) {
    this.passes = expand(key, this.ks);
  }

  /** DES/TDES-ECB of the 8 bytes at src[si..] into dst[di..] (may overlap exactly); no allocation. */
  encryptBlock(src: Uint8Array, si: number, dst: Uint8Array, di: number): void {
    block(this.ks, this.passes, src, si, dst, di);
  }
}
