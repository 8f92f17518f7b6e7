// Responses built from an order, and the one way a flow finishes one: the state change and the
// stored answer (for replays) in a single store step. When something else moved the order first —
// a reversal, a wallet notification, recovery — the box gets the answer for the order as it is now.
import type { ChannelResult } from '../channels/channel.js';
import type { TransactionResult } from '../server/dispatcher.js';
import type { Order, RequestKey, TransitionInput } from '../store/store.js';
import type { FlowDeps } from './context.js';
import { QUERY_STATE_CODES } from './outcome-codes.js';
import { RC } from './response-codes.js';
import { encodeResult } from './stored-answer.js';
import { authId, WALLET_OPERATOR, walletTags } from './wallet.js';

/** 00 for a payment: 37, 38, 59.A7/A8, 63.1 (§4 B2C sale). */
export function approved(order: Order, result?: ChannelResult): TransactionResult {
  const auth = authId(order, result);
  const tags = walletTags(order.wallet, result?.channelOrderId ?? order.channelOrderId);
  // The usual answer as one literal: adding 59 and 63 to a {37, 38} literal grew its element store twice.
  if (tags && order.wallet) {
    return { rc: RC.APPROVED, fields: { 37: order.rrn, 38: auth, 59: tags, 63: WALLET_OPERATOR[order.wallet] } };
  }
  const fields: Record<number, string> = { 37: order.rrn, 38: auth };
  if (tags) fields[59] = tags;
  if (order.wallet) fields[63] = WALLET_OPERATOR[order.wallet];
  return { rc: RC.APPROVED, fields };
}

/** Any other answer about an order: 37 and 59.A7/A8, with A9 = the wallet's code for the screen. */
export function refused(rc: string, order: Order, walletCode?: string, result?: ChannelResult): TransactionResult {
  const tags = walletTags(order.wallet, result?.channelOrderId ?? order.channelOrderId, { result: walletCode });
  return { rc, fields: tags ? { 37: order.rrn, 59: tags } : { 37: order.rrn } };
}

/** The answer an order's current state gives the request that created it. */
export function answerFor(order: Order): TransactionResult {
  const code = QUERY_STATE_CODES[order.state];
  if (code === RC.APPROVED) return approved(order);
  const note = order.events.at(-1)?.note;
  if (code === RC.DECLINED) return refused(RC.DECLINED, order, note);
  // Still pending: a C2B order waits for the customer; money in flight is unknown to the box.
  return refused(order.kind === 'precreate' ? RC.IN_PROGRESS : RC.WALLET_TIMEOUT_UNKNOWN, order, note);
}

/**
 * Moves the order and stores `result` as the request's answer in one step. On a conflict the answer
 * comes from the current order (or `onConflict`) and is stored on its own.
 */
export async function finish(
  deps: FlowDeps,
  order: Order,
  request: RequestKey,
  change: Omit<TransitionInput, 'response'>,
  result: TransactionResult,
  onConflict: (current: Order) => TransactionResult = answerFor,
): Promise<TransactionResult> {
  // The change's fields written out rather than spread: a spread builds the object key by key.
  const r = await deps.store.transition(order, {
    from: change.from,
    to: change.to,
    patch: change.patch,
    note: change.note,
    push: change.push,
    nextCheckAt: change.nextCheckAt,
    now: change.now,
    response: { request, bytes: encodeResult(result) },
    statusOnly: true,
  });
  if (r.status === 'ok') return result;
  const answer = r.status === 'conflict' ? onConflict(r.order) : { rc: RC.SYSTEM_MALFUNCTION };
  deps.logger.info(
    { rrn: order.rrn, wanted: change.to, found: r.status === 'conflict' ? r.order.state : r.status },
    'order moved meanwhile',
  );
  await deps.store.completeRequest(request, encodeResult(answer));
  return answer;
}

/** Answers a request that created no order (or changed none) and stores the answer for replays. */
export async function complete(
  deps: FlowDeps,
  request: RequestKey,
  result: TransactionResult,
): Promise<TransactionResult> {
  await deps.store.completeRequest(request, encodeResult(result));
  return result;
}
