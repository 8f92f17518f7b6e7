// /metrics during real traffic: a boxfep (Redis store, crypto worker pool, admin endpoint) driven by
// the box emulator over loopback. Each step scrapes before and after and checks that exactly the
// series it should move moved, by the amount it should — and that /healthz, /readyz and the
// readiness series tell the truth, including "not ready while draining".
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import t from 'tap';
import { Box } from '../../src/box/box.js';
import * as msg from '../../src/box/messages.js';
import { LATENCY_BUCKETS } from '../../src/metrics/server.js';
import { createStore } from '../../src/store/store.js';
import { deleteRedisKeys, REDIS_URL } from '../helpers/redis.js';
import { MID, type ObservedFep, sessionTerminal, startObservedFep, TMK } from './helpers/fep.js';
import { get, type Scrape, scrape } from './helpers/scrape.js';

const prefix = `bfobs-${randomBytes(4).toString('hex')}:`;
const TID = '20000001';

/** A sale handler the test can hold in flight (to observe in-flight and draining), else approves. */
let hold: Promise<void> | undefined;
let entered: (() => void) | undefined;

let fep: ObservedFep;
const store = createStore(REDIS_URL, { keyPrefix: prefix });

t.before(async () => {
  fep = await startObservedFep({
    store,
    terminals: [sessionTerminal(TID)],
    routes: ({ dispatcher }) =>
      dispatcher.register({ mti: '0200', processingCode: '000000', type: '22' }, 'sale', async () => {
        entered?.();
        if (hold) await hold;
        return { rc: '00', fields: { 37: '000000000001' } };
      }),
  });
});

t.teardown(async () => {
  await fep?.stop();
  await deleteRedisKeys(prefix);
});

/** after − before for one metric (summed over series matching `labels`). */
const delta = (before: Scrape, after: Scrape, name: string, labels?: Record<string, string>) =>
  after.sum(name, labels) - before.sum(name, labels);

const connectBox = () => Box.connect({ port: fep.boxPort, tid: TID, mid: MID, tmk: TMK, replyTimeoutMs: 10_000 });

t.test('the exposition is well formed and carries every area and the process metrics', async (t) => {
  const s = await scrape(fep.adminPort);
  const res = await get(fep.adminPort, '/metrics');
  t.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
  for (const family of [
    'boxfep_server_transactions_total',
    'boxfep_server_request_duration_seconds',
    'boxfep_crypto_queue_depth',
    'boxfep_store_command_seconds',
    'boxfep_nodejs_eventloop_lag_p99_seconds',
    'boxfep_nodejs_eventloop_busy_seconds_total',
    'boxfep_nodejs_heap_size_used_bytes',
    'boxfep_nodejs_gc_duration_seconds',
    'boxfep_process_resident_memory_bytes',
    'boxfep_ready',
  ]) {
    t.ok(s.types.has(family), `${family} is declared`);
  }
  t.ok(s.sum('boxfep_nodejs_heap_size_used_bytes') > 1_000_000, 'heap used is a real number of bytes');
  t.ok(s.sum('boxfep_process_resident_memory_bytes') > s.sum('boxfep_nodejs_heap_size_used_bytes'), 'RSS > heap');
  t.equal(s.sum('boxfep_ready'), 1, 'ready');
  for (const check of ['listeners', 'store', 'crypto']) t.equal(s.sum('boxfep_ready_check', { check }), 1, check);
});

t.test('healthz and readyz', async (t) => {
  const health = await get(fep.adminPort, '/healthz');
  t.equal(health.status, 200);
  t.equal(health.body, 'ok\n');
  const ready = await get(fep.adminPort, '/readyz');
  t.equal(ready.status, 200);
  t.same(JSON.parse(ready.body), { ready: true, checks: { listeners: true, store: true, crypto: true } });
  t.equal((await get(fep.adminPort, '/nope')).status, 404);
});

t.test('sign-on, echoes and a sale move transactions, latency, frames, bytes, crypto and store series', async (t) => {
  const before = await scrape(fep.adminPort);
  const box = await connectBox();
  t.teardown(() => box.close());
  const during = await scrape(fep.adminPort);
  t.equal(delta(before, during, 'boxfep_server_connections_accepted_total'), 1, 'one connection accepted');
  t.equal(delta(before, during, 'boxfep_server_connections'), 1, 'one connection open');

  const replies = [await box.signOn(), await box.echo(), await box.echo(), await box.echo()];
  replies.push(await box.sale(1234, '134567890123456789'));
  t.same(
    replies.map((r) => r.rc),
    ['00', '00', '00', '00', '00'],
  );
  t.equal(replies[4].macValid, true, 'the approved sale is MACed by the pool');
  const after = await scrape(fep.adminPort);

  t.equal(delta(before, after, 'boxfep_server_transactions_total', { type: 'signon', rc: '00' }), 1);
  t.equal(delta(before, after, 'boxfep_server_transactions_total', { type: 'echo', rc: '00' }), 3);
  t.equal(delta(before, after, 'boxfep_server_transactions_total', { type: 'sale', rc: '00' }), 1);
  t.equal(delta(before, after, 'boxfep_server_transactions_total'), 5, 'nothing else was counted');

  // Latency: one observation per answered request, by type; every observation below +Inf, and the
  // cumulative buckets consistent with the count.
  const count = (type: string) => delta(before, after, 'boxfep_server_request_duration_seconds_count', { type });
  t.equal(count('echo'), 3);
  t.equal(count('signon'), 1);
  t.equal(count('sale'), 1);
  t.equal(delta(before, after, 'boxfep_server_request_duration_seconds_bucket', { type: 'echo', le: '+Inf' }), 3);
  const echoSum = delta(before, after, 'boxfep_server_request_duration_seconds_sum', { type: 'echo' });
  t.ok(echoSum > 0 && echoSum < 3 * 5, `echo time is real and below 5 s each (${echoSum}s)`);
  const buckets = after.samples
    .filter((s) => s.name === 'boxfep_server_request_duration_seconds_bucket' && s.labels.type === 'echo')
    .map((s) => s.labels.le);
  t.same(buckets, [...LATENCY_BUCKETS.map(String), '+Inf'], 'the declared buckets are the exported ones');

  // Frames: five requests in, five responses out, and at least their bytes received.
  t.equal(delta(before, after, 'boxfep_server_frames_in_total'), 5);
  t.equal(delta(before, after, 'boxfep_server_frames_out_total'), 5);
  const sent = replies.reduce((n, r) => n + r.requestFrame.length, 0);
  t.equal(delta(before, after, 'boxfep_server_received_bytes_total'), sent, 'received bytes = request frames');

  // Crypto: sign-on wraps keys, the sale's MAC is verified and its response MACed — in the pool.
  t.ok(delta(before, after, 'boxfep_crypto_jobs_total', { outcome: 'ok' }) >= 3, 'crypto jobs ran');
  t.ok(delta(before, after, 'boxfep_crypto_task_wait_seconds_count') >= 1, 'task wait observed');
  t.ok(delta(before, after, 'boxfep_crypto_task_run_seconds_count') >= 1, 'task run observed');
  t.equal(after.sum('boxfep_crypto_queue_depth'), 0, 'queue drained');

  // Store: the session keys and the sale went to Redis, timed per operation; each request's terminal
  // context came from Redis or from the node's terminal cache.
  t.ok(delta(before, after, 'boxfep_store_command_seconds_count', { backend: 'redis' }) >= 3, 'store timed');
  t.equal(
    delta(before, after, 'boxfep_store_command_seconds_count', { op: 'getTerminalContext' }) +
      delta(before, after, 'boxfep_store_terminal_cache_lookups_total', { result: 'hit' }),
    5,
    'a terminal context per request, read or found in the cache',
  );
  t.equal(delta(before, after, 'boxfep_store_errors_total'), 0, 'no store errors');

  t.equal(after.sum('boxfep_server_in_flight_requests'), 0, 'nothing in flight');
  t.equal(delta(before, after, 'boxfep_server_mac_failures_total'), 0);
  t.equal(delta(before, after, 'boxfep_server_decode_errors_total'), 0);
});

t.test('a bad MAC counts a MAC failure and an A0 transaction', async (t) => {
  const box = await connectBox();
  t.teardown(() => box.close());
  await box.signOn();
  const before = await scrape(fep.adminPort);
  const request = msg.saleRequest({ tid: TID, mid: MID, batch: box.batch }, box.nextStan(), 500, '134567890123456700');
  const reply = await box.exchange(request, { corruptMac: true });
  t.equal(reply.rc, 'A0');
  const after = await scrape(fep.adminPort);
  t.equal(delta(before, after, 'boxfep_server_mac_failures_total'), 1);
  t.equal(delta(before, after, 'boxfep_server_transactions_total', { type: 'sale', rc: 'A0' }), 1);
  t.equal(delta(before, after, 'boxfep_server_transactions_total', { rc: '00' }), 0, 'not approved');
});

t.test('garbage on the wire counts a decode error and a close by reason', async (t) => {
  const before = await scrape(fep.adminPort);
  const socket = connect({ host: '127.0.0.1', port: fep.boxPort });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => {});
  // A 2-byte length of 12, then a TPDU, a header and 1 byte: too short to hold an MTI and bitmap.
  socket.write(Buffer.from('000c' + '6000030000' + '603100000000' + 'ff', 'hex'));
  await closed;
  const after = await scrape(fep.adminPort);
  t.equal(delta(before, after, 'boxfep_server_connections_accepted_total'), 1);
  t.equal(delta(before, after, 'boxfep_server_decode_errors_total'), 1, 'one decode error');
  t.equal(delta(before, after, 'boxfep_server_connections_closed_total', { reason: 'undecodable' }), 1);
  t.equal(delta(before, after, 'boxfep_server_connections'), 0, 'the connection is gone again');
  t.equal(delta(before, after, 'boxfep_server_transactions_total'), 0, 'nothing answered');
});

t.test('a request held in flight shows in the gauge; draining makes boxfep not ready', async (t) => {
  const box = await connectBox();
  t.teardown(() => box.close());
  await box.signOn();
  let release!: () => void;
  hold = new Promise<void>((r) => (release = r));
  const inHandler = new Promise<void>((r) => (entered = r));
  const sale = box.sale(100, '134567890123456701');
  await inHandler;

  const busy = await scrape(fep.adminPort);
  t.equal(busy.sum('boxfep_server_in_flight_requests'), 1, 'one request in flight');
  t.equal(busy.sum('boxfep_ready'), 1, 'still ready before the drain');

  // Stop: the listener closes at once, the busy box is given drainMs to be answered.
  const stopped = fep.fep.stop();
  const draining = await get(fep.adminPort, '/readyz');
  t.equal(draining.status, 503, '/readyz says 503 while draining');
  t.same(JSON.parse(draining.body).checks, { listeners: false, store: true, crypto: true });
  const drainingScrape = await scrape(fep.adminPort);
  t.equal(drainingScrape.sum('boxfep_ready'), 0, 'boxfep_ready is 0 while draining');
  t.equal(drainingScrape.sum('boxfep_ready_check', { check: 'listeners' }), 0);
  t.equal(drainingScrape.sum('boxfep_ready_check', { check: 'store' }), 1);

  release();
  hold = undefined;
  t.equal((await sale).rc, '00', 'the in-flight sale is still answered');
  await stopped;
});
