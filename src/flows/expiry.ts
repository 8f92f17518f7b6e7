// C2B expiry: an order nobody paid is closed at the wallet once it is older than the configured
// expiry — and never sooner than the wallet allows (WeChat Pay: 5 minutes after creation, §7). A
// close the wallet refuses because the customer paid meanwhile turns into a payment.
import type { Order } from '../store/store.js';
import { applyC2bResult } from './c2b.js';
import type { FlowDeps } from './context.js';
import { within } from './pending.js';
import type { WalletRoute } from './wallet.js';

/** When the order may be closed: its expiry, or the wallet's earliest close if that is later. */
export function closeDueAt(deps: FlowDeps, order: Order): number {
  const floor = order.wallet ? deps.timing.closeNotBeforeMs[order.wallet] : 0;
  return order.createdAt + Math.max(deps.timing.c2bExpiryMs, floor);
}

/** Closes an expired order; returns the order as it is afterwards (unchanged if not due or unknown). */
export async function expireC2b(deps: FlowDeps, route: WalletRoute, order: Order): Promise<Order> {
  if (Date.now() < closeDueAt(deps, order)) return order;
  const ref = { account: route.account, outTradeNo: order.outTradeNo };
  const r = await within(route.channel.close(ref), deps.timing.cancelBudgetMs);
  if (r?.outcome === 'success' || (r?.outcome === 'failed' && r.reason === 'not-found')) {
    return applyC2bResult(deps, order, 'closed', 'poll');
  }
  if (r?.outcome === 'failed' && r.reason === 'order-paid') {
    const q = await within(route.channel.query(ref), deps.timing.cancelBudgetMs);
    if (q?.outcome === 'success') return applyC2bResult(deps, order, 'paid', 'poll', q.channelOrderId);
  }
  return order;
}
