// Verified wallet notifications (src/channels/notify-server.ts) → C2B order results. The event is
// persisted before the wallet gets its acknowledgement; a notification for an order boxfep does not
// know, or whose amount differs, is logged and acknowledged (retrying it cannot fix it).
import type { ChannelEvent } from '../channels/channel.js';
import { applyC2bResult } from './c2b.js';
import type { FlowDeps } from './context.js';

export function notificationHandler(deps: FlowDeps): (event: ChannelEvent) => Promise<void> {
  return async (event) => {
    if (event.state !== 'paid' && event.state !== 'closed') return;
    const order = await deps.store.getOrderByOutTradeNo(event.outTradeNo);
    if (order?.kind !== 'precreate') {
      deps.logger.warn({ wallet: event.wallet, outTradeNo: event.outTradeNo }, 'notification for no C2B order of ours');
      return;
    }
    if (order.amountFen !== event.amountFen || (order.wallet && order.wallet !== event.wallet)) {
      deps.logger.error(
        { rrn: order.rrn, wallet: event.wallet, ours: order.amountFen, theirs: event.amountFen },
        'notification does not match the order: not applied',
      );
      return;
    }
    await applyC2bResult(deps, order, event.state, 'notification', event.channelOrderId);
  };
}
