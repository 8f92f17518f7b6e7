// The stdout logger is asynchronous and buffered (docs/performance.md): these check, in child
// processes writing to a pipe, that no line is lost when the process ends normally, calls
// process.exit, dies of an uncaught exception, or stays quiet (the timer flushes), and that lines
// of several loggers never interleave.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { repoRoot } from '../helpers/paths.js';

const LOGGER = join(repoRoot, 'dist', 'src', 'log', 'logger.js');

/** Runs an ES module snippet with createLogger imported; resolves with stdout once it exits. */
function run(body: string, killAfterMs?: number): Promise<{ out: string; code: number | null }> {
  const src = `import { createLogger } from ${JSON.stringify(LOGGER)};\n${body}`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', src], {
      stdio: ['ignore', 'pipe', 'ignore'],
      env: { ...process.env, BOXFEP_LOG_LEVEL: 'info' },
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (c: string) => {
      out += c;
    });
    const guard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    if (killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(guard);
      resolve({ out, code });
    });
  });
}

const parsed = (out: string) =>
  out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as { msg: string; i?: number; who?: string });

t.test('every line reaches stdout when the process ends by itself', async (t) => {
  const { out, code } = await run(`const l = createLogger(); for (let i = 0; i < 500; i++) l.info({ i }, 'tx');`);
  t.equal(code, 0);
  const lines = parsed(out);
  t.equal(lines.length, 500, 'all 500 lines');
  t.same(
    lines.map((l) => l.i),
    Array.from({ length: 500 }, (_, i) => i),
    'in order',
  );
});

t.test('process.exit and an uncaught exception still flush the buffer', async (t) => {
  const a = await run(`const l = createLogger(); l.info('one'); l.info('two'); process.exit(3);`);
  t.equal(a.code, 3);
  t.same(
    parsed(a.out).map((l) => l.msg),
    ['one', 'two'],
  );
  const b = await run(
    `const l = createLogger(); l.info('before'); setTimeout(() => { throw new Error('boom'); }, 10);`,
  );
  t.equal(b.code, 1);
  t.same(
    parsed(b.out).map((l) => l.msg),
    ['before'],
    'the line logged before the crash is there',
  );
});

t.test('a quiet process gets its lines out without exiting (the flush timer)', async (t) => {
  // Still running when killed: only the timer can have written the line.
  const { out } = await run(`createLogger().info('serving'); setInterval(() => {}, 1000);`, 1500);
  t.same(
    parsed(out).map((l) => l.msg),
    ['serving'],
  );
});

t.test('lines of several loggers share one stream and never interleave', async (t) => {
  const { out } = await run(
    `const a = createLogger(), b = createLogger().child({ who: 'b' });
     for (let i = 0; i < 300; i++) { a.info({ i, pad: 'x'.repeat(200) }, 'a'); b.info({ i }, 'b'); }`,
  );
  const lines = parsed(out);
  t.equal(lines.length, 600, 'every line is whole JSON');
  t.equal(lines.filter((l) => l.who === 'b').length, 300);
});

t.test('multi-byte text survives the byte batches, across many writes', async (t) => {
  // The stream is written in batches of bytes (16–64 KB): a line's UTF-8 bytes, not its characters,
  // must be counted, or a batch boundary would cut a character. 3,000 lines of ~300 bytes: ~60 writes.
  const { out, code } = await run(
    `const l = createLogger(); for (let i = 0; i < 3000; i++) l.info({ i, merchant: '深圳市福田区商户🧾'.repeat(8) }, 'tx');`,
  );
  t.equal(code, 0);
  const lines = parsed(out) as Array<{ i?: number; merchant?: string }>;
  t.equal(lines.length, 3000, 'all 3,000 lines, each whole JSON');
  t.ok(
    lines.every((l, i) => l.i === i && l.merchant === '深圳市福田区商户🧾'.repeat(8)),
    'in order, every character intact',
  );
});
