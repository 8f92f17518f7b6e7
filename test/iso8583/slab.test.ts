// The codec's slab: views taken one after another never overlap, a reservation that does not fit
// starts a new slab (older views keep theirs), and a reservation larger than a slab gets its own.
import t from 'tap';
import { Slab } from '../../src/iso8583/slab.js';

t.test('views follow one another, 8-byte aligned, and keep their bytes', async (t) => {
  const slab = new Slab(64);
  const a = slab.reserve(20);
  const atA = slab.offset;
  a.fill(0xaa, atA, atA + 13);
  const viewA = slab.take(atA + 13);
  t.equal(viewA.length, 13);
  const b = slab.reserve(20);
  t.equal(b, a, 'same slab while the reservation fits');
  t.equal(slab.offset, 16, 'after the first view, aligned');
  b.fill(0xbb, slab.offset, slab.offset + 20);
  const viewB = slab.take(slab.offset + 20);
  t.ok(
    viewA.every((x) => x === 0xaa),
    'the first view is untouched',
  );
  t.ok(viewB.every((x) => x === 0xbb));

  const c = slab.reserve(40);
  t.not(c, a, 'a reservation that does not fit starts a new slab');
  t.equal(slab.offset, 0);
  c.fill(0xcc, 0, 40);
  slab.take(40);
  t.ok(viewA.every((x) => x === 0xaa) && viewB.every((x) => x === 0xbb), 'older views keep the old slab');

  const big = slab.reserve(100);
  t.ok(big.length >= 100, 'larger than a slab: a buffer of its own size');
});
