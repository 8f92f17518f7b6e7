// The embedded deployment's terminal registry on disk: a JSON array in the same shape that
// `boxfep serve --terminals FILE` reads, but with keys only under the LMK (`tmkUnderLmk`,
// `bdkUnderLmk`), so the file written by `boxfep terminal` holds no clear key.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { TerminalInput } from './provisioning.js';
import { parseTerminalsFile } from './provisioning.js';
import type { TerminalRecord } from './types.js';

export function readTerminalsFile(path: string): TerminalInput[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text.trim() === '' ? [] : parseTerminalsFile(text, path);
}

export function recordToInput(rec: TerminalRecord): TerminalInput {
  const out: TerminalInput = {
    tid: rec.tid,
    mid: rec.mid,
    keyMode: rec.keyMode,
    mac: rec.mac,
    status: rec.status,
    batch: rec.batch,
    merchantName: rec.merchant.name,
  };
  if (rec.serial) out.serial = rec.serial;
  if (rec.tmk) out.tmkUnderLmk = rec.tmk;
  if (rec.bdk) out.bdkUnderLmk = rec.bdk;
  return out;
}

/** Writes atomically (temp file + rename), readable by the owner only. */
export function writeTerminalsFile(path: string, records: TerminalRecord[]): void {
  const sorted = [...records].sort((a, b) => a.tid.localeCompare(b.tid));
  writeTerminalInputs(path, sorted.map(recordToInput));
}

/** Writes entries as given (e.g. rewrapped ones), atomically and readable by the owner only. */
export function writeTerminalInputs(path: string, inputs: TerminalInput[]): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(inputs, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}
