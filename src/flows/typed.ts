// The payment route's answer names its transaction type and one log value (the masked code, the
// wallet) on top of what the flow answered.
import type { TransactionResult } from '../server/dispatcher.js';

/**
 * `{ ...r, type, log: { ...r.log, [name]: value } }` written out: object spreads build their result
 * key by key (about a kilobyte per sale). The result may be shared with a duplicate's answer (the
 * in-flight promise), so it is copied, never changed.
 */
export function typed(r: TransactionResult, type: string, name: string, value: string): TransactionResult {
  const log: Record<string, string | number> = {};
  if (r.log !== undefined) for (const key of Object.keys(r.log)) log[key] = r.log[key];
  log[name] = value;
  const out: TransactionResult = { rc: r.rc, type, log };
  if (r.fields !== undefined) out.fields = r.fields;
  if (r.omit !== undefined) out.omit = r.omit;
  if (r.requireSignOn !== undefined) out.requireSignOn = r.requireSignOn;
  return out;
}
