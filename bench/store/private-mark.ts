// What it costs to link a caller's copy of an order to the store's own form (private-mark.ts): a
// private mark against a WeakMap, per copy marked and read back once, with the copy made and dropped
// as a sale does (a 64-deep queue of copies in flight). Rounds alternate; "copy only" is the floor.
// Usage: npm run build && node dist/bench/store/private-mark.js [rounds 5] [copies per round 1,000,000]
import { privateMark } from '../../src/store/private-mark.js';

const ROUNDS = Number(process.argv[2] ?? 5);
const N = Number(process.argv[3] ?? 1_000_000);
const STORED = { rrn: '000000000001' };
type Copy = ReturnType<typeof copyOf>;

function copyOf(i: number) {
  return { rrn: String(i & 1023), mid: 'M00000000000001', amountFen: i, state: 'paying', events: [] as unknown[] };
}

function run(link: (o: Copy) => void, read: (o: Copy) => unknown): number {
  const inFlight = new Array<Copy>(64);
  let found = 0;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const o = copyOf(i);
    link(o);
    const back = inFlight[i & 63];
    if (back !== undefined && read(back) === STORED) found++;
    inFlight[i & 63] = o;
  }
  const cpu = process.cpuUsage(cpu0);
  if (found !== N - 64) throw new Error(`links lost: ${N - 64 - found}`);
  return ((cpu.user + cpu.system) * 1000) / N;
}

const mark = privateMark<Copy, typeof STORED>();
const cases: [string, () => number][] = [
  [
    'copy only',
    () =>
      run(
        () => undefined,
        (o) => (o.amountFen >= 0 ? STORED : undefined),
      ),
  ],
  [
    'private mark',
    () =>
      run(
        (o) => mark.set(o, STORED),
        (o) => mark.get(o),
      ),
  ],
  [
    'WeakMap',
    () => {
      const wm = new WeakMap<Copy, typeof STORED>();
      return run(
        (o) => wm.set(o, STORED),
        (o) => wm.get(o),
      );
    },
  ],
];
const totals = new Map<string, number[]>();
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, f] of cases) {
    const ns = f();
    totals.set(name, [...(totals.get(name) ?? []), ns]);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const floor = median(totals.get('copy only') as number[]);
for (const [name, xs] of totals) {
  const m = median(xs);
  console.log(
    `${name.padEnd(13)} ${m.toFixed(0).padStart(5)} ns per copy (median of ${ROUNDS})${name === 'copy only' ? '' : `, +${(m - floor).toFixed(0)} ns for the link`}`,
  );
}
