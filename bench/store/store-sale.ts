// One whole sale's store steps, as the flows make them: beginPayment, then the transition to paid that
// stores the packed response. Shared by the memory-store benches (memory-growth, kept-objects).
import { pack } from 'msgpackr';
import type { MemoryStore } from '../../src/store/memory.js';
import type { RequestKey } from '../../src/store/types.js';

const MID = 'M00000000000001';

/** The i-th sale's request: a new terminal every 999,999 STANs. */
export function saleRequest(i: number): RequestKey {
  return {
    tid: `T${String(Math.floor(i / 999_999)).padStart(7, '0')}`,
    mid: MID,
    batch: '000001',
    stan: String((i % 999_999) + 1).padStart(6, '0'),
    mti: '0200',
  };
}

export async function storeSale(s: MemoryStore, i: number): Promise<void> {
  const begun = await s.beginPayment({
    request: saleRequest(i),
    fingerprint: 'abcdefghijklmnopqrstuvwx',
    kind: 'sale',
    amountFen: 100,
    wallet: 'UP',
    paymentCodeMasked: '62************1234',
  });
  if (begun.status !== 'started') throw new Error(`sale ${i}: ${begun.status}`);
  // What flows/answers.ts stores: the packed response of an approved sale.
  const bytes = pack({ rc: '00', fields: { 37: begun.order.rrn, 38: '000001', 63: 'CUP' }, omit: [] });
  const r = await s.transition(begun.order, {
    from: ['paying'],
    to: 'paid',
    response: { request: saleRequest(i), bytes },
    statusOnly: true,
  });
  if (r.status !== 'ok') throw new Error(`sale ${i}: ${r.status}`);
}
