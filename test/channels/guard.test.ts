// The call guard under overload, with scripted attempts and short real timers: a bounded queue that
// refuses at once, a deadline that counts queueing, local refusals that never become `unknown` nor
// open the breaker, and retries that stay within the call's deadline.
import { Writable } from 'node:stream';
import t from 'tap';
import type { ChannelResult } from '../../src/channels/channel.js';
import {
  type Attempt,
  type AttemptDeadline,
  CallGuard,
  type GuardOptions,
  NotSentError,
} from '../../src/channels/guard.js';
import { ConcurrencyLimiter, QueueFullError, QueueTimeoutError } from '../../src/channels/limiter.js';
import { createLogger } from '../../src/log/logger.js';
import { channelQueued, channelRejected, channelRetries } from '../../src/metrics/channels.js';

const OK: ChannelResult = { outcome: 'success', walletCode: 'SUCCESS', walletMessage: 'OK' };
const WALLET = 'WX';
/** A breaker that opens on the first wallet failure: any failure counted by mistake shows at once. */
const TOUCHY = { failureThreshold: 1, openMs: 60_000, halfOpenProbes: 1 };

async function metric(
  m: typeof channelRejected | typeof channelQueued | typeof channelRetries,
  labels: Record<string, string>,
) {
  const { values } = await m.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k as never] === x));
  return hit?.value ?? 0;
}
const rejectedCount = (reason: string) => metric(channelRejected, { wallet: WALLET, reason });

/** An attempt that counts its calls and answers when the test says so (or never). */
function scripted() {
  const calls: AttemptDeadline[] = [];
  const pending: Array<(r: ChannelResult) => void> = [];
  const attempt: Attempt = (deadline) => {
    calls.push(deadline);
    return new Promise((resolve) => pending.push(resolve));
  };
  return { attempt, calls, answer: (i: number, r = OK) => pending[i]?.(r) };
}

/** What a promise rejected with (tap's `rejects` matches errors by name; these share BusyError's). */
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const elapsed = (since: number) => performance.now() - since;
const guard = (o: Partial<GuardOptions>) => new CallGuard(WALLET, { retries: 0, ...o });

t.test('limiter: a full queue and a passed deadline are distinct refusals', async (t) => {
  const depth: number[] = [];
  const l = new ConcurrencyLimiter(1, 1, (delta) => depth.push((depth.at(-1) ?? 0) + delta));
  const r1 = l.tryAcquire();
  t.ok(r1, 'a free slot without queueing');
  t.equal(l.tryAcquire(), undefined, 'no slot, no queueing');
  const ac = new AbortController();
  const waiting = l.acquire(ac.signal);
  t.ok((await refusal(l.acquire())) instanceof QueueFullError, 'queue full');
  ac.abort();
  t.ok((await refusal(waiting)) instanceof QueueTimeoutError, 'deadline passed while queued');
  const aborted = AbortSignal.abort();
  t.ok((await refusal(l.acquire(aborted))) instanceof QueueTimeoutError, 'an already-passed deadline never queues');
  const next = l.acquire();
  r1?.();
  (await next)();
  t.same(depth, [1, 0, 1, 0], 'queue depth reported on every change');
  t.equal(l.inFlight, 0);
  t.throws(() => new ConcurrencyLimiter(1, -1), RangeError);
});

t.test('limiter: acquireWithin refuses by value, times out on its own timer, shares the FIFO', async (t) => {
  const depth: number[] = [];
  const l = new ConcurrencyLimiter(1, 2, (delta) => depth.push((depth.at(-1) ?? 0) + delta));
  const r1 = await l.acquireWithin(1_000);
  t.type(r1, 'function', 'a free slot at once');
  const first = l.acquireWithin(60_000);
  const second = l.acquire();
  t.equal(await l.acquireWithin(60_000), 'queue-full', 'beyond maxQueued: refused at once, not queued');
  t.equal(l.queued, 2);
  if (typeof r1 === 'function') r1();
  const granted = await first;
  t.type(granted, 'function', 'the first waiter (a timed one) is granted first');
  t.equal(l.inFlight, 1);
  if (typeof granted === 'function') granted();
  (await second)();
  t.equal(l.inFlight, 0);

  // A timed wait that passes leaves the queue and says so; the slot freed later goes to nobody.
  const hold = l.tryAcquire();
  const since = performance.now();
  t.equal(await l.acquireWithin(50), 'queue-timeout');
  const waited = performance.now() - since;
  t.ok(waited >= 45 && waited < 1_000, `gave up after its own wait (${waited.toFixed(0)} ms)`);
  t.equal(l.queued, 0, 'the timed-out waiter left the queue');
  hold?.();
  t.equal(l.inFlight, 0, 'nobody was granted the freed slot');
  t.same(depth, [1, 2, 1, 0, 1, 0], 'queue depth reported on every change');
});

t.test('limiter: a granted timed waiter leaves no timer behind', async (t) => {
  const l = new ConcurrencyLimiter(1, 1);
  const hold = l.tryAcquire();
  const waiting = l.acquireWithin(3_600_000);
  const before = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  hold?.();
  const slot = await waiting;
  t.type(slot, 'function');
  const after = process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  t.equal(after, before - 1, 'its hour-long timer was cleared when the slot came');
  if (typeof slot === 'function') slot();
});

t.test('beyond maxQueued a call is refused at once, unsent, and the gauge follows the queue', async (t) => {
  const g = guard({ maxConcurrent: 1, maxQueued: 1, timeoutMs: 2_000, breaker: TOUCHY });
  const w = scripted();
  const before = await rejectedCount('queue-full');
  const first = g.run('pay', w.attempt);
  const second = g.run('pay', w.attempt);
  await new Promise((r) => setImmediate(r));
  t.equal(g.queued, 1);
  t.equal(await metric(channelQueued, { wallet: WALLET }), 1, 'boxfep_channels_queued shows the waiting call');

  const since = performance.now();
  const third = await g.run('pay', w.attempt);
  t.ok(elapsed(since) < 50, `refused at once (${elapsed(since).toFixed(1)} ms)`);
  t.match(third, { outcome: 'failed', reason: 'channel-unavailable', walletCode: 'QUEUE_FULL' });
  t.equal(w.calls.length, 1, 'the refused call never reached the wallet');
  t.equal(await rejectedCount('queue-full'), before + 1);

  w.answer(0);
  t.same(await first, OK);
  await new Promise((r) => setImmediate(r));
  t.equal(w.calls.length, 2, 'the queued call went on when the slot was free');
  w.answer(1);
  t.same(await second, OK);
  t.equal(await metric(channelQueued, { wallet: WALLET }), 0);
  t.equal(g.breaker.state, 'closed', 'a local refusal is no wallet failure');
});

t.test('a pay queued past its useful budget fails as channel-unavailable, never unknown', async (t) => {
  // 300 ms per attempt, at least 100 ms for the wallet: a slot that is not free within 200 ms is useless.
  const g = guard({ maxConcurrent: 1, timeoutMs: 300, maxQueueWaitMs: 10_000, minUsefulMs: 100, breaker: TOUCHY });
  const w = scripted();
  const before = await rejectedCount('queue-timeout');
  const holder = g.run('pay', w.attempt);
  const since = performance.now();
  const late = await g.run('pay', w.attempt);
  const waited = elapsed(since);
  t.match(late, { outcome: 'failed', reason: 'channel-unavailable', walletCode: 'QUEUE_TIMEOUT' });
  t.ok(waited >= 190 && waited < 290, `gave up at the useful-budget mark (${waited.toFixed(0)} ms)`);
  t.equal(w.calls.length, 1, 'never handed to the wallet');
  t.equal(await rejectedCount('queue-timeout'), before + 1);
  t.equal(g.breaker.state, 'closed', 'queue timeouts do not count against the wallet');

  // The holder is a pay actually sent and never answered: that one is unknown, and the wallet's fault.
  t.match(await holder, { outcome: 'unknown', reason: 'timeout' });
  t.equal(g.breaker.state, 'open', 'a sent call that timed out does count');
});

t.test('maxQueueWaitMs caps the wait; a slot freed in time is used with what is left', async (t) => {
  const g = guard({ maxConcurrent: 1, timeoutMs: 1_000, maxQueueWaitMs: 80, breaker: TOUCHY });
  const w = scripted();
  const holder = g.run('pay', w.attempt);
  const since = performance.now();
  t.match(await g.run('pay', w.attempt), { walletCode: 'QUEUE_TIMEOUT' });
  t.ok(elapsed(since) < 200, `shed after ~80 ms, not the 1 s deadline (${elapsed(since).toFixed(0)} ms)`);

  const queued = g.run('query', w.attempt);
  setTimeout(() => w.answer(0), 30);
  t.same(await holder, OK);
  await new Promise((r) => setImmediate(r));
  t.equal(w.calls.length, 2, 'granted within the wait: sent');
  w.answer(1);
  t.same(await queued, OK);
});

t.test('the attempt deadline counts the time spent queued', async (t) => {
  const g = guard({ maxConcurrent: 1, timeoutMs: 300, minUsefulMs: 50, breaker: TOUCHY });
  const w = scripted();
  const holder = g.run('pay', w.attempt);
  const queued = g.run('pay', w.attempt);
  setTimeout(() => w.answer(0), 100);
  await holder;
  const since = performance.now();
  t.match(await queued, { outcome: 'unknown', reason: 'timeout' }, 'sent, then no answer: unknown');
  const wire = elapsed(since);
  t.ok(wire >= 180 && wire < 290, `the wallet got the ~200 ms left, not a fresh 300 ms (${wire.toFixed(0)} ms)`);
  t.equal(w.calls.length, 2);
  t.ok(w.calls[1]?.expired, 'the late request was abandoned');
  t.ok(w.calls[1]?.signal.aborted, 'a signal asked for after the deadline is already aborted');
});

t.test(
  'an attempt deadline: its signal and its hook fire once on expiry, never after the attempt settled',
  async (t) => {
    const g = guard({ timeoutMs: 60, minUsefulMs: 1, breaker: { ...TOUCHY, failureThreshold: 100 } });
    const expired: string[] = [];
    let signal: AbortSignal | undefined;
    const slow: Attempt = (deadline) => {
      signal = deadline.signal;
      deadline.onExpire((reason) => expired.push(reason.name));
      return new Promise(() => {});
    };
    t.match(await g.run('pay', slow), { outcome: 'unknown', reason: 'timeout' });
    t.same(expired, ['TimeoutError'], 'the hook ran once');
    t.ok(signal?.aborted, 'the signal was aborted');
    t.match(signal?.reason, { name: 'TimeoutError' });

    const quick: Attempt = async (deadline) => {
      deadline.onExpire(() => expired.push('late'));
      return OK;
    };
    t.same(await g.run('pay', quick), OK);
    await new Promise((r) => setTimeout(r, 100));
    t.same(expired, ['TimeoutError'], 'a settled attempt never hears of its deadline');
  },
);

t.test('local refusals never feed the breaker; an open one refuses unsent', async (t) => {
  const g = guard({ maxConcurrent: 1, maxQueued: 0, timeoutMs: 1_000, breaker: TOUCHY });
  const w = scripted();
  const holder = g.run('pay', w.attempt);
  for (let i = 0; i < 20; i++) t.match(await g.run('pay', w.attempt), { walletCode: 'QUEUE_FULL' });
  t.equal(g.breaker.state, 'closed', '20 refusals for a full queue: still closed');
  w.answer(0, { outcome: 'unknown', reason: 'system-error', walletCode: 'SYSTEMERROR', walletMessage: '' });
  await holder;
  t.equal(g.breaker.state, 'open', 'one real wallet failure opens it (threshold 1)');
  const before = await rejectedCount('breaker-open');
  t.match(await g.run('pay', w.attempt), { outcome: 'failed', walletCode: 'BREAKER_OPEN' });
  t.equal(await rejectedCount('breaker-open'), before + 1);
  t.equal(w.calls.length, 1);
});

t.test('NotSentError is a definite refusal; other transport errors are unknown', async (t) => {
  const g = guard({ timeoutMs: 500, breaker: { ...TOUCHY, failureThreshold: 10 } });
  t.match(await g.run('pay', () => Promise.reject(new NotSentError('connection refused'))), {
    outcome: 'failed',
    reason: 'channel-unavailable',
    walletCode: 'NOT_SENT',
  });
  t.match(await g.run('pay', () => Promise.reject(new Error('socket hang up'))), {
    outcome: 'unknown',
    reason: 'system-error',
  });
});

t.test('idempotent retries stay within the call deadline', async (t) => {
  // Each attempt 120 ms at most, the whole call 300 ms: a second attempt fits, a third does not.
  const g = guard({
    timeoutMs: 120,
    deadlineMs: 300,
    minUsefulMs: 40,
    retries: 5,
    retryDelayMs: 10,
    breaker: { ...TOUCHY, failureThreshold: 100 },
  });
  const w = scripted();
  const retriesBefore = await metric(channelRetries, { wallet: WALLET, op: 'query' });
  const since = performance.now();
  t.match(await g.run('query', w.attempt), { outcome: 'unknown', reason: 'timeout' });
  const took = elapsed(since);
  t.equal(w.calls.length, 2, 'retried once, then the deadline left no useful time');
  t.ok(took < 340, `within the 300 ms deadline (+ timer slack): ${took.toFixed(0)} ms`);
  t.equal(await metric(channelRetries, { wallet: WALLET, op: 'query' }), retriesBefore + 1);

  let n = 0;
  const flaky: Attempt = async () => (++n === 1 ? Promise.reject(new Error('reset')) : OK);
  t.same(await g.run('refund', flaky), OK, 'a quick transport error is retried and the retry answers');
  t.equal(n, 2);
  n = 0;
  t.match(await g.run('pay', flaky), { outcome: 'unknown' }, 'a pay is never retried');
  t.equal(n, 1);
});

t.test('a retry refused locally leaves the call unknown, not failed', async (t) => {
  // The first cancel reached the wallet and got no answer; the retry finds the breaker open. The
  // cancel may have happened: reporting `failed` would be a lie about the money.
  const g = guard({ timeoutMs: 200, retries: 2, retryDelayMs: 5, breaker: TOUCHY });
  let n = 0;
  const attempt: Attempt = async () => {
    n++;
    return { outcome: 'unknown', reason: 'system-error', walletCode: 'SYSTEMERROR', walletMessage: '' };
  };
  t.match(await g.run('cancel', attempt), { outcome: 'unknown', walletCode: 'SYSTEMERROR' });
  t.equal(n, 1, 'the retry was refused by the open breaker');
});

t.test('local refusals are logged at most once a second, with a count', async (t) => {
  const lines: Array<{ msg: string; refused?: number; reason?: string }> = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const logger = createLogger({ level: 'warn' }, sink);
  const g = new CallGuard(WALLET, { maxConcurrent: 1, maxQueued: 0, timeoutMs: 5_000, retries: 0 }, logger);
  const w = scripted();
  const holder = g.run('pay', w.attempt);
  for (let i = 0; i < 200; i++) await g.run('pay', w.attempt);
  await new Promise((r) => setTimeout(r, 1_050));
  for (let i = 0; i < 5; i++) await g.run('pay', w.attempt);
  await new Promise((r) => setImmediate(r));
  const shed = lines.filter((l) => l.msg === 'wallet calls refused before sending');
  t.equal(shed.length, 2, '205 refusals over ~1 s: two lines');
  t.match(shed, [
    { reason: 'queue-full', refused: 1 },
    { reason: 'queue-full', refused: 200 },
  ]);
  w.answer(0);
  await holder;
});

t.test('guard log lines name the wallet once, whether or not the logger already binds it', async (t) => {
  for (const bound of [false, true]) {
    const raw: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line) raw.push(line);
        done();
      },
    });
    const base = createLogger({ level: 'warn' }, sink);
    const logger = bound ? base.child({ wallet: WALLET }) : base;
    const g = new CallGuard(WALLET, { maxConcurrent: 1, maxQueued: 0, timeoutMs: 5_000, retries: 0 }, logger);
    const w = scripted();
    const holder = g.run('pay', w.attempt);
    await g.run('pay', w.attempt);
    await new Promise((r) => setImmediate(r));
    const line = raw.find((l) => l.includes('wallet calls refused'));
    t.ok(line, `a refusal line (${bound ? 'bound' : 'bare'} logger)`);
    t.equal(line?.split('"wallet":').length, 2, `"wallet" appears once: ${line}`);
    t.equal(JSON.parse(line ?? '{}').wallet, WALLET);
    w.answer(0);
    await holder;
  }
});

t.test('options are checked', (t) => {
  t.throws(() => guard({ timeoutMs: 100, minUsefulMs: 100 }), RangeError);
  t.throws(() => guard({ timeoutMs: 0 }), RangeError);
  t.throws(() => guard({ maxQueued: -1 }), RangeError);
  t.end();
});

/**
 * Offers `rate` calls/s for `durationMs` (in batches every ~5 ms) to a wallet that answers in 1 ms but stalls
 * for `stallMs` from about 50 ms in, and tallies what the calls came back with.
 */
async function offerThroughStall(g: CallGuard, rate: number, durationMs: number, stallMs: number) {
  const start = performance.now();
  // The stall starts with the first call after 50 ms, so a late timer on a busy machine delays it
  // rather than letting calls through before it.
  let stallEnd: number | undefined;
  const wallet: Attempt = async () => {
    const now = performance.now();
    if (stallEnd === undefined && now >= start + 50) stallEnd = now + stallMs;
    const wait = stallEnd !== undefined && now < stallEnd ? stallEnd - now : 0;
    await new Promise((r) => setTimeout(r, wait + 1));
    return OK;
  };
  const calls: Promise<ChannelResult>[] = [];
  // Catch up by the clock, so a slow timer on a busy machine still offers the full rate.
  for (let elapsed = 0; elapsed < durationMs; elapsed = performance.now() - start) {
    while (calls.length < (elapsed * rate) / 1_000) calls.push(g.run('pay', wallet));
    await new Promise((r) => setTimeout(r, 5));
  }
  const tally: Record<string, number> = {};
  for (const r of await Promise.all(calls)) tally[r.walletCode] = (tally[r.walletCode] ?? 0) + 1;
  return tally;
}

t.test('default queue: a 200 ms wallet stall at 2,000 calls/s queues instead of refusing', async (t) => {
  const options = { maxConcurrent: 16, timeoutMs: 1_000, breaker: TOUCHY };
  // The same stall against the old bound (4 × maxConcurrent): the refusals this default removes.
  const old = await offerThroughStall(guard({ ...options, maxQueued: 64 }), 2_000, 400, 200);
  t.ok((old.QUEUE_FULL ?? 0) > 0, `the old 64-call queue refused: ${JSON.stringify(old)}`);

  const tally = await offerThroughStall(guard(options), 2_000, 400, 200);
  t.same(Object.keys(tally), ['SUCCESS'], `every pay was answered: ${JSON.stringify(tally)}`);
});

t.test('default queue: a stall longer than the queueing deadline still sheds, unsent', async (t) => {
  // 1 s deadline, so a call queues 500 ms at most; the wallet stalls 1.5 s.
  const g = guard({ maxConcurrent: 16, timeoutMs: 1_000, breaker: { ...TOUCHY, failureThreshold: 1_000 } });
  const tally = await offerThroughStall(g, 2_000, 800, 1_500);
  t.ok((tally.QUEUE_TIMEOUT ?? 0) > 100, `calls queued past their wait were refused: ${JSON.stringify(tally)}`);
  t.notOk(tally.QUEUE_FULL, 'the deadline sheds, not the count bound');
  t.ok((tally.TIMEOUT ?? 0) < 16 * 4, 'only calls that held a slot (a few rounds of 16) became unknown');
});

t.test('default queue wait: half the deadline, but a sustained overload is shed within a second', async (t) => {
  const g = guard({ maxConcurrent: 1, timeoutMs: 10_000, breaker: TOUCHY });
  const w = scripted();
  const holder = g.run('pay', w.attempt);
  const since = performance.now();
  t.match(await g.run('pay', w.attempt), { outcome: 'failed', walletCode: 'QUEUE_TIMEOUT' });
  const waited = elapsed(since);
  t.ok(waited >= 950 && waited < 2_000, `refused after ~1 s of queueing, not 5 s (${waited.toFixed(0)} ms)`);
  w.answer(0);
  await holder;
});
