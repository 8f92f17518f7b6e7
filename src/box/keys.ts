// The box side of the keys: working keys from the 0810's field 62 (decrypted under the clear TMK,
// check values verified), or a DUKPT KSN that advances with every MACed message. Uses the same
// pure functions as boxfep's crypto engine, so a disagreement is a protocol bug, not two MAC codes.
import { countOneBits } from '../crypto/dukpt/tdes.js';
import { dukptMacKey, field64Mac, type MacAlgorithm } from '../crypto/field64.js';
import { parseHex } from '../crypto/hex.js';
import { Key } from '../crypto/key.js';
import { parseField62, type WorkingKeys } from '../crypto/signon.js';
import type { KeyMode, TerminalMacAlgorithm } from '../terminals/types.js';

export interface BoxKeyOptions {
  keyMode?: KeyMode;
  mac?: TerminalMacAlgorithm;
  /** Clear TMK (session key mode), 32 hex digits. */
  tmk?: string;
  /** Clear BDK (DUKPT key modes; a real box holds only its initial key, the emulator derives). */
  bdk?: string;
  /** Initial KSN: 20 hex digits (TDES) or 24 (AES); the counter is advanced before each use. */
  ksn?: string;
}

export class BoxKeys {
  readonly keyMode: KeyMode;
  readonly mac: TerminalMacAlgorithm;
  private readonly tmk?: Buffer;
  private readonly bdk?: Buffer;
  private ksnPrefix = '';
  private counter = 0;
  working: WorkingKeys | undefined;
  private makKey: Key | undefined;

  constructor(opts: BoxKeyOptions) {
    this.keyMode = opts.keyMode ?? 'session';
    this.mac = opts.mac ?? 'cups-ecb';
    if (this.keyMode === 'session') {
      if (!opts.tmk) throw new Error('a session-key box needs its TMK');
      this.tmk = parseHex('TMK', opts.tmk, [16]);
    } else {
      if (!opts.bdk || !opts.ksn) throw new Error(`a ${this.keyMode} box needs a BDK and an initial KSN`);
      this.bdk = parseHex('BDK', opts.bdk);
      const ksnLength = this.keyMode === 'dukpt-tdes' ? 20 : 24;
      if (opts.ksn.length !== ksnLength) throw new Error(`a ${this.keyMode} KSN is ${ksnLength} hex digits`);
      const counterDigits = this.keyMode === 'dukpt-tdes' ? 6 : 8;
      this.ksnPrefix = opts.ksn.slice(0, ksnLength - counterDigits).toUpperCase();
      const c = Number.parseInt(opts.ksn.slice(-counterDigits), 16);
      this.counter = this.keyMode === 'dukpt-tdes' ? c & 0x1fffff : c;
      this.tdesHigh = this.keyMode === 'dukpt-tdes' ? c & ~0x1fffff & 0xffffff : 0;
    }
  }

  private tdesHigh = 0;

  get algorithm(): MacAlgorithm {
    if (this.keyMode === 'dukpt-tdes') return 'x9.19';
    if (this.keyMode === 'dukpt-aes') return 'aes-cmac';
    return this.mac;
  }

  get signedOn(): boolean {
    return this.keyMode !== 'session' || this.makKey !== undefined;
  }

  /** Decrypts and checks field 62 (hex); throws when a check value does not match. */
  acceptField62(hex: string): WorkingKeys {
    if (!this.tmk) throw new Error('field 62 is for session-key boxes');
    const keys = parseField62(Buffer.from(hex, 'hex'), this.tmk);
    this.working = keys;
    this.makKey = new Key(keys.mak, 'tdes');
    return keys;
  }

  forget(): void {
    this.working = undefined;
    this.makKey = undefined;
  }

  /** DUKPT: the KSN for the next MACed message (the counter skips values DUKPT never uses). */
  nextKsn(): string {
    const maxOnes = this.keyMode === 'dukpt-tdes' ? 10 : 16;
    do this.counter++;
    while (countOneBits(this.counter) > maxOnes);
    return this.currentKsn();
  }

  currentKsn(): string {
    if (this.keyMode === 'dukpt-tdes') {
      return this.ksnPrefix + ((this.tdesHigh | this.counter) >>> 0).toString(16).toUpperCase().padStart(6, '0');
    }
    return this.ksnPrefix + (this.counter >>> 0).toString(16).toUpperCase().padStart(8, '0');
  }

  /** Field 64 over a MAC block, in `direction` (request = box → boxfep). */
  mac64(data: Buffer, direction: 'request' | 'response', ksn?: string): Buffer {
    if (this.keyMode === 'session') {
      if (!this.makKey) throw new Error('not signed on: no MAK');
      return field64Mac(this.algorithm, this.makKey, data);
    }
    const key = dukptMacKey(this.keyMode, this.bdk!, ksn ?? this.currentKsn(), direction);
    return field64Mac(this.algorithm, key, data);
  }
}
