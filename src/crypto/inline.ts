// The in-process CryptoService: the engine on the event loop. Lowest latency for single MACs under
// light load, and the reference the pool is tested against.

import type { KeyBlob } from '../terminals/types.js';
import { CryptoEngine, type ImmediateMacs } from './engine.js';
import { CryptoError } from './errors.js';
import type { KeyAlgorithm } from './key.js';
import type { KeyCacheStats } from './lmk.js';
import type {
  CryptoService,
  CryptoServiceOptions,
  CryptoStats,
  DukptRequest,
  MacAlgorithm,
  MacKeyRef,
  SignOnKeys,
  SignOnOptions,
} from './service.js';

export class InlineCryptoService implements CryptoService, ImmediateMacs {
  readonly mode = 'inline' as const;
  private readonly engine: CryptoEngine;
  private closed = false;

  constructor(opts: Pick<CryptoServiceOptions, 'lmk' | 'keyCacheSize' | 'dukptCacheSize'>) {
    this.engine = new CryptoEngine(opts);
  }

  private call<T>(fn: () => T): Promise<T> {
    if (this.closed) return Promise.reject(new CryptoError('closed', 'the crypto service is closed'));
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  }

  generateMac(alg: MacAlgorithm, key: MacKeyRef, data: Buffer): Promise<Buffer> {
    return this.call(() => this.engine.generateMac(alg, key, data));
  }

  verifyMac(alg: MacAlgorithm, key: MacKeyRef, data: Buffer, mac: Buffer): Promise<boolean> {
    return this.call(() => this.engine.verifyMac(alg, key, data, mac));
  }

  generateMacNow(alg: MacAlgorithm, key: MacKeyRef, data: Buffer): Buffer {
    if (this.closed) throw new CryptoError('closed', 'the crypto service is closed');
    return this.engine.generateMac(alg, key, data);
  }

  verifyMacNow(alg: MacAlgorithm, key: MacKeyRef, data: Buffer, mac: Buffer): boolean {
    if (this.closed) throw new CryptoError('closed', 'the crypto service is closed');
    return this.engine.verifyMac(alg, key, data, mac);
  }

  importKey(clearHex: string, algorithm?: KeyAlgorithm): Promise<KeyBlob> {
    return this.call(() => this.engine.importKey(clearHex, algorithm));
  }

  keyCheckValue(blob: KeyBlob, length: 3 | 4 = 3): Promise<string> {
    return this.call(() => this.engine.keyCheckValue(blob, length));
  }

  generateSignOnKeys(tmk: KeyBlob, opts: SignOnOptions): Promise<SignOnKeys> {
    return this.call(() => this.engine.generateSignOnKeys(tmk, opts));
  }

  wrap(kek: KeyBlob, key: KeyBlob): Promise<Buffer> {
    return this.call(() => this.engine.wrap(kek, key));
  }

  unwrap(kek: KeyBlob, wrapped: Buffer, algorithm?: KeyAlgorithm): Promise<KeyBlob> {
    return this.call(() => this.engine.unwrap(kek, wrapped, algorithm));
  }

  deriveDukptKey(req: DukptRequest): Promise<KeyBlob> {
    return this.call(() => this.engine.deriveDukptKey(req));
  }

  rsaSign(privateKeyPem: string, data: Buffer): Promise<Buffer> {
    return this.call(() => this.engine.rsaSign(privateKeyPem, data));
  }

  stats(): CryptoStats {
    return { queueDepth: 0, inFlight: 0, saturated: false, threads: 0 };
  }

  keyCacheStats(): KeyCacheStats {
    return this.engine.keyCacheStats();
  }

  warmMacKey(alg: MacAlgorithm, key: MacKeyRef): void {
    if (this.closed || key.kind !== 'session') return;
    this.engine.warmMacKey(alg, key);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
