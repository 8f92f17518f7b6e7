// The transaction routes of §4 on the server's dispatcher. The pipeline has already checked the
// terminal, the MAC and the batch; each handler owns one transaction type.
import { field59Item } from '../iso8583/index.js';
import { maskPaymentCode } from '../log/mask.js';
import type { Dispatcher, TransactionContext, TransactionResult } from '../server/dispatcher.js';
import type { FlowDeps } from './context.js';
import { precreate } from './precreate.js';
import { query } from './query.js';
import { refund } from './refund.js';
import { RC } from './response-codes.js';
import { reversal } from './reversal.js';
import { sale } from './sale.js';
import { settlement } from './settlement.js';
import { typed } from './typed.js';
import { voidSale } from './void.js';

/** 0200/000000/22 carries a B2C sale (59.A3, the scanned code) or a C2B precreate (59.A4, no A3). */
export function payment(deps: FlowDeps, ctx: TransactionContext): Promise<TransactionResult> {
  // One item looked up rather than a Map of all (the field is checked whole either way).
  const f59 = ctx.request.fields[59];
  const code = f59 === undefined ? undefined : field59Item(f59, 'A3');
  if (code !== undefined) {
    const masked = maskPaymentCode(code);
    // The sale answers typed itself: no closure over `masked` waits with it on the wallet.
    return sale(deps, ctx, code, masked);
  }
  const a4 = f59 === undefined ? undefined : field59Item(f59, 'A4');
  if (a4 !== undefined) return precreate(deps, ctx, a4).then((r) => typed(r, 'precreate', 'wallet', a4));
  return Promise.resolve({ rc: RC.FORMAT_ERROR });
}

export function registerFlows(dispatcher: Dispatcher, deps: FlowDeps): void {
  const bind = (fn: (d: FlowDeps, c: TransactionContext) => Promise<TransactionResult>) => (ctx: TransactionContext) =>
    fn(deps, ctx);
  dispatcher.register({ mti: '0200', processingCode: '000000', type: '22' }, 'payment', bind(payment));
  dispatcher.register({ mti: '0200', processingCode: '300000', type: '01' }, 'query', bind(query));
  dispatcher.register({ mti: '0200', processingCode: '200000', type: '23' }, 'void', bind(voidSale));
  dispatcher.register({ mti: '0220', processingCode: '200000', type: '25' }, 'refund', bind(refund));
  dispatcher.register({ mti: '0400' }, 'reversal', bind(reversal));
  dispatcher.register({ mti: '0500', type: '00', netCode: '201' }, 'settlement', bind(settlement), { mac: false });
}
