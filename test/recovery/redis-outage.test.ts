// Redis stopped (SIGKILL) and restarted under load from box emulators: while it is down every request
// is answered 96 within a bounded time and /readyz says 503; when it is back boxfep recovers by itself
// (ioredis reconnects, the bus re-subscribes, recovery drains the backlog), and the books agree —
// nothing lost, nothing paid without a record. Prints how many 96 and how long recovery took.
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import type { Box } from '../../src/box/box.js';
import { saleRequest } from '../../src/box/messages.js';
import { FINAL_STATES } from '../../src/store/store.js';
import { startRedis } from './redis-procs.js';
import { checkConsistency, eventually, MID, type SentRequest, startWorld, wxCode } from './world.js';

const BOXES = 4;
const GAP_MS = 100;
const UP_MS = 2_000;
const DOWN_MS = 3_000;
const AFTER_MS = 4_000;

interface Shot extends SentRequest {
  sentAt: number;
  rc?: string;
  ms: number;
}

const redis = await startRedis();
const world = await startWorld(redis.url);
t.teardown(async () => {
  await world.close();
  await redis.destroy();
});

t.test('Redis down and back during load', async (t) => {
  const node = await world.startNode('outage');
  t.teardown(() => world.stopNodes());
  t.equal(await node.ready(), 200, 'ready before');
  const boxes: Box[] = [];
  for (let i = 0; i < BOXES; i++) boxes.push(await world.box(node, `8500000${i}`));

  const shots: Shot[] = [];
  const t0 = Date.now();
  const end = t0 + UP_MS + DOWN_MS + AFTER_MS;
  // Each box sends a sale every GAP_MS (closed loop: the next once the previous is answered).
  const load = boxes.map(async (box, b) => {
    for (let n = 0; Date.now() < end && n < 1_000; n++) {
      const stan = box.nextStan();
      const shot: Shot = { tid: box.tid, batch: box.batch, stan, sentAt: Date.now(), ms: 0 };
      shots.push(shot);
      const req = saleRequest({ tid: box.tid, mid: MID, batch: box.batch }, stan, 1_000 + b, wxCode('15'));
      const r = await box.exchange(req).catch(() => undefined);
      shot.rc = r?.rc;
      shot.ms = Date.now() - shot.sentAt;
      await sleep(GAP_MS);
    }
  });

  await sleep(UP_MS);
  const stoppedAt = Date.now();
  await redis.stop('SIGKILL');
  const notReady = await eventually(async () => (await node.ready()) === 503, DOWN_MS - 500);
  const notReadyMs = Date.now() - stoppedAt;
  t.ok(notReady, `/readyz 503 ${notReadyMs} ms after Redis died`);
  await sleep(Math.max(0, stoppedAt + DOWN_MS - Date.now()));
  const restartedAt = Date.now();
  await redis.start();
  const readyAgain = await eventually(async () => (await node.ready()) === 200, 8_000);
  const readyMs = Date.now() - restartedAt;
  t.ok(readyAgain, `/readyz 200 again ${readyMs} ms after Redis came back`);
  await Promise.all(load);

  const answered = shots.filter((s) => s.rc !== undefined);
  t.equal(answered.length, shots.length, `every one of ${shots.length} requests was answered (no hung socket)`);
  const slowest = Math.max(...shots.map((s) => s.ms));
  t.ok(slowest < 3_000, `slowest answer ${slowest} ms (Redis command timeout 1 s)`);
  const codes = new Set(shots.map((s) => s.rc));
  t.same(
    [...codes].filter((c) => c !== '00' && c !== '96'),
    [],
    `only 00 and 96: ${[...codes].join(',')}`,
  );
  const whileDown = shots.filter((s) => s.sentAt > stoppedAt + 200 && s.sentAt + s.ms < restartedAt);
  t.ok(whileDown.length > 0, `${whileDown.length} requests sent and answered while Redis was down`);
  t.ok(
    whileDown.every((s) => s.rc === '96'),
    'all of them 96',
  );
  const down96 = shots.filter((s) => s.rc === '96');
  const firstOk = shots.filter((s) => s.sentAt >= restartedAt && s.rc === '00').sort((a, b) => a.sentAt - b.sentAt)[0];
  const serviceMs = firstOk ? firstOk.sentAt + firstOk.ms - restartedAt : Number.NaN;
  t.ok(serviceMs < 5_000, `first approval ${serviceMs} ms after Redis came back`);
  const tail = shots.filter((s) => s.sentAt > end - 1_500);
  t.ok(tail.length > 0 && tail.every((s) => s.rc === '00'), `full service after: last ${tail.length} all 00`);
  const p = (xs: number[], q: number) => xs.sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * q))];
  t.comment(
    `outage numbers: ${shots.length} requests, ${down96.length} answered 96, ` +
      `96 latency p50 ${p(
        down96.map((s) => s.ms),
        0.5,
      )} ms / max ${Math.max(...down96.map((s) => s.ms))} ms, ` +
      `readyz 503 after ${notReadyMs} ms, ready again ${readyMs} ms and first 00 ${serviceMs} ms after restart`,
  );

  // Sales caught mid-way (order written, wallet paid, Redis gone before the answer) are finished by
  // recovery once Redis is back; then the books must agree.
  const final = await eventually(async () => {
    for (const s of shots) {
      const o = await world.store.getOrderByRequest(s.tid, MID, s.batch, s.stan);
      if (o && !FINAL_STATES.includes(o.state)) return false;
    }
    return true;
  }, 15_000);
  t.ok(final, 'backlog drained: every order final');
  const { orders, problems } = await checkConsistency(world, shots);
  t.same(problems, [], 'ledger and store agree: nothing lost, nothing paid without a record');
  for (const s of shots.filter((x) => x.rc === '00')) {
    const o = orders.find((x) => x.tid === s.tid && x.stan === s.stan);
    if (o?.state !== 'paid') t.fail(`${s.tid}/${s.stan} was approved but is ${o?.state}`);
  }
  t.pass(`${shots.filter((s) => s.rc === '00').length} approvals all recorded paid`);
  await node.kill('SIGTERM');
});

t.test('Redis hung (SIGSTOP): answers still leave within the command timeout', async (t) => {
  const node = await world.startNode('hung');
  t.teardown(() => world.stopNodes());
  const box = await world.box(node, '85100001');
  t.equal((await box.sale(700, wxCode('16'))).rc, '00', 'served before');
  redis.pause();
  const hungAt = Date.now();
  // Eight requests at once on two boxes: none may wait on Redis longer than the bounded time.
  const other = await world.box(node, '85100002').catch(() => undefined);
  t.equal(other, undefined, 'a sign-on needs the store: refused or failed, never hung');
  const replies = await Promise.all(
    [0, 1, 2, 3].map(async () => {
      const start = Date.now();
      const r = await box.sale(701, wxCode('17')).catch(() => undefined);
      return { rc: r?.rc, ms: Date.now() - start };
    }),
  );
  t.ok(
    replies.every((r) => r.rc === '96'),
    `all 96: ${replies.map((r) => r.rc).join(',')}`,
  );
  const slowest = Math.max(...replies.map((r) => r.ms));
  t.ok(slowest < 2_500, `slowest ${slowest} ms with Redis hung (1 s command timeout per store call)`);
  const notReady = await eventually(async () => (await node.ready()) === 503, 5_000);
  t.ok(notReady, `/readyz 503 within ${Date.now() - hungAt} ms`);
  redis.resume();
  const back = await eventually(
    async () => (await box.sale(702, wxCode('18')).catch(() => undefined))?.rc === '00',
    10_000,
  );
  t.ok(back, `served again ${Date.now() - hungAt} ms after the hang began`);
  t.comment(`hung Redis: 96 latency max ${slowest} ms`);
});
