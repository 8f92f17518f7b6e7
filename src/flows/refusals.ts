// Requests refused before any order exists (bad amount, unknown payment code, no wallet): the
// refusal is still recorded against the request key, so a later request reusing the key with other
// content is a duplicate (`94`), never executed.
import type { TransactionContext, TransactionResult } from '../server/dispatcher.js';
import { complete } from './answers.js';
import type { FlowDeps } from './context.js';
import { answerDuplicate } from './duplicates.js';
import { fingerprint, requestKeyOf } from './request.js';

export async function refuse(
  deps: FlowDeps,
  ctx: TransactionContext,
  type: string,
  rc: string,
): Promise<TransactionResult> {
  const key = requestKeyOf(ctx);
  const fp = fingerprint(ctx.request);
  const claim = await deps.store.claimRequest(key, fp);
  if (claim.status !== 'claimed') return answerDuplicate(deps, type, key, fp, claim);
  return complete(deps, key, { rc });
}

/** Epoch ms when the box's request was complete (the pay deadline counts from there). */
export function receivedEpoch(ctx: TransactionContext): number {
  return Date.now() - Math.max(0, performance.now() - ctx.receivedAt);
}
