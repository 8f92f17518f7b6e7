// `boxfep serve --workers 2` on the real Redis at 127.0.0.1:6379 (a key prefix of its own, deleted at
// the end), as a child process on free ports: box connections spread over both workers, a sign-on on
// one worker serves a sale on the other, C2B pushes reach their boxes wherever the wallet's
// notification landed, one aggregated /metrics, a SIGKILLed worker is replaced, SIGTERM drains and
// exits 0. And the memory store refuses more than one worker.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import t from 'tap';
import { Box } from '../../src/box/box.js';
import { saleRequest } from '../../src/box/messages.js';
import { cliPath } from '../helpers/paths.js';
import { deleteRedisKeys } from '../helpers/redis.js';

const LMK_HEX = '0123456789ABCDEFFEDCBA98765432100123456789ABCDEFFEDCBA9876543210';
const TMK = '0123456789ABCDEFFEDCBA9876543210';
const MID = '898000000000001';
const TIDS = Array.from({ length: 10 }, (_, i) => `9100000${i}`);
const prefix = `bftest:workers:${process.pid}-${randomBytes(3).toString('hex')}:`;

const dir = mkdtempSync(join(tmpdir(), 'bf-workers-'));
const terminalsFile = join(dir, 'terminals.json');
writeFileSync(terminalsFile, JSON.stringify(TIDS.map((tid) => ({ tid, mid: MID, tmk: TMK }))));

interface Line {
  msg?: string;
  box?: number[];
  admin?: number;
  pids?: number[];
  pid?: number;
  worker?: number;
  transactions?: number;
  unexpected?: number;
}

const args = [
  cliPath,
  'serve',
  '--workers',
  '2',
  '--store',
  'redis://127.0.0.1:6379',
  '--store-prefix',
  prefix,
  '--terminals',
  terminalsFile,
  '--host',
  '127.0.0.1',
  '--box-port',
  '0',
  '--admin-port',
  '0',
  '--notify-port',
  '0',
  '--crypto-threads',
  '1',
  '--c2b-query-interval-ms',
  '60000',
  '--drain-ms',
  '1000',
];
const child: ChildProcess = spawn(process.execPath, args, {
  env: { ...process.env, BOXFEP_LMK: LMK_HEX, BOXFEP_LOG_LEVEL: 'info' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
  child.once('exit', (code, signal) => resolve({ code, signal })),
);
let stderr = '';
child.stderr?.on('data', (b: Buffer) => {
  stderr = (stderr + b.toString()).slice(-4_000);
});
const lines: Line[] = [];
createInterface({ input: child.stdout! }).on('line', (l) => {
  if (l.startsWith('{')) lines.push(JSON.parse(l) as Line);
});

const boxes: Box[] = [];
const redis = new Redis('redis://127.0.0.1:6379', { lazyConnect: true });
t.teardown(async () => {
  for (const b of boxes) b.close();
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await deleteRedisKeys(prefix, redis);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(check: () => Promise<T> | T, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve()
      .then(check)
      .catch(() => undefined as T);
    if (v || Date.now() > end) return v;
    await sleep(50);
  }
}

const serving = await until(() => lines.find((l) => l.msg === 'boxfep serving'), 20_000);
if (!serving) throw new Error(`boxfep --workers 2 did not start: ${stderr}`);
const boxPort = serving.box![0]!;
const admin = `http://127.0.0.1:${serving.admin}`;
const metrics = async () => (await fetch(`${admin}/metrics`)).text();

function value(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.split(' ').at(-1));
  }
  return sum;
}

const perWorker = async () => {
  const m = await metrics();
  return [1, 2].map((w) => value(m, 'boxfep_cluster_worker_connections', { worker: String(w) }));
};

/** Connects a box and tells which worker (slot) holds the connection, from the per-worker gauge. */
async function connect(tid: string): Promise<{ box: Box; worker: number }> {
  const before = await perWorker();
  const box = await Box.connect({ port: boxPort, tid, mid: MID, tmk: TMK, replyTimeoutMs: 8_000 });
  boxes.push(box);
  const worker = await until(async () => {
    const now = await perWorker();
    const i = now.findIndex((n, k) => n > before[k]!);
    return i >= 0 ? i + 1 : 0;
  });
  if (!worker) throw new Error('the new connection shows on no worker');
  return { box, worker };
}

t.test('the memory store refuses more than one worker (exit 2, says to use Redis)', async (t) => {
  const r = spawnSync(process.execPath, [cliPath, 'serve', '--workers', '2'], { encoding: 'utf8', timeout: 10_000 });
  t.equal(r.status, 2);
  t.match(r.stderr, /--workers 2 needs a shared store/);
  t.match(r.stderr, /--store redis:\/\//);
  t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
});

t.test('each worker warms up before it serves, on listeners of its own, and counts none of it', async (t) => {
  // Scratch listeners on port 0 in a worker are exclusive: shared through the primary, one worker's
  // warm-up boxes and wallet calls would land on the other's scratch copy and be refused.
  // Each process buffers its log lines (up to 250 ms): a worker's may come after the primary's 'serving'.
  const warmedUp = () => lines.filter((l) => l.msg === 'warmed up');
  await until(() => warmedUp().length >= 2, 5_000);
  const warmed = warmedUp();
  if (!t.same(warmed.map((l) => l.worker).sort(), [1, 2], 'both workers')) {
    t.comment(lines.filter((l) => /warm/.test(String(l.msg))));
  }
  // 2,000 transactions by default, fewer when the 5 s bound comes first (both workers share 2 cores).
  for (const l of warmed)
    t.ok(l.transactions! > 0 && l.unexpected === 0, `worker ${l.worker}: ${l.transactions} answered`);
  const m = await metrics();
  t.equal(value(m, 'boxfep_server_transactions_total'), 0, 'no warm-up transaction on /metrics');
  t.equal(value(m, 'boxfep_server_connections_accepted_total'), 0, 'nor its connections');
});

t.test('two workers, one box port, terminals provisioned once', async (t) => {
  t.equal(serving.pids?.length, 2, 'two worker pids');
  t.not(serving.pids?.[0], serving.pids?.[1]);
  t.equal(lines.filter((l) => l.msg === 'terminals upserted').length, 1, 'provisioned by the primary only');
  // Each worker writes its own lines; the primary's may come first.
  t.ok(await until(() => lines.filter((l) => l.msg === 'worker serving').length === 2), 'each worker serving');
  t.equal((await fetch(`${admin}/readyz`)).status, 200);
});

t.test('box connections land on both workers (round-robin)', async (t) => {
  const held: number[] = [];
  for (const tid of TIDS.slice(0, 4)) held.push((await connect(tid)).worker);
  t.ok(held.includes(1) && held.includes(2), `workers: ${held.join(',')}`);
  t.same(await perWorker(), [2, 2], 'two each');
  t.equal(value(await metrics(), 'boxfep_server_connections'), 4, 'the summed gauge counts them all');
  for (const b of boxes.splice(0)) b.close();
  t.ok(await until(async () => (await perWorker()).every((n) => n === 0)), 'closed everywhere');
});

t.test('signed on at one worker, a sale on the other', async (t) => {
  const tid = TIDS[4]!;
  const first = await connect(tid);
  const on = await first.box.signOn();
  t.equal(on.rc, '00', `signed on at worker ${first.worker}`);
  let second = await connect(tid);
  for (let i = 0; i < 4 && second.worker === first.worker; i++) second = await connect(tid);
  t.not(second.worker, first.worker, `second connection on worker ${second.worker}`);
  second.box.keys.acceptField62(on.message.fields[62] ?? '');
  second.box.batch = first.box.batch;
  const sale = await second.box.exchange(
    saleRequest({ tid, mid: MID, batch: second.box.batch }, '000200', 120, '134567890123456700'),
  );
  t.equal(sale.rc, '00', 'approved with the working keys from the other worker');
  t.equal(sale.macValid, true, 'reply MACed with them too');
  for (const b of boxes.splice(0)) b.close();
});

/** Precreates answered `09` in the C2B test (it runs as many rounds as it needs). */
let precreated = 0;

t.test('C2B pushes reach the box whichever worker took the notification', async (t) => {
  const before = await metrics();
  const mine: Array<{ box: Box; worker: number }> = [];
  for (const tid of TIDS.slice(5, 10)) mine.push(await connect(tid));
  // Sequential connects alternate, so both workers hold some of these boxes.
  t.ok(mine.some((c) => c.worker === 1) && mine.some((c) => c.worker === 2), mine.map((c) => c.worker).join(','));
  for (const { box } of mine) t.equal((await box.signOn()).rc, '00');
  // Each worker holds boxes of both wallets: a wallet's notifications may all come over one kept-alive
  // connection, so to one worker, and with a wallet's boxes all on one worker (as alternating wallets
  // over alternating workers gave) every notification could land where its box is: no relay at all.
  const held = new Map<number, number>();
  const wallets = mine.map(({ worker }) => {
    const k = held.get(worker) ?? 0;
    held.set(worker, k + 1);
    return k % 2 ? ('AL' as const) : ('WX' as const);
  });
  const pushesAckedBefore =
    value(before, 'boxfep_flows_push_attempts_total', { kind: 'first', outcome: 'acked' }) +
    value(before, 'boxfep_flows_push_attempts_total', { kind: 'relay', outcome: 'acked' });
  const pushesAcked = (m: string) =>
    value(m, 'boxfep_flows_push_attempts_total', { kind: 'first', outcome: 'acked' }) +
    value(m, 'boxfep_flows_push_attempts_total', { kind: 'relay', outcome: 'acked' }) -
    pushesAckedBefore;
  // A round: each box precreates and gets its push. Which worker takes a notification is the primary's
  // round-robin over the connections the wallets open, so a round may still deliver every one where its
  // box is; rounds go on until a push has crossed workers, at most four.
  let m = '';
  let relayed = 0;
  let rounds = 0;
  while (relayed === 0 && rounds < 4) {
    rounds++;
    const created = await Promise.all(mine.map(({ box }, i) => box.precreate(300 + i, wallets[i]!)));
    t.same(
      created.map((c) => c.rc),
      mine.map(() => '09'),
      `round ${rounds}: orders created`,
    );
    precreated += created.filter((c) => c.rc === '09').length;
    const pushes = await Promise.all(mine.map(({ box }) => box.nextPush(10_000)));
    for (const [i, p] of pushes.entries()) {
      t.equal(p.message.fields[37], created[i]!.message.fields[37], `push ${i} is for its order`);
      t.equal(p.message.fields[39], '00', 'paid');
      t.equal(p.macValid, true);
    }
    const acked = await until(async () => {
      const now = await metrics();
      return pushesAcked(now) === precreated ? now : undefined;
    });
    t.ok(acked, 'every push acknowledged, sent directly or relayed over the bus');
    m = acked ?? '';
    relayed = value(m, 'boxfep_flows_push_attempts_total', { kind: 'relay', outcome: 'acked' });
  }
  // A worker that applies a result for a box it does not hold announces it on the bus.
  t.ok(relayed >= 1, `${relayed} pushes crossed workers over the Redis bus (${rounds} round(s))`);
  // Every relay was announced. An announcement can also find nothing left to send: a due-push pass on
  // the worker without the box may list a new push while the worker holding the box is sending it
  // directly; by the time the announcement arrives the box has acknowledged it (seen once in CI).
  const announced = value(m, 'boxfep_flows_push_attempts_total', { kind: 'first', outcome: 'relayed' });
  t.ok(announced >= relayed, `${announced} announced for ${relayed} relayed`);
  t.equal(
    value(m, 'boxfep_flows_c2b_results_total', { source: 'notification', state: 'paid' }),
    precreated,
    'each result came from a notification',
  );
  for (const b of boxes.splice(0)) b.close();
});

t.test('/metrics is one aggregated view of both workers and the primary', async (t) => {
  const m = await metrics();
  t.equal(value(m, 'boxfep_cluster_workers'), 2);
  t.ok(precreated >= 5);
  t.equal(
    value(m, 'boxfep_server_transactions_total', { type: 'precreate', rc: '09' }),
    precreated,
    'summed over workers',
  );
  t.equal(value(m, 'boxfep_server_transactions_total', { type: 'sale', rc: '00' }), 1);
  t.equal(m.split('\n').filter((l) => l.startsWith('# TYPE boxfep_server_connections ')).length, 1, 'one family');
  t.equal(value(m, 'boxfep_ready'), 1, 'ready, once');
  t.ok(value(m, 'boxfep_process_resident_memory_bytes') > 0, 'process metrics summed');
});

t.test('a killed worker is replaced', async (t) => {
  const victim = serving.pids![0]!;
  process.kill(victim, 'SIGKILL');
  const restarted = await until(
    async () => value(await metrics(), 'boxfep_cluster_worker_restarts_total') === 1,
    15_000,
  );
  t.ok(restarted, 'restart counted');
  t.ok(
    await until(async () => lines.some((l) => l.msg === 'worker died: restarting' && l.pid === victim), 5_000),
    'logged with the pid',
  );
  t.ok(await until(async () => value(await metrics(), 'boxfep_cluster_workers') === 2, 15_000), 'two workers again');
  // Log lines are buffered (flushed every 250 ms), so the new worker's line may trail the metrics.
  const original = new Set(serving.pids);
  const replaced = () => lines.some((l) => l.msg === 'worker serving' && !original.has(l.pid as number));
  t.ok(await until(async () => replaced(), 5_000), 'a worker with a new pid is serving');
  const held: number[] = [];
  for (const tid of TIDS.slice(0, 2)) {
    const c = await connect(tid);
    t.equal((await c.box.echo()).rc, '00', `echo on worker ${c.worker}`);
    held.push(c.worker);
  }
  t.same(held.sort(), [1, 2], 'both slots serve again');
  t.equal((await fetch(`${admin}/readyz`)).status, 200);
});

t.test('SIGTERM drains every worker and exits 0', async (t) => {
  const open = boxes.length;
  t.ok(open > 0, 'boxes still connected');
  const closed = Promise.all(
    boxes.map(
      (b) =>
        new Promise<void>((resolve) => {
          const until = Date.now() + 8_000;
          const poll = () => (b.closed || Date.now() > until ? resolve() : setTimeout(poll, 20));
          poll();
        }),
    ),
  );
  const started = Date.now();
  child.kill('SIGTERM');
  const e = await Promise.race([exited, sleep(15_000).then(() => undefined)]);
  t.same(e, { code: 0, signal: null }, 'exit 0');
  // Seen once in a full run under load (exit 1, one 'worker stopped'): say what the processes said.
  if (e?.code !== 0) {
    t.comment(lines.filter((l) => /drain|stop|unclean|kill|died|exit/.test(String(l.msg))));
    // A worker that aborts (SIGABRT, seen once) loses its buffered log lines; its last words are on stderr.
    t.comment(stderr);
  }
  t.ok(Date.now() - started < 1_000 + 5_000, 'within the drain time');
  await closed;
  t.ok(
    boxes.every((b) => b.closed),
    'box connections closed by the drain',
  );
  t.equal(lines.filter((l) => l.msg === 'worker stopped').length, 2, 'both workers drained');
});
