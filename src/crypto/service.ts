// The one crypto interface for the rest of boxfep. Keys cross it only as KeyBlobs (sealed under
// the LMK); clear keys stay in the engine, which runs either on the event loop ('inline') or in
// piscina worker threads ('pool', micro-batched). Both give identical results.
import type { Logger } from '../log/logger.js';
import type { KeyBlob } from '../terminals/types.js';
import type { AesDukptKeyType, AesDukptUsage } from './dukpt/aes.js';
import type { TdesDukptUsage } from './dukpt/tdes.js';
import type { MacAlgorithm } from './field64.js';
import { InlineCryptoService } from './inline.js';
import type { KeyAlgorithm } from './key.js';
import type { KeyCacheStats } from './lmk.js';
import { PoolCryptoService } from './pool.js';

export { CryptoError, type CryptoErrorCode, isCryptoError } from './errors.js';
export type { MacAlgorithm, MacDirection } from './field64.js';
export { loadLmk } from './lmk.js';
export type { AesDukptKeyType, AesDukptUsage, KeyAlgorithm, KeyBlob, TdesDukptUsage };

/** Which MAC key: a session MAK, or a DUKPT key derived from a BDK and the box's KSN (59.A5). */
export type MacKeyRef =
  | { kind: 'session'; mak: KeyBlob }
  | { kind: 'dukpt-tdes'; bdk: KeyBlob; ksn: string; direction: 'request' | 'response' }
  | { kind: 'dukpt-aes'; bdk: KeyBlob; ksn: string; direction: 'request' | 'response' };

/** A DUKPT key to derive; the result is a KeyBlob. */
export type DukptRequest =
  | { scheme: 'tdes'; bdk: KeyBlob; ksn: string; usage: TdesDukptUsage }
  | { scheme: 'aes'; bdk: KeyBlob; ksn: string; usage: AesDukptUsage; keyType?: AesDukptKeyType };

export interface SignOnOptions {
  withTdk: boolean;
  doubleLengthMak?: boolean;
}

export interface SignOnKeys {
  /** Field 62 bytes for the 0810: 40 (60.3=003) or 60 (60.3=004) bytes per box-protocol.md §5. */
  field62: Buffer;
  mak: KeyBlob;
  pik: KeyBlob;
  tdk?: KeyBlob;
}

export interface CryptoStats {
  /** Jobs accepted and not yet finished (waiting to be batched, queued in piscina, or running). */
  queueDepth: number;
  /** Jobs inside pool tasks that have been dispatched to workers. */
  inFlight: number;
  /** True while queueDepth ≥ maxQueue: new jobs are refused with 'queue-full'. */
  saturated: boolean;
  /** Worker threads (0 inline). */
  threads: number;
}

export interface CryptoService {
  readonly mode: 'inline' | 'pool';
  /** Field-64 value: cups-ecb → the 8 ASCII bytes; x9.19/x9.9 → 8-byte MAC; aes-cmac → first 8 bytes of AES-CMAC. */
  generateMac(alg: MacAlgorithm, key: MacKeyRef, data: Buffer): Promise<Buffer>;
  /** Constant-time; false for a wrong MAC (or a MAC that is not 8 bytes). DUKPT KSN errors reject. */
  verifyMac(alg: MacAlgorithm, key: MacKeyRef, data: Buffer, mac: Buffer): Promise<boolean>;
  /** Key ceremony: seal a clear key (hex) under the LMK. 32-byte keys are AES; others TDES unless `algorithm` says AES. */
  importKey(clearHex: string, algorithm?: KeyAlgorithm): Promise<KeyBlob>;
  keyCheckValue(blob: KeyBlob, length?: 3 | 4): Promise<string>;
  /** Fresh PIK (16), MAK (8, or 16 when `doubleLengthMak`), optional TDK (16), under the TMK for field 62 and under the LMK for the store. */
  generateSignOnKeys(tmk: KeyBlob, opts: SignOnOptions): Promise<SignOnKeys>;
  /** `key` under `kek`, TDES-ECB. */
  wrap(kek: KeyBlob, key: KeyBlob): Promise<Buffer>;
  unwrap(kek: KeyBlob, wrapped: Buffer, algorithm?: KeyAlgorithm): Promise<KeyBlob>;
  deriveDukptKey(req: DukptRequest): Promise<KeyBlob>;
  /** SHA256withRSA (Alipay RSA2) with a PKCS#1/PKCS#8 PEM private key. */
  rsaSign(privateKeyPem: string, data: Buffer): Promise<Buffer>;
  /** Cheap: read per request for backpressure. */
  stats(): CryptoStats;
  /**
   * The opened-key cache of the engine on the event loop (inline, or the pool's session-key MACs),
   * the one every request's MAC goes through; undefined when no engine runs there.
   */
  keyCacheStats(): KeyCacheStats | undefined;
  /**
   * Opens a session MAK in the engine on the event loop, where that terminal's MACs are checked, and
   * makes the ciphers `alg` uses: the terminal's first request then finds them ready. Nothing to do
   * (and nothing done) where session MACs run in the pool, or for DUKPT keys.
   */
  warmMacKey(alg: MacAlgorithm, key: MacKeyRef): void;
  close(): Promise<void>;
}

export interface CryptoServiceOptions {
  mode: 'inline' | 'pool';
  /** The local master key (see loadLmk). */
  lmk: Buffer;
  /** Pool: worker threads (default: the machine's available parallelism). */
  threads?: number;
  /** Pool: jobs accepted but unfinished before new ones are refused with 'queue-full' (default 8192). */
  maxQueue?: number;
  /** Pool: most jobs in one worker task (default 256). */
  maxBatch?: number;
  /**
   * Pool: where MACs under a session key run. 'inline' (default): on the event loop, where one costs
   * ~3 µs — less than the main-thread share of any pool round trip (docs/crypto.md). 'pool': batched
   * to the workers like everything else. DUKPT MACs always go to the pool (derivation is 50–100 µs).
   */
  sessionMacs?: 'inline' | 'pool';
  /** Clear keys cached per engine, by blob (default DEFAULT_KEY_CACHE_SIZE, 32,768). */
  keyCacheSize?: number;
  /** DUKPT IPEKs / intermediate keys cached per engine (default 16384). */
  dukptCacheSize?: number;
  /** Pool: the worker module (tests wrap it). */
  workerFilename?: string;
  logger?: Logger;
}

/** What `boxfep serve` should use: the pool, session MACs inline, DUKPT and key work batched to workers. */
export const DEFAULT_CRYPTO_OPTIONS = {
  mode: 'pool',
  sessionMacs: 'inline',
  maxQueue: 8192,
  maxBatch: 256,
} as const satisfies Omit<CryptoServiceOptions, 'lmk'>;

export function createCryptoService(opts: CryptoServiceOptions): CryptoService {
  return opts.mode === 'pool' ? new PoolCryptoService(opts) : new InlineCryptoService(opts);
}
