// The generator against small loopback targets (20 boxes, 2 s): open-loop schedules are kept whatever
// the server does, a server stall shows up in p99 (coordinated omission corrected) where a closed
// loop hides it, the generator's own stall is told apart from the server's (the service time), and
// every reply is checked — against a mere echo every check fails, against a whole boxfep the default
// mix passes them all, C2B pushes included.
import t, { type Test } from 'tap';
import { type EchoServer, startEchoServer } from '../../bench/load/echo-server.js';
import { closeFleet, connectFleet, type LoadBox, makeFleet } from '../../bench/load/fleet.js';
import { type RunResult, runLoad } from '../../bench/load/generator.js';
import { decode, summarize } from '../../bench/load/histograms.js';
import { DEFAULT_MIX } from '../../bench/load/mix.js';
import { spec, startInProcessBoxfep, startStallingEcho } from './helpers.js';

const BOXES = 20;

async function connect(port: number, signOn: boolean, tag = 'TE'): Promise<LoadBox[]> {
  const r = await connectFleet({
    host: '127.0.0.1',
    port,
    terminals: makeFleet(BOXES, tag),
    rampPerSec: 2000,
    signOn,
    replyTimeoutMs: 5000,
    stanStart: 1,
  });
  if (r.boxes.length !== BOXES) throw new Error(`connected ${r.boxes.length}: ${r.failureSamples.join('; ')}`);
  return r.boxes;
}

const latency = (r: RunResult) => summarize(decode(r.overall));

/** The fleet connected (no sign-on) to `server`; both closed when `t` ends. */
async function fleetOn(t: Test, server: EchoServer): Promise<LoadBox[]> {
  const boxes = await connect(server.port, false);
  t.teardown(async () => {
    closeFleet(boxes);
    await server.close();
  });
  return boxes;
}

t.test('open loop: every scheduled request is sent on time even when replies are slow', async (t) => {
  const slow = await startEchoServer({ delay: () => new Promise((r) => setTimeout(r, 50)) });
  const boxes = await fleetOn(t, slow);
  const open = await runLoad(boxes, spec({ ratePerSec: 200, durationMs: 2000 }));
  t.equal(open.sent, 400, '200/s for 2 s, constant arrivals: exactly 400 sent');
  t.equal(open.completed, 400, 'and all answered');
  t.equal(open.errors, 0);
  t.ok(latency(open).p50 >= 50, `every reply takes ≥ 50 ms (p50 ${latency(open).p50} ms)`);

  const closed = await runLoad(boxes, spec({ mode: 'closed', concurrency: 4, durationMs: 2000 }));
  t.ok(
    closed.sent <= 4 * (2000 / 50) + 8,
    `closed loop with 4 outstanding is paced by the replies: ${closed.sent} sent (≤ 168)`,
  );
});

t.test('a 300 ms server stall shows up in open-loop p99; a closed loop hides it', async (t) => {
  const stalling = await startStallingEcho(1000, 300);
  const boxes = await fleetOn(t, stalling);
  const open = await runLoad(boxes, spec({ ratePerSec: 200, durationMs: 2000 }));
  const o = latency(open);
  t.equal(open.sent, 400, 'the schedule went on through the stall');
  t.equal(open.errors, 0);
  t.ok(o.p99 >= 250, `p99 ${o.p99} ms reflects the 300 ms stall`);
  t.ok(o.max >= 280 && o.max < 1000, `max ${o.max} ms ≈ the stall`);
  t.ok(o.p90 >= 50, `about 15 % of requests were scheduled during the stall: p90 ${o.p90} ms`);
  t.ok(o.p50 < 50, `the rest were quick: p50 ${o.p50} ms`);
  const service = summarize(decode(open.service));
  t.ok(service.p99 >= 250, `the server's stall is in the service time too (p99 ${service.p99} ms)`);
  t.ok(summarize(decode(open.lag)).p99 < 50, 'while the generator sent on time');

  // The same stall against a closed loop: one request waits, the loop sends nothing meanwhile, and the
  // percentiles barely move — the coordinated omission the open loop corrects.
  const again = await startStallingEcho(1000, 300);
  const boxes2 = await fleetOn(t, again);
  const closed = await runLoad(boxes2, spec({ mode: 'closed', concurrency: 1, durationMs: 2000 }));
  const c = latency(closed);
  t.ok(c.max >= 250, `the closed loop saw the stall once (max ${c.max} ms)`);
  t.ok(c.p99 < o.p99 / 3, `but its p99 (${c.p99} ms) hides it`);
});

t.test('service time: a stalled generator shows in latency and lag, not in the service time', async (t) => {
  const echo = await startEchoServer();
  const boxes = await fleetOn(t, echo);
  // The generator's own event loop held for 300 ms a second into the run: requests due meanwhile go
  // out late, and their latency (from the intended send) says so; their service time does not.
  const hold = setTimeout(() => {
    const until = performance.now() + 300;
    while (performance.now() < until);
  }, 1000);
  t.teardown(() => clearTimeout(hold));
  const r = await runLoad(boxes, spec({ ratePerSec: 200, durationMs: 2000 }));
  const l = latency(r);
  const s = summarize(decode(r.service));
  const lag = summarize(decode(r.lag));
  t.equal(r.errors, 0);
  t.equal(s.count, r.completed, 'a service time for every measured reply');
  t.ok(l.p99 >= 250, `latency p99 ${l.p99} ms holds the generator's 300 ms stall`);
  t.ok(lag.p99 >= 250, `so does its send lag (p99 ${lag.p99} ms)`);
  t.ok(s.p99 < 100, `service time p99 ${s.p99} ms does not`);
  t.ok(s.p50 <= l.p50, 'its median is not above the latency’s');
  const echoType = r.byType.echo!;
  t.equal(summarize(decode(echoType.service)).count, echoType.count, 'per type too');
  t.ok(summarize(decode(echoType.service)).p99 < 100, 'and per type the stall stays out of it');
  t.ok(summarize(decode(echoType.histogram)).p99 >= 250, 'while the type’s latency holds it');
});

t.test('every reply is checked: a server that only echoes fails every check', async (t) => {
  const echo = await startEchoServer();
  const boxes = await fleetOn(t, echo);
  const r = await runLoad(boxes, spec({ ratePerSec: 100, durationMs: 1000, check: true, mix: 'echo=1,sale=1' }));
  t.equal(r.sent, 100);
  t.equal(r.errors, r.completed, 'every echoed reply counted as an error');
  t.ok(r.errorReasons['echo: rc missing (expected 00)'] > 0, 'echo: no field 39');
  t.ok(r.errorReasons['sale: rc missing (expected 00)'] > 0, 'sale: no field 39');
  t.equal(r.byType.sale!.errors + r.byType.echo!.errors, r.completed);
});

t.test('against boxfep the default mix passes every check and each precreate gets its push', async (t) => {
  const fleet = makeFleet(BOXES, 'TF');
  const app = await startInProcessBoxfep(fleet);
  const boxes = await connect(app.port, true, 'TF');
  t.teardown(async () => {
    closeFleet(boxes);
    await app.stop();
  });
  const r = await runLoad(
    boxes,
    spec({ ratePerSec: 60, warmupMs: 500, durationMs: 2500, mix: DEFAULT_MIX, check: true, pushGraceMs: 5000 }),
  );
  t.same(r.errorReasons, {}, 'no errors');
  t.equal(r.errors, 0);
  t.equal(r.completed, r.sent, 'every request answered');
  t.ok(r.byType.sale!.count > 50, `sales: ${r.byType.sale!.count}`);
  t.same(Object.keys(r.byType.sale!.rc), ['00'], 'sales approved');
  t.ok(r.byType.precreate!.count > 0 && Object.keys(r.byType.precreate!.rc).every((c) => c === '09'));
  t.ok(r.push.expected > 0, `${r.push.expected} pushes expected`);
  t.equal(r.push.received, r.push.expected, 'every push arrived with a good MAC');
  t.equal(r.push.bad, 0);
  for (const type of ['query', 'echo'] as const) {
    if (r.byType[type]) t.equal(r.byType[type]!.errors, 0, `${type} replies pass`);
  }
});
