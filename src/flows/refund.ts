// Refund (§4): 0220/200000/25, any day, partial and repeated up to the paid amount; over the
// remainder `64`; 37 = the original's RRN, 61.1 + 61.2 + 61.3 its batch, trace and date.
import type { TransactionContext, TransactionResult } from '../server/dispatcher.js';
import type { FlowDeps } from './context.js';
import { moneyBack } from './money-back.js';

export const refund = (deps: FlowDeps, ctx: TransactionContext): Promise<TransactionResult> =>
  moneyBack(deps, ctx, 'refund');
