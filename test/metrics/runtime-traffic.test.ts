// /metrics of the whole runtime (flows, wallet connectors and sandboxes, push dispatcher, recovery)
// under box traffic: wallet call latency and outcomes, breaker state and upstream connections, the
// C2B push and its acknowledgement, and the recovery resolver's passes.
import t from 'tap';
import { Box } from '../../src/box/box.js';
import { DEFAULT_KEY_CACHE_SIZE } from '../../src/crypto/lmk.js';
import { createCryptoService } from '../../src/crypto/service.js';
import { type Boxfep, startBoxfep } from '../../src/runtime/boxfep.js';
import { createStore } from '../../src/store/store.js';
import { provisionTerminals } from '../../src/terminals/provisioning.js';
import { loopbackConfig, TEST_LMK, TMK } from '../helpers/loopback.js';
import { MID } from './helpers/fep.js';
import { type Scrape, scrape } from './helpers/scrape.js';

const TID = '50000001';
let app: Boxfep;
let adminPort = 0;
let box: Box;

t.before(async () => {
  const config = loopbackConfig({
    payDeadlineMs: 1500,
    queryIntervalMs: 100,
    walletTimeoutMs: 300,
    drainMs: 1000,
  });
  const store = createStore('memory');
  const crypto = createCryptoService({ mode: 'inline', lmk: TEST_LMK });
  await provisionTerminals(store, crypto, [{ tid: TID, mid: MID, tmk: TMK }]);
  app = await startBoxfep(config, {
    store,
    crypto,
    pushTickMs: 50,
    recoveryTickMs: 50,
    sandboxes: { wechat: { payDelayMs: 100, notifyRetryDelaysMs: [50, 100] } },
  });
  adminPort = app.fep.admin?.port ?? 0;
  box = await Box.connect({ port: app.fep.boxPorts[0], tid: TID, mid: MID, tmk: TMK, replyTimeoutMs: 10_000 });
  const on = await box.signOn();
  if (on.rc !== '00') throw new Error(`sign-on: ${on.rc}`);
});

t.teardown(async () => {
  box?.close();
  await app?.stop();
});

const delta = (a: Scrape, b: Scrape, name: string, labels?: Record<string, string>) =>
  b.sum(name, labels) - a.sum(name, labels);

/** Scrapes until `ok` holds (every 50 ms, at most `ms`). */
async function scrapeUntil(ok: (s: Scrape) => boolean, ms = 5000): Promise<Scrape> {
  const deadline = Date.now() + ms;
  let s = await scrape(adminPort);
  for (let i = 0; i < 200 && !ok(s) && Date.now() < deadline; i++) {
    await new Promise((r) => setTimeout(r, 50));
    s = await scrape(adminPort);
  }
  return s;
}

t.test('a B2C sale times its wallet call and counts its outcome; the breaker stays closed', async (t) => {
  const before = await scrape(adminPort);
  const reply = await box.sale(2500, '134567890123456711');
  t.equal(reply.rc, '00');
  const after = await scrape(adminPort);
  t.equal(delta(before, after, 'boxfep_channels_call_seconds_count', { wallet: 'WX', op: 'pay' }), 1);
  t.ok(delta(before, after, 'boxfep_channels_call_seconds_sum', { wallet: 'WX', op: 'pay' }) > 0);
  t.equal(delta(before, after, 'boxfep_channels_outcomes_total', { wallet: 'WX', op: 'pay', outcome: 'success' }), 1);
  t.equal(delta(before, after, 'boxfep_flows_sale_settled_total', { wallet: 'WX' }), 1);
  t.equal(after.sum('boxfep_channels_breaker_state', { wallet: 'WX' }), 0, 'closed');
  t.ok(after.sum('boxfep_channels_open_connections', { wallet: 'WX' }) >= 1, 'a kept-alive upstream connection');
  t.equal(delta(before, after, 'boxfep_server_transactions_total', { type: 'sale', rc: '00' }), 1);
  // The request's MAC verified and the response's made under the box's MAK: two key cache lookups.
  t.equal(delta(before, after, 'boxfep_crypto_key_cache_lookups_total'), 2, 'two key lookups per sale');
  // Sign-on seals the new MAK without opening it, so the box's first request may open it (a miss);
  // the response's MAC finds it open.
  t.ok(delta(before, after, 'boxfep_crypto_key_cache_lookups_total', { result: 'hit' }) >= 1, 'the MAK stayed open');
  t.equal(after.sum('boxfep_crypto_key_cache_capacity'), DEFAULT_KEY_CACHE_SIZE);
  t.ok(after.sum('boxfep_crypto_key_cache_keys') >= 1, 'the MAK is held open');
});

t.test('a wallet that never answers is an unknown outcome, then a query loop', async (t) => {
  const before = await scrape(adminPort);
  const reply = await box.sale(2600, '134567890123456798');
  t.not(reply.rc, '00', `not approved (${reply.rc})`);
  const after = await scrape(adminPort);
  t.ok(delta(before, after, 'boxfep_channels_outcomes_total', { wallet: 'WX', op: 'pay', outcome: 'unknown' }) >= 1);
  t.ok(delta(before, after, 'boxfep_channels_call_seconds_count', { wallet: 'WX', op: 'query' }) >= 1, 'queried');
  t.ok(delta(before, after, 'boxfep_flows_wallet_queries_total', { wallet: 'WX' }) >= 1);
});

t.test('a C2B precreate paid by the customer is pushed to the box and acknowledged', async (t) => {
  const before = await scrape(adminPort);
  const reply = await box.precreate(2700, 'WX');
  t.equal(reply.rc, '09', 'pending: the box shows the QR code');
  const counted = await scrape(adminPort);
  t.equal(delta(before, counted, 'boxfep_server_transactions_total', { type: 'precreate', rc: '09' }), 1);
  const push = await box.nextPush(5000);
  t.equal(push.message.fields[39], '00', 'paid');
  const after = await scrapeUntil((s) => delta(before, s, 'boxfep_server_pushes_total', { outcome: 'acked' }) >= 1);
  t.equal(delta(before, after, 'boxfep_server_pushes_total', { outcome: 'acked' }), 1);
  t.equal(delta(before, after, 'boxfep_flows_push_attempts_total', { outcome: 'acked' }), 1);
  t.ok(delta(before, after, 'boxfep_flows_c2b_results_total', { state: 'paid' }) >= 1);
  t.equal(after.sum('boxfep_flows_pushes_awaiting_ack'), 0, 'nothing left awaiting an ack');
});

t.test('the recovery resolver runs and says when', async (t) => {
  const before = await scrape(adminPort);
  const after = await scrapeUntil((s) => delta(before, s, 'boxfep_flows_recovery_runs_total', { result: 'ran' }) >= 2);
  t.ok(delta(before, after, 'boxfep_flows_recovery_runs_total', { result: 'ran' }) >= 2, 'passes counted');
  const last = after.sum('boxfep_flows_recovery_last_run_timestamp_seconds');
  t.ok(Math.abs(Date.now() / 1000 - last) < 5, 'last run is recent');
  t.ok(after.has('boxfep_flows_recovery_due_orders'), 'backlog gauge exported');
});
