// What every flow is given: the store, the wallet channels, the live box connections for pushes,
// the timing rules and a logger. Built once by the runtime (src/runtime) and shared by all flows.
import type { Channel } from '../channels/channel.js';
import { DEFAULT_PAYMENT_CODE_RULES, type PaymentCodeRule } from '../channels/routing.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { PushRegistry } from '../server/push-registry.js';
import type { PendingPush, Store } from '../store/store.js';
import type { WalletAccount, WalletCode } from '../terminals/types.js';
import { InflightRequests } from './inflight.js';

export interface FlowTiming {
  /** B2C: time from the request to giving up on a paying customer and cancelling (§4, default 45 s). */
  payDeadlineMs: number;
  /** Pause between wallet queries while a payment is pending or unknown (default 3 s). */
  queryIntervalMs: number;
  /** Longest wait for the cancel after the deadline before answering 98 and leaving it to recovery. */
  cancelBudgetMs: number;
  /** C2B: an unpaid order is closed at the wallet this long after creation (default 5 min). */
  c2bExpiryMs: number;
  /** C2B: the earliest a wallet allows a close, per wallet (WeChat Pay: 5 min after creation). */
  closeNotBeforeMs: Record<WalletCode, number>;
  /** C2B: how often boxfep itself asks the wallet about a pending order (notifications come first). */
  c2bQueryIntervalMs: number;
  /** A 0620 not acknowledged within this is sent again (§4: 5 s). */
  pushResendMs: number;
  /** Next look at a push whose box is offline (a reconnect is noticed sooner, see PushDispatcher). */
  pushOfflineRetryMs: number;
}

export const DEFAULT_TIMING: FlowTiming = {
  payDeadlineMs: 45_000,
  queryIntervalMs: 3_000,
  cancelBudgetMs: 10_000,
  c2bExpiryMs: 300_000,
  closeNotBeforeMs: { WX: 300_000, AL: 0, UP: 0 },
  c2bQueryIntervalMs: 15_000,
  pushResendMs: 5_000,
  pushOfflineRetryMs: 30_000,
};

export interface FlowDeps {
  store: Store;
  /** The wallets boxfep can reach; a missing one answers `91`. */
  channels: Partial<Record<WalletCode, Channel>>;
  pushes: PushRegistry;
  timing: FlowTiming;
  /** Payment-code prefixes (§7). */
  paymentCodeRules: readonly PaymentCodeRule[];
  /** Accounts used for merchants that have none of their own at a wallet (service-provider mode, sandboxes). */
  defaultAccounts: Partial<Record<WalletCode, WalletAccount>>;
  /** C2B `AG` (one code for any wallet): the wallets tried in order. */
  aggregateWallets: readonly WalletCode[];
  logger: Logger;
  /** Requests executing on this node, by request key: a duplicate waits for the first copy. */
  inflight: InflightRequests;
  /** Called when an order has a new 0620 to send (set by the PushDispatcher). */
  onPush?: (mid: string, tid: string, rrn: string) => void;
  /**
   * Sends a new 0620 that the store already holds as being sent (a C2B result for a box connected to
   * this node: TransitionInput `push.sending`); set by the PushDispatcher.
   */
  sendPush?: (push: Pick<PendingPush, 'mid' | 'tid' | 'rrn' | 'payload'>) => void;
}

export interface FlowDepsInput extends Partial<Omit<FlowDeps, 'store' | 'pushes' | 'timing' | 'inflight'>> {
  store: Store;
  pushes: PushRegistry;
  timing?: Partial<FlowTiming>;
}

export function flowDeps(input: FlowDepsInput): FlowDeps {
  const timing = { ...DEFAULT_TIMING, ...input.timing };
  timing.closeNotBeforeMs = { ...DEFAULT_TIMING.closeNotBeforeMs, ...input.timing?.closeNotBeforeMs };
  return {
    channels: {},
    paymentCodeRules: DEFAULT_PAYMENT_CODE_RULES,
    defaultAccounts: {},
    aggregateWallets: ['WX', 'AL', 'UP'],
    ...input,
    timing,
    logger: input.logger ?? silentLogger,
    inflight: new InflightRequests(),
  };
}
