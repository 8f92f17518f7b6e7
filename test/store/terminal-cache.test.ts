// The node's terminal cache on its own (a clock the test moves): it serves only while live, keeps no
// read an invalidation overtook, and honours the shortest life of what it read.
import t from 'tap';
import type { TerminalContext } from '../../src/store/store.js';
import { TerminalCache } from '../../src/store/terminal-cache.js';
import { terminal } from './suite.js';

function context(tid: string, batch = '000001'): TerminalContext {
  return { terminal: terminal(tid, { batch }), session: { mak: 'MAK', pik: 'PIK', issuedAt: 0 }, macFailures: 0 };
}

function cacheAt(clock: { now: number }, capacity = 100, maxAgeMs = 60_000): TerminalCache {
  return new TerminalCache({ capacity, maxAgeMs, now: () => clock.now });
}

t.test('nothing is served or kept until the cache is live', async (t) => {
  const clock = { now: 0 };
  const cache = cacheAt(clock);
  cache.keep('T1', context('T1'), undefined, cache.generation());
  t.equal(cache.size, 0, 'not kept while not live');
  cache.setLive(true);
  cache.keep('T1', context('T1'), undefined, cache.generation());
  t.equal(cache.size, 1);
  const got = cache.get('T1');
  t.equal(got?.terminal.tid, 'T1');
  t.equal(got?.cached, true, 'marked as served from the cache');
  t.ok(Object.isFrozen(got) && Object.isFrozen(got?.terminal) && Object.isFrozen(got?.session), 'shared: frozen');
  cache.setLive(false);
  t.equal(cache.get('T1'), undefined, 'not live: not served');
  t.equal(cache.size, 0, 'and what was kept is dropped');
  cache.setLive(true);
  t.equal(cache.get('T1'), undefined, 'live again: starts empty');
});

t.test('a read an invalidation overtook is not kept', async (t) => {
  const clock = { now: 0 };
  const cache = cacheAt(clock);
  cache.setLive(true);
  const before = cache.generation();
  cache.invalidate('T2');
  cache.keep('T1', context('T1'), undefined, before);
  t.equal(cache.get('T1'), undefined, 'read sent before an invalidation: not kept');
  const lost = cache.generation();
  cache.setLive(false);
  cache.setLive(true);
  cache.keep('T1', context('T1'), undefined, lost);
  t.equal(cache.get('T1'), undefined, 'read sent before the invalidations restarted: not kept');
  cache.keep('T1', context('T1'), undefined, cache.generation());
  t.equal(cache.get('T1')?.terminal.tid, 'T1', 'read sent after both: kept');
});

t.test('an invalidation drops its terminal only', async (t) => {
  const cache = cacheAt({ now: 0 });
  cache.setLive(true);
  cache.keep('T1', context('T1'), undefined, cache.generation());
  cache.keep('T2', context('T2'), undefined, cache.generation());
  cache.invalidate('T1');
  t.equal(cache.get('T1'), undefined);
  t.equal(cache.get('T2')?.terminal.tid, 'T2');
});

t.test('a context lives as long as the shortest of its keys, and never past the maximum age', async (t) => {
  const clock = { now: 1_000 };
  const cache = cacheAt(clock, 100, 10_000);
  cache.setLive(true);
  cache.keep('T1', context('T1'), 3_000, cache.generation());
  cache.keep('T2', context('T2'), undefined, cache.generation());
  cache.keep('T3', context('T3'), 0, cache.generation());
  t.equal(cache.get('T3'), undefined, 'keys with no life left: not kept');
  clock.now += 2_999;
  t.ok(cache.get('T1'), 'within its keys’ life');
  clock.now += 1;
  t.equal(cache.get('T1'), undefined, 'its working keys expired: gone');
  clock.now += 6_999;
  t.ok(cache.get('T2'), 'within the maximum age');
  clock.now += 1;
  t.equal(cache.get('T2'), undefined, 'past the maximum age: gone');
});

t.test('bounded: the least recently used context goes first', async (t) => {
  const cache = cacheAt({ now: 0 }, 4);
  cache.setLive(true);
  for (const tid of ['T1', 'T2', 'T3', 'T4', 'T5']) cache.keep(tid, context(tid), undefined, cache.generation());
  t.equal(cache.size, 4);
  t.equal(cache.get('T1'), undefined, 'the oldest went');
  t.ok(cache.get('T5'));
});

t.test('a context read again replaces the one kept', async (t) => {
  const cache = cacheAt({ now: 0 });
  cache.setLive(true);
  cache.keep('T1', context('T1', '000001'), undefined, cache.generation());
  cache.keep('T1', context('T1', '000002'), undefined, cache.generation());
  t.equal(cache.get('T1')?.terminal.batch, '000002');
  t.equal(cache.size, 1);
});
