// `boxfep terminal` on the embedded deployment's terminals file.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import { cliPath } from '../helpers/paths.js';

const exec = promisify(execFile);
const TMK = '0123456789ABCDEFFEDCBA9876543210';
const env = { ...process.env, BOXFEP_LMK: '11'.repeat(32) };
const run = (args: string[]) => exec(process.execPath, [cliPath, 'terminal', ...args], { env });
const fail = (args: string[]) =>
  run(args).then(
    () => ({ code: 0, stderr: '' }),
    (e: { code: number; stderr: string }) => e,
  );

t.test('add, list, disable, import on a terminals file that never holds a clear key', async (t) => {
  const dir = t.testdir({});
  const file = `${dir}/terminals.json`;
  const add = await run([
    'add',
    '--terminals-file',
    file,
    '--tid',
    '12345678',
    '--mid',
    '123456789012345',
    '--tmk',
    TMK,
  ]);
  t.equal(add.stdout, 'added 12345678  KCV 08D7B4FB\n');
  t.notMatch(readFileSync(file, 'utf8'), new RegExp(TMK, 'i'));
  writeFileSync(`${dir}/more.csv`, `tid,mid,bdk,keyMode\n87654321,123456789012345,${TMK},dukpt-tdes\n`);
  const imp = await run(['import', `${dir}/more.csv`, '--terminals-file', file]);
  t.equal(imp.stdout, 'added 87654321  KCV 08D7B4FB\n');
  await run(['disable', '--terminals-file', file, '--tid', '12345678']);
  const list = JSON.parse((await run(['list', '--terminals-file', file, '--json'])).stdout) as Array<{
    tid: string;
    status: string;
    keyMode: string;
  }>;
  t.same(
    list.map((r) => [r.tid, r.status, r.keyMode]),
    [
      ['12345678', 'disabled', 'session'],
      ['87654321', 'active', 'dukpt-tdes'],
    ],
  );
  const table = (await run(['list', '--terminals-file', file])).stdout;
  t.match(table, /^TID\s+MID/);
  t.match(table, /12345678\s+123456789012345\s+disabled/);
});

t.test('operator mistakes are one line and exit 2', async (t) => {
  const dir = t.testdir({});
  const file = `${dir}/t.json`;
  const cases: string[][] = [
    ['add', '--tid', '12345678', '--mid', '123456789012345', '--tmk', TMK],
    ['add', '--terminals-file', file, '--tid', '1', '--mid', '123456789012345', '--tmk', TMK],
    ['add', '--terminals-file', file, '--tid', '12345678', '--mid', '123456789012345', '--tmk', 'ABC'],
    ['disable', '--terminals-file', file, '--tid', '99999999'],
    ['import', '--terminals-file', file],
    ['frobnicate'],
  ];
  for (const args of cases) {
    const e = await fail(args);
    t.equal(e.code, 2, args.join(' '));
    t.equal(e.stderr.trim().split('\n').length >= 1, true);
    t.notMatch(e.stderr, /at .*\.js:\d+/, 'no stack trace');
  }
});
