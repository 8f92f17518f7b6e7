// The closed set of results every wallet call ends in, and the wallet-independent reasons a call
// can fail. Connectors translate their wallet's own codes into these; the box response code for each
// lives in one table in src/flows (typed by `ReasonResponseCodes` below so no reason is forgotten).

/** What happened to the money, as far as the wallet told us. */
export type Outcome = 'success' | 'user-paying' | 'failed' | 'unknown';

/**
 * Why a call failed (outcome `failed`) or why its result is not known (outcome `unknown`).
 * The wallet's own code is kept beside it in `walletCode` for field 59.A9 and logs.
 */
export const WALLET_REASONS = [
  'insufficient-funds',
  'code-expired',
  'invalid-code',
  'user-cancelled',
  'order-paid',
  'order-closed',
  'order-reversed',
  'not-found',
  'refund-exceeds',
  'invalid-amount',
  'invalid-merchant',
  'declined',
  'system-error',
  'timeout',
  'bad-signature',
  'bad-response',
  'channel-unavailable',
] as const;

export type WalletReason = (typeof WALLET_REASONS)[number];

/** The shape src/flows fills in: one box response code (field 39) per reason. */
export type ReasonResponseCodes = Record<WalletReason, string>;

export function isWalletReason(value: string): value is WalletReason {
  return (WALLET_REASONS as readonly string[]).includes(value);
}
