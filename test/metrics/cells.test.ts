// Counter cells (src/metrics/cells.ts): whatever is counted in cells reads exactly as if each
// increment had gone to prom-client directly, at every read.
import fc from 'fast-check';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import t from 'tap';
import { CounterCells, GaugeCells, HistogramCells } from '../../src/metrics/cells.js';

/** The exposition lines of the directly counted metric and of the one counted in cells, names cut off. */
async function exposition(registry: Registry, directName: string, cellsName: string) {
  const text = await registry.metrics();
  const lines = (prefix: string) =>
    text
      .split('\n')
      .filter((l) => l.startsWith(prefix))
      .map((l) => l.slice(prefix.length));
  return { direct: lines(directName), cells: lines(cellsName) };
}

function pair(labelNames: string[]) {
  const registry = new Registry();
  const direct = new Counter({ name: 'direct_total', help: 'h', labelNames, registers: [registry] });
  let cells: CounterCells | undefined;
  const viaCells = new Counter({
    name: 'cells_total',
    help: 'h',
    labelNames,
    registers: [registry],
    collect() {
      cells?.flush();
    },
  });
  cells = new CounterCells(viaCells, ...labelNames);
  const read = () => exposition(registry, 'direct_total', 'cells_total');
  return { direct, cells, read };
}

t.test('two labels: the same series and values as direct increments, at every read', async (t) => {
  const { direct, cells, read } = pair(['type', 'rc']);
  const seen = [
    ['sale', '00'],
    ['sale', '05'],
    ['echo', '00'],
    ['sale', '00'],
  ];
  for (let round = 0; round < 3; round++) {
    for (const [type, rc] of seen) {
      direct.inc({ type, rc });
      cells!.of2(type, rc).inc();
    }
    const r = await read();
    t.same(r.cells, r.direct, `read ${round + 1}`);
  }
  t.same((await read()).cells, ['{type="sale",rc="00"} 6', '{type="sale",rc="05"} 3', '{type="echo",rc="00"} 3']);
  t.equal(cells!.of2('sale', '00'), cells!.of2('sale', '00'), 'one cell per label values');
});

t.test('one label and amounts; an unknown label name is refused when the cell is made', async (t) => {
  const { direct, cells, read } = pair(['listener']);
  direct.inc({ listener: 'box:5800' }, 7);
  cells!.of('box:5800').inc(7);
  direct.inc({ listener: 'box:5800' });
  cells!.of('box:5800').inc();
  const r = await read();
  t.same(r.cells, r.direct);
  t.same(r.cells, ['{listener="box:5800"} 8']);
  const registry = new Registry();
  const c = new Counter({ name: 'x_total', help: 'h', labelNames: ['a'], registers: [registry] });
  t.throws(() => new CounterCells(c, 'b').of('v'));
});

const BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.1, 1, 45];

function histogramPair(labelNames: readonly [string] | readonly [string, string] = ['type']) {
  const registry = new Registry();
  const direct = new Histogram({
    name: 'direct_seconds',
    help: 'h',
    labelNames,
    buckets: BUCKETS,
    registers: [registry],
  });
  let cells: HistogramCells | undefined;
  const viaCells = new Histogram({
    name: 'cells_seconds',
    help: 'h',
    labelNames,
    buckets: BUCKETS,
    registers: [registry],
    collect() {
      cells?.flush();
    },
  });
  cells = new HistogramCells(viaCells, labelNames, BUCKETS);
  const read = () => exposition(registry, 'direct_seconds', 'cells_seconds');
  return { direct, viaCells, cells: cells as HistogramCells, read };
}

t.test('histogram cells expose exactly what direct observe() calls do, across reads', async (t) => {
  const { direct, cells, read } = histogramPair();
  const edges = [0, 0.0005, 0.00050001, 0.001, 0.01, 0.2, 45, 46, 1e9];
  for (const v of edges) {
    direct.observe({ type: 'sale' }, v);
    cells.of('sale').observe(v);
  }
  let r = await read();
  t.same(r.cells, r.direct, 'bucket edges, above the last bound');
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.constantFrom('sale', 'echo', 'query'), fc.double({ min: 0, max: 100, noNaN: true })), {
        maxLength: 50,
      }),
      async (observations) => {
        for (const [type, v] of observations) {
          direct.observe({ type }, v);
          cells.of(type).observe(v);
        }
        const now = await read();
        return JSON.stringify(now.cells) === JSON.stringify(now.direct);
      },
    ),
    { numRuns: 40 },
  );
  for (let i = 0; i < 5000; i++) {
    const v = Math.random() / 50;
    direct.observe({ type: 'query' }, v);
    cells.of('query').observe(v);
  }
  r = await read();
  t.same(r.cells, r.direct, 'even the float sum of 5,000 random observations is the same to the last digit');
  t.ok(r.cells.length > 0 && r.cells.some((l) => l.startsWith('_count{type="echo"}')));
  t.throws(() => cells.of('sale').observe(Number.NaN), TypeError, 'not a number: refused as by prom-client');
});

t.test('histogram cells after a reset, and with a series observed directly first', async (t) => {
  const { direct, viaCells, cells, read } = histogramPair();
  viaCells.observe({ type: 'echo' }, 0.002);
  direct.observe({ type: 'echo' }, 0.002);
  cells.of('echo').observe(0.003);
  direct.observe({ type: 'echo' }, 0.003);
  t.same((await read()).cells, (await read()).direct, 'the existing series is added to, not zeroed');
  viaCells.reset();
  direct.reset();
  cells.of('echo').observe(0.5);
  direct.observe({ type: 'echo' }, 0.5);
  const r = await read();
  t.same(r.cells, r.direct, 'a reset histogram starts the series again');
});

t.test('two-label histogram cells (store commands, wallet calls) expose what direct observe() calls do', async (t) => {
  const { direct, viaCells, cells, read } = histogramPair(['op', 'backend']);
  // Two series that share a first value and two that share a second: each cell finds its own record.
  const series: [string, string][] = [
    ['transition', 'redis'],
    ['transition', 'memory'],
    ['claimRequest', 'redis'],
    ['claimRequest', 'memory'],
  ];
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.constantFrom(...series), fc.double({ min: 0, max: 100, noNaN: true })), { maxLength: 60 }),
      async (observations) => {
        for (const [[op, backend], v] of observations) {
          direct.observe({ op, backend }, v);
          cells.of2(op, backend).observe(v);
        }
        const now = await read();
        return JSON.stringify(now.cells) === JSON.stringify(now.direct);
      },
    ),
    { numRuns: 40 },
  );
  const r = await read();
  t.same(r.cells, r.direct);
  t.ok(r.cells.some((l) => l.startsWith('_count{op="claimRequest",backend="memory"}')));
  t.equal(cells.of2('transition', 'redis'), cells.of2('transition', 'redis'), 'one cell per label values');
  viaCells.reset();
  direct.reset();
  cells.of2('claimRequest', 'redis').observe(0.002);
  direct.observe({ op: 'claimRequest', backend: 'redis' }, 0.002);
  const after = await read();
  t.same(after.cells, after.direct, 'after a reset');
});

t.test('counter cells for a whole label set (three labels), kept by the caller', async (t) => {
  const { direct, cells, read } = pair(['wallet', 'op', 'outcome']);
  // Two callers (two guards of one wallet) each keep their own cell of the same labels.
  const a = cells.cell({ wallet: 'WX', op: 'pay', outcome: 'success' });
  const b = cells.cell({ wallet: 'WX', op: 'pay', outcome: 'success' });
  const c = cells.cell({ wallet: 'UP', op: 'query', outcome: 'unknown' });
  for (let i = 0; i < 5; i++) {
    a.inc();
    direct.inc({ wallet: 'WX', op: 'pay', outcome: 'success' });
    if (i === 0) direct.inc({ wallet: 'UP', op: 'query', outcome: 'unknown' }, 0);
    if (i % 2) {
      b.inc();
      direct.inc({ wallet: 'WX', op: 'pay', outcome: 'success' });
    }
  }
  c.inc(3);
  direct.inc({ wallet: 'UP', op: 'query', outcome: 'unknown' }, 3);
  const r = await read();
  t.same(r.cells, r.direct);
  t.same(r.cells, ['{wallet="WX",op="pay",outcome="success"} 7', '{wallet="UP",op="query",outcome="unknown"} 3']);
  t.throws(() => cells.cell({ wallet: 'WX', nope: 'x' }), 'an unknown label name is refused when the cell is made');
});

t.test('gauge cells (calls in flight) read as direct inc()/dec(), at every read and after a reset', async (t) => {
  const registry = new Registry();
  const direct = new Gauge({ name: 'direct_in_flight', help: 'h', labelNames: ['wallet'], registers: [registry] });
  let cells: GaugeCells | undefined;
  const viaCells = new Gauge({
    name: 'cells_in_flight',
    help: 'h',
    labelNames: ['wallet'],
    registers: [registry],
    collect() {
      cells?.flush();
    },
  });
  cells = new GaugeCells(viaCells, 'wallet');
  const read = () => exposition(registry, 'direct_in_flight', 'cells_in_flight');
  t.same((await read()).cells, [], 'no series before the first move');
  const steps: [string, 1 | -1][] = [
    ['WX', 1],
    ['WX', 1],
    ['UP', 1],
    ['WX', -1],
    ['UP', -1],
    ['AL', 1],
    ['AL', -1],
  ];
  for (const [wallet, d] of steps) {
    if (d > 0) {
      direct.inc({ wallet });
      cells.of(wallet).inc();
    } else {
      direct.dec({ wallet });
      cells.of(wallet).dec();
    }
    const r = await read();
    t.same(r.cells, r.direct, `after ${wallet} ${d}`);
  }
  t.same((await read()).cells, ['{wallet="WX"} 1', '{wallet="UP"} 0', '{wallet="AL"} 0']);
  direct.reset();
  viaCells.reset();
  t.same((await read()).cells, (await read()).direct, 'reset: no series until moved again');
  direct.inc({ wallet: 'UP' });
  cells.of('UP').inc();
  direct.dec({ wallet: 'UP' });
  cells.of('UP').dec();
  const r = await read();
  t.same(r.cells, r.direct, 'a move with no net change recreates the series after a reset');
  t.same(r.cells, ['{wallet="UP"} 0']);
});
