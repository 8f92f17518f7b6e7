// Counter cells (src/metrics/cells.ts): whatever is counted in cells reads exactly as if each
// increment had gone to prom-client directly, at every read.
import { Counter, Registry } from 'prom-client';
import t from 'tap';
import { CounterCells } from '../../src/metrics/cells.js';

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
  const read = async () => {
    const text = await registry.metrics();
    const lines = (prefix: string) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(prefix))
        .map((l) => l.slice(prefix.length));
    return { direct: lines('direct_total'), cells: lines('cells_total') };
  };
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
