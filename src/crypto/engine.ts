// The crypto engine: everything that touches clear keys, synchronous, with its caches. The inline
// service calls it directly; each pool worker owns one and runs batches of jobs through run().
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import type { KeyBlob } from '../terminals/types.js';
import { aesDerivationKey, aesInitialKey, aesWorkingKey, bdkKeyType, parseAesKsn } from './dukpt/aes.js';
import { type IntermediateKeyCache, parseTdesKsn, tdesCurrentKey, tdesIpek, tdesUsageKey } from './dukpt/tdes.js';
import { CryptoError, type CryptoErrorCode } from './errors.js';
import { field64Mac, type MacAlgorithm } from './field64.js';
import { parseHex, toHex } from './hex.js';
import { checkValue } from './kcv.js';
import { Key, type KeyAlgorithm } from './key.js';
import { generateKey } from './keygen.js';
import { unwrapKey, wrapKey } from './keywrap.js';
import { DEFAULT_KEY_CACHE_SIZE, type KeyCacheStats, KeyVault } from './lmk.js';
import { Lru } from './lru.js';
import { macEquals } from './mac/compare.js';
import { cupsEcbMacInto } from './mac/cups-ecb.js';
import type { DukptRequest, MacKeyRef, SignOnKeys, SignOnOptions } from './service.js';
import { buildField62 } from './signon.js';

/** One unit of work; what crosses to a worker. Buffers arrive there as Uint8Array. */
export type Job =
  | { op: 'mac'; alg: MacAlgorithm; key: MacKeyRef; data: Uint8Array }
  | { op: 'verify'; alg: MacAlgorithm; key: MacKeyRef; data: Uint8Array; mac: Uint8Array }
  | { op: 'import'; clearHex: string; algorithm?: KeyAlgorithm }
  | { op: 'kcv'; blob: KeyBlob; length: 3 | 4 }
  | { op: 'signon'; tmk: KeyBlob; opts: SignOnOptions }
  | { op: 'wrap'; kek: KeyBlob; key: KeyBlob }
  | { op: 'unwrap'; kek: KeyBlob; wrapped: Uint8Array; algorithm?: KeyAlgorithm }
  | { op: 'dukpt'; req: DukptRequest }
  | { op: 'rsa-sign'; pem: string; data: Uint8Array };

export type JobOp = Job['op'];
export type JobValue = Uint8Array | boolean | string | SignOnKeys;
export type JobOutcome = { ok: true; value: JobValue } | { ok: false; code: CryptoErrorCode; message: string };

export interface EngineOptions {
  lmk: Buffer;
  keyCacheSize?: number;
  dukptCacheSize?: number;
}

/**
 * Offered by crypto services that compute some MACs on the event loop anyway (inline, and the pool's
 * session-key MACs): the caller gets the result on its own stack instead of through a promise and a
 * microtask hop. `undefined` means "not this one": use the asynchronous method. Errors are thrown as
 * the asynchronous method would reject, and the same metrics are counted.
 */
export interface ImmediateMacs {
  generateMacNow(alg: MacAlgorithm, key: MacKeyRef, data: Buffer): Buffer | undefined;
  verifyMacNow(alg: MacAlgorithm, key: MacKeyRef, data: Buffer, mac: Buffer): boolean | undefined;
}

/** The service's immediate MACs when it offers them. */
export function immediateMacsOf(service: object): ImmediateMacs | undefined {
  const s = service as Partial<ImmediateMacs>;
  return typeof s.generateMacNow === 'function' && typeof s.verifyMacNow === 'function'
    ? (service as ImmediateMacs)
    : undefined;
}

export const asBuffer = (u: Uint8Array): Buffer =>
  Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** What `warmMacKey` MACs: one block of zeros (16 bytes: an AES block, two DES blocks). */
const WARM_BLOCK = new Uint8Array(16);

export class CryptoEngine {
  private readonly vault: KeyVault;
  /** IPEK / AES initial key per BDK blob and KSN prefix, and intermediate keys per counter prefix. */
  private readonly dukptKeys: Lru<string, Buffer>;
  /** DUKPT MAC keys with their ciphers, per BDK, KSN and direction: verify and retries reuse them. */
  private readonly dukptMacKeys: Lru<string, Key>;
  private readonly rsaKeys = new Lru<string, KeyObject>(16);
  /** verifyMac's computed MAC (synchronous, one at a time). */
  private readonly expectedMac = Buffer.alloc(8);

  constructor(opts: EngineOptions) {
    this.vault = new KeyVault(opts.lmk, opts.keyCacheSize ?? DEFAULT_KEY_CACHE_SIZE);
    this.dukptKeys = new Lru(opts.dukptCacheSize ?? 16384);
    this.dukptMacKeys = new Lru(1024);
  }

  /** The opened-key cache's size and hit counts. */
  keyCacheStats(): KeyCacheStats {
    return this.vault.cacheStats();
  }

  /**
   * Opens a session key and makes its ciphers for `alg`: a MAC over one zero block, thrown away,
   * builds exactly what that algorithm's MACs use.
   */
  warmMacKey(alg: MacAlgorithm, ref: MacKeyRef & { kind: 'session' }): void {
    field64Mac(alg, this.macKey(ref), WARM_BLOCK);
  }

  /** Whether a job is a session-key MAC: a few microseconds, cheaper inline than a thread hop. */
  static isCheap(job: Job): boolean {
    return (job.op === 'mac' || job.op === 'verify') && job.key.kind === 'session';
  }

  run(job: Job): JobOutcome {
    try {
      return { ok: true, value: this.execute(job) };
    } catch (err) {
      if (err instanceof CryptoError) return { ok: false, code: err.code, message: err.message };
      return { ok: false, code: 'bad-input', message: err instanceof Error ? err.message : String(err) };
    }
  }

  execute(job: Job): JobValue {
    switch (job.op) {
      case 'mac':
        return this.generateMac(job.alg, job.key, job.data);
      case 'verify':
        return this.verifyMac(job.alg, job.key, job.data, job.mac);
      case 'import':
        return this.importKey(job.clearHex, job.algorithm);
      case 'kcv':
        return this.keyCheckValue(job.blob, job.length);
      case 'signon':
        return this.generateSignOnKeys(job.tmk, job.opts);
      case 'wrap':
        return this.wrap(job.kek, job.key);
      case 'unwrap':
        return this.unwrap(job.kek, job.wrapped, job.algorithm);
      case 'dukpt':
        return this.deriveDukptKey(job.req);
      case 'rsa-sign':
        return this.rsaSign(job.pem, job.data);
      default:
        throw new CryptoError('bad-input', `unknown crypto op ${(job as { op: string }).op}`);
    }
  }

  generateMac(alg: MacAlgorithm, ref: MacKeyRef, data: Uint8Array): Buffer {
    return field64Mac(alg, this.macKey(ref), data);
  }

  verifyMac(alg: MacAlgorithm, ref: MacKeyRef, data: Uint8Array, mac: Uint8Array): boolean {
    // The UnionPay MAC (every session-key request) into a scratch buffer: nothing allocated to compare.
    const expected =
      alg === 'cups-ecb'
        ? cupsEcbMacInto(this.macKey(ref), data, this.expectedMac)
        : field64Mac(alg, this.macKey(ref), data);
    return macEquals(expected, mac);
  }

  importKey(clearHex: string, algorithm?: KeyAlgorithm): KeyBlob {
    const clear = parseHex('key', clearHex);
    return this.vault.sealKey(Key.of(clear, algorithm));
  }

  keyCheckValue(blob: KeyBlob, length: 3 | 4 = 3): string {
    return toHex(checkValue(this.vault.open(blob), length));
  }

  generateSignOnKeys(tmkBlob: KeyBlob, opts: SignOnOptions): SignOnKeys {
    const tmk = this.vault.open(tmkBlob);
    const pik = generateKey(16);
    const mak = generateKey(opts.doubleLengthMak ? 16 : 8);
    const tdk = opts.withTdk ? generateKey(16) : undefined;
    const field62 = buildField62(tmk, { pik, mak, tdk });
    const keys: SignOnKeys = { field62, pik: this.vault.seal(pik, 'tdes'), mak: this.vault.seal(mak, 'tdes') };
    if (tdk) keys.tdk = this.vault.seal(tdk, 'tdes');
    return keys;
  }

  wrap(kekBlob: KeyBlob, keyBlob: KeyBlob): Buffer {
    return wrapKey(this.vault.open(kekBlob), this.vault.open(keyBlob).bytes);
  }

  unwrap(kekBlob: KeyBlob, wrapped: Uint8Array, algorithm?: KeyAlgorithm): KeyBlob {
    return this.vault.seal(unwrapKey(this.vault.open(kekBlob), wrapped), algorithm ?? 'tdes');
  }

  deriveDukptKey(req: DukptRequest): KeyBlob {
    const bdk = this.vault.open(req.bdk).bytes;
    if (req.scheme === 'tdes') {
      const ksn = parseTdesKsn(req.ksn);
      const ipek = this.tdesIpek(req.bdk, bdk, ksn.bytes, ksn.prefixHex);
      if (req.usage === 'ipek') return this.vault.seal(ipek, 'tdes');
      const current = tdesCurrentKey(ipek, ksn.bytes, ksn.counter, this.prefixCache(`T${req.bdk}${ksn.prefixHex}`));
      return this.vault.seal(req.usage === 'current' ? current : tdesUsageKey(current, req.usage), 'tdes');
    }
    if (req.scheme !== 'aes')
      throw new CryptoError('bad-input', `unknown DUKPT scheme ${String((req as { scheme: unknown }).scheme)}`);
    const ksn = parseAesKsn(req.ksn);
    const initial = this.aesInitial(req.bdk, bdk, ksn.ikid, ksn.ikidHex);
    if (req.usage === 'initial') return this.vault.seal(initial, 'aes');
    const derivation = aesDerivationKey(initial, ksn.ikid, ksn.counter, this.prefixCache(`A${req.bdk}${ksn.ikidHex}`));
    const type = req.keyType ?? 'aes128';
    const key = aesWorkingKey(derivation, ksn.ikid, ksn.counter, req.usage, type);
    return this.vault.seal(key, type.startsWith('aes') ? 'aes' : 'tdes');
  }

  rsaSign(pem: string, data: Uint8Array): Buffer {
    let key = this.rsaKeys.get(pem);
    if (!key) {
      try {
        key = createPrivateKey(pem);
      } catch {
        throw new CryptoError('bad-key', 'not a PEM private key');
      }
      if (key.asymmetricKeyType !== 'rsa') throw new CryptoError('bad-key', 'RSA2 signing needs an RSA private key');
      this.rsaKeys.set(pem, key);
    }
    return sign('sha256', data, key);
  }

  /** The MAC key a reference names, opened or derived (cached either way). */
  macKey(ref: MacKeyRef): Key {
    if (ref.kind === 'session') return this.vault.open(ref.mak);
    // One flat string (join): a template literal's rope kept its KSN, a piece of the request's
    // decoded text, and with it the whole text for as long as the cache kept the key.
    const cacheKey = [ref.kind, ref.bdk, ref.ksn.toUpperCase(), ref.direction].join('|');
    let key = this.dukptMacKeys.get(cacheKey);
    if (key) return key;
    const bdk = this.vault.open(ref.bdk).bytes;
    if (ref.kind === 'dukpt-tdes') {
      const ksn = parseTdesKsn(ref.ksn);
      const ipek = this.tdesIpek(ref.bdk, bdk, ksn.bytes, ksn.prefixHex);
      const current = tdesCurrentKey(ipek, ksn.bytes, ksn.counter, this.prefixCache(`T${ref.bdk}${ksn.prefixHex}`));
      key = new Key(tdesUsageKey(current, ref.direction === 'request' ? 'mac-request' : 'mac-response'), 'tdes');
    } else if (ref.kind === 'dukpt-aes') {
      const ksn = parseAesKsn(ref.ksn);
      const initial = this.aesInitial(ref.bdk, bdk, ksn.ikid, ksn.ikidHex);
      const derivation = aesDerivationKey(
        initial,
        ksn.ikid,
        ksn.counter,
        this.prefixCache(`A${ref.bdk}${ksn.ikidHex}`),
      );
      const usage = ref.direction === 'request' ? 'mac-generation' : 'mac-verification';
      key = new Key(aesWorkingKey(derivation, ksn.ikid, ksn.counter, usage, 'aes128'), 'aes');
    } else {
      throw new CryptoError('bad-input', `unknown MAC key kind ${String((ref as { kind: unknown }).kind)}`);
    }
    this.dukptMacKeys.set(cacheKey, key);
    return key;
  }

  private tdesIpek(blob: KeyBlob, bdk: Buffer, ksn: Buffer, prefixHex: string): Buffer {
    const id = `T${blob}${prefixHex}`;
    let ipek = this.dukptKeys.get(id);
    if (!ipek) {
      ipek = tdesIpek(bdk, ksn);
      this.dukptKeys.set(id, ipek);
    }
    return ipek;
  }

  private aesInitial(blob: KeyBlob, bdk: Buffer, ikid: Buffer, ikidHex: string): Buffer {
    bdkKeyType(bdk);
    const id = `A${blob}${ikidHex}`;
    let initial = this.dukptKeys.get(id);
    if (!initial) {
      initial = aesInitialKey(bdk, ikid);
      this.dukptKeys.set(id, initial);
    }
    return initial;
  }

  private prefixCache(base: string): IntermediateKeyCache {
    const lru = this.dukptKeys;
    return {
      get: (counter) => lru.get(`${base}:${counter}`),
      set: (counter, key) => lru.set(`${base}:${counter}`, key),
    };
  }
}
