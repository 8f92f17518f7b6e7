// The start-up warm-up: a scratch boxfep on loopback serves the synthetic mix and is gone afterwards —
// every answer what the sandbox's test codes ask for, each precreate's push received, bounded in count
// and in time, its listeners and sockets closed, its counts off /metrics (the process metrics kept) —
// and a warm-up that goes wrong leaves a warning, never a process that does not start.
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { DEFAULTS, type ServeConfig } from '../../src/config/serve-config.js';
import { createLogger } from '../../src/log/logger.js';
import { eventLoopBusy } from '../../src/metrics/process.js';
import { transactionCells } from '../../src/metrics/server.js';
import { warmUp, warmUpBeforeServing } from '../../src/runtime/warm-up.js';
import { seriesTotal } from '../helpers/metrics.js';

const config: ServeConfig = { ...DEFAULTS, crypto: 'inline' };

/** Open TCP servers and sockets of this process, by kind. */
function openNetHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind.startsWith('TCP')) counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

/**
 * The TCP handles left once those being closed are gone (a closed handle is released a loop turn or
 * so later); this file opens none of its own, so none should be left.
 */
async function netHandlesLeft(): Promise<Record<string, number>> {
  const until = Date.now() + 2_000;
  let now = openNetHandles();
  while (Object.keys(now).length > 0 && Date.now() < until) {
    await sleep(20);
    now = openNetHandles();
  }
  return now;
}

/** A logger whose lines are kept, parsed. */
function capturedLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: createLogger({ level: 'info' }, sink), lines };
}

for (const crypto of ['inline', 'pool'] as const) {
  t.test(`${crypto} crypto: the whole mix answered as expected, pushes included, then nothing left`, async (t) => {
    const result = await warmUp({ ...config, crypto }, { transactions: 400, maxMs: 30_000 });
    t.equal(result.transactions, 400, 'the count asked for');
    t.equal(result.unexpected, 0, 'every answer and push as the test codes ask');
    // 2 precreates in each cycle of 20, on 16 boxes: at least 32; a push may come twice (resent).
    t.ok(result.pushes >= 32, `pushes received: ${result.pushes}`);
    t.same(await netHandlesLeft(), {}, 'listeners and connections closed');
  });
}

t.test('bounded in time: a count it cannot reach stops at maxMs', async (t) => {
  const result = await warmUp(config, { transactions: 1_000_000, maxMs: 1_000 });
  // The bound counts from the start, the scratch copy's own start included (on a loaded machine that
  // can take most of it); stopping the copy comes on top.
  t.ok(result.transactions < 1_000_000, `${result.transactions} transactions`);
  t.equal(result.unexpected, 0);
  t.ok(result.ms < 1_000 + 3_000, `${result.ms} ms`);
});

t.test('its counts are taken off /metrics; the process metrics stay', async (t) => {
  // Something counted before the warm-up, still in a hot-path cell: forgotten with the rest.
  transactionCells.of2('sale', '00').inc();
  await warmUp(config, { transactions: 100, maxMs: 30_000 });
  t.equal(await seriesTotal('boxfep_server_transactions_total'), 0, 'no transactions counted');
  t.equal(await seriesTotal('boxfep_server_frames_in_total'), 0, 'no frames counted');
  t.ok((await eventLoopBusy.get()).values[0].value > 0, 'event-loop time is the process’s own: kept');
  t.ok((await seriesTotal('boxfep_process_cpu_user_seconds_total')) > 0, 'CPU time kept');
  // And counting goes on normally afterwards.
  transactionCells.of2('sale', '00').inc();
  t.equal(await seriesTotal('boxfep_server_transactions_total'), 1);
});

t.test("the deployment's connection caps do not apply to the scratch boxes", async (t) => {
  // 16 boxes from 127.0.0.1 against a cap of 2 per address (and 4 in all).
  const result = await warmUp(
    { ...config, maxConnections: 4, maxConnectionsPerAddress: 2 },
    { transactions: 100, maxMs: 30_000 },
  );
  t.match(result, { transactions: 100, unexpected: 0 });
});

t.test('no warm-up asked: nothing runs', async (t) => {
  await netHandlesLeft();
  t.same(await warmUp(config, { transactions: 0, maxMs: 1_000 }), { transactions: 0, pushes: 0, unexpected: 0, ms: 0 });
  const { logger, lines } = capturedLogger();
  await warmUpBeforeServing({ ...config, warmUp: 0 }, logger);
  t.same(lines, [], 'nothing logged');
  t.same(openNetHandles(), {}, 'nothing opened');
});

t.test('serve logs what the warm-up did', async (t) => {
  const { logger, lines } = capturedLogger();
  await warmUpBeforeServing({ ...config, warmUp: 60, warmUpMs: 30_000 }, logger);
  const line = lines.find((l) => l.msg === 'warmed up');
  t.match(line, { level: 30, transactions: 60, unexpected: 0 });
  t.type(line?.ms, 'number');
});

t.test('unexpected answers: a warning, and serving goes on', async (t) => {
  // A pay deadline of 1 ms: no sale can be approved in time.
  const { logger, lines } = capturedLogger();
  await warmUpBeforeServing({ ...config, payDeadlineMs: 1, warmUp: 40, warmUpMs: 5_000 }, logger);
  const line = lines.find((l) => l.level === 40);
  t.match(line, { msg: 'warm-up: unexpected answers (serving anyway)', transactions: 40 }, 'warned');
  t.ok((line?.unexpected as number) > 0, 'answers counted as unexpected');
  t.notOk(
    lines.some((l) => l.msg === 'warmed up'),
    'not reported as warmed up',
  );
});

t.test('a warm-up that cannot run: a warning, not a failed start', async (t) => {
  // Frames of at most 20 bytes (below what serve accepts): the box server closes each box's connection
  // at its sign-on, which then fails.
  const { logger, lines } = capturedLogger();
  await netHandlesLeft();
  await warmUpBeforeServing({ ...config, maxFrameBytes: 20, warmUp: 40, warmUpMs: 5_000 }, logger);
  const line = lines.find((l) => l.level === 40);
  t.match(line, { msg: 'warm-up failed: serving cold', err: { message: /./ } }, 'warned, with the reason');
  t.same(await netHandlesLeft(), {}, 'what it started is closed');
});
