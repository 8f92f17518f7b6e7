// The memory store's hidden link from a caller's copy of an order to its stored form.
import t from 'tap';
import { privateMark } from '../../src/store/private-mark.js';

t.test('privateMark: a value read back from the object it marked, and from no other', async (t) => {
  const mark = privateMark<object, string>();
  const a = { rrn: '1' };
  const b = { rrn: '1' };
  mark.set(a, 'stored-a');
  t.equal(mark.get(a), 'stored-a');
  t.equal(mark.get(b), undefined, 'an equal object is not marked');
  t.equal(mark.get({ ...a }), undefined, 'a spread copy is not marked');
  t.equal(mark.get(structuredClone(a)), undefined, 'a structured clone is not marked');
  t.throws(() => mark.set(a, 'again'), TypeError, 'an object is marked once');
  const other = privateMark<object, string>();
  t.equal(other.get(a), undefined, "another mark's value is not this one's");
  other.set(a, 'stored-elsewhere');
  t.equal(mark.get(a), 'stored-a', 'two marks on one object stay apart');
  t.equal(other.get(a), 'stored-elsewhere');
});

t.test('privateMark: the marked object stays plain data to its callers', async (t) => {
  const mark = privateMark<object, object>();
  const o = { rrn: '000000000001', amountFen: 5 };
  mark.set(o, { secret: true });
  t.same(Object.keys(o), ['rrn', 'amountFen']);
  t.same(Object.getOwnPropertySymbols(o), []);
  t.equal(JSON.stringify(o), '{"rrn":"000000000001","amountFen":5}');
  t.strictSame(o, { rrn: '000000000001', amountFen: 5 }, 'deep equality sees the data only');
  t.equal(Object.getPrototypeOf(o), Object.prototype, 'still a plain object');
});
