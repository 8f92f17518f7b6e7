// A C2B precreate's whole cost with nothing between the parties: boxes, boxfep and the wallet
// sandboxes in one process, a closed loop per box of precreate (0200 → 09 with the QR code) → the
// customer pays in the sandbox → the result reaches boxfep (WX: the sandbox's signed notification to
// boxfep's notify port; UP: boxfep's own poll of the host) → the 0620 push → the box's MACed 0630.
// Like sale-inprocess.ts: a CPU profile or a sampling heap profile of the measured window, or a
// fixed count of precreates with callgrind's instrumentation switched on for them only.
//
//   node dist/bench/profile/precreate-inprocess.js [WX|UP|AL|WX,UP] [cpu|heap|survivors|none] [seconds] [outDir]
//   valgrind --tool=callgrind --instr-atstart=no --separate-threads=yes \
//     node dist/bench/profile/precreate-inprocess.js WX callgrind [count]
//
// BOXFEP_DIST=/other/checkout/dist runs the same loop against another build's boxfep (its
// test/flows/rig.js), for A/B pairs with a build that predates this script.
//
// The sandbox customer pays 50 ms after the order is made (WX: well after boxfep's 09, as with the
// real 1 s; the notification then finds the order `paying`); UP orders are polled 150 ms after the
// precreate (the real 15 s is too slow for a closed loop), so the first poll finds them paid.
// PRECREATE_BOXES sets the number of boxes (default 100; 4 under callgrind).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as BoxModule from '../../src/box/box.js';
import type * as CryptoModule from '../../src/crypto/service.js';
import type * as ProvisioningModule from '../../src/terminals/provisioning.js';
import type * as RigModule from '../../test/flows/rig.js';
import { type ProfileMode, WindowProfile } from './window-profile.js';

/** A module of this build, or of BOXFEP_DIST's. */
const load = <M>(path: string): Promise<M> =>
  import(
    process.env.BOXFEP_DIST
      ? pathToFileURL(resolve(process.env.BOXFEP_DIST, path)).href
      : pathToFileURL(resolve(import.meta.dirname, '../..', path)).href
  );
const { startRig, nextTid, MID, TMK, TEST_LMK } = await load<typeof RigModule>('test/flows/rig.js');
const { Box } = await load<typeof BoxModule>('src/box/box.js');
const { createCryptoService } = await load<typeof CryptoModule>('src/crypto/service.js');
const { provisionTerminals } = await load<typeof ProvisioningModule>('src/terminals/provisioning.js');

/** Boxes in the closed loop (PRECREATE_BOXES): fewer on a busy machine, where 100 can queue wallet calls past the guard's 1 s. */
const BOXES = Number(process.env.PRECREATE_BOXES ?? 100);
/** Fewer under callgrind (~50× slower): with 100 the wallet calls queue past the guard's 1 s wait. */
const CALLGRIND_BOXES = 4;
const WARMUP_MS = 3_000;
/** Callgrind mode: precreates run before instrumentation starts (JIT warm-up). */
const CALLGRIND_WARMUP = 1_000;

type Wallet = 'UP' | 'WX' | 'AL';

/** Switches callgrind's instrumentation of this process on or off (no-op outside valgrind). */
function callgrind(on: boolean): Promise<void> {
  return new Promise((resolve) => {
    const p = spawn('callgrind_control', ['-i', on ? 'on' : 'off', String(process.pid)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    p.on('exit', () => resolve());
    p.on('error', () => resolve());
  });
}

async function main(): Promise<void> {
  const wallets = (process.argv[2] ?? 'WX').split(',') as Wallet[];
  const mode = process.argv[3] ?? 'cpu';
  const amount = Number(process.argv[4] ?? (mode === 'callgrind' ? 1000 : 5));
  const outDir = process.argv[5] ?? 'bench-results/profile';
  const okWallets = wallets.length > 0 && wallets.every((w) => ['UP', 'WX', 'AL'].includes(w));
  const okMode = ['cpu', 'heap', 'survivors', 'none', 'callgrind'].includes(mode);
  const okAmount = mode === 'callgrind' ? amount >= 1 && amount <= 100_000 : amount > 0 && amount <= 120;
  if (!okWallets || !okMode || !okAmount) {
    console.error(
      'usage: precreate-inprocess.js [WX|UP|AL|WX,UP] [cpu|heap|survivors|none] [seconds ≤ 120] [outDir]\n' +
        '       precreate-inprocess.js [WX|UP|AL|WX,UP] callgrind [count ≤ 100000]  (under valgrind)',
    );
    process.exit(2);
  }
  const slow = mode === 'callgrind';
  // Under callgrind on a shared machine a precreate can take seconds: no deadline may run out.
  // Background loops as in serve (push pass every 1 s), except that UP results need boxfep's poll:
  // then the resolver ticks every 100 ms and polls 150 ms after the precreate. Without UP, polls come
  // after 15 s as in serve, so notifications alone settle the orders. (Ticks cost CPU per second, not
  // per precreate: at the rig's 50 ms they were a part of every count that varied with the run's speed.)
  const polled = wallets.includes('UP');
  const rig = await startRig('memory', {
    config: { payDeadlineMs: 10_000, walletTimeoutMs: slow ? 60_000 : 5_000 },
    pushTickMs: 1_000,
    recoveryTickMs: polled ? 100 : 1_000,
    timing: { c2bQueryIntervalMs: polled ? 150 : 15_000, pushResendMs: slow ? 60_000 : 5_000 },
    sandboxes: {
      wechat: { payDelayMs: 50 },
      alipay: { payDelayMs: 50 },
      unionpay: { payDelayMs: 50 },
    },
  });
  let boxes: BoxModule.Box[] = [];
  try {
    // Boxes made here rather than by rig.box(): its 10 s reply timeout is too short under callgrind.
    const crypto = createCryptoService({ mode: 'inline', lmk: TEST_LMK });
    const newBox = async () => {
      const tid = nextTid();
      await provisionTerminals(rig.store, crypto, [{ tid, mid: MID, tmk: TMK }]);
      const box = await Box.connect({
        port: rig.port,
        tid,
        mid: MID,
        tmk: TMK,
        replyTimeoutMs: slow ? 300_000 : 10_000,
      });
      const on = await box.signOn();
      if (on.rc !== '00') throw new Error(`sign-on refused: ${on.rc}`);
      return box;
    };
    boxes = await Promise.all(Array.from({ length: slow ? CALLGRIND_BOXES : BOXES }, newBox));
    let done = 0;
    let started = 0;
    let until = 0;
    let limit = Number.POSITIVE_INFINITY;
    // Amounts the customer pays (not ending in 99); every reply must be 09 and every push 00 with a
    // valid MAC, or the run stops.
    const loop = async (box: BoxModule.Box, i: number) => {
      while (performance.now() < until && started < limit) {
        const n = started++;
        const wallet = wallets[(n + i) % wallets.length] as Wallet;
        const reply = await box.precreate(100 + (n % 1000) * 2, wallet);
        if (reply.rc !== '09') throw new Error(`precreate answered ${reply.rc}`);
        const push = await box.nextPush(slow ? 120_000 : 10_000);
        if (push.message.fields[39] !== '00' || push.macValid !== true) throw new Error('bad push');
        if (push.message.fields[11] !== reply.request.fields[11]) throw new Error('push for another STAN');
        done++;
      }
    };
    const run = async (ms: number, count: number) => {
      done = 0;
      started = 0;
      limit = count;
      until = performance.now() + ms;
      await Promise.all(boxes.map(loop));
    };

    if (mode === 'callgrind') {
      await run(600_000, CALLGRIND_WARMUP);
      // Let the last 0630s of the warm-up land before counting.
      await new Promise((r) => setTimeout(r, 200));
      await callgrind(true);
      const t0 = performance.now();
      await run(600_000, amount);
      await new Promise((r) => setTimeout(r, 200));
      await callgrind(false);
      console.log(`${wallets.join(',')}: ${done} precreates counted in ${Math.round(performance.now() - t0)} ms`);
      return;
    }

    await run(WARMUP_MS, Number.POSITIVE_INFINITY);
    const profile = await WindowProfile.start(mode as ProfileMode);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run(amount * 1000, Number.POSITIVE_INFINITY);
    const cpu = process.cpuUsage(cpu0);
    const seconds = (performance.now() - t0) / 1000;
    const written = await profile.stop(outDir, `precreate-${wallets.join('+')}`);
    console.log(
      `${wallets.join(',')}: ${done} precreates in ${seconds.toFixed(1)} s (${Math.round(done / seconds)}/s), ` +
        `${((cpu.user + cpu.system) / done).toFixed(1)} µs CPU per precreate for boxes + boxfep + sandboxes` +
        `${written ? `; wrote ${written}` : ''}`,
    );
  } finally {
    for (const b of boxes) b.close();
    await rig.stop();
  }
}

await main();
