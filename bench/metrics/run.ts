// What observability costs: the hot-path price of counting and timing a transaction (prom-client
// counter and histogram, with a label object and with a cached child) against a bare Map counter,
// and the price of one /metrics scrape with every area's metrics populated at a realistic
// cardinality; and the per-transaction log line, with the redaction safety net and without.
// `node dist/bench/metrics/run.js` (about 10 s).
import { performance } from 'node:perf_hooks';
import { createLogger } from '../../src/log/logger.js';
import { catalogue, loadAllMetrics } from '../../src/metrics/catalogue.js';
import { registry } from '../../src/metrics/registry.js';

await loadAllMetrics();
const server = await import('../../src/metrics/server.js');
const store = await import('../../src/metrics/store.js');
const channels = await import('../../src/metrics/channels.js');

const TYPES = ['signon', 'echo', 'payment', 'query', 'void', 'refund', 'reversal', 'settlement', 'push-reply'];
const RCS = ['00', '05', '09', '12', '14', '22', '25', '30', '51', '61', '64', '91', '94', '96', '98', 'A0'];
const STORE_OPS = ['getTerminal', 'getSessionKeys', 'beginPayment', 'transition', 'claimRequest', 'completeRequest'];

// Realistic cardinality: every type × code seen, every store op, three wallets × six operations.
for (const type of TYPES) {
  server.latency.observe({ type }, 0.01);
  for (const rc of RCS) server.transactions.inc({ type, rc });
}
for (const op of STORE_OPS) store.storeCommandSeconds.observe({ op, backend: 'redis' }, 0.0004);
for (const wallet of ['WX', 'AL', 'UP'])
  for (const op of ['pay', 'precreate', 'query', 'cancel', 'close', 'refund']) {
    channels.channelCallSeconds.observe({ wallet, op }, 0.05);
    channels.channelOutcomes.inc({ wallet, op, outcome: 'success' });
  }

function rate(name: string, n: number, fn: (i: number) => void): number {
  for (let i = 0; i < 10_000; i++) fn(i); // warm-up
  const start = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  const seconds = (performance.now() - start) / 1000;
  const perSecond = n / seconds;
  console.log(
    `${name.padEnd(58)} ${Math.round(perSecond).toLocaleString('en').padStart(12)}/s  ${((seconds / n) * 1e9).toFixed(0).padStart(5)} ns`,
  );
  return perSecond;
}

const N = 2_000_000;
console.log(`hot path (${N.toLocaleString('en')} operations each)`);
const counts = new Map<string, number>();
const baseline = rate('baseline: Map counter keyed by type|rc', N, (i) => {
  const k = `${TYPES[i % 9]}|${RCS[i % 16]}`;
  counts.set(k, (counts.get(k) ?? 0) + 1);
});
const inc = rate('counter.inc({type, rc})', N, (i) => server.transactions.inc({ type: TYPES[i % 9], rc: RCS[i % 16] }));
const cell = rate('counter cell: transactionCells.of2(type, rc).inc()', N, (i) =>
  server.transactionCells.of2(TYPES[i % 9], RCS[i % 16]).inc(),
);
console.log(`  counter cell ×${(cell / inc).toFixed(1)} the rate of counter.inc({type, rc})`);
const children = TYPES.map((type) => server.latency.labels({ type }));
const observe = rate('histogram.observe({type}, s)', N, (i) =>
  server.latency.observe({ type: TYPES[i % 9] }, (i % 100) / 1000),
);
const child = rate('histogram child (cached labels).observe(s)', N, (i) => children[i % 9].observe((i % 100) / 1000));
const hcell = rate('histogram cell: latencyCells.of(type).observe(s)', N, (i) =>
  server.latencyCells.of(TYPES[i % 9]).observe((i % 100) / 1000),
);
console.log(`  histogram cell ×${(hcell / observe).toFixed(1)} the rate of histogram.observe({type}, s)`);
const storeObserve = rate('2 labels: storeCommandSeconds.observe({op, backend}, s)', N, (i) =>
  store.storeCommandSeconds.observe({ op: STORE_OPS[i % 6], backend: 'redis' }, (i % 100) / 100_000),
);
const storeCell = rate('2 labels: storeCommandCells.of2(op, backend).observe(s)', N, (i) =>
  store.storeCommandCells.of2(STORE_OPS[i % 6], 'redis').observe((i % 100) / 100_000),
);
console.log(`  2-label histogram cell ×${(storeCell / storeObserve).toFixed(1)} the rate of observe({op, backend}, s)`);
const wxLabels = { wallet: 'WX' };
const gauge = rate('gauge channelInFlight.inc({wallet}) + dec({wallet})', N, () => {
  channels.channelInFlight.inc(wxLabels);
  channels.channelInFlight.dec(wxLabels);
});
const inFlightCell = channels.channelInFlightCells.of('WX');
const gaugeCell = rate('gauge cell: inc() + dec()', N, () => {
  inFlightCell.inc();
  inFlightCell.dec();
});
console.log(`  gauge cell ×${(gaugeCell / gauge).toFixed(1)} the rate of inc + dec with labels`);
console.log(
  `  counter ×${(inc / baseline).toFixed(2)}, histogram ×${(observe / baseline).toFixed(2)}, cached child ×${(child / baseline).toFixed(2)} of the baseline's rate`,
);
console.log(`  one transaction (1 inc + 1 observe): ~${(1e9 / inc + 1e9 / observe).toFixed(0)} ns of main-thread time`);

let bytes = 0;
// The pipeline's `transaction` line as the spawned server writes it, into a sink that only counts.
const sink = {
  write(text: string) {
    bytes += text.length;
  },
};
const redacted = createLogger({ level: 'info' }, sink as never);
const unredacted = createLogger({ level: 'info', redact: undefined }, sink as never);
const line = (i: number) => ({
  wallet: 'UP',
  order: `UP20261125${i}`,
  type: 'sale',
  mti: '0200',
  rc: '00',
  tid: '00000001',
  stan: '000123',
  rrn: '329000000001',
  amount: '000000001234',
  ms: 1.3,
});
const L = 300_000;
console.log(`\ntransaction log line (${L.toLocaleString('en')} lines each)`);
const withRedaction = rate('log.info(line) with the redact paths', L, (i) => redacted.info(line(i), 'transaction'));
const withoutRedaction = rate('log.info(line) without redaction', L, (i) => unredacted.info(line(i), 'transaction'));
console.log(`  redaction costs ${(1e9 / withRedaction - 1e9 / withoutRedaction).toFixed(0)} ns per line`);

const RUNS = 200;
for (let i = 0; i < 20; i++) bytes = (await registry.metrics()).length;
const start = performance.now();
for (let i = 0; i < RUNS; i++) await registry.metrics();
const ms = (performance.now() - start) / RUNS;
const series = (await registry.metrics()).split('\n').filter((l) => l && !l.startsWith('#')).length;
console.log(
  `\n/metrics scrape: ${catalogue().length} metrics, ${series} series, ${(bytes / 1024).toFixed(1)} KiB: ${ms.toFixed(2)} ms per scrape (mean of ${RUNS})`,
);
console.log(`  at a 15 s scrape interval that is ${((ms / 15_000) * 100).toFixed(3)} % of one core`);
