// Every reply is checked as a box would check it (box-protocol.md §4): the response code the test
// payment code calls for, the echoed fields, the MAC (present exactly when 39 = 00, and valid), and
// the fields the transaction needs. The first failed check names the error; a reply that fails is
// counted as an error, never as a success.
import type { Reply } from '../../src/box/box.js';
import { parseField59 } from '../../src/iso8583/index.js';
import type { TxType } from './mix.js';

/** Fields a response copies from its request; 4 is left out of queries (their response carries the original's). */
const ECHOED: Record<TxType, readonly number[]> = {
  sale: [3, 4, 11, 41, 42],
  precreate: [3, 4, 11, 41, 42],
  query: [3, 11, 41, 42],
  reversal: [3, 4, 11, 41, 42],
  echo: [11, 41, 42],
};

/** Network management carries no MAC; the financial messages carry one exactly when approved. */
const MACED: Record<TxType, boolean> = { sale: true, precreate: true, query: true, reversal: true, echo: false };

export function checkReply(type: TxType, expectedRc: string, reply: Reply): string | undefined {
  const f = reply.message.fields;
  if (reply.rc !== expectedRc) return `rc ${reply.rc ?? 'missing'} (expected ${expectedRc})`;
  for (const n of ECHOED[type]) {
    const sent = reply.request.fields[n];
    if (sent !== undefined && f[n] !== sent) return `field ${n} not echoed`;
  }
  const hasMac = f[64] !== undefined;
  if (MACED[type]) {
    if (reply.rc === '00' && !hasMac) return 'MAC missing';
    if (reply.rc !== '00' && hasMac) return `MAC on a ${reply.rc} reply`;
  }
  if (hasMac && reply.macValid !== true) return 'MAC invalid';
  if (reply.requirement !== undefined && reply.requirement !== 0)
    return `header asks to sign on (${reply.requirement})`;
  if (type === 'sale' && !f[37]) return 'approved sale without RRN (37)';
  if (type === 'precreate') {
    const qr = f[59] ? safeField59(f[59]).get('A6') : undefined;
    if (!qr) return 'precreate without QR content (59.A6)';
  }
  return undefined;
}

function safeField59(value: string): Map<string, string> {
  try {
    return parseField59(value);
  } catch {
    return new Map();
  }
}

/** Classifies a thrown exchange error (timeout, closed connection) for the error table. */
export function exchangeErrorReason(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  if (msg.startsWith('no reply')) return 'timeout';
  if (msg.includes('closed')) return 'connection closed';
  if (msg.includes('connection error')) return 'connection error';
  return msg.length > 60 ? `${msg.slice(0, 57)}...` : msg;
}
