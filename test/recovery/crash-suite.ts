// The crash suite, run against standalone Redis (test/recovery) and a 3-master Redis Cluster
// (test/cluster). For each dangerous point, a boxfep node with BOXFEP_CRASH_AT set SIGKILLs itself
// while sales and a C2B order are in flight; a fresh node on the same store takes over, and the
// wallet sandboxes' own ledgers — which outlived the crash — are checked against the store: every
// order final, none paid twice, none paid without a record, money in = money recorded. Boxes then
// retry what went unanswered and get answers that agree with the books.
import type { Test } from 'tap';
import type { Box } from '../../src/box/box.js';
import { precreateRequest, saleRequest } from '../../src/box/messages.js';
import { CRASH_POINTS, type CrashPoint } from '../../src/flows/crash-points.js';
import type { IsoMessage } from '../../src/iso8583/index.js';
import { FINAL_STATES } from '../../src/store/store.js';
import { alCode, checkConsistency, eventually, MID, type SentRequest, type World, wxCode } from './world.js';

interface Sent extends SentRequest {
  message: IsoMessage;
  boxIndex: number;
  kind: 'sale' | 'precreate';
  /** Field 39 of the answer, or undefined when none came (the node died first). */
  rc?: string;
}

/** Six B2C sales on two boxes (WeChat and Alipay, one "user paying" first) and one C2B order. */
function requests(boxes: Box[]): Sent[] {
  const codes = [wxCode('11'), alCode('12'), wxCode('81'), alCode('13'), wxCode('14'), alCode('82')];
  const out: Sent[] = [];
  codes.forEach((code, i) => {
    const box = boxes[i % 2]!;
    const stan = box.nextStan();
    const id = { tid: box.tid, mid: MID, batch: box.batch };
    out.push({ ...id, stan, message: saleRequest(id, stan, 100 + i, code), boxIndex: i % 2, kind: 'sale' });
  });
  const box = boxes[0]!;
  const stan = box.nextStan();
  const id = { tid: box.tid, mid: MID, batch: box.batch };
  out.push({ ...id, stan, message: precreateRequest(id, stan, 321, 'AL'), boxIndex: 0, kind: 'precreate' });
  return out;
}

export async function crashAt(
  t: Test,
  world: World,
  point: CrashPoint,
  tids: [string, string],
): Promise<SentRequest[]> {
  const a = await world.startNode(`A-${point}`, { BOXFEP_CRASH_AT: `${point}:2` });
  const boxes = [await world.box(a, tids[0]), await world.box(a, tids[1])];
  const sent = requests(boxes);
  // All at once: the second request to reach the point kills the node with the others mid-way.
  await Promise.all(
    sent.map((s) =>
      boxes[s.boxIndex]!.exchange(s.message).then(
        (r) => {
          s.rc = r.rc;
        },
        () => undefined,
      ),
    ),
  );
  const exit = await Promise.race([a.exited, new Promise((r) => setTimeout(r, 15_000, 'alive'))]);
  t.same(exit, { code: null, signal: 'SIGKILL' }, `node killed itself at ${point}`);
  const unanswered = sent.filter((s) => s.rc === undefined);
  t.ok(unanswered.length >= 1, `${unanswered.length} of ${sent.length} requests left without an answer`);

  // A fresh node on the same store; the boxes reconnect to it (an L4 balancer would send them anywhere).
  const b = await world.startNode(`B-${point}`);
  const again = [await world.box(b, tids[0], { stan: 500 }), await world.box(b, tids[1], { stan: 500 })];
  const allFinal = await eventually(async () => {
    for (const s of sent) {
      const o = await world.store.getOrderByRequest(s.tid, MID, s.batch, s.stan);
      if (o && !FINAL_STATES.includes(o.state)) return false;
    }
    return true;
  }, 20_000);
  t.ok(allFinal, 'every order that reached the store is final');

  // The C2B order: its result push reaches the box on the new node (after it reconnected).
  const c2b = sent.find((s) => s.kind === 'precreate')!;
  const c2bOrder = await world.store.getOrderByRequest(c2b.tid, MID, c2b.batch, c2b.stan);
  if (c2bOrder && (c2bOrder.state === 'paid' || c2bOrder.state === 'closed')) {
    const push = await again[0]!.nextPush(10_000).catch(() => undefined);
    t.equal(push?.message.fields[37], c2bOrder.rrn, `0620 for the ${c2bOrder.state} C2B order delivered on reconnect`);
    t.equal(push?.message.fields[39], c2bOrder.state === 'paid' ? '00' : '05', 'push result = the order state');
  }

  // The boxes retry what went unanswered: a stored answer is replayed, a request the dead node never
  // stored runs now. Either way the answer agrees with the order.
  for (const s of unanswered.filter((x) => x.kind === 'sale')) {
    const reply = await again[s.boxIndex]!.exchange(s.message);
    const o = await world.store.getOrderByRequest(s.tid, MID, s.batch, s.stan);
    t.ok(o, `${s.tid}/${s.stan}: an order exists after the retry`);
    t.equal(reply.message.fields[37], o?.rrn, `${s.tid}/${s.stan}: the retry names the same order`);
    t.equal(reply.rc === '00', o?.state === 'paid', `${s.tid}/${s.stan}: answer ${reply.rc} agrees with ${o?.state}`);
  }
  await a.kill();
  await b.kill('SIGTERM');
  return sent;
}

/** Every crash point in turn on one store, then the books of the whole run. */
export function crashSuite(t: Test, world: () => World): void {
  const all: SentRequest[] = [];
  CRASH_POINTS.forEach((point, i) => {
    t.test(`SIGKILL ${point}`, async (t) => {
      const w = world();
      t.teardown(() => w.stopNodes());
      const tids: [string, string] = [`81${i}00001`, `81${i}00002`];
      all.push(...(await crashAt(t, w, point, tids)));
    });
  });
  t.test('the books agree: ledger vs store after every crash', async (t) => {
    const { orders, problems } = await checkConsistency(world(), all);
    t.same(problems, [], 'no order uncertain, paid twice or paid without a record');
    const paid = orders.filter((o) => o.state === 'paid').length;
    t.ok(orders.length >= 15 && paid >= 1, `${orders.length} orders checked, ${paid} paid`);
    const byState: Record<string, number> = {};
    for (const o of orders) byState[o.state] = (byState[o.state] ?? 0) + 1;
    t.comment(`orders by state: ${JSON.stringify(byState)}`);
  });
}
