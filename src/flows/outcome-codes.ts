// The one table from wallet results and store refusals to field 39 (box-protocol.md §8). Every
// flow answers through it, so a reason can never map to two codes in two places.
import type { ReasonResponseCodes, WalletReason } from '../channels/outcomes.js';
import type { LimitBreach, OrderState } from '../store/store.js';
import { RC, type ResponseCode } from './response-codes.js';

/** Why a wallet call failed → the code the box shows. Typed so that a new reason cannot be forgotten. */
export const REASON_CODES: ReasonResponseCodes = Object.freeze({
  'insufficient-funds': RC.INSUFFICIENT_FUNDS,
  'code-expired': RC.INVALID_PAYMENT_CODE,
  'invalid-code': RC.INVALID_PAYMENT_CODE,
  'user-cancelled': RC.DECLINED,
  'order-paid': RC.DECLINED,
  'order-closed': RC.DECLINED,
  'order-reversed': RC.DECLINED,
  'not-found': RC.ORIGINAL_NOT_FOUND,
  'refund-exceeds': RC.REFUND_EXCEEDS_ORIGINAL,
  'invalid-amount': RC.INVALID_AMOUNT,
  'invalid-merchant': RC.INVALID_MERCHANT,
  declined: RC.DECLINED,
  'system-error': RC.SYSTEM_MALFUNCTION,
  timeout: RC.WALLET_TIMEOUT_UNKNOWN,
  'bad-signature': RC.SYSTEM_MALFUNCTION,
  'bad-response': RC.SYSTEM_MALFUNCTION,
  'channel-unavailable': RC.WALLET_UNAVAILABLE,
});

export function codeForReason(reason: WalletReason | undefined): string {
  return reason ? REASON_CODES[reason] : RC.DECLINED;
}

/** Merchant limits: amounts → `61`, counts → `65`. */
export const LIMIT_CODES: Readonly<Record<LimitBreach, ResponseCode>> = Object.freeze({
  'per-transaction': RC.EXCEEDS_AMOUNT_LIMIT,
  'daily-amount': RC.EXCEEDS_AMOUNT_LIMIT,
  'daily-count': RC.EXCEEDS_FREQUENCY_LIMIT,
});

/** Order query (§4): the original's state as field 39 — 00 paid, 09 pending, 05 failed/closed. */
export const QUERY_STATE_CODES: Readonly<Record<OrderState, ResponseCode>> = Object.freeze({
  created: RC.IN_PROGRESS,
  paying: RC.IN_PROGRESS,
  unknown: RC.IN_PROGRESS,
  paid: RC.APPROVED,
  partially_refunded: RC.APPROVED,
  refunded: RC.APPROVED,
  failed: RC.DECLINED,
  cancelled: RC.DECLINED,
  closed: RC.DECLINED,
});
