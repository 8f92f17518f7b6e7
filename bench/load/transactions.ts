// One transaction of the mix on one box: build it as a box would, send it, check the reply. Sales use
// sandbox test payment codes that approve at once (last two digits 00–79); precreates use amounts
// the simulated customer pays (not ending in 99), so each is followed by a 0620 push.
import type { Reply } from '../../src/box/box.js';
import { saleRequest } from '../../src/box/messages.js';
import type { IsoMessage } from '../../src/iso8583/index.js';
import { parseField60 } from '../../src/iso8583/index.js';
import { checkReply, exchangeErrorReason } from './checks.js';
import type { LoadBox } from './fleet.js';
import type { TxType } from './mix.js';
import type { Rng } from './random.js';

export type Wallet = 'WX' | 'AL' | 'UP';
export const WALLETS: readonly Wallet[] = ['WX', 'AL', 'UP'];

export interface TxContext {
  rng: Rng;
  wallets: readonly Wallet[];
  /** false for the echo baseline: the reply only has to arrive. */
  check: boolean;
}

export interface TxOutcome {
  type: TxType;
  /** Field 39 of the reply, or '--' when none came. */
  rc: string;
  /** Why the reply failed its checks; undefined when it passed. */
  error?: string;
  /** The precreate's STAN, when a push is now expected for it. */
  pushStan?: string;
}

function digits(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String(Math.floor(rng() * 10));
  return s;
}

/** A payment code the wallet's sandbox approves at once: right prefix and length, last two digits 00–79. */
export function approvingPaymentCode(wallet: Wallet, rng: Rng): string {
  const tail = String(Math.floor(rng() * 80)).padStart(2, '0');
  if (wallet === 'WX') return `1${1 + Math.floor(rng() * 5)}${digits(rng, 14)}${tail}`; // 18 digits, 11–15
  if (wallet === 'AL') return `2${5 + Math.floor(rng() * 5)}${digits(rng, 14)}${tail}`; // 18 digits, 25–29
  return `62${digits(rng, 15)}${tail}`; // 19 digits, 62
}

/** 1.00 .. 999.98 yuan, never ending in 99 fen (the sandbox customer never pays those C2B orders). */
export function amountFen(rng: Rng): number {
  const a = 100 + Math.floor(rng() * 99_800);
  return a % 100 === 99 ? a - 1 : a;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

export async function performTx(lb: LoadBox, type: TxType, ctx: TxContext): Promise<TxOutcome> {
  const { box } = lb;
  let expected = '00';
  let reply: Reply;
  try {
    switch (type) {
      case 'echo':
        reply = await box.echo();
        break;
      case 'sale':
        reply = await box.sale(amountFen(ctx.rng), approvingPaymentCode(pick(ctx.rng, ctx.wallets), ctx.rng));
        break;
      case 'precreate':
        expected = '09';
        reply = await box.precreate(amountFen(ctx.rng), pick(ctx.rng, ctx.wallets));
        break;
      case 'query': {
        const original = lb.lastSale;
        if (original === undefined) {
          // No sale of ours to ask about: ask about a STAN this box never used → original not found.
          expected = '25';
          reply = await box.query({ batch: box.batch, stan: box.nextStan() });
        } else {
          reply = await box.query({ batch: parseField60(original.fields[60]).batch, stan: original.fields[11] });
        }
        break;
      }
      case 'reversal': {
        // Reverse the last approved sale; without one, reverse a sale that never arrived (a tombstone).
        const original: IsoMessage =
          lb.lastSale ??
          saleRequest(
            { tid: lb.terminal.tid, mid: lb.terminal.mid, batch: box.batch },
            box.nextStan(),
            amountFen(ctx.rng),
            approvingPaymentCode(pick(ctx.rng, ctx.wallets), ctx.rng),
          );
        lb.lastSale = undefined;
        reply = await box.reverse(original);
        break;
      }
    }
  } catch (err) {
    return { type, rc: '--', error: exchangeErrorReason(err) };
  }
  const error = ctx.check ? checkReply(type, expected, reply) : undefined;
  if (error === undefined) {
    if (type === 'sale') lb.lastSale = reply.request;
    if (type === 'precreate' && ctx.check) return { type, rc: reply.rc ?? '--', pushStan: reply.request.fields[11] };
  }
  return error === undefined ? { type, rc: reply.rc ?? '--' } : { type, rc: reply.rc ?? '--', error };
}
