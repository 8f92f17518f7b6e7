// `boxfep serve` as an operator runs it: embedded defaults with the demo terminal, the box CLI
// against it, the admin endpoint, and a graceful SIGTERM.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import { cliPath } from '../helpers/paths.js';

const run = promisify(execFile);

interface Started {
  child: ChildProcess;
  out: () => string;
  boxPort: number;
  adminPort: number;
}

function startServe(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawn(process.execPath, [cliPath, 'serve', ...args], {
    env: { ...process.env, BOXFEP_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${out}`)), 15_000);
    const check = () => {
      const line = out.split('\n').find((l) => l.includes('"boxfep serving"'));
      if (!line) return;
      clearTimeout(timer);
      const j = JSON.parse(line) as { box: number[]; admin: number };
      resolve({ child, out: () => out, boxPort: j.box[0], adminPort: j.admin });
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => reject(new Error(`serve exited ${code}:\n${out}`)));
  });
}

function exited(child: ChildProcess, ms: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('serve did not exit')), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

const base = [
  '--box-port',
  '0',
  '--admin-port',
  '0',
  '--notify-port',
  '0',
  '--host',
  '127.0.0.1',
  '--crypto',
  'inline',
];

t.test('embedded defaults: demo terminal, box CLI sign-on and echo, admin endpoint, SIGTERM drain', async (t) => {
  const s = await startServe([...base, '--drain-ms', '2000']);
  t.teardown(() => s.child.kill('SIGKILL'));
  const demo = /demo terminal: TID (\S+)\s+MID (\S+)\s+TMK ([0-9A-F]{32})/.exec(s.out());
  t.ok(demo, 'the demo terminal is printed');
  const [, tid, mid, tmk] = demo!;
  const common = ['--port', String(s.boxPort), '--tid', tid, '--mid', mid, '--tmk', tmk];
  const signon = await run(process.execPath, [cliPath, 'box', 'signon', ...common]);
  t.match(signon.stdout, /← 0810/);
  t.match(signon.stdout, /39 response code\s+00/);
  t.match(signon.stdout, /check values verified/);
  const echo = await run(process.execPath, [cliPath, 'box', 'echo', ...common]);
  t.match(echo.stdout, /← 0830/);
  // `serve` runs the flows against the in-process wallet sandboxes: a code ending in 00 is approved.
  const pay = await run(process.execPath, [
    cliPath,
    'box',
    'pay',
    ...common,
    '--amount',
    '100',
    '--code',
    '134567890123456700',
  ]);
  t.match(pay.stdout, /39 response code\s+00/, 'B2C sale approved by the sandbox wallet');
  t.match(pay.stdout, /MAC verified/);
  t.match(pay.stdout, /A3=13\*+6700/, 'payment code masked in the printout');
  t.notMatch(pay.stdout, /134567890123456700/);
  const pre = await run(process.execPath, [
    cliPath,
    'box',
    'precreate',
    ...common,
    '--amount',
    '100',
    '--wallet',
    'WX',
  ]);
  t.match(pre.stdout, /39 response code\s+09/, 'C2B order created');
  t.match(pre.stdout, /← 0620[\s\S]*39 response code\s+00[\s\S]*MAC verified, acknowledged with 0630/, 'result pushed');

  const ready = await fetch(`http://127.0.0.1:${s.adminPort}/readyz`);
  t.equal(ready.status, 200);
  const metrics = await (await fetch(`http://127.0.0.1:${s.adminPort}/metrics`)).text();
  t.match(
    metrics,
    /boxfep_server_transactions_total\{type="signon",rc="00"\} 3/,
    'sign-on, and again before pay and precreate',
  );
  t.match(metrics, /boxfep_server_connections_accepted_total 4/);
  t.equal((await fetch(`http://127.0.0.1:${s.adminPort}/healthz`)).status, 200);

  // The warm-up ran first (2,000 synthetic transactions by default, fewer if its 5 s bound came
  // first) and left nothing on /metrics: the counts above are the box CLI's alone.
  const warmed = s
    .out()
    .split('\n')
    .find((l) => l.includes('"warmed up"'));
  const report = JSON.parse(warmed ?? '{}') as { transactions?: number; unexpected?: number };
  t.ok(report.transactions! > 0 && report.unexpected === 0, `warmed up before serving: ${warmed}`);

  s.child.kill('SIGTERM');
  t.equal(await exited(s.child, 5000), 0, 'clean exit on SIGTERM');
  t.match(s.out(), /"draining"/);
});

t.test('--terminals FILE upserts terminals at start; config file and env are read', async (t) => {
  const dir = t.testdir({});
  writeFileSync(
    `${dir}/terminals.json`,
    JSON.stringify([
      {
        tid: '55500001',
        mid: '555000000000001',
        tmk: '0123456789ABCDEFFEDCBA9876543210',
        keyMode: 'session',
        mac: 'cups-ecb',
      },
    ]),
  );
  writeFileSync(`${dir}/boxfep.json`, JSON.stringify({ terminals: `${dir}/terminals.json` }));
  const s = await startServe([...base, '--config', `${dir}/boxfep.json`], {
    BOXFEP_DRAIN_MS: '500',
    BOXFEP_WARM_UP: '0',
  });
  t.teardown(() => s.child.kill('SIGKILL'));
  t.notMatch(s.out(), /"warmed up"/, 'BOXFEP_WARM_UP=0: no warm-up');
  t.notMatch(s.out(), /demo terminal/, 'no demo terminal when terminals are given');
  t.match(s.out(), /"terminals upserted"/);
  const r = await run(process.execPath, [
    cliPath,
    'box',
    'signon',
    '--port',
    String(s.boxPort),
    '--tid',
    '55500001',
    '--mid',
    '555000000000001',
    '--tmk',
    '0123456789ABCDEFFEDCBA9876543210',
    '--with-tdk',
  ]);
  t.match(r.stdout, /62 working keys\s+[0-9A-F]{120}\n/, 'field 62 with the TDK');
  s.child.kill('SIGINT');
  t.equal(await exited(s.child, 5000), 0);
});

t.test('bad settings are one line on stderr and exit 2', async (t) => {
  for (const args of [
    ['--box-port', 'many'],
    ['--crypto', 'gpu'],
    ['--no-such-flag'],
    ['--terminals', '/nonexistent.json', ...base],
  ]) {
    const err = await run(process.execPath, [cliPath, 'serve', ...args]).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    t.equal(err?.code, 2, args.join(' '));
    t.notMatch(err?.stderr, /at .*\.js:\d+/, 'no stack trace');
  }
});

t.test('boxfep box: bad flags exit 2, an unreachable server exits 1', async (t) => {
  const usage = await run(process.execPath, [cliPath, 'box', 'dance', '--tid', 'x']).catch((e: { code: number }) => e);
  t.equal((usage as { code: number }).code, 2);
  const noTmk = await run(process.execPath, [
    cliPath,
    'box',
    'echo',
    '--tid',
    '12345678',
    '--mid',
    '123456789012345',
  ]).catch((e: { code: number; stderr: string }) => e);
  t.equal((noTmk as { code: number }).code, 2, 'session box without --tmk');
  const refused = await run(process.execPath, [
    cliPath,
    'box',
    'echo',
    '--port',
    '1',
    '--tid',
    '12345678',
    '--mid',
    '123456789012345',
    '--tmk',
    '0123456789ABCDEFFEDCBA9876543210',
  ]).catch((e: { code: number; stderr: string }) => e);
  t.equal((refused as { code: number }).code, 1);
  t.match((refused as { stderr: string }).stderr, /cannot connect/);
});
