// Batch settlement (§4, §6): 0500/00/201 with field 48 = the box's totals (62 digits: domestic then
// foreign, each debit amount n12, debit count n3, credit amount n12, credit count n3, result n1).
// boxfep answers with its own totals and result digit `1` balanced or `2` unbalanced, then moves the
// terminal to the next batch.
import { settlements } from '../metrics/flows.js';
import type { TransactionContext, TransactionResult } from '../server/dispatcher.js';
import type { BatchTotals } from '../store/store.js';
import { complete } from './answers.js';
import type { FlowDeps } from './context.js';
import { answerDuplicate } from './duplicates.js';
import { fingerprint, requestKeyOf } from './request.js';
import { RC } from './response-codes.js';

const ZERO: BatchTotals = { debitFen: 0, debitCount: 0, creditFen: 0, creditCount: 0 };
const PART = /^\d{31}$/;

/** 30 digits of totals (without the result digit). */
export function totalsDigits(t: BatchTotals): string {
  return (
    String(t.debitFen).padStart(12, '0') +
    String(t.debitCount).padStart(3, '0') +
    String(t.creditFen).padStart(12, '0') +
    String(t.creditCount).padStart(3, '0')
  );
}

/** The response's field 48 for the box's `f48` against boxfep's domestic totals (foreign: none). */
export function settlementField48(f48: string, ours: BatchTotals): { field: string; balanced: boolean } {
  const domestic = totalsDigits(ours);
  const foreign = totalsDigits(ZERO);
  const boxDomestic = f48.slice(0, 30);
  const boxForeign = f48.length >= 61 ? f48.slice(31, 61) : foreign;
  const domesticOk = boxDomestic === domestic;
  const foreignOk = boxForeign === foreign;
  return {
    field: `${domestic}${domesticOk ? '1' : '2'}${foreign}${foreignOk ? '1' : '2'}`,
    balanced: domesticOk && foreignOk,
  };
}

export const nextBatch = (batch: string) => String((Number(batch) % 999_999) + 1).padStart(6, '0');

export async function settlement(deps: FlowDeps, ctx: TransactionContext): Promise<TransactionResult> {
  const f48 = ctx.request.fields[48];
  if (f48 === undefined || !PART.test(f48.slice(0, 31))) return { rc: RC.FORMAT_ERROR };
  const { terminal } = ctx;
  const key = requestKeyOf(ctx);
  const fp = fingerprint(ctx.request);
  const [claim, ours] = await Promise.all([
    deps.store.claimRequest(key, fp),
    deps.store.getBatchTotals(terminal.mid, terminal.tid, key.batch),
  ]);
  if (claim.status !== 'claimed') return answerDuplicate(deps, 'settlement', key, fp, claim);
  const { field, balanced } = settlementField48(f48, ours);
  settlements.inc({ result: balanced ? 'balanced' : 'unbalanced' });
  // Re-read so that a concurrent change to the terminal (status, keys) is not overwritten.
  const current = (await deps.store.getTerminal(terminal.tid)) ?? terminal;
  if (current.batch === key.batch) {
    await deps.store.putTerminal({ ...current, batch: nextBatch(key.batch), updatedAt: Date.now() });
  }
  deps.logger.info({ tid: terminal.tid, batch: key.batch, balanced }, 'batch settled');
  return complete(deps, key, { rc: RC.APPROVED, fields: { 48: field, 49: '156' } });
}
