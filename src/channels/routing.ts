// Which wallet a scanned payment code belongs to, by prefix and length (box protocol §7), and which
// of the merchant's wallet accounts pays it. Rules are data so deployments can add prefixes.
import type { MerchantRecord, WalletAccount, WalletCode } from '../terminals/types.js';

export interface PaymentCodeRule {
  wallet: WalletCode;
  /** Leading digits that identify the wallet, e.g. `['10', '11', … '15']`. */
  prefixes: string[];
  /** Accepted code lengths, in digits. */
  lengths: number[];
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

/** Protocol §7 defaults: WeChat 18 digits 10–15, Alipay 16–24 digits 25–30, UnionPay 19 digits 62. */
export const DEFAULT_PAYMENT_CODE_RULES: readonly PaymentCodeRule[] = Object.freeze([
  { wallet: 'WX', prefixes: range(10, 15), lengths: [18] },
  { wallet: 'AL', prefixes: range(25, 30), lengths: range(16, 24).map(Number) },
  { wallet: 'UP', prefixes: ['62'], lengths: [19] },
]);

export class RoutingError extends Error {
  override name = 'RoutingError';
  constructor(
    /** `invalid-code`: no wallet claims the code (box 14); `no-account`: the merchant has no account there (box 03). */
    readonly code: 'invalid-code' | 'no-account',
    message: string,
  ) {
    super(message);
  }
}

/** The wallet a payment code belongs to, or undefined when no rule matches. */
export function walletForPaymentCode(
  code: string,
  rules: readonly PaymentCodeRule[] = DEFAULT_PAYMENT_CODE_RULES,
): WalletCode | undefined {
  if (!/^[0-9]+$/.test(code)) return undefined;
  for (const rule of rules) {
    if (rule.lengths.includes(code.length) && rule.prefixes.some((p) => code.startsWith(p))) return rule.wallet;
  }
  return undefined;
}

export interface Route {
  wallet: WalletCode;
  account: WalletAccount;
}

/** Wallet and merchant account for a B2C payment code; throws RoutingError when there is none. */
export function routePaymentCode(
  code: string,
  merchant: MerchantRecord,
  rules: readonly PaymentCodeRule[] = DEFAULT_PAYMENT_CODE_RULES,
): Route {
  const wallet = walletForPaymentCode(code, rules);
  if (!wallet) throw new RoutingError('invalid-code', 'payment code matches no wallet');
  return { wallet, account: accountFor(merchant, wallet) };
}

/** The merchant's account at a wallet (C2B orders name the wallet directly, 59.A4). */
export function accountFor(merchant: MerchantRecord, wallet: WalletCode): WalletAccount {
  const account = merchant.wallets[wallet];
  if (!account) throw new RoutingError('no-account', `merchant ${merchant.mid} has no ${wallet} account`);
  return account;
}
