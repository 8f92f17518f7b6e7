// A C2B order's result, however boxfep learned it (wallet notification, its own query, the box's
// order query): the state change and the 0620 push in one store step, then the push goes out. To a
// box connected to this node it goes out at once from the payload in hand, the step having stored it
// as sent (due again if unanswered): no listing and marking round trips first. Otherwise the push
// dispatcher finds it in the store (and relays it to the node holding the box).
import { c2bResultCells } from '../metrics/flows.js';
import type { Order, OrderState } from '../store/store.js';
import type { FlowDeps } from './context.js';
import { encodePush, pushMessage } from './push.js';
import { RC } from './response-codes.js';

/** A late success after boxfep closed an unpaid order is still accepted (§7). */
const FROM: Readonly<Record<'paid' | 'closed', readonly OrderState[]>> = {
  paid: ['created', 'paying', 'closed'],
  closed: ['created', 'paying'],
};

export async function applyC2bResult(
  deps: FlowDeps,
  order: Order,
  state: 'paid' | 'closed',
  source: 'notification' | 'poll' | 'query',
  channelOrderId?: string,
): Promise<Order> {
  if (!FROM[state].includes(order.state)) return order;
  const id = channelOrderId || order.channelOrderId;
  const payload = encodePush(pushMessage(order, state === 'paid' ? RC.APPROVED : RC.DECLINED, id));
  const sendNow = deps.pushes.get(order.tid) !== undefined ? deps.sendPush : undefined;
  const r = await deps.store.transition(order, {
    from: FROM[state],
    to: state,
    patch: id ? { channelOrderId: id } : undefined,
    note: source,
    push: sendNow ? { payload, nextAttemptAt: Date.now() + deps.timing.pushResendMs, sending: true } : { payload },
  });
  if (r.status !== 'ok') return r.status === 'conflict' ? r.order : order;
  c2bResultCells.of2(source, state).inc();
  deps.logger.info({ rrn: order.rrn, tid: order.tid, wallet: order.wallet, state, source }, 'C2B result');
  if (sendNow) sendNow({ mid: order.mid, tid: order.tid, rrn: order.rrn, payload });
  else deps.onPush?.(order.mid, order.tid, order.rrn);
  return r.order;
}
