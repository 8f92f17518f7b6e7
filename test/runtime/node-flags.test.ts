// The node flags boxfep's server starts with: the same in `npm start`, the Docker image and the bench's
// spawned server (test/bench/pinning.test.ts reads the spawned one from /proc), and in force in V8.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { SERVE_NODE_FLAGS, semiSpaceMbOf } from '../../src/runtime/node-flags.js';

const root = new URL('../../../', import.meta.url);

t.test('semiSpaceMbOf reads the size from node flags and NODE_OPTIONS, the last one winning', async (t) => {
  t.equal(semiSpaceMbOf([]), undefined, 'not set: node’s default');
  t.equal(semiSpaceMbOf(['--max-semi-space-size=4']), 4);
  t.equal(semiSpaceMbOf(['--max-semi-space-size', '8']), 8, 'value as the next argument');
  t.equal(semiSpaceMbOf(['--max_semi_space_size=2']), 2, 'V8 spelling with underscores');
  t.equal(semiSpaceMbOf(['--max-semi-space-size=4', '--cpu-prof', '--max-semi-space-size=16']), 16);
  t.equal(semiSpaceMbOf([], '--max-semi-space-size=32 --trace-gc'), 32, 'from NODE_OPTIONS');
  t.equal(semiSpaceMbOf(['--max-semi-space-size=4'], '--max-semi-space-size=32'), 4, 'flags after NODE_OPTIONS');
  t.equal(semiSpaceMbOf(['--max-semi-space-size=x']), undefined, 'not a number: ignored');
  t.equal(semiSpaceMbOf(['--max-old-space-size=4096']), undefined, 'another space');
});

t.test('npm start and the image start serve with SERVE_NODE_FLAGS', async (t) => {
  t.ok(SERVE_NODE_FLAGS.length > 0);
  const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: { start: string } };
  t.equal(pkg.scripts.start, `node ${SERVE_NODE_FLAGS.join(' ')} dist/src/cli/main.js serve`, 'npm start');
  const dockerfile = readFileSync(new URL('Dockerfile', root), 'utf8');
  const entry = /^ENTRYPOINT (\[.*\])$/m.exec(dockerfile);
  t.ok(entry, 'the image has an exec-form entry point');
  t.same(JSON.parse(entry![1]!), ['node', ...SERVE_NODE_FLAGS, 'dist/src/cli/main.js'], 'the image');
});

t.test('the flags are in force: the young generation stays within the semi-space asked for', async (t) => {
  // Allocate objects that live a while (the young generation grows with what survives) and report the
  // largest new space V8 committed: two semi-spaces.
  const script = `const v8 = require('node:v8'); let max = 0, keep = [];
    for (let i = 0; i < 600; i++) {
      for (let j = 0; j < 2000; j++) keep.push({ i, j, s: 'x' + j });
      if (keep.length > 300000) keep = [];
      const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
      max = Math.max(max, ns.space_size);
    }
    console.log(max);`;
  const newSpaceMax = (flags: readonly string[]) =>
    Number(execFileSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' }).trim());
  const mb = semiSpaceMbOf(SERVE_NODE_FLAGS)!;
  const ours = newSpaceMax(SERVE_NODE_FLAGS);
  const defaultSize = newSpaceMax([]);
  t.ok(ours <= 2 * mb * 2 ** 20, `new space at most two semi-spaces of ${mb} MB: ${ours} bytes`);
  t.ok(defaultSize > ours, `node's default lets it grow further: ${defaultSize} > ${ours} bytes`);
});
