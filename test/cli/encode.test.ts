import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import { cliPath, fixture } from '../helpers/paths.js';

const run = promisify(execFile);
const examples = JSON.parse(readFileSync(fixture('iso8583', 'examples.json'), 'utf8'));
const signOn = examples.signOnRequest;
const frameHex = (s: string) => s.replace(/\s+/g, '').toUpperCase();

function withStdin(args: string[], input: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args]);
    let stdout = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
    child.stdin.end(input);
  });
}

t.test('encode --frame reproduces the sign-on frame byte for byte', async (t) => {
  const json = JSON.stringify({ mti: signOn.mti, fields: signOn.fields });
  const { stdout } = await run(process.execPath, [
    cliPath,
    'encode',
    '--spec',
    'cups-pos',
    '--frame',
    '--tpdu',
    '6000030000',
    '--header',
    '603100000000',
    json,
  ]);
  t.equal(stdout, `${frameHex(signOn.frame)}\n`);
});

t.test('encode accepts what decode --frame prints (tpdu/header in the JSON)', async (t) => {
  const { stdout: decoded } = await run(process.execPath, [
    cliPath,
    'decode',
    '--spec',
    'cups-pos',
    '--frame',
    signOn.frame,
  ]);
  const { stdout } = await run(process.execPath, [cliPath, 'encode', '--spec', 'cups-pos', '--frame', decoded.trim()]);
  t.equal(stdout.trim(), frameHex(signOn.frame));
});

t.test('iso87ascii: uppercase hex of the ASCII message', async (t) => {
  const { stdout } = await run(process.execPath, [
    cliPath,
    'encode',
    '--spec',
    'iso87ascii',
    '{"mti":"0800","fields":{"11":"1"}}',
  ]);
  t.equal(Buffer.from(stdout.trim(), 'hex').toString('latin1'), '08000020000000000000000001');
  t.equal(stdout.trim(), stdout.trim().toUpperCase());
});

t.test('bad single arguments: one stderr line, exit 2', async (t) => {
  for (const [args, message] of [
    [['{"mti":"0200","fields":{"4":"12X"}}'], /field 4: not a digit: 'X' at character 2 at offset 10/],
    [['{"mti":"0200"'], /not JSON/],
    [['--frame', '{"mti":"0800","fields":{}}'], /tpdu is missing/],
    [['--tpdu', '6000030000', '{}'], /--tpdu and --header need --frame/],
  ] as const) {
    const e = (await run(process.execPath, [cliPath, 'encode', '--spec', 'cups-pos', ...args]).catch((x) => x)) as {
      code: number;
      stderr: string;
    };
    t.equal(e.code, 2);
    t.match(e.stderr, message);
    t.equal(e.stderr.split('\n').length, 2, 'exactly one line');
  }
});

t.test('stdin: one hex line per JSON line, failures inline, exit 2', async (t) => {
  const good = JSON.stringify({ mti: signOn.mti, fields: signOn.fields });
  const input = `${good}\n{"mti":"0800","fields":{"70":"301"}}\n${good}\n`;
  const r = await withStdin(['encode', '--spec', 'cups-pos'], input);
  t.equal(r.code, 2);
  const lines = r.stdout.trimEnd().split('\n');
  t.equal(lines.length, 3);
  t.equal(lines[0], frameHex(signOn.frame).slice(26));
  t.same(JSON.parse(lines[1]), { error: 'field 70: not defined in spec cups-pos at offset 2', field: 70, offset: 2 });
  t.equal(lines[2], lines[0]);
});
