// Two boxfep nodes on one store (standalone Redis in test/recovery, a 3-master Cluster in
// test/cluster), as behind an L4 balancer: a wallet notification that lands on one node is pushed to
// the box connected to the other; working keys, idempotency, reversal tombstones and merchant limits
// hold across nodes; and when the node doing recovery is killed, the other takes its claim over.
import type { Test } from 'tap';
import { reversalRequest, saleRequest } from '../../src/box/messages.js';
import { FINAL_STATES } from '../../src/store/store.js';
import {
  alCode,
  checkConsistency,
  eventually,
  MID,
  metricValue,
  type NodeProc,
  type SentRequest,
  type World,
  wxCode,
} from './world.js';

export function nodesSuite(t: Test, world: () => World): void {
  t.test('a notification reaching node A is pushed to the box on node B', async (t) => {
    const w = world();
    t.teardown(() => w.stopNodes());
    // Only the wallet's notification can settle the order: no polling during the test.
    const slow = ['--c2b-query-interval-ms', '60000'];
    const a = await w.startNode('push-A', {}, slow);
    const b = await w.startNode('push-B', {}, slow);
    const onA = await w.box(a, '82000001');
    const created = await onA.precreate(555, 'AL');
    t.equal(created.rc, '09', 'order created through A (A is the notify URL the wallet was given)');
    const rrn = created.message.fields[37];
    // The box's connection moves to B before the customer pays (the sandbox pays after 400 ms).
    onA.close();
    const onB = await w.box(b, '82000001', { sameKeys: true, stan: 100 });
    const echo = await onB.echo();
    t.equal(echo.rc, '00', 'the box is identified on B');
    const push = await onB.nextPush(5_000);
    t.equal(push.message.fields[37], rrn, '0620 for the order arrives on B');
    t.equal(push.message.fields[39], '00', 'paid');
    t.equal(push.macValid, true, 'MACed with the keys from the sign-on on A');
    const o = await eventually(async () => {
      const x = await w.store.getOrder(MID, rrn ?? '');
      return x?.state === 'paid' ? x : undefined;
    });
    t.equal(o?.state, 'paid');
    const notified = await eventually(async () =>
      metricValue(await a.metrics(), 'boxfep_flows_c2b_results_total', { source: 'notification', state: 'paid' }),
    );
    t.equal(notified, 1, 'A learned the result from the notification');
    const relayed = await eventually(async () =>
      metricValue(await b.metrics(), 'boxfep_flows_push_attempts_total', { kind: 'relay', outcome: 'acked' }),
    );
    t.equal(relayed, 1, 'B sent it on A’s announcement and the box acknowledged it');
    const pending = await eventually(async () => (await w.store.listPushesForTerminal(MID, '82000001')).length === 0);
    t.ok(pending, 'no push left pending');
    await a.kill('SIGTERM');
    await b.kill('SIGTERM');
  });

  t.test('keys, duplicates, tombstones and limits hold across nodes', async (t) => {
    const w = world();
    t.teardown(() => w.stopNodes());
    const a = await w.startNode('idem-A');
    const b = await w.startNode('idem-B');
    const boxA = await w.box(a, '83000001');
    const boxB = await w.box(b, '83000001', { sameKeys: true, stan: 100 });
    const id = { tid: '83000001', mid: MID, batch: boxA.batch };

    const sale = saleRequest(id, '000050', 880, wxCode('21'));
    const first = await boxA.exchange(sale);
    t.equal(first.rc, '00', 'sale on A');
    const replay = await boxB.exchange(sale);
    t.equal(replay.rc, '00', 'the same request on B: MAC checked with keys from the sign-on on A');
    t.equal(replay.message.fields[37], first.message.fields[37], 'replayed, not executed again (same RRN)');
    const other = await boxB.exchange(saleRequest(id, '000050', 881, wxCode('21')));
    t.equal(other.rc, '94', 'same key, other content on B → 94');
    const atWallet = w.ledger().filter((l) => l.amountFen === 880 || l.amountFen === 881);
    t.equal(atWallet.length, 1, 'the wallet saw one payment');

    // A reversal on B before its original: the original arriving on A is refused, never executed.
    const late = saleRequest(id, '000051', 990, alCode('22'));
    const rev = await boxB.exchange(reversalRequest(late));
    t.equal(rev.rc, '00', 'reversal of an unseen sale on B → 00 and a tombstone');
    const refused = await boxA.exchange(late);
    t.equal(refused.rc, '94', 'the original on A → 94');
    t.equal(w.ledger().filter((l) => l.amountFen === 990).length, 0, 'and it never reached the wallet');

    // A merchant with a daily count of 3: six sales at once, three through each node.
    const limitedMid = '898000000000777';
    const limitedA = await w.box(a, '83000002', { mid: limitedMid });
    const limitedB = await w.box(b, '83000002', { mid: limitedMid, sameKeys: true, stan: 100 });
    const rec = await w.store.getTerminal('83000002');
    // The test's store is a third node: each node's terminal cache learns of its change by the
    // invalidation it publishes (docs/store.md, "The terminal cache"), so the sales go once both
    // nodes have heard it. Unchanged writes first, until both subscriptions are known to be in place.
    const heard = async (n: NodeProc) =>
      metricValue(await n.metrics(), 'boxfep_store_terminal_cache_invalidations_total');
    const bothHeard = async (write: () => Promise<void>) => {
      const before = [await heard(a), await heard(b)] as const;
      await write();
      return eventually(async () => (await heard(a)) > before[0] && (await heard(b)) > before[1], 1_000);
    };
    let live = false;
    for (let i = 0; i < 10 && !live; i++) live = await bothHeard(() => w.store.putTerminal(rec!));
    t.ok(live, "both nodes' terminal caches hear the store's invalidations");
    const limited = { ...rec!, merchant: { ...rec!.merchant, limits: { dailyCountMax: 3 } } };
    t.ok(await bothHeard(() => w.store.putTerminal(limited)), 'the limit reached both nodes');
    const rcs = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((i) =>
        (i % 2 ? limitedB : limitedA).sale(200 + i, wxCode(String(30 + i))).then((r) => r.rc),
      ),
    );
    t.equal(rcs.filter((rc) => rc === '00').length, 3, `exactly three approved across both nodes: ${rcs.join(' ')}`);
    t.equal(rcs.filter((rc) => rc === '65').length, 3, 'the rest refused 65 (frequency limit)');
    await a.kill('SIGTERM');
    await b.kill('SIGTERM');
  });

  t.test('node A dies holding the recovery claim: B takes over and finishes its order', async (t) => {
    const w = world();
    t.teardown(() => w.stopNodes());
    const a = await w.startNode('lease-A', { BOXFEP_CRASH_AT: 'after-wallet-accepted' });
    const holds = await eventually(
      async () => metricValue(await a.metrics(), 'boxfep_flows_recovery_runs_total', { result: 'ran' }) > 0,
    );
    t.ok(holds, 'A runs recovery');
    const b = await w.startNode('lease-B');
    const standby = await eventually(
      async () => metricValue(await b.metrics(), 'boxfep_flows_recovery_runs_total', { result: 'standby' }) > 0,
    );
    t.ok(standby, 'B stands by while A holds the claim');
    t.equal(metricValue(await b.metrics(), 'boxfep_flows_recovery_runs_total', { result: 'ran' }), 0, 'B never ran');

    const box = await w.box(a, '84000001');
    const sent: SentRequest = { tid: '84000001', batch: box.batch, stan: '000077' };
    const answer = await box
      .exchange(saleRequest({ tid: sent.tid, mid: MID, batch: sent.batch }, sent.stan, 4321, wxCode('23')))
      .catch(() => undefined);
    t.equal(answer, undefined, 'A died after the wallet took the money, before answering');
    const died = Date.now();
    t.same(await a.exited, { code: null, signal: 'SIGKILL' });
    const paidAtWallet = w.ledger().find((l) => l.amountFen === 4321);
    t.equal(paidAtWallet?.state, 'paid', 'the wallet holds the money');

    const took = await eventually(
      async () => metricValue(await b.metrics(), 'boxfep_flows_recovery_runs_total', { result: 'ran' }) > 0,
    );
    const takeoverMs = Date.now() - died;
    t.ok(took, `B took the claim over ${takeoverMs} ms after A died`);
    t.ok(takeoverMs < 1_500 + 2_000, 'within the lease time (1.5 s) plus a couple of ticks');
    const final = await eventually(async () => {
      const o = await w.store.getOrderByRequest(sent.tid, MID, sent.batch, sent.stan);
      return o && FINAL_STATES.includes(o.state) ? o : undefined;
    }, 15_000);
    t.equal(final?.state, 'cancelled', 'B reversed the unanswered sale');
    t.comment(`takeover ${takeoverMs} ms; order final ${Date.now() - died} ms after the crash`);
    t.equal(w.ledger().find((l) => l.amountFen === 4321)?.state, 'reversed', 'the money went back');
    // The store shows the order final a moment before B, awaiting the same Redis reply, counts it.
    const resolvedOnce = async () =>
      metricValue(await b.metrics(), 'boxfep_flows_recovered_total', { kind: 'sale', result: 'cancelled' });
    await eventually(async () => (await resolvedOnce()) >= 1, 2_000);
    t.equal(await resolvedOnce(), 1, 'resolved once');
    const { problems } = await checkConsistency(w, [sent]);
    t.same(problems, [], 'ledger and store agree');
    await b.kill('SIGTERM');
  });
}
