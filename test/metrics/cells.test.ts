// Counter cells (src/metrics/cells.ts): whatever is counted in cells reads exactly as if each
// increment had gone to prom-client directly, at every read.
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import t from 'tap';
import { CounterCells, HistogramCells } from '../../src/metrics/cells.js';

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
  cells = new CounterCells(viaCells, ...(labelNames as [string, string]));
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

function histogramPair() {
  const registry = new Registry();
  const direct = new Histogram({
    name: 'direct_seconds',
    help: 'h',
    labelNames: ['type'],
    buckets: BUCKETS,
    registers: [registry],
  });
  let cells: HistogramCells | undefined;
  const viaCells = new Histogram({
    name: 'cells_seconds',
    help: 'h',
    labelNames: ['type'],
    buckets: BUCKETS,
    registers: [registry],
    collect() {
      cells?.flush();
    },
  });
  cells = new HistogramCells(viaCells, 'type', BUCKETS);
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
