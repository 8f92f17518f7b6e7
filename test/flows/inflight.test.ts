// The in-flight requests: a copy of a running request finds the first copy's promise; an entry let go
// of keeps no promise (a table V8 left behind may still point to it: src/flows/inflight.ts).
import t from 'tap';
import { InflightRequests } from '../../src/flows/inflight.js';
import { keyString } from '../../src/flows/request.js';
import type { TransactionResult } from '../../src/server/dispatcher.js';

const answer = (rc: string): Promise<TransactionResult> => Promise.resolve({ rc });

t.test('a running request is found by its key until it leaves', async (t) => {
  const inflight = new InflightRequests();
  const first = answer('00');
  const entry = inflight.enter('k1', first);
  t.equal(inflight.size, 1);
  t.equal(inflight.get('k1'), first, 'a copy finds the first copy');
  t.equal(inflight.get('k2'), undefined, 'another key finds nothing');
  inflight.leave(entry);
  t.equal(inflight.size, 0);
  t.equal(inflight.get('k1'), undefined);
  t.equal(entry.running, undefined, 'the entry no longer holds the promise');
  inflight.leave(entry);
  t.equal(inflight.size, 0, 'leaving twice is harmless');
});

t.test('a request that replaced an earlier one under the same key stays when the earlier leaves', async (t) => {
  const inflight = new InflightRequests();
  const earlier = inflight.enter('k', answer('00'));
  const later = answer('05');
  const laterEntry = inflight.enter('k', later);
  inflight.leave(earlier);
  t.equal(inflight.get('k'), later, 'the later request is still visible');
  t.equal(earlier.running, undefined, 'the earlier entry let go of its promise all the same');
  inflight.leave(laterEntry);
  t.equal(inflight.size, 0);
});

t.test('keyString: MID|TID|batch|STAN|MTI', async (t) => {
  t.equal(
    keyString({ mid: '898000000000001', tid: '00000001', batch: '000001', stan: '000123', mti: '0200' }),
    '898000000000001|00000001|000001|000123|0200',
  );
  t.not(
    keyString({ mid: '1', tid: '2', batch: '3', stan: '4', mti: '0200' }),
    keyString({ mid: '1', tid: '2', batch: '3', stan: '4', mti: '0400' }),
    'the MTI tells a sale from its reversal',
  );
});
