// The store's script calls, ioredis's way against boxfep's (src/store/redis-eval.ts), side by side in
// one process on one connection to the redis-server at 127.0.0.1:6379:
//   - `ioredis`: a script registered with defineCommand, called through its Buffer variant (how the
//     store called its scripts until the twentieth round);
//   - `LuaScript`: the one-pass EVALSHA command.
// The calls have a sale's beginPayment shape (5 keys, 13 arguments, one of them a ~200-byte encoded
// order); the script itself only returns, so what differs is the client's work. Alternating rounds of
// closed-loop calls (32 in flight); this process's CPU µs per call, and the ratio per pair of rounds.
// Then the wire text alone: building the command and its bytes, no socket; and what ioredis's Command
// constructor costs with 20 arguments.
// Usage: npm run build && node dist/bench/store/eval-commands.js [rounds 6] [calls per round 40,000]
import { randomBytes } from 'node:crypto';
import { Command, Redis } from 'ioredis';
import { EvalCommand, LuaScript, type ScriptArg } from '../../src/store/redis-eval.js';

const ROUNDS = Number(process.argv[2] ?? 6);
const CALLS = Number(process.argv[3] ?? 40_000);
const IN_FLIGHT = 32;
const LUA = `-- boxfep bench ${randomBytes(4).toString('hex')}\nreturn 1`;

const client = new Redis(process.env.BENCH_REDIS ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: false });
client.defineCommand('bfBench', { lua: LUA });
const defined = (client as unknown as Record<string, (...a: ScriptArg[]) => Promise<unknown>>).bfBenchBuffer!.bind(
  client,
);
const script = new LuaScript(LUA);

const order = randomBytes(200);
function keysOf(i: number): string[] {
  const stan = String(i % 1_000_000).padStart(6, '0');
  return [
    `bf:{M00000000000001}:req:T0000001:000001:${stan}:0200`,
    `bf:{M00000000000001}:tomb:T0000001:000001:${stan}`,
    'bf:{M00000000000001}:daily:20261208',
    `bf:{M00000000000001}:order:${String(i).padStart(12, '0')}`,
    `bf:{M00000000000001}:oidx:T0000001:000001:${stan}`,
  ];
}
function argsOf(i: number): ScriptArg[] {
  return [
    '3f9a1c0e5b7d2a4f',
    String(i).padStart(12, '0'),
    order,
    68_265,
    '1',
    '',
    100_000_000,
    '',
    172_800_000,
    604_800_000,
    172_800_000,
    1_765_152_000_000 + i,
    `M00000000000001|${i}`,
  ];
}

const ways = {
  ioredis: (i: number) => {
    const keys = keysOf(i);
    return defined(keys.length, ...keys, ...argsOf(i));
  },
  LuaScript: (i: number) => script.run(client, keysOf(i), argsOf(i)),
};
type Way = keyof typeof ways;

/** CPU µs per call of `way` over CALLS calls, IN_FLIGHT at a time. */
async function round(way: Way, from: number): Promise<number> {
  const call = ways[way];
  let next = from;
  const end = from + CALLS;
  const cpu0 = process.cpuUsage();
  const lane = async () => {
    while (next < end) await call(next++);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / CALLS;
}

/** CPU ns per command of building it and its wire bytes, no socket. */
function wireText(way: Way, n: number): number {
  const start = process.cpuUsage();
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const keys = keysOf(i);
    const cmd =
      way === 'ioredis'
        ? new Command('evalsha', [script.sha, keys.length, ...keys, ...argsOf(i)], { replyEncoding: null })
        : new EvalCommand('evalsha', script.sha, keys, argsOf(i));
    cmd.promise.catch(() => undefined);
    bytes += cmd.toWritable({}).length;
  }
  const cpu = process.cpuUsage(start);
  if (bytes === 0) throw new Error('nothing written');
  return ((cpu.user + cpu.system) * 1000) / n;
}

await client.ping();
await ways.ioredis(0);
await ways.LuaScript(0); // both loaded, both warm
console.log(`# ${ROUNDS} alternating rounds of ${CALLS} calls, ${IN_FLIGHT} in flight: this process's CPU µs per call`);
const ratios: number[] = [];
let from = 1;
for (let r = 0; r < ROUNDS; r++) {
  const turns = r % 2 === 0 ? (['ioredis', 'LuaScript'] as const) : (['LuaScript', 'ioredis'] as const);
  const us: Partial<Record<Way, number>> = {};
  for (const way of turns) {
    us[way] = await round(way, from);
    from += CALLS;
  }
  ratios.push(us.LuaScript! / us.ioredis!);
  console.log(
    `round ${r + 1}: ioredis ${us.ioredis!.toFixed(2)}  LuaScript ${us.LuaScript!.toFixed(2)}  ratio ×${ratios.at(-1)!.toFixed(3)}`,
  );
}
ratios.sort((a, b) => a - b);
console.log(`median ratio LuaScript / ioredis: ×${ratios[Math.floor(ratios.length / 2)]!.toFixed(3)}`);

console.log('# the wire text alone (command and bytes, no socket): CPU ns per command, alternating');
for (let r = 0; r < 3; r++) {
  const a = wireText('ioredis', 200_000);
  const b = wireText('LuaScript', 200_000);
  console.log(`ioredis ${a.toFixed(0)}  LuaScript ${b.toFixed(0)}  ratio ×${(b / a).toFixed(3)}`);
}

// Why ioredis's Command is dear with many arguments: its constructor copies them with
// Array.prototype.flat, slow on node 20's V8 against a plain copy.
console.log("# ioredis's Command with a sale's 20 arguments against none, and flat() against slice(): ns each");
const twenty = [script.sha, '5', ...keysOf(1), ...argsOf(1).map((a) => (typeof a === 'number' ? String(a) : a))];
const nsEach = (n: number, f: () => unknown): number => {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) f();
  return Number(process.hrtime.bigint() - start) / n;
};
for (let r = 0; r < 3; r++) {
  const full = nsEach(100_000, () => new Command('evalsha', twenty, { replyEncoding: null }).promise.catch(() => {}));
  const none = nsEach(100_000, () => new Command('evalsha', [], { replyEncoding: null }).promise.catch(() => {}));
  const flat = nsEach(200_000, () => twenty.flat());
  const slice = nsEach(200_000, () => twenty.slice());
  console.log(
    `Command ${full.toFixed(0)} / ${none.toFixed(0)} (20 arguments / none)  flat ${flat.toFixed(0)}  slice ${slice.toFixed(0)}`,
  );
}
client.disconnect();
