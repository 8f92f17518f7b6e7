// bench/profile/parts.ts: inclusive shares of named parts of a CPU profile, on a profile built by hand
// (the stacks and times known), then on a real one taken here.

import { Session } from 'node:inspector/promises';
import t from 'tap';
import type { CpuProfile } from '../../bench/profile/cpu-profile.js';
import { parsePart, partShares } from '../../bench/profile/parts.js';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

/**
 * root ─ (idle) [2]
 *      ├ handleFrame@pipeline.js [3] ─ sign@wechat/sign.js [4] ─ hash@node:crypto [5]
 *      └ flushAll@box-server.js [6] ─ writeBuffer [7]
 */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)'), children: [2, 3, 6] },
    { id: 2, callFrame: frame('(idle)') },
    { id: 3, callFrame: frame('handleFrame', 'file:///x/dist/src/server/pipeline.js'), children: [4] },
    { id: 4, callFrame: frame('sign', 'file:///x/dist/src/channels/wechat/sign.js'), children: [5] },
    { id: 5, callFrame: frame('hash', 'node:internal/crypto/hash') },
    { id: 6, callFrame: frame('flushAll', 'file:///x/dist/src/server/box-server.js'), children: [7] },
    { id: 7, callFrame: frame('writeBuffer') },
  ],
  // One sample every 0.5 s: t = 0.5, 1.0, …, 5.0 s.
  samples: [2, 3, 4, 5, 7, 7, 2, 5, 3, 7],
  timeDeltas: Array.from({ length: 10 }, () => 500_000),
};

t.test('a part counts every busy sample with one of its frames anywhere on the stack', async (t) => {
  const all = partShares(
    profile,
    ['pipeline.js', 'wechat/', 'writeBuffer@', 'writes=flushAll@&writeBuffer@', 'either=sign@|flushAll@'].map(
      parsePart,
    ),
    0,
    10,
  );
  t.equal(all.busy, 8, 'the two idle samples left out');
  t.same(
    all.parts.map((p) => [p.name, p.samples]),
    [
      ['pipeline.js', 5],
      ['wechat/', 3],
      ['writeBuffer@', 3],
      ['writes', 3],
      ['either', 6],
    ],
  );
  t.equal(all.parts[0]!.percent, 62.5);

  // [1.5, 3.0): the samples at 1.5, 2.0 and 2.5 s (node 4, 5 and 7).
  const window = partShares(profile, [parsePart('sign@'), parsePart('flushAll@&hash@')], 1.5, 3);
  t.equal(window.busy, 3);
  t.same(
    window.parts.map((p) => p.samples),
    [2, 0],
    'all of an &-list must be on one stack',
  );
  t.same(partShares(profile, [parsePart('x')], 20, 30), { busy: 0, parts: [{ name: 'x', samples: 0, percent: 0 }] });
});

t.test('part arguments: a name, alternatives, and no empty ones', async (t) => {
  t.same(parsePart('undici|wechat/'), { name: 'undici|wechat/', alternatives: [['undici'], ['wechat/']] });
  t.same(parsePart('box write=flushAll@&writeBuffer@'), {
    name: 'box write',
    alternatives: [['flushAll@', 'writeBuffer@']],
  });
  t.throws(() => parsePart('a||b'), /empty alternative/);
  t.throws(() => parsePart('name=&'), /empty alternative/);
});

t.test('on a real profile: a function that burns the CPU is nearly all of it', async (t) => {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const until = performance.now() + 200;
  // A named function, so its frame can be found; bounded in time.
  (function burnForParts() {
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    return x;
  })();
  const { profile: real } = await session.post('Profiler.stop');
  session.disconnect();
  const shares = partShares(real as unknown as CpuProfile, [parsePart('burnForParts@')], 0, 60);
  t.ok(shares.busy > 50, `busy samples: ${shares.busy}`);
  t.ok(shares.parts[0]!.percent > 50, `burnForParts: ${shares.parts[0]!.percent.toFixed(1)} %`);
});
