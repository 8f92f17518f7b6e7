// The 0620 payment-result push (§4): built when a C2B order is paid or closed and stored with the
// order's state change; sent at once if the box is connected, again every 5 s until the box answers
// 0630 (39 = 00, MAC checked by the pipeline), again as soon as the box reconnects, until the push
// expires with its 24 h TTL. Every node sends the pushes of the boxes connected to it: a result
// learned on a node the box is not connected to is announced on the node bus (PUSH_CHANNEL), and the
// node holding the box sends it at once; a box identified on a new connection gets its pushes then.
import { randomUUID } from 'node:crypto';
import { pack, unpack } from 'msgpackr';
import { buildField60, type IsoMessage } from '../iso8583/index.js';
import { pushAttemptCells, pushesAwaitingAckCell, pushesDue } from '../metrics/flows.js';
import type { NodeBus } from '../store/bus.js';
import type { Order, PendingPush } from '../store/store.js';
import type { FlowDeps } from './context.js';
import { amount12 } from './request.js';
import { walletTags } from './wallet.js';

/** 60.3 of a push: boxfep's private network management code (§4). */
export const PUSH_NET_CODE = '990';

/** 0620 for a C2B order: 3, 4, 11 and 60.2 of the precreate, 37, 39, 41, 42, 59.A7/A8. */
export function pushMessage(order: Order, rc: string, channelOrderId = order.channelOrderId): IsoMessage {
  const fields: Record<number, string> = {
    3: '000000',
    4: amount12(order.amountFen),
    11: order.stan,
    37: order.rrn,
    39: rc,
    41: order.tid,
    42: order.mid,
    60: buildField60({ type: '22', batch: order.batch, netCode: PUSH_NET_CODE }),
  };
  const tags = walletTags(order.wallet, channelOrderId);
  if (tags) fields[59] = tags;
  return { mti: '0620', fields };
}

export const encodePush = (m: IsoMessage): Uint8Array => pack(m.fields);
export const decodePush = (payload: Uint8Array): IsoMessage => ({ mti: '0620', fields: unpack(payload) });

type Kind = 'first' | 'resend' | 'reconnect' | 'relay';

/** What a send needs of a pending push. */
type PushRef = Pick<PendingPush, 'mid' | 'tid' | 'rrn' | 'payload'>;

/** Node-bus channel: `{"mid","tid"}` — "this box has pushes waiting; whoever holds it, send them". */
export const PUSH_CHANNEL = 'push';

export class PushDispatcher {
  /** Pushes awaiting a 0630 on this node, so a tick never sends one twice at once. */
  private readonly sending = new Set<string>();
  /** Boxes with pushes that found them offline: checked every tick for a reconnect. */
  private readonly offline = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private unsubscribe: (() => Promise<void>) | undefined;
  readonly owner = randomUUID();

  constructor(
    private readonly deps: FlowDeps,
    private readonly tickMs = 1_000,
    /** Other nodes on the same store; without one, only boxes connected here are served. */
    private readonly bus?: NodeBus,
  ) {
    deps.onPush = (mid, tid) => void this.flushTerminal(mid, tid, 'first');
    deps.sendPush = (push) => void this.send(push, 'first', true);
    deps.pushes.onBind((tid, mid) => void this.onBoxIdentified(tid, mid));
  }

  start(): void {
    this.timer ??= setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
    // After a bus outage, one pass catches up on announcements that were lost meanwhile.
    this.unsubscribe ??= this.bus?.subscribe(
      PUSH_CHANNEL,
      (m) => this.onAnnounced(m),
      () => void this.tick(),
    );
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
    await this.ticking;
  }

  /** Another node (or this one) announced pushes for a box: send them if the box is connected here. */
  private onAnnounced(message: string): void {
    let m: { mid?: unknown; tid?: unknown };
    try {
      m = JSON.parse(message);
    } catch {
      return;
    }
    if (typeof m.mid !== 'string' || typeof m.tid !== 'string') return;
    if (this.deps.pushes.get(m.tid)) void this.flushTerminal(m.mid, m.tid, 'relay');
  }

  /**
   * A box identified itself on a new connection here: its waiting pushes go out now. The pipeline
   * names the box's merchant (it has just read the terminal), so a reconnect storm reads no terminal
   * records here; a binder that does not know it costs a read.
   */
  private async onBoxIdentified(tid: string, knownMid: string | undefined): Promise<void> {
    try {
      const mid = knownMid ?? (await this.deps.store.getTerminal(tid))?.merchant.mid;
      if (mid !== undefined) await this.flushTerminal(mid, tid, 'reconnect');
    } catch (err) {
      this.deps.logger.warn({ err, tid }, 'push flush on reconnect failed');
    }
  }

  /** One pass: pushes due across all boxes, and every push of a box that came back. */
  tick(): Promise<void> {
    this.ticking ??= this.pass().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking;
  }

  private async pass(): Promise<void> {
    try {
      for (const [tid, mid] of [...this.offline]) {
        if (this.deps.pushes.get(tid)) {
          this.offline.delete(tid);
          await this.flushTerminal(mid, tid, 'reconnect');
        }
      }
      const due = await this.deps.store.listDuePushes(Date.now(), 200);
      pushesDue.set(due.length);
      await Promise.all(due.map((p) => this.send(p, p.attempts === 0 ? 'first' : 'resend')));
    } catch (err) {
      this.deps.logger.warn({ err }, 'push pass failed');
    }
  }

  /** Sends every pending push of one box (a new result, or the box reconnected). */
  async flushTerminal(mid: string, tid: string, kind: Kind): Promise<void> {
    try {
      const pending = await this.deps.store.listPushesForTerminal(mid, tid);
      await Promise.all(pending.map((p) => this.send(p, kind)));
    } catch (err) {
      this.deps.logger.warn({ err, tid }, 'push flush failed');
    }
  }

  /**
   * Sends one push and forgets it once the box approves it. `claimed`: the store already holds this
   * send as made (stored with the C2B result), so it is not marked first.
   */
  private async send(p: PushRef, kind: Kind, claimed = false): Promise<void> {
    const id = `${p.mid}|${p.tid}|${p.rrn}`;
    if (this.sending.has(id)) return;
    const { store, pushes, timing } = this.deps;
    if (!pushes.get(p.tid)) {
      // (A claimed push lands here only if its box left since the result was stored: counted twice then.)
      this.offline.set(p.tid, p.mid);
      await store.markPushSent(p.mid, p.tid, p.rrn, Date.now() + timing.pushOfflineRetryMs);
      // The box may be connected to another node: let that node send it now.
      const relayed =
        kind !== 'relay' && (await this.bus?.publish(PUSH_CHANNEL, JSON.stringify({ mid: p.mid, tid: p.tid })));
      pushAttemptCells.of2(kind, relayed ? 'relayed' : 'offline').inc();
      return;
    }
    this.sending.add(id);
    pushesAwaitingAckCell.inc();
    try {
      if (!claimed && !(await store.markPushSent(p.mid, p.tid, p.rrn, Date.now() + timing.pushResendMs))) return;
      const reply = await pushes.push(p.tid, decodePush(p.payload), timing.pushResendMs);
      if (reply?.fields[39] === '00') {
        await store.ackPush(p.mid, p.tid, p.rrn);
        pushAttemptCells.of2(kind, 'acked').inc();
      } else {
        pushAttemptCells.of2(kind, reply ? 'refused' : 'unanswered').inc();
        if (!pushes.get(p.tid)) this.offline.set(p.tid, p.mid);
      }
    } catch (err) {
      pushAttemptCells.of2(kind, 'error').inc();
      this.deps.logger.warn({ err, tid: p.tid, rrn: p.rrn }, 'push failed');
    } finally {
      this.sending.delete(id);
      pushesAwaitingAckCell.dec();
    }
  }
}
