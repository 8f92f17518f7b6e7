// Void (§4): 0200/200000/23, the full amount of an approved sale of the same batch; anything else `12`.
// At the wallet it is a full refund (a reverse is not allowed for long after a payment).
import type { TransactionContext, TransactionResult } from '../server/dispatcher.js';
import type { FlowDeps } from './context.js';
import { moneyBack } from './money-back.js';

export const voidSale = (deps: FlowDeps, ctx: TransactionContext): Promise<TransactionResult> =>
  moneyBack(deps, ctx, 'void');
