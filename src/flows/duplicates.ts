// Requests seen before (§4): identical content gets the stored answer replayed, different content
// or a request a reversal got to first gets `94`, and a copy of a request still executing waits for
// the first copy's answer — on this node through its promise, elsewhere by asking the store.
import { setTimeout as sleep } from 'node:timers/promises';
import { duplicates } from '../metrics/flows.js';
import type { TransactionResult } from '../server/dispatcher.js';
import type { DuplicateResult, RequestKey } from '../store/store.js';
import type { FlowDeps } from './context.js';
import { keyString } from './request.js';
import { RC } from './response-codes.js';
import { decodeResult } from './stored-answer.js';

export async function answerDuplicate(
  deps: FlowDeps,
  type: string,
  key: RequestKey,
  fp: string,
  dup: DuplicateResult,
): Promise<TransactionResult> {
  duplicates.inc({ type, result: dup.status });
  if (dup.status === 'replay') return decodeResult(dup.response);
  if (dup.status !== 'in-progress') return { rc: RC.DUPLICATE };
  const local = deps.inflight.get(keyString(key));
  if (local) return local;
  // The first copy runs on another node (or died there): its answer lands in the store.
  const { payDeadlineMs, cancelBudgetMs, queryIntervalMs } = deps.timing;
  const until = Date.now() + payDeadlineMs + cancelBudgetMs;
  const step = Math.max(50, Math.min(queryIntervalMs, 1_000));
  while (Date.now() < until) {
    await sleep(step);
    const again = await deps.store.claimRequest(key, fp);
    if (again.status === 'replay') return decodeResult(again.response);
    if (again.status !== 'in-progress') return { rc: RC.DUPLICATE };
  }
  return { rc: RC.DUPLICATE };
}

/**
 * Makes a request's running work (just started by the caller, still on its stack) visible to
 * duplicates arriving meanwhile on this node. Takes the promise, not a thunk: a thunk closing over
 * the caller's arguments cost a closure and a context per request.
 */
export function exclusive(
  deps: FlowDeps,
  key: RequestKey,
  running: Promise<TransactionResult>,
): Promise<TransactionResult> {
  const entry = deps.inflight.enter(keyString(key), running);
  // Registered before the caller's own reaction, so the entry is gone when the caller resumes (as
  // with an async wrapper's finally, without its extra promise). Handles the rejection of this
  // branch only; the caller still gets it through `running`.
  const done = () => deps.inflight.leave(entry);
  running.then(done, done);
  return running;
}
