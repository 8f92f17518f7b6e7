import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import { cliPath, fixture } from '../helpers/paths.js';

const run = promisify(execFile);
const examples = JSON.parse(readFileSync(fixture('iso8583', 'examples.json'), 'utf8'));
const sale = examples.saleRequest;

function withStdin(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const failure = (e: unknown) => e as { code: number; stdout: string; stderr: string };

t.test('decode --frame prints tpdu, header, mti and fields of the sale frame', async (t) => {
  const { stdout } = await run(process.execPath, [cliPath, 'decode', '--spec', 'cups-pos', '--frame', sale.frame]);
  t.same(JSON.parse(stdout), { tpdu: '6000030000', header: '603100000000', mti: '0200', fields: sale.fields });
  t.match(stdout, /^\{"tpdu":"6000030000","header":"603100000000","mti":"0200","fields":\{"3":"000000","4":/);
});

t.test('decode of a bare message (no frame)', async (t) => {
  const message = sale.frame.replace(/\s+/g, '').slice(26);
  const { stdout } = await run(process.execPath, [cliPath, 'decode', '--spec', 'cups-pos', message]);
  t.same(JSON.parse(stdout), { mti: '0200', fields: sale.fields });
});

t.test('a bad single argument is one line on stderr and exit 2', async (t) => {
  const e = failure(
    await run(process.execPath, [cliPath, 'decode', '--spec', 'cups-pos', '0200 0000000020000000 41 62']).catch(
      (x) => x,
    ),
  );
  t.equal(e.code, 2);
  t.equal(e.stderr, 'boxfep decode: field 35: length 41 exceeds max 37 at offset 10\n');
  t.equal(e.stdout, '');
  const f = failure(await run(process.execPath, [cliPath, 'decode', '--spec', 'nope', '00']).catch((x) => x));
  t.equal(f.code, 2);
  t.match(f.stderr, /unknown spec 'nope'/);
  const g = failure(
    await run(process.execPath, [cliPath, 'decode', '--spec', 'cups-pos', '--frame', '0005 6000']).catch((x) => x),
  );
  t.equal(g.code, 2);
  t.match(g.stderr, /length prefix says 5 bytes but 2 follow/);
  t.notMatch(`${e.stderr}${f.stderr}${g.stderr}`, /at .*\.js:\d+/, 'no stack trace');
});

t.test('stdin: one result per line, errors inline with field and offset (into the frame), exit 2', async (t) => {
  const broken = sale.frame.replace(/\s+/g, '').replace('000000000100', '00000000010A');
  const input = `${sale.frame}\n\nnot hex\n${broken}\n${sale.frame}\n`;
  const r = await withStdin(['decode', '--spec', 'cups-pos', '--frame'], input);
  t.equal(r.code, 2);
  const lines = r.stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l));
  t.equal(lines.length, 4, 'blank lines are skipped');
  t.same(lines[0].fields, sale.fields);
  t.same(lines[1], { error: "not a hex digit 'n' at hex position 0", field: null, offset: null });
  t.same(lines[2], { error: 'field 4: non-BCD nibble A at offset 31', field: 4, offset: 31 });
  t.same(lines[3].fields, sale.fields, 'processing continues after a failure');
});

t.test('stdin with only good lines exits 0', async (t) => {
  const r = await withStdin(
    ['decode', '--spec', 'iso87ascii'],
    `${Buffer.from('08000020000000000000000001').toString('hex')}\n`,
  );
  t.equal(r.code, 0);
  t.same(JSON.parse(r.stdout), { mti: '0800', fields: { 11: '000001' } });
});
