// Provisioning terminals from operator input: `terminal add` flags, a CSV or JSON import, or the
// `serve --terminals FILE` array. Clear keys are accepted only here (the key ceremony) and are
// encrypted under the LMK at once; what reaches the store is a TerminalRecord holding key blobs.
import type { CryptoService, KeyAlgorithm } from '../crypto/service.js';
import type { TerminalStore } from '../store/store.js';
import type { KeyMode, TerminalMacAlgorithm, TerminalRecord, TerminalStatus } from './types.js';

export interface TerminalInput {
  tid: string;
  mid: string;
  /** Clear TMK, 32 hex digits (double-length TDES). */
  tmk?: string;
  /** TMK already encrypted under this boxfep's LMK (as `terminal add --terminals-file` writes it). */
  tmkUnderLmk?: string;
  /** Clear BDK: 32 hex digits (TDES or AES-128) or 64 (AES-256). */
  bdk?: string;
  bdkUnderLmk?: string;
  keyMode?: KeyMode;
  mac?: TerminalMacAlgorithm;
  serial?: string;
  status?: TerminalStatus;
  batch?: string;
  merchantName?: string;
}

export class TerminalInputError extends Error {
  override name = 'TerminalInputError';
  constructor(
    message: string,
    readonly where?: string,
  ) {
    super(where ? `${where}: ${message}` : message);
  }
}

const KEY_MODES: readonly KeyMode[] = ['session', 'dukpt-tdes', 'dukpt-aes'];
const MACS: readonly TerminalMacAlgorithm[] = ['cups-ecb', 'x9.19'];
const STATUSES: readonly TerminalStatus[] = ['active', 'disabled'];
const PRINTABLE = /^[\x20-\x7e]+$/;
const HEX = /^[0-9A-Fa-f]+$/;
const FIELDS = new Set([
  'tid',
  'mid',
  'tmk',
  'tmkUnderLmk',
  'bdk',
  'bdkUnderLmk',
  'keyMode',
  'mac',
  'serial',
  'status',
  'batch',
  'merchantName',
]);

function str(v: unknown, name: string, where: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new TerminalInputError(`${name} must be a string`, where);
  return v.trim();
}

function oneOf<T extends string>(v: string | undefined, allowed: readonly T[], name: string, where: string) {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) throw new TerminalInputError(`${name} must be one of ${allowed.join(', ')}`, where);
  return v as T;
}

function clearKey(v: string | undefined, name: string, lengths: number[], where: string): string | undefined {
  if (v === undefined) return undefined;
  if (!HEX.test(v) || !lengths.includes(v.length)) {
    throw new TerminalInputError(`${name} must be ${lengths.join(' or ')} hex digits`, where);
  }
  return v.toUpperCase();
}

function fixedText(v: string | undefined, length: number, name: string, where: string): string {
  if (v === undefined || v.length !== length || !PRINTABLE.test(v)) {
    throw new TerminalInputError(`${name} must be ${length} printable characters`, where);
  }
  return v;
}

/** Checks one raw object and returns it typed; errors name the item and the field. */
export function validateTerminalInput(raw: unknown, where = 'terminal'): TerminalInput {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new TerminalInputError('expected an object', where);
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!FIELDS.has(k)) throw new TerminalInputError(`unknown field '${k}'`, where);
  const tid = fixedText(str(o.tid, 'tid', where), 8, 'tid', where);
  const mid = fixedText(str(o.mid, 'mid', where), 15, 'mid', where);
  const keyMode = oneOf(str(o.keyMode, 'keyMode', where), KEY_MODES, 'keyMode', where) ?? 'session';
  const input: TerminalInput = {
    tid,
    mid,
    keyMode,
    mac: oneOf(str(o.mac, 'mac', where), MACS, 'mac', where) ?? 'cups-ecb',
    tmk: clearKey(str(o.tmk, 'tmk', where), 'tmk', [32], where),
    tmkUnderLmk: str(o.tmkUnderLmk, 'tmkUnderLmk', where),
    bdk: clearKey(str(o.bdk, 'bdk', where), 'bdk', keyMode === 'dukpt-aes' ? [32, 64] : [32], where),
    bdkUnderLmk: str(o.bdkUnderLmk, 'bdkUnderLmk', where),
    serial: str(o.serial, 'serial', where),
    status: oneOf(str(o.status, 'status', where), STATUSES, 'status', where),
    batch: str(o.batch, 'batch', where),
    merchantName: str(o.merchantName, 'merchantName', where),
  };
  if (input.batch !== undefined && !/^\d{6}$/.test(input.batch)) {
    throw new TerminalInputError('batch must be 6 digits', where);
  }
  if (keyMode === 'session' && !input.tmk && !input.tmkUnderLmk) {
    throw new TerminalInputError('key mode session needs a tmk', where);
  }
  if (keyMode !== 'session' && !input.bdk && !input.bdkUnderLmk) {
    throw new TerminalInputError(`key mode ${keyMode} needs a bdk`, where);
  }
  for (const k of Object.keys(input) as (keyof TerminalInput)[]) if (input[k] === undefined) delete input[k];
  return input;
}

export function parseTerminalsJson(text: string, source = 'JSON'): TerminalInput[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new TerminalInputError(`not valid JSON: ${(err as Error).message}`, source);
  }
  if (!Array.isArray(parsed)) throw new TerminalInputError('expected a JSON array of terminals', source);
  return parsed.map((item, i) => validateTerminalInput(item, `${source}[${i}]`));
}

/** CSV with a header row naming the columns (tid,mid,tmk,keyMode,mac,...); `#` lines are comments. */
export function parseTerminalsCsv(text: string, source = 'CSV'): TerminalInput[] {
  const lines = text
    .split(/\r?\n/)
    .map((l, i) => ({ l: l.trim(), n: i + 1 }))
    .filter(({ l }) => l !== '' && !l.startsWith('#'));
  if (lines.length === 0) return [];
  const header = lines[0].l.split(',').map((h) => h.trim());
  for (const h of header) if (!FIELDS.has(h)) throw new TerminalInputError(`unknown column '${h}'`, `${source}:1`);
  return lines.slice(1).map(({ l, n }) => {
    if (l.includes('"')) throw new TerminalInputError('quoted values are not supported', `${source}:${n}`);
    const cells = l.split(',').map((c) => c.trim());
    if (cells.length !== header.length) {
      throw new TerminalInputError(`${cells.length} values for ${header.length} columns`, `${source}:${n}`);
    }
    const obj: Record<string, string> = {};
    header.forEach((h, i) => {
      if (cells[i] !== '') obj[h] = cells[i];
    });
    return validateTerminalInput(obj, `${source}:${n}`);
  });
}

/** Picks the parser by extension, falling back to sniffing the first character. */
export function parseTerminalsFile(text: string, name: string): TerminalInput[] {
  const lower = name.toLowerCase();
  if (lower.endsWith('.csv')) return parseTerminalsCsv(text, name);
  if (lower.endsWith('.json') || text.trimStart().startsWith('[')) return parseTerminalsJson(text, name);
  return parseTerminalsCsv(text, name);
}

export interface ProvisionResult {
  tid: string;
  created: boolean;
  /** Check value of the TMK or BDK (4 bytes hex): the key ceremony's confirmation. */
  kcv: string;
}

async function keyBlob(
  crypto: CryptoService,
  clear: string | undefined,
  blob: string | undefined,
  what: string,
  algorithm: KeyAlgorithm = 'tdes',
) {
  // The algorithm decides the check value: an AES key's is AES-CMAC based, a TDES key's is not.
  if (clear) return crypto.importKey(clear, algorithm);
  if (blob === undefined) throw new TerminalInputError(`${what} is missing`);
  try {
    await crypto.keyCheckValue(blob);
  } catch (err) {
    throw new TerminalInputError(`${what}UnderLmk does not decrypt under this LMK: ${(err as Error).message}`);
  }
  return blob;
}

/**
 * Upserts terminals. An existing terminal keeps its batch, creation time and merchant details unless
 * the input sets them; its key is replaced by the one given.
 */
export async function provisionTerminals(
  store: TerminalStore,
  crypto: CryptoService,
  inputs: TerminalInput[],
  now = Date.now(),
): Promise<ProvisionResult[]> {
  const results: ProvisionResult[] = [];
  for (const input of inputs) {
    const existing = await store.getTerminal(input.tid);
    const keyMode = input.keyMode ?? 'session';
    const rec: TerminalRecord = {
      tid: input.tid,
      mid: input.mid,
      status: input.status ?? existing?.status ?? 'active',
      keyMode,
      mac: input.mac ?? 'cups-ecb',
      batch: input.batch ?? existing?.batch ?? '000001',
      merchant: {
        mid: input.mid,
        name: input.merchantName ?? existing?.merchant.name ?? input.mid,
        limits: existing?.mid === input.mid ? existing.merchant.limits : {},
        wallets: existing?.mid === input.mid ? existing.merchant.wallets : {},
      },
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    const serial = input.serial ?? existing?.serial;
    if (serial) rec.serial = serial;
    let blob: string;
    if (keyMode === 'session') {
      blob = await keyBlob(crypto, input.tmk, input.tmkUnderLmk, 'tmk');
      rec.tmk = blob;
    } else {
      blob = await keyBlob(crypto, input.bdk, input.bdkUnderLmk, 'bdk', keyMode === 'dukpt-aes' ? 'aes' : 'tdes');
      rec.bdk = blob;
    }
    await store.putTerminal(rec);
    results.push({ tid: rec.tid, created: existing === undefined, kcv: await crypto.keyCheckValue(blob, 4) });
  }
  return results;
}
