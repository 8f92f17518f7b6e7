// Arrival schedules are fixed in advance (open loop) and have the asked-for rate; the mix draws types
// in the asked-for proportions; both are reproducible from the seed.
import t from 'tap';
import { DEFAULT_MIX, formatMix, MixError, parseMix, TX_TYPES, type TxType } from '../../bench/load/mix.js';
import { seededRng } from '../../bench/load/random.js';
import { constantSchedule, poissonSchedule } from '../../bench/load/schedule.js';

t.test('constant arrivals are evenly spaced at 1/rate', async (t) => {
  const s = constantSchedule(250);
  const times = Array.from({ length: 1001 }, () => s.next());
  t.equal(times[0], 0);
  t.equal(times[1000], 4000, '1000 gaps of 4 ms');
  const uneven = times.slice(1).filter((x, i) => Math.abs(x - times[i] - 4) > 1e-9);
  t.same(uneven, [], 'every gap is 4 ms');
});

t.test('Poisson arrivals have mean gap 1/rate and exponential spread (CV ≈ 1)', async (t) => {
  const s = poissonSchedule(1000, seededRng(42));
  const n = 20_000;
  let prev = 0;
  const gaps: number[] = [];
  for (let i = 0; i < n; i++) {
    const at = s.next();
    gaps.push(at - prev);
    prev = at;
  }
  const mean = gaps.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / n);
  t.ok(Math.abs(mean - 1) < 0.03, `mean gap ${mean.toFixed(4)} ms ≈ 1 ms`);
  t.ok(Math.abs(sd / mean - 1) < 0.05, `coefficient of variation ${(sd / mean).toFixed(3)} ≈ 1`);
  t.ok(
    gaps.every((g) => g > 0),
    'strictly increasing times',
  );
  const again = poissonSchedule(1000, seededRng(42));
  t.equal(again.next(), gaps[0], 'same seed, same arrivals');
});

t.test('schedules refuse a rate that is not a positive number', async (t) => {
  t.throws(() => constantSchedule(0), RangeError);
  t.throws(() => poissonSchedule(-1, seededRng(1)), RangeError);
  t.throws(() => constantSchedule(Number.NaN), RangeError);
});

t.test('the default mix draws sale 70, precreate 10, query 10, echo 9, reversal 1 (%)', async (t) => {
  const mix = parseMix(DEFAULT_MIX);
  t.equal(formatMix(mix), DEFAULT_MIX);
  const rng = seededRng(7);
  const counts = Object.fromEntries(TX_TYPES.map((x) => [x, 0])) as Record<TxType, number>;
  const n = 100_000;
  for (let i = 0; i < n; i++) counts[mix.pick(rng)]++;
  const expected: Record<TxType, number> = { sale: 0.7, precreate: 0.1, query: 0.1, echo: 0.09, reversal: 0.01 };
  for (const x of TX_TYPES) {
    t.ok(Math.abs(counts[x] / n - expected[x]) < 0.006, `${x}: ${((100 * counts[x]) / n).toFixed(2)} %`);
  }
});

t.test('a mix with one type draws only that type; bad mixes are refused by name', async (t) => {
  const echo = parseMix('echo=1');
  const rng = seededRng(3);
  t.ok(Array.from({ length: 1000 }, () => echo.pick(rng)).every((x) => x === 'echo'));
  t.throws(() => parseMix('sale=70,refund=30'), MixError, 'unknown type');
  t.throws(() => parseMix('sale=x'), MixError, 'not a weight');
  t.throws(() => parseMix('sale=0'), MixError, 'no positive weight');
});
