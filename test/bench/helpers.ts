// Targets for the harness tests, all on loopback with ephemeral ports: a whole boxfep in this process
// (startBoxfep with its wallet sandboxes, memory store, inline crypto) provisioned with a bench fleet,
// and the echo server with an optional one-time stall.

import { type EchoServer, startEchoServer } from '../../bench/load/echo-server.js';
import type { FleetTerminal } from '../../bench/load/fleet.js';
import type { RunSpec } from '../../bench/load/generator.js';
import { createCryptoService } from '../../src/crypto/service.js';
import { startBoxfep } from '../../src/runtime/boxfep.js';
import { createStore } from '../../src/store/store.js';
import { provisionTerminals } from '../../src/terminals/provisioning.js';
import { loopbackConfig } from '../helpers/loopback.js';

const LMK = Buffer.from('00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF', 'hex');

export interface InProcessBoxfep {
  port: number;
  stop(): Promise<void>;
}

export async function startInProcessBoxfep(fleet: readonly FleetTerminal[]): Promise<InProcessBoxfep> {
  const store = createStore('memory');
  const crypto = createCryptoService({ mode: 'inline', lmk: LMK });
  await provisionTerminals(
    store,
    crypto,
    fleet.map((f) => ({ tid: f.tid, mid: f.mid, tmk: f.tmk })),
  );
  const config = loopbackConfig({ drainMs: 1_000 });
  const app = await startBoxfep(config, {
    store,
    crypto,
    admin: false,
    pushTickMs: 50,
    // The UnionPay host sends no notification: boxfep learns a C2B payment there by polling.
    timing: { pushResendMs: 1_000, c2bQueryIntervalMs: 200 },
    sandboxes: { wechat: { payDelayMs: 200 }, alipay: { payDelayMs: 200 }, unionpay: { payDelayMs: 200 } },
  });
  return { port: app.fep.boxPorts[0] as number, stop: () => app.stop() };
}

/** An echo server that, once `stallAfterMs` has passed since the first frame, holds every reply for `stallMs`. */
export async function startStallingEcho(stallAfterMs: number, stallMs: number): Promise<EchoServer> {
  let first: number | undefined;
  let stallEnds: number | undefined;
  let release: Promise<void> | undefined;
  return startEchoServer({
    delay: () => {
      const now = performance.now();
      first ??= now;
      if (stallEnds === undefined && now - first >= stallAfterMs) {
        stallEnds = now + stallMs;
        release = new Promise((r) => setTimeout(r, stallMs));
      }
      return stallEnds !== undefined && now < stallEnds ? release : undefined;
    },
  });
}

export function spec(overrides: Partial<RunSpec>): RunSpec {
  return {
    mode: 'open',
    ratePerSec: 200,
    arrivals: 'constant',
    concurrency: 4,
    warmupMs: 0,
    durationMs: 2000,
    mix: 'echo=1',
    wallets: ['WX', 'AL', 'UP'],
    seed: 1,
    startAt: Date.now(),
    drainMs: 3000,
    pushGraceMs: 0,
    check: false,
    ...overrides,
  };
}
