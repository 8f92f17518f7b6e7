// A deployment in miniature for the recovery tests: wallet sandboxes in THIS process (so their ledgers
// outlive every boxfep and the test can read them), boxfep nodes as child processes (`boxfep serve
// --wallets FILE --store URL`) that can be SIGKILLed, and box emulators that connect to any node.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Box } from '../../src/box/box.js';
import type { Faults } from '../../src/channels/sandbox/faults.js';
import type { LedgerOrder } from '../../src/channels/sandbox/ledger.js';
import { Sandboxes } from '../../src/channels/sandboxes.js';
import { createCryptoService } from '../../src/crypto/service.js';
import { SANDBOX_ACCOUNTS } from '../../src/runtime/wallets.js';
import { createStore, FINAL_STATES, type Order, type Store } from '../../src/store/store.js';
import { provisionTerminals } from '../../src/terminals/provisioning.js';
import { repoRoot } from '../helpers/paths.js';

export const LMK_HEX = '0123456789ABCDEFFEDCBA98765432100123456789ABCDEFFEDCBA9876543210';
export const TMK = '0123456789ABCDEFFEDCBA9876543210';
export const MID = '898000000000001';

/** Payment codes whose last two digits pick the sandbox's behaviour (see test-codes.ts). */
export const wxCode = (last2: string) => `1345678901234567${last2}`;
export const alCode = (last2: string) => `2812345678901234${last2}`;

/** Short deadlines so a crashed order is due for recovery within seconds. */
export const NODE_FLAGS = [
  '--pay-deadline-ms',
  '1500',
  '--wallet-timeout-ms',
  '1000',
  '--query-interval-ms',
  '150',
  '--c2b-expiry-ms',
  '4000',
  '--c2b-query-interval-ms',
  '500',
  '--recovery-tick-ms',
  '200',
  '--recovery-lease-ms',
  '1500',
  '--drain-ms',
  '500',
];

export interface NodeProc {
  name: string;
  pid: number;
  boxPort: number;
  adminPort: number;
  notifyUrl: string;
  /** Resolves when the process exits, with its signal (SIGKILL after a crash point). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** /metrics text. */
  metrics(): Promise<string>;
  /** /readyz status code. */
  ready(): Promise<number>;
}

export interface World {
  storeUrl: string;
  /** The test's own client of the shared store: provisioning and checks. */
  store: Store;
  sandboxes: Sandboxes;
  nodes: NodeProc[];
  startNode(name: string, env?: Record<string, string>, extraFlags?: string[]): Promise<NodeProc>;
  /**
   * Provisions `tid` (once) and returns a box on `node`, signed on there — or, with `sameKeys`, using
   * the working keys it got at its last sign-on on any node (keys live in the shared store).
   */
  box(node: NodeProc, tid: string, opts?: { stan?: number; sameKeys?: boolean; mid?: string }): Promise<Box>;
  ledger(): LedgerOrder[];
  /** Stops every node still running (a subtest's teardown: a failed test must not leave a lease holder). */
  stopNodes(): Promise<void>;
  close(): Promise<void>;
}

const crypto = createCryptoService({ mode: 'inline', lmk: Buffer.from(LMK_HEX, 'hex') });

/** Wallet behaviour shared by the three sandboxes: fault injection and its seed. */
export interface WorldWallets {
  faults?: Partial<Faults>;
  seed?: number;
}

export async function startWorld(storeUrl: string, wallets: WorldWallets = {}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'bf-world-'));
  const fast = { payDelayMs: 400, notifyRetryDelaysMs: [100, 300, 1_000, 2_000, 4_000], ...wallets };
  const sandboxes = new Sandboxes({ wechat: fast, alipay: fast, unionpay: { payDelayMs: 400, ...wallets } });
  const d = await sandboxes.start();
  const walletsFile = join(dir, 'wallets.json');
  writeFileSync(
    walletsFile,
    JSON.stringify({
      wechat: { ...d.wechat, account: SANDBOX_ACCOUNTS.WX },
      alipay: { ...d.alipay, account: SANDBOX_ACCOUNTS.AL },
      unionpay: { ...d.unionpay, account: SANDBOX_ACCOUNTS.UP },
    }),
  );
  const store = createStore(storeUrl, { commandTimeoutMs: 2_000 });
  const nodes: NodeProc[] = [];
  const boxes: Box[] = [];
  const provisioned = new Set<string>();
  const field62 = new Map<string, { hex: string; batch: string }>();
  const stopNodes = async () => {
    for (const b of boxes.splice(0)) b.close();
    await Promise.all(nodes.splice(0).map((n) => n.kill('SIGTERM')));
  };
  return {
    storeUrl,
    store,
    sandboxes,
    nodes,
    async startNode(name, env = {}, extraFlags = []) {
      const node = await spawnNode(name, storeUrl, walletsFile, env, extraFlags);
      nodes.push(node);
      return node;
    },
    async box(node, tid, { stan, sameKeys = false, mid = MID } = {}) {
      if (!provisioned.has(tid)) {
        await provisionTerminals(store, crypto, [{ tid, mid, tmk: TMK }]);
        provisioned.add(tid);
      }
      const box = await Box.connect({ port: node.boxPort, tid, mid, tmk: TMK, replyTimeoutMs: 8_000, stan });
      boxes.push(box);
      const keys = field62.get(tid);
      if (sameKeys && keys) {
        box.keys.acceptField62(keys.hex);
        box.batch = keys.batch;
        return box;
      }
      const on = await box.signOn();
      if (on.rc !== '00') throw new Error(`sign-on refused: ${on.rc}`);
      field62.set(tid, { hex: on.message.fields[62] ?? '', batch: box.batch });
      return box;
    },
    ledger() {
      return [
        ...sandboxes.wechat.ledger.snapshot(),
        ...sandboxes.alipay.ledger.snapshot(),
        ...sandboxes.unionpay.ledger.snapshot(),
      ];
    },
    stopNodes,
    async close() {
      await stopNodes();
      await store.close();
      await sandboxes.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function spawnNode(
  name: string,
  storeUrl: string,
  walletsFile: string,
  env: Record<string, string>,
  extraFlags: string[],
): Promise<NodeProc> {
  const args = [
    join(repoRoot, 'dist/src/cli/main.js'),
    'serve',
    '--store',
    storeUrl,
    '--wallets',
    walletsFile,
    '--host',
    '127.0.0.1',
    '--box-port',
    '0',
    '--admin-port',
    '0',
    '--notify-port',
    '0',
    '--crypto',
    'inline',
    '--demo',
    'false',
    ...NODE_FLAGS,
    ...extraFlags,
  ];
  const child: ChildProcess = spawn(process.execPath, args, {
    env: { ...process.env, BOXFEP_LMK: LMK_HEX, BOXFEP_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4_000);
  });
  const lines = createInterface({ input: child.stdout! });
  const started = new Promise<{ boxPort: number; adminPort: number; notifyUrl: string }>((resolve, reject) => {
    let notifyUrl = '';
    lines.on('line', (line) => {
      if (!line.startsWith('{')) return;
      const rec = JSON.parse(line) as { msg?: string; notify?: string; box?: number[]; admin?: number };
      if (rec.msg === 'flows ready' && rec.notify) notifyUrl = rec.notify;
      if (rec.msg === 'boxfep serving' && rec.box && rec.admin) {
        resolve({ boxPort: rec.box[0]!, adminPort: rec.admin, notifyUrl });
      }
    });
    void exited.then((e) => reject(new Error(`node ${name} exited at start (${e.code ?? e.signal}): ${stderr}`)));
  });
  const timeout = sleep(15_000).then(() => {
    throw new Error(`node ${name} did not start within 15 s: ${stderr}`);
  });
  const ports = await Promise.race([started, timeout]);
  const admin = `http://127.0.0.1:${ports.adminPort}`;
  return {
    name,
    pid: child.pid!,
    ...ports,
    exited,
    async kill(signal = 'SIGKILL') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await Promise.race([exited, sleep(5_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
    async metrics() {
      return (await fetch(`${admin}/metrics`)).text();
    },
    async ready() {
      return (await fetch(`${admin}/readyz`)).status;
    },
  };
}

/** The value of one series in Prometheus text (0 when absent). */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}

/** Polls `check` every 50 ms until truthy or `ms` pass. */
export async function eventually<T>(check: () => Promise<T> | T, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve()
      .then(check)
      .catch(() => undefined as T);
    if (v || Date.now() > until) return v;
    await sleep(50);
  }
}

/** A request a box sent, by the key the store files its order under. */
export interface SentRequest {
  tid: string;
  batch: string;
  stan: string;
}

export interface Consistency {
  /** Our orders for the requests, as stored. */
  orders: Order[];
  /** Human-readable violations; empty when consistent. */
  problems: string[];
}

/** What a ledger state must correspond to in boxfep's record. */
const AGREES: Record<string, readonly string[]> = {
  paid: ['paid', 'partially_refunded', 'refunded'],
  reversed: ['cancelled', 'closed', 'failed'],
  closed: ['closed', 'cancelled'],
  failed: ['failed', 'cancelled'],
};

/**
 * The ledger against the store: every request's order is final; every wallet order belongs to one of
 * our orders and agrees with it (none paid without a record, none recorded paid but unpaid); no box
 * request paid twice (two wallet orders paid for one request); and money in equals money recorded.
 */
export async function checkConsistency(world: World, sent: SentRequest[]): Promise<Consistency> {
  const problems: string[] = [];
  const orders: Order[] = [];
  for (const r of sent) {
    const o = await world.store.getOrderByRequest(r.tid, MID, r.batch, r.stan);
    if (!o) continue; // the request never reached the store (refused, or the node died before)
    orders.push(o);
    if (!FINAL_STATES.includes(o.state)) problems.push(`${o.rrn} (${o.kind}) left ${o.state}`);
  }
  const byOutTradeNo = new Map(orders.map((o) => [o.outTradeNo, o]));
  const sentKeys = new Set(sent.map((r) => `${r.tid}|${r.batch}|${r.stan}`));
  const paidPerRequest = new Map<string, number>();
  let walletNet = 0;
  for (const l of world.ledger()) {
    const ours = byOutTradeNo.get(l.outTradeNo) ?? (await world.store.getOrderByOutTradeNo(l.outTradeNo));
    if (!ours) {
      if (l.state === 'paid' || l.state === 'paying' || l.state === 'created') {
        problems.push(`wallet order ${l.outTradeNo} is ${l.state} with no record at boxfep`);
      }
      continue;
    }
    // Another scenario's order (its request is not among `sent`): not this check's business. An order
    // that is not the one on file for its own request would mean a request paid twice: kept.
    if (!sentKeys.has(`${ours.tid}|${ours.batch}|${ours.stan}`)) continue;
    walletNet += l.state === 'paid' ? l.amountFen - l.refundedFen : 0;
    if (!AGREES[l.state]?.includes(ours.state)) {
      problems.push(`${ours.rrn}: wallet says ${l.state}, boxfep says ${ours.state}`);
    }
    if (l.state === 'paid') {
      const k = `${ours.tid}|${ours.batch}|${ours.stan}`;
      paidPerRequest.set(k, (paidPerRequest.get(k) ?? 0) + 1);
    }
  }
  for (const [k, n] of paidPerRequest) if (n > 1) problems.push(`request ${k} paid ${n} times`);
  const recordedNet = orders
    .filter((o) => o.kind !== 'refund' && o.kind !== 'void' && AGREES.paid!.includes(o.state))
    .reduce((s, o) => s + o.amountFen - o.refundedFen, 0);
  if (walletNet !== recordedNet) problems.push(`wallets hold ${walletNet} fen net, boxfep records ${recordedNet}`);
  return { orders, problems };
}
