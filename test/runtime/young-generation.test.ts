// The young generation's limit named in the `boxfep serving` line (test/bench/pinning.test.ts reads it
// from a spawned serve started with the flag).
import t from 'tap';
import { semiSpaceMbOf } from '../../src/runtime/young-generation.js';

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
