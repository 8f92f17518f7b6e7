// Before a boxfep process opens its box listener, it serves a short burst of synthetic traffic
// through a scratch copy of itself, so that its first real boxes meet optimised code.
//
// Why: V8 compiles while it serves. A freshly started boxfep under the bench's 2,000 transactions/s
// ran its first 3–6 s of load at 90–96 % of a core on code not yet optimised, sales waited 0.25–1 s,
// and in a quarter of the runs some WeChat-style calls were refused `91` after a second in the
// wallet guard's queue (docs/performance.md, the cold start). A boxfep restarted at peak showed that
// to its boxes.
//
// The scratch copy runs the same code as the real one — framing, codec, MACs, the pipeline, the
// store, every flow, the wallet connectors, the logger's serialisation — and V8 keeps what it learns
// per function, not per instance, so the real one starts with it. Nothing else of the copy stays:
// it has its own memory store, crypto service, random LMK and TMKs, in-process wallet sandboxes,
// box and notify listeners on loopback (ports of this process's own, even in a cluster worker), a
// logger that writes nowhere, and its counts are taken off /metrics afterwards. Its boxes hold each
// kind of keys a fleet may have (session keys with either MAC, DUKPT TDES, DUKPT AES); in pool mode
// the DUKPT derivations run in the scratch copy's own worker thread, so the real pool's threads still
// compile theirs under the first real traffic (off the event loop): measured, a fresh thread's first 50
// DUKPT MACs take 16–17 ms more than 50 warm ones, once per thread (`npm run bench:crypto -- cold`),
// too little to warm the real pool for.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Box, type Reply } from '../box/box.js';
import type { BoxKeyOptions } from '../box/keys.js';
import { cryptoOptionsFrom } from '../config/crypto-options.js';
import type { ServeConfig } from '../config/serve-config.js';
import { createCryptoService } from '../crypto/service.js';
import { crashPointArmed } from '../flows/crash-points.js';
import type { IsoMessage } from '../iso8583/index.js';
import { createLogger, type Logger } from '../log/logger.js';
import { forgetTraffic } from '../metrics/forget-traffic.js';
import { createStore } from '../store/store.js';
import { provisionTerminals } from '../terminals/provisioning.js';
import { type Boxfep, startBoxfep } from './boxfep.js';

export interface WarmUpOptions {
  /** Synthetic transactions in all; 0 skips the warm-up. */
  transactions: number;
  /** The longest the warm-up may take, ms: it stops early rather than hold the start back. */
  maxMs: number;
  /** Boxes sending at once (default 16). */
  boxes?: number;
  /** The level the scratch copy logs at, to a stream that discards (default info, as serve). */
  logLevel?: string;
}

export interface WarmUpResult {
  /** Transactions sent (one whose exchange failed counts too, and in `unexpected`). */
  transactions: number;
  /** C2B result pushes the boxes received (one per precreate, when it came within the bound). */
  pushes: number;
  /** Answers other than the sandbox test codes ask for (none expected; a sign of a broken path). */
  unexpected: number;
  ms: number;
}

/**
 * The synthetic traffic, one cycle of 20 per box, close to the bench's default mix: sales on each
 * wallet (one waits for the customer's password, through the query loop), a C2B precreate whose push
 * follows, order queries, echoes, and a reversal of the box's last sale.
 */
type Step = 'sale-WX' | 'sale-AL' | 'sale-UP' | 'sale-paying' | 'precreate' | 'query' | 'echo' | 'reversal';
const CYCLE: readonly Step[] = [
  'sale-WX',
  'sale-UP',
  'sale-AL',
  'query',
  'sale-WX',
  'echo',
  'sale-UP',
  'precreate',
  'sale-AL',
  'sale-WX',
  'query',
  'sale-UP',
  'echo',
  'sale-paying',
  'sale-AL',
  'precreate',
  'sale-WX',
  'echo',
  'sale-UP',
  'reversal',
];

const MID = '898000000000000';

/** Sandbox test codes (src/channels/sandbox/test-codes.ts): 00–79 approve at once, 80–84 after two queries. */
const CODES = {
  'sale-WX': '134567890123456700',
  'sale-AL': '281234567890123400',
  'sale-UP': '6212345678901234500',
  'sale-paying': '134567890123456780',
} as const;

/** The scratch copy's timing: the customer pays a C2B order at once, a paying sale is queried soon. */
const SCRATCH_TIMING = { queryIntervalMs: 5, payDelayMs: 5 } as const;

/** Connections the scratch copy accepts (its boxes: 16 by default). */
const SCRATCH_CONNECTIONS = 1_024;

export async function warmUp(config: ServeConfig, opts: WarmUpOptions): Promise<WarmUpResult> {
  const started = performance.now();
  if (opts.transactions <= 0) return { transactions: 0, pushes: 0, unexpected: 0, ms: 0 };
  const deadline = started + opts.maxMs;
  const scratch: ServeConfig = {
    ...config,
    host: '127.0.0.1',
    boxPort: 0,
    adminPort: 0,
    notifyPort: 0,
    listeners: [],
    store: 'memory',
    workers: 1,
    sandbox: true,
    wallets: undefined,
    terminals: undefined,
    demo: false,
    // The deployment's connection caps are for its boxes: the scratch boxes all come from 127.0.0.1.
    maxConnections: SCRATCH_CONNECTIONS,
    maxConnectionsPerAddress: SCRATCH_CONNECTIONS,
    cryptoThreads: 1,
    keyCacheSize: 1_024,
    queryIntervalMs: SCRATCH_TIMING.queryIntervalMs,
  };
  const crypto = createCryptoService(cryptoOptionsFrom(scratch, randomBytes(32)));
  const store = createStore('memory');
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const logger = createLogger({ level: opts.logLevel ?? 'info' }, discard);
  const settings = { payDelayMs: SCRATCH_TIMING.payDelayMs };
  let app: Boxfep;
  try {
    app = await startBoxfep(scratch, {
      store,
      crypto,
      logger,
      admin: false,
      exclusiveListeners: true,
      sandboxes: { wechat: settings, alipay: settings, unionpay: settings },
    });
  } catch (err) {
    await crypto.close();
    await store.close();
    throw err;
  }
  const boxes: Box[] = [];
  let transactions = 0;
  let precreates = 0;
  let pushes = 0;
  let unexpected = 0;
  try {
    const port = app.fep.boxPorts[0] as number;
    const count = Math.max(1, Math.min(opts.boxes ?? 16, opts.transactions));
    const fleet = Array.from({ length: count }, (_, i) => scratchBox(String(90_000_001 + i), i));
    await provisionTerminals(
      store,
      crypto,
      fleet.map((b) => ({ tid: b.tid, mid: MID, keyMode: b.keyMode, mac: b.mac, tmk: b.tmk, bdk: b.bdk })),
    );
    const replyTimeoutMs = Math.max(1_000, opts.maxMs);
    for (const keys of fleet) {
      const box = await Box.connect({ port, mid: MID, replyTimeoutMs, ...keys });
      boxes.push(box);
      box.pushListener = (push) => {
        pushes++;
        if (push.macValid !== true || push.message.fields[39] !== '00') unexpected++;
      };
      if ((await box.signOn()).rc !== '00') unexpected++;
    }
    const more = () => transactions < opts.transactions && performance.now() < deadline;
    await Promise.all(
      boxes.map(async (box, b) => {
        let lastSale: IsoMessage | undefined;
        for (let i = b; more(); i++) {
          transactions++;
          const step = CYCLE[i % CYCLE.length];
          let reply: Reply;
          try {
            reply = await send(box, step, lastSale);
          } catch {
            // No reply in time, or the connection closed: this box is done; the count shows it.
            unexpected++;
            return;
          }
          if (reply.rc !== expectedRc(step) || reply.macValid === false) unexpected++;
          else if (step === 'precreate') precreates++;
          else if (step.startsWith('sale')) lastSale = reply.request;
          if (step === 'reversal') lastSale = undefined;
        }
      }),
    );
    // Each precreate's push follows within milliseconds (the scratch customer pays at once): wait for
    // them, within the bound, so that the notification and push paths are warm too.
    while (pushes < precreates && performance.now() < deadline) await sleep(5);
  } finally {
    for (const box of boxes) box.close();
    try {
      await app.stop();
    } finally {
      await forgetTraffic();
    }
  }
  return { transactions, pushes, unexpected, ms: Math.round(performance.now() - started) };
}

/**
 * A scratch box's terminal and keys: each kind a fleet may have, the default most (of every 8 boxes, 5
 * with session keys and the UnionPay ECB MAC, one each with X9.19, DUKPT TDES and DUKPT AES). A DUKPT
 * MAC costs a key derivation (in the crypto pool when there is one): a quarter of the boxes keeps the
 * warm-up within ~2.5 s. The keys are random, the KSNs' counters zero.
 */
function scratchBox(tid: string, i: number): BoxKeyOptions & { tid: string } {
  const key = () => randomBytes(16).toString('hex').toUpperCase();
  switch (i % 8) {
    case 5:
      return { tid, keyMode: 'session', mac: 'x9.19', tmk: key() };
    case 6:
      return { tid, keyMode: 'dukpt-tdes', bdk: key(), ksn: `FFFF${tid}00E00000` };
    case 7:
      return { tid, keyMode: 'dukpt-aes', bdk: key(), ksn: `${tid}${tid}00000000` };
    default:
      return { tid, keyMode: 'session', mac: 'cups-ecb', tmk: key() };
  }
}

function send(box: Box, step: Step, lastSale: IsoMessage | undefined): Promise<Reply> {
  switch (step) {
    case 'precreate':
      return box.precreate(1_000, 'WX');
    case 'echo':
      return box.echo();
    case 'query':
      return lastSale === undefined ? box.echo() : box.query(originalOf(lastSale, box));
    case 'reversal':
      return lastSale === undefined ? box.echo() : box.reverse(lastSale);
    default:
      return box.sale(1_000, CODES[step]);
  }
}

function originalOf(sale: IsoMessage, box: Box): { batch: string; stan: string } {
  return { batch: box.batch, stan: sale.fields[11] as string };
}

function expectedRc(step: Step): string {
  return step === 'precreate' ? '09' : '00';
}

/**
 * The warm-up `boxfep serve` runs (and each cluster worker): as configured, logged, and never in the
 * way of serving — a warm-up that fails leaves a warning and a cold start, not a process that does
 * not start.
 */
export async function warmUpBeforeServing(config: ServeConfig, logger: Logger): Promise<void> {
  if (config.warmUp <= 0) return;
  if (crashPointArmed()) {
    // The scratch copy runs the same flows: it would reach the crash point a test armed for real traffic.
    logger.info({ crashAt: process.env.BOXFEP_CRASH_AT }, 'warm-up skipped: a test crash point is armed');
    return;
  }
  try {
    const result = await warmUp(config, {
      transactions: config.warmUp,
      maxMs: config.warmUpMs,
      logLevel: logger.level,
    });
    if (result.unexpected > 0) logger.warn(result, 'warm-up: unexpected answers (serving anyway)');
    else logger.info(result, 'warmed up');
  } catch (err) {
    logger.warn({ err }, 'warm-up failed: serving cold');
  }
}
