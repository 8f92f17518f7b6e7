import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import t from 'tap';
import { cliPath, repoRoot } from '../helpers/paths.js';

const run = promisify(execFile);

t.test('boxfep --version prints the package version', async (t) => {
  const pkg = JSON.parse(readFileSync(`${repoRoot}/package.json`, 'utf8')) as { version: string };
  const { stdout } = await run(process.execPath, [cliPath, '--version']);
  t.equal(stdout.trim(), pkg.version);
});

t.test('an unknown command is one clear error and exit 2', async (t) => {
  const err = await run(process.execPath, [cliPath, 'no-such-command']).then(
    () => null,
    (e: { code: number; stderr: string }) => e,
  );
  t.ok(err, 'command fails');
  t.equal(err?.code, 2);
  t.match(err?.stderr, /unknown command 'no-such-command'/);
  t.notMatch(err?.stderr, /at .*\.js:\d+/, 'no stack trace');
});
