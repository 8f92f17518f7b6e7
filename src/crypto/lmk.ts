// The local master key (LMK) and the key blobs sealed under it. Outside src/crypto boxfep holds
// keys only as blobs; only the crypto engine (inline or in a worker) holds the LMK and opens them.
//
// Blob (upper-case hex): 01 | algorithm ('T' TDES / 'A' AES) | key length | nonce (12) |
// AES-GCM ciphertext | tag (16); the first three bytes are authenticated data. A blob from another
// LMK, or altered by one bit, fails to open with CryptoError('bad-key').
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KeyBlob } from '../terminals/types.js';
import { CryptoError } from './errors.js';
import { toHex } from './hex.js';
import { Key, type KeyAlgorithm } from './key.js';
import { Lru } from './lru.js';

const VERSION = 0x01;
const ALG_CODE: Record<KeyAlgorithm, number> = { tdes: 0x54, aes: 0x41 };
const NONCE = 12;
const TAG = 16;
const HEADER = 3;

/** Development LMK: public, so anything sealed under it is effectively clear. */
export const DEVELOPMENT_LMK_HEX = '000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F';

function gcmAlgorithm(lmk: Buffer): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  if (lmk.length === 16) return 'aes-128-gcm';
  if (lmk.length === 24) return 'aes-192-gcm';
  if (lmk.length === 32) return 'aes-256-gcm';
  throw new CryptoError('bad-key', `the LMK is an AES key of 16, 24 or 32 bytes, not ${lmk.length}`);
}

/**
 * Default number of opened keys kept per engine. Every box's MAK is opened on each request, and a
 * miss (AES-GCM open + a fresh DES key schedule, ~15 µs) costs ~40× a hit; at ~1.4 KB a key, 32,768
 * hold the working keys of a 10,000-box fleet with room for the keys sign-ons replaced (≤ 45 MB).
 */
export const DEFAULT_KEY_CACHE_SIZE = 32_768;

/** How the cache of opened keys is doing: `misses` growing with traffic means it is too small. */
export interface KeyCacheStats {
  keys: number;
  capacity: number;
  hits: number;
  misses: number;
}

export class KeyVault {
  private readonly algorithm: ReturnType<typeof gcmAlgorithm>;
  private readonly opened: Lru<string, Key>;
  private hits = 0;
  private misses = 0;

  constructor(
    private readonly lmk: Buffer,
    cacheSize = DEFAULT_KEY_CACHE_SIZE,
  ) {
    this.algorithm = gcmAlgorithm(lmk);
    this.lmk = Buffer.from(lmk);
    this.opened = new Lru(cacheSize);
  }

  seal(clear: Buffer, algorithm: KeyAlgorithm): KeyBlob {
    new Key(clear, algorithm); // validates length for the algorithm
    const header = Buffer.from([VERSION, ALG_CODE[algorithm], clear.length]);
    const nonce = randomBytes(NONCE);
    const gcm = createCipheriv(this.algorithm, this.lmk, nonce).setAAD(header);
    const body = Buffer.concat([gcm.update(clear), gcm.final()]);
    return toHex(Buffer.concat([header, nonce, body, gcm.getAuthTag()]));
  }

  sealKey(key: Key): KeyBlob {
    return this.seal(key.bytes, key.algorithm);
  }

  /** True when `blob` is already open in the cache (using it costs no decryption). */
  isOpen(blob: KeyBlob): boolean {
    return this.opened.has(blob);
  }

  /** The clear key with its cached ciphers. Opening the same blob again costs one map lookup. */
  open(blob: KeyBlob): Key {
    const hit = this.opened.get(blob);
    if (hit) {
      this.hits++;
      return hit;
    }
    this.misses++;
    const key = new Key(this.decrypt(blob), algorithmOf(blob));
    this.opened.set(blob, key);
    return key;
  }

  cacheStats(): KeyCacheStats {
    return { keys: this.opened.size, capacity: this.opened.capacity, hits: this.hits, misses: this.misses };
  }

  private decrypt(blob: KeyBlob): Buffer {
    const raw = typeof blob === 'string' && /^[0-9A-Fa-f]*$/.test(blob) ? Buffer.from(blob, 'hex') : Buffer.alloc(0);
    const len = raw[2];
    if (raw.length < HEADER + NONCE + TAG || raw[0] !== VERSION || raw.length !== HEADER + NONCE + len + TAG) {
      throw new CryptoError('bad-key', 'not a boxfep key blob');
    }
    const nonce = raw.subarray(HEADER, HEADER + NONCE);
    const gcm = createDecipheriv(this.algorithm, this.lmk, nonce).setAAD(raw.subarray(0, HEADER));
    gcm.setAuthTag(raw.subarray(raw.length - TAG));
    try {
      return Buffer.concat([gcm.update(raw.subarray(HEADER + NONCE, raw.length - TAG)), gcm.final()]);
    } catch {
      throw new CryptoError('bad-key', 'key blob does not open under this LMK (wrong LMK or altered blob)');
    }
  }
}

function algorithmOf(blob: string): KeyAlgorithm {
  const code = Number.parseInt(blob.slice(2, 4), 16);
  if (code === ALG_CODE.aes) return 'aes';
  if (code === ALG_CODE.tdes) return 'tdes';
  throw new CryptoError('bad-key', 'key blob names an unknown algorithm');
}

interface WarnLogger {
  warn(obj: object, msg: string): void;
}

export interface LoadLmkOptions {
  /** LMK as hex (e.g. from --lmk). Wins over everything else. */
  hex?: string;
  /** A file holding the LMK as hex (e.g. --lmk-file). */
  file?: string;
  /** Where the warning about the development LMK goes; stderr when absent. */
  logger?: WarnLogger;
  /** Environment to read BOXFEP_LMK / BOXFEP_LMK_FILE from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

function parseLmkHex(source: string, text: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length % 2 !== 0)
    throw new CryptoError('bad-key', `${source}: the LMK must be hex`);
  const lmk = Buffer.from(hex, 'hex');
  gcmAlgorithm(lmk);
  return lmk;
}

/**
 * The LMK from, in order: `hex`, `file`, BOXFEP_LMK (hex), BOXFEP_LMK_FILE. With none of them the
 * public development LMK is used, with a loud warning: never run production that way.
 */
export function loadLmk(opts: LoadLmkOptions = {}): { lmk: Buffer; isDevelopmentDefault: boolean } {
  const env = opts.env ?? process.env;
  if (opts.hex) return { lmk: parseLmkHex('--lmk', opts.hex), isDevelopmentDefault: false };
  const file = opts.file ?? (env.BOXFEP_LMK ? undefined : env.BOXFEP_LMK_FILE);
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new CryptoError(
        'bad-key',
        `cannot read the LMK file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
      );
    }
    return { lmk: parseLmkHex(file, text), isDevelopmentDefault: false };
  }
  if (env.BOXFEP_LMK) return { lmk: parseLmkHex('BOXFEP_LMK', env.BOXFEP_LMK), isDevelopmentDefault: false };
  const msg =
    'USING THE PUBLIC DEVELOPMENT LMK: every stored key is effectively in clear. Set BOXFEP_LMK or BOXFEP_LMK_FILE for any real deployment.';
  if (opts.logger) opts.logger.warn({ lmk: 'development-default' }, msg);
  else process.stderr.write(`boxfep: WARNING: ${msg}\n`);
  return { lmk: Buffer.from(DEVELOPMENT_LMK_HEX, 'hex'), isDevelopmentDefault: true };
}
