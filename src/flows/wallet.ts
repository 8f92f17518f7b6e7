// Which channel and merchant account serve an order, and the fields a response carries about the
// wallet: 59.A7 (wallet), A8 (its order id), A9 (its result code for the screen), 63.1 (WXP/ALP/CUP).
import type { Channel, ChannelResult } from '../channels/channel.js';
import { appendField59Item } from '../iso8583/index.js';
import type { Order } from '../store/store.js';
import type { MerchantRecord, WalletAccount, WalletCode } from '../terminals/types.js';
import type { FlowDeps } from './context.js';
import { RC } from './response-codes.js';

export interface WalletRoute {
  wallet: WalletCode;
  channel: Channel;
  account: WalletAccount;
}

/** The channel and account for `wallet`, or the response code when there is none (`91` / `03`). */
export function walletRoute(deps: FlowDeps, merchant: MerchantRecord, wallet: WalletCode): WalletRoute | string {
  const channel = deps.channels[wallet];
  if (!channel) return RC.WALLET_UNAVAILABLE;
  const account = merchant.wallets[wallet] ?? deps.defaultAccounts[wallet];
  if (!account) return RC.INVALID_MERCHANT;
  return { wallet, channel, account };
}

/** Like walletRoute for an existing order; throws when the order's wallet is gone (recovery retries later). */
export function orderRoute(deps: FlowDeps, merchant: MerchantRecord, order: Order): WalletRoute {
  const route = order.wallet ? walletRoute(deps, merchant, order.wallet) : RC.WALLET_UNAVAILABLE;
  if (typeof route === 'string') throw new Error(`order ${order.rrn}: no channel or account for ${order.wallet}`);
  return route;
}

/** 63.1 in responses (§2). */
export const WALLET_OPERATOR: Readonly<Record<WalletCode, string>> = Object.freeze({ WX: 'WXP', AL: 'ALP', UP: 'CUP' });

/** Printable ASCII only, short: A9 is shown on a small screen and must encode as `ans`. */
function screenText(code: string): string {
  return code.replace(/[^\x20-\x7e]/g, '').slice(0, 40);
}

/** 59.A6–A9 for a response or push; absent values are left out. */
export function walletTags(
  wallet: WalletCode | undefined,
  channelOrderId: string | undefined,
  extra?: { qr?: string; result?: string },
): string | undefined {
  // Appended item by item (as buildField59 would from a list): no list of pairs per response.
  let out = '';
  if (extra?.qr) out = appendField59Item(out, 'A6', extra.qr);
  if (wallet) out = appendField59Item(out, 'A7', wallet);
  if (channelOrderId) out = appendField59Item(out, 'A8', channelOrderId);
  if (extra?.result) {
    const text = screenText(extra.result);
    if (text) out = appendField59Item(out, 'A9', text);
  }
  return out === '' ? undefined : out;
}

/** 38 (auth id, an6): the wallet's order id's last six characters, else the RRN's. */
export function authId(order: Order, result?: ChannelResult): string {
  const id = (result?.channelOrderId ?? order.channelOrderId ?? '').replace(/[^0-9A-Za-z]/g, '');
  return (id.length >= 6 ? id : order.rrn).slice(-6);
}
