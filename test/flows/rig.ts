// A whole boxfep on loopback for the flow tests: startBoxfep with in-process wallet sandboxes, short
// deadlines and intervals, one provisioned terminal, and box emulators that sign on to it. The store
// is the memory one or the real Redis at 127.0.0.1:6379 under a key prefix unique to the run.
import { randomBytes } from 'node:crypto';
import { Box } from '../../src/box/box.js';
import type { ServeConfig } from '../../src/config/serve-config.js';
import { createCryptoService } from '../../src/crypto/service.js';
import { type Boxfep, type BoxfepOptions, startBoxfep } from '../../src/runtime/boxfep.js';
import { createStore, type Store } from '../../src/store/store.js';
import { provisionTerminals } from '../../src/terminals/provisioning.js';
import type { MerchantLimits } from '../../src/terminals/types.js';

import { loopbackConfig, TEST_LMK, TMK } from '../helpers/loopback.js';
import { deleteRedisKeys } from '../helpers/redis.js';

export { TEST_LMK, TMK };
export const MID = '898000000000001';

export type Backend = 'memory' | 'redis';

/** 18-digit WeChat-style, 18-digit Alipay-style, 19-digit UnionPay-style codes ending in `last2`. */
export const wxCode = (last2: string) => `1345678901234567${last2}`;
export const alCode = (last2: string) => `2812345678901234${last2}`;
export const upCode = (last2: string) => `62123456789012345${last2}`;

export interface Rig {
  app: Boxfep;
  store: Store;
  port: number;
  /** A signed-on box for `tid` (provisioned on first use). */
  box(tid?: string, opts?: { ackPushes?: boolean; mid?: string }): Promise<Box>;
  setLimits(limits: MerchantLimits, tid?: string): Promise<void>;
  stop(): Promise<void>;
}

export interface RigOptions extends BoxfepOptions {
  config?: Partial<ServeConfig>;
}

let tidSeq = 0;
/** A TID unique within the process: tests of one file share nothing through the store. */
export const nextTid = () => `7${String(process.pid % 1000).padStart(3, '0')}${String(++tidSeq).padStart(4, '0')}`;

export async function startRig(backend: Backend, opts: RigOptions = {}): Promise<Rig> {
  const prefix = `bfflows:${randomBytes(4).toString('hex')}:`;
  const store =
    backend === 'memory'
      ? createStore('memory', { recoveryDelayMs: 2_000 })
      : createStore('redis://127.0.0.1:6379', { keyPrefix: prefix, recoveryDelayMs: 2_000 });
  const crypto = createCryptoService({ mode: 'inline', lmk: TEST_LMK });
  const config = loopbackConfig({
    payDeadlineMs: 800,
    queryIntervalMs: 60,
    walletTimeoutMs: 300,
    c2bExpiryMs: 60_000,
    drainMs: 1_000,
    ...opts.config,
  });
  const app = await startBoxfep(config, {
    store,
    crypto,
    admin: false,
    pushTickMs: 50,
    recoveryTickMs: 50,
    ...opts,
    timing: { c2bQueryIntervalMs: 200, pushResendMs: 300, pushOfflineRetryMs: 5_000, ...opts.timing },
    sandboxes: {
      wechat: { payDelayMs: 150, notifyRetryDelaysMs: [50, 100] },
      alipay: { payDelayMs: 150, notifyRetryDelaysMs: [50, 100] },
      unionpay: { payDelayMs: 150 },
      ...opts.sandboxes,
    },
  });
  const port = app.fep.boxPorts[0] as number;
  const boxes: Box[] = [];
  return {
    app,
    store,
    port,
    async box(tid = nextTid(), { mid = MID, ackPushes }: { ackPushes?: boolean; mid?: string } = {}) {
      if (!(await store.getTerminal(tid))) {
        await provisionTerminals(store, crypto, [{ tid, mid, tmk: TMK }]);
      }
      const box = await Box.connect({ port, tid, mid, tmk: TMK, replyTimeoutMs: 10_000, ackPushes });
      boxes.push(box);
      const on = await box.signOn();
      if (on.rc !== '00') throw new Error(`sign-on refused: ${on.rc}`);
      return box;
    },
    async setLimits(limits, tid) {
      for (const t of await store.listTerminals()) {
        if (tid !== undefined && t.tid !== tid) continue;
        await store.putTerminal({ ...t, merchant: { ...t.merchant, limits } });
      }
    },
    async stop() {
      for (const b of boxes) b.close();
      await app.stop();
      if (backend === 'redis') await deleteRedisKeys(prefix);
    },
  };
}

/** Polls `check` every 20 ms until it is truthy or `ms` pass. */
export async function eventually<T>(check: () => Promise<T> | T, ms = 5_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}
