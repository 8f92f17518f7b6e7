// Readable dumps of a box exchange for `boxfep box`: each message as MTI and fields, payment codes
// masked, then the frame in hex.
import type { IsoMessage } from '../iso8583/index.js';
import { parseField59 } from '../iso8583/index.js';
import { maskPaymentCode } from '../log/mask.js';
import type { PushEvent, Reply } from './box.js';

const NAMES: Record<number, string> = {
  3: 'processing code',
  4: 'amount',
  11: 'STAN',
  12: 'local time',
  13: 'local date',
  22: 'entry mode',
  25: 'condition',
  32: 'acquirer',
  37: 'RRN',
  38: 'auth id',
  39: 'response code',
  41: 'TID',
  42: 'MID',
  48: 'settlement totals',
  49: 'currency',
  59: 'QR-box data',
  60: 'reserved (type, batch, net code)',
  61: 'original',
  62: 'working keys',
  63: 'operator / wallet',
  64: 'MAC',
};

function showValue(no: number, value: string): string {
  if (no !== 59) return value;
  try {
    return [...parseField59(value)].map(([tag, v]) => `${tag}=${tag === 'A3' ? maskPaymentCode(v) : v}`).join(' ');
  } catch {
    return '[unparsable]';
  }
}

export function formatMessage(direction: '→' | '←', message: IsoMessage, frame?: Buffer): string {
  const lines = [`${direction} ${message.mti}`];
  for (const [k, v] of Object.entries(message.fields)) {
    const no = Number(k);
    lines.push(`   ${String(no).padStart(2)} ${(NAMES[no] ?? '').padEnd(32)} ${showValue(no, v)}`);
  }
  // The raw frame would show a payment code in clear; print it only for messages without one.
  const f59 = message.fields[59];
  if (frame && !f59?.includes('A3')) lines.push(`   frame ${frame.toString('hex').toUpperCase()}`);
  return lines.join('\n');
}

export function formatExchange(request: IsoMessage, reply: Reply): string {
  const extra = [
    reply.macValid === undefined ? 'no MAC' : reply.macValid ? 'MAC verified' : 'MAC WRONG',
    reply.requirement === 3 ? 'boxfep asks to sign on again' : undefined,
    `${reply.ms.toFixed(1)} ms`,
  ].filter(Boolean);
  return `${formatMessage('→', request, reply.requestFrame)}\n${formatMessage('←', reply.message, reply.replyFrame)}\n   (${extra.join(', ')})\n`;
}

export function formatPush(push: PushEvent): string {
  const mac =
    push.macValid === undefined ? 'no MAC' : push.macValid ? 'MAC verified, acknowledged with 0630' : 'MAC WRONG';
  return `${formatMessage('←', push.message)}\n   (${mac})`;
}
